"""Table validation on real files: CSV in UTF-8 and Big5, XLSX, ODS, JSON and XML."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest

from steward.datasets.standard import DeclaredField, parse_field_description
from steward.quality.checks.encoding import Encoding
from steward.quality.checks.headers import compare_header
from steward.quality.checks.sniff import FileFormat
from steward.quality.checks.tables import ColumnType, validate_table
from steward.quality.checks.tables_csv import SMALL_CSV_BYTES, CsvEngine

DECLARED = parse_field_description("year(年度)、agency(機關)、amount(金額)")
GOOD_CSV = "year,agency,amount\r\n2025,主計總處,100\r\n2024,法務部,200\r\n"


@pytest.fixture(params=["pyarrow", "python"])
def engine(request: pytest.FixtureRequest) -> CsvEngine:
    """Every CSV case runs through both readers: they must give the same report."""
    return request.param  # type: ignore[no-any-return]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_clean_csv_passes_every_check(tmp_path: Path, engine: CsvEngine) -> None:
    path = write(tmp_path, "good.csv", GOOD_CSV.encode())
    report = validate_table(path, format=FileFormat.CSV, engine=engine, declared_fields=DECLARED)
    assert (report.rows, report.columns, report.engine) == (2, 3, engine)
    assert report.desc_match is True and report.csv_ok and report.structure_ok
    assert [f for f in report.findings if f.severity != "ok"] == []


def test_ragged_rows_are_counted_with_their_row_numbers_not_fatal(
    tmp_path: Path, engine: CsvEngine
) -> None:
    text = (
        "year,agency,amount\r\n"
        "2025,主計總處,100\r\n"  # row 2
        "2024,法務部\r\n"  # row 3: short
        '2023,"多行\r\n機關",300\r\n'  # row 4 spans two lines
        "2022,內政部,400,多一欄\r\n"  # row 5: long
        "2021,財政部,500\r\n"
    )
    report = validate_table(
        write(tmp_path, "ragged.csv", text.encode()), format=FileFormat.CSV, engine=engine
    )
    assert report.ragged.count == 2
    assert report.ragged.first_rows == [3, 5]
    assert report.rows == 5
    assert not report.csv_ok
    [finding] = [f for f in report.findings if f.code == "ragged_rows"]
    assert "第 3、5 列" in finding.message


def test_blank_required_cells_and_type_errors_name_their_rows(
    tmp_path: Path, engine: CsvEngine
) -> None:
    text = (
        "year,agency,amount\r\n2025,甲,100\r\n2024,乙,\r\n一一三,丙,  \r\n2022,x,y\r\n2021,z,1\r\n"
    )
    report = validate_table(
        write(tmp_path, "cells.csv", text.encode()),
        format=FileFormat.CSV,
        engine=engine,
        required_columns={"amount"},
        column_types={"year": ColumnType.INTEGER, "amount": ColumnType.NUMBER},
    )
    assert report.blank_cells["amount"].count == 2
    assert report.blank_cells["amount"].first_rows == [3, 4]
    assert report.type_errors["year"].first_rows == [4]
    assert report.type_errors["amount"].first_rows == [5]  # blanks are not type errors
    codes = [f.code for f in report.findings]
    assert codes.count("blank_required") == 1 and codes.count("type_error") == 2


def test_row_numbers_after_ragged_rows_stay_exact(tmp_path: Path, engine: CsvEngine) -> None:
    rows = ["a,b"] + ["1,2"] * 3 + ["1"] * 5 + ["x,2"]  # the bad value is on row 10
    report = validate_table(
        write(tmp_path, "shift.csv", "\n".join(rows).encode()),
        format=FileFormat.CSV,
        engine=engine,
        column_types={"a": ColumnType.INTEGER},
        block_size=64,
    )
    assert report.ragged.count == 5
    assert report.type_errors["a"].first_rows == [10]


def test_big5_csv_is_read_with_its_codec(tmp_path: Path, engine: CsvEngine) -> None:
    text = "年度,機關,金額\r\n2025,碁峰出版,100\r\n2024,銹蝕研究所\r\n"
    path = write(tmp_path, "big5.csv", text.encode("cp950"))
    report = validate_table(
        path,
        format=FileFormat.CSV,
        engine=engine,
        encoding=Encoding.CP950,
        declared_fields=parse_field_description("年度、機關、金額"),
    )
    assert report.header == ["年度", "機關", "金額"]
    assert report.desc_match is True
    assert report.ragged.first_rows == [3]


def test_header_not_matching_the_field_description(tmp_path: Path, engine: CsvEngine) -> None:
    text = "year,agency_name,金額,note,\r\n2025,甲,1,x,\r\n"
    report = validate_table(
        write(tmp_path, "header.csv", text.encode()),
        format=FileFormat.CSV,
        engine=engine,
        declared_fields=DECLARED,
    )
    comparison = report.comparison
    assert comparison is not None
    assert [r.header for r in comparison.renamed] == ["金額", "agency_name"]
    assert comparison.extra == ["note"] and comparison.blank_columns == [5]
    assert report.desc_match is False and not report.csv_ok
    codes = {f.code for f in report.findings}
    assert {"renamed_field", "extra_field", "blank_header"} <= codes


def test_header_comparison_finds_missing_duplicates_and_order() -> None:
    comparison = compare_header(["amount", "year", "year"], DECLARED)
    assert [m.name for m in comparison.missing] == ["agency"]
    assert comparison.duplicates == ["year"]
    assert comparison.order_differs
    assert not comparison.matches


def test_header_using_the_chinese_description_still_matches() -> None:
    comparison = compare_header(["年度", "機關", "金額"], DECLARED)
    assert comparison.matches and len(comparison.renamed) == 3
    assert all(f.severity == "warn" for f in comparison.findings())


def test_a_quote_that_never_closes_is_reported(tmp_path: Path, engine: CsvEngine) -> None:
    data = b'a,b\r\n1,"never closed\r\n' + b"3,4\r\n" * 3
    report = validate_table(
        write(tmp_path, "quote.csv", data), format=FileFormat.CSV, engine=engine
    )
    assert not report.well_formed
    assert [f.code for f in report.findings] == ["unbalanced_quote"]


def test_escaped_quotes_are_fine(tmp_path: Path, engine: CsvEngine) -> None:
    data = 'a,b\r\n"他說""好""",2\r\n'.encode("cp950")
    report = validate_table(
        write(tmp_path, "q.csv", data), format=FileFormat.CSV, engine=engine, encoding=Encoding.BIG5
    )
    assert report.well_formed and report.rows == 1 and report.csv_ok


