"""Peak memory validating a 2 GB CSV: steward's validate_table must stay under 300 MB RSS.

    uv run --group bench python bench/csv_memory.py [--gb 2] [--keep]

Writes bench/data/big.csv by streaming (a pool of generated government-style rows written over and
over, with a ragged row and a blank required cell now and then), validates it in a child process
that reports its own peak RSS through resource.getrusage, and deletes the file afterwards.
The child first reports its peak RSS after the imports alone, so the check's own share shows.
No timing or memory is asserted anywhere: this prints figures.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from govdata import HEADER, rows  # noqa: E402

DATA = ROOT / "data"

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from steward.quality.checks.encoding import Encoding
from steward.quality.checks.sniff import FileFormat
from steward.quality.checks.tables import ColumnType, validate_table
baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
report = validate_table(
    {path!r},
    format=FileFormat.CSV,
    encoding=Encoding.UTF8,
    required_columns={{"機關名稱"}},
    column_types={{"年度": ColumnType.INTEGER, "金額": ColumnType.INTEGER}},
    threads={threads!r},
)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{
    "baseline_kb": baseline, "peak_kb": peak, "seconds": seconds, "rows": report.rows,
    "ragged": report.ragged.count, "blank": report.blank_cells["機關名稱"].count,
    "engine": report.engine,
}}))
"""


def generate(path: Path, target_bytes: int) -> tuple[int, int, int]:
    """Stream rows until the file reaches ``target_bytes``; returns rows, ragged, blanks."""
    pool = io.StringIO()
    writer = csv.writer(pool, lineterminator="\r\n")
    writer.writerows(itertools.islice(rows(seed=3), 20_000))
    block = pool.getvalue().encode()
    bad_ragged = "2025,法務部,臺北市\r\n".encode()
    bad_blank = "2025,,臺北市,中正區,地址,項目,100,1,2025-01-01,\r\n".encode()
    written = n_rows = ragged = blanks = 0
    with path.open("wb") as stream:
        header = (",".join(HEADER) + "\r\n").encode()
        stream.write(header)
        written += len(header)
        while written < target_bytes:
            stream.write(block)
            stream.write(bad_ragged)
            stream.write(bad_blank)
            written += len(block) + len(bad_ragged) + len(bad_blank)
            n_rows += 20_002
            ragged += 1
            blanks += 1
    return n_rows, ragged, blanks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=2.0)
    parser.add_argument("--keep", action="store_true", help="keep bench/data/big.csv")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / "big.csv"
    started = time.perf_counter()
    n_rows, ragged, blanks = generate(path, int(args.gb * 1024**3))
    size = path.stat().st_size
    print(
        f"wrote {path.name}: {size / 1024**3:.2f} GiB, {n_rows:,} rows in {time.perf_counter() - started:.0f} s"
    )
    try:
        print()
        print(
            f"{'engine':<22} {'rows':>12} {'seconds':>8} {'MB/s':>7} {'imports RSS':>12} {'peak RSS':>9}  ragged/blank found (expected {ragged}/{blanks})"
        )
        for threads in (True, False):
            output = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    CHILD.format(root=str(ROOT.parent), path=str(path), threads=threads),
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            result = json.loads(output.strip().splitlines()[-1])
            label = f"{result['engine']} ({'threads' if threads else '1 thread'})"
            print(
                f"{label:<22} {result['rows']:>12,} {result['seconds']:>8.1f} "
                f"{size / 1e6 / result['seconds']:>7.0f} {result['baseline_kb'] / 1024:>9.0f} MB "
                f"{result['peak_kb'] / 1024:>6.0f} MB  {result['ragged']}/{result['blank']}"
            )
        print()
        print("target: peak RSS ≤ 300 MB")
    finally:
        if not args.keep:
            path.unlink()
            print(f"deleted {path}")


if __name__ == "__main__":
    main()
