"""The evaluation pages in Debian's Chromium, on the demo's year of activity.

The information centre runs the year's evaluation from the page, sees the ranking and each
organisation's figures, and drills down to the records a KPI counted; the head of the
ministry approves the award list. No page breaks the Content-Security-Policy or has a serious
or critical axe-core violation (WCAG 2.1 AA).
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from steward.datasets.tests.test_browser import PASSWORD, browser  # noqa: F401 (fixture)
from steward.evaluation.models import AwardList, AwardStatus, EvaluationRun
from steward.lib.tests.test_browser_csp import Watched
from steward.organisations.models import Organisation, Person, Role
from steward.organisations.services import grant_role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe_problems(page: Any, path: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    assert results.response["passes"], path  # the rules did run
    return [
        f"{path}: {violation['id']} {[node['target'] for node in violation['nodes']][:3]}"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def _path(page: Any, base: str) -> str:
    return str(page.url).removeprefix(base)


def test_the_centre_evaluates_the_year_and_the_head_approves_the_award_list(
    live_server: Any,
    browser: Any,  # noqa: F811 (the fixture)
) -> None:
    call_command("demo", stdout=StringIO())
    mol = Organisation.objects.get(key="mol")
    # The demo's logins use the demo password; the ministry's head is not one of them.
    centre_person = Person.objects.get(username="centre")
    centre_person.set_password(PASSWORD)
    centre_person.save()
    minister = Person.objects.create_user(
        username="minister", password=PASSWORD, display_name="部長", email="minister@mol.gov.tw"
    )
    grant_role(by=None, person=minister, organisation=mol, role=Role.HEAD_OF_AGENCY)
    year = str(timezone.localdate().year)
    base = live_server.url
    problems: list[str] = []

    # 1. The information centre runs the evaluation of the year on the page.
    centre = Watched(browser, base, "centre")
    page = centre.go("/evaluation/")
    problems += _axe_problems(page, "/evaluation/")
    section = page.locator("section.card", has_text="勞動部")
    section.locator("input[name=period]").fill(year)
    section.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}/evaluation/runs/*/")
    run_path = _path(page, base)
    centre.collect(run_path)
    assert "評估已完成" in page.locator(".messages").inner_text()
    roc_year = timezone.localdate().year - 1911
    assert f"民國 {roc_year} 年" in page.locator("h1").inner_text()
    run = EvaluationRun.objects.get(pk=int(run_path.strip("/").split("/")[-1]))

    # 2. The ranking lists the ministry and its agencies; the figures have values.
    ranking = page.locator("table.table").first.inner_text()
    for name in ("勞動部勞工保險局", "勞動部勞動力發展署", "勞動部職業安全衛生署"):
        assert name in ranking, name
    problems += _axe_problems(page, run_path)

    # 3. Drill down: 勞工保險局's accuracy figure lists the datasets it counted.
    bli = page.locator("h2", has_text="勞動部勞工保險局").locator(
        "xpath=following-sibling::table[1]"
    )
    row = bli.locator("tr", has_text="正確率")
    value = row.locator("td.number a").first
    assert "%" in value.inner_text()
    value.click()
    page.wait_for_url(f"{base}/evaluation/runs/*/figures/*/")
    figure_path = _path(page, base)
    centre.collect(figure_path)
    assert "正確率" in page.locator("h1").inner_text()
    records = page.locator("main li").all_inner_texts()
    assert any("A17000000J-" in record for record in records), records
    problems += _axe_problems(page, figure_path)
    # the centre may not approve: no decision form for them
    page = centre.go(run_path)
    assert page.locator(f"form[action='{run_path}awards/']").count() == 0
    centre.close()

    # 4. The head of the ministry approves the proposed award list.
    award = AwardList.objects.get(run=run)
    assert award.status == AwardStatus.PROPOSED
    head = Watched(browser, base, "minister")
    page = head.go(run_path)
    problems += _axe_problems(page, f"{run_path} (head)")
    form = page.locator(f"form[action='{run_path}awards/']")
    form.locator("select[name=decision]").select_option("accept")
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base}{run_path}")
    head.collect(run_path)
    assert "已記錄敘獎名單的決定" in page.locator(".messages").inner_text()
    award.refresh_from_db()
    assert award.status == AwardStatus.APPROVED and award.decided_by == minister
    assert page.locator(f"form[action='{run_path}awards/']").count() == 0  # decided once
    head.close()

    problems += centre.problems + head.problems
    assert not problems, "\n".join(problems)
