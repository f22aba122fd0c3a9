"""Publishing throughput: catalogue CSV check/import/export, and outbox drain to the stand-in.

    uv run python bench/publishing.py [--rows 2000] [--entries 300]

Uses a throw-away SQLite database in a temporary directory (migrated here), a ministry with
one agency, generated catalogue rows (3 resources each, newlines in descriptions), and the
stand-in portal on 127.0.0.1. Prints seconds and rates; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=300)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="steward-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from steward.datasets.models import Dataset
    from steward.datasets.standard import CATALOGUE_COLUMNS
    from steward.datasets.workflow import Status
    from steward.organisations.models import Organisation, OrganisationKind
    from steward.publishing import services
    from steward.publishing.catalogue import check_catalogue, export_catalogue, import_catalogue
    from steward.publishing.portal import PortalClient
    from steward.publishing.standin import StandInPortal

    ministry = Organisation.objects.create(
        key="bench", name="測試部", kind=OrganisationKind.MINISTRY, agency_code="A17000000J"
    )
    Organisation.objects.create(
        key="bench-a",
        name="甲署",
        kind=OrganisationKind.AGENCY,
        parent=ministry,
        agency_code="A17010000J",
    )
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CATALOGUE_COLUMNS)
    for n in range(1, args.rows + 1):
        values = {
            "資料集識別碼": f"A17010000J-{n:06d}",
            "資料集名稱": f"統計資料第{n}號",
            "資料提供屬性": "原始資料",
            "服務分類": "公共資訊",
            "品質檢測": "銀標章",
            "檔案格式": "CSV;JSON;XML",
            "資料下載網址": ";".join(
                f"https://a.example.gov.tw/{n}.{x}" for x in ("csv", "json", "xml")
            ),
            "編碼格式": "UTF-8",
            "資料集描述": f"第{n}號資料集。\n第二行說明。",
            "主要欄位說明": "year(年度)、count(件數)",
            "提供機關": "甲署",
            "更新頻率": "每1年",
            "授權方式": "政府資料開放授權條款-第1版",
            "相關網址": "https://a.example.gov.tw/",
            "計費方式": "免費",
            "提供機關聯絡人姓名": "李小華",
            "提供機關聯絡人電話": "02-8765-4321",
            "上架日期": "2019-05-01",
            "詮釋資料更新時間": "2025-12-31 17:30:00",
            "資料量": "1;2;3",
        }
        writer.writerow([values.get(column, "") for column in CATALOGUE_COLUMNS])
    data = text.getvalue().encode("utf-8-sig")
    print(f"catalogue: {args.rows} rows, {len(data) / 1e6:.2f} MB")

    started = time.perf_counter()
    report = check_catalogue(data, ministry=ministry, file="bench.csv")
    took = time.perf_counter() - started
    print(f"  check   {took:6.2f} s  {args.rows / took:8.0f} rows/s  ok={report.ok}")
    started = time.perf_counter()
    import_catalogue(data, ministry=ministry, by=None, file="bench.csv")
    took = time.perf_counter() - started
    print(f"  import  {took:6.2f} s  {args.rows / took:8.0f} rows/s")
    started = time.perf_counter()
    out = io.BytesIO()
    export_catalogue(ministry, out, by=None)
    took = time.perf_counter() - started
    print(
        f"  export  {took:6.2f} s  {args.rows / took:8.0f} rows/s  {len(out.getvalue()) / 1e6:.2f} MB"
    )

    ids = list(Dataset.objects.order_by("pk").values_list("pk", flat=True)[: args.entries])
    Dataset.objects.filter(pk__in=ids).update(
        status=Status.SCHEDULED,
        organizationContactName="王小明",
        organizationContactPhone="02-1234-5678",
        organizationContactEmail="w@example.gov.tw",
        publisherContactEmail="l@example.gov.tw",
    )
    with StandInPortal(api_key="k") as portal:
        client = PortalClient(portal.url, "k", timeout=5)
        started = time.perf_counter()
        queued = services.enqueue_scheduled()
        took = time.perf_counter() - started
        print(f"outbox: {len(queued)} queued in {took:.2f} s")
        started = time.perf_counter()
        sent = 0
        while True:
            result = services.deliver_due(limit=50, client=client, sweep_scheduled=False)
            if not result.attempted:
                break
            sent += len(result.succeeded)
        took = time.perf_counter() - started
        print(
            f"  drain   {took:6.2f} s  {sent / took:8.1f} entries/s  ({len(portal.datasets())} on the stand-in)"
        )


if __name__ == "__main__":
    main()
