"""`steward harvest ckan|dcat URL --as USER --to AGENCY_KEY`: take in another catalogue's datasets.

All or nothing: every record is checked against the national standard first; a refused record
is listed (identifier, field, why) and nothing is written. See `steward.catalogue.harvest`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from steward.catalogue.harvest import DEFAULT_MAX_BYTES, KINDS, harvest
from steward.cli import StewardCommand, organisation_keyed, person_named
from steward.lib.http import AddressPolicy


class Command(StewardCommand):
    help = "Create or update an agency's datasets from another CKAN or DCAT catalogue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "kind", choices=KINDS, help="The source's kind: ckan (Action API) or dcat (RDF)."
        )
        parser.add_argument(
            "url",
            help="The CKAN site's address, or the DCAT catalogue's first page "
            "(e.g. https://example.gov.tw/catalog.ttl).",
        )
        parser.add_argument(
            "--as", dest="username", required=True, help="Harvest as this person (who may publish)."
        )
        parser.add_argument(
            "--to", dest="agency", required=True, help="The key of the agency the datasets are for."
        )
        parser.add_argument(
            "--allow-private",
            action="append",
            default=[],
            metavar="CIDR_OR_HOST",
            help="Allow this private address range or host name (e.g. an intranet source); "
            "repeat for more. STEWARD_HTTP_ALLOWED_PRIVATE applies too.",
        )
        parser.add_argument(
            "--fq",
            default="",
            help="CKAN only: take only the datasets this filter query selects "
            "(e.g. organization:a17010000j).",
        )
        parser.add_argument(
            "--max-mb",
            type=int,
            default=DEFAULT_MAX_BYTES // (1024 * 1024),
            help="Refuse an answer (one page of the source) larger than this many MB.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        person = person_named(options["username"])
        agency = organisation_keyed(options["agency"], option="--to")
        if options["max_mb"] < 1:
            raise CommandError(_("--max-mb: give 1 or more."), returncode=2)
        report = harvest(
            options["kind"],
            options["url"],
            by=person,
            agency=agency,
            policy=AddressPolicy.from_settings(options["allow_private"]),
            max_bytes=options["max_mb"] * 1024 * 1024,
            fq=options["fq"],
        )
        for label, identifiers in (
            (_("added"), report.added),
            (_("updated"), report.updated),
        ):
            for identifier in identifiers:
                self.stdout.write(f"{label}: {identifier}")
        self.stdout.write(
            _(
                "Harvest done: %(added)d added, %(updated)d updated, %(unchanged)d unchanged, "
                "%(refused)d refused."
            )
            % {
                "added": len(report.added),
                "updated": len(report.updated),
                "unchanged": len(report.unchanged),
                "refused": len(report.refused),
            }
        )
