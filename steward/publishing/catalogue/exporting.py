"""Exporting a ministry's catalogue as the portal writes it: CSV (22 columns) or NDJSON, streamed.

Rows come from the database in chunks (`iterator(chunk_size=…)` with the resources and the
listing fetched per chunk), are written to a small buffer and handed on, so memory stays
bounded whatever the number of datasets (the whole national catalogue, 53,000 rows, streams
in well under 150 MB). The portal's own cells (its dataset number, 資料提供屬性, 品質檢測,
資資料集上架方式, 上架日期 and 詮釋資料更新時間 as written, 資料量 per resource) come from the
dataset's `CatalogueListing` while they still agree with the dataset's values; otherwise the
dataset's values are written. Every CSV cell passes through `export_cell`, the one place a
cell is written.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import json
from collections.abc import Iterator
from typing import IO

from django.db.models import QuerySet
from django.utils import timezone

from steward.datasets.models import Dataset
from steward.datasets.standard import CATALOGUE_COLUMNS, CATEGORY_CODES, DATASET_TYPES
from steward.datasets.workflow import ON_PORTAL
from steward.lib.cells import csv_escape
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, require, scope_q
from steward.publishing.catalogue.rows import (
    amounts_total,
    category_code,
    dataset_type,
    parse_stamp,
)
from steward.publishing.models import CatalogueListing

#: Datasets fetched per query (with their resources and listings) while exporting.
CHUNK = 1000


def export_cell(value: str) -> str:
    """One CSV cell as written: the single place every cell of the CSV export passes.

    A formula-like cell gets OWASP's quote (steward/lib/cells.py), which the importer removes.
    (NDJSON carries the values as data and does not pass here.)
    """
    return csv_escape(value)


def datasets_for_export(ministry: Organisation, *, by: Person | None) -> QuerySet[Dataset]:
    """The ministry's datasets on the portal that `by` may see, in identifier order.

    `by=None` is the command line (an operator of the server): everything of the ministry.
    """
    datasets = Dataset.objects.filter(
        organisation__path__startswith=ministry.path, status__in=ON_PORTAL
    )
    if by is not None:
        require(by, Action.VIEW, ministry)
        datasets = datasets.filter(scope_q(by, Action.VIEW))
    return (
        datasets.select_related("catalogue_listing")
        .prefetch_related("resources")
        .order_by("identifier")
    )


def _stamp(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _as_written(written: str, value: datetime.datetime | None) -> str:
    """The time as the portal wrote it, if it still is the dataset's; else ours."""
    if written:
        try:
            if parse_stamp(written) == value:
                return written
        except ValueError:
            pass
    return _stamp(value)


def _listing(dataset: Dataset) -> CatalogueListing | None:
    try:
        return dataset.catalogue_listing  # type: ignore[attr-defined,no-any-return]
    except CatalogueListing.DoesNotExist:
        return None


