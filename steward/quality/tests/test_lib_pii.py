"""Personal-data scan: valid IDs count, random strings and bad check digits do not, values never leak."""

from __future__ import annotations

import io

import pytest

from steward.quality.checks.pii import PiiKind, classify_id, find_pii, scan_csv, scan_rows


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("A123456789", PiiKind.NATIONAL_ID),
        ("F131104093", PiiKind.NATIONAL_ID),
        ("a123456789", PiiKind.NATIONAL_ID),
        ("AA00000009", PiiKind.RESIDENT_ID),  # old format: letter + A–D
        ("A800000014", PiiKind.RESIDENT_ID),  # 2021 format: letter + 8/9
    ],
)
def test_ids_with_valid_check_digits_are_recognised(value: str, kind: PiiKind) -> None:
    assert classify_id(value) is kind


@pytest.mark.parametrize(
    "value",
    [
        "A123456788",
        "AA00000008",
        "A800000015",
        "A323456789",
        "AE00000009",
        "1234567890",
        "A12345678",
    ],
)
def test_bad_check_digits_and_wrong_shapes_do_not_count(value: str) -> None:
    assert classify_id(value) is None


def test_mobiles_and_emails_in_free_text() -> None:
    found = find_pii("聯絡 0912-345-678、0912345678、+886 912 345 678；信箱 wang@example.gov.tw")
    assert found == {PiiKind.MOBILE: 3, PiiKind.EMAIL: 1}


def test_office_numbers_and_longer_digit_runs_are_not_mobiles() -> None:
    assert find_pii("02-2345-6789 或 統編 12345675 或 序號 109123456789") == {}


def test_scan_reports_columns_and_counts_but_never_values() -> None:
    header = ["姓名", "身分證字號", "備註"]
    rows = [
        ["王小明", "A123456789", ""],
        ["陳小華", "A123456788", "手機 0912345678"],  # invalid check digit: not counted
        ["林大同", "F131104093", "AA00000009"],
    ]
    report = scan_rows(header, rows)
    assert report.rows_scanned == 3
    assert report.columns == {
        "身分證字號": {PiiKind.NATIONAL_ID: 2},
        "備註": {PiiKind.MOBILE: 1, PiiKind.RESIDENT_ID: 1},
    }
    text = " ".join(f.message + f.fix for f in report.findings)
    for value in ("A123456789", "F131104093", "0912345678", "AA00000009"):
        assert value not in text and value not in repr(report)
    assert "身分證字號 2 筆" in text


def test_random_codes_in_a_large_column_find_nothing() -> None:
    import random

    rng = random.Random(7)
    letters = "ABCDEFGHJKLMNPQRSTUVXYWZIO"
    # 1,000 random ID-shaped strings: about a tenth will have a valid check digit by chance,
    # which is exactly why only check-digit-valid ones count; shape alone would flag all
    values = [
        f"{rng.choice(letters)}{rng.choice('12')}{rng.randrange(10**8):08d}" for _ in range(1000)
    ]
    valid = sum(classify_id(v) is not None for v in values)
    assert 50 < valid < 150
    report = scan_rows(["code"], ([v] for v in values))
    assert report.total(PiiKind.NATIONAL_ID) == valid


def test_scan_csv_streams_big5_and_caps_rows() -> None:
    data = "姓名,電話\r\n".encode("cp950") + "王,0912-345-678\r\n".encode("cp950") * 50
    report = scan_csv(io.BytesIO(data), codec="cp950", max_rows=10)
    assert report.truncated and report.rows_scanned == 10
    assert report.columns == {"電話": {PiiKind.MOBILE: 10}}


def test_clean_data_says_so() -> None:
    report = scan_rows(["年度", "金額"], [["2025", "100"]])
    assert not report.found and report.findings[0].code == "no_personal_data"


@pytest.mark.parametrize(
    "body",
    [
        "2025,主計總處,100\r\n" * 40,  # nothing that could be personal data: rows only counted
        "2025,主計總處,100\r\n" * 20 + "2024,A123456789,聯絡 0912-345-678 wang@example.gov.tw\r\n",
        "2025,B800000000,x\r\n" * 3,  # ID-shaped with a wrong check digit
    ],
)
def test_screened_small_files_and_streamed_files_give_the_same_report(body: str) -> None:
    import os

    data = ("年度,欄位,備註\r\n" + body).encode("cp950")
    screened = scan_csv(io.BytesIO(data), codec="cp950", max_rows=30)
    read_end, write_end = os.pipe()  # not seekable: streamed row by row, never screened
    os.write(write_end, data)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        streamed = scan_csv(pipe, codec="cp950", max_rows=30)
    assert screened.columns == streamed.columns
    assert (screened.rows_scanned, screened.truncated) == (
        streamed.rows_scanned,
        streamed.truncated,
    )
    assert [f.message for f in screened.findings] == [f.message for f in streamed.findings]


def test_the_quick_screen_agrees_with_the_candidate_pattern() -> None:
    import random

    from steward.quality.checks.pii import _CANDIDATE_RE, _may_hold_pii

    pieces = ["A", "z", "1", "2", "8", "9", "0", "12345678", "８", "٣", "中", "@", "-", " ", ")"]
    pick = random.Random(3)
    texts = ["".join(pick.choice(pieces) for _ in range(n)) for n in range(12) for _ in range(2000)]
    texts += [
        "A123456789",
        "中A1２３４５６７８９",
        "a-123456789",
        "0912-345-678",
        "年度,金額\n113,1\n",
    ]
    for text in texts:
        assert _may_hold_pii(text) == (_CANDIDATE_RE.search(text) is not None), text
