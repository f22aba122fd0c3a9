"""Role assignments change only through organisations.services: scope checked, audit written.

The information centre manages roles within its own ministry (never the CIO's, never its own);
superusers anywhere. The admin uses the same service.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from steward.audit.models import AuditEvent
from steward.conftest import Cast, MinistryB, Tree, changed_tables, table_snapshot
from steward.organisations.factories import PersonFactory
from steward.organisations.models import Person, Role, RoleAssignment
from steward.organisations.services import grant_role, revoke_role, save_role_assignment


@pytest.fixture
def root(db: None) -> Person:
    return PersonFactory.create(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def staff_centre(cast: Cast) -> Person:
    """The information centre, given the admin's role-assignment permissions."""
    person = cast.centre
    person.is_staff = True
    person.save()
    person.user_permissions.set(Permission.objects.filter(codename__endswith="_roleassignment"))
    return Person.objects.get(pk=person.pk)  # fresh permission cache


def test_the_centre_grants_a_role_in_its_ministry_with_an_audit_event(
    tree: Tree, cast: Cast
) -> None:
    assignment = grant_role(
        by=cast.centre, person=cast.outsider, organisation=tree.unit_b1, role=Role.LIAISON
    )
    event = AuditEvent.objects.get(action="role.grant")
    assert (event.actor, event.organisation, event.subject_id) == (
        cast.centre,
        tree.unit_b1,
        str(assignment.pk),
    )
    assert event.changes["role"] == {"from": None, "to": "liaison"}
    assert event.changes["person"] == {"from": None, "to": cast.outsider.pk}


@pytest.mark.parametrize(
    "who", ["liaison", "reviewer", "cio", "head", "committee_civil", "auditor", "outsider"]
)
def test_nobody_but_the_centre_manages_roles(tree: Tree, cast: Cast, who: str) -> None:
    before = table_snapshot()
    with pytest.raises(PermissionDenied):
        grant_role(
            by=getattr(cast, who),
            person=cast.outsider,
            organisation=tree.unit_a1,
            role=Role.LIAISON,
        )
    assert changed_tables(before, table_snapshot()) == []


def test_the_centre_cannot_reach_into_another_ministry(
    tree: Tree, cast: Cast, ministry_b: MinistryB
) -> None:
    theirs = RoleAssignment.objects.get(person=ministry_b.liaison)
    ours = RoleAssignment.objects.get(person=cast.liaison)
    before = table_snapshot()
    with pytest.raises(PermissionDenied):
        grant_role(
            by=cast.centre, person=cast.outsider, organisation=ministry_b.unit, role=Role.LIAISON
        )
    with pytest.raises(PermissionDenied):
        revoke_role(theirs, by=cast.centre)
    theirs.organisation = tree.unit_a1  # pulling B's person into A's tree …
    with pytest.raises(PermissionDenied):
        save_role_assignment(theirs, by=cast.centre)
    ours.organisation = ministry_b.unit  # … or pushing A's liaison into B's
    with pytest.raises(PermissionDenied):
        save_role_assignment(ours, by=cast.centre)
    assert changed_tables(before, table_snapshot()) == []


def test_the_centre_appoints_no_cio_and_never_changes_its_own_roles(tree: Tree, cast: Cast) -> None:
    before = table_snapshot()
    with pytest.raises(PermissionDenied, match="只有系統管理者可以指派「資訊長」"):
        grant_role(by=cast.centre, person=cast.outsider, organisation=tree.ministry, role=Role.CIO)
    with pytest.raises(PermissionDenied):
        grant_role(by=cast.centre, person=cast.centre, organisation=tree.unit_a1, role=Role.LIAISON)
    with pytest.raises(PermissionDenied):
        revoke_role(RoleAssignment.objects.get(person=cast.cio), by=cast.centre)
    assert changed_tables(before, table_snapshot()) == []


def test_a_superuser_manages_any_role_anywhere_and_is_audited(
    cast: Cast, ministry_b: MinistryB, root: Person
) -> None:
    assignment = grant_role(
        by=root, person=cast.outsider, organisation=ministry_b.ministry, role=Role.CIO
    )
    revoke_role(assignment, by=root)
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    actions = list(AuditEvent.objects.filter(actor=root).values_list("action", flat=True))
    assert actions == ["role.grant", "role.revoke"]
    revoked = AuditEvent.objects.get(action="role.revoke")
    assert revoked.changes["role"] == {"from": "cio", "to": None}


