"""Running the quality checks (品質檢核) and recording them: every state change of quality.

`check_resources(refs, kind=..., by=..., ...)` is the one entry point used by the CLI
(`steward check`), the background jobs (2-1 self-check, 2-2 spot check) and the pages: it
opens a `CheckRun` (or resumes the scope's interrupted one), crawls and checks every
resource, and `record_results` writes only what changed: a `CheckResult` when a resource's
verdict differs from its last one, a narrow `CheckEntry` per resource and run, and each
resource's `ResourceHealth` in one upsert per batch. The run is closed with its totals, with
an audit event at the start and at the end. `prune_runs` deletes runs past the retention.

Where the resources come from:

* `refs_from_catalogue(stream)` — a national-portal catalogue export CSV (22 columns);
* `refs_from_database(organisation=...)` — open datasets in our own database
  (`steward.datasets.models.Resource`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import asdict, replace
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit, urlunsplit

from django.db import connection, transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from steward.audit.services import record
from steward.catalogue.services import refresh_quality as catalogue_quality
from steward.lib.http import AddressPolicy, run_loop
from steward.organisations.models import Organisation, Person
from steward.quality.crawler import (
    CrawlConfig,
    ResourceRef,
    ResourceReport,
    crawl,
    largest_hosts_first,
)
from steward.quality.fetch import State
from steward.quality.models import (
    CheckEntry,
    CheckKind,
    CheckResult,
    CheckRun,
    ResourceHealth,
    RunStatus,
    observe,
)

if TYPE_CHECKING:
    from steward.datasets.models import Dataset

#: Reports recorded per transaction (fewer, larger statements), and at least every
#: FLUSH_SECONDS while reports come slowly, so an interrupted run loses little.
BATCH = 1000
FLUSH_SECONDS = 5.0
#: Reports handed from the crawl's thread to the recorder at a time (or after this long).
HANDOVER = 64
HANDOVER_SECONDS = 0.05
#: A run still "running" that has recorded nothing for this long was killed.
STALE_AFTER = datetime.timedelta(minutes=15)


class QualityError(Exception):
    """A quality run could not be done (translatable message)."""


# --- where resources come from ----------------------------------------------------------------


def _organisation_index() -> dict[str, int]:
    """Publisher names (提供機關) → organisation ids, for catalogue rows."""
    index: dict[str, int] = {}
    for pk, name, short_name in Organisation.objects.values_list("pk", "name", "short_name"):
        for label in (name, short_name):
            if label:
                index.setdefault(label.strip(), pk)
    return index


#: Characters of the dataset identifier kept in a catalogue resource key (the key is ≤ 200).
KEY_IDENTIFIER_CHARS = 180
#: Hex digits of the download URL's hash in a catalogue resource key (48 bits).
KEY_HASH_CHARS = 12
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalise_download_url(url: str) -> str:
    """A download URL as compared across runs.

    Trimmed, scheme and host lower-cased, the default port and the fragment dropped, an
    empty path made "/". The path and query are kept as they are: servers may treat their
    case and order as meaningful.
    """
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return text
    if not parts.scheme or not parts.netloc:
        return text
    scheme = parts.scheme.lower()
    userinfo, at, hostport = parts.netloc.rpartition("@")
    host, colon, port = hostport.lower().rpartition(":")
    if not colon or "]" in port:  # no port (or the end of an IPv6 literal)
        host, port = hostport.lower(), ""
    if port == _DEFAULT_PORTS.get(scheme):
        port = ""
    netloc = f"{userinfo}{at}{host}" + (f":{port}" if port else "")
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def catalogue_resource_key(identifier: str, url: str) -> str:
    """The stable key of a catalogue resource: dataset identifier + a hash of its URL.

    The export has no resource IDs. Keying by position (`…#2`) made a resource's history
    (`ResourceHealth`) jump to its neighbour whenever a resource was added or removed
    before it; the normalised download URL stays with the resource. At most 193 characters.
    """
    digest = hashlib.sha256(normalise_download_url(url).encode("utf-8")).hexdigest()
    return f"{identifier.strip()[:KEY_IDENTIFIER_CHARS]}#{digest[:KEY_HASH_CHARS]}"


def refs_from_catalogue(
    stream: IO[Any], *, organisations: dict[str, int] | None = None
) -> Iterator[ResourceRef]:
    """One `ResourceRef` per resource of a catalogue export, read lazily.

    The export has no resource IDs, so a resource's key is the dataset identifier and a
    short hash of its normalised download URL (`A17000000J-000123#3f2a9c01b7de`, see
    `catalogue_resource_key`). The same URL twice under one identifier (or a repeated
    identifier) gets `.2`, `.3`… in the order met, so keys stay unique within a run.
    Catalogue format errors propagate (`CatalogueFormatError`, with the row).
    """
    from steward.datasets.standard import read_catalogue

    index = organisations if organisations is not None else {}
    seen: Counter[str] = Counter()
    for row in read_catalogue(stream):
        for resource in row.resources or []:
            key = catalogue_resource_key(row.identifier, resource.download_url)
            seen[key] += 1
            if seen[key] > 1:
                key = f"{key}.{seen[key]}"
            yield ResourceRef(
                key=key,
                url=resource.download_url.strip(),
                dataset_identifier=row.identifier,
                dataset_title=row.title,
                publisher=row.publisher,
                declared_format=resource.format,
                declared_encoding=resource.encoding,
                field_description=row.field_description,
                update_frequency=row.update_frequency,
                modified=row.metadata_modified_at,
                organisation_id=index.get(row.publisher.strip()),
                metadata={
                    "quality_mark": row.quality_mark,
                    "licence": row.licence,
                    "description": row.description,
                    "category": row.category,
                    "contact_name": row.contact_name,
                    "contact_phone": row.contact_phone,
                    "amount": resource.amount,
                    "row": row.row,
                },
            )


def open_datasets_query(
    *, on: datetime.date, organisations: Iterable[int] | None = None, withdrawn_after: bool = False
) -> QuerySet[Dataset]:
    """Datasets open (開放) at the end of day `on`, optionally of some organisations only.

    Open means published on or before `on` (its 發布時間 `issued`, else its first published
    version) and not withdrawn: on the portal now. With `withdrawn_after`, a dataset withdrawn
    since (its public notice dated after `on`) also counts, for looking back at a period.
    """
    from steward.datasets.models import Dataset, DatasetVersion, Withdrawal
    from steward.datasets.workflow import ON_PORTAL, Status

    end = timezone.make_aware(
        datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time())
    )
    first_published = (
        DatasetVersion.objects.filter(dataset=OuterRef("pk"))
        .order_by("published_at")
        .values("published_at")[:1]
    )
    still_open = Q(status__in=list(ON_PORTAL))
    if withdrawn_after:
        still_open |= Q(
            Exists(Withdrawal.objects.filter(dataset=OuterRef("pk"), notice_published_on__gt=on)),
            status=Status.WITHDRAWN,
        )
    datasets = Dataset.objects.annotate(
        published_at=Coalesce("issued", Subquery(first_published))
    ).filter(still_open, published_at__lt=end)
    if organisations is not None:
        datasets = datasets.filter(organisation_id__in=list(organisations))
    return datasets.order_by("identifier")


def refs_from_database(
    *,
    organisation: Organisation | None = None,
    due_only: bool = False,
    datasets: Collection[int] | None = None,
) -> list[ResourceRef]:
    """One `ResourceRef` per resource of the open datasets (on the portal) in our database.

    `organisation` limits to its subtree; `due_only` keeps resources whose health says a
    check is due (or that were never checked); `datasets` keeps those datasets (ids) only.
    A list, read here in the caller's thread: the crawl runs in a thread of its own where
    the ORM must not be used (a ministry's resources are thousands of small objects, not a
    memory concern).
    """
    return list(_database_refs(organisation=organisation, due_only=due_only, datasets=datasets))


def _database_refs(
    *, organisation: Organisation | None, due_only: bool, datasets: Collection[int] | None
) -> Iterator[ResourceRef]:
    from steward.datasets.models import Resource
    from steward.datasets.workflow import ON_PORTAL

    resources = Resource.objects.filter(dataset__status__in=list(ON_PORTAL)).select_related(
        "dataset", "dataset__organisation"
    )
    if organisation is not None:
        resources = resources.filter(dataset__organisation__path__startswith=organisation.path)
    if datasets is not None:
        resources = resources.filter(dataset_id__in=list(datasets))
    if due_only:
        not_due = ResourceHealth.objects.filter(next_check_due__gt=timezone.now()).values("key")
        resources = resources.exclude(resourceID__in=not_due)
    for resource in resources.order_by("pk").iterator(chunk_size=500):
        dataset = resource.dataset
        modified = resource.resourceModified or dataset.modified
        yield ResourceRef(
            key=resource.resourceID,
            url=(resource.downloadURL or resource.accessURL).strip(),
            dataset_identifier=dataset.identifier,
            dataset_title=dataset.title,
            publisher=dataset.publisher or str(dataset.organisation),
            declared_format=resource.format,
            declared_encoding=resource.characterSetCode,
            field_description=dataset.fieldDescription,
            update_frequency=dataset.accrualPeriodicity,
            modified=modified.strftime("%Y-%m-%d %H:%M:%S") if modified else "",
            organisation_id=dataset.organisation_id,
            resource_id=resource.pk,
            metadata={"licence": dataset.license, "description": dataset.description},
        )


# --- running ------------------------------------------------------------------------------------


def _reports_in_thread(
    refs: Iterable[ResourceRef],
    *,
    config: CrawlConfig,
    policy: AddressPolicy | None,
    check: Callable[[Any, Any], ResourceReport] | None,
) -> Iterator[ResourceReport]:
    """Run the crawl in a thread of its own and hand its reports over a bounded queue.

    The database work stays in the calling thread (Django's ORM is synchronous); the queue
    bounds memory when the database is slower than the crawl.
    """
    handover: queue.Queue[Any] = queue.Queue(maxsize=64)
    done = object()
    stop = threading.Event()

    async def hand_over(item: Any) -> bool:
        while not stop.is_set():
            try:
                handover.put(item, timeout=0.2)
                return True
            except queue.Full:
                await asyncio.sleep(0)
        return False

    async def produce() -> None:
        # reports go over in lists (a handover per report woke the other thread each time):
        # up to HANDOVER reports, or what came within HANDOVER_SECONDS
        pending: list[ResourceReport] = []
        since = time.monotonic()
        try:
            async for report in crawl(refs, config=config, policy=policy, check=check):
                pending.append(report)
                if len(pending) >= HANDOVER or time.monotonic() - since > HANDOVER_SECONDS:
                    if not await hand_over(pending):
                        return
                    pending, since = [], time.monotonic()
        finally:  # what was checked before an error is recorded too
            if pending:
                await hand_over(pending)

    def finish(item: Any) -> None:
        while not stop.is_set():
            try:
                handover.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def run() -> None:
        try:
            run_loop(produce())
            finish(done)
        except BaseException as exc:
            finish(exc)

    thread = threading.Thread(target=run, name="quality-crawl", daemon=True)
    thread.start()
    try:
        while True:
            item = handover.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield from item
    finally:
        stop.set()
        thread.join(timeout=30)


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


@transaction.atomic
def start_run(
    *,
    kind: str,
    by: Person | None,
    organisation: Organisation | None,
    source: str,
    config: dict[str, Any] | None = None,
) -> CheckRun:
    """Open a run (audited)."""
    run = CheckRun.objects.create(
        kind=kind,
        started_by=by if by is not None and by.is_authenticated else None,
        organisation=organisation,
        source=source[:300],
        config=config or {},
        progressed_at=timezone.now(),
    )
    record(
        actor=by,
        action="quality.run_started",
        subject=run,
        organisation=organisation,
        to_state=RunStatus.RUNNING,
        comment=source[:300],
    )
    return run


def run_to_resume(*, kind: str, organisation: Organisation | None, source: str) -> CheckRun | None:
    """The latest run of this scope if it stopped part-way (incomplete, or killed).

    A killed process cannot say so: a run still "running" that has recorded nothing for
    `STALE_AFTER` is taken as killed.
    """
    latest = (
        CheckRun.objects.filter(kind=kind, organisation=organisation, source=source[:300])
        .order_by("-started_at", "-pk")
        .first()
    )
    if latest is None:
        return None
    if latest.status == RunStatus.INCOMPLETE:
        return latest
    heard = latest.progressed_at or latest.started_at
    if latest.status == RunStatus.RUNNING and heard < timezone.now() - STALE_AFTER:
        return latest
    return None


@transaction.atomic
def resume_run(run: CheckRun, *, by: Person | None) -> CheckRun:
    """Reopen an interrupted run, so that the next check goes on where it stopped (audited)."""
    run = CheckRun.objects.select_for_update().get(pk=run.pk)
    before = run.status
    run.status = RunStatus.RUNNING
    run.finished_at = None
    run.progressed_at = timezone.now()
    run.save(update_fields=["status", "finished_at", "progressed_at"])
    record(
        actor=by,
        action="quality.run_resumed",
        subject=run,
        organisation=run.organisation,
        from_state=before,
        to_state=RunStatus.RUNNING,
        comment=run.error[:500],
    )
    return run


def checked_in_run(run: CheckRun) -> dict[str, str]:
    """Resource key → dataset identifier of every resource the run has recorded."""
    return dict(
        CheckResult.objects.filter(entries__run=run).values_list("key", "dataset_identifier")
    )


def run_results(run: CheckRun) -> QuerySet[CheckResult]:
    """The verdicts of every resource checked in `run` (`seen_at`: when the run checked it)."""
    return CheckResult.objects.annotate(
        seen_run=F("entries__run_id"), seen_at=F("entries__checked_at")
    ).filter(seen_run=run.pk)


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

    Plain attributes rather than a model instance: a batch is a thousand of them, and the
    verdict the resource last got (`last_*`) comes along in the same query.
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
        "key", "consecutive_failures", "consecutive_unknown", "consecutive_ok", "checks",
        "last_result_id", "etag", "last_modified", "last_fingerprint",
        "last_content_fingerprint", "last_encoding_matches", "last_fields_match",
    )  # fmt: skip
    #: Of the last verdict, what a kept one (after a 304) is counted by: columns that come
    #: before the large `details` in the row.
    LAST = (
        "last_result__state", "last_result__reason", "last_result__mark",
        "last_result__stars", "last_result__pii",
    )  # fmt: skip
    __slots__ = (*COLUMNS, "last")

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

    @classmethod
    def load(cls, keys: list[str]) -> dict[str, _Health]:
        found: dict[str, _Health] = {}
        width = len(cls.READ)
        rows = (
            ResourceHealth.objects.filter(key__in=keys)
            .annotate(
                stored_success=Cast("last_success_at", CharField()),
                stored_failure=Cast("first_failure_at", CharField()),
            )
            .values_list(*cls.READ, *cls.LAST, "stored_success", "stored_failure")
        )
        for row in rows:
            health = cls(row[0])
            for name, value in zip(cls.READ, row[:width], strict=True):
                setattr(health, name, value)
            health.last = row[width:-2] if health.last_result_id is not None else None
            health.last_success_at, health.first_failure_at = row[-2:]
            found[health.key] = health
        return found


def _kept_verdict(
    report: ResourceReport, health: _Health, judged: dict[tuple[str, str, str], ResourceReport]
) -> ResourceReport:
    """The last verdict of a resource whose server said "not modified" (304).

    Nothing was downloaded, so the content checks stand; timeliness is judged again, as it
    depends on today's date and the metadata (a file that does not change may become late).
    `judged` keeps this batch's timeliness verdicts by their inputs (many resources share
    them). Only the columns the totals and the comparison need are read: the whole last
    verdict is loaded (by the caller) when it changed or somebody wants the whole report.
    """
    from steward.quality.crawler import timeliness_fingerprint
    from steward.quality.pipeline import judge_timeliness

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
        timeliness = judged.get(inputs)
        if timeliness is None:
            timeliness = judged[inputs] = ResourceReport(
                ref=ref, fetch=report.fetch, state=kept.state, reason="", explanation=""
            )
            judge_timeliness(timeliness, ref, last_modified)
        kept.timely = timeliness.timely
        kept.checks["timeliness"] = timeliness.checks["timeliness"]
        kept.findings.extend(timeliness.findings)
    kept.fingerprint = timeliness_fingerprint(kept.content_fingerprint, kept)
    return kept


def _without_verdict(report: ResourceReport) -> ResourceReport:
    """A 304 with no earlier verdict to keep: unknown, and checked in full next time."""
    from steward.quality.fetch import explain

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
    """Write every row in one `INSERT … ON CONFLICT (key) DO UPDATE` per thousand."""
    quote = connection.ops.quote_name
    table = quote(ResourceHealth._meta.db_table)
    columns = _Health.COLUMNS
    names = ", ".join(quote(c) for c in columns)
    updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c != "key")
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    adapt = _adapter()
    values = [tuple(adapt(getattr(row, c)) for c in columns) for row in rows]
    with connection.cursor() as cursor:
        for start in range(0, len(values), 1000):
            chunk = values[start : start + 1000]
            cursor.execute(
                f"INSERT INTO {table} ({names}) VALUES {', '.join([row_sql] * len(chunk))} "
                f"ON CONFLICT ({quote('key')}) DO UPDATE SET {updates}",
                [value for row in chunk for value in row],
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
        for start in range(0, len(result_ids), 1000):
            chunk = result_ids[start : start + 1000]
            cursor.execute(
                f"INSERT INTO {table} (run_id, result_id, checked_at) VALUES "
                + ", ".join(["(%s, %s, %s)"] * len(chunk))
                + " ON CONFLICT DO NOTHING",
                [value for result_id in chunk for value in (run.pk, result_id, stamp)],
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
    from steward.quality.crawler import verdict_fingerprints

    now = timezone.now()
    keys = [report.ref.key[:200] for report in reports]
    health = _Health.load(keys)
    final: list[ResourceReport] = []
    new_results: list[tuple[_Health, CheckResult]] = []
    verdicts: list[tuple[_Health, CheckResult | None]] = []
    to_complete: list[tuple[int, int]] = []  # (position in final, last result id)
    judged: dict[tuple[str, str, str], ResourceReport] = {}
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
        if entry.last is not None and report.fingerprint == entry.last_fingerprint:
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
        entry.url = report.ref.url[:2000]
        entry.organisation_id = report.ref.organisation_id
        entry.dataset_identifier = report.ref.dataset_identifier[:40]
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
    for (_entry, made), report in zip(verdicts, final, strict=True):
        if made is not None:
            for name, value in _result_fields(report).items():
                setattr(made, name, value)
    CheckResult.objects.bulk_create([result for _entry, result in new_results])
    for entry, result in new_results:
        entry.last_result_id = result.pk
    _upsert_health(health.values())
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
    catalogue_quality({report.ref.dataset_identifier for report in final})  # public facets
    return final


@transaction.atomic
def finish_run(
    run: CheckRun, *, totals: dict[str, Any], by: Person | None, error: str = ""
) -> CheckRun:
    """Close a run with its totals (audited); with `error`, as incomplete (to be resumed)."""
    before = CheckRun.objects.filter(pk=run.pk).values_list("status", flat=True).first()
    run.totals = totals
    run.finished_at = timezone.now()
    run.status = RunStatus.INCOMPLETE if error else RunStatus.DONE
    run.error = error
    run.save(update_fields=["totals", "finished_at", "status", "error"])
    record(
        actor=by,
        action="quality.run_finished",
        subject=run,
        organisation=run.organisation,
        from_state=before or RunStatus.RUNNING,
        to_state=run.status,
        changes={"totals": {"from": None, "to": totals}},
        comment=error[:500],
    )
    return run


def _validator_lookup(refs: Iterable[ResourceRef]) -> Callable[[str], tuple[str, str] | None]:
    """Where a ref's stored validators (ETag, Last-Modified) are looked up.

    A list is looked up by its keys; a lazily read catalogue by a map of every resource
    that has validators (read here: the crawl reads the refs in a thread of its own).
    """
    known: dict[str, tuple[str, str]] = {}
    health = ResourceHealth.objects.exclude(etag="", last_modified="")
    if isinstance(refs, Sequence):
        keys = [ref.key[:200] for ref in refs]
        for start in range(0, len(keys), 2000):
            rows = health.filter(key__in=keys[start : start + 2000])
            known.update(
                (k, (e, m)) for k, e, m in rows.values_list("key", "etag", "last_modified")
            )
    else:
        known.update((k, (e, m)) for k, e, m in health.values_list("key", "etag", "last_modified"))
    return known.get


def _to_crawl(
    refs: Iterable[ResourceRef],
    *,
    done: Collection[str],
    validators: Callable[[str], tuple[str, str] | None],
) -> Iterator[ResourceRef]:
    """The refs still to check (not done in the run being resumed, each key once), with the
    validators that make their requests conditional. Pure: runs in the crawl's thread."""
    seen = set(done)
    for ref in refs:
        key = ref.key[:200]
        if key in seen:
            continue
        seen.add(key)
        stored = validators(key)
        if stored is not None:
            ref = replace(ref, etag=stored[0], last_modified=stored[1])
        yield ref


