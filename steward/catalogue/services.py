"""Keeping the public catalogue true: `refresh_entries` after every publish, import or withdrawal.

The datasets services call it inside their own transaction, so an entry appears with the
published version that makes it public and goes with the withdrawal that ends it.
`steward catalogue rebuild` runs it over every dataset (after an upgrade, or to check).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Min

from steward.catalogue.models import CatalogueEntry
from steward.datasets.models import Dataset, DatasetVersion
from steward.datasets.workflow import Status
from steward.organisations.models import Organisation, OrganisationKind

BATCH = 500
_UPDATE_FIELDS = [
    "ministry",
    "agency",
    "version",
    "identifier",
    "name",
    "title",
    "category_code",
    "licence",
    "update_frequency",
    "formats",
    "tags",
    "first_published_at",
    "published_at",
    "record",
    "search_text",
]


@dataclass
class RefreshReport:
    written: int = 0
    removed: int = 0


def search_text(record: dict[str, Any]) -> str:
    """What a search looks in: title, description, 主要欄位說明 and keywords, lower-cased."""
    parts = [
        str(record.get("title") or ""),
        str(record.get("description") or ""),
        str(record.get("fieldDescription") or ""),
        " ".join(keywords_of(record)),
    ]
    return "\n".join(parts).lower()


def keywords_of(record: dict[str, Any]) -> list[str]:
    keywords = record.get("keyword") or []
    if isinstance(keywords, str):
        keywords = [keywords]
    return [str(k).strip() for k in keywords if str(k).strip()]


def _tags(record: dict[str, Any]) -> str:
    names = [k.replace("\n", " ") for k in keywords_of(record)]
    return f"\n{chr(10).join(names)}\n" if names else ""


def _formats(record: dict[str, Any]) -> str:
    names = []
    for resource in record.get("distribution") or []:
        name = str(resource.get("format") or "").strip().upper()
        if name and name not in names:
            names.append(name.replace(",", " "))
    return f",{','.join(names)}," if names else ""


class _Tree:
    """Each organisation's agency and ministry, looked up once per refresh."""

    def __init__(self) -> None:
        self.by_id: dict[int, Organisation] = {}

    def get(self, pk: int) -> Organisation:
        if pk not in self.by_id:
            self.by_id[pk] = Organisation.objects.get(pk=pk)
        return self.by_id[pk]

    def agency_and_ministry(self, organisation_id: int) -> tuple[Organisation, Organisation]:
        node = self.get(organisation_id)
        while node.kind == OrganisationKind.UNIT and node.parent_id is not None:
            node = self.get(node.parent_id)
        ministry_id = int(node.path.strip("/").split("/")[0]) if node.path else node.pk
        return node, self.get(ministry_id)


def refresh_entries(dataset_ids: Iterable[int]) -> RefreshReport:
    """Write the entry of each dataset from its latest published version, or remove it.

    A dataset is public from its first published version until it is withdrawn; while an
    edit waits for review the public keeps seeing the last published version.
    """
    report = RefreshReport()
    ids = sorted(set(dataset_ids))
    tree = _Tree()
    with transaction.atomic():
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            statuses = dict(Dataset.objects.filter(pk__in=chunk).values_list("pk", "status"))
            organisations = dict(
                Dataset.objects.filter(pk__in=chunk).values_list("pk", "organisation_id")
            )
            latest: dict[int, DatasetVersion] = {}
            for each in DatasetVersion.objects.filter(dataset_id__in=chunk).order_by(
                "dataset_id", "-number"
            ):
                latest.setdefault(each.dataset_id, each)
            first = dict(
                DatasetVersion.objects.filter(dataset_id__in=chunk)
                .values("dataset_id")
                .annotate(first=Min("published_at"))
                .values_list("dataset_id", "first")
            )
            entries = []
            for pk in chunk:
                version = latest.get(pk)
                if version is None or statuses.get(pk) in (None, Status.WITHDRAWN):
                    continue
                record = dict(version.metadata)
                agency, ministry = tree.agency_and_ministry(organisations[pk])
                identifier = str(record.get("identifier") or "")
                entries.append(
                    CatalogueEntry(
                        dataset_id=pk,
                        ministry=ministry,
                        agency=agency,
                        version=version.number,
                        identifier=identifier,
                        name=identifier.lower(),
                        title=str(record.get("title") or "")[:255],
                        category_code=str(record.get("categoryCode") or "")[:3],
                        licence=str(record.get("license") or "")[:255],
                        update_frequency=str(record.get("accrualPeriodicity") or "")[:40],
                        formats=_formats(record)[:255],
                        tags=_tags(record),
                        first_published_at=first.get(pk) or version.published_at,
                        published_at=version.published_at,
                        record=record,
                        search_text=search_text(record),
                    )
                )
            keep = {entry.dataset_id for entry in entries}
            removed, _ = (
                CatalogueEntry.objects.filter(dataset_id__in=chunk)
                .exclude(dataset_id__in=keep)
                .delete()
            )
            report.removed += removed
            if entries:
                CatalogueEntry.objects.bulk_create(
                    entries,
                    update_conflicts=True,
                    unique_fields=["dataset"],
                    update_fields=_UPDATE_FIELDS,
                )
            report.written += len(entries)
    return report


def rebuild() -> RefreshReport:
    """Refresh every dataset that has ever been published, and drop orphans."""
    ids = set(DatasetVersion.objects.values_list("dataset_id", flat=True).distinct())
    ids |= set(CatalogueEntry.objects.values_list("dataset_id", flat=True))
    return refresh_entries(ids)
