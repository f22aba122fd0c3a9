"""The one scoping rule, tested for every role: what each person sees and may change."""

from __future__ import annotations

import pytest

from steward.conftest import Cast, Tree
from steward.organisations.models import Organisation, Person, Role
from steward.organisations.scope import (
    ROLE_ACTIONS,
    Action,
    can,
    organisations_for,
    people_who_can,
    require,
)


def keys(queryset: object) -> set[str]:
    return {organisation.key for organisation in queryset}  # type: ignore[attr-defined]


ALL = {"t-ministry", "t-centre", "t-agency-a", "t-unit-a1", "t-agency-b", "t-unit-b1"}

# Who sees what: local roles see their own subtree, ministry-wide roles the whole ministry.
VISIBLE = {
    "liaison": {"t-unit-a1"},
    "reviewer": {"t-unit-a1"},
    "other_reviewer": {"t-unit-b1"},
    "other_liaison": {"t-unit-b1"},
    "centre": ALL,
    "cio": ALL,
    "head": {"t-agency-a", "t-unit-a1"},
    "committee_civil": ALL,
    "auditor": {"t-agency-a", "t-unit-a1"},
    "outsider": set(),
}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_each_role_sees_exactly_its_own_subtree(cast: Cast, who: str) -> None:
    person = getattr(cast, who)
    assert keys(organisations_for(person, Action.VIEW)) == VISIBLE[who]


# (person, action, organisation attribute, allowed?)
DECISIONS = [
    ("liaison", Action.DATASET_DRAFT, "unit_a1", True),
    ("liaison", Action.DATASET_DRAFT, "unit_b1", False),
    ("liaison", Action.DATASET_UNIT_REVIEW, "unit_a1", False),
    ("reviewer", Action.DATASET_UNIT_REVIEW, "unit_a1", True),
    ("reviewer", Action.DATASET_DRAFT, "unit_a1", False),
    ("other_reviewer", Action.DATASET_UNIT_REVIEW, "unit_a1", False),
    ("centre", Action.DATASET_CENTRE_REVIEW, "unit_b1", True),
    ("centre", Action.DATASET_APPROVE, "unit_b1", False),
    ("cio", Action.DATASET_APPROVE, "unit_a1", True),
    ("cio", Action.INVENTORY_APPROVE, "ministry", True),
    ("cio", Action.DATASET_DRAFT, "unit_a1", False),
    ("head", Action.WITHDRAWAL_APPROVE, "unit_a1", True),
    ("head", Action.WITHDRAWAL_APPROVE, "unit_b1", False),
    ("committee_civil", Action.DATASET_COMMITTEE_DECISION, "agency_b", True),
    ("committee_civil", Action.DATASET_APPROVE, "agency_b", False),
    ("auditor", Action.VIEW, "unit_a1", True),
    ("auditor", Action.INVENTORY_EDIT, "unit_a1", False),
    ("auditor", Action.VIEW, "agency_b", False),
    ("outsider", Action.VIEW, "ministry", False),
]


@pytest.mark.parametrize(("who", "action", "where", "allowed"), DECISIONS)
def test_each_role_may_do_only_its_own_work_in_its_own_subtree(
    cast: Cast, tree: Tree, who: str, action: Action, where: str, allowed: bool
) -> None:
    person = getattr(cast, who)
    organisation: Organisation = getattr(tree, where)
    assert can(person, action, organisation) is allowed
    if not allowed:
        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied):
            require(person, action, organisation)


def test_every_role_has_an_action_table_entry() -> None:
    assert set(ROLE_ACTIONS) == set(Role)


def test_a_person_with_two_roles_in_two_agencies_gets_both(cast: Cast, tree: Tree) -> None:
    from steward.organisations.factories import RoleAssignmentFactory

    RoleAssignmentFactory.create(person=cast.liaison, organisation=tree.unit_b1, role=Role.LIAISON)
    assert keys(organisations_for(cast.liaison, Action.DATASET_DRAFT)) == {"t-unit-a1", "t-unit-b1"}


def test_an_inactive_assignment_grants_nothing(cast: Cast, tree: Tree) -> None:
    cast.reviewer.role_assignments.update(active=False)
    assert not can(cast.reviewer, Action.DATASET_UNIT_REVIEW, tree.unit_a1)


def test_a_superuser_may_do_everything(tree: Tree) -> None:
    admin = Person.objects.create_superuser("root", "root@example.gov.tw", "x")
    assert can(admin, Action.DATASET_APPROVE, tree.unit_b1)
    assert keys(organisations_for(admin)) == ALL


def test_who_must_act_next_is_found_by_scope(cast: Cast, tree: Tree) -> None:
    assert set(people_who_can(Action.DATASET_UNIT_REVIEW, tree.unit_a1)) == {cast.reviewer}
    assert set(people_who_can(Action.DATASET_CENTRE_REVIEW, tree.unit_b1)) == {cast.centre}
    assert set(people_who_can(Action.WITHDRAWAL_APPROVE, tree.unit_a1)) == {cast.head}
    assert set(people_who_can(Action.WITHDRAWAL_APPROVE, tree.unit_b1)) == set()


# Reports are of an agency, whoever in it asks: a role held in a unit reaches its agency.
REPORTS_VISIBLE = {
    "liaison": {"t-agency-a", "t-unit-a1"},
    "reviewer": {"t-agency-a", "t-unit-a1"},
    "other_liaison": {"t-agency-b", "t-unit-b1"},
    "head": {"t-agency-a", "t-unit-a1"},
    "centre": ALL,
    "outsider": set(),
}


@pytest.mark.parametrize("who", sorted(REPORTS_VISIBLE))
def test_an_agencys_reports_reach_the_roles_in_its_units(cast: Cast, who: str) -> None:
    person = getattr(cast, who)
    assert keys(organisations_for(person, Action.REPORT_VIEW)) == REPORTS_VISIBLE[who]
    # only reports: what they may see and do otherwise stays their unit's
    assert keys(organisations_for(person, Action.VIEW)) == VISIBLE[who]


def test_a_unit_of_the_ministry_keeps_its_own_subtree_for_reports(tree: Tree) -> None:
    from steward.organisations.factories import PersonFactory, RoleAssignmentFactory

    centre_unit = Organisation.objects.get(key="t-centre")
    liaison = PersonFactory.create(username="ministry_liaison")
    RoleAssignmentFactory.create(person=liaison, organisation=centre_unit, role=Role.LIAISON)
    assert keys(organisations_for(liaison, Action.REPORT_VIEW)) == {"t-centre"}
    assert not can(liaison, Action.REPORT_VIEW, tree.agency_a)


def test_who_may_see_an_agencys_reports_includes_its_units_roles(cast: Cast, tree: Tree) -> None:
    readers = set(people_who_can(Action.REPORT_VIEW, tree.agency_a))
    assert {cast.liaison, cast.reviewer, cast.head, cast.auditor, cast.centre} <= readers
    assert not {cast.other_liaison, cast.other_reviewer, cast.outsider} & readers


def test_moving_an_organisation_moves_its_subtree(tree: Tree) -> None:
    tree.agency_a.parent = tree.agency_b
    tree.agency_a.save()
    tree.unit_a1.refresh_from_db()
    assert tree.unit_a1.is_within(tree.agency_b)
    assert tree.unit_a1.agency == tree.agency_a
