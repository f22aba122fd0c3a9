"""The public pages of the catalogue (資料目錄), no account needed: the catalogue home of a
ministry, search with facets, a dataset page and an agency page.

Everything shown comes from `CatalogueEntry` (the last published version of each dataset),
the published versions' dates and changed fields, and the latest quality results of the
published resources: never a draft, a pending edit, a reviewer's comment or the name of
anybody but the published contacts.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET

from steward.catalogue.conditional import conditional
from steward.catalogue.models import CatalogueEntry, SearchRow
from steward.catalogue.search import (
    QUERY_MAX_CHARS,
    Filter,
    SearchError,
    count_and_facets,
    find,
    matches_of,
    ranked_entries,
    without_nul,
)
from steward.datasets.metadata import flatten, label_of, shown_value
from steward.datasets.models import DatasetVersion
from steward.datasets.standard import (
    CATEGORY_CODES,
    DATASET_FIELDS,
    RESOURCE_FIELDS,
    parse_field_description,
)
from steward.organisations.models import Organisation
from steward.quality.checks.scores import mark_words
from steward.quality.models import CheckResult

PAGE_SIZE = 20
PAGE_SIZE_MAX = 100
LATEST = 10
#: The facets of the search page: (filter name, heading).
FACETS = (
    ("organization", gettext_noop("Agency")),
    ("groups", gettext_noop("Service category (服務分類)")),
    ("res_format", gettext_noop("Format")),
    ("quality_mark", gettext_noop("Quality mark")),
    ("openness_stars", gettext_noop("Openness stars")),
    ("update_frequency", gettext_noop("Update frequency")),
    ("license_id", gettext_noop("Licence")),
)
FACET_LIMIT = 20


def _entries() -> QuerySet[CatalogueEntry]:
    return CatalogueEntry.objects.select_related("agency")


def _ministry(key: str) -> Organisation:
    ministry = Organisation.objects.filter(parent=None, key=without_nul(key)).first()
    if ministry is None:
        raise Http404(_("There is no ministry with this key."))
    return ministry


def _agency_code(agency: Organisation) -> str:
    return (agency.agency_code or agency.key).lower()


def _agencies(entries: QuerySet[CatalogueEntry]) -> list[dict[str, Any]]:
    counts = Counter(entries.order_by().values_list("agency_id", flat=True))
    agencies = Organisation.objects.in_bulk(list(counts))
    rows = [
        {"agency": agencies[pk], "code": _agency_code(agencies[pk]), "count": n}
        for pk, n in counts.items()
    ]
    return sorted(rows, key=lambda row: (-row["count"], row["code"]))


@require_GET
@conditional
def index(request: HttpRequest) -> HttpResponse:
    """Every ministry with a published catalogue."""
    counts = Counter(_entries().order_by().values_list("ministry_id", flat=True))
    ministries = Organisation.objects.in_bulk(list(counts))
    rows = [
        {"ministry": ministries[pk], "count": counts[pk]}
        for pk in sorted(counts, key=lambda pk: ministries[pk].key)
    ]
    return render(request, "catalogue/index.html", {"ministries": rows})


@require_GET
@conditional
def ministry_home(request: HttpRequest, key: str) -> HttpResponse:
    """A ministry's catalogue home: figures, its agencies, the latest datasets, a search box."""
    ministry = _ministry(key)
    entries = _entries().filter(ministry=ministry)
    agencies = _agencies(entries)
    formats: Counter[str] = Counter()
    for value in entries.order_by().values_list("formats", flat=True):
        formats.update(f for f in value.split(",") if f)
    context = {
        "ministry": ministry,
        "count": entries.count(),
        "agencies": agencies,
        "formats": formats.most_common(),
        "latest": entries.order_by("-published_at", "identifier")[:LATEST],
    }
    return render(request, "catalogue/ministry.html", context)


