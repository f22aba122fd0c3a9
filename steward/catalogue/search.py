"""Search over the public catalogue: the one implementation the pages and the CKAN API share.

Chinese has no spaces to split words on, so terms are plain substrings of the entry's
`search_text` (title, description, 主要欄位說明 and keywords, lower-cased): 「投保薪資」 finds
「勞工保險投保薪資分級表」. Several terms must all match (AND), `OR` separates alternatives,
quotes keep a phrase together. Nothing a visitor types reaches SQL as syntax: every term is a
bound parameter of a LIKE, with LIKE's own wildcards escaped by Django.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from steward.catalogue.models import CatalogueEntry
from steward.datasets.standard import CATEGORY_CODES

QUERY_MAX_CHARS = 500
#: Filter (CKAN's fq) and facet names, and what each filters on.
FILTER_FIELDS = ("organization", "groups", "res_format", "license_id", "tags", "update_frequency")
_LICENCE_IDS = {"政府資料開放授權條款-第1版": "OGDL-Taiwan-1.0"}
_TOKEN = re.compile(r'"([^"]*)"|(\S+)')
_FQ_ITEM = re.compile(r'(\+?)([\w.]+):("([^"]*)"|\S+)')


class SearchError(Exception):
    """A search parameter that cannot be read: which one, and why (English, for the API)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Filter:
    """One filter: a FILTER_FIELDS name and the value it must have."""

    field: str
    value: str


def without_nul(text: str) -> str:
    """The text without NUL characters, which PostgreSQL refuses in any text parameter."""
    return text.replace("\x00", "")


def licence_id(licence: str) -> str:
    """CKAN's licence id for a licence title (the Taiwan OGDL), or the title itself."""
    return _LICENCE_IDS.get(licence.strip(), licence.strip())


def check_query(q: str) -> None:
    if len(q) > QUERY_MAX_CHARS:
        raise SearchError("q", f"q: at most {QUERY_MAX_CHARS} characters, not {len(q)}")


def parse_query(q: str) -> list[list[str]]:
    """A q string as OR-groups of AND-terms: `勞保 投保薪資 OR "職業 災害"`.

    Terms are matched as plain substrings (Chinese has no spaces to split on): quotes keep a
    phrase together, a trailing `*` is dropped (every term is a substring already), `AND` is
    the default, `OR` separates alternatives, and `*:*` or nothing means every dataset. No
    character has a meaning to the database: search text never reaches SQL as syntax.
    """
    q = without_nul(q).strip()
    if not q or q == "*:*":
        return []
    groups: list[list[str]] = [[]]
    for phrase, word in _TOKEN.findall(q):
        term = (phrase if phrase else word).strip().strip("*").lower()
        if word == "OR":
            groups.append([])
        elif word in ("AND", "&&") or not term:
            continue
        else:
            groups[-1].append(term)
    return [group for group in groups if group]


def query_filter(groups: list[list[str]]) -> Q:
    combined = Q()
    for group in groups:
        all_terms = Q()
        for term in group:
            all_terms &= Q(search_text__contains=term)
        combined |= all_terms
    return combined


def score(groups: list[list[str]]) -> Any:
    """Relevance: a term in the title counts most, then in the keywords, then elsewhere."""
    total: Any = Value(0)
    for term in {term for group in groups for term in group}:
        total = total + Case(
            When(title__icontains=term, then=Value(10)),
            default=Value(0),
            output_field=IntegerField(),
        )
        total = total + Case(
            When(tags__icontains=term, then=Value(5)), default=Value(0), output_field=IntegerField()
        )
        total = total + Value(1)
    return total


def parse_fq(fq: str) -> list[Filter]:
    """`organization:a17010000j res_format:CSV tags:"投保 薪資"` as filters; unknown fields refused."""
    filters = []
    for match in _FQ_ITEM.finditer(fq or ""):
        field, raw, quoted = match.group(2), match.group(3), match.group(4)
        if field not in FILTER_FIELDS:
            raise SearchError(
                "fq", f"fq: unknown field {field!r}; known fields: {', '.join(FILTER_FIELDS)}"
            )
        filters.append(Filter(field, quoted if quoted is not None else raw))
    rest = _FQ_ITEM.sub("", fq or "").strip()
    if rest:
        raise SearchError("fq", f"fq: cannot read {rest[:40]!r}; write field:value pairs")
    return filters


def apply_filter(entries: QuerySet[CatalogueEntry], item: Filter) -> QuerySet[CatalogueEntry]:
    value = without_nul(item.value)
    if item.field == "organization":
        return entries.filter(Q(agency__agency_code__iexact=value) | Q(agency__key__iexact=value))
    if item.field == "groups":
        return entries.filter(category_code__iexact=value)
    if item.field == "res_format":
        return entries.filter(formats__contains=f",{value.upper()},")
    if item.field == "license_id":
        titles = [t for t, i in _LICENCE_IDS.items() if i == value] or [value]
        return entries.filter(licence__in=titles)
    if item.field == "tags":
        return entries.filter(tags__contains=f"\n{value}\n")
    return entries.filter(update_frequency=value)  # update_frequency


def find(
    entries: QuerySet[CatalogueEntry], q: str, filters: list[Filter]
) -> tuple[QuerySet[CatalogueEntry], bool]:
    """The entries matching q and every filter, annotated with `score`; and whether q had terms."""
    check_query(q)
    groups = parse_query(q)
    for item in filters:
        entries = apply_filter(entries, item)
    if groups:
        entries = entries.filter(query_filter(groups))
    return entries.annotate(score=score(groups)), bool(groups)


_FACET_COLUMNS = {
    "organization": ("agency__agency_code", "agency__key", "agency__name"),
    "groups": ("category_code",),
    "license_id": ("licence",),
    "update_frequency": ("update_frequency",),
    "res_format": ("formats",),
    "tags": ("tags",),
}


def _facet_names(field: str, values: tuple[str, ...]) -> list[tuple[str, str]]:
    """The (name, display name) pairs one row's column values count towards."""
    if field == "organization":
        code, key, title = values
        return [((code or key).lower(), title)]
    value = values[0]
    if not value:
        return []
    if field == "groups":
        return [(value.lower(), CATEGORY_CODES.get(value, value))]
    if field == "license_id":
        return [(licence_id(value), value)]
    if field == "update_frequency":
        return [(value, value)]
    separator = "," if field == "res_format" else "\n"
    return [(part, part) for part in {p for p in value.split(separator) if p}]


def facets(
    entries: QuerySet[CatalogueEntry], fields: list[str], limit: int
) -> dict[str, list[tuple[str, str, int]]]:
    """(name, display name, count) per facet over the filtered entries, most first.

    One GROUP BY over every facet's columns: the database scans the matches once and returns
    only the distinct combinations, which are then counted per facet here.
    """
    if not fields:
        return {}
    columns = [column for field in fields for column in _FACET_COLUMNS[field]]
    counts: dict[str, Counter[str]] = {field: Counter() for field in fields}
    names: dict[str, dict[str, str]] = {field: {} for field in fields}
    grouped = entries.order_by().values_list(*columns).annotate(n=Count("pk"))
    for row in grouped:
        position = 0
        for field in fields:
            width = len(_FACET_COLUMNS[field])
            for name, display in _facet_names(field, row[position : position + width]):
                counts[field][name] += row[-1]
                names[field][name] = display
            position += width
    return {
        field: [
            (name, names[field][name], n)
            for name, n in sorted(counts[field].items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        ]
        for field in fields
    }
