"""Pages of the organisations app: the home page per role and the organisation tree."""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from steward.lib.pagination import page_rows
from steward.organisations.models import Role
from steward.organisations.roles import ROLE_DUTIES
from steward.organisations.scope import Action, organisations_for
from steward.plans.models import ScheduledDeadline

UPCOMING_DAYS = 120


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What each of the person's roles does, and the deadlines coming up for them."""
    assignments = list(request.user.active_roles())  # type: ignore[union-attr]
    cards = [
        {
            "assignment": assignment,
            "duties": ROLE_DUTIES.get(Role(assignment.role), []),
        }
        for assignment in assignments
    ]
    today = timezone.localdate()
    visible = organisations_for(request.user, Action.VIEW)  # type: ignore[arg-type]
    upcoming = (
        ScheduledDeadline.objects.filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days=UPCOMING_DAYS)
        )
        .filter(deadline__schedule_item__lead_organisations__in=visible)
        .select_related("deadline__schedule_item")
        .distinct()
        .order_by("due_date")[:12]
    )
    return render(
        request,
        "organisations/home.html",
        {"cards": cards, "upcoming": upcoming, "today": today},
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
