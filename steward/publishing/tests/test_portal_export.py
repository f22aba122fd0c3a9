"""The national portal's real catalogue export: numbers, round trip, re-import, bad input."""

from __future__ import annotations

import gzip
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset, DatasetVersion, Resource
from steward.datasets.standard import CATALOGUE_COLUMNS
from steward.datasets.workflow import Status
from steward.organisations.models import Organisation, OrganisationKind
from steward.publishing.catalogue import (
    CatalogueImportError,
    export_catalogue,
    export_rows,
    import_catalogue,
    stream_ndjson,
)
from steward.publishing.models import CatalogueListing
from steward.publishing.tests.helpers import make_dataset
from steward.publishing.tests.portal_export import (
    AGENCIES,
    export_bytes,
    make_agencies,
    portal_rows,
    read_cells,
)

ROWS = 60


@pytest.fixture
def agencies(tree: Tree) -> list[Organisation]:
    return make_agencies(tree.ministry)


@pytest.fixture
def rows(agencies: list[Organisation]) -> list[dict[str, str]]:
    return list(portal_rows(ROWS))


def state() -> tuple[int, ...]:
    """Row counts of everything an import may write."""
    return (
        Dataset.objects.count(),
        Resource.objects.count(),
        DatasetVersion.objects.count(),
        CatalogueListing.objects.count(),
        AuditEvent.objects.count(),
    )


def refused(data: bytes, tree: Tree, cast: Cast) -> list[str]:
    """The import must refuse the whole file and change nothing: its problems."""
    before = state()
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(data, ministry=tree.ministry, by=cast.centre, file="export.csv")
    assert state() == before
    return [str(problem) for problem in caught.value.report.problems]


def exported(tree: Tree, cast: Cast) -> bytes:
    out = io.BytesIO()
    export_catalogue(tree.ministry, out, by=cast.centre)
    return out.getvalue()


# ---------------------------------------------------------------- the real export


def test_the_generated_file_has_the_real_exports_traps(rows: list[dict[str, str]]) -> None:
    data = export_bytes(rows)
    assert data.startswith(b"\xef\xbb\xbf")
    assert all(row["資料集識別碼"].isdigit() for row in rows)
    assert any("\n" in row["資料集描述"] for row in rows)
    assert any(";" in row["備註"] for row in rows)
    assert any(row["資料量"].count(";") >= 2 for row in rows)
    assert any("，" in row["資料集描述"] for row in rows)


def test_every_row_of_a_real_export_is_imported_keyed_by_its_portal_number(
    tree: Tree, cast: Cast, rows: list[dict[str, str]], agencies: list[Organisation]
) -> None:
    report = import_catalogue(export_bytes(rows), ministry=tree.ministry, by=cast.centre)
    assert (len(report.added), len(report.changed), report.unchanged) == (ROWS, 0, 0)
    listing = CatalogueListing.objects.select_related("dataset").get(portal_number="10001")
    dataset = listing.dataset
    assert dataset.status == Status.PUBLISHED
    assert dataset.organisation.name == rows[0]["提供機關"]
    assert dataset.identifier.startswith(dataset.organisation.agency_code + "-")
    assert dataset.categoryCode == "I00" or dataset.categoryCode  # by name → code
    assert listing.quality_mark == rows[0]["品質檢測"]
    assert listing.listed_at == rows[0]["上架日期"]
    assert listing.amounts == rows[0]["資料量"]
    assert dataset.resources.count() == rows[0]["檔案格式"].count(";") + 1


