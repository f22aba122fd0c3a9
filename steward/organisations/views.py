"""Pages of the organisations app: the home page per role and the organisation tree."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from steward.lib.pagination import page_rows
from steward.organisations.models import (
    Organisation,
    OrganisationKind,
    Person,
    Role,
    RoleAssignment,
)
from steward.organisations.roles import ROLE_DUTIES
from steward.organisations.scope import MINISTRY_WIDE_ROLES, Action, organisations_for
from steward.organisations.standing import Standing, kept_standings_for
from steward.organisations.work import waiting_for
from steward.plans.models import ScheduledDeadline

UPCOMING_DAYS = 120
#: Rows of work waiting shown a page.
WAITING_PAGE_ROWS = 20


def standing_scope(
    assignments: list[RoleAssignment],
) -> list[tuple[Organisation, list[Organisation]]]:
    """(ministry, organisations) whose standing a person's roles look at: the ministry and
    every agency side by side for the information centre, the CIO and committee members; the
    own agency (or the ministry, for a unit of the ministry) for the other roles."""
    wide: dict[int, Organisation] = {}
    local: dict[int, tuple[Organisation, dict[int, Organisation]]] = {}
    for assignment in assignments:
        organisation = assignment.organisation
        ministry = organisation.ministry
        if assignment.role in MINISTRY_WIDE_ROLES:
            wide[ministry.pk] = ministry
        else:
            home = organisation.agency
            local.setdefault(ministry.pk, (ministry, {}))[1][home.pk] = home
    scopes = []
    for ministry in wide.values():
        organisations = list(
            Organisation.objects.filter(
                path__startswith=ministry.path,
                kind__in=[OrganisationKind.MINISTRY, OrganisationKind.AGENCY],
            ).order_by("path")
        )
        scopes.append((ministry, organisations))
    for ministry_pk, (ministry, homes) in local.items():
        if ministry_pk not in wide:
            scopes.append((ministry, sorted(homes.values(), key=lambda o: o.path)))
    return scopes


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What waits on the person now, the deadlines coming up, and where their organisation
    (for the information centre: every agency) stands against the plan's targets today."""
    person: Person = request.user  # type: ignore[assignment]
    assignments = list(person.active_roles())
    cards = [
        {
            "assignment": assignment,
            "duties": ROLE_DUTIES.get(Role(assignment.role), []),
        }
        for assignment in assignments
    ]
    today = timezone.localdate()
    visible = organisations_for(person, Action.VIEW)
    upcoming = (
        ScheduledDeadline.objects.filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days=UPCOMING_DAYS)
        )
        .filter(deadline__schedule_item__lead_organisations__in=visible)
        .select_related("deadline__schedule_item")
        .distinct()
        .order_by("due_date")[:12]
    )
    waiting = Paginator(waiting_for(person), WAITING_PAGE_ROWS).get_page(request.GET.get("page"))
    standings: list[Standing] = []
    for ministry, organisations in standing_scope(assignments):
        standing = kept_standings_for(organisations, ministry, today=today)
        if standing is not None:
            standings.append(standing)
    return render(
        request,
        "organisations/home.html",
        {
            "cards": cards,
            "upcoming": upcoming,
            "today": today,
            "waiting": waiting,
            "standings": standings,
        },
    )


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    """The organisations the person may see, as an indented tree with their people, 50 a
    page (a ministry has hundreds of agencies and units)."""
    organisations = (
        organisations_for(request.user, Action.VIEW)  # type: ignore[arg-type]
        .prefetch_related("role_assignments__person")
        .order_by("path")
    )
    return render(
        request, "organisations/tree.html", {"organisations": page_rows(organisations, request)}
    )
