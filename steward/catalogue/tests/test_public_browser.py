"""Every public page in Debian's Chromium: axe-core finds no serious or critical violation
(WCAG 2.1 AA), at desktop width and at 390 px, where the page body never scrolls sideways."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connections

from steward.catalogue.tests.conftest import record_verdicts
from steward.conftest import Tree
from steward.datasets.models import Dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # the live server runs in a thread
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync", "--no-first-run"],
            )  # fmt: skip
            yield chromium
            chromium.close()
            connections.close_all()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def test_every_public_page_passes_axe_and_fits_390_px(
    browser: Any, live_server: Any, tree: Tree, catalogue: list[Dataset]
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    # through the quality services, so the search page has its mark and stars facets too
    record_verdicts(catalogue[0].organisation, [(f"{catalogue[0].identifier}-001", "gold", 3)])
    pages = [
        "/catalogue/",
        f"/catalogue/{tree.ministry.key}/",
        "/dataset/",
        "/dataset/?q=投保薪資&res_format=CSV",
        "/dataset/?quality_mark=金標章&openness_stars=3",
        "/dataset/?q=" + "x" * 600,  # the error state
        f"/dataset/{catalogue[0].identifier.lower()}",
        "/organization/a17010000j",
    ]
    axe = Axe()
    problems = []
    for width, height in ((1280, 900), (390, 844)):
        context = browser.new_context(locale="zh-TW", viewport={"width": width, "height": height})
        page = context.new_page()
        for path in pages:
            page.goto(live_server.url + path)
            assert page.locator("h1").count() == 1, path
            results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
            assert results.response["testEngine"]["name"] == "axe-core"
            assert results.response["passes"], path  # the rules did run
            for violation in results.response["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    targets = [node["target"] for node in violation["nodes"]][:3]
                    problems.append(f"{width}px {path}: {violation['id']} {targets}")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                problems.append(f"{width}px {path}: the page scrolls sideways by {overflow}px")
        if width == 390:
            page.goto(live_server.url + f"/dataset/{catalogue[0].identifier.lower()}")
            page.screenshot(path="/tmp/steward-public-dataset-390.png", full_page=True)
        context.close()
    assert not problems, "\n".join(problems)