def test_a_revoked_role_is_granted_again_as_the_same_assignment(tree: Tree, cast: Cast) -> None:
    assignment = RoleAssignment.objects.get(person=cast.other_liaison)
    assignment.active = False
    save_role_assignment(assignment, by=cast.centre)
    again = grant_role(
        by=cast.centre, person=cast.other_liaison, organisation=tree.unit_b1, role=Role.LIAISON
    )
    assert again.pk == assignment.pk and again.active
    changes = [e.changes for e in AuditEvent.objects.filter(action="role.change")]
    assert changes == [
        {"active": {"from": True, "to": False}},
        {"active": {"from": False, "to": True}},
    ]


# ---- the admin ------------------------------------------------------------------------------


def admin_client(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def form(person: Person, organisation_pk: int, role: str = "liaison") -> dict[str, object]:
    return {
        "person": person.pk,
        "organisation": organisation_pk,
        "role": role,
        "committee_seat": "",
        "active": "on",
        "since": "",
        "_save": "Save",
    }


def test_the_admin_grants_and_revokes_through_the_service(
    tree: Tree, cast: Cast, staff_centre: Person
) -> None:
    client = admin_client(staff_centre)
    add = reverse("admin:organisations_roleassignment_add")
    response = client.post(add, form(cast.outsider, tree.unit_a1.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    assignment = RoleAssignment.objects.get(person=cast.outsider)
    event = AuditEvent.objects.get(action="role.grant")
    assert (event.actor, event.subject_id) == (staff_centre, str(assignment.pk))
    delete = reverse("admin:organisations_roleassignment_delete", args=[assignment.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    assert AuditEvent.objects.get(action="role.revoke").actor == staff_centre


def test_the_admin_refuses_another_ministry_and_changes_nothing(
    tree: Tree, cast: Cast, ministry_b: MinistryB, staff_centre: Person
) -> None:
    client = admin_client(staff_centre)
    theirs = RoleAssignment.objects.get(person=ministry_b.liaison)
    change_list = client.get(reverse("admin:organisations_roleassignment_changelist"))
    assert ministry_b.liaison.username not in change_list.content.decode()
    before = table_snapshot()
    add = reverse("admin:organisations_roleassignment_add")
    refused = client.post(add, form(cast.outsider, ministry_b.unit.pk))
    assert refused.status_code == 200 and "errorlist" in refused.content.decode()
    cio = client.post(add, form(cast.outsider, tree.ministry.pk, role="cio"))
    assert cio.status_code == 200 and "errorlist" in cio.content.decode()
    change = reverse("admin:organisations_roleassignment_change", args=[theirs.pk])
    assert client.post(change, form(ministry_b.liaison, tree.unit_a1.pk)).status_code in (302, 404)
    delete = reverse("admin:organisations_roleassignment_delete", args=[theirs.pk])
    client.post(delete, {"post": "yes"})
    organisations_and_people = reverse("admin:organisations_organisation_changelist")
    assert client.get(organisations_and_people).status_code == 403
    assert changed_tables(before, table_snapshot()) == []


def test_the_person_admins_inline_writes_audit_events_too(
    tree: Tree, cast: Cast, root: Person
) -> None:
    client = admin_client(root)
    url = reverse("admin:organisations_person_change", args=[cast.outsider.pk])
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "username": cast.outsider.username,
        "password": cast.outsider.password,
        "display_name": "新同仁",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "role_assignments-TOTAL_FORMS": "1",
        "role_assignments-INITIAL_FORMS": "0",
        "role_assignments-MIN_NUM_FORMS": "0",
        "role_assignments-MAX_NUM_FORMS": "1000",
        "role_assignments-0-organisation": tree.unit_a1.pk,
        "role_assignments-0-role": "auditor",
        "role_assignments-0-committee_seat": "",
        "role_assignments-0-active": "on",
        "_save": "Save",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert RoleAssignment.objects.get(person=cast.outsider).role == Role.AUDITOR
    assert AuditEvent.objects.get(action="role.grant").actor == root