def test_non_seekable_streams_are_accepted() -> None:
    import os

    read_end, write_end = os.pipe()  # a real pipe: no seek, no tell
    os.write(write_end, GOOD_CSV.encode())
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        assert not pipe.seekable()
        report = validate_table(pipe, format=FileFormat.CSV)
    assert report.rows == 2


def test_xlsx_made_with_openpyxl(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "預算"
    sheet.append(["year", "agency", "amount"])
    sheet.append([2025, "主計總處", 100])
    sheet.append([2024, "法務部", None])
    sheet.append(["民國113", "內政部", 5])
    workbook.create_sheet("附表")
    path = tmp_path / "budget.xlsx"
    workbook.save(path)
    report = validate_table(
        path,
        format=FileFormat.XLSX,
        declared_fields=DECLARED,
        required_columns={"amount"},
        column_types={"year": ColumnType.INTEGER},
    )
    assert (report.engine, report.rows, report.header) == (
        "calamine",
        3,
        ["year", "agency", "amount"],
    )
    assert report.blank_cells["amount"].first_rows == [3]
    assert report.type_errors["year"].first_rows == [4]
    assert report.desc_match is True
    assert "several_sheets" in {f.code for f in report.findings}


def test_xlsx_row_cap_is_reported(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["n"])
    for n in range(50):
        sheet.append([n])
    path = tmp_path / "long.xlsx"
    workbook.save(path)
    report = validate_table(path, format=FileFormat.XLSX, max_rows=10)
    assert report.truncated and report.rows == 10
    assert "truncated" in {f.code for f in report.findings}


def test_ods_made_with_odfpy(tmp_path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name="資料")
    for values in (["年度", "機關"], ["2025", "主計總處"], ["2024", ""]):
        row = TableRow()
        for value in values:
            cell = TableCell(valuetype="string")
            if value:
                cell.addElement(P(text=value))
            row.addElement(cell)
        table.addElement(row)
    document.spreadsheet.addElement(table)
    path = tmp_path / "data.ods"
    document.save(str(path))
    report = validate_table(
        path,
        format=FileFormat.ODS,
        declared_fields=[DeclaredField("年度"), DeclaredField("機關")],
        required_columns={"機關"},
    )
    assert report.header == ["年度", "機關"] and report.rows == 2
    assert report.blank_cells["機關"].first_rows == [3]
    assert report.desc_match is True


def test_json_records_are_counted_and_their_keys_compared() -> None:
    data = json.dumps(
        {"success": True, "result": [{"year": 2025, "agency": "甲", "amount": 1}] * 3},
        ensure_ascii=False,
    ).encode()
    report = validate_table(io.BytesIO(data), format=FileFormat.JSON, declared_fields=DECLARED)
    assert report.well_formed and report.rows == 3
    assert report.desc_match is True


def test_broken_json_reports_line_and_column() -> None:
    data = b'[\n  {"year": 2025},\n  {"year": 2024,}\n]'
    report = validate_table(io.BytesIO(data), format=FileFormat.JSON)
    assert not report.well_formed
    [finding] = [f for f in report.findings if f.code == "not_well_formed"]
    assert "第 3 行" in finding.message


def test_xml_with_entity_expansion_is_refused() -> None:
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        b' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n'
        b' <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">\n'
        b"]>\n<lolz>&lol3;</lolz>"
    )
    report = validate_table(io.BytesIO(laughs), format=FileFormat.XML)
    assert not report.well_formed
    assert report.findings[0].code == "xml_entities"


