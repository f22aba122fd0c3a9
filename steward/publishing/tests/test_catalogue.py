"""The portal's 22-column catalogue CSV: export, import, and every bad input refused whole."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset, Resource
from steward.datasets.standard import CATALOGUE_COLUMNS
from steward.datasets.workflow import Status
from steward.publishing.catalogue import (
    CatalogueImportError,
    check_catalogue,
    export_catalogue,
    import_catalogue,
)
from steward.publishing.tests.helpers import make_dataset

GOOD_ROW: dict[str, str] = {
    "資料集識別碼": "A17010000J-000101",
    "資料集名稱": "甲署統計年報",
    "資料提供屬性": "原始資料",
    "服務分類": "公共資訊",
    "品質檢測": "金標章",
    "檔案格式": "CSV;JSON;XML",
    "資料下載網址": "https://a.example.gov.tw/1.csv;https://a.example.gov.tw/1.json;https://a.example.gov.tw/1.xml",
    "編碼格式": "UTF-8;UTF-8;BIG5",
    "資資料集上架方式": "介接",
    "資料集描述": '第一行\n第二行，含逗號與「引號」"',
    "主要欄位說明": "year(年度)、count(件數)",
    "提供機關": "甲署",
    "更新頻率": "每1年",
    "授權方式": "政府資料開放授權條款-第1版",
    "相關網址": "https://a.example.gov.tw/",
    "計費方式": "免費",
    "提供機關聯絡人姓名": "李小華",
    "提供機關聯絡人電話": "02-8765-4321",
    "上架日期": "2019-05-01",
    "詮釋資料更新時間": "2025-12-31 17:30:00.000000",
    "備註": "",
    "資料量": "10;20;30",
}


def csv_bytes(rows: list[dict[str, str]], *, encoding: str = "utf-8-sig") -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CATALOGUE_COLUMNS)
    for row in rows:
        writer.writerow([row.get(column, "") for column in CATALOGUE_COLUMNS])
    return text.getvalue().encode(encoding)


def row(**changes: str) -> dict[str, str]:
    return {**GOOD_ROW, **{key.replace("_", ""): value for key, value in changes.items()}}


def problems_of(data: bytes, tree: Tree, cast: Cast) -> list[str]:
    """Import must refuse: return the problems, having checked nothing changed."""
    datasets, resources, events = (
        Dataset.objects.count(),
        Resource.objects.count(),
        AuditEvent.objects.count(),
    )
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(data, ministry=tree.ministry, by=cast.centre, file="upload.csv")
    assert (Dataset.objects.count(), Resource.objects.count(), AuditEvent.objects.count()) == (
        datasets,
        resources,
        events,
    )
    return [str(problem) for problem in caught.value.report.problems]


# ---------------------------------------------------------------- import


def test_a_catalogue_row_becomes_a_published_dataset_with_its_resources(
    tree: Tree, cast: Cast
) -> None:
    report = import_catalogue(csv_bytes([row()]), ministry=tree.ministry, by=cast.centre)
    assert report.created == ["A17010000J-000101"]
    dataset = Dataset.objects.get(identifier="A17010000J-000101")
    assert dataset.organisation == tree.agency_a
    assert dataset.status == Status.PUBLISHED
    assert dataset.categoryCode == "I00"
    assert dataset.description == '第一行\n第二行，含逗號與「引號」"'
    assert dataset.numberOfData == 60
    assert dataset.issued is not None and dataset.issued.year == 2019
    resources = list(dataset.resources.order_by("position"))
    assert [r.resourceID for r in resources] == [
        "A17010000J-000101-001",
        "A17010000J-000101-002",
        "A17010000J-000101-003",
    ]
    assert [r.format for r in resources] == ["CSV", "JSON", "XML"]
    assert [r.characterSetCode for r in resources] == ["UTF-8", "UTF-8", "BIG5"]
    assert resources[1].downloadURL == "https://a.example.gov.tw/1.json"
    assert dataset.versions.count() == 1


def test_rows_are_matched_by_agency_code_when_the_name_is_unknown(tree: Tree, cast: Cast) -> None:
    data = csv_bytes([row(提供機關="乙局（舊名）", 資料集識別碼="A17020000J-000007")])
    import_catalogue(data, ministry=tree.ministry, by=cast.centre)
    assert Dataset.objects.get(identifier="A17020000J-000007").organisation == tree.agency_b


def test_a_big5_file_saved_by_excel_is_read_as_cp950(tree: Tree, cast: Cast) -> None:
    data = csv_bytes([row(資料集描述="臺灣地區統計，含「碁」字")], encoding="cp950")
    report = import_catalogue(data, ministry=tree.ministry, by=cast.centre)
    assert report.encoding == "CP950"
    assert any("CP950" in str(warning) for warning in report.warnings)
    assert Dataset.objects.get().description == "臺灣地區統計，含「碁」字"


def test_one_value_for_every_resource_is_spread(tree: Tree, cast: Cast) -> None:
    import_catalogue(csv_bytes([row(編碼格式="UTF-8")]), ministry=tree.ministry, by=cast.centre)
    assert set(Resource.objects.values_list("characterSetCode", flat=True)) == {"UTF-8"}


def test_only_the_information_centre_may_import(tree: Tree, cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        import_catalogue(csv_bytes([row()]), ministry=tree.ministry, by=cast.liaison)
    assert not Dataset.objects.exists()


# ---------------------------------------------------------------- bad input: nothing changes


def test_resource_lists_of_different_lengths_name_the_row_and_column(
    tree: Tree, cast: Cast
) -> None:
    data = csv_bytes(
        [
            row(),
            row(
                資料集識別碼="A17010000J-000102",
                資料下載網址="https://x.gov.tw/a;https://x.gov.tw/b",
            ),
        ]
    )
    problems = problems_of(data, tree, cast)
    assert len(problems) == 1
    assert "row 3" in problems[0] and "資料下載網址" in problems[0]


def test_duplicate_identifiers_within_the_file_are_refused(tree: Tree, cast: Cast) -> None:
    problems = problems_of(csv_bytes([row(), row()]), tree, cast)
    assert problems == [
        "upload.csv · row 3 · 「資料集識別碼」: "
        "A17010000J-000101 appears again; it is already on row 2."
    ]


def test_a_published_dataset_with_the_rows_identifier_is_updated_in_place(
    tree: Tree, cast: Cast
) -> None:
    existing = make_dataset(tree.unit_a1, serial=101, status=Status.PUBLISHED)
    report = import_catalogue(
        csv_bytes([row(資料集識別碼="A17010000J-000102"), row()]),
        ministry=tree.ministry,
        by=cast.centre,
    )
    assert report.added == ["A17010000J-000102"]
    assert report.changed == ["A17010000J-000101"]
    existing.refresh_from_db()
    assert existing.organisation == tree.unit_a1  # keeps its own unit
    assert existing.description == '第一行\n第二行，含逗號與「引號」"'
    assert existing.resources.count() == 3
    assert existing.versions.count() == 1  # its new published version


def test_a_draft_with_the_rows_identifier_is_refused(tree: Tree, cast: Cast) -> None:
    make_dataset(tree.unit_a1, serial=101, status=Status.DRAFT)
    problems = problems_of(csv_bytes([row(資料集識別碼="A17010000J-000102"), row()]), tree, cast)
    assert len(problems) == 1
    assert "row 3" in problems[0] and "not on the portal" in problems[0]


def test_every_row_error_is_listed_at_once(tree: Tree, cast: Cast) -> None:
    data = csv_bytes(
        [
            row(資料集識別碼="bad-id"),
            row(資料集識別碼="A17010000J-000103", 服務分類="外星事務"),
            row(資料集識別碼="A17099999J-000104", 提供機關="不存在的機關"),
            row(資料集識別碼="A17010000J-000105", 上架日期="去年"),
            row(資料集識別碼="A17010000J-000106", 編碼格式="EBCDIC"),
        ]
    )
    problems = problems_of(data, tree, cast)
    joined = "\n".join(problems)
    assert "row 2 · 「資料集識別碼」" in joined
    assert "row 3 · 「服務分類」" in joined
    assert "row 4 · 「提供機關」" in joined
    assert "row 5 · 「上架日期」" in joined
    assert "row 6 · 「編碼格式」" in joined


def test_a_title_longer_than_the_standard_allows_is_refused(tree: Tree, cast: Cast) -> None:
    problems = problems_of(csv_bytes([row(資料集名稱="名" * 256)]), tree, cast)
    assert "「資料集名稱」" in problems[0] and "255" in problems[0]


def test_a_file_over_the_catalogue_limit_is_refused(tree: Tree, cast: Cast, settings: Any) -> None:
    data = csv_bytes([row()])
    settings.STEWARD_MAX_CATALOGUE_BYTES = len(data) - 1
    problems = problems_of(data, tree, cast)
    assert "most accepted for a catalogue" in problems[0]
    assert "STEWARD_MAX_CATALOGUE_BYTES" in problems[0]


def test_the_catalogue_limit_is_its_own_not_the_general_upload_limit(
    tree: Tree, cast: Cast, settings: Any
) -> None:
    data = csv_bytes([row()])
    settings.STEWARD_MAX_UPLOAD_BYTES = len(data) - 1
    import_catalogue(data, ministry=tree.ministry, by=cast.centre)
    assert Dataset.objects.count() == 1


def test_bytes_neither_utf8_nor_big5_are_refused_with_the_line(tree: Tree, cast: Cast) -> None:
    data = csv_bytes([row()]) + b"A17010000J-000109,\xff\xfe\xfa\n"
    problems = problems_of(data, tree, cast)
    assert "neither UTF-8 nor Big5" in problems[0]
    assert "line 4" in problems[0]


def test_an_excel_workbook_is_refused(tree: Tree, cast: Cast) -> None:
    problems = problems_of(b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200, tree, cast)
    assert "not a CSV text file" in problems[0]


def test_a_wrong_header_is_refused(tree: Tree, cast: Cast) -> None:
    data = "\ufeff識別碼,名稱\r\nA,B\r\n".encode()
    problems = problems_of(data, tree, cast)
    assert "row 1" in problems[0] and "資料集識別碼" in problems[0]


def test_broken_quoting_is_refused(tree: Tree, cast: Cast) -> None:
    data = csv_bytes([row()]) + '"A17010000J-000110,"未關閉的引號\r\n'.encode()
    problems = problems_of(data, tree, cast)
    assert problems  # the row count or the quoting is named
    assert "row 3" in problems[0]


def test_an_empty_file_and_a_header_only_file_are_refused(tree: Tree, cast: Cast) -> None:
    assert "empty" in problems_of(b"", tree, cast)[0]
    assert "no datasets" in problems_of(csv_bytes([]), tree, cast)[0]


def test_check_lists_problems_without_a_person_or_writes(tree: Tree) -> None:
    report = check_catalogue(csv_bytes([row(), row()]), ministry=tree.ministry, file="f.csv")
    assert not report.ok
    assert report.rows == 2
    assert not Dataset.objects.exists()


# ---------------------------------------------------------------- export and round trip


def test_export_writes_utf8_with_bom_and_quotes_newlines(tree: Tree, cast: Cast) -> None:
    make_dataset(
        tree.unit_a1,
        serial=1,
        status=Status.PUBLISHED,
        resources=2,
        numberOfData=42,
        description="第一行\n第二行",
    )
    make_dataset(tree.unit_b1, serial=2, status=Status.DRAFT)  # not on the portal: left out
    out = io.BytesIO()
    assert export_catalogue(tree.ministry, out, by=cast.centre) == 1
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == list(CATALOGUE_COLUMNS)
    assert rows[0][8] == "資資料集上架方式"
    exported = dict(zip(rows[0], rows[1], strict=True))
    assert exported["資料集描述"] == "第一行\n第二行"
    assert exported["檔案格式"] == "CSV;CSV"
    assert exported["資料量"] == "42;"
    assert exported["服務分類"] == "公共資訊"


def test_export_is_scoped_to_what_the_person_may_see(tree: Tree, cast: Cast) -> None:
    make_dataset(tree.unit_a1, serial=1, status=Status.PUBLISHED)
    make_dataset(tree.unit_b1, serial=2, status=Status.PUBLISHED)
    out = io.BytesIO()
    assert export_catalogue(tree.ministry, out, by=cast.centre) == 2
    with pytest.raises(PermissionDenied):
        export_catalogue(tree.ministry, io.BytesIO(), by=cast.liaison)  # sees only agency A


def test_export_then_import_gives_the_same_catalogue_back(tree: Tree, cast: Cast) -> None:
    import_catalogue(
        csv_bytes(
            [
                row(),
                row(
                    資料集識別碼="A17020000J-000001",
                    提供機關="乙局",
                    資料提供屬性="系統介接程式",
                    檔案格式="JSON",
                    資料下載網址="https://b.example.gov.tw/api",
                    編碼格式="UTF-8",
                    資料量="",
                    備註="多行\n備註",
                ),
            ]
        ),
        ministry=tree.ministry,
        by=cast.centre,
    )
    first = io.BytesIO()
    export_catalogue(tree.ministry, first, by=cast.centre)
    Dataset.objects.all().delete()
    import_catalogue(first.getvalue(), ministry=tree.ministry, by=cast.centre)
    second = io.BytesIO()
    export_catalogue(tree.ministry, second, by=cast.centre)
    assert first.getvalue() == second.getvalue()
    assert Dataset.objects.get(identifier="A17020000J-000001").type == "SERVICES"
    assert b"\xe5\xa4\x9a\xe8\xa1\x8c\n" in first.getvalue()  # "多行\n" kept inside quotes
