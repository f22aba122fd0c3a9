"""Checking a catalogue file against what is stored: every problem, and what importing would do.

Pure reading (no writes). Each row is keyed by its 資料集識別碼: in the portal's real export
that is the portal's dataset number (digits only, e.g. 41568); in older files and our own
exports of datasets never listed it may be the metadata identifier (A17000000J-000123).
A row is matched to a stored dataset by portal number (within the ministry), else by
identifier, else by agency + title + download URLs (a dataset published through OpenData
Steward before the first import of the export). Matched rows whose 22 cells are as last
imported are unchanged without looking further; others are compared value by value.
Loading is batched and keyed in dicts, so a 53,000-row export costs a handful of queries.
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, cast

from django.utils.translation import gettext as _

from steward.datasets.models import Dataset, Resource
from steward.datasets.services.importing import IMPORTED_FIELDS, RESOURCE_FIELDS
from steward.datasets.standard import CatalogueFormatError, read_catalogue
from steward.datasets.workflow import ON_PORTAL, Status
from steward.lib.cells import FORMULA_WARNING
from steward.organisations.models import Organisation
from steward.publishing.catalogue.reading import open_text
from steward.publishing.catalogue.report import GoneDataset, ImportReport
from steward.publishing.catalogue.rows import (
    LISTING_FIELDS,
    Organisations,
    Outcome,
    PlannedDataset,
    Progress,
    fingerprint,
    plan_row,
)
from steward.publishing.models import CatalogueListing

_CHUNK = 900  # ids per IN (...) query: under SQLite's default variable limit

# ---------------------------------------------------------------- the whole file


@dataclass
class _Stored:
    """What is stored for the ministry, loaded once in a few queries and keyed in dicts."""

    # portal number → (listing id, dataset id, dataset identifier, organisation id, status,
    #                  fingerprint)
    by_number: dict[str, tuple[int, int, str, int, str, str]] = field(default_factory=dict)
    by_dataset: dict[int, str] = field(default_factory=dict)  # dataset id → portal number
    # dataset id → (listing id, fingerprint)
    listings: dict[int, tuple[int, str]] = field(default_factory=dict)


def _stored(ministry: Organisation) -> _Stored:
    stored = _Stored()
    rows = CatalogueListing.objects.filter(ministry=ministry).values_list(
        "pk",
        "portal_number",
        "dataset_id",
        "dataset__identifier",
        "dataset__organisation_id",
        "dataset__status",
        "fingerprint",
    )
    for pk, number, dataset_id, identifier, organisation_id, status, print_ in rows.iterator(
        chunk_size=5000
    ):
        stored.by_dataset[dataset_id] = number
        stored.listings[dataset_id] = (pk, print_)
        if number:
            stored.by_number[number] = (pk, dataset_id, identifier, organisation_id, status, print_)
    return stored


def check_catalogue(
    data: bytes, *, ministry: Organisation, file: str, progress: Progress | None = None
) -> ImportReport:
    """Read a catalogue file and report every problem and what importing would do (no writes)."""
    report = ImportReport(file=file)
    opened = open_text(data, report)
    if opened is None:
        return report
    stream, size = opened
    raw = cast(io.BytesIO, stream.buffer)  # type: ignore[attr-defined]
    organisations = Organisations(ministry)
    stored = _stored(ministry)
    seen: dict[str, int] = {}
    try:
        for row in read_catalogue(stream):
            report.rows += 1
            if progress is not None and report.rows % 1000 == 0:
                progress(raw.tell() / max(size, 1), report.rows)
            key = row.identifier.strip()
            if key in seen:
                report.refuse(
                    row.row,
                    "資料集識別碼",
                    _("%(identifier)s appears again; it is already on row %(first)d.")
                    % {"identifier": key, "first": seen[key]},
                )
                continue
            if key:
                seen[key] = row.row
            for column in row.formula_columns:  # kept as text; a spreadsheet would run them
                report.warn(row.row, column, str(FORMULA_WARNING))
            print_ = fingerprint(row)
            known = stored.by_number.get(key)
            if known is not None and known[5] == print_ and not row.problems:
                same = _as_last_imported(row.row, key, print_, known, organisations)
                if same is not None:  # the row as last imported: nothing more to check
                    report.planned.append(same)
                    continue
            planned = plan_row(row, organisations, ministry, report, print_)
            if planned is not None:
                report.planned.append(planned)
    except CatalogueFormatError as error:
        report.refuse(error.row, error.column, str(error))
        return report
    if report.rows == 0:
        report.refuse(0, "", _("The file has a header but no datasets."))
    if report.ok and size and bytes(raw.getbuffer()[-1:]) not in (b"\n", b"\r"):
        report.warn(
            report.rows + 1,
            "",
            _(
                "The file does not end with a line break. If it was cut off while downloading, "
                "its last row is incomplete: compare it with the portal."
            ),
        )
    if report.ok:
        _match(report, ministry, organisations, stored)
    return report


def _as_last_imported(
    row: int,
    key: str,
    print_: str,
    known: tuple[int, int, str, int, str, str],
    organisations: Organisations,
) -> PlannedDataset | None:
    """A row whose 22 cells are those of its last import: unchanged, planned no further."""
    listing_id, dataset_id, identifier, organisation_id, status, _print = known
    owner = organisations.by_pk.get(organisation_id)
    if owner is None or status not in ON_PORTAL:
        return None  # let the full check say what is wrong
    return PlannedDataset(
        row=row,
        organisation=owner,
        values={},
        resources=[],
        listing={"portal_number": key, "fingerprint": print_},
        key=key,
        dataset_id=dataset_id,
        dataset_identifier=identifier,
        listing_id=listing_id,
        outcome=Outcome.UNCHANGED,
    )


def _match(
    report: ImportReport, ministry: Organisation, organisations: Organisations, stored: _Stored
) -> None:
    """Key each planned row to a stored dataset (or none) and decide add / change / unchanged."""
    planned: list[PlannedDataset] = report.planned
    unmatched: list[PlannedDataset] = []
    for item in planned:
        number = item.listing["portal_number"]
        if number and number in stored.by_number:
            listing_id, dataset_id, identifier, organisation_id, status, print_ = stored.by_number[
                number
            ]
            owner = organisations.by_pk.get(organisation_id)
            if owner is None or not organisations.same_agency(owner, item.organisation):
                report.refuse(
                    item.row,
                    "資料集識別碼",
                    _(
                        "Portal number %(number)s is already dataset %(identifier)s of "
                        "%(owner)s; this row gives it to %(publisher)s."
                    )
                    % {
                        "number": number,
                        "identifier": identifier,
                        "owner": owner.name if owner else "—",
                        "publisher": item.organisation.name,
                    },
                )
                continue
            item.dataset_id, item.dataset_identifier, item.listing_id = (
                dataset_id,
                identifier,
                listing_id,
            )
            _on_portal_or_refuse(item, status, report)
            if print_ == item.listing["fingerprint"]:
                item.outcome = Outcome.UNCHANGED
        else:
            unmatched.append(item)
    _match_by_identifier([i for i in unmatched if i.identifier], stored, organisations, report)
    _match_by_title_and_urls(
        [i for i in unmatched if i.dataset_id is None], ministry, stored, organisations
    )
    if not report.ok:
        return
    _compare(
        [i for i in planned if i.dataset_id is not None and i.outcome != Outcome.UNCHANGED],
        organisations,
        report,
    )
    in_file = {i.dataset_id for i in planned if i.dataset_id is not None}
    _gone(report, ministry, stored, in_file)
    for item in planned:
        if item.outcome == Outcome.ADD:
            report.added.append(item.key)
        elif item.outcome == Outcome.CHANGE:
            report.changed.append(item.key)
        else:
            report.unchanged += 1


def _on_portal_or_refuse(item: PlannedDataset, status: str, report: ImportReport) -> None:
    if status not in ON_PORTAL:
        report.refuse(
            item.row,
            "資料集識別碼",
            _(
                "%(key)s is dataset %(identifier)s, which is “%(status)s” here, not on the "
                "portal; finish or withdraw that work first."
            )
            % {
                "key": item.key,
                "identifier": item.dataset_identifier,
                "status": Status(status).label,
            },
        )


def _match_by_identifier(
    items: list[PlannedDataset],
    stored: _Stored,
    organisations: Organisations,
    report: ImportReport,
) -> None:
    by_identifier = {item.identifier: item for item in items}
    keys = list(by_identifier)
    for start in range(0, len(keys), _CHUNK):
        found = Dataset.objects.filter(identifier__in=keys[start : start + _CHUNK]).values_list(
            "pk", "identifier", "organisation_id", "status"
        )
        for pk, identifier, organisation_id, status in found:
            item = by_identifier[identifier]
            owner = organisations.by_pk.get(organisation_id)
            if owner is None or not organisations.same_agency(owner, item.organisation):
                report.refuse(
                    item.row,
                    "資料集識別碼",
                    _("%(identifier)s is already a dataset of %(owner)s, not of %(publisher)s.")
                    % {
                        "identifier": identifier,
                        "owner": owner.name if owner else _("another ministry"),
                        "publisher": item.organisation.name,
                    },
                )
                continue
            item.dataset_id, item.dataset_identifier = pk, identifier
            _on_portal_or_refuse(item, status, report)
            if pk in stored.listings:
                item.listing_id, print_ = stored.listings[pk]
                if print_ == item.listing["fingerprint"]:
                    item.outcome = Outcome.UNCHANGED


def _urls(resources: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(r["downloadURL"] or r["accessURL"] for r in resources)


def _match_by_title_and_urls(
    items: list[PlannedDataset],
    ministry: Organisation,
    stored: _Stored,
    organisations: Organisations,
) -> None:
    """Datasets on the portal that no import has listed yet: agency + title + download URLs."""
    if not items:
        return
    candidates = (
        Dataset.objects.filter(
            organisation__path__startswith=ministry.path,
            status__in=ON_PORTAL,
            catalogue_listing__isnull=True,
        )
        .values_list("pk", "identifier", "organisation_id", "title")
        .order_by("pk")
    )
    titles = {item.values["title"] for item in items}
    found = [c for c in candidates.iterator(chunk_size=5000) if c[3] in titles]
    if not found:
        return
    urls: dict[int, list[str]] = defaultdict(list)
    ids = [c[0] for c in found]
    for start in range(0, len(ids), _CHUNK):
        for dataset_id, download, access in (
            Resource.objects.filter(dataset_id__in=ids[start : start + _CHUNK])
            .order_by("dataset_id", "position", "resourceID")
            .values_list("dataset_id", "downloadURL", "accessURL")
        ):
            urls[dataset_id].append(download or access)
    index: dict[tuple[int, str, tuple[str, ...]], tuple[int, str]] = {}
    for pk, identifier, organisation_id, title in found:
        owner = organisations.by_pk.get(organisation_id)
        agency = owner.agency.pk if owner else organisation_id
        index.setdefault((agency, title, tuple(urls[pk])), (pk, identifier))
    taken: set[int] = set()
    for item in items:
        match = index.get(
            (item.organisation.agency.pk, item.values["title"], _urls(item.resources))
        )
        if match is not None and match[0] not in taken:
            taken.add(match[0])
            item.dataset_id, item.dataset_identifier = match


def _compare(
    items: list[PlannedDataset], organisations: Organisations, report: ImportReport
) -> None:
    """Value by value: does the row change the dataset, or only the portal's own cells?

    A dataset being edited or withdrawn here keeps its values (the work in progress is
    newer than the export); the row is reported as a warning.
    """
    by_id = {item.dataset_id: item for item in items if item.dataset_id is not None}
    ids = list(by_id)
    fields = ["pk", "organisation_id", "status", *IMPORTED_FIELDS]
    listing_values: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        datasets = {row["pk"]: row for row in Dataset.objects.filter(pk__in=chunk).values(*fields)}
        resources: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for values in (
            Resource.objects.filter(dataset_id__in=chunk)
            .order_by("dataset_id", "position", "resourceID")
            .values_list("dataset_id", *RESOURCE_FIELDS)
        ):
            resources[values[0]].append(tuple(values[1:]))
        for row in CatalogueListing.objects.filter(dataset_id__in=chunk).values(
            "dataset_id", *LISTING_FIELDS
        ):
            listing_values[row["dataset_id"]] = row
        for pk in chunk:
            item = by_id[pk]
            current = datasets[pk]
            item.organisation = organisations.by_pk[current["organisation_id"]]
            wanted = [tuple(r[key] for key in RESOURCE_FIELDS) for r in item.resources]
            item.dataset_changes = (
                any(current[key] != value for key, value in item.values.items())
                or resources.get(pk, []) != wanted
            )
            if item.dataset_changes and current["status"] != Status.PUBLISHED:
                report.warn(
                    item.row,
                    "資料集識別碼",
                    _(
                        "%(identifier)s is “%(status)s” here; its metadata was left as it is "
                        "and only the portal's own columns were taken."
                    )
                    % {
                        "identifier": item.dataset_identifier,
                        "status": Status(current["status"]).label,
                    },
                )
                item.dataset_changes = False
            listing = listing_values.get(pk)
            # no listing yet (matched by identifier or by title and URLs): the listing is
            # bookkeeping, so the row is unchanged if the dataset is
            listing_changes = listing is not None and any(
                listing[key] != value for key, value in item.listing.items() if key != "fingerprint"
            )
            item.outcome = (
                Outcome.CHANGE if item.dataset_changes or listing_changes else Outcome.UNCHANGED
            )


def _gone(report: ImportReport, ministry: Organisation, stored: _Stored, in_file: set[Any]) -> None:
    missing = [pk for pk in stored.by_dataset if pk not in in_file]
    for start in range(0, len(missing), _CHUNK):
        for pk, identifier, title in Dataset.objects.filter(
            pk__in=missing[start : start + _CHUNK]
        ).values_list("pk", "identifier", "title"):
            report.gone.append(GoneDataset(identifier, stored.by_dataset[pk], title))
    report.gone.sort(key=lambda gone: (gone.portal_number.zfill(20), gone.identifier))
