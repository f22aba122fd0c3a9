"""Time per format of `steward.reports.render.render` for one report document.

    uv run python bench/report_formats.py [--runs 3]

The document is the renderer tests' quarterly report (`steward/reports/tests/
render_documents.py`): a ministry of 7 agencies, a table per agency and figure, and the six
charts (datasets against target, stars, quality marks, reply times, KPI achievement, the
schedule), rendered in zh-Hant. Each format is rendered `--runs` times after one warm-up
(the first chart drawing loads vl-convert's engine; the first LibreOffice start reads its
files from disk); the median and the slowest are printed, and what each format spends its
time on. No database is needed. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per format")
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.settings")
    import django

    django.setup()
    from django.utils import translation

    from steward.reports.document import Chart, Section, Table
    from steward.reports.render import render
    from steward.reports.render.images import _png, chart_image
    from steward.reports.tests.render_documents import quarterly_document

    translation.activate("zh-hant")
    document = quarterly_document()
    template = Path(__file__).resolve().parent.parent / "steward/reports/templates/odt/example.odt"
    charts = [b for s in document.sections for b in s.blocks if isinstance(b, Chart)]
    rows = sum(len(t.rows) for t in document.tables()) + sum(len(c.table.rows) for c in charts)
    print(f"document: {len(document.sections)} sections, {len(charts)} charts, {rows} table rows")

    def timed(label: str, action: object, *, cold: bool = False) -> None:
        assert callable(action)
        action()  # warm-up
        seconds = []
        for _ in range(arguments.runs):
            if cold:
                _png.cache_clear()  # draw every chart again
            started = time.perf_counter()
            result = action()
            seconds.append(time.perf_counter() - started)
        size = len(result.content) if hasattr(result, "content") else 0
        problems = getattr(result, "problems", ())
        print(
            f"| {label} | {statistics.median(seconds):.2f} | {max(seconds):.2f} | "
            f"{size / 1024:,.0f} KiB | {'; '.join(problems) or '—'} |"
        )

    print("| format | median s | slowest s | size | problems |")
    print("|---|---:|---:|---:|---|")
    timed(
        "six chart pictures alone (vl-convert, PNG 200 ppi)",
        lambda: [chart_image(c, max_width_cm=17) for c in charts],
        cold=True,
    )
    for fmt in ("odt", "pdf"):
        timed(f"{fmt}, charts drawn anew", lambda fmt=fmt: render(document, fmt), cold=True)
    for fmt in ("odt", "ods", "xlsx", "pdf"):
        timed(f"{fmt}, charts already drawn", lambda fmt=fmt: render(document, fmt))

    def all_four() -> None:
        for fmt in ("odt", "ods", "xlsx", "pdf"):
            render(document, fmt)

    timed("all four formats in a row", all_four, cold=True)
    # The same report with a list of 3,000 datasets (the annual report's size): one long table.
    listing = Table(
        "資料集清單",
        ("機關", "資料集", "星等", "上架日"),
        tuple(
            (
                f"機關 {n % 7}",
                f"勞動統計資料集第 {n} 項",
                n % 6,
                datetime.date(2026, 1 + n % 12, 1 + n % 28),
            )
            for n in range(3000)
        ),
    )
    longer = dataclasses.replace(
        document, sections=(*document.sections, Section("陸、資料集清單", (listing,)))
    )
    for fmt in ("odt", "ods", "xlsx", "pdf"):
        timed(f"{fmt} with a 3,000-row table", lambda fmt=fmt: render(longer, fmt))
    timed(
        "odt, example template, charts already drawn",
        lambda: render(document, "odt", template=template),
    )
    timed(
        "pdf, example template, charts already drawn",
        lambda: render(document, "pdf", template=template),
    )


if __name__ == "__main__":
    main()
