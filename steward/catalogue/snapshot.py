"""What search counts and ranks in memory: each search row's facet values, title and keywords,
held per process while the search rows stay as they were (`SearchVersion`'s token).

The database finds the matches (its index, the filters) and answers their ids as one
string; everything a search then reads of every match (the total, the facets, the order by
relevance) is done here on numpy arrays, so a search that matches most of a 50,000-dataset
catalogue costs the reading of its ids and a few vector operations, not seven GROUP BYs and
a sort of 50,000 rows in the database.

Each row has a position: its place in the catalogue's newest-first order (`-published_at`,
`identifier`). The matches are a boolean array over positions. Each facet column is an array
of value codes per position (formats and keywords, several per row, a pair of arrays: the
position and the code of each occurrence), so a facet is one `bincount` of the matches' codes.
Relevance adds `search.score`'s weights over arrays saying whose title, or keywords, hold each
term; ties keep the newest-first order of the positions. (Titles and keywords are compared
lower-cased, as PostgreSQL's `icontains` does; SQLite's LIKE folds ASCII letters only, so for
a cased non-ASCII letter the SQL sorts of the CKAN API may rank differently.)

The snapshot is rebuilt (one read of the search rows: 77 ms at 5,000, 0.6–0.9 s at 50,000 on
a loaded machine) by the first search after any write, in each process; triggers change the token in the writing transaction
(`search_index.py`), so no write is missed, a cascade and a bulk load included.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connections, transaction
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND

from steward.catalogue.models import SearchRow, SearchVersion

#: The single-valued facet columns.
SINGLE = ("agency_id", "category_code", "licence", "update_frequency", "quality_mark", "stars")
#: Multi-valued columns and their separators (as `CatalogueEntry.formats` / `.tags`).
SEPARATORS = {"formats": ",", "tags": "\n"}
Array = np.ndarray[Any, Any]
#: How many (column, term) arrays a snapshot remembers.
TERMS_HELD = 128
_terms_lock = threading.Lock()


class IndexCondition(RawSQL):
    """A search's condition on the index alone, with the statement that selects the ids it
    finds (`ids_sql`, an `entry_id` column) without reading the search rows: a search with no
    other condition reads its matches from the index only (on SQLite, the FTS5 table: 9 ms
    instead of 20 at 50,000 matches)."""

    def __init__(self, sql: str, ids_sql: str, params: list[Any]) -> None:
        super().__init__(sql, params, output_field=BooleanField())
        self.ids_sql = ids_sql


@dataclass
class Column:
    """One facet column: its values, and the code of each row's value (or of each occurrence,
    with `rows` giving the occurrence's position, for a multi-valued column). -1: none."""

    values: list[str]
    codes: Array
    rows: Array | None = None

    def count(self, matches: Array) -> dict[str, int]:
        chosen = self.codes[matches if self.rows is None else matches[self.rows]]
        counted = np.bincount(chosen[chosen >= 0], minlength=len(self.values))
        return {self.values[i]: int(counted[i]) for i in np.flatnonzero(counted)}


def _coded(values: list[Any]) -> Column:
    """A column of one value per row: the distinct values and each row's code (-1: none)."""
    coder: dict[Any, int] = {}
    codes = np.array([coder.setdefault(v, len(coder)) for v in values], np.int32)
    blank = [code for value, code in coder.items() if value is None or value == ""]
    if blank:
        codes[np.isin(codes, blank)] = -1
    return Column([str(value) for value in coder], codes)


def _split(texts: list[str], separator: str) -> Column:
    """A multi-valued column: each distinct part of each row, with its row's position."""
    where: list[int] = []
    parts: list[str] = []
    for p, text in enumerate(texts):
        if text:
            each = [part for part in dict.fromkeys(text.split(separator)) if part]
            where += [p] * len(each)
            parts += each
    column = _coded(parts)
    column.rows = np.array(where, np.int64)
    return column


