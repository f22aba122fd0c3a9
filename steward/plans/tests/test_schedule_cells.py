"""The schedule CSV is safe to open: a title from a plan file that looks like a formula is
written with a quote in front; dates and the rest are written as they are."""

from __future__ import annotations

import csv
import datetime
import io

from django.utils import translation

from steward.calendars.workdays import Source
from steward.lib.cells import read_cells
from steward.plans.schedule import ScheduleRow, write_csv


def test_a_formula_in_a_schedule_title_is_written_as_text() -> None:
    row = ScheduleRow(
        code="-1",
        title="=cmd|' /C calc'!A0",
        period="Q1",
        as_written="@3/31",
        original_date=datetime.date(2026, 3, 31),
        due_date=datetime.date(2026, 3, 31),
        weekday="Tuesday",
        moved=False,
        lead="+886-2-1234-5678",
        cooperating="本部及各機關(構)",
        source=Source.OFFICIAL,
    )
    with translation.override("en"):
        data = write_csv([row])
    cells = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1]
    assert cells[:4] == ["-1", "'=cmd|' /C calc'!A0", "Q1", "'@3/31"]
    assert cells[4:6] == ["2026-03-31", "2026-03-31"]
    assert cells[8] == "+886-2-1234-5678"
    assert read_cells(cells)[1] == "=cmd|' /C calc'!A0"
