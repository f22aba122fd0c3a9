"""Every state change of publishing (登載): enqueue, deliver, retry, and their audit events.

The outbox is transactional: `enqueue` joins the caller's transaction, so a dataset that
becomes due for the portal and its outbox row commit together or not at all. `deliver_due`
is the worker: it claims due rows atomically (``SELECT … FOR UPDATE SKIP LOCKED`` on
PostgreSQL; SQLite serialises writers anyway), pushes each through the adapter outside any
transaction, and records the outcome:

- success → succeeded, the portal's identifier kept, `datasets.services.mark_published`;
- refused (schema, 4xx) → failed at once: retrying the same body cannot help, a person must;
- transient (5xx, 429, timeout, lost connection) → pending again after an exponential
  back-off (at least the portal's Retry-After), and dead after `max_attempts`.

Failed and dead rows are shown on the outbox page and e-mailed to the information centre;
`retry` puts them back with the dataset's current metadata. Delivering a row twice is
harmless because the adapter's writes are upserts keyed by the dataset identifier.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.datasets.errors import DatasetError
from steward.datasets.metadata import published_metadata
from steward.datasets.models import Dataset
from steward.datasets.workflow import Status
from steward.lib.notify import notify
from steward.organisations.models import Person
from steward.organisations.scope import Action, people_who_can, require
from steward.publishing.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    Operation,
    OutboxStatus,
    PublishingOutboxEntry,
)
from steward.publishing.portal import PortalClient, PortalError, PortalErrorKind
from steward.publishing.schema import validate_body

#: Dataset statuses whose stored metadata is the approved one and may be pushed.
PUBLISHABLE = frozenset({Status.SCHEDULED, Status.PUBLISHED})
#: HTTP statuses with which the portal refuses our API key rather than the metadata.
KEY_REFUSED = (401, 403)
#: Dataset statuses in which removing it from the portal may be asked for.
REMOVABLE = frozenset({Status.WITHDRAWAL_NOTICE, Status.WITHDRAWN})


class PublishingError(Exception):
    """A publishing step that cannot be taken now; the message is translated and says why."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"- {problem}" for problem in self.problems)])


# ---------------------------------------------------------------- tunables


def max_attempts() -> int:
    """Attempts before a row is declared dead (STEWARD_PUBLISH_MAX_ATTEMPTS, default 8)."""
    return int(settings.STEWARD_PUBLISH_MAX_ATTEMPTS)


def backoff(attempts: int, *, retry_after: float | None = None) -> datetime.timedelta:
    """How long to wait after the `attempts`-th failure: 1, 2, 4, 8 … minutes, capped at 6 h
    (STEWARD_PUBLISH_BACKOFF_SECONDS, STEWARD_PUBLISH_BACKOFF_CAP_SECONDS), and never less than
    what the portal asked for in Retry-After."""
    base = float(settings.STEWARD_PUBLISH_BACKOFF_SECONDS)
    cap = float(settings.STEWARD_PUBLISH_BACKOFF_CAP_SECONDS)
    seconds = min(cap, base * (2 ** max(0, attempts - 1)))
    if retry_after is not None:
        seconds = max(seconds, min(retry_after, 24 * 3600))
    return datetime.timedelta(seconds=seconds)


def lease() -> datetime.timedelta:
    """How long a claim lasts; a worker that died mid-send loses its rows after this."""
    return datetime.timedelta(seconds=settings.STEWARD_PUBLISH_LEASE_SECONDS)


# ---------------------------------------------------------------- enqueue


