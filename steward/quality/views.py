"""Pages of quality: the latest run per organisation, each run's results, the KPI measures."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from steward.organisations.models import Person
from steward.organisations.scope import Action, organisation_for, organisations_for
from steward.quality import services
from steward.quality.measures import MeasureError, Period, measures_for, recent_periods
from steward.quality.models import CheckEntry, CheckState


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


@login_required
def index(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    runs = services.latest_runs(services.visible_runs(person))
    can_run = organisations_for(person, Action.QUALITY_RUN).filter(kind__in=["ministry", "agency"])
    return render(request, "quality/index.html", {"runs": runs, "can_run": can_run})


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = services.run_for(_person(request), pk)
    results = services.run_results(run).order_by("state", "key")
    state = request.GET.get("state", "")
    paginator = Paginator(results, 100)
    if state in CheckState.values:
        paginator = Paginator(results.filter(state=state), 100)
    else:  # one entry per resource checked: counted in the entries' key, without the join
        paginator.count = CheckEntry.objects.filter(run=run).count()  # type: ignore[misc]
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "quality/run.html",
        {"run": run, "page": page, "state": state, "states": CheckState.choices},
    )


@login_required
@require_POST
def request_check(request: HttpRequest) -> HttpResponse:
    person = _person(request)
    try:
        organisation = organisation_for(person, int(request.POST.get("organisation", 0)))
        services.request_check(organisation=organisation, by=person)
    except (ValueError, PermissionDenied):
        messages.error(request, _("You may not start a quality check for that organisation."))
    else:
        messages.success(
            request,
            _("The check of %(organisation)s is queued; its results appear here when done.")
            % {"organisation": organisation},
        )
    return redirect("quality:index")


@login_required
def measures(request: HttpRequest) -> HttpResponse:
    """The quality KPIs (正確率, 三星等級資料比率) of one organisation and period, with datasets."""
    person = _person(request)
    in_scope = organisations_for(person, Action.VIEW).order_by("path")
    choices = list(in_scope.filter(kind__in=["ministry", "agency"])) or list(in_scope)
    today = timezone.localdate()
    period = Period.quarter_of(today)
    if request.GET.get("period"):
        try:
            period = Period.parse(request.GET["period"])
        except MeasureError as error:
            messages.error(request, str(error))
    try:
        chosen = int(request.GET.get("organisation", 0))
    except ValueError:
        chosen = 0
    if chosen:
        organisation = organisation_for(person, chosen)
    elif choices:
        organisation = choices[0]
    else:
        raise PermissionDenied(_("You may not see any organisation's quality measures."))
    include_subtree = request.GET.get("subtree") == "1"
    periods = recent_periods(today)
    if period not in periods:
        periods.insert(0, period)
    return render(
        request,
        "quality/measures.html",
        {
            "result": measures_for(organisation, period, include_subtree=include_subtree),
            "choices": choices if organisation in choices else [organisation, *choices],
            "periods": periods,
        },
    )
