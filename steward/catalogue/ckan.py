"""The CKAN Action API, read side, over the public catalogue (`/api/3/action/<name>`).

Tools that read CKAN portals (the `ckanapi` client, harvesters, notebooks) read a ministry's
published datasets here without an account. The national standard's fields map onto CKAN's
names (title, notes, tags, resources, organization = the agency, groups = 服務分類); every other
field of the standard is kept in `extras` under its standard key. Answers use CKAN's envelope
(`help`, `success`, `result` or `error`) and its error types and status codes, so a CKAN
client raises its usual NotFound / ValidationError.

Only `CatalogueEntry` rows are read: what was last published, never a draft.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from steward.catalogue.conditional import conditional
from steward.catalogue.models import CatalogueEntry, SearchRow
from steward.catalogue.search import (
    FILTER_FIELDS,
    SearchError,
    count_and_facets,
    entries_of,
    find,
    licence_id,
    matches_of,
    parse_fq,
    ranked_entries,
    without_nul,
)
from steward.catalogue.services import keywords_of
from steward.datasets.standard import CATEGORY_CODES
from steward.organisations.models import Organisation

CKAN_VERSION = "2.10.4"  # the API version whose answers these follow
ROWS_DEFAULT = 10
ROWS_MAX = 1000  # as CKAN's ckan.search.rows_max: more is capped, and the answer says so
LIST_MAX = 1000
SORTS = {
    "score": None,
    "metadata_modified": "published_at",
    "metadata_created": "first_published_at",
    "name": "name",
    "title_string": "title",
}
#: The standard's dataset keys that CKAN's own fields carry; all others go to `extras`.
_MAPPED = {"identifier", "title", "description", "keyword", "license", "licenseURL",
           "landingPage", "publisher", "publisherContactName", "publisherContactEmail",
           "distribution"}  # fmt: skip
_RESOURCE_MAPPED = {"resourceID", "resourceDescription", "format", "resourceModified"}


class ActionError(Exception):
    """An error CKAN would give: its __type, message, HTTP status and field errors."""

    def __init__(
        self, kind: str, message: str, status: int, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.kind, self.message, self.status, self.fields = kind, message, status, fields or {}


def _not_found(what: str) -> ActionError:
    return ActionError("Not Found Error", f"Not found: {what}", 404)


def _invalid(field: str, message: str) -> ActionError:
    return ActionError("Validation Error", message, 409, {field: [message]})


# --- the mapping ------------------------------------------------------------------------------


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return timezone.make_naive(value, UTC).isoformat()
    return str(value) if value else None


def organization_dict(entry_agency: Any, *, package_count: int | None = None) -> dict[str, Any]:
    name = (entry_agency.agency_code or entry_agency.key).lower()
    data = {
        "id": name,
        "name": name,
        "title": entry_agency.name,
        "display_name": entry_agency.name,
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "description": "",
        "image_url": "",
    }
    if package_count is not None:
        data["package_count"] = package_count
    return data


def group_dict(code: str, *, package_count: int | None = None) -> dict[str, Any]:
    title = CATEGORY_CODES.get(code, code)
    data = {
        "id": code.lower(),
        "name": code.lower(),
        "title": title,
        "display_name": title,
        "type": "group",
        "is_organization": False,
        "state": "active",
        "approval_status": "approved",
        "description": f"服務分類 {code} {title}",
        "image_url": "",
    }
    if package_count is not None:
        data["package_count"] = package_count
    return data


def resource_dict(entry: CatalogueEntry, resource: dict[str, Any], position: int) -> dict[str, Any]:
    url = resource.get("downloadURL") or resource.get("accessURL") or ""
    data: dict[str, Any] = {
        "id": resource.get("resourceID") or f"{entry.identifier}-{position + 1:03d}",
        "package_id": entry.name,
        "url": url,
        "name": resource.get("resourceDescription") or "",
        "description": resource.get("resourceDescription") or "",
        "format": resource.get("format") or "",
        "last_modified": resource.get("resourceModified") or None,
        "position": position,
        "state": "active",
        "url_type": None,
        "mimetype": None,
    }
    for key, value in resource.items():
        if key not in _RESOURCE_MAPPED and key not in data:
            data[key] = value  # the standard's other resource fields (編碼格式 …)
    return data


def package_dict(entry: CatalogueEntry) -> dict[str, Any]:
    """One published dataset as CKAN's package dictionary."""
    record = entry.record
    keywords = keywords_of(record)
    resources = [resource_dict(entry, r, i) for i, r in enumerate(entry.resources)]
    extras = [
        {
            "key": key,
            "value": value if isinstance(value, str) else json.dumps(value, ensure_ascii=False),
        }
        for key, value in record.items()
        if key not in _MAPPED and value not in (None, "", [])
    ]
    return {
        "id": entry.name,
        "name": entry.name,
        "title": entry.title,
        "notes": record.get("description") or "",
        "url": record.get("landingPage") or "",
        "version": None,
        "type": "dataset",
        "state": "active",
        "private": False,
        "author": record.get("publisher") or entry.agency.name,
        "author_email": None,
        "maintainer": record.get("publisherContactName") or None,
        "maintainer_email": record.get("publisherContactEmail") or None,
        "license_id": licence_id(entry.licence),
        "license_title": entry.licence,
        "license_url": record.get("licenseURL") or None,
        "metadata_created": _iso(entry.first_published_at),
        "metadata_modified": _iso(entry.published_at),
        "owner_org": organization_dict(entry.agency)["id"],
        "organization": organization_dict(entry.agency),
        "groups": [group_dict(entry.category_code)] if entry.category_code else [],
        "tags": [
            {
                "id": name,
                "name": name,
                "display_name": name,
                "state": "active",
                "vocabulary_id": None,
            }
            for name in keywords
        ],
        "num_tags": len(keywords),
        "resources": resources,
        "num_resources": len(resources),
        "extras": extras,
        "identifier": entry.identifier,  # the standard's 資料集編號, as the portal shows it
    }


