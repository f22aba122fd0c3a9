"""`steward schedule YEAR --plan NAME [--version LABEL] [--format text|csv|ods] [--output FILE]`.

Computes the plan year's deadlines on the office calendar (each moved to the
previous working day where the plan says so) and prints or exports them,
the date as written beside the due date.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db.models import Q
from django.utils.translation import gettext as _

from steward.calendars.workdays import Source, WorkingCalendar
from steward.cli import StewardCommand
from steward.plans.models import Plan, PlanVersion
from steward.plans.schedule import schedule_rows, write_csv, write_ods, write_text


def version_for_year(plan: Plan, year: int, label: str | None) -> PlanVersion:
    """The version named `label`, else the one in force at the end of `year`."""
    versions = plan.versions.all()
    if label:
        try:
            return versions.get(label=label)
        except PlanVersion.DoesNotExist:
            known = ", ".join(versions.values_list("label", flat=True)) or "—"
            raise CommandError(
                _("Plan %(plan)s has no version “%(label)s” (versions: %(labels)s).")
                % {"plan": plan.key, "label": label, "labels": known}
            ) from None
    version = (
        versions.filter(adopted_on__lte=datetime.date(year, 12, 31))
        .order_by("-adopted_on", "-pk")
        .first()
    )
    if version is None:
        version = plan.current_version()
    if version is None:
        raise CommandError(_("Plan %(plan)s has no versions loaded.") % {"plan": plan.key})
    return version


class Command(StewardCommand):
    help = "Print or export a plan year's deadlines on the office calendar (工作時程)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # `--version` names the plan version here, replacing Django's "show version" flag.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", type=int, help="Plan year, e.g. 2025.")
        parser.add_argument("--plan", required=True, help="Plan key or name, e.g. moea.")
        parser.add_argument(
            "--version",
            dest="version_label",
            metavar="LABEL",
            help="Version label (default: in force that year).",
        )
        parser.add_argument(
            "--format", choices=["text", "csv", "ods"], default="text", help="Output format."
        )
        parser.add_argument("--output", type=Path, help="Write to this file instead of stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        year: int = options["year"]
        if not 1912 <= year <= 2200:
            raise CommandError(_("%(year)d is not a plausible plan year.") % {"year": year})
        plan = Plan.objects.filter(Q(key=options["plan"]) | Q(name=options["plan"])).first()
        if plan is None:
            known = ", ".join(Plan.objects.values_list("key", flat=True)) or _("none installed")
            raise CommandError(
                _("No plan “%(name)s” (known: %(known)s).")
                % {"name": options["plan"], "known": known}
            )
        version = version_for_year(plan, year, options["version_label"])
        calendar = WorkingCalendar()
        rows = schedule_rows(version, year, calendar=calendar)
        output: Path | None = options["output"]
        fmt = options["format"]

        if fmt == "ods":
            if output is None:
                raise CommandError(_("ODS is a binary file: give --output FILE.ods."))
            output.write_bytes(write_ods(rows, sheet_name=str(year)))
        elif fmt == "csv":
            data = write_csv(rows)
            if output is None:
                sys.stdout.buffer.write(data)
            else:
                output.write_bytes(data)
        else:
            text = write_text(rows)
            if output is None:
                self.stdout.write(f"{plan.name} · {version.label} · {year}\n")
                self.stdout.write(text, ending="")
            else:
                output.write_text(text, encoding="utf-8")

        fallback_years = sorted(
            {row.original_date.year for row in rows if row.source == Source.HOLIDAYS_PACKAGE}
        )
        if fallback_years:
            self.stderr.write(
                "No official calendar imported for "
                + ", ".join(map(str, fallback_years))
                + "; those dates follow the `holidays` package until the official "
                "file is imported (steward calendar import)."
            )
        if output is not None:
            moved = sum(1 for row in rows if row.moved)
            self.stderr.write(f"{len(rows)} deadlines ({moved} moved) written to {output}.")
