"""`steward calendar import [FILES…|--builtin]` and `steward calendar show YEAR`.

Import checks every file before writing anything, then imports each year's
revisions in order (original → 修正版 → dated updates, see
`services.revision_order_key`), whatever order the files were given in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from steward.calendars.access import require_calendar_import
from steward.calendars.models import CalendarChange, CalendarDay, CalendarImport
from steward.calendars.parsing import DayKind
from steward.calendars.services import (
    CalendarImportError,
    ImportResult,
    builtin_calendar_files,
    import_calendar_files,
)
from steward.calendars.workdays import Source, holidays_year
from steward.cli import StewardCommand, person_named


class Command(StewardCommand):
    help = "Import official office calendars (辦公日曆表) or show a year's days off."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        importer = commands.add_parser(
            "import", help="Import calendar CSV files (or the shipped ones with --builtin)."
        )
        importer.add_argument(
            "files", nargs="*", type=Path, metavar="FILE", help="Calendar CSV files."
        )
        importer.add_argument(
            "--as",
            dest="username",
            default="",
            help="Import as this person (the information centre); default: the operator.",
        )
        importer.add_argument(
            "--builtin",
            action="store_true",
            help="Import every file in STEWARD_CALENDAR_DIR, each year's revisions in order.",
        )
        show = commands.add_parser("show", help="Show a year's days off and make-up working days.")
        show.add_argument("year", type=int, help="The year, e.g. 2026.")
        show.add_argument("--all", action="store_true", help="List every day, not only exceptions.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "import":
            self.import_files(
                options["files"], builtin=options["builtin"], username=options["username"]
            )
        else:
            self.show(options["year"], every_day=options["all"])

    def import_files(self, files: list[Path], *, builtin: bool, username: str = "") -> None:
        if builtin == bool(files):
            raise CommandError(_("Give calendar files or --builtin (not both)."))
        by = person_named(username) if username else None
        if by is not None:
            require_calendar_import(by)
        paths = builtin_calendar_files() if builtin else files
        contents = [(path.name, path.read_bytes()) for path in paths]
        try:
            results = import_calendar_files(contents, by=by)
        except CalendarImportError as error:
            for problem in error.problems:
                self.stderr.write(f"  {problem}")
            raise CommandError(
                _("%(count)d problem(s); nothing was imported.") % {"count": len(error.problems)}
            ) from None
        for result in results:
            self.stdout.write(describe_result(result))

    def show(self, year: int, *, every_day: bool) -> None:
        revisions = list(CalendarImport.objects.filter(year=year).order_by("revision"))
        if not revisions:
            fallback = holidays_year(year)
            self.stdout.write(
                f"{year}: no official calendar imported; {Source.HOLIDAYS_PACKAGE.label}: "
                f"{len(fallback.days_off)} days off."
            )
            for date in sorted(fallback.days_off):
                if date.weekday() < 5 or date in fallback.labels:
                    self.stdout.write(f"  {date}  {fallback.labels.get(date, '')}")
            return
        current = revisions[-1]
        self.stdout.write(
            f"{year}: revision {current.revision} from {current.file_name} "
            f"({current.encoding}, sha256 {current.sha256[:12]}…), {current.days_off} days off."
        )
        for revision in revisions:
            self.stdout.write(
                f"  r{revision.revision} {revision.imported_at:%Y-%m-%d %H:%M} "
                f"{revision.file_name}: {revision.changed_days} days changed, "
                f"{revision.moved_deadlines} deadlines moved"
            )
            for change in CalendarChange.objects.filter(calendar_import=revision):
                self.stdout.write(f"      {change.describe()}")
        days = CalendarDay.objects.filter(year=year).order_by("date")
        if not every_day:
            days = days.exclude(kind__in=[DayKind.WORKING_DAY, DayKind.WEEKEND])
        for day in days:
            state = "day off" if day.is_day_off else "working"
            self.stdout.write(
                f"  {day.date} {day.date:%a}  {state:<8} {day.get_kind_display()}  {day.label}"
            )


def describe_result(result: ImportResult) -> str:
    revision = result.calendar_import
    if result.superseded_revision is not None:
        return (
            f"{result.file_name}: {result.year} already imported as revision "
            f"{result.superseded_revision.revision}; revision {revision.revision} "
            f"from {revision.file_name} stays in force."
        )
    if result.unchanged:
        return (
            f"{result.file_name}: {result.year} unchanged "
            f"(revision {revision.revision} from {revision.file_name} stays in force)."
        )
    lines = [
        f"{result.file_name}: {result.year} revision {revision.revision} "
        f"({revision.encoding}, {revision.days_off} days off, "
        f"{len(result.changes)} days changed, {len(result.moved)} deadlines moved)."
    ]
    lines += [f"  {change.describe()}" for change in result.changes]
    lines += [
        f"  {move.scheduled_deadline.deadline}: {move.old_due_date} → {move.new_due_date}"
        for move in result.moved
    ]
    return "\n".join(lines)