def payload_digest(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a payload: equal bodies, equal digests."""
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _payload_for(dataset: Dataset, operation: Operation) -> dict[str, Any]:
    if operation == Operation.DELETE:
        return {"identifier": dataset.identifier}
    payload = published_metadata(dataset)
    problems = validate_body(payload)
    if problems:
        raise PublishingError(
            _(
                "The metadata of %(identifier)s breaks the national standard; "
                "it cannot be sent to the portal."
            )
            % {"identifier": dataset.identifier},
            problems=[str(problem) for problem in problems],
        )
    return payload


def _move(entry: PublishingOutboxEntry, to: OutboxStatus) -> None:
    if to not in ALLOWED_TRANSITIONS[entry.status]:
        raise PublishingError(
            _("An outbox entry cannot go from “%(from)s” to “%(to)s”.")
            % {"from": entry.get_status_display(), "to": OutboxStatus(to).label}
        )
    entry.status = to


def enqueue(
    dataset: Dataset,
    *,
    operation: Operation,
    by: Person | None,
    not_before: datetime.datetime | None = None,
) -> PublishingOutboxEntry:
    """Queue a push of the dataset's current metadata (or its removal) for the worker.

    Joins the caller's transaction: call it inside the service that changes the dataset's
    state. An open row of the same dataset (pending, failed or dead) is reused — its
    operation and payload replaced by this one, attempts reset — so the portal gets the
    latest metadata once rather than every intermediate version (coalescing).
    Raises PublishingError, with every problem, if the metadata breaks the standard.
    """
    payload = _payload_for(dataset, operation)
    digest = payload_digest(payload)
    due = not_before or timezone.now()
    with transaction.atomic():
        entry = (
            PublishingOutboxEntry.objects.select_for_update()
            .filter(dataset=dataset, status__in=OPEN_STATUSES)
            .first()
        )
        if entry is None:
            entry = PublishingOutboxEntry(dataset=dataset, status=OutboxStatus.PENDING)
            from_state = ""
            verb = "publishing.enqueue"
        else:
            from_state = entry.status
            verb = "publishing.coalesce"
            _move(entry, OutboxStatus.PENDING)
        entry.operation = operation
        entry.payload = payload
        entry.payload_sha256 = digest
        entry.idempotency_key = uuid.uuid4().hex
        entry.attempts = 0
        entry.next_attempt_at = due
        entry.last_error = ""
        entry.last_status_code = None
        entry.requested_by = by
        entry.save()
        record(
            actor=by,
            action=verb,
            subject=entry,
            organisation=dataset.organisation,
            from_state=from_state,
            to_state=entry.status,
            comment=_("%(operation)s %(identifier)s, not before %(due)s")
            % {
                "operation": entry.get_operation_display(),
                "identifier": dataset.identifier,
                "due": timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
            },
            changes={"payload_sha256": {"from": None, "to": digest}},
        )
    return entry


def operation_for(dataset: Dataset) -> Operation:
    """Create for a dataset the portal has never confirmed, update otherwise."""
    return Operation.UPDATE if dataset.portal_identifier else Operation.CREATE


def request_publication(
    dataset: Dataset, *, by: Person, not_before: datetime.datetime | None = None
) -> PublishingOutboxEntry:
    """The information centre (資訊中心) asks for the dataset's approved metadata to be pushed."""
    require(by, Action.DATASET_PUBLISH, dataset.organisation)
    with transaction.atomic():
        current = Dataset.objects.select_for_update().get(pk=dataset.pk)
        if current.status not in PUBLISHABLE:
            raise PublishingError(
                _("Only scheduled or published datasets can be pushed; this one is “%(status)s”.")
                % {"status": current.get_status_display()}
            )
        return enqueue(current, operation=operation_for(current), by=by, not_before=not_before)


def request_removal(dataset: Dataset, *, by: Person) -> PublishingOutboxEntry:
    """The information centre asks the portal to remove a withdrawn dataset (停止提供)."""
    require(by, Action.DATASET_PUBLISH, dataset.organisation)
    with transaction.atomic():
        current = Dataset.objects.select_for_update().get(pk=dataset.pk)
        if current.status not in REMOVABLE:
            raise PublishingError(
                _(
                    "Only a dataset being withdrawn can be removed from the portal; this one is “%(status)s”."
                )
                % {"status": current.get_status_display()}
            )
        return enqueue(current, operation=Operation.DELETE, by=by)


def scheduled_due(now: datetime.datetime) -> QuerySet[Dataset]:
    """Scheduled datasets whose publishing day has come and that have no open or in-flight row."""
    today = timezone.localtime(now).date()
    busy = PublishingOutboxEntry.objects.filter(
        status__in=[*OPEN_STATUSES, OutboxStatus.IN_FLIGHT]
    ).values("dataset_id")
    return (
        Dataset.objects.filter(status=Status.SCHEDULED)
        .filter(Q(scheduled_publish_on__lte=today) | Q(scheduled_publish_on__isnull=True))
        .exclude(pk__in=busy)
        .select_related("organisation")
    )


def enqueue_scheduled(*, now: datetime.datetime | None = None) -> list[PublishingOutboxEntry]:
    """Queue every scheduled dataset whose publishing day has come and that has no open or
    in-flight row yet (the safety net when the scheduling step did not enqueue itself)."""
    now = now or timezone.now()
    due = scheduled_due(now)
    queued: list[PublishingOutboxEntry] = []
    for dataset in due:
        try:
            queued.append(
                enqueue(dataset, operation=operation_for(dataset), by=None, not_before=now)
            )
        except PublishingError as error:
            queued.append(_record_refused(dataset, error))
    return queued


def _record_refused(dataset: Dataset, error: PublishingError) -> PublishingOutboxEntry:
    """A scheduled dataset whose metadata breaks the standard: keep a failed row, so it is
    visible on the outbox page, told once, and not swept again every minute."""
    payload = published_metadata(dataset)
    with transaction.atomic():
        entry = PublishingOutboxEntry.objects.create(
            dataset=dataset,
            operation=operation_for(dataset),
            payload=payload,
            payload_sha256=payload_digest(payload),
            idempotency_key=uuid.uuid4().hex,
            status=OutboxStatus.FAILED,
            last_error=str(error),
        )
        record(
            actor=None,
            action="publishing.refuse",
            subject=entry,
            organisation=dataset.organisation,
            to_state=entry.status,
            comment=entry.last_error,
        )
        _tell_centre(dataset, subject_detail=error.message, body_detail=entry.last_error)
    return entry


# ---------------------------------------------------------------- deliver


@dataclass
class DeliveryReport:
    """What one `deliver_due` run did, by outcome: lists of outbox entry ids."""

    succeeded: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.succeeded) + len(self.retrying) + len(self.failed) + len(self.dead)

    def __str__(self) -> str:
        return (
            f"attempted {self.attempted}: {len(self.succeeded)} accepted, "
            f"{len(self.retrying)} to retry, {len(self.failed)} refused, {len(self.dead)} gave up"
            + (f"; {len(self.queued)} newly queued" if self.queued else "")
        )


