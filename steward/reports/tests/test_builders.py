"""The report kinds' content: the numbers are the services' own, headings in Chinese, and
bad input (a period with no data, a KPI with no target, a long name) gives a readable
document or a clear error."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import time_machine

from steward.committees import services as committees
from steward.committees.models import Committee, Kind
from steward.conftest import Cast, Tree
from steward.evaluation.models import ImprovementReport, Score
from steward.evaluation.runs import run_evaluation
from steward.feedback.figures import figures_for
from steward.inventory.targets import target_rows
from steward.plans.compare import compare_versions
from steward.plans.models import Plan
from steward.quality.measures.periods import Period
from steward.reports import kinds, periods
from steward.reports.document import Paragraph, ReportDocument
from steward.reports.errors import ReportError
from steward.reports.tests.conftest import at, table, text

Build = Callable[..., Any]


def paragraphs(document: ReportDocument) -> str:
    """The document's sentences (not its tables)."""
    return " ".join(
        block.text for s in document.sections for block in s.blocks if isinstance(block, Paragraph)
    )


# ── periods ──────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("written", "start", "end", "label"),
    [
        ("2026Q4", "2026-10-01", "2026-12-31", "115 年第 4 季"),
        ("2026H1", "2026-01-01", "2026-06-30", "115 年上半年"),
        ("2026H2", "2026-07-01", "2026-12-31", "115 年下半年"),
        ("2026", "2026-01-01", "2026-12-31", "115 年"),
        ("115Q4", "2026-10-01", "2026-12-31", "115 年第 4 季"),
    ],
)
def test_a_period_is_read_as_written(written: str, start: str, end: str, label: str) -> None:
    period = periods.parse(written)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)
    assert periods.label(period) == label


@pytest.mark.parametrize("written", ["2026Q5", "2026H3", "Q4", "abc", "", "20261"])
def test_anything_else_is_refused_saying_how_to_write_a_period(written: str) -> None:
    with pytest.raises(ReportError, match="2026Q4"):
        periods.parse(written)


# ── quarterly progress ───────────────────────────────────────────────────────────────────


@time_machine.travel(at("2026-07-15 10:00"), tick=False)
def test_quarterly_progress_gives_the_feedback_figures_the_feedback_app_computes(
    tree: Tree, build: Build, reply: Callable[..., Any]
) -> None:
    reply(tree.agency_a, "2026-04-02 09:00", "2026-04-03 09:00")  # 1 day
    reply(tree.agency_a, "2026-04-10 09:00", "2026-04-25 09:00")  # late
    reply(tree.agency_b, "2026-05-02 09:00", None)  # overdue now
    document = build("quarterly_progress", tree.ministry, "2026Q2")

    feedback = table(document, "民眾意見")
    rows = {row[0]: row for row in feedback.rows}
    figures = figures_for(tree.agency_a, datetime.date(2026, 4, 1), datetime.date(2026, 7, 1))
    assert rows["甲署"][1:5] == (
        figures.count,
        2,
        len(figures.on_time.numerator),
        figures.on_time.percent,
    )
    assert rows["甲署"][1:5] == (2, 2, 1, figures.on_time.percent)
    assert rows["乙局"][5] == 1  # overdue now
    assert rows["測試部（合計）"][1] == 3
    chart = next(c for c in document.charts() if c.key == "reply_time_distribution")
    assert sorted((r[0], r[1]) for r in chart.table.rows) == [(1, 1), (15, 1)]
    assert "資料集開放與目標值" in text(document)


@time_machine.travel(at("2026-07-15 10:00"), tick=False)
def test_quarterly_progress_shows_targets_as_the_inventory_computes_them(
    tree: Tree, build: Build
) -> None:
    document = build("quarterly_progress", tree.ministry, "2026Q2")
    targets = table(document, "資料集開放情形")
    expected = {r.organisation.name: r for r in target_rows(tree.ministry.subtree(), 2026)}
    by_name = {row[0]: row for row in targets.rows}
    assert by_name["甲署"][3] == expected["甲署"].target == 3
    assert by_name["甲署"][4] == 3  # shortfall: nothing planned
    # No target for 乙局: said, never 0.
    assert by_name["乙局"][3] == "未訂目標"
    assert by_name["乙局"][4] is None


