"""One dataset from draft to published through the real roles, in Debian's Chromium.

The liaison drafts and submits; the unit reviewer returns it with a reason; the liaison reads
the reason, fixes and resubmits; then unit review, centre review, the committee's recorded
decision, the CIO's approval, scheduling and publishing; the history shows every step.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from steward.conftest import Cast
from steward.datasets.models import Dataset
from steward.datasets.workflow import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"
SCREENSHOT = Path("/tmp/steward-datasets-review.png")


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    # The live server runs in a thread while Playwright's sync API runs an event loop here.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            yield chromium
            chromium.close()
            # Playwright runs the test in its own context, so Django's per-context connections
            # opened meanwhile would outlive it (PostgreSQL then refuses to drop the test DB).
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Session:
    """One person signed in, in their own browser context (their own cookies)."""

    def __init__(self, browser: Any, base: str, username: str) -> None:
        self.context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.base = base
        self.page.goto(f"{base}/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit].primary")
        self.page.wait_for_url(f"{base}/")

    def go(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def close(self) -> None:
        self.context.close()


def _expect_message(page: Any, text: str) -> None:
    assert text in page.locator(".messages").inner_text()


def test_a_dataset_walks_from_draft_to_published_through_the_real_roles(
    live_server: Any, browser: Any, cast: Cast
) -> None:
    base = live_server.url

    # 1. The liaison drafts through the form and submits.
    liaison = Session(browser, base, "liaison")
    page = liaison.go("/datasets/new/")
    assert "新增資料集" in page.inner_text("h1")
    page.select_option("#id_categoryCode", "I00")
    page.fill("#id_title", "甲署業務統計")
    page.fill("#id_description", "甲署歷年受理案件")
    page.fill("#id_fieldDescription", "year(年度)、count(件數)")
    # The field list appears as it is typed (htmx).
    page.wait_for_selector("#field-list code:text('count')")
    page.fill("#id_organizationContactName", "王小明")
    page.fill("#id_organizationContactPhone", "02-1234-5678")
    page.fill("#id_organizationContactEmail", "wang@example.gov.tw")
    page.fill("#id_publisherContactPhone", "02-8765-4321")
    page.fill("#id_accrualPeriodicity", "每1年")
    page.fill("#id_res-0-resourceDescription", "歷年統計 CSV")
    page.fill("#id_res-0-format", "CSV")
    page.fill("#id_res-0-downloadURL", "https://a.example.gov.tw/stats.csv")
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r"/datasets/\d+/$"))
    _expect_message(page, "已送審")
    dataset = Dataset.objects.get()
    assert dataset.status == Status.UNIT_REVIEW
    assert dataset.identifier == "A17010000J-000001"

    # 2. The unit reviewer finds it in "my work" and returns it with a reason.
    reviewer = Session(browser, base, "reviewer")
    page = reviewer.go("/datasets/queue/")
    page.click(f"tr:has-text('{dataset.identifier}') a.button")
    page.wait_for_url(re.compile(r"/review/$"))
    page.fill(
        "#steps form:has([data-step=reject]) textarea[name=reasons]", "描述太簡略，請說明統計範圍"
    )
    page.click("[data-step=reject]")
    _expect_message(page, "已退回聯絡人")

    # 3. The liaison sees the reason, fixes the description and resubmits.
    page = liaison.go("/datasets/queue/")
    assert "描述太簡略，請說明統計範圍" in page.inner_text("main")
    page.click(f"tr:has-text('{dataset.identifier}') a.button")
    page.wait_for_url(re.compile(r"/edit/$"))
    assert "描述太簡略" in page.inner_text("[data-returned-reasons]")
    page.fill("#id_description", "甲署 2020 年起各區受理案件數量，按年統計")
    page.click("button[name=submit]")
    page.wait_for_url(re.compile(r"/datasets/\d+/$"))
    dataset.refresh_from_db()
    assert dataset.status == Status.UNIT_REVIEW

    # 4. Unit review (初審) passes.
    page = reviewer.go(f"/datasets/{dataset.pk}/review/")
    page.click("[data-step=approve]")
    _expect_message(page, "已同意並送下一關")

    # 5. The information centre reviews (複審); screenshot the review page.
    centre = Session(browser, base, "centre")
    page = centre.go(f"/datasets/{dataset.pk}/review/")
    assert "待資訊中心複審" in page.inner_text("main")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.click("[data-step=approve]")
    _expect_message(page, "已同意並送下一關")

    # 6. The committee's decision is recorded in a meeting.
    page = centre.go(f"/datasets/{dataset.pk}/review/")
    page.click("a[data-link=new-meeting]")
    page.fill("#id_held_on", "2026-04-20")
    page.fill("#id_number", "115年第1次會議")
    page.fill("#id_civil_representatives", "4")
    page.click("#meeting-form button[type=submit]")
    page.wait_for_url(re.compile(r"/review/$"))
    page.select_option("#id_meeting", label="115年第1次會議 (2026-04-20)")
    page.check("input[name=decision][value=approve]")
    page.click("[data-step=committee]")
    _expect_message(page, "已登錄諮詢小組決議")

    # 7. The CIO approves (核定).
    cio = Session(browser, base, "cio")
    page = cio.go("/datasets/queue/")
    page.click(f"tr:has-text('{dataset.identifier}') a.button")
    page.click("[data-step=approve]")
    _expect_message(page, "已同意並送下一關")

    # 8. The information centre schedules it and records it as published.
    page = centre.go(f"/datasets/{dataset.pk}/")
    page.fill("#id_on", "2026-05-29")
    page.click("[data-step=schedule]")
    _expect_message(page, "已排定登載")
    page.fill("#id_portal_identifier", "170001")
    page.click("[data-step=publish]")
    _expect_message(page, "已登錄為已發布")
    dataset.refresh_from_db()
    assert dataset.status == Status.PUBLISHED
    assert dataset.portal_identifier == "170001"

    # 9. The history shows every step, who took it and the reason of the return.
    page = liaison.go(f"/datasets/{dataset.pk}/history/")
    actions = page.eval_on_selector_all(
        "tr[data-action]", "rows => rows.map(r => r.dataset.action)"
    )
    assert actions == [
        "dataset.create",
        "dataset.submit",
        "dataset.reject",
        "dataset.edit",
        "dataset.submit",
        "dataset.approve_unit_review",
        "dataset.approve_centre_review",
        "dataset.committee_decision",
        "dataset.approve_by_cio",
        "dataset.schedule",
        "dataset.publish",
    ]
    history = page.inner_text("table.history")
    assert "描述太簡略，請說明統計範圍" in history
    assert "已發布" in history
    for session in (liaison, reviewer, centre, cio):
        session.close()


def test_the_edit_form_shows_the_coverage_dates_and_saving_it_unchanged_changes_nothing(
    live_server: Any, browser: Any, cast: Cast, walk_to: Any
) -> None:
    """開始收錄日期/結束收錄日期 used to render as 2020/01/01, which a date input shows as empty;
    saving then erased them. The schedule date of the publishing step had the same fault."""
    from steward.datasets import services
    from steward.datasets.metadata import record_of

    dataset = walk_to(Status.DRAFT)
    services.update_dataset(
        dataset, by=cast.liaison, values={"temporalCoverageTo": datetime.date(2025, 12, 31)}
    )
    dataset.refresh_from_db()
    before = record_of(dataset)
    assert before["temporalCoverageFrom"] == "2020-01-01"

    liaison = Session(browser, live_server.url, "liaison")
    page = liaison.go(f"/datasets/{dataset.pk}/edit/")
    assert page.input_value("#id_temporalCoverageFrom") == "2020-01-01"
    assert page.input_value("#id_temporalCoverageTo") == "2025-12-31"
    page.click("button[name=save]")
    page.wait_for_url(re.compile(r"/edit/$"))
    _expect_message(page, "已儲存")
    dataset.refresh_from_db()
    assert record_of(dataset) == before
    # Reopened, the dates are still there.
    page = liaison.go(f"/datasets/{dataset.pk}/edit/")
    assert page.input_value("#id_temporalCoverageFrom") == "2020-01-01"
    liaison.close()

    # The publishing step's date shows the planned day and is what gets scheduled.
    dataset = walk_to(Status.APPROVED)
    centre = Session(browser, live_server.url, "centre")
    page = centre.go(f"/datasets/{dataset.pk}/")
    shown = page.input_value("#id_on")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", shown)
    page.click("[data-step=schedule]")
    _expect_message(page, "已排定登載")
    dataset.refresh_from_db()
    assert dataset.status == Status.SCHEDULED
    assert dataset.scheduled_publish_on == datetime.date.fromisoformat(shown)
    centre.close()
