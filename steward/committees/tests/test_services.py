"""Committees and membership through the services: set-up from the plan, who may keep whose
records, and refusals that change nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from steward.audit.models import AuditEvent
from steward.committees import services
from steward.committees.models import Committee, Kind, Member, Seat
from steward.committees.tests.conftest import Committees
from steward.conftest import Cast, MinistryB, Tree, table_snapshot
from steward.organisations.models import Role
from steward.organisations.services import grant_role
from steward.plans.models import PlanVersion

DAY = datetime.date(2026, 1, 1)


def test_the_plan_gives_an_advisory_committee_and_a_working_group_per_agency(
    tree: Tree, cast: Cast, plan: PlanVersion
) -> None:
    created = services.set_up_from_plan(tree.ministry, by=cast.centre)

    kinds = sorted((c.organisation.key, c.kind) for c in created)
    assert kinds == [
        ("t-agency-a", Kind.WORKING_GROUP),
        ("t-agency-b", Kind.WORKING_GROUP),
        ("t-ministry", Kind.ADVISORY),
        ("t-ministry", Kind.WORKING_GROUP),
    ]
    assert AuditEvent.objects.filter(action="committee.setup").count() == 1
    assert services.set_up_from_plan(tree.ministry, by=cast.centre) == []
    assert Committee.objects.count() == 4


def test_a_plan_without_a_working_group_rule_gives_only_the_committee(
    tree: Tree, cast: Cast, plan: PlanVersion
) -> None:
    plan.document = {"rules": {"committee": {"meetings_per_year": 2}}}
    plan.save()
    created = services.set_up_from_plan(tree.ministry, by=cast.centre)
    assert [c.kind for c in created] == [Kind.ADVISORY]


@pytest.mark.parametrize("who", ["liaison", "reviewer", "cio", "head", "committee_civil"])
def test_only_the_information_centre_sets_committees_up(
    tree: Tree, cast: Cast, plan: PlanVersion, who: str
) -> None:
    before = table_snapshot()
    with pytest.raises(PermissionDenied):
        services.set_up_from_plan(tree.ministry, by=getattr(cast, who))
    assert table_snapshot() == before


def test_the_centre_seats_a_civil_representative_by_name(
    cast: Cast, committees: Committees
) -> None:
    member = services.add_member(
        committees.advisory,
        by=cast.centre,
        seat=Seat.CIVIL,
        since=DAY,
        name="林美惠",
        affiliation="台灣開放資料協會",
    )
    assert member.person is None
    assert (member.name, member.seat, member.affiliation) == (
        "林美惠",
        Seat.CIVIL,
        "台灣開放資料協會",
    )
    assert AuditEvent.objects.filter(action="committee.member_add").count() == 1


@pytest.mark.parametrize("who", ["liaison", "head", "cio", "committee_civil", "auditor"])
def test_nobody_but_the_centre_edits_the_advisory_committee(
    cast: Cast, committees: Committees, who: str
) -> None:
    before = table_snapshot()
    with pytest.raises(PermissionDenied):
        services.add_member(
            committees.advisory, by=getattr(cast, who), seat=Seat.CIVIL, since=DAY, name="林美惠"
        )
    assert table_snapshot() == before


def test_the_head_of_agency_keeps_its_own_working_group_only(
    cast: Cast, committees: Committees
) -> None:
    services.add_member(
        committees.group_a, by=cast.head, seat=Seat.CHAIR, since=DAY, name="甲署副署長"
    )
    before = table_snapshot()
    with pytest.raises(PermissionDenied):
        services.add_member(
            committees.group_b, by=cast.head, seat=Seat.CHAIR, since=DAY, name="乙局副局長"
        )
    assert table_snapshot() == before


def test_another_ministry_cannot_touch_our_committee(
    committees: Committees, ministry_b: MinistryB
) -> None:
    before = table_snapshot()
    for person in ministry_b.people:
        with pytest.raises(PermissionDenied):
            services.add_member(
                committees.advisory, by=person, seat=Seat.CIVIL, since=DAY, name="牆外的人"
            )
        with pytest.raises(PermissionDenied):
            services.record_meeting(committees.advisory, by=person, held_on=DAY)
    assert table_snapshot() == before


def test_a_member_with_an_account_holds_the_committee_role(
    tree: Tree, cast: Cast, committees: Committees
) -> None:
    with pytest.raises(ValidationError, match="請先授予角色"):
        services.add_member(
            committees.advisory, by=cast.centre, seat=Seat.AGENCY, since=DAY, person=cast.reviewer
        )
    grant_role(
        by=None,
        person=cast.reviewer,
        organisation=tree.ministry,
        role=Role.COMMITTEE_MEMBER,
        committee_seat="agency",
    )
    member = services.add_member(
        committees.advisory, by=cast.centre, seat=Seat.AGENCY, since=DAY, person=cast.reviewer
    )
    assert member.name == str(cast.reviewer)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"seat": "president", "name": "某人"}, "seat"),
        ({"seat": Seat.CIVIL, "name": "  "}, "name"),
        ({"seat": Seat.CIVIL, "name": "某人", "until": datetime.date(2025, 12, 31)}, "until"),
    ],
)
def test_bad_member_input_is_refused_field_by_field(
    cast: Cast, committees: Committees, values: dict[str, object], field: str
) -> None:
    before = table_snapshot()
    with pytest.raises(ValidationError) as refused:
        services.add_member(committees.advisory, by=cast.centre, since=DAY, **values)  # type: ignore[arg-type]
    assert field in refused.value.message_dict
    assert table_snapshot() == before


def test_the_same_person_cannot_hold_two_seats_at_once(cast: Cast, committees: Committees) -> None:
    services.add_member(
        committees.advisory, by=cast.centre, seat=Seat.CIVIL, since=DAY, name="林美惠"
    )
    with pytest.raises(ValidationError, match="已在本小組任職"):
        services.add_member(
            committees.advisory,
            by=cast.centre,
            seat=Seat.ACADEMIC,
            since=datetime.date(2026, 3, 1),
            name="林美惠",
        )


def test_ending_a_seat_keeps_it_until_that_day(cast: Cast, committees: Committees) -> None:
    member = services.add_member(
        committees.advisory, by=cast.centre, seat=Seat.CIVIL, since=DAY, name="林美惠"
    )
    with pytest.raises(ValidationError):
        services.end_membership(member, by=cast.centre, until=datetime.date(2025, 6, 30))
    services.end_membership(member, by=cast.centre, until=datetime.date(2026, 6, 30))
    member.refresh_from_db()
    assert member.until == datetime.date(2026, 6, 30)
    with pytest.raises(services.CommitteeError, match="已於"):
        services.end_membership(member, by=cast.centre, until=datetime.date(2026, 7, 30))
    assert Member.objects.count() == 1