def check_resources(
    refs: Iterable[ResourceRef],
    *,
    kind: str = CheckKind.ON_DEMAND,
    by: Person | None = None,
    organisation: Organisation | None = None,
    source: str = "",
    config: CrawlConfig | None = None,
    policy: AddressPolicy | None = None,
    check: Callable[[Any, Any], ResourceReport] | None = None,
    on_report: Callable[[ResourceReport], None] | None = None,
) -> CheckRun:
    """Check every resource of `refs` and record the run (see the module docstring).

    `on_report` sees each report once it is stored (the CLI writes its JSON and text there).
    A list of refs is crawled largest hosts first (`largest_hosts_first`); a resource checked
    before is asked for conditionally. When the last run of the same scope (kind,
    organisation, source) stopped part-way, this run resumes it: the same `CheckRun` goes
    on, skipping what it has recorded. A failure part-way (an error, an interrupt) records
    what was checked, leaves the run incomplete, and re-raises.
    """
    config = replace(config or CrawlConfig(), fingerprints=True)
    interrupted = run_to_resume(kind=kind, organisation=organisation, source=source)
    done: dict[str, str] = {}
    if interrupted is not None:
        run = resume_run(interrupted, by=by)
        done = checked_in_run(run)
        tally = Tally(run.totals, datasets=done.values())
        tally.counter["resumed"] += 1
    else:
        run = start_run(
            kind=kind,
            by=by,
            organisation=organisation,
            source=source,
            config={
                key: value
                for key, value in asdict(config).items()
                if isinstance(value, int | float | str)
            },
        )
        tally = Tally()
    validators = _validator_lookup(refs)
    if isinstance(refs, Sequence):
        refs = largest_hosts_first(refs)
    batch: list[ResourceReport] = []

    def flush() -> None:
        nonlocal batch
        if not batch:
            return
        reports, batch = batch, []
        recorded = record_results(run, reports, tally=tally, whole_reports=on_report is not None)
        for report in recorded:
            if on_report is not None:
                on_report(report)

    flushed = time.monotonic()
    try:
        for report in _reports_in_thread(
            _to_crawl(refs, done=done, validators=validators),
            config=config,
            policy=policy,
            check=check,
        ):
            batch.append(report)
            if len(batch) >= BATCH or time.monotonic() - flushed > FLUSH_SECONDS:
                flush()
                flushed = time.monotonic()
        flush()
    except BaseException as exc:
        with contextlib.suppress(Exception):
            flush()
        finish_run(run, totals=tally.totals(), by=by, error=str(exc) or type(exc).__name__)
        raise
    return finish_run(run, totals=tally.totals(), by=by)


