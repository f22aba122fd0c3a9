"""The dashboards in Debian's Chromium, on the demo's year of activity.

Every chart draws (vega-embed puts an SVG inside its figure) under the Content-Security-Policy
with no violation and no script error (vega-interpreter, no eval); axe-core finds no serious or
critical violation (WCAG 2.1 AA); at 390 px the page never scrolls sideways.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

from steward.committees.models import Committee, Kind
from steward.datasets.tests.test_browser import PASSWORD, browser  # noqa: F401 (fixture)
from steward.evaluation.tests.test_browser import _axe_problems
from steward.lib.tests.test_browser_csp import Watched
from steward.organisations.models import Organisation, Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHARTS = "figure.report-chart"


def _charts_drawn(page: Any, path: str) -> list[str]:
    """Wait for every chart of the page to draw; the figures that did not."""
    figures = page.locator(CHARTS)
    count = figures.count()
    assert count, f"{path}: no chart"
    page.wait_for_function(
        "n => document.querySelectorAll('figure.report-chart .report-chart-canvas svg').length"
        " + document.querySelectorAll('figure.report-chart .report-chart-canvas.failed').length"
        " >= n",
        arg=count,
        timeout=20_000,
    )
    return [
        f"{path}: chart {figures.nth(n).get_attribute('id')} did not draw"
        for n in range(count)
        if figures.nth(n).locator(".report-chart-canvas svg").count() == 0
    ]


def _sideways(page: Any, path: str) -> list[str]:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    return [f"390px {path}: the page scrolls sideways by {overflow}px"] if overflow > 0 else []


def test_the_dashboards_draw_their_charts_under_the_policy_and_pass_axe(
    live_server: Any,
    browser: Any,  # noqa: F811 (the fixture)
) -> None:
    call_command("demo", stdout=StringIO())
    for username in ("centre", "liaison", "chair"):
        person = Person.objects.get(username=username)
        person.set_password(PASSWORD)
        person.save()
    mol = Organisation.objects.get(key="mol")
    bli = Person.objects.get(username="liaison").active_roles()[0].organisation.agency
    committee = Committee.objects.get(organisation=mol, kind=Kind.ADVISORY)
    centre_path = reverse("reports:dashboards:centre", args=[mol.pk])
    agency_path = reverse("reports:dashboards:agency", args=[bli.pk])
    committee_path = reverse("reports:dashboards:committee", args=[committee.pk])
    base = live_server.url
    problems: list[str] = []

    # 1. The centre: every agency, six charts drawn, a link down to an agency's dashboard.
    centre = Watched(browser, base, "centre")
    page = centre.go(reverse("reports:dashboards:index"))
    page.click(f"a[href='{centre_path}']")
    page.wait_for_url(base + centre_path)
    problems += _charts_drawn(page, centre_path)
    assert page.locator(CHARTS).count() == 6
    centre.collect(centre_path)
    problems += _axe_problems(page, centre_path)
    page.screenshot(path="/tmp/steward-dashboard-centre.png", full_page=True)
    page.click(f"a[href='{agency_path}']")
    page.wait_for_url(base + agency_path)
    problems += _charts_drawn(page, agency_path)
    centre.collect(agency_path)
    # The data table reads without the chart: open it.
    page.locator(f"{CHARTS} summary").first.click()
    assert page.locator(f"{CHARTS} details table").first.is_visible()
    page.screenshot(path="/tmp/steward-dashboard-agency.png", full_page=True)

    # 2. At 390 px: the charts still draw and nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (centre_path, agency_path):
        page = centre.go(path)
        problems += _charts_drawn(page, path)
        problems += _sideways(page, path)
        problems += _axe_problems(page, f"{path} (390 px)")
    page.screenshot(path="/tmp/steward-dashboard-centre-390.png", full_page=True)
    centre.close()

    # 3. The liaison: their agency's dashboard.
    liaison = Watched(browser, base, "liaison")
    page = liaison.go(agency_path)
    problems += _charts_drawn(page, agency_path)
    problems += _axe_problems(page, f"{agency_path} (liaison)")
    liaison.close()

    # 4. The committee's chair: what waits on the committee.
    chair = Watched(browser, base, "chair")
    page = chair.go(committee_path)
    assert page.locator("main table a").count() >= 1
    problems += _axe_problems(page, committee_path)
    chair.close()

    problems += centre.problems + liaison.problems + chair.problems
    assert not problems, "\n".join(problems)
