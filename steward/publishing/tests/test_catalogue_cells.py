"""The catalogue CSV is safe to open: formula-like cells get a quote, read back exactly, and
an import warns about them (file, row, column) without refusing the file."""

from __future__ import annotations

import csv
import io

from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset
from steward.datasets.standard import CATALOGUE_COLUMNS
from steward.publishing.catalogue import check_catalogue, export_catalogue, import_catalogue

HYPERLINK = '=HYPERLINK("http://x","y")'
DDE = "=cmd|' /C calc'!A0"

ROW: dict[str, str] = {
    "資料集識別碼": "A17010000J-000101",
    "資料集名稱": HYPERLINK,
    "資料提供屬性": "原始資料",
    "服務分類": "公共資訊",
    "檔案格式": "CSV",
    "資料下載網址": "https://a.example.gov.tw/1.csv",
    "編碼格式": "UTF-8",
    "資資料集上架方式": "介接",
    "資料集描述": DDE,
    "主要欄位說明": "year(年度)、count(件數)",
    "提供機關": "甲署",
    "更新頻率": "每1年",
    "授權方式": "政府資料開放授權條款-第1版",
    "計費方式": "免費",
    "提供機關聯絡人姓名": "@李小華",
    "提供機關聯絡人電話": "+886-2-8765-4321",
    "上架日期": "2019-05-01",
    "備註": "-3.5",
    "資料量": "10",
}


def _csv(rows: list[dict[str, str]]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CATALOGUE_COLUMNS)
    for row in rows:
        writer.writerow([row.get(column, "") for column in CATALOGUE_COLUMNS])
    return text.getvalue().encode("utf-8-sig")


def test_import_warns_about_formula_like_cells_and_keeps_them_as_text(
    tree: Tree, cast: Cast
) -> None:
    report = import_catalogue(_csv([ROW]), ministry=tree.ministry, by=cast.centre, file="c.csv")
    assert report.created == ["A17010000J-000101"]
    assert [(w.file, w.row, w.column) for w in report.warnings if "formula" in w.message] == [
        ("c.csv", 2, "資料集名稱"),
        ("c.csv", 2, "資料集描述"),
        ("c.csv", 2, "提供機關聯絡人姓名"),
    ]
    dataset = Dataset.objects.get(identifier="A17010000J-000101")
    assert (dataset.title, dataset.description) == (HYPERLINK, DDE)


def test_export_quotes_formulas_but_not_phones_or_numbers_and_reimports_the_same(
    tree: Tree, cast: Cast
) -> None:
    import_catalogue(_csv([ROW]), ministry=tree.ministry, by=cast.centre)
    first = io.BytesIO()
    export_catalogue(tree.ministry, first, by=cast.centre)
    rows = list(csv.reader(io.StringIO(first.getvalue().decode("utf-8-sig"), newline="")))
    exported = dict(zip(rows[0], rows[1], strict=True))
    assert exported["資料集名稱"] == "'" + HYPERLINK
    assert exported["資料集描述"] == "'" + DDE
    assert exported["提供機關聯絡人姓名"] == "'@李小華"
    assert exported["提供機關聯絡人電話"] == "+886-2-8765-4321"
    assert exported["備註"] == "-3.5"
    # Re-imported, the quote is gone: the same values, and the same file on the next export.
    assert check_catalogue(first.getvalue(), ministry=tree.ministry, file="c.csv").warnings
    Dataset.objects.all().delete()
    import_catalogue(first.getvalue(), ministry=tree.ministry, by=cast.centre)
    dataset = Dataset.objects.get(identifier="A17010000J-000101")
    assert (dataset.title, dataset.description) == (HYPERLINK, DDE)
    second = io.BytesIO()
    export_catalogue(tree.ministry, second, by=cast.centre)
    assert first.getvalue() == second.getvalue()
