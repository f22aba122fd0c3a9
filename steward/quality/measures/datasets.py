"""Quality results per resource and per dataset within a period: what counts in which term."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, NamedTuple

from django.core.cache import cache
from django.db import connection
from django.db.models import Case, CharField, F, IntegerField, Q, QuerySet, Value, When, Window
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.lib.kept import Kept
from steward.organisations.models import Organisation
from steward.quality.measures.periods import Period
from steward.quality.models import CheckEntry, CheckResult, CheckRun, CheckState


class ResourceVerdict(NamedTuple):
    """The latest result of one resource in the period, with what counts against it (a
    named tuple, as `LatestResult`)."""

    key: str
    url: str
    state: str
    reason: str
    explanation: str
    run_id: int
    checked_at: datetime.datetime
    stars: int | None
    timely: bool | None
    lateness: str = ""  # why it is late (the timeliness check's explanation)
    mismatches: tuple[str, ...] = ()  # what of the metadata does not match

    @property
    def broken(self) -> bool:
        return self.state == CheckState.BROKEN

    @property
    def judged(self) -> bool:
        return self.state != CheckState.UNKNOWN

    @property
    def late(self) -> bool:
        return self.timely is False


@dataclass(frozen=True)
class Evidence:
    """One resource behind a dataset's count in a term, and why it counts."""

    resource: ResourceVerdict
    why: str


@dataclass(frozen=True)
class DatasetQuality:
    """One dataset's resources in the period, and the terms it counts in (each once)."""

    identifier: str
    title: str
    organisation_id: int | None
    resources: tuple[ResourceVerdict, ...]

    @property
    def judged(self) -> bool:
        """At least one resource was judged ok or broken (not only unknown)."""
        return any(r.judged for r in self.resources)

    @property
    def broken(self) -> bool:
        return any(r.broken for r in self.resources)

    @property
    def late(self) -> bool:
        return any(r.late for r in self.resources)

    @property
    def wrong_info(self) -> bool:
        return any(r.judged and r.mismatches for r in self.resources)

    @property
    def stars(self) -> int | None:
        """The best openness stars of the judged resources."""
        stars = [r.stars for r in self.resources if r.judged and r.stars is not None]
        return max(stars) if stars else None

    def evidence(self, term: str) -> tuple[Evidence, ...]:
        """The resources that put this dataset in `term`, each with why (for the pages)."""
        minimum = {"three_star": 3, "four_star": 4, "five_star": 5}.get(term)
        found = []
        for resource in self.resources:
            if term == "broken_links" and resource.broken:
                why = resource.explanation
            elif term == "not_timely" and resource.late:
                why = resource.lateness
            elif term == "wrong_info" and resource.judged and resource.mismatches:
                why = "；".join(resource.mismatches)
            elif minimum is not None and resource.judged and (resource.stars or 0) >= minimum:
                why = _("%(stars)s stars") % {"stars": resource.stars}
            elif term == "open_datasets":
                why = str(CheckState(resource.state).label)
            else:
                continue
            found.append(Evidence(resource, why))
        return tuple(found)

    def counts_in(self, term: str) -> bool:
        return self.terms[term]

    @cached_property
    def terms(self) -> dict[str, bool]:
        """Every term and whether the dataset counts in it, worked out once (a dashboard asks
        each dataset for each term of each measure: 24,000 times at 3,000 datasets)."""
        stars = self.stars or 0
        return {
            "not_timely": self.late,
            "broken_links": self.broken,
            "wrong_info": self.wrong_info,
            "three_star": stars >= 3,
            "four_star": stars >= 4,
            "five_star": stars >= 5,
            "open_datasets": self.judged,
        }


@dataclass(frozen=True)
class OpenDataset:
    """An open dataset (on the portal in the period) that has no result in it."""

    identifier: str
    title: str
    organisation_id: int


def _mismatches(result: LatestResult) -> tuple[str, ...]:
    """What of the metadata does not match what was found (wrong information)."""
    found: list[str] = []
    if result.format_verdict == "mismatch":
        found.append(
            _("format: declared %(declared)s, found %(found)s")
            % {"declared": result.declared_format or "—", "found": result.detected_format or "—"}
        )
    if result.encoding_matches is False:
        found.append(
            _("encoding: declared %(declared)s, found %(found)s")
            % {
                "declared": result.declared_encoding or "—",
                "found": result.detected_encoding or "—",
            }
        )
    if result.fields_match is False:
        found.append(_("the header does not match the field description (主要欄位說明)"))
    return tuple(found)


