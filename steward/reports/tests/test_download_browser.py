"""The reports page in Debian's Chromium: no serious or critical axe-core violation, no CSP
violation, and its form downloads the report under its Chinese name."""

from __future__ import annotations

from typing import Any

import pytest

from steward.conftest import Cast
from steward.datasets.tests.test_browser import Session, browser  # noqa: F401 (fixture)
from steward.plans.models import Plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def test_the_reports_page_is_accessible_and_its_form_downloads_the_report(
    live_server: Any,
    browser: Any,  # noqa: F811 (the fixture)
    cast: Cast,
    plan: Plan,
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    centre = Session(browser, live_server.url, "centre")
    csp: list[str] = []
    centre.page.on(
        "console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None
    )
    page = centre.go("/reports/")
    assert "產製報告" in page.inner_text("h2")
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
        serious = [
            v["id"]
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], width
    page.select_option("#report-kind", "amendment_table")
    page.select_option("#report-organisation", "t-ministry")
    page.select_option("#report-period", str(page.eval_on_selector(
        "#report-period", "s => [...s.options].map(o => o.value).find(v => /^\\d{4}$/.test(v))"
    )))  # fmt: skip
    page.select_option("#report-format", "odt")
    with page.expect_download() as download:
        page.click("#produce button[type=submit]")
    assert download.value.suggested_filename.endswith("修正對照表.odt")
    assert csp == []
    centre.close()
