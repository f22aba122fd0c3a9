"""National catalogue import and export: rows/s on SQLite and PostgreSQL, peak RSS of the export.

    uv run python bench/catalogue_import.py [--rows 53000] [--baseline-rows 2000]
        [--databases sqlite,postgres] [--postgres postgres://steward@127.0.0.1:54329/postgres]

For each database, in a child process with a fresh database (a temporary SQLite file, or a
PostgreSQL database `steward_bench_catalogue` created and dropped here), it generates an
export shaped like the portal's (`steward/publishing/tests/portal_export.py`: UTF-8 with BOM,
portal numbers, quoted newlines, `;` in 備註, 1–4 resources per row) and times:

- the baseline: the importer before the national-size work (`steward/publishing/catalogue.py`
  at `BASELINE_COMMIT`, loaded from git), on `--baseline-rows` rows with standard identifiers
  (it refuses portal numbers), and the current importer on the same rows;
- the current importer on the whole national export (target: ≥ 1,000 rows/s, < 60 s);
- importing the same file again (nothing changes);
- the export of all rows, streamed (CSV), in a fresh process: peak RSS (`ru_maxrss`), beside
  the old export (everything held in memory) in another fresh process (target < 150 MB).

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_NAME = "steward_bench_catalogue"


# main just before the new importer was merged (cb9340f): the single-module importer that
# refused portal numbers and held the export in memory.
BASELINE_COMMIT = "cb9340f^1"


def _old_module_path() -> Path:
    """The importer before the national-size work, from git (`BASELINE_COMMIT`)."""
    base = BASELINE_COMMIT
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{base}:steward/publishing/catalogue.py"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    path = Path(tempfile.gettempdir()) / "steward_old_catalogue.py"
    path.write_text(source, encoding="utf-8")
    return path


def _load_old() -> Any:
    spec = importlib.util.spec_from_file_location("steward_old_catalogue", _old_module_path())
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _setup(database_url: str, migrate: bool) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def _rss_mb() -> float:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss, not kept across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_export(database_url: str, implementation: str) -> dict[str, Any]:
    """Export the whole catalogue to /dev/null in this (fresh) process; peak RSS."""
    _setup(database_url, migrate=False)
    from steward.organisations.models import Organisation

    ministry = Organisation.objects.get(key="bench")
    before = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    with open(os.devnull, "wb") as sink:
        if implementation == "new":
            from steward.publishing.catalogue import export_catalogue

            rows = export_catalogue(ministry, sink, by=None)
        else:
            import io

            old = _load_old()
            buffer = io.BytesIO()  # as the old page did: the whole file in memory
            rows = old.export_catalogue(ministry, buffer, by=None)
            sink.write(buffer.getvalue())
    return {
        "rows": rows,
        "seconds": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu,
        "rss_before_mb": before,
        "rss_peak_mb": _rss_mb(),
    }


def _standard_identifiers(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    from steward.publishing.tests.portal_export import AGENCIES

    codes = dict(AGENCIES)
    return [
        {**row, "資料集識別碼": f"{codes[row['提供機關']]}-{index:06d}"}
        for index, row in enumerate(rows, start=1)
    ]


def _clear() -> None:
    from steward.audit.models import AuditEvent
    from steward.datasets.models import Dataset

    Dataset.objects.all().delete()
    AuditEvent.objects.all().delete()


def child_run(database_url: str, rows: int, baseline_rows: int) -> dict[str, Any]:
    _setup(database_url, migrate=True)
    from django.db import connection

    from steward.organisations.models import Organisation, OrganisationKind
    from steward.publishing.catalogue import import_catalogue
    from steward.publishing.tests.portal_export import export_bytes, make_agencies, portal_rows

    ministry = Organisation.objects.create(
        key="bench", name="勞動部", kind=OrganisationKind.MINISTRY, agency_code="A17000000J"
    )
    make_agencies(ministry)
    result: dict[str, Any] = {"vendor": connection.vendor}

    generated = list(portal_rows(rows))
    data = export_bytes(generated)
    result["file_mb"] = len(data) / 1e6
    result["gzip_mb"] = len(gzip.compress(data, compresslevel=6)) / 1e6

    # baseline: the old importer and the new one on the same small file (standard identifiers)
    small = export_bytes(_standard_identifiers(generated[:baseline_rows]))
    old = _load_old()
    started, cpu = time.perf_counter(), time.process_time()
    old.import_catalogue(small, ministry=ministry, by=None, file="baseline.csv")
    result["old_small_s"] = time.perf_counter() - started
    result["old_small_cpu_s"] = time.process_time() - cpu
    _clear()
    started, cpu = time.perf_counter(), time.process_time()
    import_catalogue(small, ministry=ministry, by=None, file="baseline.csv")
    result["new_small_s"] = time.perf_counter() - started
    result["new_small_cpu_s"] = time.process_time() - cpu
    _clear()

    started, cpu = time.perf_counter(), time.process_time()
    report = import_catalogue(data, ministry=ministry, by=None, file="national.csv")
    result["import_s"] = time.perf_counter() - started
    result["import_cpu_s"] = time.process_time() - cpu
    result["added"] = len(report.added)
    started, cpu = time.perf_counter(), time.process_time()
    again = import_catalogue(data, ministry=ministry, by=None, file="national.csv")
    result["reimport_s"] = time.perf_counter() - started
    result["reimport_cpu_s"] = time.process_time() - cpu
    result["reimport_unchanged"] = again.unchanged
    result["import_rss_mb"] = _rss_mb()
    connection.close()
    for implementation in ("new", "old"):
        out = subprocess.run(
            [sys.executable, __file__, "--child-export", implementation, "--url", database_url],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        result[f"export_{implementation}"] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _database_urls(which: list[str], postgres: str) -> dict[str, str]:
    urls = {}
    if "sqlite" in which:
        folder = tempfile.mkdtemp(prefix="steward-bench-")
        urls["SQLite"] = f"sqlite:///{folder}/bench.sqlite3"
    if "postgres" in which:
        import psycopg

        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")
            conn.execute(f"CREATE DATABASE {PG_NAME}")
        urls["PostgreSQL"] = postgres.rsplit("/", 1)[0] + f"/{PG_NAME}"
    return urls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=53_000)
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres", default="postgres://steward@127.0.0.1:54329/postgres")
    parser.add_argument("--child-run", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child-export", default="", help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_export:
        print(json.dumps(child_export(args.url, args.child_export)))
        return
    if args.child_run:
        print(json.dumps(child_run(args.url, args.rows, args.baseline_rows)))
        return

    urls = _database_urls(args.databases.split(","), args.postgres)
    for name, url in urls.items():
        out = subprocess.run(
            [sys.executable, __file__, "--child-run", "--url", url, "--rows", str(args.rows),
             "--baseline-rows", str(args.baseline_rows)],
            capture_output=True, text=True,
        )  # fmt: skip
        if out.returncode:
            print(out.stderr[-3000:], file=sys.stderr)
            raise SystemExit(f"{name}: the benchmark failed")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        n, b = args.rows, args.baseline_rows
        new, old = r["export_new"], r["export_old"]
        print(f"\n== {name} ({n:,} rows, {r['file_mb']:.1f} MB; gzip {r['gzip_mb']:.1f} MB)")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(
            f"baseline, {b:,} rows: old importer {r['old_small_s']:.1f} s wall, "
            f"{r['old_small_cpu_s']:.1f} s CPU ({b / r['old_small_s']:,.0f} rows/s wall, "
            f"{b / r['old_small_cpu_s']:,.0f} per CPU second); new {r['new_small_s']:.1f} s, "
            f"{r['new_small_cpu_s']:.1f} s CPU ({b / r['new_small_s']:,.0f} rows/s wall, "
            f"{b / r['new_small_cpu_s']:,.0f} per CPU second)"
        )
        print(
            f"national import: {r['import_s']:.1f} s wall ({n / r['import_s']:,.0f} rows/s), "
            f"{r['import_cpu_s']:.1f} s CPU in this process ({n / r['import_cpu_s']:,.0f} rows "
            f"per CPU second), {r['added']:,} added; peak RSS {r['import_rss_mb']:.0f} MB"
        )
        print(
            f"same file again: {r['reimport_s']:.1f} s wall, {r['reimport_cpu_s']:.1f} s CPU "
            f"({n / r['reimport_s']:,.0f} rows/s wall), {r['reimport_unchanged']:,} unchanged"
        )
        print(
            f"export (CSV, streamed): {new['seconds']:.1f} s wall, {new['cpu_s']:.1f} s CPU, "
            f"peak RSS {new['rss_peak_mb']:.0f} MB (after start-up {new['rss_before_mb']:.0f} MB); "
            f"old export (in memory): {old['seconds']:.1f} s, {old['cpu_s']:.1f} s CPU, "
            f"peak RSS {old['rss_peak_mb']:.0f} MB"
        )
    if "PostgreSQL" in urls:
        import psycopg

        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_NAME}")


if __name__ == "__main__":
    main()
