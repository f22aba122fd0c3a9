"""Inventory at national size: list pages and API, queries per page, and spreadsheet round trips.

    uv run python bench/inventory.py [--agencies 10] [--items 50000] [--repeat 20]

Uses a throw-away SQLite database in a temporary directory (migrated here), or the database
`DATABASE_URL` names when `--keep-database-url` is given (e.g. a PostgreSQL database made for
the purpose). Loads a ministry with `--agencies` agencies sharing `--items` items, then:
the list page, the returns page and the API lists as the information centre sees them
(queries and p50/p95 ms over `--repeat` requests), and an XLSX export of every item
re-imported as it is (preview, then the import that finds nothing to change) and with 1 %
of the names edited. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ministry_with_agencies, start_django, timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=10)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--keep-database-url", action="store_true")
    args = parser.parse_args()
    start_django(use_database_url=args.keep_database_url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from openpyxl import load_workbook

    from steward.inventory.exporting import export_items
    from steward.inventory.imports import check_file, import_items
    from steward.inventory.models import InventoryItem
    from steward.organisations.models import (
        Organisation,
        OrganisationKind,
    )

    _ministry, agencies, officer = ministry_with_agencies(args.agencies)
    units = [
        Organisation.objects.create(
            key=f"bench-{n}-u", name=f"第{n}署資料組", kind=OrganisationKind.UNIT, parent=agency
        )
        for n, agency in enumerate(agencies)
    ]
    started = time.perf_counter()
    per_agency = args.items // args.agencies
    for agency, unit in zip(agencies, units, strict=True):
        InventoryItem.objects.bulk_create(
            [
                InventoryItem(
                    agency=agency,
                    organisation=unit,
                    identifier=f"{n:05d}",
                    name=f"統計資料第{n}號",
                    description="年度統計，含逗號, 與換行\n第二行",
                    classification="open",
                    planned_year=2026 + n % 3,
                    planned_half="H1" if n % 2 else "H2",
                    status="planned",
                    gender_statistics=n % 7 == 0,
                )
                for n in range(1, per_agency + 1)
            ],
            batch_size=2000,
        )
    total = InventoryItem.objects.count()
    print(
        f"{connection.vendor}: {total:,} items in {args.agencies} agencies"
        f" loaded in {time.perf_counter() - started:.1f} s"
    )

    client = Client()
    client.force_login(officer)
    for url in [
        "/inventory/?year=2026",
        "/inventory/?year=2026&classification=open&status=planned&page=50",
        "/inventory/returns/?year=2026",
        "/api/inventory/items",
        "/api/inventory/items?year=2027&page=10",
        "/api/inventory/targets?year=2026",
    ]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        count = len(queries)  # before the next request resets Django's query log
        median, high, _answer = timed(lambda url=url: client.get(url), args.repeat)
        print(f"{url:70s} {count:3d} queries  p50 {median:6.1f} ms  p95 {high:6.1f} ms")

    items = InventoryItem.objects.select_related("agency", "organisation").order_by(
        "agency__path", "identifier"
    )
    began = time.perf_counter()
    content, _type, _ext = export_items(items, "xlsx")
    print(f"export xlsx {total:,} rows: {time.perf_counter() - began:.1f} s")
    officer.is_superuser = True
    officer.save()
    began = time.perf_counter()
    preview = check_file("bench.xlsx", content, by=officer)
    print(
        f"preview of the unchanged export: {time.perf_counter() - began:.1f} s"
        f" ({preview.unchanged_count:,} unchanged, {len(preview.problems)} problems)"
    )
    began = time.perf_counter()
    result = import_items("bench.xlsx", content, by=officer)
    print(f"re-import, nothing to change: {time.perf_counter() - began:.1f} s ({result.summary()})")
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook.active
    assert sheet is not None
    for row in range(2, sheet.max_row + 1, 100):
        sheet.cell(row, 4).value = f"{sheet.cell(row, 4).value}（修正）"
    buffer = io.BytesIO()
    workbook.save(buffer)
    began = time.perf_counter()
    result = import_items("bench-edited.xlsx", buffer.getvalue(), by=officer)
    print(f"re-import, 1 % edited: {time.perf_counter() - began:.1f} s ({result.summary()})")


if __name__ == "__main__":
    main()
