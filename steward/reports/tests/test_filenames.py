"""A downloaded report's file name reads as its Chinese title (spaces kept, never 「勞動部115_年第
_4_季…」) and is still safe: no path separator, control or invisible character."""

from __future__ import annotations

import dataclasses
from urllib.parse import unquote

import pytest
from django.test import Client

from steward.conftest import Cast, Tree
from steward.plans.models import Plan
from steward.reports.render import filename
from steward.reports.tests.render_documents import quarterly_document


def _titled(title: str) -> str:
    return filename(dataclasses.replace(quarterly_document(), title=title), "pdf")


def test_the_file_name_keeps_the_title_s_spaces() -> None:
    assert _titled("勞動部 115 年第 4 季資料開放辦理情形報告") == (
        "勞動部 115 年第 4 季資料開放辦理情形報告.pdf"
    )


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("../../etc/passwd", "etcpasswd.pdf"),
        ("勞動部\\115 年/第 4 季", "勞動部115 年第 4 季.pdf"),
        ("勞動部\x00\x1b 報告\n\t第 4 季", "勞動部 報告 第 4 季.pdf"),
        ("報告\u202etxt.exe", "報告txt.exe.pdf"),  # a right-to-left override is dropped
        ('報告: "草案" <1>|?*', "報告 草案 1.pdf"),
        ("  . 報告 .  ", "報告.pdf"),
        ("\x00/", "quarterly_progress.pdf"),  # nothing left: the kind names it
    ],
)
def test_the_file_name_is_safe(title: str, name: str) -> None:
    assert _titled(title) == name


def test_the_download_header_names_the_file_as_it_reads(
    client: Client, cast: Cast, tree: Tree, plan: Plan
) -> None:
    client.force_login(cast.centre)
    response = client.get(
        "/reports/download/",
        {
            "kind": "quarterly_progress",
            "organisation": "t-ministry",
            "period": "2026Q4",
            "format": "odt",
        },
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename*=utf-8''")  # RFC 5987
    name = unquote(disposition.split("filename*=utf-8''", 1)[1])
    assert name == "測試部 115 年第 4 季資料開放辦理情形報告.odt"  # the title, spaces and all