def _number(request: HttpRequest, name: str, default: int) -> tuple[int, bool]:
    """A whole number from the query string, and whether the given value was usable."""
    raw = request.GET.get(name, "")
    if raw == "":
        return default, True
    try:
        value = int(raw)
    except ValueError:
        return default, False
    return (value, True) if value >= 1 else (default, False)


@require_GET
@conditional
def search(request: HttpRequest) -> HttpResponse:
    """Search with facets: q, one value per facet, ministry, page and size (capped)."""
    q = request.GET.get("q", "")
    problems: list[str] = []
    rows = SearchRow.objects.all()
    ministry = None
    ministry_key = request.GET.get("ministry", "").strip()
    if ministry_key:
        ministry = _ministry(ministry_key)
        rows = rows.filter(ministry=ministry)
    chosen = {name: request.GET.get(name, "").strip() for name, _heading in FACETS}
    filters = [Filter(name, value) for name, value in chosen.items() if value]
    status = 200
    try:
        found, terms = find(rows, q, filters)
    except SearchError:
        problems.append(
            _("The search words are too long: at most %(max)d characters, you gave %(n)d.")
            % {"max": QUERY_MAX_CHARS, "n": len(q)}
        )
        status = 400
        found, terms = find(rows.none(), "", [])
        q = q[:QUERY_MAX_CHARS]
    size, size_ok = _number(request, "size", PAGE_SIZE)
    if not size_ok:
        problems.append(_("The page size must be a whole number of 1 or more."))
    if size > PAGE_SIZE_MAX:
        problems.append(_("At most %(max)d datasets are shown per page.") % {"max": PAGE_SIZE_MAX})
        size = PAGE_SIZE_MAX
    number, number_ok = _number(request, "page", 1)
    matches = matches_of(found)
    total, counted = count_and_facets(matches, [name for name, _heading in FACETS], FACET_LIMIT)
    paginator = Paginator(range(total), size)  # each page's entries: `ranked_entries`
    if not number_ok:
        problems.append(_("The page number must be a whole number of 1 or more."))
    elif number > paginator.num_pages:
        problems.append(
            _("There is no page %(page)d: the results have %(pages)d pages.")
            % {"page": number, "pages": paginator.num_pages}
        )
        number = paginator.num_pages
    page = paginator.page(number)
    skip = (page.number - 1) * size
    page.object_list = ranked_entries(matches, terms, skip, size)  # type: ignore[assignment]
    keep = {"q": q, "ministry": ministry_key, **chosen}
    if size != PAGE_SIZE:
        keep["size"] = str(size)
    facet_rows = []
    for name, heading in FACETS:
        items = []
        for value, display, count in counted[name]:
            selected = chosen[name].lower() == value.lower()
            link = {**keep, name: "" if selected else value}
            items.append(
                {"value": value, "display": display, "count": count, "selected": selected,
                 "url": _query(link)}
            )  # fmt: skip
        facet_rows.append({"name": name, "heading": _(heading), "items": items})
    context = {
        "q": q,
        "ministry": ministry,
        "ministry_key": ministry_key,
        "chosen": chosen,
        "facets": facet_rows,
        "page": page,
        "total": paginator.count,
        "problems": problems,
        "previous_url": _query({**keep, "page": str(page.number - 1)})
        if page.has_previous()
        else "",
        "next_url": _query({**keep, "page": str(page.number + 1)}) if page.has_next() else "",
        "query_max": QUERY_MAX_CHARS,
    }
    return render(request, "catalogue/search.html", context, status=status)


def _query(params: dict[str, str]) -> str:
    return "?" + urlencode({k: v for k, v in params.items() if v})


def _latest_checks(keys: list[str]) -> dict[str, CheckResult]:
    latest: dict[str, CheckResult] = {}
    for result in CheckResult.objects.filter(key__in=keys).order_by("key", "-checked_at"):
        latest.setdefault(result.key, result)
    return latest


