"""Catalogue export: parse and metadata-score a 50,000-row synthetic export (target < 60 s).

    uv run --group bench python bench/catalogue_scoring.py [--rows 50000]

Writes bench/data/catalogue.csv in the portal's format (UTF-8 with BOM, 22 columns, the 9th with
its real typo, descriptions with newlines, several resources per row joined with ";") with a
known share of problems, then times: the bare csv module reading it (a floor, for context),
read_catalogue (rows and resources), and score_catalogue (everything the catalogue score does).
No timing is asserted anywhere: this prints figures.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from govdata import AGENCIES, ITEMS  # noqa: E402

from steward.datasets.standard import (  # noqa: E402
    CatalogueResource,
    CatalogueRow,
    read_catalogue,
    write_catalogue,
)
from steward.quality.checks.catalogue_file import score_catalogue  # noqa: E402

DATA = ROOT / "data"
FREQUENCIES = ["每日", "每月", "每1月", "每季", "每半年", "每年", "每1年", "不定期", "不定期更新", "即時", "每10分鐘", "每周"]  # fmt: skip
BAD_FREQUENCIES = ["偶爾", "視需要", "每年兩次"]
FORMATS = ["CSV", "JSON", "XML", "ODS", "XLSX", "PDF", "ZIP", "KML"]


def synthetic_rows(n: int, seed: int = 5) -> list[CatalogueRow]:
    rng = random.Random(seed)
    result = []
    for index in range(n):
        agency = f"A{rng.randint(10000000, 99999999)}J"
        resources = [
            CatalogueResource(
                fmt,
                f"https://data.example.gov.tw/{index}/{k}.{fmt.lower()}",
                rng.choice(["UTF-8", "UTF-8", "BIG5"]),
                str(rng.randint(1, 100000)),
            )
            for k, fmt in enumerate(rng.sample(FORMATS, rng.randint(1, 3)))
        ]
        if index % 97 == 0:
            resources[0] = CatalogueResource("EXCEL", resources[0].download_url, "Unicode", "1")
        identifier = f"{agency}-{index:06d}" if index % 2 else str(6000 + index)
        if index % 113 == 0:
            identifier = f"bad-{index}"
        result.append(
            CatalogueRow(
                identifier=identifier,
                title=f"{rng.choice(AGENCIES)}{rng.choice(ITEMS)}統計",
                provider_type="原始資料",
                category="公共資訊",
                quality_mark=rng.choice(["金標章", "銀標章", "銅標章", "無標章"]),
                listing_method="",
                description=f"本資料集提供{rng.choice(ITEMS)}相關統計。\n資料來源為各機關填報。",
                field_description="year(年度)、agency(機關)、amount(金額)",
                publisher=rng.choice(AGENCIES),
                update_frequency=rng.choice(BAD_FREQUENCIES)
                if index % 89 == 0
                else rng.choice(FREQUENCIES),
                licence="政府資料開放授權條款-第1版",
                landing_page="" if index % 7 == 0 else "https://www.example.gov.tw",
                cost="免費",
                contact_name="王小明",
                contact_phone="02-23456789",
                listed_at="2020-01-01 09:00:00",
                metadata_modified_at="2026-11-01 09:00:00",
                notes="",
                resources=resources,
            )
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / "catalogue.csv"
    started = time.perf_counter()
    with path.open("wb") as stream:
        write_catalogue(synthetic_rows(args.rows), stream)
    print(
        f"wrote {path.name}: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - started:.1f} s"
    )

    timings = []
    started = time.perf_counter()
    with path.open(encoding="utf-8-sig", newline="") as stream:
        n = sum(1 for _ in csv.reader(stream)) - 1
    timings.append(("csv module only (floor)", n, time.perf_counter() - started))

    started = time.perf_counter()
    with path.open("rb") as stream:
        resources = 0
        n = 0
        for row in read_catalogue(stream):
            n += 1
            resources += len(row.resources)
    timings.append(("read_catalogue", n, time.perf_counter() - started))

    started = time.perf_counter()
    report = score_catalogue(path)
    timings.append(("score_catalogue", report.rows, time.perf_counter() - started))

    print()
    print(f"{'step':<26} {'rows':>8} {'seconds':>8} {'rows/s':>10}")
    for label, rows, seconds in timings:
        print(f"{label:<26} {rows:>8,} {seconds:>8.2f} {rows / seconds:>10,.0f}")
    print()
    print(f"target: score_catalogue on {args.rows:,} rows < 60 s → {timings[-1][2]:.2f} s")
    print(
        f"found: completeness {report.completeness:.1%}, identifiers {dict(report.identifiers)}, "
        f"unparsed frequencies {report.frequencies['unparsed']}, unknown formats "
        f"{sum(report.unknown_formats.values())}, not sane rows {report.not_sane}"
    )
    expected_bad_ids = len(range(0, args.rows, 113))
    print(
        f"expected: invalid identifiers {expected_bad_ids}, unparsed frequencies {len(range(0, args.rows, 89))}, unknown formats {len(range(0, args.rows, 97))}"
    )


if __name__ == "__main__":
    main()
