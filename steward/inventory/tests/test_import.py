"""Importing inventories from real XLSX, ODS and CSV files, with the headers agencies use."""

from __future__ import annotations

import datetime

import pytest

from steward.conftest import Cast, Tree
from steward.inventory.imports import import_items
from steward.inventory.models import (
    AgencyInventory,
    Classification,
    InventoryItem,
    InventoryStatus,
    ItemStatus,
    RestrictionReason,
    Source,
)
from steward.inventory.tests.files import ALIASED_HEADERS, csv_bytes, ods, xlsx, zip_bomb_xlsx

ROWS = [
    ALIASED_HEADERS,
    ["失業給付統計", "甲署", "甲署綜合規劃組", "開放", "", "", "是", "115年上半年", "A-001",
     "業管系統資料庫", "依法應公開、民間查詢量較高"],
    ["碁盤格道路圖", "甲署", "", "開放資料", "", "", "否", "2026H2", "A-002", "網站", ""],
    ["勞工個人投保資料", "甲署", "甲署綜合規劃組", "不予提供", "個人資料", "個人資料保護法第20條",
     "否", "", "A-003", "資料庫", ""],
    ["委外研究報告", "甲署", "甲署綜合規劃組", "依申請提供", "第三人權利", "", "V", "", "A-004",
     "報告", ""],
]  # fmt: skip

pytestmark = pytest.mark.usefixtures("english")


def problems_of(result: object) -> list[tuple[str, str, int | None, str]]:
    return [(p.file, p.sheet, p.row, p.column) for p in result.problems]  # type: ignore[attr-defined]


def test_an_xlsx_with_aliased_headers_and_a_title_row_is_imported(tree: Tree, cast: Cast) -> None:
    rows = [list(r) for r in ROWS]
    rows[4][4] = "第三人權利"
    rows[4] = [*rows[4][:5], "", "V", "", "A-004", "報告", ""]
    data = xlsx(rows, title_row="經濟部政府資料資產盤點表（115年度）")
    result = import_items("盤點表.xlsx", data, by=cast.liaison, default_organisation=tree.unit_a1)
    # 委外研究報告 has no legal basis and no explanation: refused, with its row and column.
    assert problems_of(result) == [("盤點表.xlsx", "盤點表", 6, "理由說明")]
    assert InventoryItem.objects.count() == 0


def test_every_row_of_a_good_xlsx_becomes_an_item_with_the_values_read_right(
    tree: Tree, cast: Cast
) -> None:
    rows = [[*ALIASED_HEADERS, "備註"]] + [[*row, ""] for row in ROWS[1:]]
    rows[4][-1] = "含廠商營業秘密"
    data = xlsx(rows, title_row="經濟部政府資料資產盤點表")
    result = import_items("盤點表.xlsx", data, by=cast.liaison, default_organisation=tree.unit_a1)
    assert result.ok, result.problems
    assert len(result.created) == 4
    first = InventoryItem.objects.get(identifier="A-001")
    assert first.agency == tree.agency_a and first.organisation == tree.unit_a1
    assert first.classification == Classification.OPEN
    assert (first.planned_year, first.planned_half) == (2026, "H1")
    assert first.gender_statistics is True
    assert first.source == Source.SYSTEM_DATABASE
    assert first.priority_required_by_law and first.priority_high_demand
    assert not first.priority_statutory_duty
    assert first.status == ItemStatus.PLANNED
    second = InventoryItem.objects.get(identifier="A-002")
    assert second.name == "碁盤格道路圖" and second.organisation == tree.unit_a1
    assert (second.planned_year, second.planned_half) == (2026, "H2")
    third = InventoryItem.objects.get(identifier="A-003")
    assert third.classification == Classification.NOT_PROVIDED
    assert third.restriction_reason == RestrictionReason.PRIVACY
    assert third.legal_basis == "個人資料保護法第20條"
    fourth = InventoryItem.objects.get(identifier="A-004")
    assert fourth.restriction_reason == RestrictionReason.THIRD_PARTY
    assert fourth.restriction_note == "含廠商營業秘密"
    assert fourth.gender_statistics is True


