"""The due time of a reply (回復時限) from the plan version in force when an item was received.

The day of receipt is not counted (行政程序法 §48: 始日不計算); the last day is included
(MOL: 「6 日(含)內」), so a reply is on time if sent before midnight, Taipei time, at the end
of `due_on`. Calendar days count every day, holidays included (MOL and MOJ say 日, not 工作天);
working days come from `steward.calendars.workdays`, which says whether the official office
calendar or the `holidays` fallback decided.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from steward.calendars.workdays import Source, WorkingCalendar, current_calendar, fallback_covers
from steward.feedback.models import DueSource
from steward.organisations.models import Organisation
from steward.plans.document import FeedbackRule, rules_for
from steward.plans.models import PlanVersion


class NoCalendarForYear(ValueError):
    """Working days were asked for a year neither a file nor the fallback knows."""


@dataclass(frozen=True)
class Due:
    """When a reply is due: the last day included, the instant it ends, and what decided it."""

    due_on: datetime.date
    due_at: datetime.datetime  # the first instant that is late (midnight after `due_on`)
    source: DueSource


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def version_in_force_at(
    organisation: Organisation, moment: datetime.datetime
) -> PlanVersion | None:
    """The version of the organisation's ministry's plan in force on the day of `moment`:
    the latest adopted on or before that day, else the earliest (an item received before the
    first version is held to it rather than to no rule)."""
    day = moment.astimezone(local_zone()).date()
    versions = PlanVersion.objects.filter(plan__ministry=organisation.ministry)
    return (
        versions.filter(adopted_on__lte=day).order_by("-adopted_on", "-pk").first()
        or versions.order_by("adopted_on", "pk").first()
    )


def rule_in_force_at(
    organisation: Organisation, moment: datetime.datetime
) -> tuple[PlanVersion | None, FeedbackRule]:
    version = version_in_force_at(organisation, moment)
    return version, (rules_for(version).feedback if version is not None else FeedbackRule())


def due_for(
    received_at: datetime.datetime,
    *,
    limit_days: int,
    day_kind: str,
    calendar: WorkingCalendar | None = None,
) -> Due:
    """The due time of an item received at `received_at` under a limit of `limit_days`."""
    zone = local_zone()
    received_on = received_at.astimezone(zone).date()
    if day_kind == "working":
        working = calendar or current_calendar()
        last_year = received_on.year + 1 + limit_days // 200
        for year in range(received_on.year, last_year + 1):
            if working.year(year).source != Source.OFFICIAL and not fallback_covers(year):
                raise NoCalendarForYear(
                    _(
                        "No office calendar is imported for %(year)s and the national "
                        "holidays are not known for it, so working days cannot be counted."
                    )
                    % {"year": year}
                )
        due_on = working.add_working_days(received_on, limit_days)
        sources = {working.year(year).source for year in range(received_on.year, due_on.year + 1)}
        source = DueSource.HOLIDAYS if Source.HOLIDAYS_PACKAGE in sources else DueSource.OFFICIAL
    else:
        due_on = received_on + datetime.timedelta(days=limit_days)
        source = DueSource.CALENDAR_DAYS
    next_day = due_on + datetime.timedelta(days=1)
    due_at = datetime.datetime.combine(next_day, datetime.time.min, tzinfo=zone)
    return Due(due_on=due_on, due_at=due_at, source=source)
