"""One published dataset, machine-readable: schema.org `Dataset` JSON-LD and a Frictionless
`datapackage.json`.

`schema_org(entry, base)` is what search engines' dataset search reads (the dataset page embeds
it in a `<script type="application/ld+json">` through the `dataset_jsonld` template tag, and
/dataset/<name>.jsonld serves it alone). `datapackage(entry, base)` describes the resources as a
Frictionless data package; a tabular resource's table schema comes from the header its last
quality check read (the file's real column names) or else from 主要欄位說明, each column with
the description the standard's field list gives it. Both read only the published record.
"""

from __future__ import annotations

import json
import re
from typing import Any

from steward.catalogue.ckan import licence_id
from steward.catalogue.dcat import LICENCES
from steward.catalogue.models import CatalogueEntry
from steward.catalogue.services import keywords_of
from steward.datasets.standard import normalise_format_label, parse_field_description
from steward.quality.models import CheckResult

#: 檔案格式 → IANA media type, for schema.org's encodingFormat and the package's mediatype.
MEDIA_TYPES = {"CSV": "text/csv", "JSON": "application/json", "XML": "application/xml",
               "PDF": "application/pdf", "XLS": "application/vnd.ms-excel",
               "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "ODS": "application/vnd.oasis.opendocument.spreadsheet",
               "GEOJSON": "application/geo+json", "JSON-LD": "application/ld+json",
               "KML": "application/vnd.google-earth.kml+xml", "ZIP": "application/zip",
               "TXT": "text/plain", "HTML": "text/html", "RDF": "application/rdf+xml"}  # fmt: skip
#: Formats Frictionless reads as tables: these get a table schema.
TABULAR = {"CSV": "csv", "XLS": "xls", "XLSX": "xlsx", "ODS": "ods"}
ENCODINGS = {"UTF-8": "utf-8", "BIG5": "big5"}


def dataset_url(entry: CatalogueEntry, base: str) -> str:
    return f"{base.rstrip('/')}/dataset/{entry.name}"


def licence_url(entry: CatalogueEntry) -> str:
    return LICENCES.get(entry.licence.strip()) or str(entry.record.get("licenseURL") or "")


def _iso_datetime(text: Any) -> str | None:
    """A standard time ("2026-01-02 10:00:00") as ISO 8601, in Taiwan's offset."""
    value = str(text or "").strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", value):
        return value.replace(" ", "T") + "+08:00"
    return value or None


def _organisation(name: str, code: str = "") -> dict[str, Any]:
    data: dict[str, Any] = {"@type": "GovernmentOrganization", "name": name}
    if code:
        data["identifier"] = code
    return data


def _temporal(record: dict[str, Any]) -> str | None:
    """開始/結束收錄日期 as an ISO 8601 interval; an open end is written `..`."""
    start = str(record.get("temporalCoverageFrom") or "").strip()
    end = str(record.get("temporalCoverageTo") or "").strip()
    if not start and not end:
        return None
    return f"{start or '..'}/{end or '..'}"


def schema_org(entry: CatalogueEntry, base: str) -> dict[str, Any]:
    """The dataset as a schema.org `Dataset` (the keys as schema.org spells them)."""
    record = entry.record
    url = dataset_url(entry, base)
    data: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": url,
        "url": url,
        "name": entry.title,
        # Google's dataset search needs a description of 50 characters or more; the standard's
        # is required, so it is always there, and the title stands in only for a broken record.
        "description": str(record.get("description") or entry.title),
        "identifier": entry.identifier,
        "keywords": keywords_of(record),
        "inLanguage": "zh-Hant",
        "isAccessibleForFree": str(record.get("cost") or "免費") == "免費",
        "creator": _organisation(
            str(record.get("publisher") or entry.agency.name), entry.agency.agency_code
        ),
        "publisher": _organisation(
            str(record.get("organization") or entry.ministry.name), entry.ministry.agency_code
        ),
    }
    licence = licence_url(entry)
    if licence:
        data["license"] = licence
    temporal = _temporal(record)
    if temporal:
        data["temporalCoverage"] = temporal
    for key, term in (("issued", "datePublished"), ("modified", "dateModified")):
        when = _iso_datetime(record.get(key))
        if when:
            data[term] = when
    if record.get("spatial"):
        data["spatialCoverage"] = str(record["spatial"])
    if record.get("landingPage"):
        data["sameAs"] = str(record["landingPage"])
    distributions = []
    for resource in entry.resources:
        label = normalise_format_label(str(resource.get("format") or ""))
        download: dict[str, Any] = {
            "@type": "DataDownload",
            "name": str(resource.get("resourceDescription") or entry.title),
            "encodingFormat": MEDIA_TYPES.get(label, label),
            "contentUrl": str(resource.get("downloadURL") or resource.get("accessURL") or ""),
        }
        if resource.get("resourceModified"):
            download["dateModified"] = _iso_datetime(resource["resourceModified"])
        distributions.append(download)
    if distributions:
        data["distribution"] = distributions
    return data