@time_machine.travel(at("2026-07-15 10:00"), tick=False)
def test_a_period_with_no_data_says_so(tree: Tree, build: Build) -> None:
    document = build("quarterly_progress", tree.agency_b, "2026Q1")
    words = text(document)
    assert "本期未收到民眾意見。" in words
    assert "本期無品質檢核結果。" in words
    assert "本期無到期之工作項目。" in words
    for chart in document.charts():
        assert chart.description  # a text alternative even with no data


@time_machine.travel(at("2026-07-15 10:00"), tick=False)
def test_a_sixty_character_organisation_name_is_printed_whole(tree: Tree, build: Build) -> None:
    long_name = "甲" * 60
    tree.agency_a.name = long_name
    tree.agency_a.save()
    document = build("quarterly_progress", tree.agency_a, "2026Q2")
    assert document.organisation == long_name
    assert long_name in document.title


# ── evaluation ───────────────────────────────────────────────────────────────────────────


def test_the_evaluation_report_says_so_when_no_run_exists(tree: Tree, build: Build) -> None:
    document = build("evaluation", tree.ministry, "2026H1")
    assert "尚未辦理" in text(document)
    assert document.charts() == []


@time_machine.travel(at("2026-07-15 10:00"), tick=False)
def test_the_evaluation_report_gives_the_run_s_ranking_and_figures(
    tree: Tree, plan: Plan, build: Build, reply: Callable[..., Any], dataset: Callable[..., Any]
) -> None:
    reply(tree.agency_a, "2026-02-02 09:00", "2026-02-03 09:00")
    dataset(tree.agency_b, "A17020000J-000001", "2026-03-01 09:00")
    dataset(tree.agency_b, "A17020000J-000002", "2026-03-02 09:00")
    run = run_evaluation(plan, Period(2026, "half", 1), by=None)
    document = build("evaluation", tree.ministry, "2026H1")

    ranking = table(document, "排名")
    scores = {s.organisation.name: s for s in Score.objects.filter(run=run)}
    for rank, name, overall, *_rest in ranking.rows:
        assert rank == scores[str(name)].rank
        stored = scores[str(name)].overall
        assert stored is not None
        # two decimals, as the evaluation page shows them
        assert overall == stored.quantize(Decimal("0.01"), ROUND_HALF_UP)
    kpis = table(document, "各機關績效指標達成率")
    replies_b = next(r for r in kpis.rows if r[0] == "乙局" and str(r[1]).startswith("6 日內"))
    assert replies_b[3] == "未訂目標"  # a KPI with no target: said, not 0 %
    assert replies_b[4] == "未訂目標"
    assert "敘獎" in text(document)
    assert "待機關首長核定" in text(document) or "已核定" in text(document)
    chart = next(c for c in document.charts() if c.key == "kpi_achievement_ranked")
    assert {row[0] for row in chart.table.rows} == {"甲署", "乙局"}
    # One year system per document: the run's date and its versions' days in 民國 form.
    words = paragraphs(document)
    assert "115 年 1 月 1 日" in words
    assert not re.search(r"20\d\d-\d\d-\d\d", words)


@time_machine.travel(at("2026-07-15 10:00"), tick=False)
def test_the_improvement_report_form_is_prefilled_with_the_shortfalls(
    tree: Tree, plan: Plan, build: Build
) -> None:
    run_evaluation(plan, Period(2026, "half", 1), by=None)
    report = ImprovementReport.objects.get(organisation=tree.agency_a)
    document = build("improvement_report", tree.agency_a, "2026H1")
    below = table(document, "未達目標之指標")
    assert {row[0] for row in below.rows} == set(report.kpis)
    facts = {row[0]: row[1] for row in table(document, "評估結果").rows}
    assert facts["繳交期限"] == report.due_on
    to_fill = {row[0]: row[1] for row in table(document, "機關填寫").rows}
    assert to_fill["改善措施"] == ""


def test_no_improvement_report_required_is_said(tree: Tree, build: Build) -> None:
    document = build("improvement_report", tree.agency_b, "2026H1")
    assert "無須提出" in text(document)


# ── committee ────────────────────────────────────────────────────────────────────────────


