"""Dashboard pages (儀表板): the information centre's, each agency's and the committee's.

Who sees which comes from the scoping rule (`organisations.scope`): the centre's dashboard of
a ministry for whoever may view reports of the ministry itself (the information centre, the
CIO, committee members, the ministry's head); an agency's for whoever the home page shows
that agency's standing to (`organisations.views.standing_scope`: its own people, and the
ministry-wide roles every agency of their ministry); a committee's for whoever may view
reports of its organisation. Anything else is 404, so another ministry's pages do not leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from steward.committees.models import Committee
from steward.evaluation import presenting
from steward.evaluation.registry import Counted
from steward.lib.years import date_label
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.organisations.scope import Action, PersonScope, organisations_for
from steward.organisations.standing import standings_for
from steward.organisations.views import standing_scope
from steward.reports.dashboards import exports
from steward.reports.dashboards.figures import (
    committee_dashboard,
    dashboard,
    ministry_and_agencies,
)


def _person(request: HttpRequest) -> Person:
    return request.user  # type: ignore[return-value]


@dataclass
class Visible:
    """The dashboards a person may open."""

    ministries: list[Organisation]
    agencies: list[Organisation]
    committees: list[Committee]


def visible_dashboards(person: Person) -> Visible:
    in_scope = organisations_for(person, Action.REPORT_VIEW)
    ministries = list(in_scope.filter(kind=OrganisationKind.MINISTRY).order_by("path"))
    if person.is_superuser:
        agencies = list(in_scope.filter(kind=OrganisationKind.AGENCY).order_by("path"))
    else:
        seen: dict[int, Organisation] = {}
        for _ministry, organisations in standing_scope(list(person.active_roles())):
            for organisation in organisations:
                if organisation.kind == OrganisationKind.AGENCY:
                    seen[organisation.pk] = organisation
        agencies = sorted(seen.values(), key=lambda organisation: organisation.path)
    committees = list(
        Committee.objects.filter(organisation__in=in_scope)
        .select_related("organisation")
        .order_by("organisation__path", "kind")
    )
    return Visible(ministries, agencies, committees)


Board = TypeVar("Board")


def _kept(name: str, person: Person, pk: int, build: Callable[[], Board]) -> Board:
    """The dashboard `build()` makes, kept STEWARD_DASHBOARD_CACHE_SECONDS for this person,
    organisation, day and language (its KPI measures read a year of data; the page says when
    its figures were computed). Asked only after the scoping rule has let the person in."""
    seconds = settings.STEWARD_DASHBOARD_CACHE_SECONDS
    if seconds <= 0:
        return build()
    key = f"dashboard:{name}:{pk}:{person.pk}:{timezone.localdate()}:{get_language()}"
    board: Board | None = cache.get(key)
    if board is None:
        board = build()
        cache.set(key, board, seconds)
    return board


def _not_found() -> Http404:
    return Http404(_("No such dashboard in your scope."))


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The dashboards the person may open."""
    return render(
        request,
        "reports/dashboards/index.html",
        {"visible": visible_dashboards(_person(request))},
    )


@login_required
def centre(request: HttpRequest, ministry_pk: int) -> HttpResponse:
    """The information centre's dashboard: every agency of the ministry side by side."""
    person = _person(request)
    ministry = Organisation.objects.filter(pk=ministry_pk, kind=OrganisationKind.MINISTRY).first()
    if ministry is None or not PersonScope(person).can(Action.REPORT_VIEW, ministry):
        raise _not_found()
    today = timezone.localdate()
    board = _kept(
        "centre",
        person,
        ministry.pk,
        lambda: dashboard(ministry, ministry_and_agencies(ministry), person=person, today=today),
    )
    return render(
        request,
        "reports/dashboards/dashboard.html",
        {
            "board": board,
            "centre": True,
            "exports": exports.export_links(exports.CENTRE_KIND, ministry, board.period),
        },
    )


@login_required
def agency(request: HttpRequest, agency_pk: int) -> HttpResponse:
    """An agency's own dashboard: its figures, each drilling down to the records."""
    person = _person(request)
    found = next(
        (
            organisation
            for organisation in visible_dashboards(person).agencies
            if organisation.pk == agency_pk
        ),
        None,
    )
    if found is None:
        raise _not_found()
    today = timezone.localdate()
    board = _kept(
        "agency", person, found.pk, lambda: dashboard(found, [found], person=person, today=today)
    )
    # the inventory's items planned for this year: the agency's, or those of one's own unit
    inventory = {"year": today.year}
    if PersonScope(person).can(Action.VIEW, found):
        inventory["agency"] = found.pk
    return render(
        request,
        "reports/dashboards/dashboard.html",
        {
            "board": board,
            "centre": False,
            "inventory_query": urlencode(inventory),
            "exports": exports.export_links(exports.AGENCY_KIND, found, board.period),
        },
    )


@login_required
def committee(request: HttpRequest, committee_id: int) -> HttpResponse:
    """The committee's dashboard: the items awaiting its decision, each linking to its record."""
    person = _person(request)
    found = Committee.objects.select_related("organisation").filter(pk=committee_id).first()
    if found is None or not PersonScope(person).can(Action.REPORT_VIEW, found.organisation):
        raise _not_found()
    board = committee_dashboard(found, today=timezone.localdate())
    return render(
        request,
        "reports/dashboards/committee.html",
        {
            "board": board,
            "exports": exports.export_links(
                exports.COMMITTEE_KIND, found.organisation, board.period, committee=found.pk
            ),
        },
    )


@login_required
def figure(request: HttpRequest, organisation_pk: int, key: str) -> HttpResponse:
    """One figure of a dashboard as computed today (this year to date), with every record it
    counted: what a dashboard's cell drills down to."""
    person = _person(request)
    organisation = Organisation.objects.filter(pk=organisation_pk).first()
    if organisation is None or not PersonScope(person).can(Action.REPORT_VIEW, organisation):
        raise _not_found()
    today = timezone.localdate()
    # the columns of the ministry's board, which shows every agency (a target of the ministry
    # counted with its agencies is a column of each agency's row too)
    standing = standings_for(
        [organisation],
        organisation.ministry,
        today=today,
        columns_of=ministry_and_agencies(organisation.ministry),
    )
    cells = standing.rows[0].cells if standing is not None else []
    cell = next((each for each in cells if each.indicator.key == key), None)
    if standing is None or cell is None:
        raise Http404(_("No such figure in your scope."))
    figure = cell.figure
    groups: dict[str, list[Counted]] = {}
    for counted in figure.counted if figure is not None else ():
        groups.setdefault(presenting.term_label(counted.term), []).append(counted)
    return render(
        request,
        "reports/dashboards/figure.html",
        {
            "organisation": organisation,
            "cell": cell,
            "terms": [
                (presenting.term_label(term), value)
                for term, value in (figure.terms.items() if figure is not None else ())
            ],
            "groups": groups,
            "start": date_label(standing.start),
            "end": date_label(standing.end),
        },
    )