def _history(entry: CatalogueEntry) -> list[dict[str, Any]]:
    """Each published version: number, date and the labels of the fields it changed."""
    versions = list(
        DatasetVersion.objects.filter(dataset_id=entry.dataset_id, number__lte=entry.version)
        .order_by("number")
        .values_list("number", "published_at", "metadata")
    )
    rows = []
    previous: dict[str, Any] = {}
    for number, published_at, metadata in versions:
        flat = flatten(metadata)
        changed = [key for key in flat if previous and flat.get(key) != previous.get(key)]
        changed += [key for key in previous if previous and key not in flat]
        labels = list(dict.fromkeys(label_of(key) for key in changed))
        rows.append(
            {"number": number, "published_at": published_at, "changed": labels,
             "first": not previous}
        )  # fmt: skip
        previous = flat
    return list(reversed(rows))


@require_GET
@conditional
def dataset(request: HttpRequest, name: str) -> HttpResponse:
    """One published dataset: metadata to the national standard, resources and their quality,
    the declared fields (主要欄位說明) and the history of published versions."""
    entry = _entries().select_related("ministry").filter(name=without_nul(name).lower()).first()
    if entry is None:
        raise Http404(_("There is no published dataset with this name."))
    record = entry.record
    metadata = [
        {"label": spec.label, "value": shown_value(spec.key, record.get(spec.key)), "key": spec.key}
        for spec in DATASET_FIELDS
        if spec.key != "fieldDescription" and shown_value(spec.key, record.get(spec.key))
    ]
    checks = _latest_checks([str(r.get("resourceID") or "") for r in entry.resources])
    resources = []
    for position, resource in enumerate(entry.resources):
        check = checks.get(str(resource.get("resourceID") or ""))
        resources.append(
            {
                "position": position + 1,
                "description": resource.get("resourceDescription") or "",
                "url": resource.get("downloadURL") or resource.get("accessURL") or "",
                "fields": [
                    {"label": spec.label, "value": shown_value(spec.key, resource.get(spec.key))}
                    for spec in RESOURCE_FIELDS
                    if spec.key != "resourceDescription"
                    and shown_value(spec.key, resource.get(spec.key))
                ],
                "check": check,
                "mark": mark_words(check.mark) if check else "",
            }
        )
    context = {
        "entry": entry,
        "metadata": metadata,
        "fields": parse_field_description(str(record.get("fieldDescription") or "")),
        "field_text": str(record.get("fieldDescription") or ""),
        "resources": resources,
        "history": _history(entry),
        "agency_code": _agency_code(entry.agency),
    }
    return render(request, "catalogue/dataset.html", context)


@require_GET
@conditional
def organization(request: HttpRequest, code: str) -> HttpResponse:
    """An agency's published datasets and its figures."""
    code = without_nul(code)
    agency = (
        Organisation.objects.filter(agency_code__iexact=code).first()
        or Organisation.objects.filter(key__iexact=code).first()
    )
    entries = _entries().filter(agency=agency) if agency is not None else _entries().none()
    count = entries.count()
    if agency is None or not count:
        raise Http404(_("There is no agency with published datasets under this code."))
    formats: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for value, category in entries.order_by().values_list("formats", "category_code"):
        formats.update(f for f in value.split(",") if f)
        if category:
            categories[category] += 1
    number, _ok = _number(request, "page", 1)
    paginator = Paginator(entries.order_by("-published_at", "identifier"), PAGE_SIZE)
    page = paginator.get_page(number)
    context = {
        "agency": agency,
        "code": _agency_code(agency),
        "count": count,
        "formats": formats.most_common(),
        "categories": [
            (code_, CATEGORY_CODES.get(code_, code_), n) for code_, n in categories.most_common()
        ],
        "latest": entries.order_by("-published_at").values_list("published_at", flat=True)[:1],
        "page": page,
        "previous_url": _query({"page": str(page.number - 1)}) if page.has_previous() else "",
        "next_url": _query({"page": str(page.number + 1)}) if page.has_next() else "",
    }
    return render(request, "catalogue/organization.html", context)
