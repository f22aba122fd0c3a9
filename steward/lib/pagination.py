"""One page of a list: the one home for paging every API list (and the sizes pages use).

Every API list answers `{"count", "page", "pages", "page_size", "page_size_capped", "items"}`
(the shape `/api/inventory/items` uses too):

- `page` counts from 1 and `page_size` is `DEFAULT_PAGE_SIZE` (100) unless asked; both must be
  at least 1, or the request is 422 with the reason (the bounds are in the parameter types);
- a `page_size` over `MAX_PAGE_SIZE` (500) is capped to it and `page_size_capped` is true;
- a page past the last one is 404 with a sentence saying how many pages there are; page 1 of
  an empty list is an empty page (count 0), never a 404.

`count` is the number of rows matching the filters, the same on every page.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from django.core.paginator import Page as DjangoPage
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.responses import NinjaJSONEncoder

from steward.lib.bounds import MAX_ID

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500

#: A page number: from 1 (0 or less is 422).
PageNumber = Annotated[int, Field(ge=1, le=MAX_ID, description="Page number, from 1.")]
#: Rows to a page: from 1; over MAX_PAGE_SIZE is capped (and the answer says so).
PageSize = Annotated[
    int,
    Field(
        ge=1,
        description=f"Rows to a page: {DEFAULT_PAGE_SIZE} by default, at most {MAX_PAGE_SIZE} "
        "(a larger one is capped and page_size_capped says so).",
    ),
]

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    count: int
    number: int
    pages: int
    size: int
    size_capped: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "page": self.number,
            "pages": self.pages,
            "page_size": self.size,
            "page_size_capped": self.size_capped,
            "items": self.items,
        }


class PageOut(Schema):
    """The fields every paged API answer carries beside its `items`."""

    count: int = Field(description="Rows matching the filters, the same on every page.")
    page: int
    pages: int = Field(description="How many pages there are (at least 1).")
    page_size: int
    page_size_capped: bool = Field(
        description="The page_size asked for was over the cap; page_size rows were given."
    )


def page_of(
    rows: QuerySet[Any] | Sequence[T],
    *,
    number: int = 1,
    size: int = DEFAULT_PAGE_SIZE,
    count: int | None = None,
) -> Page[Any]:
    """Page `number` (from 1) of `rows`, `size` to a page, capped at MAX_PAGE_SIZE.

    One COUNT and one sliced SELECT for a queryset (no COUNT when the caller knows a cheaper
    one and passes `count`). Raises Http404 (with how many pages there are) for a page past
    the last; callers' parameter types refuse a number or size below 1.
    """
    if number < 1 or size < 1:  # the parameter types refuse these first; kept for callers
        raise ValueError("page and page_size start at 1")
    capped = size > MAX_PAGE_SIZE
    size = min(size, MAX_PAGE_SIZE)
    if count is None:
        count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    pages = max(1, -(-count // size))
    if number > pages:
        raise Http404(
            _("Page %(number)d is past the end: there are %(pages)d pages of %(size)d.")
            % {"number": number, "pages": pages, "size": size}
        )
    start = (number - 1) * size
    return Page(
        items=list(rows[start : start + size]),
        count=count,
        number=number,
        pages=pages,
        size=size,
        size_capped=capped,
    )


def json_page(page: Page[Any]) -> HttpResponse:
    """`page` as the JSON answer, its items written as they are (plain rows from `.values()`,
    already of the item schema's fields and types): the fast path of the longest lists.

    django-ninja checks each item of an answer through its schema's getter, about 40 µs a
    row, which for a page of 500 datasets was half the answer's time. An operation returning
    this keeps its `response=` schema for the documentation; `tests/test_pagination.py`
    checks that the fast pages say exactly what the schema would.
    """
    return HttpResponse(
        json.dumps(page.as_dict(), cls=NinjaJSONEncoder), content_type="application/json"
    )


#: Rows to a page on the HTML pages (lists of datasets, outbox entries, check results).
PAGE_ROWS = 50


def page_rows(
    rows: QuerySet[Any],
    request: HttpRequest,
    param: str = "page",
    size: int = PAGE_ROWS,
    *,
    count: int | None = None,
    keys_first: bool = False,
) -> DjangoPage[Any]:
    """Page `request.GET[param]` of `rows` for an HTML list (one COUNT, one sliced SELECT;
    no COUNT when the caller already knows it and passes `count`).

    `keys_first`: for wide rows (select_related of large records) in an order no index
    gives, the database sorts only the keys, then the page's rows are read by key (one query
    more). SQLite sorts whole result rows: the publishing page's 5,000 refused entries at
    50,000 datasets went from 36 to 13 ms a list (docs/benchmarks.md).

    A page number that is not a number, below 1 or past the end shows the nearest page (the
    first or the last), as Django's `Paginator.get_page` does, and `page.asked_for` keeps
    what was asked so the pager says that page does not exist; the template shows the total
    (`page.paginator.count`) and "page n of m".
    """
    paginator = Paginator(rows.values_list("pk", flat=True) if keys_first else rows, size)
    if count is not None:
        paginator.count = count  # type: ignore[misc]  # a cached_property, primed
    asked = request.GET.get(param)
    try:
        below_first = int(asked or 1) < 1
    except ValueError:
        below_first = False
    # Django's get_page shows the last page for any number out of range; below 1 is nearer 1.
    page = paginator.get_page(1 if below_first else asked)
    page.asked_for = asked if _other_page(asked, page.number) else ""  # type: ignore[attr-defined]
    if keys_first:
        keys = list(page.object_list)
        found = {row.pk: row for row in rows.order_by().filter(pk__in=keys)}
        page.object_list = [found[key] for key in keys if key in found]
    return page


def _other_page(asked: str | None, number: int) -> bool:
    """Was a page asked for that is not the one shown (not a number, or out of range)?"""
    if not asked:
        return False
    try:
        return int(asked) != number
    except ValueError:
        return True