# --- parameters -------------------------------------------------------------------------------


def _int(params: dict[str, Any], name: str, default: int, *, minimum: int = 0) -> int:
    value = params.get(name, default)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _invalid(name, f"{name}: must be a whole number, not {str(value)[:40]!r}") from None
    if number < minimum:
        raise _invalid(name, f"{name}: must be {minimum} or more, not {number}")
    return number


def _bool(params: dict[str, Any], name: str) -> bool:
    value = params.get(name, False)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _public() -> QuerySet[CatalogueEntry]:
    return CatalogueEntry.objects.select_related("agency")


def _entry(params: dict[str, Any], name: str = "id") -> CatalogueEntry:
    key = str(params.get(name) or "").strip()
    if not key:
        raise _invalid(name, f"{name}: Missing value")
    entry = _public().filter(Q(name=key.lower()) | Q(identifier=key)).first()
    if entry is None:
        raise _not_found("Dataset")
    return entry


# --- search (steward.catalogue.search) -------------------------------------------------------


def _facet_fields(params: dict[str, Any]) -> list[str]:
    raw = params.get("facet.field")
    if raw in (None, "", []):
        return []
    fields = raw
    if isinstance(raw, str):
        try:
            fields = json.loads(raw)
        except ValueError:
            fields = [raw]
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise _invalid("facet.field", "facet.field: give a JSON list of field names")
    unknown = [f for f in fields if f not in FILTER_FIELDS]
    if unknown:
        raise _invalid(
            "facet.field",
            f"facet.field: unknown field {unknown[0]!r}; known fields: {', '.join(FILTER_FIELDS)}",
        )
    return fields


