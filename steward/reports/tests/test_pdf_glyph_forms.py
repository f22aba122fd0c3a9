"""The PDF draws Traditional Chinese glyph forms.

`pdffonts` names the embedded faces `NotoSerifCJKjp-Regular…` whichever face the ODT asks
for: Noto CJK's collection files (.ttc, the only form Debian ships) share one CFF table whose
internal name is the Japanese one, and LibreOffice names the embedded subset after it. What
decides the forms on the page is the Asian language of the ODT's styles (zh-TW; the font is
Noto Serif/Sans CJK TC, as fc-list offers it): the same document asking for Japanese draws
令, 角, 直 and 真 differently, so ours are the Taiwanese forms."""

from __future__ import annotations

import datetime
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.utils import translation

from steward.reports.document import Paragraph, ReportDocument, Section
from steward.reports.render import render
from steward.reports.render.pdf import convert_to_pdf
from steward.reports.tests.render_documents import soffice

#: Characters whose TC and JP forms differ in Noto CJK.
TEXT = "令角直真具遍"


def _document() -> ReportDocument:
    return ReportDocument(
        kind="glyphs", title=TEXT, organisation="勞動部", period_label="115 年",
        generated_at=datetime.datetime(2026, 12, 5, 4, 0, tzinfo=datetime.UTC),
        sections=(Section(TEXT, (Paragraph(TEXT * 4),)),),
    )  # fmt: skip


def _poppler(tool: str, *args: str) -> bytes:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} (poppler-utils) is not installed: run scripts/system-deps")
    return subprocess.run([found, *args], check=True, capture_output=True, timeout=60).stdout


def _page(content: bytes, folder: Path) -> bytes:
    """Page 1 as grey pixels, as a reader's viewer draws it."""
    pdf = folder / "report.pdf"
    pdf.write_bytes(content)
    return _poppler("pdftoppm", "-r", "100", "-gray", "-f", "1", "-l", "1", str(pdf))


def test_the_odt_asks_for_the_tc_faces_with_taiwan_as_the_asian_language() -> None:
    with translation.override("zh-hant"):
        package = zipfile.ZipFile(io.BytesIO(render(_document(), "odt").content))
    styles = package.read("styles.xml").decode() + package.read("content.xml").decode()
    assert 'style:font-name-asian="Noto Serif CJK TC"' in styles
    assert 'style:font-name-asian="Noto Sans CJK TC"' in styles
    assert 'style:language-asian="zh" style:country-asian="TW"' in styles
    assert "CJK JP" not in styles and "CJK SC" not in styles


def _with_asian_language(odt_bytes: bytes, language: str, country: str) -> bytes:
    """The same ODT with another Asian language in every style."""
    source = zipfile.ZipFile(io.BytesIO(odt_bytes))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename in ("styles.xml", "content.xml"):
                data = data.replace(
                    b'style:language-asian="zh" style:country-asian="TW"',
                    f'style:language-asian="{language}" style:country-asian="{country}"'.encode(),
                )
            target.writestr(item, data)
    return out.getvalue()


def test_the_pdf_draws_the_taiwanese_forms_its_asian_language_asks_for(tmp_path: Path) -> None:
    soffice()
    with translation.override("zh-hant"):
        odt_bytes = render(_document(), "odt").content
        made = render(_document(), "pdf")
    assert made.problems == ()
    (tmp_path / "tw").mkdir()
    tw = _page(made.content, tmp_path / "tw")
    fonts = _poppler("pdffonts", str(tmp_path / "tw" / "report.pdf")).decode().splitlines()[2:]
    assert fonts and all("NotoSerifCJK" in f or "NotoSansCJK" in f for f in fonts), fonts
    assert all(line.split()[-5] == "yes" for line in fonts)  # embedded
    # The same ODT asking for Japanese as its Asian language draws other forms of 令角直真: the
    # forms follow the language the styles name, and ours names zh-TW.
    japanese, _failure = convert_to_pdf(_with_asian_language(odt_bytes, "ja", "JP"))
    assert japanese is not None
    (tmp_path / "ja").mkdir()
    ja = _page(japanese, tmp_path / "ja")
    assert len(ja) == len(tw)  # the same page: only the glyph forms differ
    assert ja != tw
    again, _failure = convert_to_pdf(_with_asian_language(odt_bytes, "zh", "TW"))
    assert again is not None
    (tmp_path / "again").mkdir()
    assert _page(again, tmp_path / "again") == tw
