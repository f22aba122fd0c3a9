"""Conditional requests for the public side (pages, CKAN Action API, DCAT): ETag and 304.

The public side reads only `CatalogueEntry` (and, on dataset pages, the latest quality
results), so one fingerprint of those tables says whether any answer may have changed: the
number of entries, the latest publication and the latest finished check run. Publishing,
withdrawing or a new check changes it. The ETag also names the language and the visitor
(a signed-in person's header differs), so a cached page is never served to somebody else.
Only an ETag is sent: a Last-Modified date would miss a withdrawal (the newest date stays).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.db.models import Max
from django.http import HttpRequest
from django.utils.translation import get_language
from django.views.decorators.http import condition

from steward.catalogue.models import CatalogueEntry
from steward.quality.models import CheckRun


def catalogue_etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    """A strong validator of everything the public side shows, for this visitor and language."""
    # Two queries, so each can use an index alone (COUNT(*) and MAX over published_at).
    count = CatalogueEntry.objects.count()
    latest = CatalogueEntry.objects.aggregate(latest=Max("published_at"))["latest"]
    checked = CheckRun.objects.aggregate(latest=Max("finished_at"))["latest"]
    user = getattr(request, "user", None)
    visitor = user.pk if user is not None and user.is_authenticated else 0
    seed = "|".join(
        str(part)
        for part in (
            count,
            latest,
            checked,
            get_language(),
            visitor,
        )
    )
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]


def conditional(view: Callable[..., Any]) -> Callable[..., Any]:
    """The view answers with an ETag, and 304 to a matching If-None-Match (GET and HEAD)."""
    return condition(etag_func=catalogue_etag)(view)
