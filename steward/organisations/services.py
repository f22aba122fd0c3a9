"""Every change to role assignments: granting, changing and revoking a role, with an audit event.

Who may manage roles (Action.ROLES_MANAGE):
- a superuser: any role, anywhere;
- the information centre (資訊中心): within its own ministry only, every role except the CIO
  (資訊長), whom the ministry's leadership appoints: an administrator records that, so the
  centre can never make itself the approver of its own work; and never their own assignments.
The command line (`by=None`, e.g. `steward demo`) is trusted like an administrator.
The admin, the demo and tests all come through here; nothing else writes RoleAssignment.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils.translation import gettext as _

from steward.audit.services import diff, record
from steward.organisations.models import CommitteeSeat, Organisation, Person, Role, RoleAssignment
from steward.organisations.scope import Action, can

# The roles the information centre may grant, change and revoke in its ministry.
ROLES_THE_CENTRE_MANAGES = frozenset(set(Role) - {Role.CIO})

_AUDITED_FIELDS = ["person", "organisation", "role", "committee_seat", "active", "since"]


def may_manage_role(by: Person | None, organisation: Organisation, role: Role | str) -> bool:
    """May `by` grant, change or revoke `role` in `organisation`?"""
    if by is None or (by.is_authenticated and by.is_active and by.is_superuser):
        return True
    return Role(role) in ROLES_THE_CENTRE_MANAGES and can(by, Action.ROLES_MANAGE, organisation)


def require_may_manage_role(
    by: Person | None, organisation: Organisation, role: Role | str, *, person: Person | None
) -> None:
    """Raise PermissionDenied, saying why, unless `by` may manage `role` in `organisation`
    for `person`."""
    if by is not None and not by.is_superuser and person is not None and person.pk == by.pk:
        raise PermissionDenied(_("You may not change your own roles; ask an administrator."))
    if not may_manage_role(by, organisation, role):
        assert by is not None  # the command line may do everything
        if Role(role) not in ROLES_THE_CENTRE_MANAGES and can(
            by, Action.ROLES_MANAGE, organisation
        ):
            raise PermissionDenied(
                _("Only an administrator may assign the role “%(role)s”.")
                % {"role": Role(role).label}
            )
        raise PermissionDenied(
            _(
                "You may not manage roles in %(organisation)s: only its ministry's information"
                " centre or an administrator may."
            )
            % {"organisation": organisation}
        )


def _state(assignment: RoleAssignment) -> dict[str, object]:
    state = model_to_dict(assignment, fields=_AUDITED_FIELDS)
    if isinstance(state.get("since"), datetime.date):
        state["since"] = state["since"].isoformat()  # type: ignore[union-attr]
    return state


def save_role_assignment(assignment: RoleAssignment, *, by: Person | None) -> RoleAssignment:
    """Store a new or edited role assignment (the admin's form, `grant_role`).

    For an edit, `by` must be allowed to manage both what the assignment was and what it
    becomes, so nobody moves a role out of (or into) another ministry.
    """
    stored = (
        RoleAssignment.objects.select_related("organisation", "person")
        .filter(pk=assignment.pk)
        .first()
        if assignment.pk is not None
        else None
    )
    if stored is not None:
        require_may_manage_role(by, stored.organisation, stored.role, person=stored.person)
    require_may_manage_role(by, assignment.organisation, assignment.role, person=assignment.person)
    assignment.full_clean()
    with transaction.atomic():
        before = _state(stored) if stored is not None else {}
        assignment.save()
        record(
            actor=by,
            action="role.change" if stored is not None else "role.grant",
            subject=assignment,
            organisation=assignment.organisation,
            comment=str(assignment),
            changes=diff(before, _state(assignment)),
        )
    _forget_roles(assignment, by)
    return assignment


def _forget_roles(assignment: RoleAssignment, by: Person | None) -> None:
    """The rest of this request reads the changed person's roles afresh."""
    assignment.person.forget_roles()
    if by is not None and by.pk == assignment.person_id:
        by.forget_roles()


def grant_role(
    *,
    by: Person | None,
    person: Person,
    organisation: Organisation,
    role: Role,
    committee_seat: CommitteeSeat | str = "",
    since: datetime.date | None = None,
) -> RoleAssignment:
    """Give `person` `role` in `organisation` (again active, if they held it before)."""
    assignment = RoleAssignment.objects.filter(
        person=person, organisation=organisation, role=role
    ).first() or RoleAssignment(person=person, organisation=organisation, role=role)
    assignment.committee_seat = committee_seat
    assignment.active = True
    if since is not None:
        assignment.since = since
    return save_role_assignment(assignment, by=by)


def revoke_role(assignment: RoleAssignment, *, by: Person | None) -> None:
    """Take a role away: the assignment is deleted, the audit event keeps what it was."""
    stored = RoleAssignment.objects.select_related("organisation", "person").get(pk=assignment.pk)
    require_may_manage_role(by, stored.organisation, stored.role, person=stored.person)
    with transaction.atomic():
        record(
            actor=by,
            action="role.revoke",
            subject=stored,
            organisation=stored.organisation,
            comment=str(stored),
            changes=diff(_state(stored), {}),
        )
        stored.delete()
    _forget_roles(stored, by)
