"""The annual evaluation report of a ministry with 7 agencies and 3,000 datasets, in all four
formats (issue 15: under 20 s in all).

    uv run python bench/report_annual.py [--datasets 3000] [--agencies 7]
    DATABASE_URL=postgres://steward@127.0.0.1:54329/steward_report_bench uv run python bench/report_annual.py

Without DATABASE_URL a throw-away SQLite file is used; with it, the named (empty, throw-away)
PostgreSQL database is migrated and filled. The ministry comes from `common.py`; its plan (one
version, four yearly KPIs with targets per agency: new datasets, three-star ratio, accuracy
rate, replies on time) is installed through the plan service. The data is written with
`bulk_create` (fast to build; the report only reads it): the datasets, published in the year,
one resource each, and one self-check run per agency with a verdict per resource (one in
seven broken, stars 1–5). The year is then evaluated through `run_evaluation`, as the
information centre would, before the clock starts.

Timed: for each format, `reports.services.produce("evaluation", ministry, "2026", fmt)` —
building the document from the run and rendering it (charts by vl-convert; PDF by LibreOffice
headless from the ODT) — and the total against the 20 s target. Prints the load average.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ministry_with_agencies, start_django

TARGET_SECONDS = 20.0
YEAR = 2026


def plan_text(agencies: list[str]) -> str:
    organisations = "".join(
        f'\n[[organisations]]\nkey = "{key}"\nname = "測試機關{n}"\nkind = "agency"\n'
        f'parent = "bench"\nagency_code = "A17{n + 1:03d}000J"\n'
        for n, key in enumerate(agencies)
    )
    targets = ", ".join(f"{key} = {{value}}" for key in agencies)
    kpis = [
        ("growth", "新增開放資料集數", "datasets_new", "count", 300),
        ("stars", "三星等級資料比率", "three_star_ratio", "percent", 60),
        ("accuracy", "資料正確率", "accuracy_rate", "percent", 90),
        ("replies", "6 日內回復外部意見比率", "feedback_on_time_ratio", "percent", 95),
    ]
    kpi_text = "".join(
        f'\n[[versions.kpis]]\ncode = "{code}"\nname = "{name}"\nmeasure = "{measure}"\n'
        f'unit = "{unit}"\nweight = 1\nevaluation_period = "yearly"\n'
        f"targets = {{ {targets.format(value=value)} }}\n"
        for code, name, measure, unit, value in kpis
    )
    return f"""format_version = 1
[plan]
key = "bench-plan"
name = "測試部資料開放行動方案"
ministry = "bench"

[[organisations]]
key = "bench"
name = "測試部"
kind = "ministry"
agency_code = "A17000000J"
{organisations}
[[versions]]
label = "115年版"
adopted_on = {YEAR}-01-01

