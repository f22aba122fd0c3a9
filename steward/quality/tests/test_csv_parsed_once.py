"""A small CSV parsed once gives the table and personal-data checks the same reports as parsing it
for each check (what the pipeline does with the crawler's heads)."""

from __future__ import annotations

import io

import pytest

from steward.datasets.standard import parse_field_description
from steward.quality.checks import tables_csv
from steward.quality.checks.encoding import Encoding, identify_encoding
from steward.quality.checks.pii import scan_csv, scan_parsed_csv
from steward.quality.checks.sniff import FileFormat
from steward.quality.checks.tables import parse_small_csv, validate_parsed_csv, validate_table
from steward.quality.tests.hostile_server import PII_CSV

DECLARED = parse_field_description("年度(民國年)、機關名稱(中文)、金額(新臺幣元)")
GOOD = "年度,機關名稱,金額\r\n113,勞動部,1200\r\n114,勞保局,980\r\n"

CASES: dict[str, tuple[bytes, Encoding, str]] = {
    "good": (GOOD.encode(), Encoding.UTF8, ","),
    "bom": (b"\xef\xbb\xbf" + GOOD.encode(), Encoding.UTF8_BOM, ","),
    "big5": (GOOD.encode("big5"), Encoding.BIG5, ","),
    "cp950": ("年度,名稱\n113,碁銹裏\n".encode("cp950"), Encoding.CP950, ","),
    "utf16": (b"\xff\xfe" + GOOD.encode("utf-16-le"), Encoding.UTF16_LE, ","),
    "undecodable": (b"a,b\n\xff\xfe,\x80\n", Encoding.UTF8, ","),
    "ragged": (
        (GOOD + "115,勞動部\r\n116,勞動部,1,2\r\n\r\n117,x,1\r\n").encode(),
        Encoding.UTF8,
        ",",
    ),
    "blank_and_duplicate_header": ("年度,,年度\n1,2,3\n".encode(), Encoding.UTF8, ","),
    "quoted": (
        '年度,機關名稱,金額\n113,"勞動部, 勞保局",1\n114,"多行\r\n說明",2\n115,"引號""內""",3\n'.encode(),
        Encoding.UTF8,
        ",",
    ),
    "unbalanced": (
        '年度,機關名稱,金額\n113,"勞動部,1\n114,勞保局,2\n'.encode(),
        Encoding.UTF8,
        ",",
    ),
    "semicolon": ("年度;機關名稱;金額\n113;勞動部;1\n".encode(), Encoding.UTF8, ";"),
    "tab": ("年度\t機關名稱\t金額\n113\t勞動部\t1\n".encode(), Encoding.UTF8, "\t"),
    "personal_data": (PII_CSV.encode(), Encoding.UTF8, ","),
    "e_mail_in_a_ragged_row": (b"a,b\nx,y,u@example.com\n", Encoding.UTF8, ","),
    "blank_first_line": ("\n年度,機關名稱,金額\n113,勞動部,1\n".encode(), Encoding.UTF8, ","),
    "header_only": ("年度,機關名稱,金額".encode(), Encoding.UTF8, ","),
    "empty": (b"", Encoding.UTF8, ","),
    "carriage_returns": (b"a,b\r1,2\r\r3,4\r", Encoding.UTF8, ","),
}


def _heads(data: bytes) -> list[tuple[bytes, bool]]:
    """The whole input, and heads cut at every byte (the crawler's heads: complete=False)."""
    return [(data, True)] + [(data[:end], False) for end in range(len(data))]


@pytest.mark.parametrize("name", CASES)
def test_one_parse_gives_the_table_report_of_validate_table(name: str) -> None:
    data, encoding, delimiter = CASES[name]
    codec = encoding.codec or "utf-8-sig"
    for head, complete in _heads(data):
        parsed = parse_small_csv(head, codec=codec, delimiter=delimiter)
        assert parsed is not None
        for declared in (DECLARED, None):
            expected = validate_table(
                io.BytesIO(head),
                format=FileFormat.CSV,
                declared_fields=declared,
                encoding=encoding,
                delimiter=delimiter,
                complete=complete,
            )
            got = validate_parsed_csv(
                parsed, declared_fields=declared, encoding=encoding, complete=complete
            )
            assert got == expected, (head, complete)


