"""Report pages: the kinds a person may produce with a small form (`/reports/`), the
download (`/reports/download/?kind=K&organisation=KEY&period=P&format=F`, options as extra
parameters) and the stored reports (`/reports/stored/<pk>/`).

Scope is checked before anything is built: an organisation outside the person's scope (or
another ministry's) is a 404 as everywhere; a kind, format or period that is not one is a
400 page saying which and how to write it.
"""

from __future__ import annotations

import datetime
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_GET

from steward.committees.models import Committee, Meeting
from steward.lib.pagination import page_rows
from steward.lib.years import date_label
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.organisations.scope import Action, organisations_for, scope_q
from steward.plans.models import PlanVersion
from steward.quality.measures.periods import Period
from steward.reports import kinds, services
from steward.reports.builders.amendment import VERSION_LABELS
from steward.reports.errors import ReportError
from steward.reports.models import StoredReport

#: Query parameters that are not a kind's options.
FIXED = frozenset({"kind", "organisation", "period", "format"})
#: The options a kind takes from the query (anything else is ignored); `committee` is read
#: by the committee reports.
OPTIONS = ("meeting", "from", "to", "committee")
#: The form's fields as the form labels them: what a person is told to fill in.
FIELD_LABELS = {
    "kind": pgettext_lazy("report form", "Report"),
    "organisation": pgettext_lazy("report form", "Organisation"),
    "period": pgettext_lazy("report form", "Period"),
    "format": pgettext_lazy("report form", "Format"),
    "committee": pgettext_lazy("report form", "Committee"),
    "meeting": pgettext_lazy("report form", "Meeting"),
    **VERSION_LABELS,
}
#: At most this many meetings in the form's list, the latest first.
MEETING_CHOICES = 200


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


def _bad_request(request: HttpRequest, reason: str) -> HttpResponse:
    return render(
        request,
        "errors/_error.html",
        {
            "heading": _("The report cannot be made as asked"),
            "explanation": reason,
            "status": 400,
            "back": "/reports/",
        },
        status=400,
    )


def period_choices(today: datetime.date) -> list[tuple[str, str]]:
    """The periods the form offers: the last quarters, halves and years, most recent first."""
    quarter = Period.quarter_of(today)
    found = [quarter]
    while len(found) < 6:
        found.append(found[-1].previous())
    half = Period(today.year, "half", 1 if today.month <= 6 else 2)
    found += [half, half.previous(), half.previous().previous()]
    found += [Period(today.year), Period(today.year - 1)]
    return [(p.label, str(p)) for p in found]


def committee_choices(person: Person) -> list[tuple[int, str]]:
    """The committees whose reports the person may see: (id, name)."""
    committees = Committee.objects.filter(scope_q(person, Action.REPORT_VIEW))
    return list(committees.order_by("organisation__path", "kind").values_list("pk", "name"))


def meeting_choices(person: Person) -> list[tuple[int, str]]:
    """The meetings of those committees, the latest first: (id, 「諮詢小組 115 年第 3 次會議
    （115 年 8 月 14 日）」)."""
    meetings = (
        Meeting.objects.filter(scope_q(person, Action.REPORT_VIEW, field="committee__organisation"))
        .select_related("committee")
        .order_by("-held_on", "-pk")[:MEETING_CHOICES]
    )
    return [
        (m.pk, f"{m.committee.name} {m.number}（{date_label(m.held_on)}）".replace(" （", "（"))
        for m in meetings
    ]


def version_choices(person: Person) -> list[tuple[str, str]]:
    """The plan versions of the ministries in the person's scope: (label, 「plan name label」),
    the amendment table's options name a version by its label."""
    ministries = organisations_for(person, Action.REPORT_VIEW).filter(parent__isnull=True)
    versions = PlanVersion.objects.filter(plan__ministry__in=ministries).select_related("plan")
    return [
        (v.label, f"{v.plan.name} {v.label}")
        for v in versions.order_by("plan__name", "adopted_on", "pk")
    ]


def visible_organisations(person: Person) -> list[Organisation]:
    return list(
        organisations_for(person, Action.REPORT_VIEW)
        .exclude(kind=OrganisationKind.UNIT)
        .order_by("path")[:500]
    )


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    stored = StoredReport.objects.filter(scope_q(person, Action.REPORT_VIEW)).select_related(
        "organisation"
    )
    return render(
        request,
        "reports/index.html",
        {
            "kinds": kinds.all_kinds(),
            "organisations": visible_organisations(person),
            "periods": period_choices(timezone.localdate()),
            "formats": kinds.FORMATS,
            "labels": FIELD_LABELS,
            "committees": committee_choices(person),
            "meetings": meeting_choices(person),
            "versions": version_choices(person),
            "page": page_rows(stored.order_by("-created_at", "-pk"), request),
        },
    )


def _organisation(person: Person, key: str) -> Organisation:
    found = organisations_for(person, Action.REPORT_VIEW).filter(key=key).first()
    if found is None:
        raise Http404(_("No such organisation in your scope."))
    return found


def _filename_header(filename: str) -> str:
    header = content_disposition_header(True, filename)
    return header or f"attachment; filename*=utf-8''{quote(filename)}"


@login_required
@require_GET
def download(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    asked = request.GET
    missing = [
        str(FIELD_LABELS[name])
        for name in ("kind", "organisation", "period", "format")
        if not asked.get(name)
    ]
    if missing:
        return _bad_request(
            request,
            _("Choose the %(names)s on the reports page.") % {"names": "、".join(missing)},
        )
    organisation = _organisation(person, asked["organisation"])
    options = {name: asked[name] for name in OPTIONS if asked.get(name)}
    try:
        produced = services.produce(
            asked["kind"],
            organisation,
            asked["period"],
            asked["format"],
            by=person,
            options=options,
        )
    except ReportError as error:
        return _bad_request(request, str(error))
    rendered = produced.rendered
    response = HttpResponse(rendered.content, content_type=rendered.content_type)
    response["Content-Disposition"] = _filename_header(rendered.filename)
    if rendered.problems:
        # Said on the next page the person sees, and in a header for programs.
        for problem in rendered.problems:
            messages.warning(request, problem)
        response["X-Report-Problems"] = quote(" | ".join(rendered.problems))
    return response


@login_required
def stored(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    person = _person(request)
    found = StoredReport.objects.filter(scope_q(person, Action.REPORT_VIEW), pk=pk).first()
    if found is None:  # asked first, whatever the method: outside the scope is not found
        raise Http404(_("No such report in your scope."))
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=found.filename,
        content_type=found.content_type,
    )
