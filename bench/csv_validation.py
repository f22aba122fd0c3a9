"""CSV validation throughput and error counts: steward's validate_table vs frictionless.

    uv run --group bench python bench/csv_validation.py [--rows 1000000] [--slice 100000] [--full]

Generates (into bench/data/, reused when present) a government-style CSV of ``--rows`` rows and
10 columns, and a copy with injected errors every 100th data row, cycling through four kinds that
both tools count the same way:
- a row with a cell missing (the last, optional text column)  → frictionless ``missing-cell``
- a row with one extra cell                                     → frictionless ``extra-cell``
- a blank cell in a required column (機關名稱)                  → frictionless ``constraint-error``
- a non-integer in an integer column (金額 = "abc")             → frictionless ``type-error``
Ragged rows carry valid values in every present cell so no tool counts them twice.

Both tools validate the first ``--slice`` rows of the error file (identical error counts are
checked there) and the whole file (``--no-full`` skips frictionless on the whole file, for slow
machines; its time is then extrapolated from the slice and the report says so).
No timing is asserted anywhere: this prints figures.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))

from govdata import HEADER, rows  # noqa: E402

from steward.quality.checks.encoding import Encoding  # noqa: E402
from steward.quality.checks.sniff import FileFormat  # noqa: E402
from steward.quality.checks.tables import ColumnType, TableReport, validate_table  # noqa: E402

DATA = ROOT / "data"
REQUIRED = ["機關名稱"]
TYPES = {"年度": ColumnType.INTEGER, "金額": ColumnType.INTEGER, "件數": ColumnType.INTEGER}
ERROR_EVERY = 100
KINDS = ("missing_cell", "extra_cell", "blank_required", "type_error")


def generate(path: Path, n_rows: int, *, inject: bool) -> Counter[str]:
    """Write the file (streaming) and return how many errors of each kind were injected."""
    injected: Counter[str] = Counter()
    kinds = itertools.cycle(KINDS)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream, lineterminator="\r\n")
        writer.writerow(HEADER)
        for index, row in enumerate(itertools.islice(rows(seed=42), n_rows), start=1):
            if inject and index % ERROR_EVERY == 0:
                kind = next(kinds)
                injected[kind] += 1
                if kind == "missing_cell":
                    row = row[:-1]
                elif kind == "extra_cell":
                    row = [*row, "多出來的一格"]
                elif kind == "blank_required":
                    row[1] = ""
                else:
                    row[6] = "abc"
            writer.writerow(row)
    return injected


def slice_file(source: Path, target: Path, n_rows: int) -> None:
    with source.open("rb") as src, target.open("wb") as dst:
        for line in itertools.islice(src, n_rows + 1):
            dst.write(line)


def steward(path: Path) -> tuple[float, TableReport]:
    started = time.perf_counter()
    report = validate_table(
        path,
        format=FileFormat.CSV,
        encoding=Encoding.UTF8,
        required_columns=REQUIRED,
        column_types=TYPES,
    )
    return time.perf_counter() - started, report


def steward_counts(report: TableReport) -> Counter[str]:
    # ragged rows are split by direction from the row numbers' cells count in the report's
    # first rows; in total they equal missing + extra, which is what is compared
    return Counter(
        {
            "ragged_rows": report.ragged.count,
            "blank_required": sum(i.count for i in report.blank_cells.values()),
            "type_error": sum(i.count for i in report.type_errors.values()),
        }
    )


def frictionless_run(path: Path) -> tuple[float, Counter[str], int]:
    from frictionless import Dialect, Resource, Schema

    fields = []
    for name in HEADER:
        field: dict[str, object] = {"name": name, "type": "string"}
        if name in TYPES:
            field["type"] = "integer"
        if name in REQUIRED:
            field["constraints"] = {"required": True}
        fields.append(field)
    schema = Schema.from_descriptor({"fields": fields})
    started = time.perf_counter()
    # frictionless refuses absolute paths as unsafe: give it a base path and a file name
    resource = Resource(
        path=path.name,
        basepath=str(path.parent),
        schema=schema,
        encoding="utf-8",
        format="csv",
        dialect=Dialect(),
    )
    report = resource.validate(limit_errors=10_000_000)
    seconds = time.perf_counter() - started
    counts: Counter[str] = Counter()
    ragged_rows: set[int] = set()
    for task in report.tasks:
        for error in task.errors:
            code = error.type
            if code in ("missing-cell", "extra-cell"):
                ragged_rows.add(error.row_number)  # type: ignore[attr-defined]
            elif code == "constraint-error":
                counts["blank_required"] += 1
            elif code == "type-error":
                counts["type_error"] += 1
            else:
                counts[f"other:{code}"] += 1
    counts["ragged_rows"] = len(ragged_rows)
    rows_read = report.tasks[0].stats.get("rows", 0) if report.tasks else 0
    return seconds, counts, rows_read or 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--slice", type=int, default=100_000)
    parser.add_argument(
        "--no-full", dest="full", action="store_false", help="frictionless on the slice only"
    )
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    valid = DATA / f"valid_{args.rows}.csv"
    broken = DATA / f"errors_{args.rows}.csv"
    part = DATA / f"errors_{args.rows}_first_{args.slice}.csv"
    started = time.perf_counter()
    if not valid.exists():
        generate(valid, args.rows, inject=False)
    injected = generate(broken, args.rows, inject=True)
    slice_file(broken, part, args.slice)
    print(f"generated in {time.perf_counter() - started:.1f} s: {valid.name} "
          f"{valid.stat().st_size / 1e6:.0f} MB, {broken.name} {broken.stat().st_size / 1e6:.0f} MB")  # fmt: skip
    expected = Counter(
        {
            "ragged_rows": injected["missing_cell"] + injected["extra_cell"],
            "blank_required": injected["blank_required"],
            "type_error": injected["type_error"],
        }
    )
    in_slice = Counter(KINDS[i % len(KINDS)] for i in range(args.slice // ERROR_EVERY))
    slice_expected = Counter(
        {
            "ragged_rows": in_slice["missing_cell"] + in_slice["extra_cell"],
            "blank_required": in_slice["blank_required"],
            "type_error": in_slice["type_error"],
        }
    )

    steward(part)  # warm-up: pyarrow's thread pool and allocator, untimed
    results = []
    for label, path, n in (
        ("valid, all rows", valid, args.rows),
        ("errors, all rows", broken, args.rows),
        ("errors, slice", part, args.slice),
    ):
        seconds, report = steward(path)
        results.append((label, n, seconds, report))

    fr_seconds, fr_counts, fr_rows = frictionless_run(part)
    fr_full: tuple[float, Counter[str], int] | None = None
    if args.full:
        fr_full = frictionless_run(broken)

    size = broken.stat().st_size
    print()
    print(
        f"{'run':<34} {'rows':>9} {'seconds':>9} {'rows/s':>11} {'MB/s':>7}  errors (ragged, blank, type)"
    )
    for label, n, seconds, report in results:
        counts = steward_counts(report)
        mb = (
            (valid if label.startswith("valid") else broken if "all" in label else part)
            .stat()
            .st_size
        )
        print(
            f"{'steward ' + label:<34} {n:>9} {seconds:>9.2f} {n / seconds:>11,.0f} "
            f"{mb / 1e6 / seconds:>7.1f}  {counts['ragged_rows']}, {counts['blank_required']}, {counts['type_error']}"
        )
    print(
        f"{'frictionless errors, slice':<34} {args.slice:>9} {fr_seconds:>9.2f} "
        f"{args.slice / fr_seconds:>11,.0f} {part.stat().st_size / 1e6 / fr_seconds:>7.1f}  "
        f"{fr_counts['ragged_rows']}, {fr_counts['blank_required']}, {fr_counts['type_error']}"
    )
    if fr_full is not None:
        seconds, counts, _ = fr_full
        print(
            f"{'frictionless errors, all rows':<34} {args.rows:>9} {seconds:>9.2f} "
            f"{args.rows / seconds:>11,.0f} {size / 1e6 / seconds:>7.1f}  "
            f"{counts['ragged_rows']}, {counts['blank_required']}, {counts['type_error']}"
        )
    print()
    slice_counts = steward_counts(results[2][3])
    full_counts = steward_counts(results[1][3])
    others = {k: v for k, v in fr_counts.items() if k.startswith("other:")}
    print(f"injected in the slice: {dict(slice_expected)}; frictionless rows read: {fr_rows}")
    print(f"slice counts identical (steward == frictionless == injected): "
          f"{all(slice_counts[k] == fr_counts[k] == slice_expected[k] for k in expected)}"
          + (f"; frictionless also reported {others}" if others else ""))  # fmt: skip
    print(
        f"all-rows counts equal the injected ones: {all(full_counts[k] == expected[k] for k in expected)}"
    )
    fr_rate = args.slice / fr_seconds
    ours_rate = args.rows / results[1][2]
    print(
        f"throughput ratio (steward on {args.rows:,} rows vs frictionless on {args.slice:,}): "
        f"{ours_rate / fr_rate:.0f}×; extrapolated frictionless time for all rows: "
        f"{args.rows / fr_rate:.0f} s vs steward {results[1][2]:.1f} s"
    )
    print(f"same-slice ratio: {(args.slice / results[2][2]) / fr_rate:.0f}×")
    if fr_full is not None:
        print(
            f"whole-file ratio (both on {args.rows:,} rows, measured): "
            f"{fr_full[0] / results[1][2]:.0f}× ({fr_full[0]:.1f} s vs {results[1][2]:.2f} s)"
        )
    if os.environ.get("KEEP_BENCH_DATA") != "1":
        part.unlink()


if __name__ == "__main__":
    main()
