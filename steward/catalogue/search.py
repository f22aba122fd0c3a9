"""Search over the public catalogue: the one implementation the pages and the CKAN API share.

Chinese has no spaces to split words on, so a term is found as a substring of the entry's
`search_text` (title, description, 主要欄位說明 and keywords, lower-cased): 「投保薪資」 finds
「勞工保險投保薪資分級表」. Several terms must all match (AND), `OR` separates alternatives,
quotes keep a phrase together.

An index finds the candidates without reading every entry. Each run of letters and digits in
the search text is cut into its characters and overlapping character pairs (`tokens`:
「勞工保險」 → 勞工 工保 保險 勞 工 保 險), stored in `SearchRow.search_tokens`; a term is then
the pairs of its own runs (one character: the character itself), so a term of one or two
characters (「勞」, 「勞保」) is found by the index as surely as a long one. SQLite keeps the
tokens in an FTS5 table (`catalogue_search_fts`, ascii tokenizer, kept by triggers), where a
term's pairs are a phrase (adjacent, in order: exactly the substring, since a `RUN_BREAK`
token between two runs keeps a phrase from spanning them); PostgreSQL keeps them
as a `tsvector` (one lexeme per token) with a GIN index, whose candidates (every pair present)
are checked with a LIKE on `search_text` wherever pairs alone do not prove the substring. Both
answer the same rows (`tests/test_search.py` runs the same queries on each).

Nothing a visitor types reaches SQL as syntax: tokens are letters and digits only, given as
bound parameters (quoted inside FTS5's query, where they cannot contain a quote), and LIKE's
wildcards are escaped by Django. A term with no letter or digit (「、」, `%`) is ignored.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Case,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)

from steward.catalogue import snapshot
from steward.catalogue.models import CatalogueEntry, SearchRow
from steward.datasets.standard import CATEGORY_CODES
from steward.organisations.models import Organisation
from steward.quality.checks.scores import Mark, mark_words

QUERY_MAX_CHARS = 500
#: Filter (CKAN's fq) and facet names, and what each filters on.
FILTER_FIELDS = (
    "organization",
    "groups",
    "res_format",
    "license_id",
    "tags",
    "update_frequency",
    "quality_mark",
    "openness_stars",
)
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


_RUN = re.compile(r"[^\W_]+")
#: A token between two runs' pairs in `search_tokens`, so that no phrase of pairs spans two
#: runs (「投保、保薪」 is not 「投保薪」). Three letters: never a pair or a single character, so
#: no term finds it.
RUN_BREAK = "brk"
FTS_TABLE = "catalogue_search_fts"


def _runs(text: str) -> list[str]:
    """The runs of letters and digits in a text, lower-cased."""
    return _RUN.findall(text.lower())


def _pairs(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str) -> str:
    """What the index holds for a text: every run's character pairs in order, a
    `RUN_BREAK` between two runs, then its distinct single characters, separated by spaces
    (`search_tokens`)."""
    runs = _runs(text)
    pairs = f" {RUN_BREAK} ".join(" ".join(run_pairs) for run in runs if (run_pairs := _pairs(run)))
    singles = dict.fromkeys(char for run in runs for char in run)
    return " ".join([pairs, *singles] if pairs else singles)


@dataclass(frozen=True)
class _Term:
    """One search term: what the index looks for, and whether a LIKE must confirm it."""

    text: str
    runs: tuple[str, ...]

    @property
    def exact_by_index(self) -> dict[str, bool]:
        """Per database: whether the index alone proves the substring (no LIKE needed)."""
        one_run = self.runs == (self.text,)  # letters and digits only, nothing around them
        return {"sqlite": one_run, "postgresql": one_run and len(self.runs[0]) <= 2}

    def fts(self) -> str:
        """The term as an FTS5 query: each run a phrase of its pairs (or its one character)."""
        phrases = [f'"{" ".join(_pairs(run)) or run}"' for run in self.runs]
        return " AND ".join(phrases)

    def array(self) -> list[str]:
        return [token for run in self.runs for token in (_pairs(run) or [run])]


def _terms(group: list[str]) -> list[_Term]:
    return [_Term(term, tuple(runs)) for term in group if (runs := _runs(term))]


def _index_match(terms: list[_Term], vendor: str) -> snapshot.IndexCondition:
    """The entries the index finds for every term of one group."""
    if vendor == "postgresql":
        lexemes = sorted({token for term in terms for token in term.array()})
        tsquery = " & ".join(f"'{lexeme}'" for lexeme in lexemes)  # letters and digits only
        return snapshot.IndexCondition(
            '"catalogue_searchrow"."search_tokens" @@ %s::tsquery',
            'SELECT entry_id FROM "catalogue_searchrow" WHERE search_tokens @@ %s::tsquery',
            [tsquery],
        )
    return _fts_match(" AND ".join(term.fts() for term in terms))


def _fts_match(query: str) -> snapshot.IndexCondition:
    ids = f"SELECT rowid AS entry_id FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
    return snapshot.IndexCondition(f'"catalogue_searchrow"."entry_id" IN ({ids})', ids, [query])


def query_filter(groups: list[list[str]], vendor: str) -> Q:
    """Entries matching any group, each matching every term of its group (as substrings)."""
    all_groups = [terms for group in groups if (terms := _terms(group))]
    exact = all(term.exact_by_index.get(vendor, False) for terms in all_groups for term in terms)
    if vendor == "sqlite" and exact and all_groups:  # FTS5 answers the whole query
        return Q(_fts_match(" OR ".join(
            f"({' AND '.join(term.fts() for term in terms)})" for terms in all_groups
        )))  # fmt: skip
    combined = Q()
    for terms in all_groups:
        all_terms = Q(_index_match(terms, vendor))
        for term in terms:
            if not term.exact_by_index.get(vendor, False):
                all_terms &= Q(search_text__contains=term.text)
        combined |= all_terms
    return combined


#: Relevance: what a term is worth where it is found; a match scores the sum over its terms.
TITLE_WEIGHT, TAGS_WEIGHT, ANYWHERE_WEIGHT = 10, 5, 1


def ranking_terms(groups: list[list[str]]) -> list[str]:
    """The distinct terms relevance counts (those of every group), in a fixed order."""
    return sorted({term for group in groups for term in group})


def score(terms: list[str]) -> Any:
    """Relevance in SQL: a term in the title counts most, then in the keywords, then elsewhere
    (for the orders the snapshot does not rank: `ranked_entries` is the same rule in memory)."""
    total: Any = Value(0)
    for term in terms:
        total = total + Case(
            When(title__icontains=term, then=Value(TITLE_WEIGHT)),
            default=Value(0),
            output_field=IntegerField(),
        )
        total = total + Case(
            When(tags__icontains=term, then=Value(TAGS_WEIGHT)),
            default=Value(0),
            output_field=IntegerField(),
        )
        total = total + Value(ANYWHERE_WEIGHT)
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


def apply_filter(entries: QuerySet[SearchRow], item: Filter) -> QuerySet[SearchRow]:
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
    if item.field == "quality_mark":
        codes = [mark.value for mark in Mark if value in (mark.value, mark.label)]
        return entries.filter(quality_mark__in=codes)
    if item.field == "openness_stars":
        stars = value.removesuffix("星").strip()
        known = stars.isascii() and stars.isdigit() and len(stars) == 1
        return entries.filter(stars=int(stars)) if known else entries.none()
    return entries.filter(update_frequency=value)  # update_frequency


def find(
    rows: QuerySet[SearchRow], q: str, filters: list[Filter]
) -> tuple[QuerySet[SearchRow], list[str]]:
    """The search rows matching q and every filter, annotated with `score`; and the terms
    relevance counts (none: q had no terms). Count and facets with `count_and_facets`, the
    first page by relevance with `ranked_entries`, any other order with `entries_of`."""
    check_query(q)
    groups = parse_query(q)
    for item in filters:
        rows = apply_filter(rows, item)
    groups = [group for group in groups if _terms(group)]
    if groups:
        rows = rows.filter(query_filter(groups, connections[rows.db].vendor))
    terms = ranking_terms(groups)
    return rows.annotate(score=score(terms)), terms


def entries_of(rows: QuerySet[SearchRow]) -> list[CatalogueEntry]:
    """The entries of these (ordered, sliced) search rows, in their order."""
    return entries_by_id(list(rows.values_list("entry_id", flat=True)))


def entries_by_id(ids: list[int]) -> list[CatalogueEntry]:
    """The entries of these ids, in this order."""
    entries = CatalogueEntry.objects.select_related("agency").in_bulk(ids)
    return [entries[pk] for pk in ids if pk in entries]


def matches_of(rows: QuerySet[SearchRow]) -> snapshot.Matches:
    """The rows a search found (`find`), counted and ranked in memory (`snapshot.py`)."""
    try:
        return snapshot.matches(rows)
    except EmptyResultSet:  # a filter no row can pass (`none()`)
        return snapshot.nothing(rows.db)


def ranked_entries(
    matches: snapshot.Matches, terms: list[str], skip: int, take: int
) -> list[CatalogueEntry]:
    """`take` entries after `skip` in the default order: by relevance (`score`'s weights;
    without terms every match scores the same), then newest first, then by identifier."""
    weights = [(column, term, weight) for term in terms
               for column, weight in (("title", TITLE_WEIGHT), ("tags", TAGS_WEIGHT))]  # fmt: skip
    return entries_by_id(matches.ranked(weights, skip, take))


#: Each facet's column in `SearchRow`.
_FACET_COLUMNS = {
    "organization": "agency_id",
    "groups": "category_code",
    "license_id": "licence",
    "update_frequency": "update_frequency",
    "res_format": "formats",
    "tags": "tags",
    "quality_mark": "quality_mark",
    "openness_stars": "stars",
}


def _facet_names(
    field: str, value: str, agencies: dict[int, Organisation]
) -> list[tuple[str, str]]:
    """The (name, display name) pairs one column value counts towards."""
    if not value:
        return []
    if field == "organization":
        agency = agencies[int(value)]
        return [((agency.agency_code or agency.key).lower(), agency.name)]
    if field == "quality_mark":
        label = mark_words(value)
        return [(label, label)]
    if field == "openness_stars":
        return [(value, f"{value} 星")]
    if field == "groups":
        return [(value.lower(), CATEGORY_CODES.get(value, value))]
    if field == "license_id":
        return [(licence_id(value), value)]
    if field == "update_frequency":
        return [(value, value)]
    separator = "," if field == "res_format" else "\n"
    return [(part, part) for part in {p for p in value.split(separator) if p}]


def count_and_facets(
    rows: QuerySet[SearchRow] | snapshot.Matches, fields: list[str], limit: int
) -> tuple[int, dict[str, list[tuple[str, str, int]]]]:
    """The number of rows, and (name, display name, count) per facet over them, most first.

    Counted in memory (`snapshot.py`): the database is asked for the matches' ids only.
    """
    matches = rows if isinstance(rows, snapshot.Matches) else matches_of(rows)
    counted = {column: matches.counts(column) for column in {_FACET_COLUMNS[f] for f in fields}}
    agencies: dict[int, Organisation] = {}
    if "organization" in fields:
        agencies = Organisation.objects.in_bulk([int(v) for v in counted["agency_id"]])
    result: dict[str, list[tuple[str, str, int]]] = {}
    for field in fields:
        counts: Counter[str] = Counter()
        names: dict[str, str] = {}
        for value, n in counted[_FACET_COLUMNS[field]].items():
            for name, display in _facet_names(field, value, agencies):
                counts[name] += n
                names[name] = display
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
        result[field] = [(name, names[name], n) for name, n in ordered]
    return matches.total, result
