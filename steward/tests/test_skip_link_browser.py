"""The skip link, in Debian's Chromium: one Tab reaches it, it shows, Enter moves to the content."""

from __future__ import annotations

from typing import Any

import pytest

from steward.conftest import Cast
from steward.datasets.tests.test_browser import Session, browser  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_one_tab_reaches_the_skip_link_and_enter_moves_to_the_main_content(
    live_server: Any,
    browser: Any,  # noqa: F811 (the fixture)
    cast: Cast,
) -> None:
    page = Session(browser, live_server.url, "centre").go("/reports/")
    link = page.locator("a.skip-link")
    assert not link.is_visible() or link.bounding_box()["y"] < 0  # out of sight until focused
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.textContent, document.activeElement.getAttribute('href')]"
    )
    assert focused == ["跳至主要內容", "#main"]
    box = link.bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 10  # seen when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")  # the next Tab goes on in the content (the report form)
    inside = page.evaluate(
        "document.getElementById('main').contains(document.activeElement)"
        " || document.activeElement.outerHTML.slice(0, 120)"
    )
    assert inside is True, inside
