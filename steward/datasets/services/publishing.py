"""Publishing (登載) on the plan's date, and edits of published datasets (DGBAS 伍五)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.datasets.errors import DatasetError, MetadataIncomplete
from steward.datasets.metadata import (
    check,
    errors_only,
    values_from_record,
)
from steward.datasets.models import (
    Dataset,
)
from steward.datasets.services._common import (
    _apply_resources,
    _apply_values,
    _expect,
    _finish,
    _keep_published_version,
    _liaisons,
    _lock,
    _require_status,
    _save_metadata,
    _snapshot,
)
from steward.datasets.workflow import (
    Status,
    edit_approval_action,
    stage_action,
)
from steward.organisations.models import Person
from steward.organisations.scope import Action, require
from steward.publishing.services import (
    PublishingError,
    close_returned,
    enqueue,
    operation_for,
    portal_reason,
    refused_entry,
)

# ---------------------------------------------------------------- publishing


def _enqueue_publication(dataset: Dataset, *, by: Person, on: datetime.date) -> None:
    """Put the approved metadata in the publishing outbox, in the caller's transaction.

    The transactional outbox: the dataset becoming “scheduled” and its outbox entry commit
    together or not at all, so the drain needs no sweep to find it (the sweep stays only as
    a safety net). The entry waits until the start of the publishing day. Metadata the
    portal's schema refuses stops the step here, with every problem, and changes nothing.
    """
    not_before = timezone.make_aware(datetime.datetime.combine(on, datetime.time()))
    try:
        enqueue(dataset, operation=operation_for(dataset), by=by, not_before=not_before)
    except PublishingError as error:
        raise DatasetError(str(error)) from error


def schedule_publication(
    dataset: Dataset, *, by: Person, on: datetime.date, comment: str = ""
) -> Dataset:
    """The information centre schedules an approved dataset for the plan's publishing date.

    Also reschedules a dataset already scheduled. The metadata's 發布時間 / 最後更新時間 are
    fixed here so that what is pushed and what is kept as published are the same. The push
    to the portal is queued in the same transaction (publishing outbox), due on `on`.
    """
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_PUBLISH, current.organisation)
        _require_status(current, (Status.APPROVED, Status.SCHEDULED), doing=_("Scheduling"))
        before, from_status = _snapshot(current), current.status
        current.status = Status.SCHEDULED
        current.scheduled_publish_on = on
        if current.issued is None:
            current.issued = timezone.make_aware(datetime.datetime.combine(on, datetime.time()))
        _finish(
            current,
            by=by,
            verb="schedule",
            before=before,
            from_status=from_status,
            comment=comment or _("to be published on %(date)s") % {"date": on.isoformat()},
            tell=_liaisons(current),
        )
        _enqueue_publication(current, by=by, on=on)
    dataset.refresh_from_db()
    return dataset


def mark_published(
    dataset: Dataset, *, by: Person | None, portal_identifier: str, comment: str = ""
) -> Dataset:
    """Record that the portal accepted the dataset (登載): keep the published version.

    The publishing outbox calls this when the national portal answers success, with
    `by=None` (the system) — an in-process caller only; pages and the API always pass the
    signed-in person, who needs the publish action (資訊中心).
    """
    with transaction.atomic():
        current = _lock(dataset)
        if by is not None:
            require(by, Action.DATASET_PUBLISH, current.organisation)
        _expect(current, Status.PUBLISHED, doing=_("Recording as published"))
        before, from_status = _snapshot(current), current.status
        current.status = Status.PUBLISHED
        current.portal_identifier = (portal_identifier or current.identifier).strip()
        current.returned_reasons = ""
        _keep_published_version(current, by=by)
        _finish(
            current,
            by=by,
            verb="publish",
            before=before,
            from_status=from_status,
            comment=comment,
            tell=_liaisons(current),
        )
    dataset.refresh_from_db()
    return dataset


def return_refused_publication(dataset: Dataset, *, by: Person, comment: str = "") -> Dataset:
    """The information centre returns a dataset the national portal refused for good to the
    liaison, with the portal's reason (and its own comment).

    Only while the refusal is on record (a failed outbox row, which this closes). A dataset
    never published becomes “returned”: once fixed it goes through the plan's review chain
    again. An edit of a published dataset becomes “edit returned”: the fixed edit goes to its
    edit review again, or is discarded; the portal keeps the published version meanwhile.
    """
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_PUBLISH, current.organisation)
        doing = _("Returning a dataset the portal refused")
        _require_status(current, (Status.SCHEDULED,), doing=doing)
        entry = refused_entry(current, for_update=True)
        if entry is None:
            raise DatasetError(
                _(
                    "The national portal has not refused %(identifier)s; only a refused dataset "
                    "can be returned this way."
                )
                % {"identifier": current.identifier}
            )
        to = Status.EDIT_RETURNED if current.versions.exists() else Status.RETURNED
        _expect(current, to, doing=doing)
        reasons = _("The national portal refused the metadata:\n%(reason)s") % {
            "reason": portal_reason(entry)
        }
        note = (comment or "").strip()
        if note:
            reasons += "\n" + _("Information centre: %(note)s") % {"note": note}
        before = _snapshot(current)
        current.status = to
        current.returned_reasons = reasons
        close_returned(entry, by=by)
        _finish(
            current,
            by=by,
            verb="return_refused",
            before=before,
            from_status=Status.SCHEDULED,
            comment=reasons,
            tell=_liaisons(current),
        )
    dataset.refresh_from_db()
    return dataset


# ---------------------------------------------------------------- edits after publishing (DGBAS 伍五)


def propose_edit(
    dataset: Dataset,
    *,
    by: Person,
    values: Mapping[str, Any],
    resources: Sequence[Mapping[str, Any]] | None = None,
    comment: str = "",
) -> Dataset:
    """The liaison changes a published dataset; who approves it is the plan's rule
    (`published_edits.approved_by`: the unit reviewer alone by default and at DGBAS 伍五).

    When the plan lets the owning unit edit directly (approved_by = liaison) the edit needs no
    approval: it is queued for re-publishing at once.
    """
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_DRAFT, current.organisation)
        _require_status(
            current, (Status.PUBLISHED, Status.EDIT_RETURNED), doing=_("Proposing an edit")
        )
        approver = edit_approval_action(current.organisation)
        to = Status.EDIT_REVIEW if approver is not None else Status.SCHEDULED
        _expect(current, to, doing=_("Proposing an edit"))
        before, from_status = _snapshot(current), current.status
        _save_metadata(current, values, resources)
        problems = errors_only(check(current))
        if problems:
            raise MetadataIncomplete(
                _("The metadata is not complete yet: %(count)d problem(s) to fix first.")
                % {"count": len(problems)},
                problems,
            )
        current.status = to
        current.returned_reasons = ""
        if to == Status.SCHEDULED:
            current.scheduled_publish_on = timezone.localdate()
            comment = comment or _("The plan lets the owning unit edit directly; no approval.")
        _finish(
            current,
            by=by,
            verb="propose_edit",
            before=before,
            from_status=from_status,
            comment=comment,
            next_action=approver or Action.DATASET_PUBLISH,
        )
        if to == Status.SCHEDULED:
            _enqueue_publication(current, by=by, on=timezone.localdate())
    dataset.refresh_from_db()
    return dataset


def approve_edit(dataset: Dataset, *, by: Person, comment: str = "") -> Dataset:
    """The plan's approver of edits (the unit reviewer by default) approves an edit; it is
    queued for re-publishing today, in the same transaction (publishing outbox)."""
    with transaction.atomic():
        current = _lock(dataset)
        approver = stage_action(Status.EDIT_REVIEW, current.organisation)
        assert approver is not None
        require(by, approver, current.organisation)
        _require_status(current, (Status.EDIT_REVIEW,), doing=_("Approving an edit"))
        before = _snapshot(current)
        today = timezone.localdate()
        current.status = Status.SCHEDULED
        current.scheduled_publish_on = today
        _finish(
            current,
            by=by,
            verb="approve_edit",
            before=before,
            from_status=Status.EDIT_REVIEW,
            comment=comment,
            next_action=Action.DATASET_PUBLISH,
            tell=_liaisons(current),
        )
        _enqueue_publication(current, by=by, on=today)
    dataset.refresh_from_db()
    return dataset


def discard_edit(dataset: Dataset, *, by: Person, comment: str = "") -> Dataset:
    """The liaison gives up a returned edit: the metadata goes back to the published version."""
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_DRAFT, current.organisation)
        _require_status(current, (Status.EDIT_RETURNED,), doing=_("Discarding an edit"))
        version = current.versions.order_by("-number").first()
        if version is None:
            raise DatasetError(_("There is no published version to go back to."))
        before = _snapshot(current)
        _restore(current, version.metadata)
        current.status = Status.PUBLISHED
        current.returned_reasons = ""
        _finish(
            current,
            by=by,
            verb="discard_edit",
            before=before,
            from_status=Status.EDIT_RETURNED,
            comment=comment,
        )
    dataset.refresh_from_db()
    return dataset


def _restore(dataset: Dataset, metadata: Mapping[str, Any]) -> None:
    """Put the published metadata back on the row and its resources."""
    values, resources = values_from_record(metadata)
    _apply_values(dataset, values)
    dataset.modified = None
    if metadata.get("modified"):
        dataset.modified = timezone.make_aware(
            datetime.datetime.strptime(metadata["modified"], "%Y-%m-%d %H:%M:%S")
        )
    _apply_resources(dataset, resources)
