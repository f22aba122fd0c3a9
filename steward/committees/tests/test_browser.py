"""The committee pages under the Content-Security-Policy in Debian's Chromium: the secretariat
records a meeting and writes its minutes through the forms, without a violation."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from steward.committees.tests.conftest import Committees, Waiting
from steward.conftest import Cast
from steward.datasets.tests.test_browser import browser  # noqa: F401 (fixture)
from steward.datasets.workflow import Status
from steward.lib.tests.test_browser_csp import Watched

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def today() -> datetime.date:
    """Real time here: the live server and the browser share the clock."""
    return datetime.date.today()


def test_the_secretariat_records_a_meeting_and_its_minutes_in_the_browser(
    live_server: Any,
    browser: Any,  # noqa: F811 (the fixture)
    cast: Cast,
    committees: Committees,
    waiting: Waiting,
) -> None:
    centre = Watched(browser, live_server.url, "centre")
    page = centre.go("/committees/")
    page.click(f"a[href='/committees/{committees.advisory.pk}/']")
    centre.collect("/committees/<pk>/")
    held = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    page.fill("#id_held_on", held)
    page.fill("#id_attendees", "召集人、民間代表")
    page.click("text=登錄會議 >> nth=-1")
    page.wait_for_selector("h1:has-text('會議')")
    centre.collect("meeting")
    select = page.locator("select[name^='decision_']").first
    select.select_option("approve")
    page.fill("#minutes", "一、同意開放。")
    page.click("text=儲存會議紀錄並執行決議")
    page.wait_for_selector(".messages")
    assert "已執行 1 項決議" in page.locator(".messages").inner_text()
    centre.collect("minutes")
    waiting.dataset.refresh_from_db()
    assert waiting.dataset.status == Status.CIO_APPROVAL
    assert centre.problems == []
