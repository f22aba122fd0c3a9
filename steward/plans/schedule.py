"""A plan year's deadlines (工作時程分工表) on the office calendar, and their export.

`compute_schedule(version, year)` turns each `Deadline` (month/day as the
plan writes it, plus `year_offset`) into a `ScheduledDeadline` of that year:
the date as written, and the due date moved to the previous working day
where the item says so (MOEA: 「各項工作之完成期限如遇假日則往前推至上班日」).
`recompute_deadlines` does the same for rows already computed, after a
calendar year was re-imported, and returns what moved. `schedule_rows` and
the `write_*` functions print and export the table (text, CSV for Excel,
ODS for LibreOffice).
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import csv
import datetime
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _

from steward.calendars.workdays import Source, WorkingCalendar
from steward.lib.cells import csv_row, date_cell_text, ods_date_style
from steward.plans.models import Deadline, Plan, PlanVersion, ScheduledDeadline, ScheduleItem

LIST_SEPARATOR = "、"


def written_date(deadline: Deadline, year: int) -> datetime.date:
    """The date as written for plan year `year`; a day past the month's end means its end
    (2/29 in a common year is 2/28, as 「2月底」 would be)."""
    actual_year = year + deadline.year_offset
    last_day = _stdlib_calendar.monthrange(actual_year, deadline.month)[1]
    return datetime.date(actual_year, deadline.month, min(deadline.day, last_day))


def due_date_for(
    deadline: Deadline, original: datetime.date, calendar: WorkingCalendar
) -> datetime.date:
    if deadline.schedule_item.move_to_previous_working_day:
        return calendar.move_to_previous_working_day(original)
    return original


@dataclass(frozen=True)
class MovedDeadline:
    """A scheduled deadline whose due date a calendar change moved (for notifications)."""

    scheduled_deadline: ScheduledDeadline
    old_due_date: datetime.date
    new_due_date: datetime.date


def version_in_force(plan: Plan, year: int) -> PlanVersion | None:
    """The version of `plan` in force at the end of plan year `year` (else its first one)."""
    versions = plan.versions.order_by("-adopted_on", "-pk")
    return (
        versions.filter(adopted_on__lte=datetime.date(year, 12, 31)).first()
        or plan.versions.order_by("adopted_on", "pk").first()
    )


@dataclass(frozen=True)
class ScheduleSync:
    """What computing a plan year did: every row, how many were new, and which moved."""

    rows: list[ScheduledDeadline]
    created: int
    moved: list[MovedDeadline]

    @property
    def changed(self) -> bool:
        return bool(self.created or self.moved)


def compute_schedule(
    version: PlanVersion, year: int, *, calendar: WorkingCalendar | None = None
) -> list[ScheduledDeadline]:
    """Create or update the ScheduledDeadline of every deadline of `version` in plan `year`.

    Returns them ordered by due date. Continuous items (持續運作) have no deadlines.
    """
    return sync_schedule(version, year, calendar=calendar).rows


@transaction.atomic
def sync_schedule(
    version: PlanVersion, year: int, *, calendar: WorkingCalendar | None = None
) -> ScheduleSync:
    """`compute_schedule`, also saying how many rows were created and which existing rows'
    due dates moved. Idempotent: a second run creates and moves nothing."""
    calendar = calendar or WorkingCalendar()
    deadlines = list(
        Deadline.objects.filter(schedule_item__version=version, schedule_item__continuous=False)
        .select_related("schedule_item")
        .order_by("schedule_item__position", "schedule_item__code", "year_offset", "month", "day")
    )
    existing = {
        row.deadline_id: row
        for row in ScheduledDeadline.objects.filter(deadline__in=deadlines, year=year)
    }
    to_create: list[ScheduledDeadline] = []
    to_update: list[ScheduledDeadline] = []
    moved: list[MovedDeadline] = []
    for deadline in deadlines:
        original = written_date(deadline, year)
        due = due_date_for(deadline, original, calendar)
        row = existing.get(deadline.pk)
        if row is None:
            to_create.append(
                ScheduledDeadline(
                    deadline=deadline, year=year, original_date=original, due_date=due
                )
            )
        elif row.original_date != original or row.due_date != due:
            if row.due_date != due:
                moved.append(MovedDeadline(row, row.due_date, due))
            row.original_date, row.due_date = original, due
            to_update.append(row)
    ScheduledDeadline.objects.bulk_create(to_create)
    # bulk_update skips auto_now, so stamp computed_at by hand.
    now = datetime.datetime.now(tz=datetime.UTC)
    for row in to_update:
        row.computed_at = now
    ScheduledDeadline.objects.bulk_update(to_update, ["original_date", "due_date", "computed_at"])
    rows = list(
        ScheduledDeadline.objects.filter(deadline__in=deadlines, year=year)
        .select_related("deadline__schedule_item")
        .order_by("due_date", "deadline__schedule_item__position", "deadline__schedule_item__code")
    )
    return ScheduleSync(rows=rows, created=len(to_create), moved=moved)


def deadlines_touching_year(year: int) -> Q:
    """Rows whose due date depends on `year`'s calendar.

    Moving back from the written date only crosses days between the due date
    and the written date, so a row depends on `year` exactly when one of those
    two dates lies in it (this catches year_offset=1 rows of the year before,
    and 1 January deadlines that move back into `year`).
    """
    return Q(original_date__year=year) | Q(due_date__year=year)


def recompute_deadlines(year: int, *, calendar: WorkingCalendar) -> list[MovedDeadline]:
    """Recompute every ScheduledDeadline that depends on `year`; return those that moved.

    Call inside the import's transaction with a calendar that sees the new days.
    """
    moved: list[MovedDeadline] = []
    rows = list(
        ScheduledDeadline.objects.filter(deadlines_touching_year(year)).select_related(
            "deadline__schedule_item"
        )
    )
    now = datetime.datetime.now(tz=datetime.UTC)
    for row in rows:
        new_due = due_date_for(row.deadline, row.original_date, calendar)
        if new_due != row.due_date:
            moved.append(MovedDeadline(row, row.due_date, new_due))
            row.due_date = new_due
            row.computed_at = now
    ScheduledDeadline.objects.bulk_update(
        [move.scheduled_deadline for move in moved], ["due_date", "computed_at"]
    )
    return sorted(moved, key=lambda move: (move.new_due_date, move.scheduled_deadline.pk))


@dataclass(frozen=True)
class ScheduleRow:
    """One line of the printed or exported schedule."""

    code: str
    title: str
    period: str
    as_written: str
    original_date: datetime.date
    due_date: datetime.date
    weekday: str
    moved: bool
    lead: str
    cooperating: str
    source: Source


def schedule_rows(
    version: PlanVersion, year: int, *, calendar: WorkingCalendar | None = None
) -> list[ScheduleRow]:
    """Compute the year and return it as table rows, ordered by due date."""
    calendar = calendar or WorkingCalendar()
    scheduled = compute_schedule(version, year, calendar=calendar)
    items = {row.deadline.schedule_item_id for row in scheduled}
    lead: dict[int, list[str]] = {pk: [] for pk in items}
    cooperating: dict[int, list[str]] = {pk: [] for pk in items}
    through_lead = ScheduleItem.lead_organisations.through
    through_coop = ScheduleItem.cooperating_organisations.through
    for item_id, name in through_lead.objects.filter(scheduleitem_id__in=items).values_list(
        "scheduleitem_id", "organisation__name"
    ):
        lead[item_id].append(name)
    for item_id, name in through_coop.objects.filter(scheduleitem_id__in=items).values_list(
        "scheduleitem_id", "organisation__name"
    ):
        cooperating[item_id].append(name)
    rows = []
    for row in scheduled:
        deadline = row.deadline
        item = deadline.schedule_item
        rows.append(
            ScheduleRow(
                code=item.code,
                title=item.title,
                period=str(deadline.get_period_display()),
                as_written=deadline.label or f"{deadline.month}/{deadline.day}",
                original_date=row.original_date,
                due_date=row.due_date,
                weekday=formats.date_format(row.due_date, "l"),
                moved=row.was_moved,
                # The plan's own wording (本部及各機關(構)) reads better than every name listed.
                lead=item.lead_as_written or LIST_SEPARATOR.join(sorted(lead[item.pk])),
                cooperating=item.cooperating_as_written
                or LIST_SEPARATOR.join(sorted(cooperating[item.pk])),
                source=(
                    Source.HOLIDAYS_PACKAGE
                    if calendar.adjust(row.original_date).used_fallback
                    else Source.OFFICIAL
                ),
            )
        )
    return rows


def column_titles() -> list[str]:
    return [
        _("Item"),
        _("Title"),
        _("Period"),
        _("As written"),
        _("Date as written"),
        _("Due date"),
        _("Weekday"),
        _("Moved"),
        _("Lead (主辦)"),
        _("Cooperating (配合)"),
        _("Calendar"),
    ]


def _cells(row: ScheduleRow) -> list[str]:
    return [
        row.code,
        row.title,
        row.period,
        row.as_written,
        row.original_date.isoformat(),
        row.due_date.isoformat(),
        row.weekday,
        _("moved") if row.moved else "",
        row.lead,
        row.cooperating,
        row.source.label,
    ]


def write_csv(rows: Iterable[ScheduleRow]) -> bytes:
    """CSV as UTF-8 with BOM and CRLF, which Excel in Taiwan opens without garbling; a cell
    that looks like a formula gets a quote in front (steward.lib.cells)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(csv_row(column_titles()))
    for row in rows:
        writer.writerow(csv_row(_cells(row)))
    return buffer.getvalue().encode("utf-8-sig")


