"""Taking in many datasets already on the portal at once (the national catalogue export).

`import_published_many` is the one service the catalogue import calls: it checks the person
may publish for the ministry and that every organisation is in it before it writes anything,
then creates the new datasets (`lib.bulk.insert_many`: one prepared INSERT per table and
batch) and updates the changed ones with `bulk_update` in batches,
keeps each one's published version (DatasetVersion), and writes ONE audit event for the whole
import with its counts. Per-row audit events would cost more than the import itself at the
national size (about 53,000 datasets); each dataset's history still shows the version.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, NamedTuple, cast

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.catalogue.models import CatalogueEntry, SearchRow
from steward.catalogue.services import refresh_entries
from steward.datasets.errors import DatasetError
from steward.datasets.metadata import agency_code_of, record_of
from steward.datasets.models import Dataset, DatasetVersion, Resource
from steward.datasets.standard import IDENTIFIER_RE, IdentifierError, next_identifier
from steward.datasets.workflow import Status
from steward.lib.bulk import analyze, insert_many
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, require

#: Rows per INSERT/UPDATE statement batch: large enough to amortise round trips, small enough
#: for SQLite's variable limit and a bounded statement size on PostgreSQL.
BATCH = 500

#: Dataset fields an import may set (the catalogue's columns, mapped to the standard's keys).
IMPORTED_FIELDS: tuple[str, ...] = (
    "categoryCode",
    "type",
    "title",
    "description",
    "fieldDescription",
    "publisher",
    "license",
    "cost",
    "publisherContactName",
    "publisherContactPhone",
    "accrualPeriodicity",
    "landingPage",
    "notes",
    "organization",
    "issued",
    "modified",
    "numberOfData",
)
RESOURCE_FIELDS: tuple[str, ...] = (
    "resourceDescription",
    "format",
    "characterSetCode",
    "downloadURL",
    "accessURL",
)


@dataclass
class PublishedRecord:
    """One dataset as the portal lists it: values of IMPORTED_FIELDS and its resources.

    `dataset_id` is the existing dataset it updates (None: create one); `identifier` is the
    資料集編號 to create it with (empty: the next free one of the organisation's agency code).
    """

    organisation: Organisation
    values: dict[str, Any]
    resources: list[dict[str, Any]]
    identifier: str = ""
    dataset_id: int | None = None


class CreatedDataset(NamedTuple):
    pk: int
    identifier: str


@dataclass
class PublishedImport:
    """What `import_published_many` wrote: created and updated datasets, in input order."""

    created: list[CreatedDataset] = field(default_factory=list)
    updated: list[Dataset] = field(default_factory=list)


def import_published_many(
    *,
    by: Person | None,
    ministry: Organisation,
    records: Sequence[PublishedRecord],
    action: str = "dataset.import_catalogue",
    comment: str = "",
    counts: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> PublishedImport:
    """Create or update datasets that are already published on the portal, in one transaction.

    New datasets start published (they were reviewed when first opened) with version 1;
    an updated one keeps its status and gets its next version. Resources are matched by
    position: kept resources keep their IDs (and so their quality history). `by=None` is the
    system (the command line or a job started by a person already checked); a person needs
    the publish action for the ministry. Nothing is written when a check fails.
    """
    if by is not None:
        require(by, Action.DATASET_PUBLISH, ministry)
    for item in records:
        if not item.organisation.is_within(ministry):
            raise PermissionDenied(
                _("%(organisation)s is not part of %(ministry)s.")
                % {"organisation": item.organisation.name, "ministry": ministry.name}
            )
    now = timezone.now()
    result = PublishedImport()
    with transaction.atomic():
        new = [item for item in records if item.dataset_id is None]
        changed = [item for item in records if item.dataset_id is not None]
        result.created = _create(new, by=by, now=now, progress=progress)
        result.updated = _update(changed, ministry=ministry, by=by, now=now, progress=progress)
        analyze(Dataset, Resource, DatasetVersion, rows=len(new))
        # the public catalogue shows the new published versions from this same transaction
        refresh_entries(
            [created.pk for created in result.created] + [dataset.pk for dataset in result.updated]
        )
        analyze(CatalogueEntry, SearchRow, rows=len(new))
        # one event for the whole import (callers call only when something changes)
        record(
            actor=by,
            action=action,
            subject=ministry,
            organisation=ministry,
            comment=comment,
            changes={"counts": dict(counts or {})} if counts else None,
        )
    return result


def _identifiers(items: Sequence[PublishedRecord]) -> list[str]:
    """Each new dataset's 資料集編號: the given one (checked free) or the agency's next serial."""
    given = [item.identifier for item in items if item.identifier]
    for identifier in given:
        if not IDENTIFIER_RE.match(identifier):
            raise DatasetError(
                _("“%(value)s” is not an identifier (資料集編號).") % {"value": identifier}
            )
    taken: set[str] = set()
    for start in range(0, len(given), BATCH):
        taken |= set(
            Dataset.objects.filter(identifier__in=given[start : start + BATCH]).values_list(
                "identifier", flat=True
            )
        )
    if taken:
        raise DatasetError(
            _("Identifier %(value)s is already used by another dataset.")
            % {"value": sorted(taken)[0]}
        )
    codes: dict[int, str] = {}
    serials: dict[str, int] = {}  # agency code → the highest numeric serial handed out
    chosen: list[str] = []
    for item in items:
        if item.identifier:
            chosen.append(item.identifier)
            continue
        organisation = item.organisation
        if organisation.pk not in codes:
            codes[organisation.pk] = agency_code_of(organisation)
        code = codes[organisation.pk]
        try:
            if code not in serials:
                existing = Dataset.objects.filter(identifier__startswith=f"{code}-")
                first = next_identifier(
                    code, [*existing.values_list("identifier", flat=True), *given]
                )
                serials[code] = int(first.rsplit("-", 1)[1]) - 1
            serials[code] += 1
            if serials[code] > 999_999:
                next_identifier(code, [f"{code}-999999"])  # raises the standard's message
        except IdentifierError as error:
            raise DatasetError(str(error)) from None
        chosen.append(f"{code}-{serials[code]:06d}")
    return chosen


def _defaults(model: type[Model]) -> dict[str, Any]:
    return {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}


_DATASET_DEFAULTS = _defaults(Dataset)
_RESOURCE_DEFAULTS = _defaults(Resource)


def _resource(dataset: Dataset, position: int, values: Mapping[str, Any]) -> Resource:
    return Resource(
        dataset=dataset,
        resourceID=f"{dataset.identifier}-{position:03d}",
        position=position,
        **{key: values.get(key, "") for key in RESOURCE_FIELDS},
    )


def _create(
    items: Sequence[PublishedRecord],
    *,
    by: Person | None,
    now: Any,
    progress: Callable[[int], None] | None,
) -> list[CreatedDataset]:
    """Insert new datasets with their resources and version 1, as plain rows (no model
    instances: at the national size their construction alone would cost seconds)."""
    if not items:
        return []
    identifiers = _identifiers(items)
    created: list[CreatedDataset] = []
    by_id = by.pk if by is not None else None
    for start in range(0, len(items), BATCH):
        chunk = list(
            zip(items[start : start + BATCH], identifiers[start : start + BATCH], strict=True)
        )
        rows = [
            {
                **item.values,
                "organisation_id": item.organisation.pk,
                "identifier": identifier,
                "status": Status.PUBLISHED,
                "portal_identifier": identifier,
                "created_by_id": by_id,
                "created_at": now,
                "updated_at": now,
            }
            for item, identifier in chunk
        ]
        insert_many(Dataset, rows)
        keys = dict(
            Dataset.objects.filter(identifier__in=[i for _, i in chunk]).values_list(
                "identifier", "pk"
            )
        )
        resources: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        for row, (item, identifier) in zip(rows, chunk, strict=True):
            pk = keys[identifier]
            own = [
                {
                    **{key: values.get(key, "") for key in RESOURCE_FIELDS},
                    "dataset_id": pk,
                    "resourceID": f"{identifier}-{position:03d}",
                    "position": position,
                }
                for position, values in enumerate(item.resources, start=1)
            ]
            resources.extend(own)
            full = {**_DATASET_DEFAULTS, **row}
            record = record_of(
                cast(Dataset, SimpleNamespace(**full)),
                cast(list[Resource], [SimpleNamespace(**{**_RESOURCE_DEFAULTS, **r}) for r in own]),
            )
            versions.append(
                {
                    "dataset_id": pk,
                    "number": 1,
                    "metadata": record,
                    "portal_identifier": identifier,
                    "published_at": row.get("issued") or now,
                    "published_by_id": by_id,
                }
            )
            created.append(CreatedDataset(pk, identifier))
        insert_many(Resource, resources)
        insert_many(DatasetVersion, versions)
        if progress is not None:
            progress(len(chunk))
    return created


def _update(
    items: Sequence[PublishedRecord],
    *,
    ministry: Organisation,
    by: Person | None,
    now: Any,
    progress: Callable[[int], None] | None,
) -> list[Dataset]:
    updated: list[Dataset] = []
    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        ids = [item.dataset_id for item in chunk if item.dataset_id is not None]
        current = {
            dataset.pk: dataset
            for dataset in Dataset.objects.select_for_update(of=("self",))
            .select_related("organisation")
            .filter(pk__in=ids)
        }
        for dataset in current.values():
            if not dataset.organisation.is_within(ministry):
                raise PermissionDenied(
                    _("%(organisation)s is not part of %(ministry)s.")
                    % {"organisation": dataset.organisation.name, "ministry": ministry.name}
                )
            if dataset.status != Status.PUBLISHED:
                raise DatasetError(
                    _(
                        "%(identifier)s is “%(status)s”; only a published dataset can take "
                        "the portal's metadata."
                    )
                    % {"identifier": dataset.identifier, "status": dataset.status_label}
                )
        existing: dict[int, list[Resource]] = defaultdict(list)
        for resource in Resource.objects.filter(dataset_id__in=ids).order_by(
            "dataset_id", "position", "resourceID"
        ):
            existing[resource.dataset_id].append(resource)
        versions = dict(
            DatasetVersion.objects.filter(dataset_id__in=ids)
            .values_list("dataset_id")
            .annotate(last=Max("number"))
            .values_list("dataset_id", "last")
        )
        datasets: list[Dataset] = []
        to_update: list[Resource] = []
        to_create: list[Resource] = []
        to_delete: list[int] = []
        new_versions: list[DatasetVersion] = []
        for item in chunk:
            assert item.dataset_id is not None
            dataset = current[item.dataset_id]
            for key, value in item.values.items():
                setattr(dataset, key, value)
            dataset.updated_at = now
            kept: list[Resource] = []
            old = existing.get(dataset.pk, [])
            taken = {resource.resourceID for resource in old}
            for position, values in enumerate(item.resources, start=1):
                if position <= len(old):
                    resource = old[position - 1]
                    for key in RESOURCE_FIELDS:
                        setattr(resource, key, values.get(key, ""))
                    resource.position = position
                    to_update.append(resource)
                else:
                    resource = _resource(dataset, position, values)
                    serial = position
                    while resource.resourceID in taken:  # an ID left by a resource removed earlier
                        serial += 1
                        resource.resourceID = f"{dataset.identifier}-{serial:03d}"
                    taken.add(resource.resourceID)
                    to_create.append(resource)
                kept.append(resource)
            to_delete.extend(resource.pk for resource in old[len(item.resources) :])
            new_versions.append(
                DatasetVersion(
                    dataset=dataset,
                    number=versions.get(dataset.pk, 0) + 1,
                    metadata=record_of(dataset, kept),
                    portal_identifier=dataset.portal_identifier or dataset.identifier,
                    published_at=now,
                    published_by=by,
                )
            )
            datasets.append(dataset)
        Dataset.objects.bulk_update(datasets, [*IMPORTED_FIELDS, "updated_at"], batch_size=BATCH)
        if to_delete:
            Resource.objects.filter(pk__in=to_delete).delete()
        Resource.objects.bulk_update(to_update, [*RESOURCE_FIELDS, "position"], batch_size=BATCH)
        Resource.objects.bulk_create(to_create, batch_size=BATCH)
        DatasetVersion.objects.bulk_create(new_versions, batch_size=BATCH)
        updated.extend(datasets)
        if progress is not None:
            progress(len(chunk))
    return updated