def covered_organisations(organisation: Organisation, *, include_subtree: bool) -> list[int]:
    """The organisation and its units; with `include_subtree`, everything below it (the rule
    is `evaluation.measuring.covered_ids`, which every KPI measure asks)."""
    from steward.evaluation.measuring import covered_ids

    return covered_ids(organisation, include_subtree=include_subtree)


class LatestResult(NamedTuple):
    """A resource's latest result within a period: the stored verdict's columns, the few
    values of its `details` the measures read (`DETAILS`), and `checked_at` and `run_id` of
    its latest check in the period.

    A named tuple: a ministry's dashboard makes 6,000 of them on each request, and a frozen
    dataclass of 22 fields took eight times as long to make.
    """

    pk: int
    key: str
    dataset_identifier: str
    organisation_id: int | None
    url: str
    title: str
    state: str
    reason: str
    explanation: str
    mark: str
    stars: int | None
    timely: bool | None
    detected_format: str
    detected_encoding: str
    format_verdict: str | None
    lateness: str | None  # why it is late (the timeliness check's explanation)
    declared_format: str | None
    declared_encoding: str | None
    encoding_matches: bool | None
    fields_match: bool | None
    checked_at: datetime.datetime
    run_id: int


#: The stored columns a `LatestResult` carries, in its order.
RESULT_COLUMNS = (
    "pk", "key", "dataset_identifier", "organisation_id", "url", "title", "state", "reason",
    "explanation", "mark", "stars", "timely", "detected_format", "detected_encoding",
)  # fmt: skip
#: What of a result's `details` the measures read, extracted by the database: decoding the
#: whole document in Python cost a dashboard more than its two queries' (bench/dashboard.py).
DETAILS = {
    "format_verdict": KT("details__checks__format__verdict"),
    "lateness": KT("details__checks__timeliness__explanation"),
    "declared_format": KT("details__declared__format"),
    "declared_encoding": KT("details__declared__encoding"),
    "encoding_matches": KT("details__encoding_matches"),
    "fields_match": KT("details__fields_match"),
}
#: Results are read by id in chunks of this many (one parameter each).
CHUNK = 5000
#: How many verdicts' columns a process keeps (about 1 KB each).
VERDICTS_KEPT = 50_000


#: Which check of a resource is its latest: the last checked, then the latest run.
LATEST_FIRST = [F("checked_at").desc(), F("run_id").desc()]


def _checked(
    organisations: Sequence[int], start: datetime.datetime, end: datetime.datetime
) -> QuerySet[CheckEntry]:
    """The checks in [start, end) of results of `organisations`: a verdict is stored once
    and each run that checks it adds a `CheckEntry` (run, result, time)."""
    return CheckEntry.objects.filter(
        result__organisation_id__in=list(organisations),
        checked_at__gte=start,
        checked_at__lt=end,
    )


def _boolean(value: Any) -> bool | None:
    """A JSON boolean as the database extracts it as text: "true", "false", or "null" (SQLite)
    and NULL (PostgreSQL) for JSON's null."""
    if value is None or value == "null":
        return None
    return value in (True, 1, "true", "1")