def script_tag(data: dict[str, Any]) -> str:
    """`data` inside `<script type="application/ld+json">`, safe to put in a page.

    `<`, `>` and `&` are written as JSON escapes, so no value can close the script element.
    """
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return f'<script type="application/ld+json">{text}</script>'


# --- datapackage.json -------------------------------------------------------------------------


def last_header(resource_id: str) -> list[str] | None:
    """The header the resource's latest quality check read, or None if none read one."""
    result = (
        CheckResult.objects.filter(key=resource_id).order_by("-checked_at", "-pk").only("details")
    ).first()
    if result is None:
        return None
    table = ((result.details or {}).get("checks") or {}).get("table") or {}
    header = table.get("header")
    if isinstance(header, list) and header and all(isinstance(h, str) for h in header):
        return header
    return None


def table_schema(field_description: str, header: list[str] | None) -> dict[str, Any]:
    """A Frictionless table schema: the checked header's columns, else 主要欄位說明's fields.

    Each column takes the description 主要欄位說明 gives it (matched by name or by its Chinese
    label). Values are typed `string`: the standard declares names, not types.
    """
    declared = parse_field_description(field_description or "")
    described: dict[str, str] = {}
    for field in declared:
        for label in field.labels:
            described.setdefault(label.strip(), field.description or field.name)
    names = header if header else [field.name for field in declared]
    fields = []
    seen: set[str] = set()
    for name in names:
        if name in seen:  # a table schema's names are unique; a duplicate header is not
            continue
        seen.add(name)
        column: dict[str, Any] = {"name": name, "type": "string"}
        description = described.get(name.strip())
        if description and description != name:
            column["description"] = description
        fields.append(column)
    return {"fields": fields}


def _package_name(text: str) -> str:
    """A data package / resource name: lower-case letters, digits, `-`, `_` and `.`."""
    return re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-") or "resource"


def datapackage(entry: CatalogueEntry, base: str) -> dict[str, Any]:
    """The dataset as a Frictionless data package (datapackage.json)."""
    record = entry.record
    url = dataset_url(entry, base)
    package: dict[str, Any] = {
        "name": _package_name(entry.name),
        "id": url,
        "title": entry.title,
        "description": str(record.get("description") or ""),
        "homepage": url,
        "keywords": keywords_of(record),
        "version": str(entry.version),
        "contributors": [
            {"title": str(record.get("publisher") or entry.agency.name), "role": "publisher"}
        ],
    }
    if record.get("modified"):
        package["created"] = _iso_datetime(record["modified"])
    licence = licence_url(entry)
    if licence:
        known = entry.licence.strip() in LICENCES
        package["licenses"] = [
            {"name": licence_id(entry.licence), "path": licence, "title": entry.licence}
            if known
            else {"path": licence, "title": entry.licence or licence}
        ]
    resources = []
    names: set[str] = set()
    for position, resource in enumerate(entry.resources):
        resource_id = str(resource.get("resourceID") or f"{entry.identifier}-{position + 1:03d}")
        name = _package_name(resource_id)
        if name in names:
            name = f"{name}-{position + 1}"
        names.add(name)
        label = normalise_format_label(str(resource.get("format") or ""))
        item: dict[str, Any] = {
            "name": name,
            "path": str(resource.get("downloadURL") or resource.get("accessURL") or url),
            "title": str(resource.get("resourceDescription") or entry.title),
        }
        if label:
            item["format"] = TABULAR.get(label, label.lower())
        if label in MEDIA_TYPES:
            item["mediatype"] = MEDIA_TYPES[label]
        encoding = ENCODINGS.get(str(resource.get("characterSetCode") or "").upper())
        if encoding:
            item["encoding"] = encoding
        if label in TABULAR:
            item["profile"] = "tabular-data-resource"
            item["schema"] = table_schema(
                str(record.get("fieldDescription") or ""), last_header(resource_id)
            )
        resources.append(item)
    package["resources"] = resources
    return package
