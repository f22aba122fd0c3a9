"""Outbound HTTP errors (steward/lib/http.py) are translated, and quality explains them in Chinese."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from steward.lib.http import AddressPolicy, Timeouts
from steward.quality.crawl.crawler import CrawlConfig, ResourceRef
from steward.quality.models import CheckResult, CheckState
from steward.quality.services import check_resources
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    HostileServer,
    fresh_server,
    running_hostile_server,
)

STEWARD = Path(__file__).resolve().parents[2]
HTTP_MODULE = STEWARD / "lib" / "http.py"
LIB_LOCALE = STEWARD / "lib" / "locale"
CJK = re.compile(r"[\u4e00-\u9fff]")


def http_messages() -> list[str]:
    """Every literal passed to gettext (`_`) in steward/lib/http.py."""
    tree = ast.parse(HTTP_MODULE.read_text(encoding="utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "_"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ]


def test_every_http_message_has_a_traditional_chinese_translation() -> None:
    messages = http_messages()
    assert len(messages) >= 15  # the scan found the module's messages
    with (LIB_LOCALE / "zh_Hant" / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    untranslated = [m for m in messages if not CJK.search(catalogue.gettext(m))]
    assert not untranslated


def test_django_finds_the_http_messages_translations() -> None:
    with translation.override("zh-hant"):
        untranslated = [m for m in http_messages() if not CJK.search(translation.gettext(m))]
    assert not untranslated


@pytest.mark.django_db
def test_the_quality_report_explains_fetch_errors_in_chinese(
    server: HostileServer, tree: Any, cast: Any
) -> None:
    urls = {
        "loop": server.url("/loop/a"),
        "private": server.url("/to-private"),
        "scheme": "ftp://data.example.org/a.csv",
        "refused": "http://127.0.0.1:9/a.csv",  # discard port: nothing listens
    }
    run = check_resources(
        [
            ResourceRef(
                key=name,
                url=url,
                dataset_identifier=f"A17010000J-00000{n}",
                organisation_id=tree.agency_a.pk,
            )
            for n, (name, url) in enumerate(urls.items(), 1)
        ],
        organisation=tree.agency_a,
        config=CrawlConfig(per_host_rate=0, max_attempts=1, timeouts=Timeouts(2, 2, 3)),
        policy=AddressPolicy.from_entries(["127.0.0.1/32"]),
    )
    results = {r.key: r for r in CheckResult.objects.filter(run=run)}
    assert {key: (r.state, r.reason) for key, r in results.items()} == {
        "loop": (CheckState.BROKEN, "redirect_loop"),
        "private": (CheckState.BROKEN, "forbidden_address"),
        "scheme": (CheckState.BROKEN, "unsupported_scheme"),
        "refused": (CheckState.UNKNOWN, "connect_failed"),
    }
    client = Client()
    client.force_login(cast.centre)
    text = client.get(reverse("quality:run", args=[run.pk])).content.decode()
    for chinese in (
        "連結不斷循環轉址，無法取得檔案。",
        "內部網路、本機或雲端中繼資料位址",
        "http:// 或 https://",
        "無法連線到伺服器，系統將再次檢查。",
    ):
        assert chinese in text
    for english in ("redirects in a loop", "Could not connect", "private, local"):
        assert english not in text