def _order(sort: str, has_query: bool) -> list[str]:
    order: list[str] = []
    for part in (sort or "score desc, metadata_modified desc").split(","):
        bits = part.split()
        if not bits:
            continue
        field = bits[0]
        direction = bits[1].lower() if len(bits) > 1 else "asc"
        if field not in SORTS or direction not in ("asc", "desc") or len(bits) > 2:
            raise _invalid(
                "sort",
                f"sort: cannot sort by {part.strip()[:40]!r}; use one of "
                f"{', '.join(SORTS)} with asc or desc",
            )
        column = SORTS[field]
        if column is None:
            if not has_query:
                continue  # every dataset scores the same without a query
            column = "score"
        order.append(f"-{column}" if direction == "desc" else column)
    return [*order, "identifier"]


def package_search(params: dict[str, Any]) -> dict[str, Any]:
    q = str(params.get("q") or "")
    rows = _int(params, "rows", ROWS_DEFAULT)
    start = _int(params, "start", 0)
    facet_fields = _facet_fields(params)
    facet_limit = _int(params, "facet.limit", 50, minimum=-1)
    facet_limit = 10**9 if facet_limit < 0 else facet_limit
    try:
        found, terms = find(SearchRow.objects.all(), q, parse_fq(str(params.get("fq") or "")))
    except SearchError as error:
        raise _invalid(error.field, error.message) from None
    order = _order(str(params.get("sort") or ""), bool(terms))
    matches = matches_of(found)
    count, counted_facets = count_and_facets(matches, facet_fields, facet_limit)
    size = min(rows, ROWS_MAX)
    if order == _order("", bool(terms)):  # relevance, then newest: ranked in memory
        page = ranked_entries(matches, terms, start, size)
    else:
        page = entries_of(found.order_by(*order)[start : start + size])
    facet_result: dict[str, dict[str, int]] = {}
    search_facets: dict[str, Any] = {}
    for field, counted in counted_facets.items():
        facet_result[field] = {name: n for name, _display, n in counted}
        search_facets[field] = {
            "title": field,
            "items": [
                {"name": name, "display_name": display, "count": n} for name, display, n in counted
            ],
        }
    result = {
        "count": count,
        "sort": str(params.get("sort") or "score desc, metadata_modified desc"),
        "results": [package_dict(entry) for entry in page],
        "facets": facet_result,
        "search_facets": search_facets,
    }
    if rows > ROWS_MAX:
        result["rows_capped_to"] = ROWS_MAX  # said, not silent
    return result


# --- the other actions ------------------------------------------------------------------------


def status_show(params: dict[str, Any], request: HttpRequest) -> dict[str, Any]:
    return {
        "ckan_version": CKAN_VERSION,
        "site_title": "資料開放管家 OpenData Steward",
        "site_description": "政府資料開放目錄（依各機關資料開放行動方案登載之資料集）",
        "site_url": request.build_absolute_uri("/").rstrip("/"),
        "locale_default": "zh_Hant_TW",
        "error_emails_to": None,
        "extensions": ["steward_catalogue"],
    }


def _limit_offset(params: dict[str, Any]) -> tuple[int, int]:
    limit = min(_int(params, "limit", LIST_MAX), LIST_MAX)
    return limit, _int(params, "offset", 0)


def package_list(params: dict[str, Any]) -> list[str]:
    limit, offset = _limit_offset(params)
    names = _public().order_by("name").values_list("name", flat=True)
    return list(names[offset : offset + limit])


def current_package_list_with_resources(params: dict[str, Any]) -> list[dict[str, Any]]:
    limit, offset = _limit_offset(params)
    page = _public().order_by("-published_at", "identifier")[offset : offset + limit]
    return [package_dict(entry) for entry in page]


def _agencies() -> list[tuple[Any, int]]:
    """Every agency with a published dataset, and how many it has."""
    counts = Counter(_public().values_list("agency_id", flat=True))
    agencies = Organisation.objects.in_bulk(list(counts))
    return sorted(
        ((agencies[pk], n) for pk, n in counts.items()),
        key=lambda pair: (pair[0].agency_code or pair[0].key).lower(),
    )


def organization_list(params: dict[str, Any]) -> list[Any]:
    limit, offset = _limit_offset(params)
    rows = _agencies()[offset : offset + limit]
    if _bool(params, "all_fields"):
        return [organization_dict(agency, package_count=n) for agency, n in rows]
    return [organization_dict(agency)["name"] for agency, _n in rows]


