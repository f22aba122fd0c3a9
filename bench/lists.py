"""Lists at national size: p95 of every list page and API list, one user, Django's test Client.

    uv run python bench/lists.py [--datasets 50000] [--requests 20]
    DATABASE_URL=postgres://steward@127.0.0.1:54329/steward_lists_bench uv run python bench/lists.py

Without DATABASE_URL a throw-away SQLite file in a temporary directory is used; with it, the
named (empty, throw-away) PostgreSQL database is migrated and filled. The data is written with
`bulk_create`, not through the services or importers (fast to build; the lists only read it):
a ministry, 30 agencies, `--datasets` datasets with 3 resources each, a publishing outbox entry
for one dataset in five (half refused, half waiting), two check runs per agency and 50,000
results in the newest one. The user is a ministry-wide information-centre officer.

Baseline, in the same run: the dataset list page's query (COUNT + ORDER BY updated_at, 50
rows) with the new indexes dropped, and the unpaginated `/api/datasets/` (every row in scope
serialised with the same schema, as before pagination). Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ministry_with_agencies, start_django, timed

AGENCIES = 30
RESULTS = 50_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument(
        "--only", default="", help="measure only the requests whose URL contains this text"
    )
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of each measured request"
    )
    args = parser.parse_args()
    start_django(use_database_url="DATABASE_URL" in os.environ)
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from steward.datasets.api import DatasetOut
    from steward.datasets.models import Dataset, Resource
    from steward.datasets.workflow import Status
    from steward.organisations.scope import Action, scope_q
    from steward.publishing.models import Operation, OutboxStatus, PublishingOutboxEntry
    from steward.quality.models import (
        CheckEntry,
        CheckKind,
        CheckResult,
        CheckRun,
        CheckState,
        RunStatus,
    )

    vendor = connection.vendor

    def server_cpu() -> float:
        """CPU seconds so far of the PostgreSQL process serving this connection (else 0):
        with this process's, a figure a machine shared with others hardly moves."""
        if vendor != "postgresql":
            return 0.0
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    built = time.perf_counter()
    _ministry, agencies, person = ministry_with_agencies(AGENCIES)
    statuses = list(Status.values)
    batch = 5000
    for start in range(0, args.datasets, batch):
        rows = Dataset.objects.bulk_create(
            Dataset(
                organisation=agencies[n % AGENCIES],
                identifier=f"A17{n % AGENCIES + 1:03d}000J-{n + 1:06d}",
                title=f"測試資料集 {n}",
                status=statuses[n % len(statuses)],
            )
            for n in range(start, min(start + batch, args.datasets))
        )
        Resource.objects.bulk_create(
            Resource(
                dataset=dataset,
                resourceID=f"{dataset.identifier}-{r:03d}",
                format="CSV",
                downloadURL=f"https://files.example.org/{dataset.identifier}/{r}.csv",
            )
            for dataset in rows
            for r in range(1, 4)
        )
        now = timezone.now()
        PublishingOutboxEntry.objects.bulk_create(
            PublishingOutboxEntry(
                dataset=dataset,
                operation=Operation.CREATE,
                payload={},
                payload_sha256="0" * 64,
                idempotency_key=dataset.identifier,
                status=OutboxStatus.FAILED if n % 10 else OutboxStatus.PENDING,
                next_attempt_at=now,
                last_error="HTTP 500",
            )
            for n, dataset in enumerate(rows)
            if n % 5 == 0
        )
    runs = [
        CheckRun.objects.create(
            kind=CheckKind.SELF_CHECK,
            organisation=agency,
            source=f"datasets:{agency.key}",
            status=RunStatus.DONE,
            finished_at=timezone.now(),
        )
        for _ in range(2)
        for agency in agencies
    ]
    newest = runs[-1]
    checked_at = timezone.now()
    for start in range(0, RESULTS, batch):
        made = CheckResult.objects.bulk_create(
            CheckResult(
                run=newest,
                organisation=newest.organisation,
                key=f"key-{n:06d}",
                url=f"https://files.example.org/{n}.csv",
                state=CheckState.BROKEN if n % 7 == 0 else CheckState.OK,
                reason="not_found" if n % 7 == 0 else "ok",
                checked_at=checked_at,
            )
            for n in range(start, start + batch)
        )
        # A run's results are its entries (one per resource checked, pointing at a verdict).
        CheckEntry.objects.bulk_create(
            CheckEntry(run=newest, result=result, checked_at=checked_at) for result in made
        )
    if vendor == "postgresql":
        # what autovacuum does within a minute of a bulk load: statistics, and the visibility
        # map that lets an index-only scan skip the table (measured before it, a deep page of
        # /api/datasets/ read 50,000 rows from the table)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    built = time.perf_counter() - built
    print(
        f"{vendor}: {Dataset.objects.count():,} datasets, {Resource.objects.count():,} resources, "
        f"{PublishingOutboxEntry.objects.count():,} outbox entries, {RESULTS:,} results; "
        f"built with bulk_create in {built:.0f} s"
    )

    first_dataset = Dataset.objects.order_by("pk").values_list("pk", flat=True).first()
    client = Client()
    client.force_login(person)
    agency = agencies[3]
    urls = [
        "/api/organisations/me",  # the floor: the cheapest signed-in request, same load
        "/datasets/",
        "/datasets/?status=draft",
        f"/datasets/?agency={agency.pk}",
        "/datasets/?page=500",
        "/quality/",
        f"/quality/runs/{newest.pk}/",
        f"/quality/runs/{newest.pk}/?state=broken",
        "/publishing/",
        "/datasets/queue/",
        "/datasets/queue/?page=20",
        "/organisations/",
        "/api/datasets/",
        "/api/datasets/?status=draft&page=2",
        "/api/datasets/?page=100&page_size=500",
        "/api/quality/runs",
        f"/api/quality/runs/{newest.pk}/results",
        f"/api/quality/runs/{newest.pk}/results?state=broken&page=20",
        "/api/publishing/outbox",
        "/api/publishing/outbox?status=failed&page=50",
        "/api/organisations/",
        f"/api/datasets/{first_dataset}/history",
    ]
    urls = [url for url in urls if args.only in url]
    rows_out = []
    for url in urls:
        if args.profile:
            import cProfile
            import pstats

            client.get(url)
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(5):
                client.get(url)
            profile.disable()
            print(f"\n{url}, 5 requests:")
            pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        own, database = time.process_time(), server_cpu()
        median, high, answer = timed(lambda url=url: client.get(url), args.requests)
        calls = args.requests + 1  # (with the warm-up)
        own = (time.process_time() - own) * 1000 / calls
        database = (server_cpu() - database) * 1000 / calls
        assert answer.status_code == 200, (url, answer.status_code)  # type: ignore[attr-defined]
        rows_out.append((url, median, high, len(answer.content), own, database))  # type: ignore[attr-defined]

    print(
        f"\n{vendor}, {args.requests} requests each after one warm-up, one user; load average "
        f"{os.getloadavg()[0]:.1f}; CPU: ms per request of this process and of its database "
        "server process (PostgreSQL), the steadier figure on a shared machine\n"
    )
    print("| request | median ms | p95 ms (target < 100) | CPU ms | database CPU ms | bytes |")
    print("|---|---:|---:|---:|---:|---:|")
    for url, median, high, size, own, database in rows_out:
        print(f"| `{url}` | {median:.1f} | {high:.1f} | {own:.1f} | {database:.1f} | {size:,} |")
    if args.only:  # a few requests asked for: no baselines
        return

    # Baselines in the same run.
    visible = Dataset.objects.filter(scope_q(person, Action.VIEW))

    def list_page_query() -> object:
        ordered = visible.select_related("organisation").order_by("-updated_at", "-id")
        return ordered.count(), list(ordered[:50])

    def unpaginated_api() -> object:
        rows = visible.order_by("identifier")
        return json.dumps([DatasetOut.from_orm(d).dict() for d in rows], default=str)

    with_index = timed(list_page_query, args.requests)
    from django.db import models as m

    index_names = ["dataset_updated_idx", "dataset_status_updated_idx", "dataset_org_updated_idx"]
    dropped = [i for i in Dataset._meta.indexes if i.name in index_names]
    with connection.schema_editor() as editor:
        for index in dropped:
            editor.remove_index(Dataset, index)
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE datasets_dataset")
    without_index = timed(list_page_query, args.requests)
    with connection.schema_editor() as editor:
        for index in dropped:
            editor.add_index(Dataset, index)
    assert isinstance(dropped[0], m.Index)
    start = time.perf_counter()
    body = unpaginated_api()
    whole = (time.perf_counter() - start) * 1000

    print("\nBaselines (same run):\n")
    print("| what | median ms | p95 ms | bytes |")
    print("|---|---:|---:|---:|")
    print(
        f"| dataset list query (count + 50 by updated_at), with the indexes "
        f"| {with_index[0]:.1f} | {with_index[1]:.1f} | |"
    )
    print(
        f"| the same query, indexes dropped (before) "
        f"| {without_index[0]:.1f} | {without_index[1]:.1f} | |"
    )
    print(
        f"| unpaginated /api/datasets/ body, every row (before; one run) | {whole:.0f} | | "
        f"{len(body):,} |"
    )  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
