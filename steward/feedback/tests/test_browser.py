"""In Debian's Chromium: a public comment to the published reply with the CIO's approval on the
MOJ plan, and MOL's 6-day boundary across the 2026 Lunar New Year on the staff pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset
from steward.datasets.tests.test_browser import Session, browser  # noqa: F401  (fixture)
from steward.datasets.workflow import Status as DatasetStatus
from steward.feedback.models import FeedbackItem, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_public_comment_reaches_its_reply_through_the_cio_on_the_moj_plan(
    live_server: Any, browser: Any, cast: Cast, tree: Tree,  # noqa: F811
    follow: Callable[[str], None], settings: Any,
) -> None:  # fmt: skip
    settings.STEWARD_FEEDBACK_MIN_FILL_SECONDS = 1
    follow("moj")
    dataset = Dataset.objects.create(organisation=tree.unit_a1, identifier="A17010000J-000001",
                                     title="矯正機關收容人數", status=DatasetStatus.PUBLISHED)  # fmt: skip
    base = live_server.url

    # 1. A member of the public, with no account, reports an error (with markup in it).
    public = browser.new_context(locale="zh-TW").new_page()
    public.goto(f"{base}/feedback/new/?dataset={dataset.identifier}")
    assert "矯正機關收容人數" in public.inner_text("main")
    public.check("input[name=kind][value=error_report]")
    public.fill("#id_text", "113 年 12 月人數與年報不同 <script>alert(1)</script>")
    public.wait_for_timeout(1200)  # a person takes longer than the minimum fill time
    public.click("main button[type=submit]")
    public.wait_for_url(re.compile(r"/feedback/t/[\w-]+/\?new=1$"))
    tracking = public.url.split("?")[0]
    assert "處理中" in public.inner_text("main")
    assert "<script>alert(1)</script>" in public.inner_text(".feedback-text")  # shown as text
    item = FeedbackItem.objects.get()
    assert item.cio_approval_required and item.limit_days == 7

    # 2. The liaison drafts the reply and submits it to the CIO.
    liaison = Session(browser, base, "liaison")
    page = liaison.go("/feedback/")
    page.click(f"tr:has-text('#{item.pk}') a.button")
    page.wait_for_url(re.compile(rf"/feedback/{item.pk}/$"))
    page.fill("#reply_text", "已更正 113 年 12 月收容人數，謝謝指正。")
    page.click("form[action$='/draft/'] button")
    assert "已完成" in page.inner_text(".messages")
    assert page.locator("form[action$='/send/']").count() == 0  # not before the CIO approves
    page.click("form[action$='/submit/'] button")
    assert "回復待資訊長核准" in page.inner_text("main")

    # 3. The CIO finds it in the approval queue and approves.
    cio = Session(browser, base, "cio")
    page = cio.go("/feedback/approvals/")
    page.click(f"tr:has-text('#{item.pk}') a.button")
    page.click("form[action$='/approve/'] button")
    assert "資訊長已核准回復" in page.inner_text("main")

    # 4. The liaison sends it; the public tracking page shows the reply.
    page = liaison.go(f"/feedback/{item.pk}/")
    page.click("form[action$='/send/'] button")
    assert "已回復" in page.inner_text("main")
    public.goto(tracking)
    assert "已更正 113 年 12 月收容人數" in public.inner_text("#reply")
    item.refresh_from_db()
    assert item.status == Status.REPLIED and item.approved_by == cast.cio


def test_mol_six_days_include_the_sixth_across_lunar_new_year(
    live_server: Any, browser: Any, cast: Cast, tree: Tree,  # noqa: F811
    follow: Callable[[str], None],
) -> None:  # fmt: skip
    follow("mol")
    centre = Session(browser, live_server.url, "centre")
    for received in ("2026-02-13T23:59", "2026-02-14T00:00"):
        page = centre.go("/feedback/enter/")
        page.select_option("#id_kind", "comment")
        page.select_option("#id_channel", "national_portal")
        page.select_option("#id_organisation", str(tree.unit_a1.pk))
        page.fill("#id_received_at", received)
        page.fill("#id_text", f"{received} 收到的意見")
        page.click("main button[type=submit]")
        page.wait_for_url(re.compile(r"/feedback/\d+/$"))
        text = page.inner_text("main")
        # Received Friday 13 Feb before midnight: due at the end of Thu 19 Feb although the
        # whole week is the New Year holiday (calendar days); a minute later: Fri 20 Feb.
        expected = "2026-02-19" if received.startswith("2026-02-13") else "2026-02-20"
        assert expected in page.inner_text(".due"), text
        assert "日曆天" in text and "收件後 6 日" in text
    first, second = FeedbackItem.objects.order_by("received_at")
    assert (str(first.due_on), str(second.due_on)) == ("2026-02-19", "2026-02-20")