def claim_due(*, limit: int, now: datetime.datetime | None = None) -> list[tuple[int, int]]:
    """Atomically take up to `limit` due rows: (id, attempt number) of each claimed row.

    Due means pending and past `next_attempt_at`, or in flight with an expired claim (its
    worker died). One row per dataset at a time, oldest first, never a dataset whose other
    row is still being sent, so the portal sees a dataset's changes in order.
    """
    moment = now or timezone.now()
    for attempt in range(50):
        try:
            return _claim(limit, moment)
        except OperationalError as error:
            # SQLite serialises writers; a shared-cache database says "locked" at once rather
            # than waiting. PostgreSQL never gets here (row locks, SKIP LOCKED).
            if connection.vendor != "sqlite" or "locked" not in str(error) or attempt == 49:
                raise
            time.sleep(0.01 * (attempt + 1))
    raise AssertionError("unreachable")


def _claim(limit: int, now: datetime.datetime) -> list[tuple[int, int]]:
    with transaction.atomic():
        candidates = PublishingOutboxEntry.objects.filter(
            status__in=[OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT], next_attempt_at__lte=now
        ).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        sending = set(
            PublishingOutboxEntry.objects.filter(
                status=OutboxStatus.IN_FLIGHT, next_attempt_at__gt=now
            ).values_list("dataset_id", flat=True)
        )
        claimed: list[tuple[int, int]] = []
        for entry in candidates[: limit * 4]:
            if len(claimed) >= limit:
                break
            if entry.dataset_id in sending:
                continue
            sending.add(entry.dataset_id)
            attempt = entry.attempts + 1
            # Conditional update: if another worker took it meanwhile, nothing changes.
            taken = PublishingOutboxEntry.objects.filter(
                pk=entry.pk, status=entry.status, attempts=entry.attempts
            ).update(
                status=OutboxStatus.IN_FLIGHT,
                attempts=attempt,
                next_attempt_at=now + lease(),
                updated_at=now,
            )
            if taken:
                claimed.append((entry.pk, attempt))
    return claimed


def deliver_due(
    *,
    limit: int = 20,
    now: datetime.datetime | None = None,
    client: PortalClient | None = None,
    sweep_scheduled: bool = True,
) -> DeliveryReport:
    """Send every due outbox row (up to `limit`) to the portal and record each outcome."""
    report = DeliveryReport()
    if sweep_scheduled:
        report.queued = [entry.pk for entry in enqueue_scheduled(now=now)]
    client = client or PortalClient.from_settings()
    for entry_id, attempt in claim_due(limit=limit, now=now):
        outcome = deliver_one(entry_id, attempt=attempt, client=client, now=now)
        getattr(report, outcome).append(entry_id)
    return report


def _send(client: PortalClient, entry: PublishingOutboxEntry) -> Any:
    if entry.operation == Operation.DELETE:
        return client.delete(entry.identifier, idempotency_key=entry.idempotency_key)
    if entry.operation == Operation.UPDATE:
        return client.update(entry.payload, idempotency_key=entry.idempotency_key)
    return client.create(entry.payload, idempotency_key=entry.idempotency_key)