def organization_show(params: dict[str, Any]) -> dict[str, Any]:
    key = str(params.get("id") or "").strip().lower()
    if not key:
        raise _invalid("id", "id: Missing value")
    for agency, count in _agencies():
        if organization_dict(agency)["name"] == key or agency.key == key:
            data = organization_dict(agency, package_count=count)
            if _bool(params, "include_datasets"):
                entries = _public().filter(agency=agency).order_by("name")[:LIST_MAX]
                data["packages"] = [package_dict(entry) for entry in entries]
            return data
    raise _not_found("Organization")


def group_list(params: dict[str, Any]) -> list[Any]:
    counts = Counter(c for c in _public().values_list("category_code", flat=True) if c)
    codes = sorted(counts)
    if _bool(params, "all_fields"):
        return [group_dict(code, package_count=counts[code]) for code in codes]
    return [code.lower() for code in codes]


def tag_list(params: dict[str, Any]) -> list[str]:
    query = str(params.get("query") or "").strip()
    names: set[str] = set()
    for value in _public().values_list("tags", flat=True):
        names.update(part for part in value.split("\n") if part)
    return sorted(name for name in names if query in name)


def resource_show(params: dict[str, Any]) -> dict[str, Any]:
    key = str(params.get("id") or "").strip()
    if not key:
        raise _invalid("id", "id: Missing value")
    identifier = key.rsplit("-", 1)[0] if key.count("-") >= 2 else ""
    candidates: Iterable[CatalogueEntry] = (
        _public().filter(identifier=identifier) if identifier else []
    )
    for entry in candidates:
        for position, resource in enumerate(entry.resources):
            data = resource_dict(entry, resource, position)
            if data["id"] == key:
                return data
    raise _not_found("Resource")


ACTIONS: dict[str, Callable[..., Any]] = {
    "status_show": status_show,
    "package_list": package_list,
    "package_show": lambda params: package_dict(_entry(params)),
    "package_search": package_search,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": group_list,
    "tag_list": tag_list,
    "resource_show": resource_show,
    "current_package_list_with_resources": current_package_list_with_resources,
}


def _params(request: HttpRequest) -> dict[str, Any]:
    params: dict[str, Any] = {key: without_nul(request.GET.get(key) or "") for key in request.GET}
    if request.method == "POST" and request.body:
        if len(request.body) > 64 * 1024:
            raise ActionError("Bad request", "Bad request - the JSON body is over 64 KB", 400)
        try:
            body = json.loads(request.body)
        except ValueError:
            raise ActionError(
                "Bad request", "Bad request - JSON Error: cannot read the body", 400
            ) from None
        if not isinstance(body, dict):
            raise ActionError("Bad request", "Bad request - the JSON body must be an object", 400)
        params.update(
            {
                key: without_nul(value) if isinstance(value, str) else value
                for key, value in body.items()
            }
        )
    return params


@csrf_exempt  # read-only actions, no session used: nothing for a forged request to do
@require_http_methods(["GET", "POST"])
@conditional
def action(request: HttpRequest, name: str) -> JsonResponse:
    """`/api/3/action/<name>` and `/api/action/<name>`: one CKAN action, in CKAN's envelope."""
    help_url = request.build_absolute_uri(f"/api/3/action/help_show?name={name}")
    function = ACTIONS.get(name)
    try:
        if function is None:
            raise ActionError(
                "Bad request", f"Bad request - Action name not known: {name[:60]}", 400
            )
        params = _params(request)
        result = function(params, request) if name == "status_show" else function(params)
    except ActionError as error:
        payload: dict[str, Any] = {"__type": error.kind, "message": error.message}
        payload.update(error.fields)
        return JsonResponse(
            {"help": help_url, "success": False, "error": payload},
            status=error.status,
            json_dumps_params={"ensure_ascii": False},
        )
    return JsonResponse(
        {"help": help_url, "success": True, "result": result},
        json_dumps_params={"ensure_ascii": False},
    )
