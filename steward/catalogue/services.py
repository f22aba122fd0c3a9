"""Keeping the public catalogue true: `refresh_entries` after every publish, import or withdrawal.

The datasets services call it inside their own transaction, so an entry appears with the
published version that makes it public and goes with the withdrawal that ends it.
`steward catalogue rebuild` runs it over every dataset (after an upgrade, or to check).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.db.models import Min

from steward.catalogue.models import CatalogueEntry, SearchRow
from steward.catalogue.search import tokens
from steward.datasets.models import Dataset, DatasetVersion
from steward.datasets.workflow import Status
from steward.lib.bulk import insert_many
from steward.organisations.models import Organisation, OrganisationKind
from steward.quality.models import ResourceHealth

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
]
#: What a search row copies from its entry (`SearchRow`), besides its own columns.
_ROW_COPIED = [
    "ministry",
    "agency",
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
]
_ROW_FIELDS = [*_ROW_COPIED, "search_text", "search_tokens", "quality_mark", "stars"]
#: Platform marks, best first: a dataset shows the best of its resources' latest verdicts.
MARKS_BEST_FIRST = ("gold", "silver", "bronze", "none")


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
                    )
                )
            keep = {entry.dataset_id for entry in entries}
            _, removed = (
                CatalogueEntry.objects.filter(dataset_id__in=chunk)
                .exclude(dataset_id__in=keep)
                .delete()
            )  # with their search rows
            report.removed += removed.get(CatalogueEntry._meta.label, 0)
            if entries:
                _write(entries)
            report.written += len(entries)
    return report


def _values(row: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields}


def _write(entries: list[CatalogueEntry]) -> None:
    """Insert the new entries and their search rows, and upsert the others.

    New ones go through `lib.bulk.insert_many` (a prepared INSERT): the national import
    writes 53,000 at once, and Django's upsert compiler cost 4 of the 11.6 s of CPU of a
    10,000-row import (cProfile, 2026-12-04).
    """
    rows = [search_row(entry) for entry in entries]
    _set_quality(rows, {entry.dataset_id: entry for entry in entries})
    existing = set(
        CatalogueEntry.objects.filter(
            dataset_id__in=[entry.dataset_id for entry in entries]
        ).values_list("dataset_id", flat=True)
    )
    insert_many(CatalogueEntry, [_values(e) for e in entries if e.dataset_id not in existing])
    insert_many(SearchRow, [_values(r) for r in rows if r.entry_id not in existing])
    if existing:
        CatalogueEntry.objects.bulk_create(
            [entry for entry in entries if entry.dataset_id in existing],
            update_conflicts=True,
            unique_fields=["dataset"],
            update_fields=_UPDATE_FIELDS,
        )
        SearchRow.objects.bulk_create(
            [row for row in rows if row.entry_id in existing],
            update_conflicts=True,
            unique_fields=["entry"],
            update_fields=_ROW_FIELDS,
        )


def search_row(entry: CatalogueEntry) -> SearchRow:
    """The search row of an entry (its mark and stars not yet set)."""
    text = search_text(entry.record)
    row = SearchRow(entry_id=entry.dataset_id, search_text=text, search_tokens=tokens(text))
    for name in _ROW_COPIED:
        setattr(row, name, getattr(entry, name))
    return row


def _resource_ids(entry: CatalogueEntry) -> list[str]:
    return [str(r.get("resourceID") or "") for r in entry.resources if r.get("resourceID")]


def _set_quality(rows: list[SearchRow], entries: dict[int, CatalogueEntry]) -> list[SearchRow]:
    """Set each row's mark and stars from its entry's resources' latest verdicts; return the
    rows whose mark or stars changed."""
    resources = {row.pk: _resource_ids(entries[row.pk]) for row in rows}
    keys = [key for each in resources.values() for key in each]
    verdicts: dict[str, tuple[str, int | None]] = {}
    for start in range(0, len(keys), 2000):
        latest = ResourceHealth.objects.filter(
            key__in=keys[start : start + 2000], last_result__isnull=False
        ).values_list("key", "last_result__mark", "last_result__stars")
        verdicts.update((key, (mark, stars)) for key, mark, stars in latest)
    changed = []
    for row in rows:
        found = [verdicts[key] for key in resources[row.pk] if key in verdicts]
        marks = [mark for mark, _stars in found if mark in MARKS_BEST_FIRST]
        mark = min(marks, key=MARKS_BEST_FIRST.index) if marks else ""
        stars = max((s for _mark, s in found if s), default=None)
        if (mark, stars) != (row.quality_mark, row.stars):
            row.quality_mark, row.stars = mark, stars
            changed.append(row)
    return changed


def refresh_quality(dataset_identifiers: Iterable[str]) -> int:
    """Bring the quality mark and stars of these datasets' entries up to their resources'
    latest verdicts; the quality app calls it when it records verdicts. Returns how many
    entries changed."""
    identifiers = sorted({i for i in dataset_identifiers if i})
    changed = 0
    with transaction.atomic():
        for start in range(0, len(identifiers), BATCH):
            chunk = identifiers[start : start + BATCH]
            entries = CatalogueEntry.objects.filter(identifier__in=chunk).only("record")
            rows = SearchRow.objects.filter(identifier__in=chunk).only("quality_mark", "stars")
            updates = _set_quality(list(rows), {entry.pk: entry for entry in entries})
            SearchRow.objects.bulk_update(updates, ["quality_mark", "stars"])
            changed += len(updates)
    return changed


def rebuild() -> RefreshReport:
    """Refresh every dataset that has ever been published, and drop orphans."""
    ids = set(DatasetVersion.objects.values_list("dataset_id", flat=True).distinct())
    ids |= set(CatalogueEntry.objects.values_list("dataset_id", flat=True))
    return refresh_entries(ids)
