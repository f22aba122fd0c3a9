"""Bad input to an inventory re-import: each gets a clear per-row error and nothing is written."""

from __future__ import annotations

import csv
import io

import pytest

from steward.conftest import Cast, Tree
from steward.inventory.imports import import_items
from steward.inventory.models import Classification, InventoryItem
from steward.inventory.tests.test_roundtrip import exported, make_items, snapshot

pytestmark = pytest.mark.usefixtures("english")


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def csv_file(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode()


def test_a_number_twice_in_one_file_names_both_rows_and_nothing_is_written(
    tree: Tree, cast: Cast
) -> None:
    make_items(tree)
    before = snapshot()
    rows = csv_rows(exported("csv"))
    rows[1][3] = "改過的名稱"  # a good change on row 2 …
    rows.append(list(rows[3]))  # … and 0003 again on row 6
    rows[-1][3] = "另一個名稱"
    result = import_items("盤點表.csv", csv_file(rows), by=cast.liaison)
    assert [(p.row, p.column) for p in result.problems] == [(6, "盤點編號")]
    reason = result.problems[0].reason
    assert "“0003”" in reason and "rows 4 and 6" in reason
    assert snapshot() == before


def test_an_edited_export_of_an_agency_the_person_may_not_edit_is_refused_whole(
    tree: Tree, cast: Cast
) -> None:
    InventoryItem.objects.create(
        agency=tree.agency_b, organisation=tree.unit_b1, identifier="0001", name="乙局資料",
        classification=Classification.ON_REQUEST, restriction_reason="other",
        restriction_note="x",
    )  # fmt: skip
    make_items(tree)
    before = snapshot()
    content = exported("csv")
    rows = [row for row in csv_rows(content) if row[1] in ("機關", "乙局")]
    rows[1][3] = "甲署的聯絡人改的"
    rows.append(["", "乙局", "乙局統計室", "偷加的資料", "", "", "依申請提供", "其他", "", "x",
                 "否", "", "", "", ""])  # fmt: skip
    result = import_items("乙局盤點表.csv", csv_file(rows), by=cast.liaison)
    assert [(p.row, p.column) for p in result.problems] == [(2, "單位"), (3, "單位")]
    assert all("may not edit the inventory of 乙局統計室" in p.reason for p in result.problems)
    assert snapshot() == before


def test_a_csv_cut_off_mid_row_is_refused_at_that_row_and_nothing_is_written(
    tree: Tree, cast: Cast
) -> None:
    make_items(tree)
    before = snapshot()
    rows = csv_rows(exported("csv"))
    rows[1][3] = "改過的名稱"
    data = csv_file(rows)
    cut = data[: data.rindex("失業給付統計".encode()) + len("失業給付統計".encode())]
    result = import_items("盤點表.csv", cut, by=cast.liaison)
    assert [(p.row, p.column) for p in result.problems] == [(5, "")]
    assert "4 of the header's 15 columns" in result.problems[0].reason
    assert snapshot() == before


def test_a_changed_header_order_is_read_by_name(tree: Tree, cast: Cast) -> None:
    make_items(tree)
    before = {row["identifier"]: row for row in snapshot()}
    rows = [list(reversed(row)) for row in csv_rows(exported("csv"))]
    assert rows[0][0] == "資料集編號" and rows[0][-1] == "盤點編號"
    rows[3][rows[0].index("法令依據")] = "個人資料保護法第20條"
    result = import_items("盤點表.csv", csv_file(rows), by=cast.liaison)
    assert result.ok, result.problems
    assert (len(result.created), len(result.updated), result.unchanged) == (0, 1, 3)
    after = {row["identifier"]: row for row in snapshot()}
    assert after["0003"] == {**before["0003"], "legal_basis": "個人資料保護法第20條"}