@time_machine.travel(at("2026-05-20 10:00"), tick=False)
def test_the_agenda_and_minutes_are_the_meeting_s_own(
    tree: Tree, cast: Cast, plan: Plan, build: Build
) -> None:
    committees.set_up_from_plan(tree.ministry, by=None)
    advisory = Committee.objects.get(organisation=tree.ministry, kind=Kind.ADVISORY)
    meeting = committees.record_meeting(
        advisory, by=cast.centre, held_on=datetime.date(2026, 5, 20), number="115年第1次會議"
    )
    agenda = build("committee_agenda", tree.ministry, "2026Q2", meeting=meeting.pk)
    rows = table(agenda, "議程").rows
    assert [r[2] for r in rows] == [i.title for i in meeting.agenda.order_by("position")]
    assert "115年第1次會議" in text(agenda)
    assert "115 年 5 月 20 日" in paragraphs(agenda)

    not_yet = build("committee_minutes", tree.ministry, "2026Q2", meeting=meeting.pk)
    assert "尚未記錄" in text(not_yet)
    committees.record_minutes(
        meeting,
        by=cast.centre,
        minutes="一、報告事項：洽悉。",
        decisions={item.pk: committees.DecisionIn("noted") for item in meeting.agenda.all()},
    )
    minutes = build("committee_minutes", tree.ministry, "2026Q2")  # the period's last meeting
    assert "一、報告事項：洽悉。" in text(minutes)
    decisions = table(minutes, "決議").rows
    assert all(row[2] == "洽悉" for row in decisions)


@time_machine.travel(at("2026-06-20 10:00"), tick=False)
def test_the_minutes_are_of_the_organisation_s_own_committee(
    tree: Tree, cast: Cast, plan: Plan, build: Build
) -> None:
    committees.set_up_from_plan(tree.ministry, by=None)
    advisory = Committee.objects.get(organisation=tree.ministry, kind=Kind.ADVISORY)
    agency_group = Committee.objects.create(
        organisation=tree.agency_a, kind=Kind.WORKING_GROUP, name="甲署資料開放工作小組"
    )
    for committee, day, minutes in (
        (advisory, datetime.date(2026, 5, 20), "部諮詢小組紀錄"),
        (agency_group, datetime.date(2026, 6, 10), "甲署工作小組紀錄"),  # later, but an agency's
    ):
        meeting = committees.record_meeting(committee, by=cast.centre, held_on=day, number="1")
        committees.record_minutes(meeting, by=cast.centre, minutes=minutes, decisions={})

    assert "部諮詢小組紀錄" in text(build("committee_minutes", tree.ministry, "2026Q2"))
    assert "甲署工作小組紀錄" in text(build("committee_minutes", tree.agency_a, "2026Q2"))
    # the ministry's working group met in no meeting with minutes this quarter
    group = Committee.objects.create(
        organisation=tree.ministry, kind=Kind.WORKING_GROUP, name="測試部資料開放工作小組"
    )
    chosen = build("committee_minutes", tree.ministry, "2026Q2", committee=group.pk)
    assert "沒有已作成紀錄的會議" in text(chosen)
    assert "部諮詢小組紀錄" not in text(chosen)
    # an agenda names the committee asked for; another organisation's committee is refused
    assert (
        group.name in build("committee_agenda", tree.ministry, "2026Q2", committee=group.pk).title
    )
    with pytest.raises(ReportError, match=str(agency_group.pk)):
        build("committee_agenda", tree.ministry, "2026Q2", committee=agency_group.pk)


def test_an_unknown_meeting_is_a_clear_error(tree: Tree, build: Build) -> None:
    with pytest.raises(ReportError, match="999"):
        build("committee_agenda", tree.ministry, "2026Q2", meeting=999)


# ── amendment table ──────────────────────────────────────────────────────────────────────


def test_the_amendment_table_has_the_seed_s_three_columns(
    tree: Tree, plan: Plan, build: Build
) -> None:
    document = build("amendment_table", tree.ministry, "2026", **{"from": "v1", "to": "v2"})
    found = table(document, "測試部資料開放行動方案")
    assert found.columns == ("修正規定", "現行規定", "說明")
    assert found.widths == (4, 4, 3)
    v1, v2 = plan.versions.order_by("adopted_on")
    assert found.rows == tuple(
        (r.amended, r.current, r.explanation) for r in compare_versions(v1, v2)
    )
    assert found.rows  # the feedback limit changed
    # by default: the version in force at the end of the period against the one before
    assert build("amendment_table", tree.ministry, "2026").tables()[0].rows == found.rows


def test_an_unknown_version_is_a_clear_error(tree: Tree, build: Build) -> None:
    with pytest.raises(ReportError, match="v9"):
        build("amendment_table", tree.ministry, "2026", to="v9")


