"""What search counts and ranks in memory: each search row's facet values, title and keywords,
held per process while the search rows stay as they were (`SearchVersion`'s token).

The database finds the matches (its index, the filters); everything a search then reads of
every match (the total, the facets, the order by relevance) is done here on bit sets, so a
search that matches most of a 50,000-dataset catalogue costs the reading of its ids and
a few big-integer ANDs, not seven GROUP BYs and a sort over 50,000 rows.

Each row has a position: its place in the catalogue's newest-first order (`-published_at`,
`identifier`). A set of rows is a Python integer whose bit `p` is set for the row at
position `p`. Each facet value keeps the set of rows that have it; the count of a value
among the matches is `(matches & value).bit_count()`. Relevance (`search.score`'s weights)
splits the matches into groups of equal score with the sets of rows whose title, or whose
keywords, hold each term; within a group the lowest positions are the newest. Keywords
(`tags`), with thousands of values, are counted by reading the matches' rows instead.

The snapshot is rebuilt (one read of the search rows, 0.2–0.4 s at 50,000) by the first
search after any write, in each process; triggers change the token in the writing transaction
(`search_index.py`), so no write is missed, a cascade and a bulk load included.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import connections, transaction
from django.db.models import QuerySet

from steward.catalogue.models import SearchRow, SearchVersion

#: The single-valued facet columns kept as sets of rows.
SINGLE = ("agency_id", "category_code", "licence", "update_frequency", "quality_mark", "stars")
#: Multi-valued columns and their separators (as `CatalogueEntry.formats` / `.tags`).
SEPARATORS = {"formats": ",", "tags": "\n"}
_ONE = re.compile("1")


@dataclass
class Snapshot:
    """The search rows of one database at one version, in newest-first order."""

    token: str
    ids: list[int]
    position: dict[int, int]
    titles: list[str]
    tags: list[str]
    #: Per column, each value's set of rows (formats: each format; tags: not kept as sets).
    sets: dict[str, dict[str, int]]
    tag_lists: list[tuple[str, ...]]
    _terms: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def everything(self) -> int:
        return (1 << len(self.ids)) - 1

    def containing(self, column: str, term: str) -> int:
        """The rows whose title (or keywords) hold `term` (lower-case), remembered."""
        key = (column, term)
        if key not in self._terms:
            texts = self.titles if column == "title" else self.tags
            self._terms[key] = _bits(p for p, text in enumerate(texts) if term in text)
        return self._terms[key]


def _bits(positions: Iterator[int] | list[int]) -> int:
    ordered = list(positions)
    if not ordered:
        return 0
    buffer = bytearray(max(ordered) // 8 + 1)
    for p in ordered:
        buffer[p >> 3] |= 1 << (p & 7)
    return int.from_bytes(buffer, "little")


def positions(bits: int, skip: int = 0, take: int | None = None) -> list[int]:
    """The positions of the set bits, lowest first, after `skip` of them, at most `take`."""
    if not bits:
        return []
    reversed_binary = bin(bits)[:1:-1]  # bit 0 first
    found = (match.start() for match in _ONE.finditer(reversed_binary))
    return list(islice(found, skip, None if take is None else skip + take))


def _version(alias: str) -> str:
    return SearchVersion.objects.using(alias).values_list("token", flat=True).first() or ""


def _build(alias: str) -> Snapshot:
    token = _version(alias)  # first: rows written after it make the next search rebuild
    columns = ["entry_id", "title", "tags", "formats", *SINGLE]
    rows = (
        SearchRow.objects.using(alias).order_by("-published_at", "identifier").values_list(*columns)
    )
    ids: list[int] = []
    titles: list[str] = []
    tags: list[str] = []
    tag_lists: list[tuple[str, ...]] = []
    members: dict[str, dict[str, list[int]]] = {column: {} for column in ("formats", *SINGLE)}
    for p, (entry_id, title, tag_text, formats, *single) in enumerate(rows.iterator(2000)):
        ids.append(entry_id)
        titles.append(title.lower())
        tags.append(tag_text.lower())
        tag_lists.append(tuple(t for t in tag_text.split(SEPARATORS["tags"]) if t))
        for name in {f for f in formats.split(SEPARATORS["formats"]) if f}:
            members["formats"].setdefault(name, []).append(p)
        for column, value in zip(SINGLE, single, strict=True):
            if value is not None and value != "":
                members[column].setdefault(str(value), []).append(p)
    sets = {
        column: {value: _bits(each) for value, each in values.items()}
        for column, values in members.items()
    }
    return Snapshot(
        token=token,
        ids=ids,
        position={entry_id: p for p, entry_id in enumerate(ids)},
        titles=titles,
        tags=tags,
        sets=sets,
        tag_lists=tag_lists,
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


def _match_ids(rows: QuerySet[SearchRow]) -> list[int]:
    """The entry ids of the matching rows, from the database's index and filters."""
    sql, params = rows.order_by().values_list("entry_id").query.sql_with_params()
    connection = connections[rows.db]
    with transaction.atomic(using=rows.db, savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner costs the tsvector test of a sequential scan too low: for a term in
            # most rows it scans (66 ms at 50,000) where the GIN bitmap takes 17 ms
            # (EXPLAIN ANALYZE in docs/benchmarks.md). Only for this statement.
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(sql, params)
        found = [entry_id for (entry_id,) in cursor.fetchall()]
        if connection.vendor == "postgresql":
            cursor.execute("RESET enable_seqscan")
    return found


@dataclass
class Matches:
    """The rows a search found, as a set of positions of the snapshot."""

    snapshot: Snapshot
    bits: int

    @property
    def total(self) -> int:
        return self.bits.bit_count()

    def counts(self, column: str) -> Counter[str]:
        """How many matches have each value of a facet column."""
        if column == "tags":
            counted: Counter[str] = Counter()
            lists = self.snapshot.tag_lists
            for p in positions(self.bits):
                counted.update(lists[p])
            return counted
        return Counter(
            {
                value: n
                for value, members in self.snapshot.sets[column].items()
                if (n := (self.bits & members).bit_count())
            }
        )

    def ranked(self, weights: list[tuple[str, str, int]], skip: int, take: int) -> list[int]:
        """Entry ids of the matches by score (the sum of the weights of each (column, term,
        weight) whose column holds the term), then newest first: `take` after `skip`."""
        groups = {0: self.bits}
        for column, term, weight in weights:
            holding = self.snapshot.containing(column, term)
            split: dict[int, int] = {}
            for score, members in groups.items():
                for value, part in (
                    (score + weight, members & holding),
                    (score, members & ~holding),
                ):
                    if part:
                        split[value] = split.get(value, 0) | part
            groups = split
        found: list[int] = []
        for _score, members in sorted(groups.items(), reverse=True):
            size = members.bit_count()
            if skip >= size:
                skip -= size
                continue
            found += positions(members, skip, take - len(found))
            skip = 0
            if len(found) >= take:
                break
        return [self.snapshot.ids[p] for p in found]


def matches(rows: QuerySet[SearchRow]) -> Matches:
    """The matches of a search's rows (a filtered queryset): read from the database only if a
    filter or a query narrows them."""
    snapshot = current(rows.db)
    if not rows.query.where:
        return Matches(snapshot, snapshot.everything)
    found = _match_ids(rows)
    if any(entry_id not in snapshot.position for entry_id in found):
        snapshot = current(rows.db, rebuild=True)  # written since the token was read
    where = snapshot.position
    return Matches(snapshot, _bits(where[e] for e in found if e in where))
