"""Importing office-calendar files: every change of calendar state happens here.

`import_calendar_files` checks every file first (nothing is written if any
file is bad), then, in one transaction, imports each in revision order: a file
identical to the year in force, or to an earlier revision of it (an
older published file must never turn a later revision back), is a no-op; a changed one becomes the next
revision, its changed days are recorded, and every scheduled deadline that
depends on that year is recomputed. The result lists what moved (old due
date → new due date), and the people who answer for the moved schedule items
(lead organisations' liaisons, the information centre) are e-mailed once per
batch, each with the list of their items (`plans.notices`), after commit.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.calendars.models import CalendarChange, CalendarDay, CalendarImport
from steward.calendars.parsing import (
    CalendarFile,
    CalendarFileError,
    Problem,
    parse_calendar_file,
    year_in_file_name,
)
from steward.calendars.workdays import WorkingCalendar, forget_cached_years
from steward.organisations.models import Person
from steward.plans.notices import Letters, letters_for, send_letters
from steward.plans.schedule import MovedDeadline, recompute_deadlines

AUDIT_ACTION = "calendar.import"


@dataclass
class ImportResult:
    """What importing one file did."""

    year: int
    file_name: str
    calendar_import: CalendarImport  # the new revision, or the one still in force
    created: bool
    changes: list[CalendarChange] = field(default_factory=list)
    moved: list[MovedDeadline] = field(default_factory=list)
    # Set when the file is an earlier revision of the year, kept out of force.
    superseded_revision: CalendarImport | None = None
    # Who is told about `moved`, with their moves (one e-mail each per batch).
    letters: Letters = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        return not self.created


class CalendarImportError(CalendarFileError):
    """One or more files of a batch cannot be imported; nothing was imported."""


# A revision stamp in a file name: a 民國 date (1141020) or a Gregorian one (20251020).
_STAMP = re.compile(r"(?<!\d)(\d{7}|\d{8})(?!\d)")
_CORRECTION_WORDS = ("修正", "更正", "更新")


def revision_order_key(file_name: str, year: int) -> tuple[int, int, datetime.date, str]:
    """Where a file stands among the same year's revisions.

    The published names say it: the plain file (e.g. 114年…辦公日曆表.csv) is the
    original; a corrected file without a date (…修正版.csv) came next; files
    stamped with a date (…1141020更新.csv, 民國 114-10-20) follow in date order.
    Any other name sorts last, by name. Years come first, oldest first.
    """
    stem = Path(file_name).stem
    stamp: datetime.date | None = None
    for match in _STAMP.finditer(stem):
        digits = match.group(1)
        try:
            if len(digits) == 7:
                stamp = datetime.date(int(digits[:3]) + 1911, int(digits[3:5]), int(digits[5:]))
            else:
                stamp = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            continue
    if stamp is not None:
        return (year, 2, stamp, file_name)
    if any(word in stem for word in _CORRECTION_WORDS):
        return (year, 1, datetime.date.min, file_name)
    if year_in_file_name(file_name) is not None and re.fullmatch(r"\d{2,3}年[^\d]*", stem):
        return (year, 0, datetime.date.min, file_name)
    return (year, 3, datetime.date.min, file_name)


def builtin_calendar_files(directory: Path | None = None) -> list[Path]:
    """The calendar files shipped in settings.STEWARD_CALENDAR_DIR (any order)."""
    folder = Path(directory or settings.STEWARD_CALENDAR_DIR)
    return sorted(path for path in folder.iterdir() if path.suffix.lower() == ".csv")


def import_calendar_file(data: bytes, *, file_name: str, by: Person | None = None) -> ImportResult:
    """Import one file's bytes (an upload); raise CalendarFileError with every problem."""
    return import_calendar_files([(file_name, data)], by=by)[0]


def import_builtin_calendars(
    *, by: Person | None = None, directory: Path | None = None
) -> list[ImportResult]:
    """Import every shipped file, each year's revisions in order; re-running changes nothing."""
    return import_calendar_files(
        [(path.name, path.read_bytes()) for path in builtin_calendar_files(directory)], by=by
    )


def import_calendar_files(
    files: Sequence[tuple[str, bytes]], *, by: Person | None = None
) -> list[ImportResult]:
    """Check all files, then import them in revision order in one transaction.

    The order given does not matter: files are sorted by year and then by
    `revision_order_key`. If any file has a problem, CalendarImportError lists
    the problems of every bad file and nothing is imported.
    """
    parsed: list[CalendarFile] = []
    problems: list[Problem] = []
    for file_name, data in files:
        try:
            parsed.append(parse_calendar_file(data, file_name=file_name))
        except CalendarFileError as error:
            problems.extend(error.problems)
    if problems:
        names = sorted({problem.file_name for problem in problems})
        raise CalendarImportError(", ".join(names), problems)
    parsed.sort(
        key=lambda calendar_file: revision_order_key(calendar_file.file_name, calendar_file.year)
    )
    try:
        with transaction.atomic():
            results = [_import_one(calendar_file, by=by) for calendar_file in parsed]
            _tell_about_moves(results)
    finally:
        # The shared cache may have seen days of this transaction (or of a rolled-back one).
        forget_cached_years()
    transaction.on_commit(forget_cached_years)
    return results


