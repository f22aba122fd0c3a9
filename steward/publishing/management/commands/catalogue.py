"""`steward catalogue import FILE --ministry KEY` / `steward catalogue export --ministry KEY
--output FILE [--format ndjson]`: the portal's 22-column catalogue CSV (data-gov-tw.md §2).

Import takes the export as the portal writes it (also as .csv.gz, up to
STEWARD_MAX_CATALOGUE_BYTES), updates datasets in place, and prints what was added, changed,
unchanged and no longer in the file. It is all-or-nothing: any problem is printed as
file · row · column: reason, nothing is written, and the command exits with status 1.
`--check` only reports. Without `--as`, the
command acts as the system (the server's operator); with `--as USERNAME` it acts, and is
scoped and audited, as that person.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from steward.cli import StewardCommand, person_named
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.publishing.catalogue import (
    CatalogueImportError,
    ImportReport,
    catalogue_limit,
    check_catalogue,
    export_catalogue,
    import_catalogue,
    stream_ndjson,
)


class Command(StewardCommand):
    help = "Import or export the national portal's catalogue CSV for a ministry."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        importing = commands.add_parser("import", help="Create a ministry's published datasets.")
        importing.add_argument("file", type=Path, help="The catalogue CSV (22 columns).")
        importing.add_argument("--ministry", required=True, help="The ministry's key.")
        importing.add_argument("--check", action="store_true", help="Report only; import nothing.")
        importing.add_argument("--as", dest="username", default="", help="Act as this person.")
        exporting = commands.add_parser("export", help="Write a ministry's catalogue CSV.")
        exporting.add_argument("--ministry", required=True, help="The ministry's key.")
        exporting.add_argument(
            "--output", required=True, type=Path, help="File to write ('-' = stdout)."
        )
        exporting.add_argument(
            "--format", choices=["csv", "ndjson"], default="csv", help="CSV (default) or NDJSON."
        )
        exporting.add_argument("--as", dest="username", default="", help="Act as this person.")

    def handle(self, *args: Any, **options: Any) -> None:
        ministry = self._ministry(options["ministry"])
        person = self._person(options["username"])
        if options["action"] == "import":
            self._import(options["file"], ministry, person, check=options["check"])
        else:
            self._export(options["output"], ministry, person, options["format"])

    @staticmethod
    def _ministry(key: str) -> Organisation:
        try:
            return Organisation.objects.get(key=key, kind=OrganisationKind.MINISTRY)
        except Organisation.DoesNotExist:
            raise CommandError(
                _("--ministry: no ministry has the key “%(key)s”.") % {"key": key}, returncode=2
            ) from None

    @staticmethod
    def _person(username: str) -> Person | None:
        if not username:
            return None
        person: Person = person_named(username)
        return person

    def _import(
        self, path: Path, ministry: Organisation, person: Person | None, *, check: bool
    ) -> None:
        size = path.stat().st_size
        if size > catalogue_limit():
            raise CommandError(
                _("%(file)s: %(size)s bytes; the most accepted is %(limit)s (%(setting)s).")
                % {
                    "file": path,
                    "size": f"{size:,}",
                    "limit": f"{catalogue_limit():,}",
                    "setting": "STEWARD_MAX_CATALOGUE_BYTES",
                }
            )
        data = path.read_bytes()
        if check:
            report = check_catalogue(data, ministry=ministry, file=path.name)
        else:
            try:
                report = import_catalogue(data, ministry=ministry, by=person, file=path.name)
            except CatalogueImportError as error:
                report = error.report
        self._print(report)
        if not report.ok:
            raise CommandError(
                _("%(file)s: %(count)d problem(s); nothing was imported.")
                % {"file": path.name, "count": len(report.problems) + report.more_problems}
            )
        for gone in report.gone:
            self.stdout.write(
                f"no longer in the file (kept): {gone.portal_number or '—'} "
                f"{gone.identifier} {gone.title}"
            )
        self.stdout.write(f"{path.name} ({report.encoding}): {report.summary()}")

    def _print(self, report: ImportReport) -> None:
        for problem in report.problems:
            self.stderr.write(str(problem))
        if report.more_problems:
            self.stderr.write(
                _("… and %(count)d more problem(s).") % {"count": report.more_problems}
            )
        for warning in report.warnings:
            self.stdout.write(f"warning: {warning}")

    def _export(
        self, output: Path, ministry: Organisation, person: Person | None, kind: str
    ) -> None:
        if str(output) == "-":
            target = self.stdout._out.buffer  # type: ignore[attr-defined]
            self._write(target, ministry, person, kind)
            return
        with output.open("wb") as stream:
            count = self._write(stream, ministry, person, kind)
        self.stdout.write(f"{count} datasets written to {output}.")

    @staticmethod
    def _write(stream: Any, ministry: Organisation, person: Person | None, kind: str) -> int:
        if kind == "csv":
            return export_catalogue(ministry, stream, by=person)
        count = 0
        for piece in stream_ndjson(ministry, by=person):
            stream.write(piece)
            count += piece.count(b"\n")
        return count