def deliver_one(
    entry_id: int,
    *,
    attempt: int,
    client: PortalClient,
    now: datetime.datetime | None = None,
) -> str:
    """Send one claimed row and record the outcome: "succeeded", "retrying", "failed" or "dead".

    The network call happens outside any transaction; the outcome is written only if the row
    is still ours (same attempt number), so a worker whose claim expired cannot overwrite a
    newer outcome.
    """
    entry = PublishingOutboxEntry.objects.select_related("dataset__organisation").get(pk=entry_id)
    try:
        receipt = _send(client, entry)
    except PortalError as error:
        return _record_failure(entry_id, attempt=attempt, error=error, now=now)
    return _record_success(entry_id, attempt=attempt, receipt=receipt, now=now)


def _still_ours(entry_id: int, attempt: int) -> PublishingOutboxEntry | None:
    entry = (
        PublishingOutboxEntry.objects.select_for_update()
        .select_related("dataset__organisation")
        .get(pk=entry_id)
    )
    if entry.status != OutboxStatus.IN_FLIGHT or entry.attempts != attempt:
        return None
    return entry


def _record_success(
    entry_id: int, *, attempt: int, receipt: Any, now: datetime.datetime | None
) -> str:
    with transaction.atomic():
        entry = _still_ours(entry_id, attempt)
        if entry is None:
            return "succeeded"
        _move(entry, OutboxStatus.SUCCEEDED)
        entry.portal_identifier = receipt.portal_identifier
        entry.last_status_code = receipt.status
        entry.last_error = ""
        entry.delivered_at = now or timezone.now()
        entry.save()
        record(
            actor=None,
            action="publishing.deliver",
            subject=entry,
            organisation=entry.dataset.organisation,
            from_state=OutboxStatus.IN_FLIGHT,
            to_state=entry.status,
            comment=" → ".join(receipt.steps),
            changes={"portal_identifier": {"from": None, "to": entry.portal_identifier}},
        )
        if entry.operation != Operation.DELETE:
            _mark_dataset_published(entry)
    return "succeeded"


def _mark_dataset_published(entry: PublishingOutboxEntry) -> None:
    """Tell the datasets app the portal accepted it (its own transaction joins ours).

    A dataset no longer waiting to be published (e.g. a re-push of one already published)
    only gets its portal identifier refreshed.
    """
    from steward.datasets import services as dataset_services

    dataset = entry.dataset
    if dataset.status == Status.SCHEDULED:
        try:
            dataset_services.mark_published(
                dataset,
                by=None,
                portal_identifier=entry.portal_identifier,
                comment=_("accepted by the national portal (outbox entry %(id)s)")
                % {"id": entry.pk},
            )
            return
        except DatasetError as error:
            entry.last_error = _(
                "The portal accepted it, but the dataset could not be marked published: %(error)s"
            ) % {"error": error}
            entry.save(update_fields=["last_error", "updated_at"])
            return
    if entry.portal_identifier and dataset.portal_identifier != entry.portal_identifier:
        Dataset.objects.filter(pk=dataset.pk).update(portal_identifier=entry.portal_identifier)


def _record_failure(
    entry_id: int, *, attempt: int, error: PortalError, now: datetime.datetime | None
) -> str:
    now = now or timezone.now()
    with transaction.atomic():
        entry = _still_ours(entry_id, attempt)
        if entry is None:
            return "retrying"
        entry.last_error = _error_text(error, attempt)
        entry.last_status_code = error.status
        if error.kind != PortalErrorKind.TRANSIENT:
            outcome, to = "failed", OutboxStatus.FAILED
        elif attempt >= max_attempts():
            outcome, to = "dead", OutboxStatus.DEAD
        else:
            outcome, to = "retrying", OutboxStatus.PENDING
            entry.next_attempt_at = now + backoff(attempt, retry_after=error.retry_after)
        _move(entry, to)
        entry.save()
        record(
            actor=None,
            action="publishing.deliver",
            subject=entry,
            organisation=entry.dataset.organisation,
            from_state=OutboxStatus.IN_FLIGHT,
            to_state=entry.status,
            comment=entry.last_error,
        )
        if to in (OutboxStatus.FAILED, OutboxStatus.DEAD):
            _tell_centre(
                entry.dataset,
                subject_detail=entry.get_status_display(),
                body_detail=entry.last_error,
            )
    return outcome


