"""`steward quality check`: the quality checks (品質檢核) over a catalogue export or our database.

    steward quality check --catalogue export.csv --json out.json --report out.txt
        [--limit N] [--concurrency N] [--per-host N] [--rate R] [--allow-private CIDR]
    steward quality check --datasets [--agency KEY] [--due-only] --json out.json --report out.txt

`steward check` stays Django's own system check, untouched.
"""

from __future__ import annotations

import itertools
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from steward.cli import StewardCommand, person_named
from steward.lib.http import AddressPolicy, Timeouts
from steward.organisations.models import Organisation, OrganisationKind, Person
from steward.organisations.scope import Action, organisations_for, require
from steward.quality.crawl.crawler import CrawlConfig
from steward.quality.models import CheckKind
from steward.quality.report import RunWriter


class Command(StewardCommand):
    help = "Quality checks (品質檢核) of open-data resources."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True)
        group = commands.add_parser(
            "check",
            help="Check the resources of a catalogue export (--catalogue FILE) or of the open "
            "datasets in the database (--datasets).",
        )
        source = group.add_mutually_exclusive_group(required=True)
        source.add_argument(
            "--catalogue", type=Path, help="A national-portal catalogue export CSV."
        )
        source.add_argument(
            "--datasets", action="store_true", help="The open datasets in the database."
        )
        group.add_argument("--agency", help="Only this organisation (key or agency code).")
        group.add_argument("--due-only", action="store_true", help="Only resources due a check.")
        group.add_argument("--limit", type=int, default=0, help="Check at most N resources.")
        group.add_argument(
            "--concurrency", type=int, default=32, help="Requests in flight at most (default 32)."
        )
        group.add_argument(
            "--per-host", type=int, default=2, help="Requests in flight per host (default 2)."
        )
        group.add_argument("--rate", type=float, default=5.0, help="Requests/s per host (0: none).")
        group.add_argument(
            "--need-bytes",
            type=int,
            default=64 * 1024,
            help="Bytes of each file to read for the checks (default 65536).",
        )
        group.add_argument("--timeout", type=float, default=30.0, help="Total seconds per request.")
        group.add_argument(
            "--allow-private",
            action="append",
            default=[],
            metavar="CIDR_OR_HOST",
            help="Allow a private/loopback range or host (repeatable).",
        )
        group.add_argument(
            "--kind",
            choices=[c.value for c in CheckKind],
            default=CheckKind.ON_DEMAND.value,
            help="What the run is recorded as (default on_demand).",
        )
        group.add_argument(
            "--as",
            "--by",
            dest="by",
            help="Run as this person (needs quality checks in --agency's scope); "
            "recorded as who ran the check.",
        )
        group.add_argument("--json", type=Path, dest="json_out", help="Write results as JSON.")
        group.add_argument("--report", type=Path, help="Write a readable report (Chinese).")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['subcommand']}")(options)

    def _check(self, options: Any) -> None:
        from steward.datasets.standard import CatalogueFormatError
        from steward.quality.services import (
            check_resources,
            refs_from_catalogue,
            refs_from_database,
        )
        from steward.quality.services.sources import _organisation_index

        organisation = self._organisation(options["agency"])
        by: Person | None = None
        if options["by"]:
            by = person_named(options["by"])
            self._require_quality_run(by, organisation)
        config = CrawlConfig(
            concurrency=options["concurrency"],
            per_host=options["per_host"],
            per_host_burst=options["per_host"],
            per_host_rate=options["rate"],
            need_bytes=options["need_bytes"],
            timeouts=Timeouts(
                connect=min(10.0, options["timeout"]),
                read=min(15.0, options["timeout"]),
                total=options["timeout"],
            ),
        )
        policy = AddressPolicy.from_settings(options["allow_private"])

        refs: Any
        catalogue: Path | None = options["catalogue"]
        if catalogue is not None:
            index = _organisation_index()
            # Read the whole file once first: a broken row stops here, before anything is
            # recorded (all or nothing), with the row number.
            try:
                with catalogue.open("rb") as stream:
                    total = sum(1 for _ in refs_from_catalogue(stream, organisations=index))
            except CatalogueFormatError as exc:
                raise CommandError(f"{catalogue}: {exc}") from exc
            stream = catalogue.open("rb")
            refs = refs_from_catalogue(stream, organisations=index)
            if organisation is not None:
                ids = set(organisation.subtree().values_list("pk", flat=True))
                refs = (ref for ref in refs if ref.organisation_id in ids)
            source = str(catalogue)
        else:
            stream = None
            refs = refs_from_database(organisation=organisation, due_only=options["due_only"])
            total = 0
            source = f"datasets:{organisation.key if organisation else 'all'}"
        if options["limit"]:
            refs = itertools.islice(refs, options["limit"])
            total = min(total, options["limit"]) if total else options["limit"]

        with ExitStack() as stack:
            if stream is not None:
                stack.enter_context(stream)
            json_out = (
                stack.enter_context(options["json_out"].open("w", encoding="utf-8"))
                if options["json_out"]
                else None
            )
            text_out = (
                stack.enter_context(options["report"].open("w", encoding="utf-8"))
                if options["report"]
                else None
            )
            writer = RunWriter(json_out, text_out, source=source)
            progress = _Progress(self, total)

            def on_report(report: Any) -> None:
                writer.add(report)
                progress.step()

            try:
                run = check_resources(
                    refs,
                    kind=options["kind"],
                    by=by,
                    organisation=organisation,
                    source=source,
                    config=config,
                    policy=policy,
                    on_report=on_report,
                )
            except CatalogueFormatError as exc:
                raise CommandError(f"{source}: {exc}") from exc
            writer.close(run)
        totals = run.totals
        self.stdout.write(
            f"run #{run.pk}: {totals.get('checked', 0)} resources — ok {totals.get('ok', 0)}, "
            f"broken {totals.get('broken', 0)}, unknown {totals.get('unknown', 0)}"
        )

    @staticmethod
    def _require_quality_run(by: Person, organisation: Organisation | None) -> None:
        """With --as, the person must be allowed to run checks where the run reaches."""
        if organisation is not None:
            require(by, Action.QUALITY_RUN, organisation)
        elif not by.is_superuser and not (
            organisations_for(by, Action.QUALITY_RUN)
            .filter(kind=OrganisationKind.MINISTRY)
            .exists()
        ):
            raise PermissionDenied(
                _("%(person)s may run quality checks only with --agency, within their scope.")
                % {"person": by}
            )

    def _organisation(self, key: str | None) -> Organisation | None:
        if not key:
            return None
        found = Organisation.objects.filter(key=key).first() or (
            Organisation.objects.filter(agency_code=key).first()
        )
        if found is None:
            raise CommandError(
                _("--agency: no organisation has the key or agency code “%(key)s”.") % {"key": key},
                returncode=2,
            )
        return found


class _Progress:
    """A progress line on stderr, every 1,000 resources (quiet when not a terminal)."""

    def __init__(self, command: Command, total: int) -> None:
        self.command = command
        self.total = total
        self.done = 0
        self.tty = sys.stderr.isatty()

    def step(self) -> None:
        self.done += 1
        if self.tty and self.done % 1000 == 0:
            of = f"/{self.total}" if self.total else ""
            self.command.stderr.write(f"checked {self.done}{of}")
