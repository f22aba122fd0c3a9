"""Pages of quality: the latest run per organisation, and each run's per-resource results."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from steward.organisations.models import Person
from steward.organisations.scope import Action, organisation_for, organisations_for
from steward.quality import services
from steward.quality.models import CheckState


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
    results = run.results.order_by("state", "key")
    state = request.GET.get("state", "")
    if state in CheckState.values:
        results = results.filter(state=state)
    page = Paginator(results, 100).get_page(request.GET.get("page"))
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