@dataclass
class Snapshot:
    """The search rows of one database at one version, in newest-first order."""

    token: str
    ids: Array  # entry id by position
    sorted_ids: Array  # the ids in ascending order, and the position of each
    sorted_positions: Array
    titles: list[str]
    tags: list[str]
    columns: dict[str, Column]
    _terms: dict[tuple[str, str], Array] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.ids)

    def containing(self, column: str, term: str) -> Array:
        """Whether each row's title (or keywords) hold `term` (lower-case), remembered."""
        key = (column, term)
        with _terms_lock:  # threads of one process share the snapshot
            if key not in self._terms:
                if len(self._terms) >= TERMS_HELD:  # the oldest goes: 50 KB at 50,000 rows
                    del self._terms[next(iter(self._terms))]
                texts = self.titles if column == "title" else self.tags
                self._terms[key] = np.fromiter((term in text for text in texts), bool, self.size)
            return self._terms[key]

    def positions_of(self, ids: Array) -> tuple[Array, bool]:
        """The positions of these entry ids, and whether every id has one."""
        at = np.searchsorted(self.sorted_ids, ids)
        at[at >= self.size] = 0
        known = self.sorted_ids[at] == ids if self.size else np.zeros(len(ids), bool)
        return self.sorted_positions[at[known]], bool(known.all())


def _version(alias: str) -> str:
    return SearchVersion.objects.using(alias).values_list("token", flat=True).first() or ""


def _build(alias: str) -> Snapshot:
    token = _version(alias)  # first: rows written after it make the next search rebuild
    rows = (
        SearchRow.objects.using(alias)
        .order_by("-published_at", "identifier")
        .values_list("entry_id", "title", "tags", "formats", *SINGLE)
    )
    sql, params = rows.query.sql_with_params()
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        read = cursor.fetchall()
    ids, titles, tags, formats, *single = (list(each) for each in zip(*read, strict=True)) if read else [[] for _ in range(4 + len(SINGLE))]  # fmt: skip
    columns = {column: _coded(values) for column, values in zip(SINGLE, single, strict=True)}
    columns["formats"] = _split(formats, SEPARATORS["formats"])
    columns["tags"] = _split(tags, SEPARATORS["tags"])
    id_array = np.array(ids, np.int64)
    order = np.argsort(id_array, kind="stable")
    return Snapshot(
        token=token,
        ids=id_array,
        sorted_ids=id_array[order],
        sorted_positions=order,
        titles=[title.lower() for title in titles],
        tags=[text.lower() for text in tags],
        columns=columns,
    )


_held: dict[str, Snapshot] = {}
_lock = threading.Lock()


def current(alias: str, *, rebuild: bool = False) -> Snapshot:
    """This database's snapshot, rebuilt if its search rows changed since it was made."""
    token = _version(alias)
    with _lock:
        held = _held.get(alias)
        if rebuild or held is None or held.token != token:
            held = _held[alias] = _build(alias)
        return held


def _on_unindexed(condition: Any) -> bool:
    """Whether a condition is a lookup on a column without an index: `search_text` (a LIKE
    confirming a term) or `tags`, which alone would read every search row."""
    target = getattr(getattr(condition, "lhs", None), "target", None)
    return getattr(target, "name", None) in ("search_text", "tags")


def _statements(rows: QuerySet[SearchRow]) -> list[tuple[str, tuple[Any, ...]]]:
    """The statements whose ids, intersected, are the matching rows' ids.

    On SQLite a search whose only condition on the text is the index's reads the index alone
    (the FTS5 table) and its filters alone (a covering index of the search rows): joining the
    two reads a whole search row per match (39 ms for a filter over 50,000 matches, against
    8 + 4 ms apart). A filter on the keywords, which have no index, stays joined. On PostgreSQL the bitmap heap scan of the index tests the filters on the
    rows it reads anyway: one statement.
    """
    ids = rows.order_by().values_list("entry_id").query
    where = ids.where
    index = [
        child
        for child in where.children
        if isinstance(child, Exact) and isinstance(child.lhs, IndexCondition)  # filter(c): c = True
    ]
    unindexed = [child for child in where.children if _on_unindexed(child)]
    separable = where.connector == AND and not where.negated and len(index) == 1 and not unindexed
    if not separable or (connections[rows.db].vendor != "sqlite" and len(where.children) > 1):
        sql, params = ids.sql_with_params()
        return [(sql, tuple(params))]
    condition = index[0].lhs
    statements = [(condition.ids_sql, tuple(condition.params))]
    if len(where.children) > 1:
        filters = ids.clone()
        filters.where.children = [child for child in where.children if child is not index[0]]
        sql, params = filters.sql_with_params()
        statements.append((sql, tuple(params)))
    return statements