def cells_of(dataset: Dataset) -> list[str]:
    """The dataset's 22 cells, in the portal's column order."""
    resources = list(dataset.resources.all())
    listing = _listing(dataset)
    labels = DATASET_TYPES.get(dataset.type, ())
    provider_type = labels[0] if labels else dataset.type
    category = CATEGORY_CODES.get(dataset.categoryCode, dataset.categoryCode)
    key, mark, method, listed, modified = dataset.identifier, "", "", "", ""
    amounts: list[str] = []
    total = "" if dataset.numberOfData is None else str(dataset.numberOfData)
    if listing is not None:
        key = listing.portal_number or key
        if dataset_type(listing.provider_type) == dataset.type:
            provider_type = listing.provider_type
        if category_code(listing.category) == dataset.categoryCode:
            category = listing.category
        mark, method = listing.quality_mark, listing.listing_method
        listed = _as_written(listing.listed_at, dataset.issued)
        modified = _as_written(listing.metadata_modified_at, dataset.modified)
        parts = listing.amounts.split(";") if listing.amounts else []
        if (
            parts
            and len(parts) == len(resources)
            and (
                amounts_total(listing.amounts) == dataset.numberOfData
                or (dataset.numberOfData is None and amounts_total(listing.amounts) is None)
            )
        ):
            amounts = parts
    else:
        listed, modified = _stamp(dataset.issued), _stamp(dataset.modified)
    if not amounts:
        # the total on the first resource, so that an import (which sums them) gives it back
        amounts = [total if index == 0 else "" for index in range(len(resources))]
    joined = {
        "檔案格式": ";".join(r.format for r in resources),
        "資料下載網址": ";".join(r.downloadURL or r.accessURL for r in resources),
        "編碼格式": ";".join(r.characterSetCode for r in resources),
        "資料量": ";".join(amounts) if any(amounts) else "",
    }
    cells = {
        "資料集識別碼": key,
        "資料集名稱": dataset.title,
        "資料提供屬性": provider_type,
        "服務分類": category,
        "品質檢測": mark,
        "資資料集上架方式": method,
        "資料集描述": dataset.description,
        "主要欄位說明": dataset.fieldDescription,
        "提供機關": dataset.publisher,
        "更新頻率": dataset.accrualPeriodicity,
        "授權方式": dataset.license,
        "相關網址": dataset.landingPage,
        "計費方式": dataset.cost,
        "提供機關聯絡人姓名": dataset.publisherContactName,
        "提供機關聯絡人電話": dataset.publisherContactPhone,
        "上架日期": listed,
        "詮釋資料更新時間": modified,
        "備註": dataset.notes,
        **joined,
    }
    return [cells[column] for column in CATALOGUE_COLUMNS]


def _rows(ministry: Organisation, by: Person | None) -> Iterator[list[str]]:
    for dataset in datasets_for_export(ministry, by=by).iterator(chunk_size=CHUNK):
        yield cells_of(dataset)


class _Buffer:
    """A write target the csv module fills and the stream empties (a few rows at a time)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self.parts.append(text)
        return len(text)

    def take(self) -> bytes:
        text = "".join(self.parts)
        self.parts.clear()
        return text.encode()


#: Rows per piece handed to the response.
PIECE = 200


def _csv_pieces(rows: Iterator[list[str]], counted: list[int]) -> Iterator[bytes]:
    buffer = _Buffer()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CATALOGUE_COLUMNS)
    yield codecs.BOM_UTF8 + buffer.take()
    for cells in rows:
        writer.writerow([export_cell(cell) for cell in cells])
        counted[0] += 1
        if counted[0] % PIECE == 0:
            yield buffer.take()
    yield buffer.take()


def stream_csv(ministry: Organisation, *, by: Person | None) -> Iterator[bytes]:
    """The catalogue CSV (UTF-8 with BOM, CRLF) in pieces of a few hundred rows.

    The scope check runs at once (before the first piece), so a refusal is an error, not a
    half-written file.
    """
    datasets_for_export(ministry, by=by)  # raises PermissionDenied now, not mid-stream
    return _csv_pieces(_rows(ministry, by), [0])


def stream_ndjson(ministry: Organisation, *, by: Person | None) -> Iterator[bytes]:
    """The catalogue as NDJSON: one object per dataset, the 22 column names as keys."""
    datasets_for_export(ministry, by=by)
    rows = _rows(ministry, by)

    def pieces() -> Iterator[bytes]:
        lines: list[str] = []
        for cells in rows:
            record = dict(zip(CATALOGUE_COLUMNS, cells, strict=True))
            lines.append(json.dumps(record, ensure_ascii=False))
            if len(lines) == PIECE:
                yield ("\n".join(lines) + "\n").encode()
                lines.clear()
        if lines:
            yield ("\n".join(lines) + "\n").encode()

    return pieces()


def export_catalogue(ministry: Organisation, stream: IO[bytes], *, by: Person | None) -> int:
    """Write the ministry's catalogue CSV to a binary stream; returns the number of rows."""
    datasets_for_export(ministry, by=by)
    counted = [0]
    for piece in _csv_pieces(_rows(ministry, by), counted):
        stream.write(piece)
    return counted[0]


def export_rows(ministry: Organisation, *, by: Person | None) -> Iterator[dict[str, str]]:
    """The exported rows as {column: cell}, in export order."""
    datasets_for_export(ministry, by=by)
    for cells in _rows(ministry, by):
        yield dict(zip(CATALOGUE_COLUMNS, cells, strict=True))
