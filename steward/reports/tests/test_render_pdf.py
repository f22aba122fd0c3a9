"""The PDF, converted from the same ODT by LibreOffice headless: read with poppler's tools
(pdftotext, pdffonts, pdfimages, pdftoppm) as a reader's viewer would show it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import translation

from steward.reports.document import ReportDocument
from steward.reports.render import Rendered, render
from steward.reports.tests.render_documents import (
    comparison_document,
    quarterly_document,
    soffice,
)

LONG_NAME = "勞動部勞動力發展署桃竹苗分署暨所屬就業服務站與職業訓練場及青年職涯發展中心聯合服務處與產業人才投資方案辦公室綜合規劃一科"
A4_WIDTH_PT = 595.3
MARGIN_PT = 2 / 2.54 * 72  # the 2 cm margin


def _poppler(tool: str, *args: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} (poppler-utils) is not installed: run scripts/system-deps")
    return subprocess.run(
        [found, *args], check=True, capture_output=True, text=True, timeout=60
    ).stdout


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    with translation.override("zh-hant"):
        yield


def _pdf(document: ReportDocument, folder: Path) -> Path:
    soffice()
    with translation.override("zh-hant"):
        rendered = render(document, "pdf")
    assert rendered.problems == (), rendered.problems
    assert rendered.content_type == "application/pdf"
    assert rendered.content.startswith(b"%PDF")
    path = folder / rendered.filename
    path.write_bytes(rendered.content)
    return path


@pytest.fixture(scope="module")
def quarterly_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _pdf(quarterly_document(), tmp_path_factory.mktemp("quarterly"))


def test_pdf_says_the_numbers_and_chinese_headings(quarterly_pdf: Path) -> None:
    words = _poppler("pdftotext", "-layout", str(quarterly_pdf), "-")
    for expected in (
        "勞動部 115 年第 4 季資料開放辦理情形報告",
        "製表日期：115 年 12 月 5 日",
        "壹、辦理概況",
        "伍、工作時程",
        "2,311",
        "87.5",
        "本期無停止提供之資料集。",
    ):
        assert expected in words, expected


def test_pdf_is_tagged_with_its_title_language_and_the_charts_text_alternatives(
    quarterly_pdf: Path,
) -> None:
    info = _poppler("pdfinfo", str(quarterly_pdf))
    assert re.search(r"^Title:\s+勞動部 115 年第 4 季資料開放辦理情形報告$", info, re.M)
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    content = quarterly_pdf.read_bytes()
    assert b"/Lang(zh-TW)" in content
    assert content.count(b"/Alt") == 6  # each chart picture says what it shows
    assert content.count(b"/H1") >= 5  # the section headings are headings


def test_pdf_embeds_the_noto_cjk_fonts(quarterly_pdf: Path) -> None:
    lines = _poppler("pdffonts", str(quarterly_pdf)).splitlines()[2:]
    assert lines
    names = [line.split()[0] for line in lines]
    assert any("NotoSansCJK" in name for name in names), names
    assert any("NotoSerifCJK" in name for name in names), names
    for line in lines:  # columns: name type encoding emb sub uni …
        assert re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$", line), line
        emb = re.findall(r"\s(yes|no)\s", line)[0]
        assert emb == "yes", line


def test_pdf_shows_every_chart_as_a_picture(quarterly_pdf: Path, tmp_path: Path) -> None:
    listed = _poppler("pdfimages", "-list", str(quarterly_pdf)).splitlines()[2:]
    images = [line for line in listed if line.split()[2] == "image"]  # not their alpha masks
    assert len(images) == 6
    # Page 2 holds the first chart: drawn, its bars are far from white.
    _poppler(
        "pdftoppm",
        "-gray",
        "-r",
        "30",
        "-f",
        "2",
        "-l",
        "2",
        str(quarterly_pdf),
        str(tmp_path / "page"),
    )
    [page] = tmp_path.glob("page*.pgm")
    data = page.read_bytes()
    _magic, width, height, _depth, pixels = data.split(maxsplit=4)
    dark = sum(1 for value in pixels if value < 160)
    assert dark > int(width) * int(height) * 0.03  # bars and text, not a blank page


def _words(pdf: Path) -> list[tuple[int, float, float, str]]:
    """(page, xMin, xMax, word) for every word of the PDF."""
    html = _poppler("pdftotext", "-bbox", str(pdf), "-")
    found = []
    for page, body in enumerate(html.split("<page ")[1:], start=1):
        for x_min, x_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
            body,
        ):
            found.append((page, float(x_min), float(x_max), word))
    return found


def test_a_60_character_organisation_name_wraps_inside_the_margins(tmp_path: Path) -> None:
    assert len(LONG_NAME) == 60
    pdf = _pdf(quarterly_document(organisation=LONG_NAME), tmp_path)

    words = _words(pdf)
    assert all(x_max <= A4_WIDTH_PT - MARGIN_PT + 1 for _p, _x, x_max, _w in words)
    text = _poppler("pdftotext", "-f", "1", "-l", "1", str(pdf), "-")
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(LONG_NAME[:10]))
    assert lines[first] != LONG_NAME  # wrapped …
    assert "".join(lines[first : first + 3]).startswith(LONG_NAME)  # … with nothing lost


def test_comparison_table_keeps_its_three_columns_and_head_on_every_page(tmp_path: Path) -> None:
    pdf = _pdf(comparison_document(), tmp_path)

    words = _words(pdf)
    pages = max(page for page, *_rest in words)
    assert pages >= 2
    for page in range(1, pages + 1):
        heads = {
            w: x for p, x, _x, w in words if p == page and w in ("修正規定", "現行規定", "說明")
        }
        assert set(heads) == {"修正規定", "現行規定", "說明"}, page
    # Columns 40 : 40 : 20 of the text width: each head centred in its column.
    left, width = MARGIN_PT, A4_WIDTH_PT - 2 * MARGIN_PT
    centres = {
        w: (x_min + x_max) / 2
        for p, x_min, x_max, w in words
        if p == 1 and w in ("修正規定", "現行規定", "說明")
    }
    assert abs(centres["修正規定"] - (left + 0.2 * width)) < 10
    assert abs(centres["現行規定"] - (left + 0.6 * width)) < 10
    assert abs(centres["說明"] - (left + 0.9 * width)) < 10


def test_two_conversions_at_once_each_finish(tmp_path: Path) -> None:
    soffice()
    document = comparison_document()
    results: list[Rendered] = []

    def convert() -> None:
        with translation.override("zh-hant"):
            results.append(render(document, "pdf"))

    threads = [threading.Thread(target=convert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.content_type for r in results] == ["application/pdf", "application/pdf"]
    assert all(r.problems == () for r in results)


@pytest.fixture
def slow_converter(tmp_path: Path) -> Path:
    """A converter that hangs (as LibreOffice does on a stuck profile); it notes its PID."""
    script = tmp_path / "slow-soffice"
    script.write_text(f"#!/bin/sh\necho $$ > {tmp_path / 'pid'}\nsleep 60\n")
    script.chmod(0o755)
    return script


def test_a_conversion_that_times_out_delivers_the_odt_and_says_so(
    slow_converter: Path, tmp_path: Path
) -> None:
    started = time.monotonic()
    with override_settings(
        STEWARD_REPORT_SOFFICE=str(slow_converter), STEWARD_REPORT_PDF_TIMEOUT=1
    ):
        rendered = render(quarterly_document(), "pdf")

    assert time.monotonic() - started < 30
    assert rendered.content_type == "application/vnd.oasis.opendocument.text"
    assert rendered.filename.endswith(".odt")
    assert rendered.content.startswith(b"PK")
    assert rendered.problems == ("PDF 未能於 1 秒內產生，改為提供 ODT 文件。",)
    # The converter was stopped, not left running.
    pid = int((tmp_path / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_missing_or_failing_converter_delivers_the_odt_and_says_so(tmp_path: Path) -> None:
    failing = tmp_path / "failing-soffice"
    failing.write_text("#!/bin/sh\necho 'source file could not be loaded' >&2\nexit 1\n")
    failing.chmod(0o755)
    with override_settings(STEWARD_REPORT_SOFFICE=str(tmp_path / "no-such-program")):
        missing = render(comparison_document(), "pdf")
    with override_settings(STEWARD_REPORT_SOFFICE=str(failing)):
        failed = render(comparison_document(), "pdf")

    assert missing.filename.endswith(".odt") and failed.filename.endswith(".odt")
    assert missing.problems == ("無法產生 PDF：伺服器未安裝 LibreOffice。改為提供 ODT 文件。",)
    assert failed.problems == ("無法產生 PDF：LibreOffice 轉檔發生錯誤。改為提供 ODT 文件。",)
