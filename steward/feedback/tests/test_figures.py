"""Figures per agency and period: MOL's share within 6 days (the 6th included), the bonus share,
median and 90th-percentile reply time, the overdue list, each with the items it counted."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

import time_machine

from steward.conftest import Cast, Tree
from steward.feedback import services
from steward.feedback.figures import figures_for
from steward.feedback.models import Channel, FeedbackItem, Kind

TAIPEI = ZoneInfo("Asia/Taipei")
Q1 = (datetime.date(2026, 1, 1), datetime.date(2026, 4, 1))


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=TAIPEI)


def answered(cast: Cast, tree: Tree, received: str, replied: str | None) -> FeedbackItem:
    with time_machine.travel(at(received), tick=False):
        item = services.enter(
            by=cast.centre, kind=Kind.COMMENT, text="意見", organisation=tree.unit_a1,
            received_at=at(received), channel=Channel.NATIONAL_PORTAL,
        )  # fmt: skip
    if replied is not None:
        with time_machine.travel(at(replied), tick=False):
            services.draft_reply(item, by=cast.liaison, text="回復")
            item = services.send_reply(item, by=cast.liaison)
    return item


def test_mol_share_counts_the_sixth_day_and_lists_the_items(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    # Received Fri 13 Feb (Lunar New Year next week): the 6th day is Thu 19 Feb.
    fast = answered(cast, tree, "2026-02-13T10:00", "2026-02-16T10:00")  # 3 days: bonus
    last_minute = answered(cast, tree, "2026-02-13T10:00", "2026-02-19T23:59")  # day 6: on time
    late = answered(cast, tree, "2026-02-13T10:00", "2026-02-20T00:00")  # day 7: late
    never = answered(cast, tree, "2026-03-02T10:00", None)  # due 8 March, still open
    figures = figures_for(tree.agency_a, *Q1, now=at("2026-03-31T12:00"))
    assert figures.count == 4
    assert figures.on_time.numerator == [fast, last_minute]
    assert figures.on_time.denominator == [fast, last_minute, late, never]
    assert figures.on_time.percent == Decimal("50.0")
    assert figures.faster_than_limit.numerator == [fast]
    assert figures.faster_than_limit.percent == Decimal("25.0")
    assert figures.overdue == [never]
    # Reply hours 72, 157.98 (≈158.0), 158: median of three is 158.0, p90 is the largest.
    assert figures.median_reply.hours == Decimal("158.0")
    assert figures.p90_reply.hours == Decimal("158.0")
    assert figures.median_reply.items == [fast, last_minute, late]


def test_a_period_with_no_items_has_no_figure_rather_than_zero_or_a_hundred(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    answered(cast, tree, "2026-02-13T10:00", "2026-02-16T10:00")
    empty = figures_for(tree.agency_a, datetime.date(2026, 4, 1), datetime.date(2026, 7, 1))
    assert empty.count == 0
    assert empty.on_time.percent is None
    assert empty.faster_than_limit.percent is None
    assert empty.median_reply.hours is None and empty.p90_reply.hours is None


def test_figures_of_an_agency_leave_out_other_agencies_and_other_periods(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    ours = answered(cast, tree, "2026-03-31T23:59", None)
    answered(cast, tree, "2026-04-01T00:00", None)  # Q2
    with time_machine.travel(at("2026-03-05T10:00"), tick=False):
        services.enter(
            by=cast.centre, kind=Kind.COMMENT, text="乙局", organisation=tree.unit_b1,
            received_at=at("2026-03-05T10:00"), channel=Channel.LETTER,
        )  # fmt: skip
    figures = figures_for(tree.agency_a, *Q1, now=at("2026-04-02T00:00"))
    assert figures.items == [ours]
    assert figures.on_time.percent == Decimal("0.0")
    assert figures.overdue == []  # due 6 April
    assert figures.notes  # says the open item counts against until answered


def test_p90_is_a_real_reply_time_by_nearest_rank(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    for day in range(1, 11):  # ten replies, taking 1 … 10 hours
        answered(cast, tree, f"2026-01-{day:02d}T08:00", f"2026-01-{day:02d}T{8 + day:02d}:00")
    figures = figures_for(tree.agency_a, *Q1)
    assert figures.median_reply.hours == Decimal("5.5")
    assert figures.p90_reply.hours == Decimal("9.0")
    assert figures.on_time.percent == Decimal("100.0")