def _tell_about_moves(results: Sequence[ImportResult]) -> int:
    """E-mail each person whose deadlines moved once for the whole batch (after commit)."""
    merged: Letters = {}
    causes = []
    for result in results:
        if result.letters:
            causes.append(
                _("%(file)s, revision %(revision)d")
                % {"file": result.file_name, "revision": result.calendar_import.revision}
            )
        for person, moves in result.letters.items():
            merged.setdefault(person, []).extend(moves)
    if not merged:
        return 0
    return send_letters(merged, cause="; ".join(causes))


def _import_one(parsed: CalendarFile, *, by: Person | None) -> ImportResult:
    year = parsed.year
    latest = (
        CalendarImport.objects.select_for_update().filter(year=year).order_by("-revision").first()
    )
    if latest is not None and latest.sha256 == parsed.sha256:
        return ImportResult(year, parsed.file_name, latest, created=False)
    earlier = CalendarImport.objects.filter(year=year, sha256=parsed.sha256).first()
    if latest is not None and earlier is not None:
        # An older published file again (re-running --builtin, or an old download):
        # never silently turn back a later revision.
        return ImportResult(
            year, parsed.file_name, latest, created=False, superseded_revision=earlier
        )

    current = {day.date: day for day in CalendarDay.objects.filter(year=year)}
    changed = [
        day
        for day in parsed.days
        if day.date in current
        and (current[day.date].is_day_off, current[day.date].label) != (day.is_day_off, day.label)
    ]
    if latest is not None and not changed:
        # Same days in another encoding or layout: nothing for anyone to act on.
        return ImportResult(year, parsed.file_name, latest, created=False)

    calendar_import = CalendarImport.objects.create(
        year=year,
        revision=(latest.revision + 1) if latest else 1,
        file_name=parsed.file_name,
        sha256=parsed.sha256,
        encoding=parsed.encoding,
        days_off=parsed.days_off(),
        changed_days=len(changed),
        imported_by=by if by is not None and by.is_authenticated else None,
    )
    changes = CalendarChange.objects.bulk_create(
        CalendarChange(
            calendar_import=calendar_import,
            date=day.date,
            old_is_day_off=current[day.date].is_day_off,
            new_is_day_off=day.is_day_off,
            old_kind=current[day.date].kind,
            new_kind=day.kind,
            old_label=current[day.date].label,
            new_label=day.label,
        )
        for day in changed
    )
    if latest is None:
        CalendarDay.objects.bulk_create(
            CalendarDay(
                date=day.date,
                year=year,
                is_day_off=day.is_day_off,
                kind=day.kind,
                label=day.label,
                source=calendar_import,
            )
            for day in parsed.days
        )
    else:
        updated = []
        for day in changed:
            row = current[day.date]
            row.is_day_off, row.kind, row.label = day.is_day_off, day.kind, day.label
            row.source = calendar_import
            updated.append(row)
        CalendarDay.objects.bulk_update(updated, ["is_day_off", "kind", "label", "source"])

    # A fresh calendar reads the days just written; the first import of a year also
    # replaces the `holidays` fallback, so deadlines are recomputed then too.
    moved = recompute_deadlines(year, calendar=WorkingCalendar())
    calendar_import.moved_deadlines = len(moved)
    calendar_import.save(update_fields=["moved_deadlines"])
    letters = letters_for(moved)

    record(
        actor=by,
        action=AUDIT_ACTION,
        subject=calendar_import,
        from_state=f"r{latest.revision}" if latest else "",
        to_state=f"r{calendar_import.revision}",
        comment=parsed.file_name,
        changes={
            "year": year,
            "sha256": parsed.sha256,
            "encoding": parsed.encoding,
            "days": {
                change.date.isoformat(): {
                    "from": _state(change.old_is_day_off, change.old_label),
                    "to": _state(change.new_is_day_off, change.new_label),
                }
                for change in changes
            },
            "moved_deadlines": [
                {
                    "scheduled_deadline": move.scheduled_deadline.pk,
                    "from": move.old_due_date.isoformat(),
                    "to": move.new_due_date.isoformat(),
                }
                for move in moved
            ],
            "notified": sorted(person.username for person in letters),
        },
    )
    return ImportResult(
        year, parsed.file_name, calendar_import, True, list(changes), moved, letters=letters
    )


def _state(is_day_off: bool, label: str) -> str:
    state = "day off" if is_day_off else "working day"
    return f"{state} ({label})" if label else state
