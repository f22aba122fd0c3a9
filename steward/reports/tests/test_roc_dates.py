"""Every date a civil servant reads in an agenda or minutes is 民國: the feedback summary item
the committee's agenda makes wrote 「民眾意見，2026-08-11 至 2026-12-05」 (and the minutes PDF
broke it as 「202 / 6-08-14」)."""

from __future__ import annotations

import datetime
import importlib
import re
from collections.abc import Callable
from typing import Any

import time_machine
from django.apps import apps

from steward.committees import services as committees
from steward.committees.models import AgendaItem, Committee, ItemKind, Kind
from steward.conftest import Cast, Tree
from steward.plans.models import Plan
from steward.reports.tests.conftest import at, table, text

Build = Callable[..., Any]
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@time_machine.travel(at("2026-08-14 10:00"), tick=False)
def test_the_agenda_and_minutes_write_the_feedback_period_in_roc_dates(
    tree: Tree, cast: Cast, plan: Plan, build: Build
) -> None:
    committees.set_up_from_plan(tree.ministry, by=None)
    advisory = Committee.objects.get(organisation=tree.ministry, kind=Kind.ADVISORY)
    committees.record_meeting(
        advisory, by=cast.centre, held_on=datetime.date(2026, 5, 14), number="第1次會議"
    )
    meeting = committees.record_meeting(
        advisory, by=cast.centre, held_on=datetime.date(2026, 8, 14), number="第2次會議"
    )
    agenda = build("committee_agenda", tree.ministry, "2026Q3", meeting=meeting.pk)
    summary = next(row for row in table(agenda, "議程").rows if row[1] == "本期民眾意見")
    assert summary[2] == "民眾意見，115 年 5 月 15 日 至 115 年 8 月 14 日"
    assert str(summary[3]).startswith("115 年 5 月 15 日 至 115 年 8 月 14 日 共收到")
    committees.record_minutes(
        meeting,
        by=cast.centre,
        minutes="一、報告事項：洽悉。",
        decisions={item.pk: committees.DecisionIn("noted") for item in meeting.agenda.all()},
    )
    minutes = build("committee_minutes", tree.ministry, "2026Q3", meeting=meeting.pk)
    for document in (agenda, minutes):
        assert ISO_DAY.findall(text(document)) == []


def test_agendas_recorded_before_are_rewritten_in_roc_dates(
    tree: Tree, cast: Cast, plan: Plan
) -> None:
    committees.set_up_from_plan(tree.ministry, by=None)
    advisory = Committee.objects.get(organisation=tree.ministry, kind=Kind.ADVISORY)
    with time_machine.travel(at("2026-08-14 10:00"), tick=False):
        meeting = committees.record_meeting(
            advisory, by=cast.centre, held_on=datetime.date(2026, 8, 14), number="第1次會議"
        )
    item = meeting.agenda.get(kind=ItemKind.FEEDBACK_SUMMARY)
    english = AgendaItem.objects.create(
        meeting=meeting, position=99, kind=ItemKind.FEEDBACK_SUMMARY,
        title="Public feedback, 2026-01-01 to 2026-08-14", summary="from 2026-01-01",
    )  # fmt: skip
    AgendaItem.objects.filter(pk=item.pk).update(
        title="民眾意見，2026-01-01 至 2026-08-14",
        summary="2026-01-01 至 2026-08-14 共收到 0 件；時限內回復比率：無資料；目前逾期 0 件。",
    )
    migration = importlib.import_module(
        "steward.committees.migrations.0002_feedback_summary_dates_in_roc"
    )
    migration.forwards(apps, None)
    item.refresh_from_db()
    english.refresh_from_db()
    assert item.title == "民眾意見，115 年 1 月 1 日 至 115 年 8 月 14 日"
    assert item.summary.startswith("115 年 1 月 1 日 至 115 年 8 月 14 日 共收到 0 件")
    assert english.title == "Public feedback, 2026-01-01 to 2026-08-14"  # not Chinese: kept