def _error_text(error: PortalError, attempt: int) -> str:
    """The visible explanation kept on the row: what happened, on which attempt, what next."""
    lead = {
        PortalErrorKind.INVALID: _("Refused before sending: the metadata breaks the standard."),
        PortalErrorKind.REJECTED: _("The portal refused the request."),
        PortalErrorKind.TRANSIENT: _("The portal could not be reached or answered with an error."),
    }[error.kind]
    return _("Attempt %(attempt)d: %(lead)s\n%(detail)s") % {
        "attempt": attempt,
        "lead": lead,
        "detail": str(error),
    }


def _tell_centre(dataset: Dataset, *, subject_detail: str, body_detail: str) -> None:
    """E-mail the information centre that a dataset could not be published."""
    people = list(people_who_can(Action.DATASET_PUBLISH, dataset.organisation))
    if not people:
        return
    try:
        link = reverse("publishing:index")
    except NoReverseMatch:
        link = ""
    notify(
        people,
        subject=_("[Open data] Publishing %(identifier)s: %(detail)s")
        % {"identifier": dataset.identifier, "detail": subject_detail},
        body=_(
            "Dataset %(identifier)s “%(title)s” did not reach the national portal.\n\n%(detail)s\n\n"
            "If the portal refused the metadata itself, return the dataset to the liaison from "
            "its page; otherwise send it again once the cause is fixed.\n\n%(link)s\n"
        )
        % {
            "identifier": dataset.identifier,
            "title": dataset.title,
            "detail": body_detail,
            "link": link,
        },
    )


# ---------------------------------------------------------------- refused for good


def refused_entry(dataset: Dataset, *, for_update: bool = False) -> PublishingOutboxEntry | None:
    """The dataset's push the portal refused for good (failed, not a removal, not for our API
    key), or None.

    Such a row waits for a person: the information centre either sends it again (`retry`,
    e.g. after fixing the API key) or returns the dataset to the liaison
    (`datasets.services.return_refused_publication`), which closes it here. Pass
    `for_update=True` inside a transaction to lock the row.
    """
    rows = (
        PublishingOutboxEntry.objects.filter(dataset=dataset, status=OutboxStatus.FAILED)
        .exclude(operation=Operation.DELETE)
        # A refused API key is ours to fix, not the liaison's.
        .exclude(last_status_code__in=KEY_REFUSED)
    )
    if for_update:
        rows = rows.select_for_update()
    return rows.order_by("-updated_at", "-pk").first()


def portal_reason(entry: PublishingOutboxEntry) -> str:
    """What the portal said when it refused `entry`, without our “Attempt n: …” lead line."""
    text = entry.last_error.strip()
    lead, _newline, rest = text.partition("\n")
    return rest.strip() or lead


def close_returned(entry: PublishingOutboxEntry, *, by: Person) -> None:
    """Close a refused row because its dataset went back to the liaison (joins the caller's
    transaction; the datasets service that returns the dataset calls it). A fixed, approved
    version is queued as a new row."""
    with transaction.atomic():
        _move(entry, OutboxStatus.RETURNED)
        entry.save(update_fields=["status", "updated_at"])
        record(
            actor=by,
            action="publishing.return",
            subject=entry,
            organisation=entry.dataset.organisation,
            from_state=OutboxStatus.FAILED,
            to_state=entry.status,
            comment=portal_reason(entry),
        )


# ---------------------------------------------------------------- people's actions


def retry(entry: PublishingOutboxEntry, *, by: Person) -> PublishingOutboxEntry:
    """The information centre sends a failed or dead row again, now, with the dataset's
    current metadata (the problem may have been fixed since)."""
    require(by, Action.DATASET_PUBLISH, entry.dataset.organisation)
    with transaction.atomic():
        current = PublishingOutboxEntry.objects.select_for_update().get(pk=entry.pk)
        if current.status not in (OutboxStatus.FAILED, OutboxStatus.DEAD):
            raise PublishingError(
                _("Only a refused or abandoned entry can be retried; this one is “%(status)s”.")
                % {"status": current.get_status_display()}
            )
        dataset = Dataset.objects.select_for_update().get(pk=current.dataset_id)
        if current.operation != Operation.DELETE and dataset.status not in PUBLISHABLE:
            raise PublishingError(
                _("The dataset is “%(status)s” now; there is nothing approved to send.")
                % {"status": dataset.get_status_display()}
            )
        operation = Operation(current.operation)
        if operation != Operation.DELETE:
            operation = operation_for(dataset)
        return enqueue(dataset, operation=operation, by=by)
