"""Where the resources to check come from: a catalogue export file or our own database."""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from steward.organisations.models import Organisation
from steward.quality.crawl.crawler import (
    ResourceRef,
)
from steward.quality.models import (
    ResourceHealth,
)

if TYPE_CHECKING:
    from steward.datasets.models import Dataset


def _organisation_index() -> dict[str, int]:
    """Publisher names (提供機關) → organisation ids, for catalogue rows."""
    index: dict[str, int] = {}
    for pk, name, short_name in Organisation.objects.values_list("pk", "name", "short_name"):
        for label in (name, short_name):
            if label:
                index.setdefault(label.strip(), pk)
    return index


#: Characters of the dataset identifier kept in a catalogue resource key (the key is ≤ 200).
KEY_IDENTIFIER_CHARS = 180
#: Hex digits of the download URL's hash in a catalogue resource key (48 bits).
KEY_HASH_CHARS = 12
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalise_download_url(url: str) -> str:
    """A download URL as compared across runs.

    Trimmed, scheme and host lower-cased, the default port and the fragment dropped, an
    empty path made "/". The path and query are kept as they are: servers may treat their
    case and order as meaningful.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.scheme or not parts.netloc:
        return text
    scheme = parts.scheme.lower()
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.lower().rpartition(":")
    if not colon or "]" in port:  # no port (or the end of an IPv6 literal)
        host, port = hostport.lower(), ""
    if port == _DEFAULT_PORTS.get(scheme):
        port = ""
    netloc = f"{userinfo}{at}{host}" + (f":{port}" if port else "")
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def catalogue_resource_key(identifier: str, url: str) -> str:
    """The stable key of a catalogue resource: dataset identifier + a hash of its URL.

    The export has no resource IDs. Keying by position (`…#2`) made a resource's history
    (`ResourceHealth`) jump to its neighbour whenever a resource was added or removed
    before it; the normalised download URL stays with the resource. At most 193 characters.
    """
    digest = hashlib.sha256(normalise_download_url(url).encode("utf-8")).hexdigest()
    return f"{identifier.strip()[:KEY_IDENTIFIER_CHARS]}#{digest[:KEY_HASH_CHARS]}"


def refs_from_catalogue(
    stream: IO[Any], *, organisations: dict[str, int] | None = None
) -> Iterator[ResourceRef]:
    """One `ResourceRef` per resource of a catalogue export, read lazily.

    The export has no resource IDs, so a resource's key is the dataset identifier and a
    short hash of its normalised download URL (`A17000000J-000123#3f2a9c01b7de`, see
    `catalogue_resource_key`). The same URL twice under one identifier (or a repeated
    identifier) gets `.2`, `.3`… in the order met, so keys stay unique within a run.
    Catalogue format errors propagate (`CatalogueFormatError`, with the row).
    """
    from steward.datasets.standard import read_catalogue

    index = organisations if organisations is not None else {}
    seen: Counter[str] = Counter()
    for row in read_catalogue(stream):
        for resource in row.resources or []:
            key = catalogue_resource_key(row.identifier, resource.download_url)
            seen[key] += 1
            if seen[key] > 1:
                key = f"{key}.{seen[key]}"
            yield ResourceRef(
                key=key,
                url=resource.download_url.strip(),
                dataset_identifier=row.identifier,
                dataset_title=row.title,
                publisher=row.publisher,
                declared_format=resource.format,
                declared_encoding=resource.encoding,
                field_description=row.field_description,
                update_frequency=row.update_frequency,
                modified=row.metadata_modified_at,
                organisation_id=index.get(row.publisher.strip()),
                metadata={
                    "quality_mark": row.quality_mark,
                    "licence": row.licence,
                    "description": row.description,
                    "category": row.category,
                    "contact_name": row.contact_name,
                    "contact_phone": row.contact_phone,
                    "amount": resource.amount,
                    "row": row.row,
                },
            )


def open_datasets_query(
    *, on: datetime.date, organisations: Iterable[int] | None = None, withdrawn_after: bool = False
) -> QuerySet[Dataset]:
    """Datasets open (開放) at the end of day `on`, optionally of some organisations only.

    Open means published on or before `on` (its 發布時間 `issued`, else its first published
    version) and not withdrawn: on the portal now. With `withdrawn_after`, a dataset withdrawn
    since (its public notice dated after `on`) also counts, for looking back at a period.
    """
    from steward.datasets.models import Dataset, DatasetVersion, Withdrawal
    from steward.datasets.workflow import ON_PORTAL, Status

    end = timezone.make_aware(
        datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time())
    )
    first_published = (
        DatasetVersion.objects.filter(dataset=OuterRef("pk"))
        .order_by("published_at")
        .values("published_at")[:1]
    )
    still_open = Q(status__in=list(ON_PORTAL))
    if withdrawn_after:
        still_open |= Q(
            Exists(Withdrawal.objects.filter(dataset=OuterRef("pk"), notice_published_on__gt=on)),
            status=Status.WITHDRAWN,
        )
    datasets = Dataset.objects.annotate(
        published_at=Coalesce("issued", Subquery(first_published))
    ).filter(still_open, published_at__lt=end)
    if organisations is not None:
        datasets = datasets.filter(organisation_id__in=list(organisations))
    return datasets.order_by("identifier")


def refs_from_database(
    *,
    organisation: Organisation | None = None,
    due_only: bool = False,
    datasets: Collection[int] | None = None,
) -> list[ResourceRef]:
    """One `ResourceRef` per resource of the open datasets (on the portal) in our database.

    `organisation` limits to its subtree; `due_only` keeps resources whose health says a
    check is due (or that were never checked); `datasets` keeps those datasets (ids) only.
    A list, read here in the caller's thread: the crawl runs in a thread of its own where
    the ORM must not be used (a ministry's resources are thousands of small objects, not a
    memory concern).
    """
    return list(_database_refs(organisation=organisation, due_only=due_only, datasets=datasets))


def _database_refs(
    *, organisation: Organisation | None, due_only: bool, datasets: Collection[int] | None
) -> Iterator[ResourceRef]:
    from steward.datasets.models import Resource
    from steward.datasets.workflow import ON_PORTAL

    resources = Resource.objects.filter(dataset__status__in=list(ON_PORTAL)).select_related(
        "dataset", "dataset__organisation"
    )
    if organisation is not None:
        resources = resources.filter(dataset__organisation__path__startswith=organisation.path)
    if datasets is not None:
        resources = resources.filter(dataset_id__in=list(datasets))
    if due_only:
        not_due = ResourceHealth.objects.filter(next_check_due__gt=timezone.now()).values("key")
        resources = resources.exclude(resourceID__in=not_due)
    for resource in resources.order_by("pk").iterator(chunk_size=500):
        dataset = resource.dataset
        modified = resource.resourceModified or dataset.modified
        yield ResourceRef(
            key=resource.resourceID,
            url=(resource.downloadURL or resource.accessURL).strip(),
            dataset_identifier=dataset.identifier,
            dataset_title=dataset.title,
            publisher=dataset.publisher or str(dataset.organisation),
            declared_format=resource.format,
            declared_encoding=resource.characterSetCode,
            field_description=dataset.fieldDescription,
            update_frequency=dataset.accrualPeriodicity,
            modified=modified.strftime("%Y-%m-%d %H:%M:%S") if modified else "",
            organisation_id=dataset.organisation_id,
            resource_id=resource.pk,
            metadata={"licence": dataset.license, "description": dataset.description},
        )
