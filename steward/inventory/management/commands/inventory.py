"""`steward inventory import|check|export|targets`: the inventory (盤點表) on the command line.

steward inventory check FILE --as USER [--to ORG]   the preview, or every problem; exit 1
steward inventory import FILE --as USER [--to ORG] [--check] [--remove-missing]
    every row or none: adds new items, updates those matched by 盤點編號; --check prints the
    preview (added, changed cell by cell, unchanged, not in the file) and changes nothing
steward inventory export --format xlsx|ods|csv|csv-big5 [--agency ORG] -o FILE
steward inventory targets --year 2026              planned openings against targets
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from steward.cli import StewardCommand, organisation_keyed, person_named
from steward.inventory.changes import ImportPreview
from steward.inventory.exporting import FORMATS, export_items
from steward.inventory.imports import check_file, import_items
from steward.inventory.models import InventoryItem
from steward.inventory.spreadsheets import ExportError, Problem
from steward.inventory.targets import target_rows
from steward.organisations.models import Organisation, Person


class Command(StewardCommand):
    help = "Import, check and export the inventory (資料資產盤點表); show targets."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True)
        for name, text in [
            ("check", "Check a file; import nothing."),
            ("import", "Import a file."),
        ]:
            sub = commands.add_parser(name, help=text)
            sub.add_argument("file", type=Path, help="The XLSX, ODS or CSV file.")
            sub.add_argument("--as", dest="username", required=True, help="Who imports.")
            sub.add_argument("--to", dest="organisation", default="",
                             help="Organisation key for new rows without agency or unit"
                                  " (needed only when some row names no unit).")  # fmt: skip
            sub.add_argument("--remove-missing", action="store_true",
                             help="Remove the items of the file's agencies that the file does"
                                  " not name (off by default).")  # fmt: skip
            if name == "import":
                sub.add_argument("--check", action="store_true",
                                 help="Print what the import would change; change nothing.")  # fmt: skip
        export = commands.add_parser("export", help="Export the inventory.")
        export.add_argument("--format", choices=sorted(FORMATS), default="xlsx",
                            help="File format (default xlsx).")  # fmt: skip
        export.add_argument("--agency", help="Organisation key; default: every agency.")
        export.add_argument("-o", "--output", type=Path, required=True, help="File to write.")
        targets = commands.add_parser("targets", help="Planned openings against targets.")
        targets.add_argument("--year", type=int, required=True, help="Plan year, e.g. 2026.")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, "_" + options["subcommand"])(options)

    def _organisation(self, key: str, option: str = "--to") -> Organisation:
        organisation: Organisation = organisation_keyed(key, option=option)
        return organisation

    def _person(self, username: str) -> Person:
        person: Person = person_named(username)
        return person

    def _print_problems(self, problems: list[Problem]) -> None:
        for problem in problems:
            self.stderr.write(str(problem))
        raise CommandError(_("%(count)d problem(s); nothing imported.") % {"count": len(problems)})

    def _default(self, options: dict[str, Any]) -> Organisation | None:
        key = options["organisation"]
        return self._organisation(key) if key else None

    def _print_preview(self, result: ImportPreview) -> None:
        for warning in result.warnings:
            self.stdout.write(f"warning: {warning}")
        if result.problems:
            self._print_problems(result.problems)
        fate = "removed" if result.remove_missing else "kept; --remove-missing removes them"
        self.stdout.write(
            f"{result.file}: {result.added_count} added, {result.changed_count} changed,"
            f" {result.unchanged_count} unchanged, {result.missing_count} not in the file"
            f" ({fate})."
        )
        for row in result.added:
            self.stdout.write(f"+ row {row.row}\t{row.agency}\t{row.identifier}\t{row.name}")
        for row in result.changed:
            cells = "; ".join(f"{c.column}: {c.old or '—'} → {c.new or '—'}" for c in row.cells)
            self.stdout.write(f"~ row {row.row}\t{row.agency}\t{row.identifier}\t{cells}")
        for row in result.missing:
            self.stdout.write(f"- not in the file\t{row.agency}\t{row.identifier}\t{row.name}")
        if not result.has_changes:
            self.stdout.write(f"{result.file}: no changes.")

    def _check(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        self._print_preview(
            check_file(
                path.name,
                path.read_bytes(),
                by=self._person(options["username"]),
                default_organisation=self._default(options),
                remove_missing=options["remove_missing"],
            )
        )

    def _import(self, options: dict[str, Any]) -> None:
        if options["check"]:
            self._check(options)
            return
        path: Path = options["file"]
        result = import_items(
            path.name,
            path.read_bytes(),
            by=self._person(options["username"]),
            default_organisation=self._default(options),
            remove_missing=options["remove_missing"],
        )
        for warning in result.warnings:
            self.stdout.write(f"warning: {warning}")
        if result.problems:
            self._print_problems(result.problems)
        self.stdout.write(result.summary())

    def _export(self, options: dict[str, Any]) -> None:
        items = InventoryItem.objects.select_related("agency", "organisation").order_by(
            "agency__path", "identifier"
        )
        if options["agency"]:
            items = items.filter(agency=self._organisation(options["agency"], "--agency"))
        try:
            content, _type, _extension = export_items(items, options["format"])
        except ExportError as error:
            raise CommandError(str(error)) from None
        options["output"].write_bytes(content)
        self.stdout.write(f"{items.count()} items written to {options['output']}.")

    def _targets(self, options: dict[str, Any]) -> None:
        for row in target_rows(Organisation.objects.all(), options["year"]):
            target = "—" if row.target is None else str(row.target)
            scope = " (+agencies)" if row.whole_subtree else ""
            self.stdout.write(
                f"{row.organisation.name}{scope}\tplanned {row.planned}\topened {row.opened}"
                f"\ttarget {target}\tshortfall {row.shortfall}\t{row.reason}"
            )
