"""Public catalogue views: DCAT-AP at /catalog.ttl, /catalog.jsonld and /catalog.rdf."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from steward.catalogue.conditional import conditional
from steward.catalogue.dcat import catalogue_graph
from steward.catalogue.models import CatalogueEntry
from steward.organisations.models import Organisation

PER_PAGE = 100  # as ckanext-dcat's default page size
FORMATS = {
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "jsonld": ("json-ld", "application/ld+json; charset=utf-8"),
    "rdf": ("pretty-xml", "application/rdf+xml; charset=utf-8"),
}
SITE = SimpleNamespace(pk=0, name="資料開放管家", agency_code="", key="site")


def _bad(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


@require_GET
@conditional
def dcat_catalogue(request: HttpRequest, fmt: str) -> HttpResponse:
    """One page of the public catalogue as DCAT-AP (?page=N; ?ministry=KEY for one ministry)."""
    syntax, content_type = FORMATS[fmt]
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        return _bad("page：請填正整數（page must be a whole number）。")
    if not 1 <= page <= 10**6:
        return _bad("page：須為 1 以上的整數（page must be 1 or more）。")
    entries = CatalogueEntry.objects.select_related("agency").order_by(
        "-published_at", "identifier"
    )
    publisher: Any = SITE
    query = ""
    ministry_key = request.GET.get("ministry", "").replace("\x00", "").strip()
    if ministry_key:
        ministry = Organisation.objects.filter(parent=None, key=ministry_key).first()
        if ministry is None:
            return HttpResponse(
                f"沒有代碼為「{ministry_key[:40]}」的部會。", status=404,
                content_type="text/plain; charset=utf-8",
            )  # fmt: skip
        entries = entries.filter(ministry=ministry)
        publisher, query = ministry, f"ministry={ministry.key}&"
    else:
        ministries = list(Organisation.objects.filter(parent=None)[:2])
        if len(ministries) == 1:
            publisher = ministries[0]
    total = entries.count()
    base = request.build_absolute_uri("/").rstrip("/")
    graph = catalogue_graph(
        entries[(page - 1) * PER_PAGE : page * PER_PAGE],
        base=base,
        publisher=publisher,
        title=f"{publisher.name} 政府資料開放目錄",
        description=f"{publisher.name}依資料開放行動方案登載之開放資料集。",
        page_url=f"{base}/catalog.{fmt}?{query}",
        page=page,
        per_page=PER_PAGE,
        total=total,
    )
    options: dict[str, Any] = {"auto_compact": True} if fmt == "jsonld" else {}
    body = graph.serialize(destination=None, format=syntax, encoding="utf-8", **options)
    return HttpResponse(body, content_type=content_type)
