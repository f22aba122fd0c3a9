"""A dataset's metadata as the national standard's record (資料集基本資料表, data-gov-tw.md §1).

`record_of()` turns our rows into the §1 JSON (keys exactly as the standard); `flatten()` makes
it a flat {key: value} for diffs and side-by-side review; `identifier_for()` allocates a new
資料集編號 from the agency code. Pure functions over models; no state changes here.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone

from steward.datasets.models import Dataset, Resource
from steward.datasets.standard import (
    CATEGORY_CODES,
    DATASET_TYPES,
    FIELDS_BY_KEY,
    RESOURCE_FIELDS,
    FieldProblem,
    Level,
    Severity,
    next_identifier,
    validate_metadata,
)
from steward.organisations.models import Organisation

#: The §1 dataset keys in the standard's order (data-gov-tw.md §1), all model fields too.
DATASET_KEYS: tuple[str, ...] = (
    "categoryCode",
    "identifier",
    "title",
    "description",
    "fieldDescription",
    "type",
    "license",
    "licenseURL",
    "cost",
    "costURL",
    "costLaw",
    "organization",
    "organizationContactName",
    "organizationContactPhone",
    "organizationContactEmail",
    "publisher",
    "publisherContactName",
    "publisherContactPhone",
    "publisherContactEmail",
    "accrualPeriodicity",
    "temporalCoverageFrom",
    "temporalCoverageTo",
    "issued",
    "modified",
    "spatial",
    "language",
    "landingPage",
    "keyword",
    "numberOfData",
    "notes",
)
RESOURCE_KEYS: tuple[str, ...] = tuple(spec.key for spec in RESOURCE_FIELDS)
#: Keys the liaison fills in; `identifier`, `issued` and `modified` are kept by the services.
EDITABLE_KEYS: tuple[str, ...] = tuple(
    key for key in DATASET_KEYS if key not in ("identifier", "issued", "modified")
)
EDITABLE_RESOURCE_KEYS: tuple[str, ...] = tuple(
    key for key in RESOURCE_KEYS if key not in ("resourceID", "resourceModified")
)
REQUIRED_KEYS = frozenset(
    key for key, spec in FIELDS_BY_KEY.items() if spec.level is Level.REQUIRED
)


def _text(value: Any) -> Any:
    """A model value as the standard writes it (dates YYYY-MM-DD, times YYYY-MM-DD hh:mm:ss)."""
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return value


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def _pack(source: object, keys: Iterable[str]) -> dict[str, Any]:
    """Keys of `source` as §1 values; blank optional keys are left out (the portal wants URIs)."""
    record: dict[str, Any] = {}
    for key in keys:
        value = _text(getattr(source, key))
        if _blank(value) and key not in REQUIRED_KEYS:
            continue
        record[key] = "" if value is None else value
    return record


def record_of(dataset: Dataset, resources: Iterable[Resource] | None = None) -> dict[str, Any]:
    """The dataset's metadata as the §1 JSON body, resources under `distribution`."""
    record = _pack(dataset, DATASET_KEYS)
    items = list(resources) if resources is not None else list(dataset.resources.all())
    record["distribution"] = [_pack(resource, RESOURCE_KEYS) for resource in items]
    return record


def published_metadata(dataset: Dataset) -> dict[str, Any]:
    """The §1 JSON body to push to the national portal (keys exactly as the standard).

    Call it when the dataset is scheduled (approved metadata, or an approved edit); the body
    depends only on stored values, so a retried push sends the same bytes.
    """
    return record_of(dataset)


def last_published_record(dataset: Dataset) -> dict[str, Any] | None:
    """The metadata as last published (the snapshot), or None if never published."""
    version = dataset.last_published()
    return dict(version.metadata) if version is not None else None


def flatten(record: Mapping[str, Any] | None) -> dict[str, Any]:
    """A §1 record as one flat mapping: dataset keys, then `distribution[<resourceID>].<key>`.

    Resources are keyed by their ID rather than position so that removing one does not make
    every later resource look changed.
    """
    if not record:
        return {}
    flat = {key: value for key, value in record.items() if key != "distribution"}
    for index, resource in enumerate(record.get("distribution") or []):
        name = resource.get("resourceID") or f"#{index + 1}"
        for key, value in resource.items():
            flat[f"distribution[{name}].{key}"] = value
    return flat


def label_of(flat_key: str) -> str:
    """The Chinese label of a flat key: 資料集名稱, or 資料資源 …-001 · 檔案格式."""
    if flat_key.startswith("distribution["):
        name, _, key = flat_key[len("distribution[") :].partition("].")
        spec = FIELDS_BY_KEY.get(key)
        return f"資料資源 {name} · {spec.label if spec else key}"
    spec = FIELDS_BY_KEY.get(flat_key)
    return spec.label if spec else flat_key


def shown_value(key: str, value: Any) -> str:
    """A metadata value as people read it, on every page that shows one: a list joined with
    「、」, 服務分類 with its name (I00 → 「I00 公共資訊」), 資料集類型 by the portal's Chinese
    label (rawData → 「原始資料」, never the code alone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if key == "categoryCode" and value in CATEGORY_CODES:
        return f"{value} {CATEGORY_CODES[value]}"
    if key == "type" and value in DATASET_TYPES:
        return DATASET_TYPES[value][0]
    return str(value)


def errors_only(problems: Iterable[FieldProblem]) -> list[FieldProblem]:
    return [problem for problem in problems if problem.severity is Severity.ERROR]


def check(dataset: Dataset) -> list[FieldProblem]:
    """Every problem of the dataset's metadata under the standard (errors and warnings)."""
    return validate_metadata(record_of(dataset))


def agency_code_of(organisation: Organisation) -> str:
    """The 機關代碼 that prefixes identifiers: the nearest ancestor (or itself) that has one."""
    for node in reversed(list(organisation.ancestors())):
        if node.agency_code:
            return node.agency_code
    return ""


def identifier_for(organisation: Organisation) -> str:
    """The next free 資料集編號 of the organisation's agency (IdentifierError if no code)."""
    code = agency_code_of(organisation)
    existing = Dataset.objects.filter(identifier__startswith=f"{code}-").values_list(
        "identifier", flat=True
    )
    return next_identifier(code, existing)


def _parse_date(text: Any) -> datetime.date | None:
    if not text:
        return None
    return datetime.datetime.strptime(str(text), "%Y-%m-%d").date()


def values_from_record(
    record: Mapping[str, Any],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The editable model values and resource values of a §1 record (the inverse of record_of).

    Used to put a published version back, and by importers. Blank keys become blank values.
    """
    values: dict[str, Any] = {}
    for key in EDITABLE_KEYS:
        value = record.get(key)
        if key in ("temporalCoverageFrom", "temporalCoverageTo"):
            values[key] = _parse_date(value)
        elif key == "numberOfData":
            values[key] = int(value) if value not in (None, "") else None
        elif key == "keyword":
            values[key] = list(value) if isinstance(value, list | tuple) else split_keywords(value)
        else:
            values[key] = "" if value is None else value
    resources = []
    for item in record.get("distribution") or []:
        data = {key: item.get(key) or "" for key in EDITABLE_RESOURCE_KEYS}
        data["resourceID"] = item.get("resourceID") or ""
        resources.append(data)
    return values, resources


def split_keywords(text: Any) -> list[str]:
    """標籤 typed as one text: split on commas (half- or full-width) and 、."""
    if not text:
        return []
    return [part.strip() for part in re.split(r"[,，、;；]", str(text)) if part.strip()]
