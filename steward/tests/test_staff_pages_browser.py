"""Every staff page in Debian's Chromium, as each role of the demo signs in: axe-core finds no
serious or critical violation (WCAG 2.1 AA).

The pages are those the person reaches from the navigation: each section of the main menu and
every page one link away from it (a dataset's review page, a plan, a feedback item, a calendar
year, …), one of each kind, plus the error pages. The demo (`steward demo`) is loaded as an
operator would load it, so there is work in progress at every stage to show.
"""

from __future__ import annotations

import re
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from steward.datasets.tests.test_browser import browser  # noqa: F401 (fixture)
from steward.organisations.management.commands.demo import DEMO_PASSWORD, DEMO_PEOPLE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: Links that are not pages to check: files, the API, the admin, signing out.
NOT_PAGES = re.compile(r"^/(api/|admin/|static/|accounts/logout)|export|download|\.(csv|xlsx|ods)")
#: Pages one link from the navigation, at most this many per section and person.
PER_SECTION = 8


def _kind(path: str) -> str:
    """One page of each kind: /datasets/12/review/ and /datasets/13/review/ are one kind."""
    return re.sub(r"\d+", "N", path)


def _sign_in(browser: Any, base: str, username: str) -> Any:  # noqa: F811
    context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")
    return context, page


def _links(page: Any) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.href)"
    )  # absolute, as the browser resolved them
    return [href for href in hrefs if isinstance(href, str)]


def test_every_staff_page_of_every_demo_role_passes_axe(
    browser: Any,  # noqa: F811 (the fixture)
    live_server: Any,
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    call_command("demo", stdout=StringIO())
    base = live_server.url
    host = urlsplit(base).netloc
    axe = Axe()
    problems: list[str] = []
    checked: set[tuple[str, str]] = set()  # (username, kind of page)
    seen: set[str] = set()  # the pages axe has run on, as shown

    def check(page: Any, username: str, path: str) -> bool:
        kind = _kind(path)
        if (username, kind) in checked or NOT_PAGES.search(path):
            return False
        checked.add((username, kind))
        response = page.goto(base + path)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            return False
        # The same page seen by another role with nothing different on it is not run again.
        shown = page.inner_html(".main-nav") + page.inner_html("main")
        main = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", shown)
        if main in seen:
            return True
        seen.add(main)
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
        assert results.response["passes"], path  # the rules did run
        for violation in results.response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [node["target"] for node in violation["nodes"]][:3]
                problems.append(f"{username} {path}: {violation['id']} {targets}")
        return True

    for username, *_rest in DEMO_PEOPLE:
        context, page = _sign_in(browser, base, username)
        check(page, username, "/")
        sections = page.eval_on_selector_all(
            ".main-nav a", "links => links.map(a => a.pathname + a.search)"
        )
        assert sections, username
        for section in sections:
            if not check(page, username, section):
                continue
            shown = 0
            for href in _links(page):
                parts = urlsplit(href)
                if parts.netloc != host or shown >= PER_SECTION:
                    continue
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                if check(page, username, path):
                    shown += 1
                    page.goto(base + section)  # back to the section for its next link
        # The dataset form (a 403 page for those who may not draft), a flash message (a page
        # past the end of the inventory says so above the nearest page) and a 404 page.
        check(page, username, "/datasets/new/")
        if check(page, username, "/inventory/?page=99"):
            assert page.locator(".messages .message").count() == 1, username
        check(page, username, "/datasets/999999999/")
        context.close()

    pages = {kind for _user, kind in checked}
    for expected in ("/", "/datasets/", "/inventory/", "/calendars/", "/plans/", "/feedback/"):
        assert any(kind.startswith(expected) for kind in pages), (expected, sorted(pages))
    print(f"{len(checked)} pages, {len(seen)} different, {len(pages)} kinds: {sorted(pages)}")
    assert not problems, "\n".join(problems)
