"""JSON API of the office calendar (mounted under /api/calendars/).

Everybody signed in may read; uploading a file needs Action.CALENDAR_IMPORT.
Each day says which source decided it (`official` or `holidays`).
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime

from django.http import HttpRequest
from ninja import File, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from steward.calendars.access import require_calendar_import
from steward.calendars.models import CalendarChange, CalendarImport
from steward.calendars.parsing import classify_day
from steward.calendars.services import CalendarImportError, import_calendar_file
from steward.calendars.workdays import WorkingCalendar, current_calendar
from steward.lib.api import Day, Router, Year
from steward.lib.uploads import UploadRefused, check_upload_size

router = Router(tags=["calendars"])


class YearOut(Schema):
    year: int
    revision: int
    file_name: str
    encoding: str
    sha256: str
    days_off: int
    imported_at: datetime.datetime
    source: str = "official"


class DayOut(Schema):
    date: datetime.date
    is_working_day: bool
    kind: str
    label: str
    source: str


class WorkingDayOut(Schema):
    date: datetime.date
    is_working_day: bool
    label: str
    source: str
    revision: int | None
    due_date: datetime.date  # the date itself, or the previous working day (往前推至上班日)
    due_date_sources: list[str]
    previous_working_day: datetime.date
    next_working_day: datetime.date


class ChangeOut(Schema):
    year: int
    revision: int
    file_name: str
    date: datetime.date
    old_is_day_off: bool
    new_is_day_off: bool
    old_label: str
    new_label: str
    description: str


class CalendarProblemOut(Schema):
    """One problem of a calendar file: the line and why."""

    file_name: str
    line: int | None
    reason: str


class MovedOut(Schema):
    scheduled_deadline: int
    item: str
    old_due_date: datetime.date
    new_due_date: datetime.date


class CalendarImportOut(Schema):
    year: int
    revision: int
    created: bool
    changed_days: list[ChangeOut]
    moved_deadlines: list[MovedOut]


class CalendarImportErrorOut(Schema):
    detail: str
    problems: list[CalendarProblemOut] = []


def _change_out(change: CalendarChange) -> ChangeOut:
    return ChangeOut(
        year=change.calendar_import.year,
        revision=change.calendar_import.revision,
        file_name=change.calendar_import.file_name,
        date=change.date,
        old_is_day_off=change.old_is_day_off,
        new_is_day_off=change.new_is_day_off,
        old_label=change.old_label,
        new_label=change.new_label,
        description=change.describe(),
    )


@router.get("/years", response=list[YearOut])
def list_years(request: HttpRequest) -> list[YearOut]:
    """The revision in force of every imported year."""
    latest: dict[int, CalendarImport] = {}
    for revision in CalendarImport.objects.order_by("year", "revision"):
        latest[revision.year] = revision
    return [
        YearOut(
            year=r.year,
            revision=r.revision,
            file_name=r.file_name,
            encoding=r.encoding,
            sha256=r.sha256,
            days_off=r.days_off,
            imported_at=r.imported_at,
        )
        for r in sorted(latest.values(), key=lambda r: r.year)
    ]


@router.get("/years/{year}/days", response=list[DayOut])
def year_days(request: HttpRequest, year: Year) -> list[DayOut]:
    """Every day of `year`, from the official calendar or else the holidays package."""
    calendar = WorkingCalendar()
    first = datetime.date(year, 1, 1)
    count = 366 if _stdlib_calendar.isleap(year) else 365
    days = []
    for offset in range(count):
        decision = calendar.decide(first + datetime.timedelta(days=offset))
        days.append(
            DayOut(
                date=decision.date,
                is_working_day=decision.is_working_day,
                kind=classify_day(
                    decision.date, is_day_off=not decision.is_working_day, label=decision.label
                ).value,
                label=decision.label,
                source=decision.source.value,
            )
        )
    return days


@router.get("/years/{year}/changes", response=list[ChangeOut])
def year_changes(request: HttpRequest, year: Year) -> list[ChangeOut]:
    """Days changed by each revision of `year`, oldest revision first."""
    changes = CalendarChange.objects.filter(calendar_import__year=year).select_related(
        "calendar_import"
    )
    return [_change_out(change) for change in changes.order_by("calendar_import__revision", "date")]


@router.get("/working-day", response=WorkingDayOut)
def working_day(request: HttpRequest, date: Day) -> WorkingDayOut:
    """Is `date` a working day, and where would a deadline on it move?"""
    calendar = current_calendar()
    decision = calendar.decide(date)
    adjustment = calendar.adjust(date)
    return WorkingDayOut(
        date=date,
        is_working_day=decision.is_working_day,
        label=decision.label,
        source=decision.source.value,
        revision=decision.revision,
        due_date=adjustment.due,
        due_date_sources=sorted(source.value for source in adjustment.sources),
        previous_working_day=calendar.previous_working_day(date),
        next_working_day=calendar.next_working_day(date),
    )


@router.post(
    "/imports",
    response={201: CalendarImportOut, 200: CalendarImportOut, 400: CalendarImportErrorOut},
)
def upload(
    request: HttpRequest,
    file: UploadedFile = File(...),  # noqa: B008 (django-ninja declares uploads this way)
) -> Status[CalendarImportOut | CalendarImportErrorOut]:
    """Import an uploaded calendar file (information centre only); problems come back per line."""
    require_calendar_import(request.user)  # type: ignore[arg-type]
    try:
        check_upload_size(file.size or 0)
    except UploadRefused as refused:
        return Status(
            400,
            CalendarImportErrorOut(
                detail=refused.reason,
                problems=[
                    CalendarProblemOut(file_name=file.name or "", line=None, reason=refused.reason)
                ],
            ),
        )
    try:
        result = import_calendar_file(
            file.read(),
            file_name=file.name or "upload.csv",
            by=request.user,  # type: ignore[arg-type]
        )
    except CalendarImportError as error:
        return Status(
            400,
            CalendarImportErrorOut(
                detail="Nothing was imported.",
                problems=[
                    CalendarProblemOut(file_name=p.file_name, line=p.line, reason=p.reason)
                    for p in error.problems
                ],
            ),
        )
    body = CalendarImportOut(
        year=result.year,
        revision=result.calendar_import.revision,
        created=result.created,
        changed_days=[_change_out(change) for change in result.changes],
        moved_deadlines=[
            MovedOut(
                scheduled_deadline=move.scheduled_deadline.pk,
                item=move.scheduled_deadline.deadline.schedule_item.code,
                old_due_date=move.old_due_date,
                new_due_date=move.new_due_date,
            )
            for move in result.moved
        ],
    )
    return Status(201 if result.created else 200, body)
