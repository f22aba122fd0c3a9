"""The readable quality report and results page: words a civil servant can act on.

Files are served by a real HTTP server on 127.0.0.1 (the standard library's), and the report
is written by `steward quality check`, exactly as a liaison reads it.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from steward.quality.crawl.fetch import REASONS
from steward.quality.models import CheckResult, CheckRun
from steward.quality.tests.hostile_server import BIG5_CSV, GOOD_CSV, PII_CSV
from steward.quality.tests.test_check_command import catalogue_row, run_check, write_catalogue

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
#: A short CSV where most data lines lack a field (a spreadsheet export gone wrong).
RAGGED_CSV = "年度,機關名稱,金額\n113,勞動部\n114,勞動部,1350\n114,勞保局\n115\n"
STAR_ADVICE = "請改以 CSV、JSON、XML 或 ODS 等非專屬格式提供，即可達 3 星。"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def files(tmp_path: Path) -> Iterator[str]:
    """A directory of real files served on 127.0.0.1; yields the base URL."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "good.csv").write_text(GOOD_CSV, encoding="utf-8")
    (root / "ids.csv").write_text(PII_CSV, encoding="utf-8")
    (root / "old.csv").write_bytes(BIG5_CSV.encode("big5"))
    (root / "report.pdf").write_bytes(PDF)
    (root / "broken.json").write_text('[{"年度": 113, "金額": 1200}, {"年度": 114,', "utf-8")
    (root / "ragged.csv").write_text(RAGGED_CSV, encoding="utf-8")
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def report(files: str, tmp_path: Path, tree: Any) -> str:
    catalogue = write_catalogue(
        tmp_path / "export.csv",
        [
            catalogue_row("A17010000J-000001", "年度預算", [f"{files}/good.csv"]),
            catalogue_row(
                "A17010000J-000002",
                "年度報告",
                [f"{files}/report.pdf"],
                檔案格式="PDF",
                主要欄位說明="",
            ),
            catalogue_row(
                "A17010000J-000003",
                "補助名冊",
                [f"{files}/ids.csv"],
                主要欄位說明="姓名(中文)、身分證字號(中文)、補助金額(新臺幣元)",
            ),
            catalogue_row("A17010000J-000004", "舊系統", [f"{files}/old.csv"]),
            catalogue_row("A17010000J-000005", "搬家了", [f"{files}/missing.csv"]),
        ],
    )
    _document, text = run_check(catalogue, tmp_path)
    return text


def _section(report: str, heading_start: str) -> str:
    """The text of the section whose heading starts with heading_start ("一、", "二、" …)."""
    start = report.index(f"\n{heading_start}")
    following = [report.find(f"\n{n}、", start + 1) for n in "一二三四五六"]
    ends = [i for i in following if i > start]
    return report[start : min(ends) if ends else len(report)]


def test_the_report_shows_no_internal_codes(report: str) -> None:
    for code in REASONS:
        assert f"（{code}）" not in report, code
        if "_" in code:
            assert code not in report, code
    for word in ("gold", "silver", "bronze", "none", "utf-8-sig", "cp950", "big5"):
        assert word not in report, word


def test_marks_and_encodings_are_written_as_words(report: str) -> None:
    assert "標章：金標章" in report or "金標章 " in report
    assert "無標章" in report  # the PDF and the missing file earn no mark
    assert "實際編碼：BIG5" in report  # the old system's file, in words


def test_personal_data_comes_first_under_what_to_fix_now(report: str) -> None:
    first = _section(report, "一、")
    assert "請立即處理" in first
    assert "A17010000J-000003" in first and "補助名冊" in first
    assert "疑似個人資料：身分證字號" in first
    assert report.index("A17010000J-000003") < report.index("\n二、")


def test_a_file_whose_link_is_fine_still_gets_its_advice(report: str) -> None:
    improve = _section(report, "四、")
    assert "A17010000J-000002" in improve
    assert STAR_ADVICE in improve  # the PDF's one-star advice, no longer only in the JSON


def test_every_file_appears_even_with_nothing_to_fix(report: str) -> None:
    for identifier in (f"A17010000J-00000{n}" for n in range(1, 6)):
        assert identifier in report, identifier
    broken = _section(report, "二、")
    assert "A17010000J-000005" in broken and "伺服器表示檔案不存在（404）。" in broken


def test_the_results_page_lists_the_same_advice_in_words(
    report: str, tree: Any, cast: Any, client: Client
) -> None:
    result = CheckResult.objects.get(dataset_identifier="A17010000J-000002")
    # as the agency's own self-check run (a catalogue file's run belongs to no organisation)
    run_id = result.run_id
    assert run_id is not None
    CheckRun.objects.filter(pk=run_id).update(organisation=tree.agency_a)
    client.force_login(cast.centre)
    page = client.get(reverse("quality:run", args=[run_id])).content.decode()
    assert STAR_ADVICE in page
    assert "無標章" in page
    assert ">none<" not in page and ">cp950<" not in page


@pytest.mark.parametrize(
    ("body", "file_format", "words"),
    [
        (b"<rows><row>1</rows>", "XML", "開始與結束標籤不一致"),
        (b"<rows><row>1</row></rows><extra/>", "XML", "根元素結束後還有多餘的內容"),
        (b"PK\x03\x04 not really a workbook", "XLSX", "試算表無法開啟"),
    ],
)
def test_library_messages_reach_the_report_in_chinese(
    body: bytes, file_format: str, words: str
) -> None:
    import io

    from steward.quality.checks.sniff import FileFormat
    from steward.quality.checks.tables import validate_table

    table = validate_table(io.BytesIO(body), format=FileFormat(file_format), complete=True)
    messages = " ".join(finding.message for finding in table.findings)
    assert words in messages
    assert not any(c.isascii() and c.isalpha() for c in messages.replace(file_format, "")), messages


def test_malformed_files_are_judged_as_their_declared_format(
    files: str, tmp_path: Path, tree: Any
) -> None:
    catalogue = write_catalogue(
        tmp_path / "malformed.csv",
        [
            catalogue_row(
                "A17010000J-000011",
                "壞掉的 JSON",
                [f"{files}/broken.json"],
                檔案格式="JSON",
                主要欄位說明="年度(民國年)、金額(新臺幣元)",
            ),
            catalogue_row("A17010000J-000012", "缺欄位的 CSV", [f"{files}/ragged.csv"]),
        ],
    )
    document, text = run_check(catalogue, tmp_path)
    results = {item["dataset"]: item for item in document["results"]}

    broken_json = results["A17010000J-000011"]
    assert broken_json["detected_format"] == "JSON"  # not re-labelled as CSV or text
    codes = {finding["code"] for finding in broken_json["findings"]}
    assert "not_well_formed" in codes and "mismatch" not in codes
    assert broken_json["stars"] == 1  # not machine-readable, so not three stars
    assert broken_json["mark"] not in ("gold", "silver")
    assert "請將檔案格式改為" not in text  # no advice to relabel a file that is only broken

    ragged = results["A17010000J-000012"]
    assert ragged["detected_format"] == "CSV"
    assert ragged["checks"]["table"]["ragged_rows"] == 3  # its table was checked
    assert ragged["flags"]["csv"] == 0
