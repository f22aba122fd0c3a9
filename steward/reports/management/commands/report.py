"""`steward report KIND --plan NAME --period P --organisation KEY --format odt|ods|xlsx|pdf
[--output PATH] [--template PATH]` writes one report; `steward report --list` lists the kinds.
The same service as the download page (`reports.services.produce`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from steward.cli import StewardCommand, organisation_keyed, person_named
from steward.plans.models import Plan
from steward.reports import kinds, services
from steward.reports.errors import ReportError


class Command(StewardCommand):
    help = "Make a report (報告) of an organisation for a period as a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "kind", nargs="?", default="", help="The report kind, e.g. quarterly_progress."
        )
        parser.add_argument("--list", action="store_true", help="List the report kinds.")
        parser.add_argument("--plan", default="", help="Plan key, e.g. mol.")
        parser.add_argument(
            "--period", default="", help="2026Q4 (a quarter), 2026H1 (a half year), 2026 (a year)."
        )
        parser.add_argument("--organisation", default="", help="Organisation key, e.g. mol-bli.")
        parser.add_argument(
            "--format", default="", choices=kinds.FORMATS, help="odt, ods, xlsx or pdf."
        )
        parser.add_argument(
            "--output", default="", help="Where to write the file; default: its own name here."
        )
        parser.add_argument(
            "--template", default="", help="An ODT template of your own (text formats only)."
        )
        parser.add_argument(
            "--committee",
            default="",
            help="Committee id (agenda and minutes); default: the organisation's advisory "
            "committee, else its working group.",
        )
        parser.add_argument(
            "--meeting", default="", help="Meeting id (committee agenda and minutes)."
        )
        parser.add_argument(
            "--from", dest="from_version", default="", help="Amendment table: older version."
        )
        parser.add_argument(
            "--to", dest="to_version", default="", help="Amendment table: newer version."
        )
        parser.add_argument(
            "--as",
            dest="username",
            default="",
            help="Make it as this person (scoped like the pages); default: the server's operator.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            for kind in kinds.all_kinds():
                self.stdout.write(f"{kind.key}\t{kind.label}\t{', '.join(kind.formats)}")
            return
        needed = {"kind": "KIND", "plan": "--plan", "period": "--period"}
        needed |= {"organisation": "--organisation", "format": "--format"}
        missing = [flag for name, flag in needed.items() if not options[name]]
        if missing:
            raise CommandError(
                _("Give %(options)s (or --list).") % {"options": ", ".join(missing)},
                returncode=2,
            )
        plan = Plan.objects.filter(key=options["plan"]).first()
        if plan is None:
            raise CommandError(_("No plan “%(name)s”.") % {"name": options["plan"]})
        organisation = organisation_keyed(options["organisation"], option="--organisation")
        by = person_named(options["username"]) if options["username"] else None
        # read now: a missing or unreadable file is said plainly (StewardCommand)
        template = Path(options["template"]).read_bytes() if options["template"] else None
        extra = {
            "committee": options["committee"],
            "meeting": options["meeting"],
            "from": options["from_version"],
            "to": options["to_version"],
        }
        try:
            produced = services.produce(
                options["kind"],
                organisation,
                options["period"],
                options["format"],
                by=by,
                plan=plan,
                options={k: v for k, v in extra.items() if v},
                template=template,
            )
        except ReportError as error:
            raise CommandError(str(error)) from None
        rendered = produced.rendered
        output = Path(options["output"]) if options["output"] else Path(rendered.filename)
        if output.is_dir():
            output = output / rendered.filename
        output.write_bytes(rendered.content)
        for problem in rendered.problems:
            self.stderr.write(problem)
        self.stdout.write(_("Written: %(path)s") % {"path": output})
