"""The pages keep working under the Content-Security-Policy, in Debian's Chromium.

Every page of the main navigation (read from the page itself, so sections added later are
visited too) and the pages with forms load without a single CSP violation or script error;
htmx still updates the field list as it is typed; the language switch still submits itself;
the unsaved-work guard (`data-guard`) still warns before leaving and offers the draft back.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest

from steward.conftest import Cast
from steward.datasets.tests.test_browser import Session, browser  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


class Watched(Session):
    """A signed-in person whose page reports every CSP violation and script error."""

    def __init__(self, chromium: Any, base: str, username: str) -> None:
        self.problems: list[str] = []
        super().__init__(chromium, base, username)

    def go(self, path: str) -> Any:
        page = self.page
        if not getattr(self, "_watching", False):
            page.add_init_script(WATCH)
            page.on("console", self._console)
            page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
            self._watching = True
        response = page.goto(self.base + path)
        assert response is not None and response.status == 200, (path, response)
        self.collect(path)
        return page

    def _console(self, message: Any) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text}")

    def collect(self, path: str) -> None:
        for violation in self.page.evaluate("window.__violations || []"):
            self.problems.append(f"{path}: CSP violation {violation}")
        self.page.evaluate("window.__violations = []")


def test_main_pages_load_under_the_policy_without_violations(
    live_server: Any,
    browser: Any,  # noqa: F811 (the fixture)
    cast: Cast,
) -> None:
    centre = Watched(browser, live_server.url, "centre")
    page = centre.go("/")
    sections = page.eval_on_selector_all(".main-nav a", "links => links.map(a => a.pathname)")
    assert len(sections) >= 8
    year = datetime.date.today().year
    extra = ["/inventory/returns/", "/quality/measures/", f"/calendars/{year}/", "/api/docs"]
    for path in [*sections, *extra]:
        centre.go(path)
    # Swagger UI drew the operations from the schema (its scripts ran under the policy).
    page.wait_for_selector(".opblock", timeout=15_000)
    centre.collect("/api/docs")

    liaison = Watched(browser, live_server.url, "liaison")
    for path in ["/datasets/new/", "/inventory/items/new/"]:
        liaison.go(path)
    assert centre.problems + liaison.problems == []

    # The watcher is not blind: a style attribute added to the page is refused and reported.
    page = liaison.page
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')")
    page.wait_for_function("window.__violations.length > 0")
    assert "style-src-attr" in page.evaluate("window.__violations.join(' ')")
    centre.close()
    liaison.close()


def test_htmx_the_language_switch_and_the_unsaved_work_guard_work_under_the_policy(
    live_server: Any,
    browser: Any,  # noqa: F811 (the fixture)
    cast: Cast,
) -> None:
    liaison = Watched(browser, live_server.url, "liaison")
    page = liaison.go("/datasets/new/")

    # htmx: the field list is drawn as the field description is typed.
    page.fill("#id_fieldDescription", "year(年度)、count(件數)")
    page.wait_for_selector("#field-list code:text('count')")

    # The guard: leaving with unsaved changes asks first; staying keeps the page.
    page.fill("#id_title", "甲署業務統計")
    dialogs: list[str] = []

    def stay(dialog: Any) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.click(".main-nav a[href='/']", no_wait_after=True)
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/datasets/new/")
    page.remove_listener("dialog", stay)

    # The draft is kept in this browser: coming back offers it, and restoring fills the form.
    page.on("dialog", lambda dialog: dialog.accept())
    liaison.go("/datasets/new/")
    banner = page.locator("#dataset-form .notice")
    assert "尚未儲存的表單內容" in banner.inner_text()
    banner.locator("button").click()
    assert page.input_value("#id_title") == "甲署業務統計"

    # The language switch submits itself when changed (no inline onchange any more).
    page.select_option("#language", "en")
    page.wait_for_url(re.compile(r"/datasets/new/$"))
    page.wait_for_selector("h1:text('New dataset')")
    liaison.collect("/datasets/new/ (English)")
    assert liaison.problems == []
    liaison.close()
