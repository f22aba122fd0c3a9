"""Format sniffing on real bytes: text formats, office files, HTML pages, zip archives and bombs."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from steward.quality.checks.sniff import (
    ZIP_RATIO_MIN_SIZE,
    FileFormat,
    FormatVerdict,
    sniff_format,
)

CSV_BYTES = "機關,年度,金額\r\n主計總處,2025,100\r\n法務部,2024,200\r\n".encode()


def xlsx_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["年度", "金額"])
    sheet.append([2025, 100])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def ods_bytes(tmp_path: Path) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="資料")
    for values in (["年度", "金額"], ["2025", "100"]):
        row = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    path = tmp_path / "data.ods"
    document.save(str(path))
    return path.read_bytes()


def test_csv_declared_csv_matches_and_finds_the_delimiter() -> None:
    report = sniff_format(CSV_BYTES, declared="CSV")
    assert (report.format, report.verdict, report.delimiter) == (
        FileFormat.CSV,
        FormatVerdict.MATCH,
        ",",
    )
    assert report.structured and report.downloadable


def test_big5_csv_is_still_csv() -> None:
    report = sniff_format(CSV_BYTES.decode().encode("cp950"), declared="csv")
    assert report.format is FileFormat.CSV and report.verdict is FormatVerdict.MATCH


def test_semicolon_and_tab_separated_files_are_csv() -> None:
    assert sniff_format(b"a;b;c\n1;2;3\n4;5;6\n").delimiter == ";"
    assert sniff_format(b"a\tb\n1\t2\n").delimiter == "\t"


def test_html_error_page_given_as_csv_is_not_downloadable() -> None:
    page = b"<!DOCTYPE html>\n<html><head><title>404</title></head><body>Not found</body></html>"
    report = sniff_format(page, declared="CSV", content_type="text/html")
    assert report.format is FileFormat.HTML
    assert report.verdict is FormatVerdict.NOT_DOWNLOADABLE
    assert not report.downloadable
    [finding] = [f for f in report.findings if f.code == "not_downloadable"]
    assert "網頁" in finding.message and "直接下載網址" in finding.fix


def test_login_page_is_named_as_such() -> None:
    page = '<html><body><form>帳號<input name="u">密碼<input type="password"></form></body></html>'
    report = sniff_format(page.encode(), declared="JSON")
    assert report.flavour == "login page"
    assert "登入頁面" in report.findings[0].message


def test_json_and_json_ld() -> None:
    assert sniff_format(json.dumps([{"a": 1}]).encode(), declared="JSON").verdict is (
        FormatVerdict.MATCH
    )
    report = sniff_format(b'{"@context": "https://schema.org", "name": "x"}')
    assert (report.format, report.flavour) == (FileFormat.JSON, "JSON-LD")


def test_broken_json_declared_json_stays_json_for_the_json_check_to_judge() -> None:
    report = sniff_format(b'{"a": 1,', declared="JSON", complete=True)
    assert report.format is FileFormat.JSON and report.flavour == "broken JSON"
    assert report.verdict is FormatVerdict.MATCH  # no advice to relabel a file that is broken


def test_broken_json_declared_otherwise_is_plain_text() -> None:
    report = sniff_format(b'{"a": 1,', declared="XML", complete=True)
    assert report.format is FileFormat.TEXT and report.verdict is FormatVerdict.MISMATCH


def test_kml_and_rdf_are_xml_flavours() -> None:
    kml = b'<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document/></kml>'
    assert sniff_format(kml, declared="KML").verdict is FormatVerdict.MATCH
    assert sniff_format(kml, declared="XML").verdict is FormatVerdict.COMPATIBLE
    rdf = b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'
    assert sniff_format(rdf).format is FileFormat.RDF
    assert sniff_format(b"<records><r>1</r></records>", declared="XML").format is FileFormat.XML


def test_xlsx_declared_xls_is_compatible(tmp_path: Path) -> None:
    data = xlsx_bytes()
    assert sniff_format(data, declared="XLSX", complete=True).verdict is FormatVerdict.MATCH
    assert sniff_format(data, declared="XLS", complete=True).verdict is FormatVerdict.COMPATIBLE
    # the head alone is enough too
    assert sniff_format(data[:2048]).format is FileFormat.XLSX


def test_ods_is_recognised_from_its_mimetype_member(tmp_path: Path) -> None:
    data = ods_bytes(tmp_path)
    assert sniff_format(data, declared="ODS", complete=True).verdict is FormatVerdict.MATCH
    assert sniff_format(data[:512]).format is FileFormat.ODS


def test_pdf_declared_csv_is_a_mismatch() -> None:
    report = sniff_format(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", declared="CSV")
    assert (report.format, report.verdict) == (FileFormat.PDF, FormatVerdict.MISMATCH)
    assert "PDF" in report.findings[-1].message


def test_xls_ole2_header_is_xls() -> None:
    head = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + "Workbook".encode("utf-16-le")
    assert sniff_format(head, declared="XLS").verdict is FormatVerdict.MATCH


def test_zip_lists_members_with_their_formats() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("預算.csv", CSV_BYTES)
        archive.writestr("說明.pdf", b"%PDF-1.4\n")
    report = sniff_format(out.getvalue(), declared="壓縮檔", complete=True)
    assert report.format is FileFormat.ZIP and report.verdict is FormatVerdict.MATCH
    assert [(m.name, m.format) for m in report.members] == [
        ("預算.csv", FileFormat.CSV),
        ("說明.pdf", FileFormat.PDF),
    ]


def test_zip_bomb_member_is_refused_without_extracting() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("data.csv", CSV_BYTES)
        archive.writestr("bomb.csv", b"0" * (ZIP_RATIO_MIN_SIZE * 3))
    data = out.getvalue()
    assert len(data) < 200_000  # 30 MB squeezed into a tiny archive
    report = sniff_format(data, declared="ZIP", complete=True)
    assert report.zip_bomb and report.verdict is FormatVerdict.REFUSED
    bomb = next(m for m in report.members if m.name == "bomb.csv")
    assert bomb.refused and bomb.format is None and bomb.ratio > 100
    assert report.findings[0].code == "zip_bomb"


def test_zip_bomb_is_refused_from_the_head_alone() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bomb.txt", b"\x00" * (ZIP_RATIO_MIN_SIZE * 2))
    report = sniff_format(out.getvalue()[:4096], declared="ZIP")
    assert report.members_partial and report.zip_bomb


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", FileFormat.EMPTY),
        (b"\x89PNG\r\n\x1a\n....", FileFormat.IMAGE),
        (b"\x1f\x8b\x08\x00", FileFormat.GZIP),
        ("只是一段說明文字，沒有分隔符號。\n".encode(), FileFormat.TEXT),
    ],
)
def test_other_formats(data: bytes, expected: FileFormat) -> None:
    assert sniff_format(data).format is expected


def test_wrong_extension_and_html_content_type_are_warnings() -> None:
    report = sniff_format(
        CSV_BYTES, declared="CSV", file_name="data.xlsx", content_type="text/html; charset=utf-8"
    )
    assert {"extension", "content_type"} <= {f.code for f in report.findings}


def test_csv_whose_first_cell_starts_with_a_bracket_is_not_json() -> None:
    report = sniff_format("[年度],金額\r\n2025,1\r\n2024,2\r\n".encode(), declared="CSV")
    assert report.format is FileFormat.CSV and report.verdict is FormatVerdict.MATCH


def test_a_json_head_cut_mid_document_is_still_json() -> None:
    data = json.dumps([{"year": n} for n in range(500)]).encode()
    assert sniff_format(data[:1000], declared="JSON").format is FileFormat.JSON


def test_xml_with_a_body_element_is_not_html() -> None:
    data = b'<?xml version="1.0"?><message><body>text</body></message>'
    assert sniff_format(data, declared="XML").verdict is FormatVerdict.MATCH


@pytest.mark.parametrize("cut", [1001, 1003, 1005])
def test_a_json_head_cut_inside_a_chinese_string_is_still_json(cut: int) -> None:
    data = json.dumps([{"機關": "行政院主計總處", "ok": True}] * 100, ensure_ascii=False).encode()
    assert sniff_format(data[:cut], declared="JSON").format is FileFormat.JSON


def _delimiter_by_csv_reader(text: str, *, complete: bool) -> str | None:
    """Delimiter detection as it was first written (csv.reader on every line): the reference."""
    import csv

    lines = text.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]
    lines = [line for line in lines[:50] if line.strip()]
    best: tuple[float, str] | None = None
    for delimiter in (",", "\t", ";", "|"):
        if delimiter not in "".join(lines):
            continue
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        except csv.Error:
            continue
        if not counts or max(counts) < 2:
            continue
        usual = max(set(counts), key=counts.count)
        share = counts.count(usual) / len(counts)
        if usual >= 2 and share >= 0.6 and (best is None or share > best[0]):
            best = (share, delimiter)
    return best[1] if best else None


def _texts_for_delimiters() -> list[str]:
    import random

    pick = random.Random(7)
    pieces = ["a", "中", " ", ",", ",", "\t", ";", "|", '"', "\n", "\r\n", "\r", "\x0c", "\u2028"]
    texts = [
        "".join(pick.choice(pieces) for _ in range(n)) for n in (3, 20, 80) for _ in range(300)
    ]
    texts += [text + "\n" for text in texts[:300]]  # (ending in a line feed, as files do)
    texts += ["年度,金額\n113,1\n114,2\n", "a;b\n1;2\n", "a,b\n1,2\n\n"]
    for end in ("\n", "\r\n", "\r", "\u2028"):
        for width in range(150, 170):  # the 51st line ends around the first 8192 characters
            line = ("年度,金額;" * width)[: width - len(end)] + end
            texts += [line * 60, line * 52 + "a;b;c\n" * 40, (line * 60)[:8193]]
    return texts


def test_delimiter_detection_counts_lines_as_csv_reader_would_split_them() -> None:
    from steward.quality.checks.sniff import _csv_delimiter

    for text in _texts_for_delimiters():
        utf8 = text.encode("utf-8", "surrogatepass")
        for complete in (True, False):
            expected = _delimiter_by_csv_reader(text, complete=complete)
            assert _csv_delimiter(text, complete=complete) == expected, (text[:200], complete)
            assert _csv_delimiter(text, complete=complete, utf8=utf8) == expected