[versions.rules.evaluation]
cadence = "yearly"
award_top_n = 3
improvement_report_below_target = true
{kpi_text}"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", type=int, default=3000)
    parser.add_argument("--agencies", type=int, default=7)
    args = parser.parse_args()
    start_django(use_database_url="DATABASE_URL" in os.environ)
    from django.db import connection
    from django.utils import timezone

    from steward.datasets.models import Dataset, Resource
    from steward.evaluation.runs import run_evaluation
    from steward.plans.models import Plan
    from steward.plans.services import install_plan_text
    from steward.quality.measures.periods import Period
    from steward.quality.models import (
        CheckEntry,
        CheckKind,
        CheckResult,
        CheckRun,
        CheckState,
        RunStatus,
    )
    from steward.reports import services

    built = time.perf_counter()
    ministry, agencies, _officer = ministry_with_agencies(args.agencies)
    install_plan_text(plan_text([a.key for a in agencies]), name="bench-plan.toml")
    plan = Plan.objects.get(key="bench-plan")
    zone = timezone.get_current_timezone()
    issued = [
        datetime.datetime(YEAR, 1 + n % 11, 1 + n % 27, 10, tzinfo=zone)
        for n in range(args.datasets)
    ]
    datasets = Dataset.objects.bulk_create(
        Dataset(
            organisation=agencies[n % args.agencies],
            identifier=f"A17{n % args.agencies + 1:03d}000J-{n + 1:06d}",
            title=f"測試資料集 {n}",
            status="published",
            issued=issued[n],
        )
        for n in range(args.datasets)
    )
    Resource.objects.bulk_create(
        Resource(
            dataset=dataset,
            resourceID=f"{dataset.identifier}-001",
            format="CSV",
            downloadURL=f"https://files.example.org/{dataset.identifier}.csv",
        )
        for dataset in datasets
    )
    checked_at = datetime.datetime(YEAR, 11, 20, 10, tzinfo=zone)
    for number, agency in enumerate(agencies):
        run = CheckRun.objects.create(
            kind=CheckKind.SELF_CHECK,
            organisation=agency,
            source=f"datasets:{agency.key}",
            status=RunStatus.DONE,
            finished_at=checked_at,
        )
        CheckRun.objects.filter(pk=run.pk).update(started_at=checked_at)
        mine = [d for n, d in enumerate(datasets) if n % args.agencies == number]
        made = CheckResult.objects.bulk_create(
            CheckResult(
                run=run,
                organisation=agency,
                key=f"{d.identifier}-001",
                url=f"https://files.example.org/{d.identifier}.csv",
                dataset_identifier=d.identifier,
                title=d.title,
                state=CheckState.BROKEN if n % 7 == 0 else CheckState.OK,
                reason="not_found" if n % 7 == 0 else "ok",
                mark=("gold", "silver", "bronze", "none")[n % 4],
                stars=1 + n % 5,
                timely=n % 11 != 0,
                checked_at=checked_at,
            )
            for n, d in enumerate(mine)
        )
        CheckEntry.objects.bulk_create(
            CheckEntry(run=run, result=result, checked_at=checked_at) for result in made
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    evaluated = time.perf_counter()
    run = run_evaluation(plan, Period(YEAR), by=None)
    evaluated = time.perf_counter() - evaluated
    built = time.perf_counter() - built
    print(
        f"{connection.vendor}: {args.agencies} agencies, {Dataset.objects.count():,} datasets, "
        f"{CheckResult.objects.count():,} verdicts, {run.results.count()} KPI figures; "
        f"data built in {built:.1f} s (of which the evaluation run {evaluated:.1f} s)"
    )
    # Warm what a running server has warm (altair's import, vl-convert's engine), apart.
    warm = time.perf_counter()
    services.produce("evaluation", ministry, str(YEAR), "xlsx", by=None)
    print(
        f"first build in this process (imports, chart engine): {time.perf_counter() - warm:.1f} s"
    )
    total = 0.0
    for fmt in ("odt", "ods", "xlsx", "pdf"):
        started = time.perf_counter()
        produced = services.produce("evaluation", ministry, str(YEAR), fmt, by=None)
        seconds = time.perf_counter() - started
        total += seconds
        rendered = produced.rendered
        said = f"  problems: {'; '.join(rendered.problems)}" if rendered.problems else ""
        print(
            f"{fmt:5} {seconds:6.2f} s  {len(rendered.content) / 1024:8.1f} KiB  "
            f"{rendered.filename}{said}"
        )
    ranking = produced.document.tables()[0]
    print("ranking:", "; ".join(f"{row[0]} {row[1]} {row[2]}" for row in ranking.rows))
    verdict = "under" if total < TARGET_SECONDS else "OVER"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"total {total:.2f} s, {verdict} the {TARGET_SECONDS:.0f} s target; load average {load}")
    # Not a target: the quarterly progress report of the same ministry (every source queried).
    started = time.perf_counter()
    services.produce("quarterly_progress", ministry, f"{YEAR}Q4", "odt", by=None)
    print(f"also: quarterly progress report {YEAR}Q4 as ODT {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
