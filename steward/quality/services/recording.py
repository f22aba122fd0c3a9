"""Recording a run's reports: only what changed, in a few set-based statements."""

from __future__ import annotations

import datetime
import json
import weakref
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from django.db import connection, transaction
from django.utils import timezone

from steward.catalogue.services import refresh_quality as catalogue_quality
from steward.quality.crawl.crawler import (
    ResourceReport,
)
from steward.quality.crawl.fetch import State
from steward.quality.models import (
    CheckEntry,
    CheckResult,
    CheckRun,
    ResourceHealth,
    observe,
)

if TYPE_CHECKING:
    pass


class Tally:
    """The totals of a run, counted from its final reports (restorable when a run resumes)."""

    def __init__(self, totals: dict[str, Any] | None = None, datasets: Iterable[str] = ()) -> None:
        totals = totals or {}
        self.counter: Counter[str] = Counter(
            {
                "checked": totals.get("checked", 0),
                State.OK.value: totals.get("ok", 0),
                State.BROKEN.value: totals.get("broken", 0),
                State.UNKNOWN.value: totals.get("unknown", 0),
                "not_timely": totals.get("not_timely", 0),
                "encoding_mismatch": totals.get("encoding_mismatch", 0),
                "fields_mismatch": totals.get("fields_mismatch", 0),
                "pii": totals.get("with_personal_data", 0),
                "not_modified": totals.get("not_modified", 0),
                "resumed": totals.get("resumed", 0),
            }
        )
        self.marks: Counter[str] = Counter(totals.get("marks") or {})
        self.stars: Counter[str] = Counter(totals.get("stars") or {})
        self.datasets: set[str] = set(datasets)

    def add(self, report: ResourceReport) -> None:
        counter = self.counter
        counter["checked"] += 1
        counter[report.state.value] += 1
        if report.mark:
            self.marks[report.mark] += 1
        if report.stars is not None:
            self.stars[str(report.stars)] += 1
        counter["not_timely"] += report.timely is False
        counter["encoding_mismatch"] += report.encoding_matches is False
        counter["fields_mismatch"] += report.fields_match is False
        counter["pii"] += bool(report.pii)
        counter["not_modified"] += report.fetch.reason == "not_modified"
        self.datasets.add(report.ref.dataset_identifier)

    def totals(self) -> dict[str, Any]:
        counter, stars = self.counter, self.stars
        return {
            "checked": counter["checked"],
            "ok": counter[State.OK.value],
            "broken": counter[State.BROKEN.value],
            "unknown": counter[State.UNKNOWN.value],
            "datasets": len(self.datasets),
            "marks": dict(self.marks),
            "stars": dict(stars),
            "three_star_or_more": sum(n for s, n in stars.items() if s.isdigit() and int(s) >= 3),
            "not_timely": counter["not_timely"],
            "encoding_mismatch": counter["encoding_mismatch"],
            "fields_mismatch": counter["fields_mismatch"],
            "with_personal_data": counter["pii"],
            "not_modified": counter["not_modified"],
            "resumed": counter["resumed"],
        }


# --- recording ----------------------------------------------------------------------------------


def _result_fields(report: ResourceReport) -> dict[str, Any]:
    ref = report.ref
    return {
        "organisation_id": ref.organisation_id,
        "key": ref.key[:200],
        "url": ref.url[:2000],
        "dataset_identifier": ref.dataset_identifier[:40],
        "title": ref.dataset_title[:300],
        "publisher": ref.publisher[:200],
        "state": report.state.value,
        "reason": report.reason[:40],
        "explanation": report.explanation,
        "http_status": report.fetch.status,
        "detected_format": report.detected_format[:20],
        "detected_encoding": report.detected_encoding[:20],
        "mark": report.mark[:10],
        "stars": report.stars,
        "timely": report.timely,
        "encoding_matches": report.encoding_matches,
        "fields_match": report.fields_match,
        "flags": report.flags,
        "pii": report.pii,
        "fingerprint": report.fingerprint,
        "content_fingerprint": report.content_fingerprint,
        "details": {
            "how_to_fix": report.how_to_fix,
            "findings": report.findings,
            "fetch": report.fetch.as_dict(),
            "encoding_matches": report.encoding_matches,
            "fields_match": report.fields_match,
            "checks": report.checks,
            "declared": {
                "format": report.ref.declared_format,
                "encoding": report.ref.declared_encoding,
            },
        },
    }


