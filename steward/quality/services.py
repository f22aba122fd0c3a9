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
import json
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import asdict, replace
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit, urlunsplit

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from steward.audit.services import record
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
)

if TYPE_CHECKING:
    from steward.datasets.models import Dataset

#: Reports recorded per transaction (fewer, larger statements), and at least every
#: FLUSH_SECONDS while reports come slowly, so an interrupted run loses little.
BATCH = 1000
FLUSH_SECONDS = 5.0
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
    handover: queue.Queue[Any] = queue.Queue(maxsize=1000)
    done = object()
    stop = threading.Event()

    async def produce() -> None:
        async for report in crawl(refs, config=config, policy=policy, check=check):
            while True:
                if stop.is_set():
                    return
                try:
                    handover.put(report, timeout=0.2)
                    break
                except queue.Full:
                    await asyncio.sleep(0)

    def run() -> None:
        try:
            run_loop(produce())
            handover.put(done)
        except BaseException as exc:
            handover.put(exc)

    thread = threading.Thread(target=run, name="quality-crawl", daemon=True)
    thread.start()
    try:
        while True:
            item = handover.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
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

#: Parts of the fetch summary that differ between two checks of an unchanged file.
_NOT_VERDICT = ("fetch",)


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
        "flags": report.flags,
        "pii": report.pii,
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


