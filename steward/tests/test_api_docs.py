"""`/api/docs` works offline: Swagger UI comes from our static files, never from a CDN."""

from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

CHROMIUM = "/usr/bin/chromium"


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_docs_page_references_no_other_host(db: None) -> None:
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cdn" not in html.lower()
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE)
    urls = asset_urls(html)
    assert {Path(url).name for url in urls} >= {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "api-docs.js",
    }
    assert all(url.startswith(settings.STATIC_URL) for url in urls), urls
    # Every script is a file of ours: the only inline <script> is the settings as JSON data.
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert inline == [' type="application/json" id="swagger-settings"']


def test_the_vendored_swagger_ui_keeps_its_licence() -> None:
    vendored = Path(settings.BASE_DIR) / "steward" / "static" / "steward" / "swagger-ui"
    assert "Apache License" in (vendored / "LICENSE").read_text(encoding="utf-8")
    assert "swagger-ui-dist" in (vendored / "README.md").read_text(encoding="utf-8")


@pytest.mark.django_db(transaction=True)
def test_the_docs_assets_are_served(live_server: Any) -> None:
    with urllib.request.urlopen(f"{live_server.url}/api/docs") as page:
        urls = asset_urls(page.read().decode())
    for url in urls:
        with urllib.request.urlopen(live_server.url + url) as asset:
            assert asset.status == 200
            assert len(asset.read()) > 100, url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_docs_render_every_operation_with_the_internet_cut_off(live_server: Any) -> None:
    """Chromium refuses every request to another host; Swagger UI still lists the operations."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import Route, sync_playwright

    ours = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []

    def only_ours(route: Route) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            page = chromium.new_page()
            page.route("**/*", only_ours)
            page.goto(f"{live_server.url}/api/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            operations = page.locator(".opblock").count()
            title = page.locator(".info .title").inner_text()
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        connections.close_all()
    assert operations >= 50
    assert "OpenData Steward API" in title
    assert elsewhere == []