def _read_verdicts(ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """The stored columns and `DETAILS` of results `ids`, by id (in chunks of `CHUNK`)."""
    found: dict[int, tuple[Any, ...]] = {}
    for first in range(0, len(ids), CHUNK):
        rows = (
            CheckResult.objects.filter(pk__in=ids[first : first + CHUNK])
            .annotate(**DETAILS)
            .values_list(*RESULT_COLUMNS, *DETAILS)
        )
        for row in rows:
            # (the last two details are the JSON booleans: encoding_matches, fields_match)
            found[row[0]] = (*row[:-2], _boolean(row[-2]), _boolean(row[-1]))
    return found


#: A stored verdict never changes (a re-check that finds the same one points at it again),
#: so its columns are kept in the process once read: reading 6,000 of them through the ORM
#: cost a dashboard more than choosing them (docs/benchmarks.md).
_VERDICTS: Kept[tuple[Any, ...]] = Kept(capacity=VERDICTS_KEPT)


def _instants() -> Callable[[str], datetime.datetime]:
    """A stored time read as text → an aware datetime, each distinct text parsed once: a
    batch's checks share their time, and parsing 6,000 of them (the ORM's way) cost a
    dashboard more than the query that found them. PostgreSQL writes the offset
    ("+00"); SQLite stores UTC without it."""
    seen: dict[str, datetime.datetime] = {}

    def instant(text: str) -> datetime.datetime:
        found = seen.get(text)
        if found is None:
            found = datetime.datetime.fromisoformat(text)
            if found.tzinfo is None:
                found = found.replace(tzinfo=datetime.UTC)
            seen[text] = found
        return found

    return instant


def read_latest(organisations: Sequence[int], period: Period) -> list[LatestResult]:
    """The latest result of each resource *per organisation* checked within `period`, in the
    order of `latest_results` (`rows_of` can read it for a whole ministry at once: no row
    depends on another organisation's); `pick_latest` then keeps one per resource.

    Two reads: the latest check of each (resource, organisation) over the narrow entries,
    then those results' columns by id (sorting the checks with the wide columns attached
    cost twice as much).
    """
    start, end = period.bounds()
    latest = (
        _checked(organisations, start, end)
        .annotate(
            recency=Window(
                RowNumber(),
                partition_by=[F("result__key"), F("result__organisation_id")],
                order_by=LATEST_FIRST,
            )
        )
        .filter(recency=1)
        .annotate(checked_text=Cast("checked_at", output_field=CharField()))
        .values_list("result_id", "checked_text", "run_id")
    )
    instant = _instants()
    checks = {result_id: (instant(text), run_id) for result_id, text, run_id in latest}
    columns = _VERDICTS.get(checks, _read_verdicts)
    found = [
        LatestResult(*(*columns[pk], *checked))
        for pk, checked in checks.items()
        if pk in columns  # (a result pruned since: `prune_runs` may run meanwhile)
    ]
    found.sort(key=lambda r: (r.dataset_identifier, r.key, r.organisation_id or 0))
    return found


def pick_latest(rows: Iterable[LatestResult]) -> list[LatestResult]:
    """One result per resource: the latest checked (then of the latest run), in the order read.
    A resource's key has results under two organisations only when it moved between them."""
    rows = list(rows)
    best: dict[str, LatestResult] = {}
    for row in rows:
        kept = best.get(row.key)
        if kept is None or (row.checked_at, row.run_id) > (kept.checked_at, kept.run_id):
            best[row.key] = row
    if len(best) == len(rows):
        return rows
    return [row for row in rows if best[row.key] is row]


def latest_results(organisations: Iterable[int], period: Period) -> list[LatestResult]:
    """The latest result of each resource of `organisations` checked within `period`.

    A verdict is stored once and each run that checks the resource points at it
    (`CheckEntry`), so "checked within the period" is read from those entries. Each result
    comes back with `checked_at` and `run_id` of the latest check in the period.
    """
    return pick_latest(read_latest(list(organisations), period))


#: A period that ended this long ago takes no more checks: a run records its checks at the
#: time it records them, between its start and its last progress.
SETTLED_AFTER = datetime.timedelta(hours=1)
#: How long the counts of settled periods are kept (the key changes with every run that
#: could have checked in them, so this only bounds the cache's size).
SETTLED_SECONDS = 24 * 3600


def _runs_token(start: datetime.datetime, end: datetime.datetime) -> str:
    """What changes whenever the checks in [start, end) may change: every run that could
    have recorded one (started before `end`, active since `start`), with its last progress
    (a run's checks lie between its start and its last progress or finish)."""
    runs = (
        CheckRun.objects.filter(started_at__lt=end)
        .filter(
            Q(progressed_at__gte=start)
            | Q(finished_at__gte=start)
            | Q(progressed_at__isnull=True, finished_at__isnull=True)
        )
        .order_by("pk")
        .values_list("pk", "progressed_at", "finished_at")
    )
    return hashlib.sha256(repr(list(runs)).encode()).hexdigest()


def marks_by_period(
    organisations: Iterable[int], periods: Sequence[Period]
) -> list[tuple[int, str, int | None, int]]:
    """(index in `periods`, mark, stars, how many resources) of the latest result of each
    resource of `organisations` checked within each period (`latest_results`' rule).

    The counts of periods that have settled (ended `SETTLED_AFTER` ago) are kept until a
    run that could have checked in them changes (`_runs_token`): a dashboard's three past
    quarters are counted once, its current one on every request.
    """
    ids = sorted(set(organisations))
    settle = timezone.now() - SETTLED_AFTER
    settled = [i for i, period in enumerate(periods) if period.bounds()[1] <= settle]
    open_ = [i for i in range(len(periods)) if i not in settled]
    found: list[tuple[int, str, int | None, int]] = []
    if settled:
        start = min(periods[i].bounds()[0] for i in settled)
        end = max(periods[i].bounds()[1] for i in settled)
        labels = ",".join(periods[i].label for i in settled)
        scope = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:24]
        key = f"marks:{connection.alias}:{scope}:{labels}:{_runs_token(start, end)}"
        counted: list[tuple[int, str, int | None, int]] | None = cache.get(key)
        if counted is None:
            counted = _count_marks(ids, [periods[i] for i in settled])
            cache.set(key, counted, SETTLED_SECONDS)
        found += [(settled[index], mark, stars, n) for index, mark, stars, n in counted]
    if open_:
        counted = _count_marks(ids, [periods[i] for i in open_])
        found += [(open_[index], mark, stars, n) for index, mark, stars, n in counted]
    return sorted(found, key=lambda row: (row[0], row[1], -1 if row[2] is None else row[2]))