def fingerprint(fields: dict[str, Any]) -> str:
    """A hash of what a verdict says: not of how the file was fetched this time.

    The HTTP status and the fetch summary (timings, attempts, a 304 instead of a 200) are
    left out, so re-checking an unchanged file gives the same fingerprint.
    """
    details = {k: v for k, v in fields["details"].items() if k not in _NOT_VERDICT}
    said = [v for k, v in fields.items() if k not in ("http_status", "details")]
    text = json.dumps([said, details], ensure_ascii=False, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _reused_verdict(
    report: ResourceReport, last: CheckResult, last_modified: str
) -> ResourceReport:
    """The last verdict for a resource whose server said "not modified" (304).

    Nothing was downloaded, so the content checks stand; timeliness is judged again, as it
    depends on today's date and the metadata (a file that does not change may become late).
    """
    from steward.quality.pipeline import judge_timeliness

    details = last.details or {}
    reused = ResourceReport(
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
        checks=dict(details.get("checks") or {}),
    )
    if reused.state is not State.UNKNOWN and "timeliness" in reused.checks:
        judge_timeliness(
            reused,
            report.ref,
            report.fetch.headers.get("last-modified") or last_modified,
        )
    return reused


def _without_verdict(report: ResourceReport) -> ResourceReport:
    """A 304 with no earlier verdict to keep: unknown, and checked in full next time."""
    from steward.quality.fetch import explain

    report.state = State.UNKNOWN
    report.reason = "not_modified_without_verdict"
    report.explanation, report.how_to_fix = explain(report.reason)
    return report


def _validators(entry: ResourceHealth, report: ResourceReport) -> None:
    """Keep the validators a conditional re-check sends (ETag, Last-Modified)."""
    fetched = report.fetch
    if fetched.reason == "not_modified":
        # a 304 need not repeat them (a 304 without an ETag keeps the one we have)
        entry.etag = fetched.headers.get("etag", entry.etag)[:200]
        entry.last_modified = fetched.headers.get("last-modified", entry.last_modified)[:64]
    elif fetched.state is State.OK and fetched.method == "GET":
        entry.etag = fetched.headers.get("etag", "")[:200]
        entry.last_modified = fetched.headers.get("last-modified", "")[:64]
    elif fetched.state is not State.UNKNOWN or report.reason == "not_modified_without_verdict":
        entry.etag = entry.last_modified = ""  # nothing to ask conditionally about


_HEALTH_FIELDS = [
    "url", "organisation", "dataset_identifier", "last_state", "last_reason",
    "last_checked_at", "last_success_at", "first_failure_at", "consecutive_failures",
    "consecutive_unknown", "consecutive_ok", "checks", "next_check_due", "last_result",
    "etag", "last_modified",
]  # fmt: skip


@transaction.atomic
def record_results(
    run: CheckRun, reports: list[ResourceReport], *, tally: Tally | None = None
) -> list[ResourceReport]:
    """Record a batch of reports: only what changed, in a few set-based statements.

    * A report whose server answered 304 takes the resource's last verdict (see
      `_reused_verdict`).
    * A verdict equal to the resource's last one (same `fingerprint`) stores no
      `CheckResult`; a new or changed one does.
    * Every resource gets one `CheckEntry` (run, verdict, time) and its `ResourceHealth` is
      folded and upserted (`INSERT … ON CONFLICT (key) DO UPDATE`) in one statement.
    * The run's totals and `progressed_at` are written in the same transaction, so an
      interrupted run knows exactly what it has recorded.

    Returns the final reports (a 304's report replaced by the verdict it kept).
    """
    now = timezone.now()
    keys = [report.ref.key[:200] for report in reports]
    health: dict[str, ResourceHealth] = {}
    last_said: dict[str, str] = {}  # key → fingerprint of the resource's last verdict
    found = ResourceHealth.objects.filter(key__in=keys).annotate(
        last_fingerprint=F("last_result__fingerprint")
    )
    for row in found:
        health[row.key] = row
        last_said[row.key] = row.last_fingerprint or ""
    reused_ids = [
        entry.last_result_id
        for report in reports
        if report.fetch.reason == "not_modified"
        and (entry := health.get(report.ref.key[:200])) is not None
        and entry.last_result_id is not None
    ]
    previous = CheckResult.objects.in_bulk(reused_ids) if reused_ids else {}
    final: list[ResourceReport] = []
    new_results: list[tuple[ResourceHealth, CheckResult]] = []
    entries: list[tuple[ResourceHealth, CheckResult | None]] = []
    for report, key in zip(reports, keys, strict=True):
        entry = health.get(key)
        if entry is None:
            entry = health[key] = ResourceHealth(key=key)
        if report.fetch.reason == "not_modified":
            last = previous.get(entry.last_result_id) if entry.last_result_id else None
            if last is not None:
                report = _reused_verdict(report, last, entry.last_modified)
            else:
                report = _without_verdict(report)
        fields = _result_fields(report)
        said = fingerprint(fields)
        if entry.last_result_id is not None and said == last_said.get(key):
            entries.append((entry, None))
        else:
            result = CheckResult(run=run, checked_at=now, fingerprint=said, **fields)
            new_results.append((entry, result))
            entries.append((entry, result))
            last_said[key] = said
        entry.url = report.ref.url[:2000]
        entry.organisation_id = report.ref.organisation_id
        entry.dataset_identifier = report.ref.dataset_identifier[:40]
        entry.observe(report.state.value, report.reason[:40], at=now)
        _validators(entry, report)
        final.append(report)
        if tally is not None:
            tally.add(report)
    CheckResult.objects.bulk_create([result for _entry, result in new_results])
    for entry, result in new_results:
        entry.last_result_id = result.pk
    ResourceHealth.objects.bulk_create(
        list(health.values()),
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=_HEALTH_FIELDS,
    )
    CheckEntry.objects.bulk_create(
        [
            CheckEntry(
                run_id=run.pk,
                result_id=cast(int, result.pk if result is not None else entry.last_result_id),
                checked_at=now,
            )
            for entry, result in entries
        ],
        ignore_conflicts=True,  # a resource listed twice in one run is recorded once
    )
    if tally is not None:
        CheckRun.objects.filter(pk=run.pk).update(progressed_at=now, totals=tally.totals())
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
    config = config or CrawlConfig()
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
        for report in record_results(run, reports, tally=tally):
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


def latest_runs(runs: Any) -> list[CheckRun]:
    """The latest finished run per organisation among `runs` (a scoped queryset)."""
    latest: dict[int | None, CheckRun] = {}
    for run in runs.filter(~Q(status=RunStatus.RUNNING)).select_related("organisation"):
        latest.setdefault(run.organisation_id, run)
    return list(latest.values())


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