def _good_rows() -> list[list[object]]:
    return [
        [
            "資料名稱",
            "開放類別",
            "預計開放年度",
            "機關",
            "單位",
            "性別統計",
            "不開放理由",
            "法令依據",
        ],
        ["就業服務統計", "開放資料", "115年下半年", "甲署", "甲署綜合規劃組", "Y", "", ""],
        ["職業訓練名冊", "不開放", "", "甲署", "", "N", "法令限制", "職業訓練法第4條"],
    ]


def test_an_ods_file_is_imported(tree: Tree, cast: Cast) -> None:
    rows = _good_rows()
    data = ods([*rows, ["失業率", "開放", 115, "甲署", "", "否", "", ""]])
    result = import_items("盤點.ods", data, by=cast.liaison, default_organisation=tree.unit_a1)
    # 115 alone has no half: the open item is refused at row 4, column 預計開放年度.
    assert problems_of(result) == [("盤點.ods", "盤點表", 4, "預計開放年度")]
    assert InventoryItem.objects.count() == 0
    fixed = ods([*rows, ["失業率", "開放", "115/1", "甲署", "", "否", "", ""]])
    result = import_items("盤點.ods", fixed, by=cast.liaison, default_organisation=tree.unit_a1)
    assert result.ok, result.problems
    assert InventoryItem.objects.filter(planned_year=2026).count() == 2


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp950"])
def test_csv_in_utf8_with_or_without_bom_and_in_big5_is_imported(
    tree: Tree, cast: Cast, encoding: str
) -> None:
    rows = [
        ["資料項目名稱", "分級", "開放時間", "機關", "限制原因", "法令依據", "理由說明"],
        ["碁隆港銹蝕檢測資料", "開放資料", "115年上半年", "甲署", "", "", ""],
        ["裏帳", "依申請提供", "", "甲署", "敏感", "", "含未公開財務資訊"],
    ]
    rows[0][2] = "預計開放時間"
    data = csv_bytes(rows, encoding)
    if encoding == "cp950":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    result = import_items("盤點.csv", data, by=cast.liaison, default_organisation=tree.unit_a1)
    assert result.ok, result.problems
    names = set(InventoryItem.objects.values_list("name", flat=True))
    assert names == {"碁隆港銹蝕檢測資料", "裏帳"}
    assert set(InventoryItem.objects.values_list("identifier", flat=True)) == {"0001", "0002"}


def test_a_utf16_csv_is_refused_naming_the_file(tree: Tree, cast: Cast) -> None:
    data = csv_bytes(_good_rows(), "utf-16")
    result = import_items("盤點.csv", data, by=cast.liaison, default_organisation=tree.unit_a1)
    assert [p.file for p in result.problems] == ["盤點.csv"]
    assert "UTF-16" in result.problems[0].reason
    assert InventoryItem.objects.count() == 0


def test_gb18030_only_bytes_are_refused_as_neither_utf8_nor_big5(tree: Tree, cast: Cast) -> None:
    rows = _good_rows()
    rows[1][0] = "就业服务统计€𠮟"  # simplified text and characters only GB18030 holds
    data = csv_bytes(rows, "gb18030")
    result = import_items("gb.csv", data, by=cast.liaison, default_organisation=tree.unit_a1)
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.file == "gb.csv" and "Big5" in problem.reason
    assert problem.row is not None  # the line where reading failed
    assert InventoryItem.objects.count() == 0


def test_gbk_text_that_happens_to_decode_as_big5_is_refused_by_its_garbled_headers(
    tree: Tree, cast: Cast
) -> None:
    data = csv_bytes([["资料名称", "开放类别"], ["就业服务统计", "开放"]], "gbk")
    result = import_items("gbk.csv", data, by=cast.liaison, default_organisation=tree.unit_a1)
    assert len(result.problems) == 1 and "header" in result.problems[0].reason
    assert InventoryItem.objects.count() == 0


