"""Scoring a national-portal catalogue export, streamed from a real UTF-8-with-BOM file."""

from __future__ import annotations

from pathlib import Path

from steward.datasets.standard import (
    CATALOGUE_COLUMNS,
    CatalogueResource,
    CatalogueRow,
    write_catalogue,
)
from steward.quality.checks.catalogue_file import RowScore, score_catalogue


def a_row(**values: object) -> CatalogueRow:
    row = CatalogueRow(
        identifier="A17010000J-000001",
        title="預算執行",
        provider_type="原始資料",
        category="公共資訊",
        quality_mark="金標章",
        description="說明\n第二行",
        field_description="year(年度)、amount(金額)",
        publisher="主計總處",
        update_frequency="每月",
        licence="政府資料開放授權條款-第1版",
        landing_page="https://example.gov.tw",
        cost="免費",
        contact_name="王小明",
        contact_phone="02-1234",
        listed_at="2020-01-01 00:00:00",
        metadata_modified_at="2026-11-01 00:00:00",
        resources=[
            CatalogueResource("CSV", "https://example.gov.tw/a.csv", "UTF-8", "10"),
            CatalogueResource("JSON", "https://example.gov.tw/a.json", "UTF-8", "10"),
        ],
    )
    for key, value in values.items():
        setattr(row, key, value)
    return row


def export(tmp_path: Path, rows: list[CatalogueRow]) -> Path:
    path = tmp_path / "export.csv"
    with path.open("wb") as stream:
        write_catalogue(rows, stream)
    return path


def test_a_clean_export_scores_full_marks(tmp_path: Path) -> None:
    report = score_catalogue(export(tmp_path, [a_row(), a_row(identifier="6564")]))
    assert report.readable and report.rows == 2 and report.resources == 4
    assert report.completeness == 1.0 and report.complete_rows == 2
    assert report.identifiers == {"standard": 1, "portal": 1}
    assert report.not_sane == 0
    assert report.formats == {"CSV": 2, "JSON": 2}
    assert report.marks == {"金標章": 2}


def test_problems_are_counted_with_their_rows(tmp_path: Path) -> None:
    rows = [
        a_row(),
        a_row(identifier="A17010000J-000001"),  # duplicate
        a_row(identifier="bad id", update_frequency="偶爾", title=""),
        a_row(
            identifier="A17010000J-000004",
            resources=[CatalogueResource("EXCEL", "https://x", "Unicode", "1")],
        ),
    ]
    seen: list[RowScore] = []
    report = score_catalogue(export(tmp_path, rows), on_row=seen.append)
    assert report.duplicate_identifiers == 1
    assert report.identifiers["invalid"] == 1
    assert report.unparsed_frequencies == {"偶爾": 1}
    assert report.unknown_formats == {"EXCEL": 1} and report.unknown_encodings == {"Unicode": 1}
    assert report.missing_fields == {"資料集名稱": 1}
    assert report.not_sane_rows == [4, 5]  # the header is row 1
    assert [s.row for s in seen] == [2, 3, 4, 5]
    assert seen[2].completeness < 1
    codes = {f.code for f in report.findings}
    assert {"invalid_identifier", "duplicate_identifier", "unparsed_frequency"} <= codes
    assert report.by_publisher["主計總處"].rows == 4


def test_an_export_with_a_wrong_header_is_unreadable_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    wrong = ["識別碼" if c == "資料集識別碼" else c for c in CATALOGUE_COLUMNS]
    path.write_text(",".join(wrong) + "\n", encoding="utf-8-sig")
    report = score_catalogue(path)
    assert not report.readable
    assert "第 1 列" in report.findings[0].message
    assert "資料集識別碼" in report.findings[0].message


def test_an_export_with_its_columns_reordered_is_read_by_header_name(tmp_path: Path) -> None:
    path = tmp_path / "reordered.csv"
    path.write_text(",".join(reversed(CATALOGUE_COLUMNS)) + "\n", encoding="utf-8-sig")
    assert score_catalogue(path).readable