def test_all_22_columns_come_back_unchanged_on_export(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    import_catalogue(export_bytes(rows), ministry=tree.ministry, by=cast.centre)
    back = read_cells(exported(tree, cast))
    assert set(back) == {row["資料集識別碼"] for row in rows}
    for row in rows:
        assert back[row["資料集識別碼"]] == row, row["資料集識別碼"]


def test_the_four_columns_that_used_to_change_are_kept_as_written(
    tree: Tree, cast: Cast, agencies: list[Organisation]
) -> None:
    row = {
        **next(portal_rows(1)),
        "品質檢測": "金標章",
        "資資料集上架方式": "批次上架",
        "上架日期": "2025-06-01",
        "檔案格式": "CSV;JSON",
        "資料下載網址": "https://a.example.gov.tw/1.csv;https://a.example.gov.tw/1.json",
        "編碼格式": "UTF-8;UTF-8",
        "資料量": "48762;23744",
    }
    import_catalogue(export_bytes([row]), ministry=tree.ministry, by=cast.centre)
    [back] = read_cells(exported(tree, cast)).values()
    assert (back["品質檢測"], back["資資料集上架方式"], back["上架日期"], back["資料量"]) == (
        "金標章",
        "批次上架",
        "2025-06-01",
        "48762;23744",
    )
    assert Dataset.objects.get().numberOfData == 48762 + 23744


def test_an_export_byte_for_byte_when_rows_come_in_identifier_order(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    import_catalogue(export_bytes(rows), ministry=tree.ministry, by=cast.centre)
    first = exported(tree, cast)
    Dataset.objects.all().delete()
    import_catalogue(first, ministry=tree.ministry, by=cast.centre)
    assert exported(tree, cast) == first


def test_a_changed_header_order_is_read_by_name(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    """Decision: columns are matched by header name, so a reordered file imports the same."""
    shuffled = list(reversed(CATALOGUE_COLUMNS))
    report = import_catalogue(
        export_bytes(rows, columns=shuffled), ministry=tree.ministry, by=cast.centre
    )
    assert len(report.added) == ROWS
    back = read_cells(exported(tree, cast))
    assert all(back[row["資料集識別碼"]] == row for row in rows)
    again = import_catalogue(export_bytes(rows), ministry=tree.ministry, by=cast.centre)
    assert again.unchanged == ROWS  # the same cells in another order are the same rows


def test_a_gzip_file_is_accepted(tree: Tree, cast: Cast, rows: list[dict[str, str]]) -> None:
    report = import_catalogue(
        gzip.compress(export_bytes(rows)), ministry=tree.ministry, by=cast.centre, file="e.csv.gz"
    )
    assert report.compressed and len(report.added) == ROWS


def test_a_gzip_file_expanding_past_the_limit_is_refused(
    tree: Tree, cast: Cast, rows: list[dict[str, str]], settings: Any
) -> None:
    data = export_bytes(rows)
    packed = gzip.compress(data + b"\r\n" * 200_000)
    settings.STEWARD_MAX_CATALOGUE_BYTES = len(data) + 1000
    assert len(packed) < settings.STEWARD_MAX_CATALOGUE_BYTES
    problems = refused(packed, tree, cast)
    assert "Decompressed" in problems[0]


def test_a_person_who_may_not_publish_is_refused_before_anything_is_read(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    before = state()
    with pytest.raises(PermissionDenied):
        import_catalogue(export_bytes(rows), ministry=tree.ministry, by=cast.liaison)
    assert state() == before


# ---------------------------------------------------------------- re-import


def test_importing_the_same_file_twice_changes_nothing_and_says_so(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    data = export_bytes(rows)
    import_catalogue(data, ministry=tree.ministry, by=cast.centre)
    before = state()
    stamps = list(Dataset.objects.order_by("pk").values_list("updated_at", flat=True))
    second = import_catalogue(data, ministry=tree.ministry, by=cast.centre)
    assert (second.added, second.changed, second.unchanged, second.gone) == ([], [], ROWS, [])
    assert second.summary().startswith("Nothing changed")
    assert state() == before
    assert list(Dataset.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps


def test_a_newer_export_updates_in_place_and_lists_what_is_gone(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    import_catalogue(export_bytes(rows), ministry=tree.ministry, by=cast.centre)
    retitled = Dataset.objects.get(catalogue_listing__portal_number="10002")
    newer = [dict(row) for row in rows]
    newer[1]["資料集名稱"] = "新名稱：就業服務統計"
    newer[2]["品質檢測"] = "銀標章" if newer[2]["品質檢測"] != "銀標章" else "金標章"
    newer[3]["檔案格式"] += ";PDF"
    newer[3]["資料下載網址"] += ";https://x.example.gov.tw/more.pdf"
    newer[3]["編碼格式"] += ";UTF-8"
    newer[3]["資料量"] = ";".join(["1"] * (newer[3]["檔案格式"].count(";") + 1))
    removed = newer.pop(0)
    newer.append(next(portal_rows(1, first=20001)))
    events = AuditEvent.objects.count()

    report = import_catalogue(export_bytes(newer), ministry=tree.ministry, by=cast.centre)

    assert report.added and len(report.added) == 1
    assert sorted(report.changed) == ["10002", "10003", "10004"]
    assert report.unchanged == ROWS - 4
    assert [gone.portal_number for gone in report.gone] == [removed["資料集識別碼"]]
    assert Dataset.objects.filter(catalogue_listing__portal_number="10001").exists()  # kept
    retitled_after = Dataset.objects.get(pk=retitled.pk)
    assert retitled_after.title == "新名稱：就業服務統計"
    assert retitled_after.identifier == retitled.identifier
    assert retitled_after.versions.count() == 2
    assert AuditEvent.objects.count() == events + 1  # one event for the whole import
    event = AuditEvent.objects.latest("pk")
    assert event.changes["counts"] == {
        "rows": ROWS,
        "added": 1,
        "changed": 3,
        "unchanged": ROWS - 4,
        "gone": 1,
    }
    back = read_cells(exported(tree, cast))
    assert all(back[row["資料集識別碼"]] == row for row in newer)


def test_a_dataset_published_here_is_matched_by_agency_title_and_download_urls(
    tree: Tree, cast: Cast, agencies: list[Organisation]
) -> None:
    row = next(portal_rows(1))
    agency = next(a for a in agencies if a.name == row["提供機關"])
    owner = Organisation.objects.create(
        key="gen-unit", name="某組", kind=OrganisationKind.UNIT, parent=agency
    )
    ours = make_dataset(owner, serial=7, status=Status.PUBLISHED, title=row["資料集名稱"])
    urls = row["資料下載網址"].split(";")
    ours.resources.all().delete()
    for position, url in enumerate(urls, start=1):
        Resource.objects.create(
            dataset=ours, resourceID=f"{ours.identifier}-{position:03d}", downloadURL=url,
            position=position,
        )  # fmt: skip
    report = import_catalogue(export_bytes([row]), ministry=tree.ministry, by=cast.centre)
    assert report.added == [] and report.changed == [row["資料集識別碼"]]
    assert Dataset.objects.count() == 1
    ours.refresh_from_db()
    assert ours.catalogue_listing.portal_number == row["資料集識別碼"]  # type: ignore[attr-defined]
    assert ours.organisation == owner


# ---------------------------------------------------------------- bad input


def test_a_portal_number_held_by_another_agencys_dataset_is_refused(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    import_catalogue(export_bytes(rows), ministry=tree.ministry, by=cast.centre)
    moved = [dict(row) for row in rows]
    other = next(name for name, _ in AGENCIES if name != moved[4]["提供機關"])
    moved[4]["提供機關"] = other
    problems = refused(export_bytes(moved), tree, cast)
    assert problems == [
        f"export.csv · row 6 · 「資料集識別碼」: Portal number 10005 is already dataset "
        f"{Dataset.objects.get(catalogue_listing__portal_number='10005').identifier} of "
        f"{rows[4]['提供機關']}; this row gives it to {other}."
    ]


def test_an_export_of_another_ministry_is_refused_row_by_row(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    foreign = [{**row, "提供機關": "經濟部水利署"} for row in rows[:3]]
    problems = refused(export_bytes(foreign), tree, cast)
    assert len(problems) == 3
    assert problems[0].startswith("export.csv · row 2 · 「提供機關」: “經濟部水利署” is not")
    assert "another ministry's export" in problems[0]


def test_a_file_cut_inside_a_quoted_cell_is_refused(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    data = export_bytes(rows[:5])
    cut = data[: data.rindex("本資料集".encode()) + 12]  # inside the last row's description
    problems = refused(cut, tree, cast)
    assert problems == [
        "export.csv · row 6: 第 6 列在引號中途就到了檔案結尾，檔案可能在下載或複製時被截斷；"
        "請重新下載完整的匯出檔。"
    ]


def test_a_file_cut_between_cells_is_refused(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    data = export_bytes(rows[:5])
    cut = data[: data.rindex(b",https://")]  # the last row stops before 相關網址
    problems = refused(cut, tree, cast)
    assert len(problems) == 1
    assert problems[0].startswith("export.csv · row 6: 第 6 列有")


def test_duplicate_portal_numbers_in_one_file_are_refused(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    twice = [*rows[:3], {**rows[5], "資料集識別碼": rows[1]["資料集識別碼"]}]
    problems = refused(export_bytes(twice), tree, cast)
    assert problems == [
        "export.csv · row 5 · 「資料集識別碼」: 10002 appears again; it is already on row 3."
    ]


def test_a_missing_column_is_refused_by_name(tree: Tree, cast: Cast) -> None:
    columns = [c for c in CATALOGUE_COLUMNS if c != "品質檢測"]
    problems = refused(export_bytes([], columns=columns), tree, cast)
    assert "「品質檢測」" in problems[0] and "row 1" in problems[0]


# ---------------------------------------------------------------- export streams


def test_ndjson_export_has_the_same_cells(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    import json

    import_catalogue(export_bytes(rows), ministry=tree.ministry, by=cast.centre)
    lines = b"".join(stream_ndjson(tree.ministry, by=cast.centre)).decode().splitlines()
    records = {record["資料集識別碼"]: record for record in map(json.loads, lines)}
    assert records == {
        row["資料集識別碼"]: row for row in export_rows(tree.ministry, by=cast.centre)
    }
    assert len(records) == ROWS


def test_an_older_file_with_service_categories_by_code_is_read_and_given_back(
    tree: Tree, cast: Cast, rows: list[dict[str, str]]
) -> None:
    older = [{**row, "服務分類": "I00"} for row in rows[:3]]
    import_catalogue(export_bytes(older), ministry=tree.ministry, by=cast.centre)
    assert set(Dataset.objects.values_list("categoryCode", flat=True)) == {"I00"}
    back = read_cells(exported(tree, cast))
    assert {cells["服務分類"] for cells in back.values()} == {"I00"}