def _verdict_from_result(report: ResourceReport, last: CheckResult) -> ResourceReport:
    """The whole last verdict, for a resource whose server said "not modified" (304)."""
    details = last.details or {}
    return ResourceReport(
        ref=report.ref,
        fetch=report.fetch,
        state=State(last.state),
        reason=last.reason,
        explanation=last.explanation,
        how_to_fix=str(details.get("how_to_fix", "")),
        detected_format=last.detected_format,
        detected_encoding=last.detected_encoding,
        encoding_matches=details.get("encoding_matches"),
        fields_match=details.get("fields_match"),
        flags=dict(last.flags or {}),
        mark=last.mark,
        stars=last.stars,
        timely=last.timely,
        pii=dict(last.pii or {}),
        findings=[f for f in details.get("findings") or [] if f.get("code") != "not_timely"],
        checks={k: v for k, v in (details.get("checks") or {}).items() if k != "timeliness"},
        content_fingerprint=last.content_fingerprint,
    )


class _Health:
    """One resource's `ResourceHealth` row as the recorder reads, folds and writes it back.

    Plain attributes rather than a model instance: a batch is a thousand of them. `last` is
    what the resource's last verdict is counted by, read only for a 304 (a kept verdict).
    `stored` says the row exists; `whole` that it must be written whole (new, a new verdict,
    or the resource moved): the others get only what a check changes (`CHECKED`).
    """

    COLUMNS = (
        "key", "url", "organisation_id", "dataset_identifier", "last_state", "last_reason",
        "last_checked_at", "last_success_at", "first_failure_at", "consecutive_failures",
        "consecutive_unknown", "consecutive_ok", "checks", "next_check_due", "last_result_id",
        "etag", "last_modified", "last_fingerprint", "last_content_fingerprint",
        "last_encoding_matches", "last_fields_match",
    )  # fmt: skip
    #: What a check overwrites is not read back; the two times a check may keep are read as
    #: the database stores them and written back untouched (no conversion either way).
    READ = (
        "key", "url", "organisation_id", "dataset_identifier", "consecutive_failures", "consecutive_unknown", "consecutive_ok", "checks",
        "last_result_id", "etag", "last_modified", "last_fingerprint",
        "last_content_fingerprint", "last_encoding_matches", "last_fields_match",
    )  # fmt: skip
    #: Of the last verdict, what a kept one (after a 304) is counted by: columns that come
    #: before the large `details` in the row.
    LAST = ("state", "reason", "mark", "stars", "pii")
    #: What a check of an unchanged verdict writes (the narrow update), besides the key.
    CHECKED = (
        "last_state", "last_reason", "last_checked_at", "last_success_at", "first_failure_at",
        "consecutive_failures", "consecutive_unknown", "consecutive_ok", "checks",
        "next_check_due", "etag", "last_modified",
    )  # fmt: skip
    __slots__ = (*COLUMNS, "last", "stored", "whole")

    def __init__(self, key: str) -> None:
        self.key = key
        self.url = self.dataset_identifier = self.last_state = self.last_reason = ""
        self.etag = self.last_modified = ""
        self.organisation_id: int | None = None
        self.last_checked_at: Any = None
        self.last_success_at: Any = None
        self.first_failure_at: Any = None
        self.next_check_due: Any = None
        self.consecutive_failures = self.consecutive_unknown = self.consecutive_ok = 0
        self.checks = 0
        self.last_result_id: int | None = None
        self.last_fingerprint = self.last_content_fingerprint = ""
        self.last_encoding_matches: bool | None = None
        self.last_fields_match: bool | None = None
        self.last: tuple[Any, ...] | None = None
        self.stored = False
        self.whole = True

    @classmethod
    def load(cls, keys: list[str], *, kept: set[str]) -> dict[str, _Health]:
        """The rows of `keys`; for those in `kept` (answered 304), their last verdict too.

        One plain statement, the keys passed as one parameter (`_any`): a queryset cost a
        tenth of the recorder's time here, in compiling and converting, and each statement
        is a round trip to the database server (under load, a wait to be scheduled).
        """
        quote = connection.ops.quote_name
        names = ", ".join(f"health.{quote(c)}" for c in cls.READ)
        stored = ", ".join(
            f"CAST(health.{quote(c)} AS TEXT)" for c in ("last_success_at", "first_failure_at")
        )
        last = ", ".join(f"result.{quote(c)}" for c in cls.LAST)
        found: dict[str, _Health] = {}
        health_table = quote(ResourceHealth._meta.db_table)
        if connection.vendor == "postgresql":
            # a batch's rows by the key's index, one probe each (the fence `OFFSET 0` keeps
            # the planner from it): for `WHERE key = ANY(…)` it scanned the whole table for
            # every batch, in parallel (a worker process started each time), which grows
            # with the table and, on a busy machine, waited for CPU longer than probes take
            rows = (
                f"unnest(%s::text[]) AS batch(key) CROSS JOIN LATERAL (SELECT * FROM "
                f"{health_table} AS stored WHERE stored.{quote('key')} = batch.key OFFSET 0) "
                "AS health"
            )
            where, parameters = "", [keys, sorted(kept)]
        else:
            rows = f"{health_table} AS health"
            where = f" WHERE {_any('health.' + quote('key'))}"
            parameters = [_parameter(sorted(kept)), _parameter(keys)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {names}, {stored}, {last} FROM {rows} "
                f"LEFT JOIN {quote(CheckResult._meta.db_table)} AS result "
                f"ON result.{quote('id')} = health.{quote('last_result_id')} "
                f"AND {_any('health.' + quote('key'))}{where}",
                parameters,
            )
            for row in cursor.fetchall():
                health = cls(row[0])
                # (one assignment in the order of READ: a loop of setattr cost twice as much)
                (
                    health.key, health.url, health.organisation_id, health.dataset_identifier,
                    health.consecutive_failures, health.consecutive_unknown,
                    health.consecutive_ok, health.checks, health.last_result_id, health.etag,
                    health.last_modified, health.last_fingerprint,
                    health.last_content_fingerprint, encoding_matches, fields_match,
                    health.last_success_at, health.first_failure_at,
                    state, reason, mark, stars, pii,
                ) = row  # fmt: skip
                # (SQLite gives a boolean as 0 or 1)
                health.last_encoding_matches = (
                    None if encoding_matches is None else bool(encoding_matches)
                )
                health.last_fields_match = None if fields_match is None else bool(fields_match)
                if state is not None:  # (a result's state is never empty)
                    if isinstance(pii, str):  # (JSON comes as its text)
                        pii = json.loads(pii) if pii != "{}" else {}
                    health.last = (state, reason, mark, stars, pii)
                health.stored, health.whole = True, False
                found[health.key] = health
        return found


