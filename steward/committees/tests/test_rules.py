"""The plan's rules applied: the composition rule (MOJ: at least 4 civil representatives), the
meeting cadence (quarterly), and the two measures computed from these records."""

from __future__ import annotations

import datetime

from steward.committees import services
from steward.committees.models import Seat
from steward.committees.rules import PeriodState, cadence, composition
from steward.committees.tests.conftest import CIVIL_RULE, TODAY, Committees
from steward.conftest import Cast, MinistryB, Tree
from steward.evaluation.registry import MeasureContext, get
from steward.plans.models import PlanVersion

JAN = datetime.date(2026, 1, 1)


def _seat(
    cast: Cast,
    committees: Committees,
    name: str,
    seat: str = Seat.CIVIL,
    since: datetime.date = JAN,
    until: datetime.date | None = None,
) -> None:
    services.add_member(
        committees.advisory, by=cast.centre, seat=seat, since=since, until=until, name=name
    )


def test_three_civil_representatives_break_the_rule_and_the_rule_is_quoted(
    cast: Cast, committees: Committees
) -> None:
    _seat(cast, committees, "召集人", Seat.CHAIR)
    for name in ("民代甲", "民代乙", "民代丙"):
        _seat(cast, committees, name)

    result = composition(committees.advisory, on=TODAY)

    assert result.civil == 3
    assert not result.ok
    assert "民間代表至少 4 位" in result.problems[0]
    assert result.rule_text == CIVIL_RULE


def test_four_civil_representatives_meet_the_rule(cast: Cast, committees: Committees) -> None:
    for name in ("民代甲", "民代乙", "民代丙", "民代丁"):
        _seat(cast, committees, name)
    assert composition(committees.advisory, on=TODAY).ok


def test_seats_count_only_between_their_first_and_last_day(
    cast: Cast, committees: Committees
) -> None:
    for name in ("民代甲", "民代乙", "民代丙"):
        _seat(cast, committees, name)
    _seat(cast, committees, "民代丁", until=datetime.date(2026, 6, 30))
    _seat(cast, committees, "民代戊", since=datetime.date(2026, 9, 1))

    assert composition(committees.advisory, on=datetime.date(2026, 6, 30)).civil == 4
    assert composition(committees.advisory, on=datetime.date(2026, 7, 1)).civil == 3
    assert composition(committees.advisory, on=datetime.date(2026, 9, 1)).civil == 4


def test_the_civil_representatives_measure_counts_seats_at_the_end_of_the_period(
    tree: Tree, cast: Cast, committees: Committees
) -> None:
    for name in ("民代甲", "民代乙", "民代丙"):
        _seat(cast, committees, name)
    _seat(cast, committees, "民代丁", until=datetime.date(2026, 6, 30))
    measure = get("civil_representatives").function

    first_half = measure(MeasureContext(tree.ministry, JAN, datetime.date(2026, 6, 30)))
    year = measure(MeasureContext(tree.ministry, JAN, datetime.date(2026, 12, 31)))

    assert first_half.value == 4
    assert year.value == 3
    assert sorted(c.label.split(" · ")[0] for c in year.counted) == sorted(
        ["民代甲", "民代乙", "民代丙"]
    )


def test_no_committee_is_no_data_not_zero(ministry_b: MinistryB) -> None:
    figure = get("civil_representatives").function(
        MeasureContext(ministry_b.ministry, JAN, datetime.date(2026, 12, 31))
    )
    assert figure.no_data
    figure = get("working_group_meetings").function(
        MeasureContext(ministry_b.agency, JAN, datetime.date(2026, 12, 31))
    )
    assert figure.no_data


def test_quarterly_cadence_shows_held_overdue_due_and_to_come(
    cast: Cast, committees: Committees
) -> None:
    group = committees.group_a
    services.record_meeting(group, by=cast.centre, held_on=datetime.date(2026, 2, 10))
    services.record_meeting(group, by=cast.centre, held_on=datetime.date(2026, 11, 10))

    result = cadence(group, 2026, today=TODAY)

    assert result.expected == 4
    assert [p.state for p in result.periods] == [
        PeriodState.HELD,  # Q1: 2/10
        PeriodState.OVERDUE,  # Q2 ended without a meeting
        PeriodState.DUE,  # Q3 runs (8/20) without one
        PeriodState.UPCOMING,  # Q4: the 11/10 meeting is still to come
    ]
    assert [p.start for p in result.periods] == [
        datetime.date(2026, 1, 1),
        datetime.date(2026, 4, 1),
        datetime.date(2026, 7, 1),
        datetime.date(2026, 10, 1),
    ]
    assert result.periods[1].end == datetime.date(2026, 6, 30)
    assert len(result.held) == 1
    assert result.short_by == 3


def test_twice_a_year_gives_halves(cast: Cast, committees: Committees, plan: PlanVersion) -> None:
    plan.document = {"rules": {"committee": {"meetings_per_year": 2, "meetings_at_least": True}}}
    plan.save()
    services.record_meeting(committees.advisory, by=cast.centre, held_on=datetime.date(2026, 3, 5))
    result = cadence(committees.advisory, 2026, today=TODAY)
    assert [p.state for p in result.periods] == [PeriodState.HELD, PeriodState.DUE]
    assert result.rule.at_least


def test_working_group_meetings_count_the_period_and_drill_down(
    tree: Tree, cast: Cast, committees: Committees
) -> None:
    held = [datetime.date(2026, 2, 10), datetime.date(2026, 5, 12), datetime.date(2026, 8, 3)]
    meetings = [
        services.record_meeting(committees.group_a, by=cast.head, held_on=day) for day in held
    ]
    services.record_meeting(committees.group_b, by=cast.centre, held_on=datetime.date(2026, 3, 1))
    services.record_meeting(committees.group_a, by=cast.head, held_on=datetime.date(2026, 11, 1))
    measure = get("working_group_meetings").function

    year = measure(MeasureContext(tree.agency_a, JAN, datetime.date(2026, 12, 31)))
    first_half = measure(MeasureContext(tree.agency_a, JAN, datetime.date(2026, 6, 30)))
    everybody = measure(
        MeasureContext(tree.ministry, JAN, datetime.date(2026, 12, 31), include_subtree=True)
    )

    assert year.value == 3  # the November meeting has not taken place yet
    assert [c.url for c in year.counted] == [m.get_absolute_url() for m in meetings]
    assert first_half.value == 2
    assert everybody.value == 4


def test_a_working_group_that_never_met_counts_zero(tree: Tree, committees: Committees) -> None:
    figure = get("working_group_meetings").function(
        MeasureContext(tree.agency_b, JAN, datetime.date(2026, 12, 31))
    )
    assert figure.value == 0
    assert not figure.no_data