def _count_marks(
    organisations: list[int], periods: Sequence[Period]
) -> list[tuple[int, str, int | None, int]]:
    """`marks_by_period`, counted by the database in one query for all the periods."""
    bounds = [period.bounds() for period in periods]
    if not bounds:
        return []
    which = Case(
        *(
            When(checked_at__gte=start, checked_at__lt=end, then=Value(index))
            for index, (start, end) in enumerate(bounds)
        ),
        default=None,
        output_field=IntegerField(),
    )
    latest = (
        _checked(
            organisations,
            min(start for start, _end in bounds),
            max(end for _start, end in bounds),
        )
        .annotate(period_index=which)
        .filter(period_index__isnull=False)
        .annotate(
            recency=Window(
                RowNumber(),
                partition_by=[F("period_index"), F("result__key")],
                order_by=LATEST_FIRST,
            )
        )
        .filter(recency=1)
        .annotate(mark=F("result__mark"), stars=F("result__stars"))
        .values_list("period_index", "mark", "stars")
    )
    # counted by the database: 24,000 resources' marks come back as a few rows (in no order:
    # `marks_by_period` sorts them)
    sql, parameters = latest.query.get_compiler(latest.db).as_sql()
    names = ", ".join(connection.ops.quote_name(name) for name in ("period_index", "mark", "stars"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {names}, COUNT(*) FROM ({sql}) AS latest GROUP BY {names}",
            parameters,
        )
        return [
            (int(index), mark, None if stars is None else int(stars), int(count))
            for index, mark, stars, count in cursor.fetchall()
        ]


def dataset_qualities(results: Iterable[LatestResult]) -> list[DatasetQuality]:
    """Group latest results by dataset (a result without a dataset identifier stands alone)."""
    grouped: dict[str, list[LatestResult]] = {}
    for result in results:
        grouped.setdefault(result.dataset_identifier or result.key, []).append(result)
    datasets = []
    for identifier, rows in grouped.items():
        verdicts = tuple(
            ResourceVerdict(
                key=row.key,
                url=row.url,
                state=row.state,
                reason=row.reason,
                explanation=row.explanation,
                run_id=row.run_id,  # the run that checked it (latest_results)
                checked_at=row.checked_at,
                stars=row.stars,
                timely=row.timely,
                lateness=(row.lateness or "") if row.timely is False else "",
                mismatches=_mismatches(row) if row.state != CheckState.UNKNOWN else (),
            )
            for row in rows
        )
        datasets.append(
            DatasetQuality(
                identifier=identifier,
                title=rows[0].title,
                organisation_id=rows[0].organisation_id,
                resources=verdicts,
            )
        )
    return datasets


def open_datasets(organisations: Iterable[int], on: datetime.date) -> list[OpenDataset]:
    """Datasets of `organisations` open (開放) at the end of day `on`, from our database.

    Open: published on or before `on` (發布時間, else the first published version) and, at
    that day, not withdrawn (on the portal now, or withdrawn with a notice after `on`).
    """
    from steward.quality.services import open_datasets_query

    return [
        OpenDataset(identifier, title, organisation_id)
        for identifier, title, organisation_id in open_datasets_query(
            organisations=organisations, on=on, withdrawn_after=True
        ).values_list("identifier", "title", "organisation_id")
    ]