@pytest.mark.parametrize("name", CASES)
def test_one_parse_gives_the_personal_data_report_of_scan_csv(name: str) -> None:
    data, encoding, delimiter = CASES[name]
    codec = encoding.codec or "utf-8-sig"
    for head, _complete in _heads(data):
        parsed = parse_small_csv(head, codec=codec, delimiter=delimiter)
        assert parsed is not None
        for max_rows in (None, -1, 0, 2, 2000):
            expected = scan_csv(
                io.BytesIO(head), codec=codec, delimiter=delimiter, max_rows=max_rows
            )
            got = scan_parsed_csv(parsed, max_rows=max_rows)
            assert got == expected, (head, max_rows)


def test_a_record_the_csv_module_refuses_is_left_to_the_row_by_row_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import csv

    limit = csv.field_size_limit()
    monkeypatch.setattr(tables_csv, "_FIELD_LIMIT", 10)
    csv.field_size_limit(10)
    try:
        data = b"a,b\n1,2\n3," + b"x" * 20 + b"\n"
        assert parse_small_csv(data, codec="utf-8", delimiter=",") is None
        report = validate_table(io.BytesIO(data), format=FileFormat.CSV)
    finally:
        csv.field_size_limit(limit)
    assert (report.rows, report.well_formed) == (1, False)
    assert [f.code for f in report.findings] == ["csv_syntax"]


def test_a_text_without_quotes_is_split_into_the_records_csv_reader_gives() -> None:
    import csv
    import random

    pick = random.Random(11)
    pieces = ["a", "年度", " ", ",", ";", "\t", "|", "\n", "\r", "\r\n", "\x0b", "\u2028", "\x00"]
    texts = ["".join(pick.choice(pieces) for _ in range(pick.randint(0, 30))) for _ in range(3000)]
    for _ in range(500):  # tables, most of them with every line as wide as the header
        cells = ["a", "年度", "", " ", "\x0b", "碁"]
        width, end = pick.randint(1, 4), pick.choice(["\n", "\r\n", "\r"])
        delimiter = pick.choice([",", ";", "\t", "|"])
        rows = [
            delimiter.join(pick.choice(cells) for _ in range(width + (pick.random() < 0.05)))
            for _ in range(pick.randint(1, 40))
        ]
        texts.append(end.join(rows) + pick.choice(["", end]))
    for text in texts:
        for delimiter in (",", ";", "\t", "|"):
            parsed = parse_small_csv(text.encode(), codec="utf-8", delimiter=delimiter)
            assert parsed is not None
            expected = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
            assert len(parsed) == len(expected), text
            assert parsed.header == (expected[0] if expected else None), text
            assert parsed.field_counts() == [len(record) for record in expected], text
            assert parsed.records == expected, text


#: The cases whose whole input decodes strictly (those the pipeline does not decode again).
STRICT = [name for name in CASES if identify_encoding(CASES[name][0], complete=True).text]


@pytest.mark.parametrize("name", STRICT)
def test_the_text_decoded_while_detecting_the_encoding_is_parsed_as_the_bytes_would_be(
    name: str,
) -> None:
    data, _, delimiter = CASES[name]
    identified = identify_encoding(data, complete=True)
    codec = identified.encoding.codec
    assert identified.text is not None and codec is not None
    reused = parse_small_csv(data, codec=codec, delimiter=delimiter, text=identified.text)
    decoded = parse_small_csv(data, codec=codec, delimiter=delimiter)
    assert reused is not None and decoded is not None
    assert reused.text == decoded.text and reused.records == decoded.records
    assert reused.utf8 == decoded.utf8 == decoded.text.encode()