# --- retention ----------------------------------------------------------------------------------


def retention_cutoff(now: datetime.datetime) -> datetime.datetime:
    """Runs started before this may be deleted: older than the retention setting, and
    before 1 January of last year (a year's KPIs are reported during the following one, so
    every period still open for KPIs keeps its runs)."""
    from django.conf import settings

    days = int(getattr(settings, "STEWARD_QUALITY_RETENTION_DAYS", 400))
    local = timezone.localtime(now)
    last_year = local.replace(
        year=local.year - 1, month=1, day=1, hour=0, minute=0, second=0, microsecond=0
    )
    return min(now - datetime.timedelta(days=days), last_year)


@transaction.atomic
def prune_runs(*, now: datetime.datetime | None = None, by: Person | None = None) -> dict[str, int]:
    """Delete runs past the retention (`retention_cutoff`), and verdicts nothing points at.

    Kept whatever their age: the latest run of each scope (kind and organisation: the
    quality page shows it), runs still running, and each resource's last verdict (a 304
    keeps it; the next change is compared with it). One audit event with the counts.
    """
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    latest: dict[tuple[str, int | None], int] = {}  # scope → its latest run (runs are few)
    for pk, kind, organisation_id in CheckRun.objects.order_by("-started_at", "-pk").values_list(
        "pk", "kind", "organisation_id"
    ):
        latest.setdefault((kind, organisation_id), pk)
    old = (
        CheckRun.objects.filter(started_at__lt=cutoff)
        .exclude(status=RunStatus.RUNNING)
        .exclude(pk__in=list(latest.values()))
    )
    runs = list(old.values_list("pk", flat=True))
    oldest = old.order_by("started_at", "pk").first()  # the audit event's subject
    entries = CheckEntry.objects.filter(run_id__in=runs).delete()[0] if runs else 0
    CheckRun.objects.filter(pk__in=runs).delete()
    orphans = CheckResult.objects.filter(
        ~Exists(CheckEntry.objects.filter(result=OuterRef("pk"))),
        ~Exists(ResourceHealth.objects.filter(last_result=OuterRef("pk"))),
    )
    results = orphans.delete()[0]
    counts = {"runs": len(runs), "entries": entries, "results": results}
    if oldest is not None:
        record(
            actor=by,
            action="quality.runs_pruned",
            subject=oldest,
            changes={"pruned": {"from": None, "to": counts}},
            comment=f"runs started before {cutoff.isoformat()}",
        )
    return counts