def _any(column: str) -> str:
    """`column` is one of a list passed as one parameter (`_parameter`)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)"
    return f"{column} IN (SELECT value FROM json_each(%s))"


def _parameter(values: list[Any]) -> Any:
    return values if connection.vendor == "postgresql" else json.dumps(values)


def _kept_verdict(
    report: ResourceReport,
    health: _Health,
    judged: dict[tuple[str, str, str], tuple[ResourceReport, str]],
) -> ResourceReport:
    """The last verdict of a resource whose server said "not modified" (304).

    Nothing was downloaded, so the content checks stand; timeliness is judged again, as it
    depends on today's date and the metadata (a file that does not change may become late).
    `judged` keeps this batch's timeliness verdicts by their inputs (many resources share
    them). Only the columns the totals and the comparison need are read: the whole last
    verdict is loaded (by the caller) when it changed or somebody wants the whole report.
    """
    from steward.quality.checks.pipeline import judge_timeliness
    from steward.quality.crawl.crawler import timeliness_fingerprint, timeliness_tail

    assert health.last is not None
    state, reason, mark, stars, pii = health.last
    kept = ResourceReport(
        ref=report.ref,
        fetch=report.fetch,
        state=State(state),
        reason=reason,
        explanation="",
        encoding_matches=health.last_encoding_matches,
        fields_match=health.last_fields_match,
        mark=mark,
        stars=stars,
        pii=pii or {},
        content_fingerprint=health.last_content_fingerprint,
    )
    if kept.state is not State.UNKNOWN:  # (as `run_checks`: judged unless unknown)
        ref = report.ref
        last_modified = report.fetch.headers.get("last-modified") or health.last_modified
        inputs = (ref.update_frequency, ref.modified, last_modified)
        found = judged.get(inputs)
        if found is None:
            timeliness = ResourceReport(
                ref=ref, fetch=report.fetch, state=kept.state, reason="", explanation=""
            )
            judge_timeliness(timeliness, ref, last_modified)
            found = judged[inputs] = (timeliness, timeliness_tail(timeliness))
        timeliness, tail = found
        kept.timely = timeliness.timely
        kept.checks["timeliness"] = timeliness.checks["timeliness"]
        kept.findings.extend(timeliness.findings)
        kept.fingerprint = timeliness_fingerprint(kept.content_fingerprint, kept, tail=tail)
    else:
        kept.fingerprint = timeliness_fingerprint(kept.content_fingerprint, kept)
    return kept


def _without_verdict(report: ResourceReport) -> ResourceReport:
    """A 304 with no earlier verdict to keep: unknown, and checked in full next time."""
    from steward.quality.crawl.fetch import explain

    report.state = State.UNKNOWN
    report.reason = "not_modified_without_verdict"
    report.explanation, report.how_to_fix = explain(report.reason)
    return report


def _keep_validators(health: _Health, report: ResourceReport) -> None:
    """Keep the validators a conditional re-check sends (ETag, Last-Modified)."""
    fetched = report.fetch
    if fetched.reason == "not_modified" and health.last is not None:
        # a 304 need not repeat them (a 304 without an ETag keeps the one we have)
        health.etag = fetched.headers.get("etag", health.etag)[:200]
        health.last_modified = fetched.headers.get("last-modified", health.last_modified)[:64]
    elif fetched.state is State.OK and fetched.method == "GET" and report.state is State.OK:
        health.etag = fetched.headers.get("etag", "")[:200]
        health.last_modified = fetched.headers.get("last-modified", "")[:64]
    else:
        # the last verdict is not about the file's content (a failure, a timeout): the next
        # check asks for the file in full, so a 304 always refers to a content verdict
        health.etag = health.last_modified = ""


def _adapter() -> Callable[[Any], Any]:
    """Datetimes as the database stores them, each distinct value adapted once."""
    adapt = connection.ops.adapt_datetimefield_value
    seen: dict[Any, Any] = {}

    def adapted(value: Any) -> Any:
        if not isinstance(value, datetime.datetime):
            return value
        found = seen.get(value)
        if found is None:
            found = seen[value] = adapt(value)
        return found

    return adapted


def _upsert_health(rows: Iterable[_Health]) -> None:
    """Write whole rows: `INSERT … ON CONFLICT (key) DO UPDATE`, one statement per thousand
    rows on PostgreSQL, one prepared statement run for each row on SQLite (`executemany`
    binds in C; a thousand-row statement costs more to build than to run there)."""
    quote = connection.ops.quote_name
    table = quote(ResourceHealth._meta.db_table)
    columns = _Health.COLUMNS
    names = ", ".join(quote(c) for c in columns)
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c != "key")
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    adapt = _adapter()
    values = [tuple(adapt(getattr(row, c)) for c in columns) for row in rows]
    if not values:
        return
    upsert = f"INSERT INTO {table} ({names}) VALUES {{rows}} ON CONFLICT ({quote('key')}) "
    upsert += f"DO UPDATE SET {updates}"
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.executemany(upsert.format(rows=row_sql), values)
        return
    with connection.cursor() as cursor:
        for start in range(0, len(values), 1000):
            chunk = values[start : start + 1000]
            cursor.execute(
                upsert.format(rows=", ".join([row_sql] * len(chunk))),
                [value for row in chunk for value in row],
            )


#: PostgreSQL: the session's table the narrow update is copied into (emptied at commit),
#: and the sessions (database connections) that have made it.
_CHECKED_TABLE = "quality_checked_batch"
_SESSIONS_WITH_TABLE: weakref.WeakSet[Any] = weakref.WeakSet()


def _update_checked(rows: list[_Health]) -> None:
    """Write what a check changed of rows whose verdict did not change (`_Health.CHECKED`).

    PostgreSQL: COPY into a temporary table, then one `UPDATE … FROM` it. SQLite: one
    prepared `UPDATE … WHERE key = ?` run for each row (`executemany`).
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(ResourceHealth._meta.db_table)
    columns = _Health.CHECKED
    adapt = _adapter()
    if connection.vendor == "postgresql":
        names = ", ".join(quote(c) for c in ("key", *columns))
        with connection.cursor() as cursor:
            session = connection.connection
            if session not in _SESSIONS_WITH_TABLE:  # (a round trip: once per session)
                cursor.execute(
                    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_CHECKED_TABLE} "
                    f"ON COMMIT DELETE ROWS AS SELECT {names} FROM {table} WITH NO DATA"
                )
                # known to exist once committed (a rolled-back transaction takes it away)
                transaction.on_commit(lambda: _SESSIONS_WITH_TABLE.add(session))
            if len(connection.atomic_blocks) > 1:
                # inside a caller's transaction an earlier batch's rows are still there
                cursor.execute(f"DELETE FROM {_CHECKED_TABLE}")
            with cursor.cursor.copy(f"COPY {_CHECKED_TABLE} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((row.key, *(getattr(row, c) for c in columns)))
            sets = ", ".join(f"{quote(c)} = batch.{quote(c)}" for c in columns)
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM {_CHECKED_TABLE} AS batch "
                f"WHERE {table}.{quote('key')} = batch.{quote('key')}"
            )
        return
    sets = ", ".join(f"{quote(c)} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {sets} WHERE {quote('key')} = %s",
            [(*(adapt(getattr(row, c)) for c in columns), row.key) for row in rows],
        )


