"""Navigation shown in every page: only the sections the person's roles use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from steward.organisations.models import Person, Role
from steward.organisations.scope import Action, acts_beyond_units

#: Who sees a section: the roles that do (empty: everybody signed in), or the rule its page uses.
Shown = frozenset[Role] | Callable[[Person], bool]

# (label, URL name, who sees it)
NAVIGATION: list[tuple[Any, str, Shown]] = [
    (_("Home"), "home", frozenset()),
    (_("Organisations"), "organisations:tree", frozenset()),
    (_("Action plans"), "plans:index", frozenset()),
    (_("Inventory"), "inventory:index", frozenset()),
    (_("Datasets"), "datasets:index", frozenset()),
    (_("My work"), "datasets:queue", frozenset()),
    (_("Tasks"), "tasks:index", frozenset()),
    (_("Publishing"), "publishing:index", frozenset()),
    (_("Quality"), "quality:index", frozenset()),
    (_("Feedback"), "feedback:index", frozenset()),
    (_("Evaluation"), "evaluation:index", frozenset()),
    # every role sees a dashboard (their agency's at least); a person with no role none
    (_("Dashboards"), "reports:dashboards:index", frozenset(Role)),
    # whoever the reports page offers an organisation to (reports are of agencies and ministries)
    (_("Reports"), "reports:index", lambda person: acts_beyond_units(person, Action.REPORT_VIEW)),
    (_("Committees"), "committees:index", frozenset()),
    (_("Office calendar"), "calendars:index", frozenset()),
    (_("Sign-in lockouts"), "lockouts", frozenset({Role.INFORMATION_CENTRE})),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    held = {a.role for a in user.active_roles()}  # read once per request, shared with scope
    items = []
    for label, url_name, shown in NAVIGATION:
        if callable(shown):
            if not shown(user):
                continue
        elif shown and not (shown & held) and not user.is_superuser:
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue  # that section is not built yet
        items.append({"label": label, "url": url, "active": request.path == url})
    return {"navigation": items}