def test_malformed_xlsx_bytes_are_refused(tree: Tree, cast: Cast) -> None:
    good = xlsx(_good_rows())
    broken = good[: len(good) // 2]
    for name, data in [("broken.xlsx", broken), ("random.xlsx", b"PK\x03\x04" + b"\x17" * 400),
                       ("text.ods", b"this is not a spreadsheet")]:  # fmt: skip
        result = import_items(name, data, by=cast.liaison, default_organisation=tree.unit_a1)
        assert [p.file for p in result.problems] == [name]
        assert "damaged" in result.problems[0].reason or "not a spreadsheet" in (
            result.problems[0].reason
        )
    assert InventoryItem.objects.count() == 0


def test_a_zip_bomb_is_refused_before_parsing(tree: Tree, cast: Cast, settings: object) -> None:
    settings.STEWARD_INVENTORY_MAX_UNCOMPRESSED_BYTES = 5 * 2**20  # type: ignore[attr-defined]
    data = zip_bomb_xlsx(50 * 2**20)
    assert len(data) < 200_000
    result = import_items("bomb.xlsx", data, by=cast.liaison, default_organisation=tree.unit_a1)
    assert len(result.problems) == 1 and "zip bomb" in result.problems[0].reason
    assert InventoryItem.objects.count() == 0


def test_a_highly_compressed_part_is_refused_even_under_the_total_limit(
    tree: Tree, cast: Cast
) -> None:
    data = zip_bomb_xlsx(20 * 2**20)
    result = import_items("bomb.xlsx", data, by=cast.liaison, default_organisation=tree.unit_a1)
    assert len(result.problems) == 1 and "compressed" in result.problems[0].reason


def test_a_sheet_over_the_row_cap_is_refused(tree: Tree, cast: Cast, settings: object) -> None:
    settings.STEWARD_INVENTORY_MAX_ROWS = 100  # type: ignore[attr-defined]
    rows = [["資料名稱", "開放類別", "預計開放時間"]] + [
        [f"資料{n}", "開放", "115年上半年"] for n in range(200)
    ]
    for name, data in [("big.xlsx", xlsx(rows)), ("big.csv", csv_bytes(rows, "utf-8-sig"))]:
        result = import_items(name, data, by=cast.liaison, default_organisation=tree.unit_a1)
        assert len(result.problems) == 1
        assert "100" in result.problems[0].reason and result.problems[0].file == name
    assert InventoryItem.objects.count() == 0


def test_a_file_over_the_upload_limit_is_refused(tree: Tree, cast: Cast, settings: object) -> None:
    settings.STEWARD_MAX_UPLOAD_BYTES = 1000  # type: ignore[attr-defined]
    rows = [["資料名稱", "開放類別", "預計開放時間"]] + [
        [f"資料{n}", "開放", "115年上半年"] for n in range(100)
    ]
    result = import_items(
        "big.csv", csv_bytes(rows, "utf-8"), by=cast.liaison, default_organisation=tree.unit_a1
    )
    assert len(result.problems) == 1 and "limit" in result.problems[0].reason
    assert InventoryItem.objects.count() == 0


def test_every_bad_row_is_listed_with_file_sheet_row_column_and_reason(
    tree: Tree, cast: Cast
) -> None:
    InventoryItem.objects.create(
        agency=tree.agency_a, organisation=tree.unit_a1, identifier="A-009", name="既有資料",
        classification=Classification.NOT_PROVIDED, restriction_reason="other",
        restriction_note="x",
    )  # fmt: skip
    rows = [
        ["盤點編號", "資料名稱", "機關", "開放類別", "預計開放時間", "性別統計"],
        ["A-001", "好資料", "甲署", "開放", "115年上半年", "是"],  # row 2: fine
        ["A-001", "重複編號", "甲署", "開放", "115年上半年", "否"],  # row 3: duplicate in file
        # row 4 updates A-009, which keeps its reason for not opening (the file has no such
        # column): an open item may have none.
        ["A-009", "改為開放", "甲署", "開放", "115年上半年", "否"],
        ["A-010", "未知機關", "丙處", "開放", "115年上半年", "否"],  # row 5: unknown agency
        ["A-011", "沒有時間", "甲署", "開放", "", "否"],  # row 6: open without a planned time
        ["A-012", "怪分類", "甲署", "半開放?", "115年上半年", "也許"],  # row 7: two bad cells
    ]
    result = import_items(
        "bad.xlsx", xlsx(rows), by=cast.liaison, default_organisation=tree.unit_a1
    )
    located = problems_of(result)
    assert located == [
        ("bad.xlsx", "盤點表", 3, "盤點編號"),
        ("bad.xlsx", "盤點表", 4, "不開放理由"),
        ("bad.xlsx", "盤點表", 5, "機關"),
        ("bad.xlsx", "盤點表", 6, "預計開放時間"),
        ("bad.xlsx", "盤點表", 6, "預計開放時間"),
        ("bad.xlsx", "盤點表", 7, "開放類別"),
        ("bad.xlsx", "盤點表", 7, "性別統計"),
    ]
    reasons = [p.reason for p in result.problems]
    assert "rows 2 and 3" in reasons[0]
    assert "丙處" in reasons[2]
    assert all(reason for reason in reasons)
    assert InventoryItem.objects.count() == 1  # only the one that was there


def test_another_agencys_liaison_cannot_import_into_agency_a(tree: Tree, cast: Cast) -> None:
    rows = _good_rows()
    result = import_items(
        "a.xlsx", xlsx(rows), by=cast.other_liaison, default_organisation=tree.unit_b1
    )
    assert {(p.row, p.column) for p in result.problems} == {(2, "單位"), (3, "機關")}
    assert InventoryItem.objects.count() == 0


def test_nothing_is_imported_into_a_submitted_inventory(tree: Tree, cast: Cast) -> None:
    AgencyInventory.objects.create(
        agency=tree.agency_a, year=2026, status=InventoryStatus.SUBMITTED
    )
    result = import_items(
        "a.xlsx", xlsx(_good_rows()), by=cast.liaison, default_organisation=tree.unit_a1
    )
    assert {p.row for p in result.problems} == {2, 3}
    assert all("submitted" in p.reason for p in result.problems)
    assert InventoryItem.objects.count() == 0


def test_date_cells_and_roc_years_are_read_as_planned_times(tree: Tree, cast: Cast) -> None:
    rows: list[list[object]] = [
        ["資料名稱", "開放類別", "預計開放日期"],
        ["日期格", "開放", datetime.datetime(2026, 9, 30)],
        ["民國年", "開放", "民國116年第2季"],
    ]
    result = import_items("d.xlsx", xlsx(rows), by=cast.liaison, default_organisation=tree.unit_a1)
    assert result.ok, result.problems
    got = dict(InventoryItem.objects.values_list("name", "planned_year"))
    halves = dict(InventoryItem.objects.values_list("name", "planned_half"))
    assert got == {"日期格": 2026, "民國年": 2027}
    assert halves == {"日期格": "H2", "民國年": "H1"}


def test_the_header_is_found_on_a_later_sheet_after_an_instructions_sheet(
    tree: Tree, cast: Cast
) -> None:
    data = xlsx(
        [["填表說明"], ["請依說明填寫"]],
        first_sheet="說明",
        sheets={"資料": [["資料名稱", "開放類別", "預計開放時間"], ["甲", "開放", "2026H1"]]},
    )
    result = import_items("two.xlsx", data, by=cast.liaison, default_organisation=tree.unit_a1)
    assert result.ok, result.problems
    assert InventoryItem.objects.get().name == "甲"


def test_a_file_without_recognisable_headers_is_refused(tree: Tree, cast: Cast) -> None:
    data = xlsx([["欄位一", "欄位二"], ["甲", "乙"]])
    result = import_items("x.xlsx", data, by=cast.liaison, default_organisation=tree.unit_a1)
    assert len(result.problems) == 1 and result.problems[0].file == "x.xlsx"


def test_messages_are_in_traditional_chinese_by_default(tree: Tree, cast: Cast) -> None:
    from django.utils import translation

    with translation.override("zh-hant"):
        result = import_items("u16.csv", csv_bytes(_good_rows(), "utf-16"), by=cast.liaison,
                              default_organisation=tree.unit_a1)  # fmt: skip
    assert result.problems[0].reason == "檔案為 UTF-16 編碼，請另存為 UTF-8（或 Big5）的 CSV。"