def latest_runs(runs: Any) -> list[CheckRun]:
    """The latest finished run per organisation among `runs` (a scoped queryset)."""
    finished = runs.filter(~Q(status=RunStatus.RUNNING))
    newest = (
        CheckRun.objects.filter(~Q(status=RunStatus.RUNNING))
        .filter(organisation=OuterRef("organisation"))
        .order_by("-started_at", "-pk")
        .values("pk")[:1]
    )
    # One query, whatever the number of runs kept: each organisation's newest finished run.
    latest = finished.filter(organisation__isnull=False, pk=Subquery(newest))
    orphan = finished.filter(organisation__isnull=True).order_by("-started_at", "-pk")[:1]
    return list(latest.select_related("organisation").order_by("-started_at", "-pk")) + list(orphan)


# --- scope and requests -------------------------------------------------------------------------


def visible_runs(person: Person) -> Any:
    """Runs `person` may see (a run without an organisation: superusers only)."""
    from steward.organisations.scope import Action, scope_q

    return CheckRun.objects.filter(scope_q(person, Action.VIEW)).select_related("organisation")


def run_for(person: Person, pk: int) -> CheckRun:
    """The run `pk` if `person` may see it, else 404."""
    from django.http import Http404
    from django.utils.translation import gettext as _

    try:
        return visible_runs(person).get(pk=pk)
    except CheckRun.DoesNotExist:
        raise Http404(_("No such quality check run in your scope.")) from None


@transaction.atomic
def request_check(*, organisation: Organisation, by: Person) -> Any:
    """Queue an on-demand check of `organisation`'s open resources (needs quality.run)."""
    from steward.jobs.services import enqueue
    from steward.organisations.scope import Action, require

    require(by, Action.QUALITY_RUN, organisation)
    job = enqueue(
        "quality.check_agency",
        {"organisation_id": organisation.pk, "kind": CheckKind.ON_DEMAND, "by": by.pk},
    )
    record(
        actor=by,
        action="quality.check_requested",
        subject=job,
        organisation=organisation,
        to_state=job.status,
    )
    return job