def test_xml_external_entity_is_refused() -> None:
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'
    report = validate_table(io.BytesIO(xxe), format=FileFormat.XML)
    assert not report.well_formed and report.findings[0].code == "xml_entities"


def test_big5_xml_records_and_fields() -> None:
    xml = '<?xml version="1.0" encoding="Big5"?><rows><row><年度>2025</年度><機關>碁</機關></row></rows>'
    report = validate_table(
        io.BytesIO(xml.encode("cp950")),
        format=FileFormat.XML,
        encoding=Encoding.CP950,
        declared_fields=parse_field_description("年度、機關"),
    )
    assert report.well_formed and report.rows == 1 and report.desc_match is True


def test_broken_xml_names_the_line() -> None:
    report = validate_table(io.BytesIO(b"<rows>\n<row>\n</rows>"), format=FileFormat.XML)
    assert not report.well_formed and "第 3 行" in report.findings[0].message


@pytest.mark.parametrize("fmt", [FileFormat.PDF, FileFormat.IMAGE])
def test_non_tabular_formats_are_not_structured(fmt: FileFormat) -> None:
    report = validate_table(io.BytesIO(b"%PDF-1.4"), format=fmt)
    assert not report.structure_ok and report.findings[0].code == "not_tabular"


def test_threaded_and_single_threaded_parsing_agree(tmp_path: Path) -> None:
    lines = ["a,b,c"]
    for n in range(3000):
        if n % 700 == 5:
            lines.append(f"{n},x")  # ragged
        elif n % 500 == 7:
            lines.append(f"bad,,{n}")  # type error and blank
        else:
            lines.append(f"{n},y,{n}")
    path = write(tmp_path, "many.csv", "\n".join(lines).encode())
    reports = [
        validate_table(
            path,
            format=FileFormat.CSV,
            required_columns={"b"},
            column_types={"a": ColumnType.INTEGER},
            block_size=4096,
            threads=threads,
        )
        for threads in (True, False)
    ]
    threaded, single = reports
    assert threaded.ragged == single.ragged and threaded.ragged.count == 5
    assert threaded.ragged.first_rows == [7, 707, 1407, 2107, 2807]
    assert threaded.blank_cells == single.blank_cells and threaded.blank_cells["b"].count == 6
    assert threaded.type_errors == single.type_errors
    assert threaded.type_errors["a"].first_rows == [9, 509, 1009, 1509, 2009, 2509]


def test_a_very_long_cell_before_a_ragged_row_keeps_row_numbers(
    tmp_path: Path, engine: CsvEngine
) -> None:
    data = b"a,b\n1,2\n1," + b"x" * 300_000 + b"\n3\n4,5\n"
    report = validate_table(write(tmp_path, "long.csv", data), format=FileFormat.CSV, engine=engine)
    assert report.rows == 4 and report.ragged.first_rows == [4]


def test_a_head_cut_inside_a_quoted_cell_is_not_an_error(engine: CsvEngine) -> None:
    head = b'a,b\r\n1,"first line\r\nsecond line'
    assert validate_table(
        io.BytesIO(head), format=FileFormat.CSV, engine=engine, complete=False
    ).well_formed
    assert not validate_table(io.BytesIO(head), format=FileFormat.CSV, engine=engine).well_formed


def test_auto_engine_reads_small_inputs_with_python_and_large_ones_with_pyarrow() -> None:
    row = b"2025,\xe4\xb8\xbb\xe8\xa8\x88\xe7\xb8\xbd\xe8\x99\x95,100\r\n"
    small = b"year,agency,amount\r\n" + row * 10
    large = b"year,agency,amount\r\n" + row * (SMALL_CSV_BYTES // len(row) + 1)
    reports = [validate_table(io.BytesIO(data), format=FileFormat.CSV) for data in (small, large)]
    assert [(r.engine, r.rows, r.csv_ok) for r in reports] == [
        ("python", 10, True),
        ("pyarrow", SMALL_CSV_BYTES // len(row) + 1, True),
    ]


def test_a_header_naming_every_declared_field_in_order_matches_them_one_to_one() -> None:
    comparison = compare_header(["\ufeffYear ", "ａｇｅｎｃｙ", "amount"], DECLARED)
    assert comparison.matched == list(
        zip(DECLARED, ["Year", "ａｇｅｎｃｙ", "amount"], strict=True)
    )
    assert (comparison.renamed, comparison.missing, comparison.extra) == ([], [], [])
    assert comparison.matches and not comparison.order_differs and comparison.findings() == []
