"""Per-dataset machine-readable views: /dataset/<name>.jsonld and /dataset/<name>/datapackage.json."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from steward.catalogue.linked import datapackage, schema_org
from steward.catalogue.models import CatalogueEntry


def _entry(name: str) -> CatalogueEntry:
    entry = (
        CatalogueEntry.objects.select_related("agency", "ministry")
        .filter(name=name.lower())
        .first()
    )
    if entry is None:
        raise Http404("沒有這個資料集。")
    return entry


def _json(data: dict[str, Any], content_type: str) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"  # public metadata, read by browser tools
    return response


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


@require_GET
def dataset_jsonld(request: HttpRequest, name: str) -> HttpResponse:
    """The dataset as schema.org `Dataset` JSON-LD."""
    return _json(schema_org(_entry(name), _base(request)), "application/ld+json")


@require_GET
def dataset_datapackage(request: HttpRequest, name: str) -> HttpResponse:
    """The dataset as a Frictionless data package."""
    return _json(datapackage(_entry(name), _base(request)), "application/json")