def _match_ids(rows: QuerySet[SearchRow]) -> Array:
    """The entry ids of the matching rows, from the database's index and filters, each
    statement's read as one comma-separated string (a row per id costs 0.3–0.6 µs each in
    Python: 20 ms at 50,000)."""
    connection = connections[rows.db]
    found: Array | None = None
    for inner, params in _statements(rows):
        if connection.vendor == "postgresql" and "search_tokens" in inner:
            with transaction.atomic(using=rows.db, savepoint=False), connection.cursor() as cursor:
                # The planner costs the tsvector test of a sequential scan too low: for a term
                # in most rows it scans (66 ms at 50,000) where the GIN bitmap takes 17 ms
                # (EXPLAIN ANALYZE in docs/benchmarks.md). Only for this statement.
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute(f"SELECT string_agg(entry_id::text, ',') FROM ({inner}) m", params)
                text = cursor.fetchone()[0]
                cursor.execute("RESET enable_seqscan")
        else:  # no transaction: on SQLite Django's would take the write lock (IMMEDIATE)
            joined = "string_agg(entry_id::text, ',')" if connection.vendor == "postgresql" else "group_concat(entry_id, ',')"  # fmt: skip
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {joined} FROM ({inner}) m", params)
                text = cursor.fetchone()[0]
        each = np.fromstring(text, dtype=np.int64, sep=",") if text else np.zeros(0, np.int64)
        found = each if found is None else np.intersect1d(found, each, assume_unique=True)
    return found if found is not None else np.zeros(0, np.int64)


@dataclass
class Matches:
    """The rows a search found, as a boolean array over the snapshot's positions."""

    snapshot: Snapshot
    found: Array

    @property
    def total(self) -> int:
        return int(np.count_nonzero(self.found))

    def counts(self, column: str) -> dict[str, int]:
        """How many matches have each value of a facet column."""
        return self.snapshot.columns[column].count(self.found)

    def ranked(self, weights: list[tuple[str, str, int]], skip: int, take: int) -> list[int]:
        """Entry ids of the matches by score (the sum of the weights of each (column, term,
        weight) whose column holds the term), then newest first: `take` after `skip`."""
        candidates = np.flatnonzero(self.found)  # positions, newest first
        if skip >= len(candidates) or take <= 0:
            return []
        score = np.zeros(len(candidates), np.int64)
        for column, term, weight in weights:
            score += weight * self.snapshot.containing(column, term)[candidates]
        key = (score.max() - score) * self.snapshot.size + candidates  # unique, lowest first
        end = min(skip + take, len(key))
        first = np.argpartition(key, end - 1)[:end] if end < len(key) else np.arange(end)
        first = first[np.argsort(key[first])][skip:end]
        return [int(i) for i in self.snapshot.ids[candidates[first]]]


def matches(rows: QuerySet[SearchRow]) -> Matches:
    """The matches of a search's rows (a filtered queryset): read from the database only if a
    filter or a query narrows them."""
    snapshot = current(rows.db)
    if not rows.query.where:
        return Matches(snapshot, np.ones(snapshot.size, bool))
    ids = _match_ids(rows)
    where, complete = snapshot.positions_of(ids)
    if not complete:  # written since the token was read
        snapshot = current(rows.db, rebuild=True)
        where, _complete = snapshot.positions_of(ids)  # the rest were deleted since
    found = np.zeros(snapshot.size, bool)
    found[where] = True
    return Matches(snapshot, found)


def nothing(alias: str) -> Matches:
    snapshot = current(alias)
    return Matches(snapshot, np.zeros(snapshot.size, bool))
