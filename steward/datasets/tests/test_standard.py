"""The national metadata standard: field rules, 主要欄位說明, 更新頻率, identifiers, catalogue export."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from steward.datasets.standard import (
    CATALOGUE_COLUMNS,
    CATEGORY_CODES,
    CatalogueFormatError,
    CatalogueResource,
    CatalogueRow,
    DeclaredField,
    FieldDescriptionError,
    FrequencyKind,
    IdentifierError,
    Severity,
    UpdateFrequencyError,
    next_identifier,
    next_resource_id,
    normalise_encoding_label,
    parse_field_description,
    parse_update_frequency,
    read_catalogue,
    render_field_description,
    validate_metadata,
    write_catalogue,
)


def good_record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "categoryCode": "I00",
        "identifier": "A17010000J-000001",
        "title": "各機關預算執行情形",
        "description": "本資料集提供各機關每月預算執行數。",
        "fieldDescription": "year(年度)、agency(機關)、amount(金額)",
        "type": "rawData",
        "license": "政府資料開放授權條款-第1版",
        "licenseURL": "https://data.gov.tw/license",
        "cost": "免費",
        "organization": "測試部",
        "organizationContactName": "王小明",
        "organizationContactPhone": "02-23456789#123",
        "organizationContactEmail": "wang@example.gov.tw",
        "publisher": "測試署",
        "publisherContactName": "陳小華,林大同",
        "publisherContactPhone": "02-23456789",
        "publisherContactEmail": "chen@example.gov.tw,lin@example.gov.tw",
        "accrualPeriodicity": "每月",
        "temporalCoverageFrom": "2020-01-01",
        "temporalCoverageTo": "2026-10-31",
        "issued": "2020-02-01 09:00:00",
        "modified": "2026-11-01 09:00:00",
        "spatial": "臺灣",
        "language": "zh-TW",
        "landingPage": "https://www.example.gov.tw/budget",
        "keyword": ["預算", "執行"],
        "distribution": [
            {
                "resourceID": "A17010000J-000001-001",
                "resourceDescription": "預算執行情形 CSV",
                "format": "CSV",
                "characterSetCode": "UTF-8",
                "resourceModified": "2026-11-01 09:00:00",
                "downloadURL": "https://www.example.gov.tw/budget.csv",
                "accessURL": "https://www.example.gov.tw/budget",
                "metadataSourceOfData": "https://www.example.gov.tw/meta",
            }
        ],
    }
    record.update(changes)
    return record


def keys(problems: list[Any]) -> set[str]:
    return {p.key for p in problems}


# --- metadata fields ---------------------------------------------------------------------------


def test_a_complete_record_has_no_problems() -> None:
    assert validate_metadata(good_record()) == []


def test_all_eighteen_category_codes_are_known() -> None:
    assert len(CATEGORY_CODES) == 18
    assert CATEGORY_CODES["I00"] == "公共資訊"
    assert CATEGORY_CODES["A00"] == "交通及通訊"


def test_missing_required_field_is_an_error_with_a_chinese_message() -> None:
    problems = validate_metadata(good_record(title=""))
    [problem] = [p for p in problems if p.key == "title"]
    assert problem.severity is Severity.ERROR
    assert problem.code == "required"
    assert "資料集名稱" in problem.message and "必填" in problem.message


def test_missing_recommended_field_is_only_a_warning() -> None:
    record = good_record()
    del record["spatial"]
    [problem] = validate_metadata(record)
    assert (problem.key, problem.severity, problem.code) == (
        "spatial",
        Severity.WARNING,
        "recommended",
    )


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("categoryCode", "J00", "choice"),
        ("identifier", "A1701-000001", "pattern"),
        ("identifier", "A17010000J-00001", "pattern"),
        ("type", "raw", "choice"),
        ("cost", "看情況", "choice"),
        ("licenseURL", "data.gov.tw/license", "url"),
        ("title", "名" * 256, "too_long"),
        ("description", "述" * 501, "too_long"),
        ("temporalCoverageFrom", "2020/01/01", "date"),
        ("issued", "2020-02-30 09:00:00", "datetime"),
        ("publisherContactEmail", "chen@example.gov.tw,not-an-email", "email"),
        ("accrualPeriodicity", "偶爾", "update_frequency"),
        ("fieldDescription", "year(年度、amount(金額)", "field_description"),
        ("numberOfData", "一百", "integer"),
    ],
)
def test_bad_values_are_reported_beside_their_key(field: str, value: str, code: str) -> None:
    problems = [p for p in validate_metadata(good_record(**{field: value})) if p.key == field]
    assert [p.code for p in problems] == [code]
    assert problems[0].message.startswith(problems[0].label + "：")


def test_cost_accepts_the_real_world_value_shoufei() -> None:
    assert validate_metadata(good_record(cost="收費")) == []


def test_resource_id_must_extend_the_dataset_identifier() -> None:
    record = good_record()
    record["distribution"][0]["resourceID"] = "A17010000J-000002-001"
    problems = validate_metadata(record)
    assert [(p.key, p.code) for p in problems] == [("distribution[0].resourceID", "resource_id")]
    assert "A17010000J-000001-001" in problems[0].message


def test_duplicate_resource_ids_and_missing_urls_are_reported() -> None:
    resource = dict(good_record()["distribution"][0])
    second = dict(resource, downloadURL="", accessURL="")
    problems = validate_metadata(good_record(distribution=[resource, second]))
    codes = {(p.key, p.code) for p in problems}
    assert ("distribution[1].resourceID", "duplicate") in codes
    assert ("distribution[1].downloadURL", "no_url") in codes


def test_a_record_without_resources_is_incomplete() -> None:
    problems = validate_metadata(good_record(distribution=[]))
    assert ("distribution", "required") in {(p.key, p.code) for p in problems}


def test_declared_encodings_are_normalised() -> None:
    assert normalise_encoding_label("big-5") == "BIG5"
    assert normalise_encoding_label("BIG5") == "BIG5"
    assert normalise_encoding_label("utf-8") == "UTF-8"
    assert normalise_encoding_label("其他") == "OTHER"
    assert normalise_encoding_label("latin-1") is None


# --- 主要欄位說明 --------------------------------------------------------------------------------


def test_field_description_parses_english_and_chinese_items() -> None:
    fields = parse_field_description("year(年度)、機關名稱(提供預算之機關)、金額")
    assert fields == [
        DeclaredField("year", "年度"),
        DeclaredField("機關名稱", "提供預算之機關"),
        DeclaredField("金額"),
    ]
    assert fields[0].is_english and not fields[1].is_english


def test_field_description_accepts_full_width_brackets_and_nested_separators() -> None:
    fields = parse_field_description("date（日期、時間）、 value（數值(元)） ")
    assert fields == [DeclaredField("date", "日期、時間"), DeclaredField("value", "數值(元)")]


def test_field_description_round_trips() -> None:
    text = "year(年度)、agency(機關)、備註"
    assert render_field_description(parse_field_description(text)) == text
    fields = [DeclaredField("a", "甲"), DeclaredField("乙")]
    assert parse_field_description(render_field_description(fields)) == fields


def test_field_description_strict_mode_names_the_broken_item() -> None:
    with pytest.raises(FieldDescriptionError, match="第 2 項"):
        parse_field_description("a(甲)、、b", strict=True)
    with pytest.raises(FieldDescriptionError, match="括號沒有關閉"):
        parse_field_description("a(甲", strict=True)
    # lenient mode reads what it can
    assert parse_field_description("a(甲)、、b") == [DeclaredField("a", "甲"), DeclaredField("b")]


def _parse_by_character(text: str, *, strict: bool) -> list[DeclaredField]:
    """The parser as first written (a loop over every character): the reference."""
    from steward.datasets.standard.field_description import _parse_item

    items: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char in "(（":
            depth += 1
        elif char in ")）":
            if depth == 0:
                if strict:
                    raise FieldDescriptionError(
                        f"第 {len(items) + 1} 項「{''.join(current).strip()}{char}」多了一個右括號。"
                    )
                continue
            depth -= 1
        elif char in "、，,;；" and depth == 0:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    if strict and depth:
        raise FieldDescriptionError(f"第 {len(items)} 項「{items[-1].strip()}」的括號沒有關閉。")
    fields: list[DeclaredField] = []
    for number, raw in enumerate(items, start=1):
        item = raw.strip()
        if not item:
            if strict and (len(items) > 1 or not fields):
                raise FieldDescriptionError(f"第 {number} 項是空的，請刪除多餘的分隔符號「、」。")
            continue
        fields.append(_parse_item(item, number, strict=strict))
    if strict and not fields:
        raise FieldDescriptionError("沒有任何欄位。")
    return fields


def test_field_description_parses_as_a_loop_over_every_character_would() -> None:
    import random

    pick = random.Random(5)
    pieces = ["a", "年度", " ", "(", "（", ")", "）", "、", "，", ",", ";", "；"]
    for _ in range(5000):
        text = "".join(pick.choice(pieces) for _ in range(pick.randint(0, 12)))
        for strict in (False, True):
            try:
                expected = _parse_by_character(text, strict=strict)
            except FieldDescriptionError as exc:
                with pytest.raises(FieldDescriptionError, match=re.escape(str(exc))):
                    parse_field_description(text, strict=strict)
                continue
            assert parse_field_description(text, strict=strict) == expected, text


def test_field_description_is_parsed_once_but_each_caller_gets_its_own_list() -> None:
    first = parse_field_description("a(甲)、b")
    first.append(DeclaredField("x"))
    assert parse_field_description("a(甲)、b") == [DeclaredField("a", "甲"), DeclaredField("b")]
    for _ in range(2):  # a strict error is raised every time, not remembered as a result
        with pytest.raises(FieldDescriptionError):
            parse_field_description("a)", strict=True)


# --- 更新頻率 -------------------------------------------------------------------------------------

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "kind", "period", "months"),
    [
        ("即時", FrequencyKind.REALTIME, None, None),
        ("每小時", FrequencyKind.PERIODIC, timedelta(hours=1), None),
        ("每日", FrequencyKind.PERIODIC, DAY, None),
        ("每周", FrequencyKind.PERIODIC, 7 * DAY, None),
        ("每週", FrequencyKind.PERIODIC, 7 * DAY, None),
        ("每10日", FrequencyKind.PERIODIC, 10 * DAY, None),
        ("每月", FrequencyKind.PERIODIC, None, 1),
        ("每1月", FrequencyKind.PERIODIC, None, 1),
        ("每季", FrequencyKind.PERIODIC, None, 3),
        ("每半年", FrequencyKind.PERIODIC, None, 6),
        ("每年", FrequencyKind.PERIODIC, None, 12),
        ("每1年", FrequencyKind.PERIODIC, None, 12),
        ("每10年", FrequencyKind.PERIODIC, None, 120),
        ("每10分鐘", FrequencyKind.PERIODIC, timedelta(minutes=10), None),
        ("不定期", FrequencyKind.IRREGULAR, None, None),
        ("不定期更新", FrequencyKind.IRREGULAR, None, None),
        ("不更新", FrequencyKind.NEVER, None, None),
        ("每２週", FrequencyKind.PERIODIC, 14 * DAY, None),
        ("每三個月", FrequencyKind.PERIODIC, None, 3),
    ],
)
def test_every_update_frequency_seen_in_real_records_parses(
    text: str, kind: FrequencyKind, period: timedelta | None, months: int | None
) -> None:
    frequency = parse_update_frequency(text)
    assert (frequency.kind, frequency.period, frequency.months) == (kind, period, months)


@pytest.mark.parametrize("text", ["", "偶爾", "每", "每0日", "每年兩次", "daily"])
def test_unknown_update_frequency_is_a_clear_error(text: str) -> None:
    with pytest.raises(UpdateFrequencyError, match="更新頻率"):
        parse_update_frequency(text)


def test_monthly_data_is_due_one_calendar_month_later() -> None:
    monthly = parse_update_frequency("每月")
    assert monthly.due_after(datetime(2026, 1, 31)) == datetime(2026, 2, 28)
    assert parse_update_frequency("不定期").due_after(datetime(2026, 1, 31)) is None
    assert not parse_update_frequency("不更新").is_judged


# --- identifiers ------------------------------------------------------------------------------


def test_next_identifier_follows_the_agencys_highest_serial() -> None:
    existing = ["A17010000J-000007", "A17010000J-000002", "A17020000J-000099", "A17010000J-ABC123"]
    assert next_identifier("A17010000J", existing) == "A17010000J-000008"
    assert next_identifier("A17030000J", existing) == "A17030000J-000001"


def test_next_identifier_refuses_a_bad_agency_code() -> None:
    with pytest.raises(IdentifierError, match="10 碼"):
        next_identifier("A170", [])


def test_next_resource_id_counts_three_digits() -> None:
    assert next_resource_id("A17010000J-000001", ["A17010000J-000001-002"]) == (
        "A17010000J-000001-003"
    )


# --- catalogue export -------------------------------------------------------------------------


def export_bytes(*rows: list[str], header: tuple[str, ...] = CATALOGUE_COLUMNS) -> bytes:
    import csv

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return b"\xef\xbb\xbf" + text.getvalue().encode("utf-8")


def a_row(**values: str) -> list[str]:
    cells = dict.fromkeys(CATALOGUE_COLUMNS, "")
    cells.update(
        {
            "資料集識別碼": "A17010000J-000001",
            "資料集名稱": "預算",
            "檔案格式": "CSV;JSON",
            "資料下載網址": "https://a.example/1.csv;https://a.example/1.json",
            "編碼格式": "UTF-8;UTF-8",
            "資料量": "10;10",
            "資料集描述": "第一行\n第二行",
            "更新頻率": "每月",
        }
    )
    cells.update(values)
    return [cells[c] for c in CATALOGUE_COLUMNS]


def test_catalogue_has_22_columns_with_the_real_typo() -> None:
    assert len(CATALOGUE_COLUMNS) == 22
    assert CATALOGUE_COLUMNS[8] == "資資料集上架方式"


def test_catalogue_rows_are_read_with_newlines_and_resources_split() -> None:
    data = export_bytes(a_row(), a_row(**{"資料集識別碼": "A17010000J-000002"}))
    rows = list(read_catalogue(io.BytesIO(data)))
    assert [r.identifier for r in rows] == ["A17010000J-000001", "A17010000J-000002"]
    assert rows[0].description == "第一行\n第二行"
    assert rows[0].resources == [
        CatalogueResource("CSV", "https://a.example/1.csv", "UTF-8", "10"),
        CatalogueResource("JSON", "https://a.example/1.json", "UTF-8", "10"),
    ]
    # the header is row 1; the first row spans lines 2-3 because of the newline
    assert (rows[0].row, rows[0].line, rows[1].row, rows[1].line) == (2, 2, 3, 4)
    assert rows[0].problems == []


def test_catalogue_resource_count_mismatch_is_a_row_problem() -> None:
    data = export_bytes(a_row(**{"編碼格式": "UTF-8;BIG5;UTF-8"}))
    [row] = read_catalogue(io.BytesIO(data))
    [problem] = row.problems
    assert (problem.row, problem.column, problem.code) == (2, "編碼格式", "resource_count")
    assert "2 個資源" in problem.message and len(row.resources) == 3


def test_catalogue_single_encoding_is_spread_over_resources() -> None:
    [row] = read_catalogue(io.BytesIO(export_bytes(a_row(**{"編碼格式": "BIG5"}))))
    assert [r.encoding for r in row.resources] == ["BIG5", "BIG5"] and row.problems == []


def test_catalogue_short_row_is_reported_and_padded() -> None:
    data = export_bytes(a_row()[:5])
    [row] = read_catalogue(io.BytesIO(data))
    assert row.problems[0].code == "column_count" and row.resources == []


def test_catalogue_with_a_wrong_header_names_the_column() -> None:
    header = list(CATALOGUE_COLUMNS)
    header[3] = "分類"
    with pytest.raises(CatalogueFormatError) as error:
        list(read_catalogue(io.BytesIO(export_bytes(header=tuple(header)))))
    assert (error.value.row, error.value.column) == (1, "服務分類")


def test_catalogue_in_big5_is_refused_with_the_row() -> None:
    data = export_bytes(a_row()).decode("utf-8").lstrip("\ufeff").encode("cp950")
    with pytest.raises(CatalogueFormatError, match="UTF-8"):
        list(read_catalogue(io.BytesIO(data)))


def test_catalogue_write_then_read_round_trips() -> None:
    data = export_bytes(a_row(), a_row(**{"備註": 'a "quoted", note'}))
    rows = list(read_catalogue(io.BytesIO(data)))
    out = io.BytesIO()
    assert write_catalogue(rows, out) == 2
    assert out.getvalue() == data


def test_catalogue_row_built_in_code_can_be_written() -> None:
    row = CatalogueRow(identifier="A17010000J-000009", resources=[CatalogueResource("CSV")])
    out = io.StringIO()
    write_catalogue([row], out)
    [again] = read_catalogue(io.StringIO(out.getvalue()))
    assert again.identifier == "A17010000J-000009" and again.resources[0].format == "CSV"