def _insert_entries(run: CheckRun, result_ids: list[int], at: datetime.datetime) -> None:
    """One `CheckEntry` per resource: COPY on PostgreSQL, multi-row INSERTs elsewhere."""
    quote = connection.ops.quote_name
    table = quote(CheckEntry._meta.db_table)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            copy_sql = f"COPY {table} (run_id, result_id, checked_at) FROM STDIN"
            with cursor.cursor.copy(copy_sql) as copy:
                for result_id in result_ids:
                    copy.write_row((run.pk, result_id, at))
        return
    stamp = connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (run_id, result_id, checked_at) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            [(run.pk, result_id, stamp) for result_id in result_ids],
        )


@transaction.atomic
def record_results(
    run: CheckRun,
    reports: list[ResourceReport],
    *,
    tally: Tally | None = None,
    whole_reports: bool = True,
) -> list[ResourceReport]:
    """Record a batch of reports: only what changed, in a few set-based statements.

    * A report whose server answered 304 keeps the resource's last verdict, judged again
      for timeliness (`_kept_verdict`).
    * A verdict with the same fingerprint as the resource's last one stores no
      `CheckResult`; a new or changed one does.
    * Every resource gets one `CheckEntry` (run, verdict, time) — COPY on PostgreSQL — and
      its `ResourceHealth` is folded and written back in one
      `INSERT … ON CONFLICT (key) DO UPDATE` per thousand rows.
    * The run's totals and `progressed_at` are written in the same transaction, so an
      interrupted run knows exactly what it has recorded.

    Returns the final reports; with `whole_reports` (for `on_report`), a kept verdict is
    the whole last one (its findings too), else only what the totals read.
    """
    from steward.quality.crawl.crawler import verdict_fingerprints

    now = timezone.now()
    keys = [report.ref.key[:200] for report in reports]
    kept_keys = {
        key
        for key, report in zip(keys, reports, strict=True)
        if report.fetch.reason == "not_modified"
    }
    health = _Health.load(keys, kept=kept_keys)
    final: list[ResourceReport] = []
    new_results: list[tuple[_Health, CheckResult]] = []
    verdicts: list[tuple[_Health, CheckResult | None]] = []
    to_complete: list[tuple[int, int]] = []  # (position in final, last result id)
    judged: dict[tuple[str, str, str], tuple[ResourceReport, str]] = {}
    for report, key in zip(reports, keys, strict=True):
        entry = health.get(key)
        if entry is None:
            entry = health[key] = _Health(key)
        last_id = entry.last_result_id
        if report.fetch.reason == "not_modified":
            report = (
                _kept_verdict(report, entry, judged) if entry.last else _without_verdict(report)
            )
        elif not report.fingerprint:
            report.fingerprint, report.content_fingerprint = verdict_fingerprints(report)
        if last_id is not None and report.fingerprint == entry.last_fingerprint:
            verdicts.append((entry, None))
            if whole_reports and report.fetch.reason == "not_modified":
                to_complete.append((len(final), cast(int, last_id)))
        else:
            if report.fetch.reason == "not_modified":
                to_complete.append((len(final), cast(int, last_id)))
            result = CheckResult(run=run, checked_at=now)
            new_results.append((entry, result))
            verdicts.append((entry, result))
            entry.last_fingerprint = report.fingerprint
            entry.last_content_fingerprint = report.content_fingerprint
            entry.last_encoding_matches = report.encoding_matches
            entry.last_fields_match = report.fields_match
            entry.whole = True
        ref = report.ref
        url, identifier = ref.url[:2000], ref.dataset_identifier[:40]
        if (entry.url, entry.organisation_id, entry.dataset_identifier) != (
            url,
            ref.organisation_id,
            identifier,
        ):
            entry.url, entry.organisation_id, entry.dataset_identifier = (
                url,
                ref.organisation_id,
                identifier,
            )
            entry.whole = True
        observe(
            entry,
            report.state.value,
            report.reason[:40],
            at=now,
            retry_after=report.fetch.retry_after,
        )
        _keep_validators(entry, report)
        final.append(report)
    if to_complete:
        # kept verdicts wanted whole: their findings and checks come from the last result
        previous = CheckResult.objects.in_bulk([last for _position, last in to_complete])
        for position, last in to_complete:
            kept = final[position]
            whole = _verdict_from_result(kept, previous[last])
            whole.timely, whole.fingerprint = kept.timely, kept.fingerprint
            if "timeliness" in kept.checks:
                whole.checks["timeliness"] = kept.checks["timeliness"]
            whole.findings.extend(f for f in kept.findings if f.get("code") == "not_timely")
            final[position] = whole
    if tally is not None:
        for report in final:
            tally.add(report)
    changed: list[ResourceReport] = []
    for (_entry, made), report in zip(verdicts, final, strict=True):
        if made is not None:
            changed.append(report)
            for name, value in _result_fields(report).items():
                setattr(made, name, value)
    CheckResult.objects.bulk_create([result for _entry, result in new_results])
    for entry, result in new_results:
        entry.last_result_id = result.pk
    _upsert_health([entry for entry in health.values() if entry.whole])
    _update_checked([entry for entry in health.values() if not entry.whole])
    _insert_entries(
        run,
        [
            cast(int, result.pk if result is not None else entry.last_result_id)
            for entry, result in verdicts
        ],
        now,
    )
    if tally is not None:
        CheckRun.objects.filter(pk=run.pk).update(progressed_at=now, totals=tally.totals())
    # the public facets read each resource's last verdict: only new verdicts can move them
    catalogue_quality({report.ref.dataset_identifier for report in changed})
    return final
