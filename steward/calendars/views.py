"""Pages of the office calendar: the years imported, a year month by month, the upload.

Everybody signed in may look; the information centre (Action.CALENDAR_IMPORT)
may upload a new file. Views only parse, call the service and render.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from steward.calendars.access import can_import_calendars, require_calendar_import
from steward.calendars.forms import CalendarUploadForm
from steward.calendars.models import CalendarChange, CalendarImport
from steward.calendars.parsing import DayKind, Problem, classify_day
from steward.calendars.services import CalendarImportError, import_calendar_file
from steward.calendars.workdays import Source, WorkingCalendar

# Years a page may show: the official files start in 2017; the fallback covers any year.
MIN_YEAR, MAX_YEAR = 1990, 2100


@dataclass(frozen=True)
class DayCell:
    date: datetime.date
    in_month: bool
    is_day_off: bool
    kind: str
    label: str

    @property
    def css(self) -> str:
        if not self.in_month:
            return "outside"
        if self.kind == DayKind.MAKE_UP_WORKING_DAY:
            return "make-up"
        if self.is_day_off:
            return "holiday" if self.label else "off"
        return "working"


def _years_in_force() -> list[CalendarImport]:
    """The revision in force for each imported year, newest year first."""
    latest: dict[int, CalendarImport] = {}
    for revision in CalendarImport.objects.order_by("year", "revision").select_related(
        "imported_by"
    ):
        latest[revision.year] = revision
    return sorted(latest.values(), key=lambda revision: -revision.year)


def _index_context(request: HttpRequest, form: CalendarUploadForm | None = None) -> dict[str, Any]:
    years = _years_in_force()
    imported = {revision.year for revision in years}
    this_year = timezone.localdate().year
    return {
        "years": years,
        "fallback_years": [y for y in (this_year, this_year + 1) if y not in imported],
        "recent_changes": CalendarChange.objects.select_related("calendar_import").order_by(
            "-calendar_import__imported_at", "-calendar_import__pk", "date"
        )[:20],
        "may_import": can_import_calendars(request.user),  # type: ignore[arg-type]
        "form": form or CalendarUploadForm(),
        "max_upload": settings.STEWARD_MAX_UPLOAD_BYTES,
    }


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The years with their source and revision, recent changes, and the upload form."""
    return render(request, "calendars/index.html", _index_context(request))


@login_required
def year_view(request: HttpRequest, year: int) -> HttpResponse:
    """One year month by month, days off and make-up working days marked, with its revisions."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise Http404(_("No calendar for that year."))
    calendar = WorkingCalendar()
    year_days = calendar.year(year)
    month_grid = _stdlib_calendar.Calendar(
        firstweekday=6
    )  # Taiwanese wall calendars start on Sunday
    months = []
    for month in range(1, 13):
        weeks = []
        for week in month_grid.monthdatescalendar(year, month):
            row = []
            for date in week:
                decision = calendar.decide(date) if date.year == year else None
                row.append(
                    DayCell(
                        date=date,
                        in_month=date.month == month,
                        is_day_off=bool(decision and not decision.is_working_day),
                        kind=_kind(date, decision.is_working_day, decision.label)
                        if decision
                        else "",
                        label=decision.label if decision else "",
                    )
                )
            weeks.append(row)
        months.append({"number": month, "weeks": weeks})
    revisions = list(
        CalendarImport.objects.filter(year=year)
        .order_by("-revision")
        .select_related("imported_by")
        .prefetch_related("changes")
    )
    weekday_names = [_("Sun"), _("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat")]
    return render(
        request,
        "calendars/year.html",
        {
            "year": year,
            "source": year_days.source,
            "official": year_days.source == Source.OFFICIAL,
            "days_off": len(year_days.days_off),
            "months": months,
            "weekday_names": weekday_names,
            "revisions": revisions,
            "previous_year": year - 1 if year > MIN_YEAR else None,
            "next_year": year + 1 if year < MAX_YEAR else None,
        },
    )


def _kind(date: datetime.date, is_working_day: bool, label: str) -> str:
    return classify_day(date, is_day_off=not is_working_day, label=label).value


@login_required
@require_POST
def upload(request: HttpRequest) -> HttpResponse:
    """Import an uploaded file; on problems show each one (file, line, reason) and change nothing."""
    require_calendar_import(request.user)  # type: ignore[arg-type]
    form = CalendarUploadForm(request.POST, request.FILES)
    problems: list[Problem] = []
    if form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            result = import_calendar_file(
                upload_file.read(),
                file_name=upload_file.name,
                by=request.user,  # type: ignore[arg-type]
            )
        except CalendarImportError as error:
            problems = error.problems
        else:
            revision = result.calendar_import
            if result.superseded_revision is not None:
                messages.warning(
                    request,
                    _(
                        "%(file)s is revision %(old)d of %(year)d, imported before; "
                        "revision %(current)d stays in force."
                    )
                    % {
                        "file": result.file_name,
                        "old": result.superseded_revision.revision,
                        "year": result.year,
                        "current": revision.revision,
                    },
                )
            elif result.unchanged:
                messages.info(
                    request,
                    _("%(file)s: the %(year)d calendar is unchanged.")
                    % {"file": result.file_name, "year": result.year},
                )
            else:
                messages.success(
                    request,
                    _(
                        "%(file)s imported as revision %(revision)d of %(year)d: "
                        "%(changed)d days changed, %(moved)d deadlines moved."
                    )
                    % {
                        "file": result.file_name,
                        "revision": revision.revision,
                        "year": result.year,
                        "changed": len(result.changes),
                        "moved": len(result.moved),
                    },
                )
            return redirect("calendars:year", year=result.year)
    context = _index_context(request, form)
    context["problems"] = problems
    return render(request, "calendars/index.html", context, status=400)
