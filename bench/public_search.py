"""Public catalogue search over 50,000 published datasets, on SQLite or PostgreSQL: the search
itself (in memory against the SQL way before it and the old substring scan, in the same run)
and p50/p95 of the pages, each against its target (search 50 ms, pages 100 ms).

    uv run python bench/public_search.py [--entries 50000] [--requests 200]
        [--database-url postgres://steward@127.0.0.1:54329/steward_bench]

The data is generated straight into the tables with `bulk_create` (Dataset, DatasetVersion,
CatalogueEntry), not through the publishing services, which would take far longer for 50,000
datasets; the entries are built by the same `search_text` rule the services use. SQLite runs
in a throw-away file; a PostgreSQL database given by URL is migrated and emptied first. Each
request goes through Django's test client (the whole view, template and middleware, no
network). The search itself (`catalogue.search`: total, first 20 by relevance and the seven
facets of the search page) is timed three ways per query in the same run: counted and ranked
in memory (`catalogue/snapshot.py`, now), by SQL (one GROUP BY per facet over the
materialised matches and ORDER BY score: before the snapshot), and as the old substring scan
(every term a LIKE over `search_text`, what `find` did before the index). It prints the load
average first and, beside wall time, this process's CPU time, which on SQLite (in-process)
is the search's own work whatever else the machine is doing; on PostgreSQL the server's CPU
is not in it. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import start_django

SUBJECTS = ["勞工保險", "投保薪資", "職業災害", "就業服務", "最低工資", "外籍勞工", "職業訓練",
            "勞資爭議", "工會", "退休金", "育嬰留職", "工時", "職場安全", "失業給付", "技能檢定"]  # fmt: skip
KINDS = ["統計", "分級表", "名冊", "調查", "概況", "月報", "年報", "清冊", "申請案件", "補助"]
PLACES = ["臺北市", "新北市", "桃園市", "臺中市", "臺南市", "高雄市", "基隆市", "新竹縣", "全國"]
FORMATS = ["CSV", "JSON", "XML", "PDF", "ODS", "XLSX"]
FREQUENCIES = ["每1年", "每月", "每季", "每日", "不定期"]
QUERIES = ["投保薪資", "職業災害 統計", "臺中市", "最低工資 OR 退休金", "name", "職業訓練 年報",
           "不存在的字", "xlsx", "勞", "勞保", "工會 amount", "外籍勞工名冊"]  # fmt: skip
MARKS = ["gold", "silver", "bronze", "none", ""]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    start_django(use_database_url=bool(args.database_url))
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from steward.catalogue.models import CatalogueEntry, SearchRow
    from steward.catalogue.services import _formats, _tags, search_row
    from steward.datasets.models import Dataset, DatasetVersion
    from steward.organisations.models import Organisation, OrganisationKind

    CatalogueEntry.objects.all().delete()
    DatasetVersion.objects.all().delete()
    Dataset.objects.all().delete()
    Organisation.objects.filter(key__startswith="bench-").delete()  # agencies, then the ministry
    Organisation.objects.filter(key="bench").delete()
    ministry = Organisation.objects.create(
        key="bench", name="測試部", kind=OrganisationKind.MINISTRY, agency_code="A17000000J"
    )
    agencies = [
        Organisation.objects.create(
            key=f"bench-{n}", name=f"測試第{n}署", kind=OrganisationKind.AGENCY, parent=ministry,
            agency_code=f"A17{n:02d}0000J",
        )
        for n in range(1, 21)
    ]  # fmt: skip
    rng = random.Random(1)
    now = timezone.now()
    started = time.perf_counter()
    batch = 2000
    for start in range(0, args.entries, batch):
        datasets, versions, entries = [], [], []
        for n in range(start, min(start + batch, args.entries)):
            agency = agencies[n % len(agencies)]
            identifier = f"{agency.agency_code}-{n:06d}"
            title = f"{rng.choice(PLACES)}{rng.choice(SUBJECTS)}{rng.choice(KINDS)}"
            formats = rng.sample(FORMATS, rng.randint(1, 3))
            record = {
                "identifier": identifier, "title": title, "categoryCode": "E00",
                "description": f"{title}，{rng.choice(SUBJECTS)}相關資料，按{rng.choice(PLACES)}分列。",
                "fieldDescription": "year(年度)、name(名稱)、amount(金額)、count(件數)",
                "keyword": rng.sample(SUBJECTS, 2), "license": "政府資料開放授權條款-第1版",
                "accrualPeriodicity": rng.choice(FREQUENCIES), "publisher": agency.name,
                "distribution": [
                    {"resourceID": f"{identifier}-{i + 1:03d}", "format": f,
                     "resourceDescription": f"{title} {f}",
                     "downloadURL": f"https://data.example.gov.tw/{identifier}-{i + 1}.{f.lower()}"}
                    for i, f in enumerate(formats)
                ],
            }  # fmt: skip
            published = now - timezone.timedelta(minutes=n)
            datasets.append(
                Dataset(organisation=agency, status="published", identifier=identifier, title=title)
            )
            versions.append((identifier, record, published))
        made = {d.identifier: d for d in Dataset.objects.bulk_create(datasets)}
        if not all(d.pk for d in made.values()):
            made = dict(
                Dataset.objects.filter(identifier__in=list(made)).values_list("identifier", "pk")
            )  # type: ignore[arg-type]
        rows = []
        for identifier, record, published in versions:
            pk = made[identifier] if isinstance(made[identifier], int) else made[identifier].pk
            rows.append(
                DatasetVersion(dataset_id=pk, number=1, metadata=record, published_at=published)
            )
            agency = agencies[int(identifier[-6:]) % len(agencies)]
            entries.append(
                CatalogueEntry(
                    dataset_id=pk, ministry=ministry, agency=agency, version=1,
                    identifier=identifier, name=identifier.lower(), title=record["title"],
                    category_code="E00", licence=record["license"],
                    update_frequency=record["accrualPeriodicity"], formats=_formats(record),
                    tags=_tags(record), first_published_at=published, published_at=published,
                    record=record,
                )
            )  # fmt: skip
        DatasetVersion.objects.bulk_create(rows)
        CatalogueEntry.objects.bulk_create(entries)
        rows = [search_row(entry) for entry in entries]
        for row in rows:
            row.quality_mark = rng.choice(MARKS)
            row.stars = rng.choice([None, 1, 2, 3, 3, 4, 5])
        SearchRow.objects.bulk_create(rows)
    print(
        f"{connection.vendor}: {args.entries} entries generated in {time.perf_counter() - started:.1f} s"
    )

    from steward.lib.bulk import analyze

    analyze(CatalogueEntry, SearchRow, rows=args.entries)  # the planner's statistics
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # the visibility map, as autovacuum would set it
            cursor.execute("VACUUM catalogue_catalogueentry")
            cursor.execute("VACUUM catalogue_searchrow")
    print(f"load average {' / '.join(f'{n:.1f}' for n in os.getloadavg())} (1 / 5 / 15 min)")
    compare_search(args.requests, rng)
    client = Client()
    names = list(CatalogueEntry.objects.values_list("name", flat=True)[:5000])
    for label, urls in (
        ("search page (q, facets, count, page 1)",
         [f"/dataset/?q={rng.choice(QUERIES)}" for _ in range(args.requests)]),
        ("search page, a facet chosen",
         [f"/dataset/?q={rng.choice(QUERIES)}&res_format=CSV" for _ in range(args.requests // 2)]),
        ("search page, no q", ["/dataset/"] * (args.requests // 4)),
        ("dataset page", [f"/dataset/{rng.choice(names)}" for _ in range(args.requests)]),
        ("CKAN package_search", [f"/api/3/action/package_search?q={rng.choice(QUERIES)}"
                                 for _ in range(args.requests // 2)]),
    ):  # fmt: skip
        client.get(urls[0])  # warm
        times = []
        for url in urls:
            began = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        target = 50 if label.startswith("CKAN") else 100
        print(
            f"{label:44} n={len(times):4}  p50 {statistics.median(times):7.1f} ms  "
            f"p95 {percentile(times, 0.95):7.1f} ms  max {max(times):7.1f} ms  "
            f"target p95 < {target} ms: {'met' if percentile(times, 0.95) < target else 'NOT met'}"
        )


def compare_search(requests: int, rng: random.Random) -> None:
    """The search of the search page (total, the seven facets, first 20 by relevance): in
    memory (`catalogue/snapshot.py`), the SQL way before it, and the old substring scan."""
    from django.db.models import Q

    from steward.catalogue import search, snapshot
    from steward.catalogue.models import SearchRow
    from steward.catalogue.pages import FACETS

    fields = [name for name, _heading in FACETS]

    def in_memory(q: str) -> int:
        found, terms = search.find(SearchRow.objects.all(), q, [])
        matches = search.matches_of(found)
        total, _facets = search.count_and_facets(matches, fields, 20)
        search.ranked_entries(matches, terms, 0, 20)
        return total

    def by_sql(q: str) -> int:
        found, terms = search.find(SearchRow.objects.all(), q, [])
        total = sql_count_and_facets(found, fields)
        order = ["-score"] if terms else []
        search.entries_of(found.order_by(*order, "-published_at", "identifier")[:20])
        return total

    def by_scan(q: str) -> int:
        groups = search.parse_query(q)
        combined = Q()
        for group in groups:
            all_terms = Q()
            for term in group:
                all_terms &= Q(search_text__contains=term)
            combined |= all_terms
        rows = SearchRow.objects.filter(combined) if groups else SearchRow.objects.all()
        found = rows.annotate(score=search.score(search.ranking_terms(groups)))
        total = sql_count_and_facets(found, fields)
        search.entries_of(found.order_by("-score", "-published_at", "identifier")[:20])
        return total

    began = time.perf_counter()
    snapshot.current(SearchRow.objects.db, rebuild=True)
    print(f"snapshot built (the first search after any write) in "
          f"{(time.perf_counter() - began) * 1000:.0f} ms")  # fmt: skip
    queries = [rng.choice(QUERIES) for _ in range(requests)]
    for label, finder, share in (
        ("search in memory (now)", in_memory, 1),
        ("search by SQL count, facets, order (before)", by_sql, 2),
        ("old substring scan", by_scan, 4),
    ):
        times: list[float] = []
        cpu: list[float] = []
        per_query: dict[str, tuple[int, list[float], list[float]]] = {}
        for q in queries[: requests // share]:
            began, began_cpu = time.perf_counter(), time.process_time()
            total = finder(q)
            times.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
            per_query.setdefault(q, (total, [], []))[1].append(times[-1])
            per_query[q][2].append(cpu[-1])
        print(
            f"{label:44} n={len(times):4}  p50 {statistics.median(times):7.1f} ms  "
            f"p95 {percentile(times, 0.95):7.1f} ms  max {max(times):7.1f} ms  "
            f"(this process's CPU: p50 {statistics.median(cpu):6.1f}, "
            f"p95 {percentile(cpu, 0.95):6.1f} ms)"
            + (f"  target p95 < 50 ms: {'met' if percentile(times, 0.95) < 50 else 'NOT met'}"
               if finder is in_memory else "")
        )  # fmt: skip
        for q, (total, each, each_cpu) in sorted(per_query.items(), key=lambda item: item[1][0]):
            print(
                f"    {q:20} {total:6} found  median {statistics.median(each):7.1f} ms"
                f"  (CPU {statistics.median(each_cpu):6.1f} ms)"
            )


def sql_count_and_facets(rows: Any, fields: list[str]) -> int:
    """The count and facets as `search.count_and_facets` did them before the snapshot: the
    matches materialised once, one GROUP BY per facet column (multi-valued ones split after)."""
    from django.db import connections

    from steward.catalogue.search import _FACET_COLUMNS

    columns = list(dict.fromkeys(_FACET_COLUMNS[field] for field in fields))
    inner, params = rows.order_by().values_list("pk", *columns).query.sql_with_params()
    parts = ["SELECT '', NULL, COUNT(*) FROM m"] + [
        f"SELECT '{column}', CAST({column} AS TEXT), COUNT(*) FROM m GROUP BY {column}"
        for column in columns
    ]
    with connections[rows.db].cursor() as cursor:
        cursor.execute(f"WITH m AS MATERIALIZED ({inner}) " + " UNION ALL ".join(parts), params)
        counted = cursor.fetchall()
    return int(next(n for column, _value, n in counted if column == ""))


if __name__ == "__main__":
    main()