def test_every_kind_is_registered() -> None:
    assert {k.key for k in kinds.all_kinds()} >= {
        "quarterly_progress",
        "evaluation",
        "committee_agenda",
        "committee_minutes",
        "improvement_report",
        "amendment_table",
    }


def _verdicts(organisation: Any, rows: list[tuple[str, str, int, str]], when: str) -> None:
    """One self-check run of `organisation` with a verdict per (identifier, state, stars, mark)."""
    from steward.quality.models import CheckEntry, CheckKind, CheckResult, CheckRun, RunStatus

    run = CheckRun.objects.create(
        kind=CheckKind.SELF_CHECK, organisation=organisation, source="test",
        status=RunStatus.DONE, finished_at=at(when),
    )  # fmt: skip
    for identifier, state, stars, mark in rows:
        result = CheckResult.objects.create(
            run=run, organisation=organisation, key=f"{identifier}-1", dataset_identifier=identifier,
            title=identifier, state=state, reason="ok" if state == "ok" else "not_found",
            stars=stars, mark=mark, timely=True, checked_at=at(when),
        )  # fmt: skip
        CheckEntry.objects.create(run=run, result=result, checked_at=at(when))


@time_machine.travel(at("2026-07-15 10:00"), tick=False)
def test_quarterly_progress_gives_the_quality_figures_the_quality_app_computes(
    tree: Tree, build: Build
) -> None:
    from steward.quality.measures import measures_for

    _verdicts(
        tree.agency_a,
        [("A-1", "ok", 3, "gold"), ("A-2", "broken", 1, "none"), ("A-3", "ok", 4, "silver")],
        "2026-05-10 10:00",
    )
    _verdicts(tree.agency_a, [("A-1", "ok", 2, "bronze")], "2026-02-10 10:00")  # Q1
    document = build("quarterly_progress", tree.ministry, "2026Q2")
    quality = {row[0]: row for row in table(document, "品質檢核結果").rows}
    measures = measures_for(tree.agency_a, Period(2026, "quarter", 2))
    checked = measures.checked
    assert quality["甲署"][1:6] == (
        len(checked),
        sum(d.counts_in("broken_links") for d in checked),
        sum(d.counts_in("not_timely") for d in checked),
        sum(d.counts_in("wrong_info") for d in checked),
        sum(d.counts_in("three_star") for d in checked),
    )
    assert quality["甲署"][1:3] == (3, 1)
    stars = next(c for c in document.charts() if c.key == "star_distribution")
    assert [row[1] for row in stars.table.rows] == [0, 1, 0, 1, 1, 0]  # the latest verdicts
    marks = next(c for c in document.charts() if c.key == "quality_marks_over_time")
    assert ("115 年第 1 季", "銅標章", 1) in marks.table.rows
    assert ("115 年第 2 季", "金標章", 1) in marks.table.rows


@time_machine.travel(at("2026-07-15 10:00"), tick=False)
def test_quarterly_progress_counts_the_schedule_done_and_late(
    tree: Tree, plan: Plan, build: Build
) -> None:
    from steward.tasks.models import Task, TaskPart, TaskStatus

    version = plan.versions.order_by("adopted_on").first()
    assert version is not None
    common = {"version": version, "organisation": tree.agency_a, "part": TaskPart.LEAD}
    Task.objects.create(
        key="t1", title="盤點", due_date=datetime.date(2026, 4, 30), year=2026,
        status=TaskStatus.SIGNED_OFF, completed_at=at("2026-04-28 10:00"), **common,
    )  # fmt: skip
    Task.objects.create(
        key="t2", title="檢核", due_date=datetime.date(2026, 5, 31), year=2026,
        status=TaskStatus.DONE, completed_at=at("2026-06-03 10:00"), **common,
    )  # fmt: skip
    Task.objects.create(
        key="t3", title="會議", due_date=datetime.date(2026, 6, 30), year=2026, **common
    )
    document = build("quarterly_progress", tree.agency_a, "2026Q2")
    assert "本期到期工作 3 項：已完成 2 項，逾期 2 項。" in text(document)
    timeline = next(c for c in document.charts() if c.key == "schedule_timeline")
    assert [row[3] for row in timeline.table.rows] == [
        "如期或尚未到期",
        "逾期（逾期完成或逾期未完成）",
        "逾期（逾期完成或逾期未完成）",
    ]