def write_ods(rows: Iterable[ScheduleRow], *, sheet_name: str) -> bytes:
    """An OpenDocument spreadsheet; the two date columns are real dates, not text."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    table = Table(name=sheet_name)

    def text_cell(value: str) -> TableCell:
        cell = TableCell(valuetype="string")
        cell.addElement(P(text=value))
        return cell

    # a real date, shown as the reader's documents write dates (lib/cells.py)
    date_format = ods_date_style("ScheduleDateFormat")
    document.automaticstyles.addElement(date_format)
    date_style = Style(name="ScheduleDate", family="table-cell", datastylename=date_format)
    document.automaticstyles.addElement(date_style)

    def date_cell(value: datetime.date) -> TableCell:
        cell = TableCell(valuetype="date", datevalue=value.isoformat(), stylename=date_style)
        cell.addElement(P(text=date_cell_text(value)))
        return cell

    header = TableRow()
    for title in column_titles():
        header.addElement(text_cell(title))
    table.addElement(header)
    for row in rows:
        line = TableRow()
        for index, value in enumerate(_cells(row)):
            if index == 4:
                line.addElement(date_cell(row.original_date))
            elif index == 5:
                line.addElement(date_cell(row.due_date))
            else:
                line.addElement(text_cell(value))
        table.addElement(line)
    document.spreadsheet.addElement(table)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def write_text(rows: Sequence[ScheduleRow], *, max_title: int = 30) -> str:
    """An aligned table for the terminal; long titles are cut with …."""
    table = [column_titles(), *(_cells(row) for row in rows)]
    for line in table[1:]:
        if _width(line[1]) > max_title * 2:
            cut = ""
            for char in line[1]:
                if _width(cut + char) > max_title * 2 - 1:
                    break
                cut += char
            line[1] = cut + "…"
    widths = [max(_width(line[column]) for line in table) for column in range(len(table[0]))]
    out = []
    for line in table:
        out.append(
            "  ".join(
                cell + " " * (widths[column] - _width(cell)) for column, cell in enumerate(line)
            ).rstrip()
        )
    return "\n".join(out) + "\n"
