"""Scheduled reports: built at the plan's cadence, stored with their inputs' version and
e-mailed to those concerned.

* `reports.schedule` (periodic, daily) runs `run_schedule`, which for every plan builds:
  - the quarterly progress report (季報) of the ministry and of each agency, for the quarter
    that has ended;
  - the evaluation report of the ministry, at the plan's evaluation cadence (half-yearly or
    yearly), for the period that has ended, once the information centre has run it;
  - the minutes (會議紀錄) of each meeting of its committees whose minutes were recorded in
    the last `MINUTES_WITHIN_DAYS` days.
  Each (kind, organisation, period, options) is stored once: built again only when its
  inputs changed (`ReportDocument.inputs_version`; late data), and each stored report is
  e-mailed as a link to the information centre and the organisation's own people who may
  see it.
The job's unique key names the day, so several workers ticking at once queue one job.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.committees.models import Meeting
from steward.evaluation.models import EvaluationRun
from steward.evaluation.runs import CADENCE_MONTHS
from steward.jobs.registry import job
from steward.jobs.scheduler import periodic
from steward.jobs.services import enqueue
from steward.lib.notify import notify
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.organisations.scope import Action, PersonScope, people_who_can
from steward.plans.document import rules_for
from steward.plans.models import Plan
from steward.plans.schedule import version_in_force
from steward.quality.measures.periods import Period
from steward.reports import services
from steward.reports.models import StoredReport

logger = logging.getLogger(__name__)

SCHEDULE = "reports.schedule"
#: Minutes recorded this many days ago or less are sent (older ones were sent, or predate
#: the schedule: they are not sent out of the blue).
MINUTES_WITHIN_DAYS = 31


@dataclass(frozen=True)
class Due:
    kind: str
    organisation: Organisation
    period: str
    options: dict[str, Any] = field(default_factory=dict)


def last_ended(today: datetime.date, months: int) -> Period:
    """The quarter, half year or year before the one `today` is in."""
    kind = {3: "quarter", 6: "half"}.get(months, "year")
    number = (today.month - 1) // months + 1 if kind != "year" else 1
    return Period(today.year, kind, number).previous()


def due_reports(plan: Plan, today: datetime.date) -> list[Due]:
    """What the plan's cadence asks for on `today`."""
    ministry = plan.ministry
    if ministry is None:
        return []
    due: list[Due] = []
    quarter = last_ended(today, 3).label
    due.append(Due("quarterly_progress", ministry, quarter))
    for agency in ministry.subtree().filter(kind=OrganisationKind.AGENCY).order_by("path"):
        due.append(Due("quarterly_progress", agency, quarter))
    version = version_in_force(plan, today.year)
    if version is not None:
        months = CADENCE_MONTHS.get(rules_for(version).evaluation.cadence, 12)
        period = last_ended(today, max(months, 6)).label
        if EvaluationRun.objects.filter(plan=plan, period=period).exists():
            due.append(Due("evaluation", ministry, period))
    since = timezone.now() - datetime.timedelta(days=MINUTES_WITHIN_DAYS)
    meetings = (
        Meeting.objects.filter(
            committee__organisation__path__startswith=ministry.path,
            minutes_recorded_at__gte=since,
        )
        .select_related("committee__organisation")
        .order_by("held_on", "pk")
    )
    for meeting in meetings:
        held = Period.quarter_of(meeting.held_on).label
        due.append(
            Due("committee_minutes", meeting.committee.organisation, held, {"meeting": meeting.pk})
        )
    return due


def recipients(organisation: Organisation) -> list[Person]:
    """The information centre and the organisation's own people, each only if they may see
    the organisation's reports."""
    from steward.tasks.access import workers_of

    found = {p.pk: p for p in people_who_can(Action.EVALUATION_RUN, organisation)}
    for person in workers_of(organisation):
        if PersonScope(person).can(Action.REPORT_VIEW, organisation):
            found.setdefault(person.pk, person)
    return list(found.values())


def _letter(stored: StoredReport) -> tuple[str, str]:
    link = f"{settings.STEWARD_PUBLIC_URL.rstrip('/')}{stored.get_absolute_url()}"
    lines = [
        _("The report “%(title)s” was made on schedule.") % {"title": stored.title},
        _("Download it (sign-in needed): %(link)s") % {"link": link},
    ]
    lines += [_("Note: %(problem)s") % {"problem": problem} for problem in stored.problems]
    return _("Report: %(title)s") % {"title": stored.title}, "\n\n".join(lines)


def run_schedule(*, today: datetime.date | None = None) -> dict[str, Any]:
    """Build, store and send every report due (see the module doc). One report that cannot
    be made is logged and listed, and the others are still made (it is tried again the next
    day, as it is still not stored)."""
    day = today or timezone.localdate()
    stored_ids: list[int] = []
    unchanged = 0
    failed: list[str] = []
    for plan in Plan.objects.exclude(ministry=None).select_related("ministry").order_by("pk"):
        for due in due_reports(plan, day):
            try:
                stored = _make(plan, due)
            except Exception:
                logger.exception("scheduled report %s failed", due)
                failed.append(f"{due.kind} {due.organisation.key} {due.period} {due.options}")
                continue
            if stored is None:
                unchanged += 1
            else:
                stored_ids.append(stored.pk)
    return {"stored": stored_ids, "unchanged": unchanged, "failed": failed}


def _make(plan: Plan, due: Due) -> StoredReport | None:
    """Build the report due; store and send it unless the latest one had the same inputs."""
    kind = services.kind_named(due.kind)
    fmt = "odt" if kind.layout == "text" else "ods"
    asked = services.ask(
        due.kind, due.organisation, due.period, fmt, by=None, plan=plan, options=due.options
    )
    document = services.build(asked)
    latest = services.latest_stored(asked)
    if latest is not None and latest.inputs_version == document.inputs_version:
        return None
    produced = services.Produced(document, services.render(document, fmt))
    stored = services.store(asked, produced, by=None)
    subject, body = _letter(stored)
    notify(recipients(due.organisation), subject=subject, body=body)
    return stored


@periodic(SCHEDULE)
def enqueue_schedule(now: datetime.datetime) -> int:
    enqueue(SCHEDULE, {}, unique_key=f"{SCHEDULE}:{timezone.localtime(now):%Y%m%d}")
    return 1


@job(SCHEDULE)
def scheduled(payload: dict[str, Any]) -> dict[str, Any]:
    return run_schedule()
