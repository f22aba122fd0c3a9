"""Scheduled reports: at the plan's cadence the worker builds each report due once, stores
it with its inputs' version, e-mails a link to those concerned, and builds it again only
when its inputs changed (late data)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import time_machine
from django.core import mail

from steward.committees import services as committees
from steward.committees.models import Committee, Kind
from steward.conftest import Cast, Tree
from steward.evaluation.runs import run_evaluation
from steward.jobs.models import Job
from steward.jobs.scheduler import tick
from steward.jobs.services import run_next
from steward.plans.models import Plan
from steward.quality.measures.periods import Period
from steward.reports import jobs, services
from steward.reports.models import StoredReport
from steward.reports.tests.conftest import at


def run_day(day: str, capture: Any) -> list[Job]:
    """A worker's tick on `day`, and the report jobs it queued, run here."""
    done = []
    with time_machine.travel(at(f"{day} 06:00"), tick=False):
        tick()
        with capture(execute=True):
            while (job := run_next(worker="test", kinds=[jobs.SCHEDULE])) is not None:
                done.append(job)
    return done


def keys() -> set[tuple[str, str, str]]:
    return {
        (r.kind, r.organisation.key, r.period)
        for r in StoredReport.objects.select_related("organisation")
    }


def test_each_report_due_is_stored_once_and_sent_as_a_link(
    tree: Tree,
    cast: Cast,
    plan: Plan,
    reply: Callable[..., Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(at("2026-07-01 09:00"), tick=False):
        run_evaluation(plan, Period(2026, "half", 1), by=None)
    mail.outbox.clear()

    (job,) = run_day("2026-07-02", django_capture_on_commit_callbacks)
    assert job.status == "done", job.error if hasattr(job, "error") else job
    assert keys() == {
        ("quarterly_progress", "t-ministry", "2026Q2"),
        ("quarterly_progress", "t-agency-a", "2026Q2"),
        ("quarterly_progress", "t-agency-b", "2026Q2"),
        ("evaluation", "t-ministry", "2026H1"),
    }
    stored = StoredReport.objects.get(kind="evaluation")
    assert stored.requested_by is None
    assert stored.format == "odt"
    assert stored.file.read()[:2] == b"PK"
    asked = services.ask("evaluation", tree.ministry, "2026H1", "odt", by=None)
    assert stored.inputs_version == services.build(asked).inputs_version
    to_centre = [m for m in mail.outbox if m.to == [cast.centre.email]]
    assert len(to_centre) == 4
    letter = next(m for m in to_centre if stored.title in m.subject)
    assert f"/reports/stored/{stored.pk}/" in letter.body
    # Nobody who may not see a report is sent it: unit A1's liaison is sent agency A's own
    # report (its units' people see their agency's reports), not the ministry's or B's.
    to_liaison = [m.subject for m in mail.outbox if m.to == [cast.liaison.email]]
    agency_a = StoredReport.objects.get(organisation=tree.agency_a)
    assert to_liaison == [f"報告：{agency_a.title}"]

    # The next day: nothing changed, nothing built or sent again.
    mail.outbox.clear()
    run_day("2026-07-03", django_capture_on_commit_callbacks)
    assert StoredReport.objects.count() == 4
    assert mail.outbox == []

    # Late data for agency A's quarter: its report and the ministry's are made again.
    reply(tree.agency_a, "2026-06-20 09:00", "2026-06-22 09:00")
    run_day("2026-07-04", django_capture_on_commit_callbacks)
    again = StoredReport.objects.filter(created_at__date__gte=datetime.date(2026, 7, 4))
    assert {(r.kind, r.organisation.key) for r in again.select_related("organisation")} == {
        ("quarterly_progress", "t-agency-a"),
        ("quarterly_progress", "t-ministry"),
    }
    assert len([m for m in mail.outbox if m.to == [cast.centre.email]]) == 2
    assert [m.subject for m in mail.outbox if m.to == [cast.liaison.email]] == [
        f"報告：{again.get(organisation=tree.agency_a).title}"
    ]
    assert not [m for m in mail.outbox if m.to == [cast.other_liaison.email]]


def test_minutes_are_sent_once_recorded(
    tree: Tree, cast: Cast, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    committees.set_up_from_plan(tree.ministry, by=None)
    advisory = Committee.objects.get(organisation=tree.ministry, kind=Kind.ADVISORY)
    with time_machine.travel(at("2026-08-10 10:00"), tick=False):
        meeting = committees.record_meeting(
            advisory, by=cast.centre, held_on=datetime.date(2026, 8, 10), number="第2次會議"
        )
    run_day("2026-08-11", django_capture_on_commit_callbacks)
    assert not StoredReport.objects.filter(kind="committee_minutes").exists()  # not recorded
    with time_machine.travel(at("2026-08-12 10:00"), tick=False):
        committees.record_minutes(
            meeting,
            by=cast.centre,
            minutes="洽悉。",
            decisions={i.pk: committees.DecisionIn("noted") for i in meeting.agenda.all()},
        )
    run_day("2026-08-13", django_capture_on_commit_callbacks)
    minutes = StoredReport.objects.get(kind="committee_minutes")
    assert minutes.options == {"meeting": meeting.pk}
    assert minutes.period == "2026Q3"
    run_day("2026-08-14", django_capture_on_commit_callbacks)
    assert StoredReport.objects.filter(kind="committee_minutes").count() == 1


def test_a_report_that_cannot_be_made_does_not_stop_the_others(
    tree: Tree, plan: Plan, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from dataclasses import replace

    from steward.reports import kinds

    real = kinds.get("quarterly_progress")
    assert real is not None

    def broken_for_agency_b(request: kinds.ReportRequest) -> Any:
        if request.organisation.key == "t-agency-b":
            raise RuntimeError("a fault injected for the test")
        return real.builder(request)

    monkeypatch.setitem(
        kinds._KINDS, "quarterly_progress", replace(real, builder=broken_for_agency_b)
    )
    with time_machine.travel(at("2026-07-02 06:00"), tick=False):
        result = jobs.run_schedule()
    assert result["failed"] == ["quarterly_progress t-agency-b 2026Q2 {}"]
    assert keys() == {
        ("quarterly_progress", "t-ministry", "2026Q2"),
        ("quarterly_progress", "t-agency-a", "2026Q2"),
    }
