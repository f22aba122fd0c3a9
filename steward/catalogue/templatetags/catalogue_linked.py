"""`{% dataset_jsonld entry %}`: the dataset page's schema.org JSON-LD, for search engines.

Load with `{% load catalogue_linked %}`; it needs `request` in the context (the request
context processor) to write absolute URLs.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from steward.catalogue.linked import schema_org, script_tag
from steward.catalogue.models import CatalogueEntry

register = template.Library()


@register.simple_tag(takes_context=True)
def dataset_jsonld(context: dict[str, Any], entry: CatalogueEntry) -> SafeString:
    """`<script type="application/ld+json">` with the entry's schema.org `Dataset`."""
    request = context.get("request")
    base = request.build_absolute_uri("/").rstrip("/") if request is not None else ""
    return mark_safe(script_tag(schema_org(entry, base)))  # escaped by script_tag
