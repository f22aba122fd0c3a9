"""The review chain: 初審 → 複審 → 諮詢小組 → 資訊長核定, and returns with reasons (MOEA 柒四/五)."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.datasets.errors import DatasetError, MetadataIncomplete, TransitionNotAllowed
from steward.datasets.metadata import (
    check,
    errors_only,
)
from steward.datasets.models import (
    CommitteeDecision,
    CommitteeMeeting,
    Dataset,
    Decision,
)
from steward.datasets.services._common import (
    _check_meeting,
    _expect,
    _finish,
    _liaisons,
    _lock,
    _require_reason,
    _require_status,
    _snapshot,
)
from steward.datasets.workflow import (
    ALL_REVIEW_STAGES,
    EDITABLE,
    STAGE_ACTION,
    Status,
    next_stage,
    review_stages,
    stage_action,
)
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, require

# ---------------------------------------------------------------- the review chain


def submit_for_review(dataset: Dataset, *, by: Person, comment: str = "") -> Dataset:
    """The liaison submits the draft to the first review stage of the plan (usually 初審).

    The metadata must meet the standard (no errors; warnings are allowed).
    """
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_DRAFT, current.organisation)
        to = next_stage(Status.DRAFT, review_stages(current.organisation))
        if current.status not in EDITABLE:
            raise TransitionNotAllowed(
                _("Only a draft or a returned dataset can be submitted; this one is “%(status)s”.")
                % {"status": current.get_status_display()}
            )
        _expect(current, to, doing=_("Submitting for review"))
        problems = errors_only(check(current))
        if problems:
            raise MetadataIncomplete(
                _("The metadata is not complete yet: %(count)d problem(s) to fix first.")
                % {"count": len(problems)},
                problems,
            )
        before, from_status = _snapshot(current), current.status
        current.status = to
        current.returned_reasons = ""
        _finish(
            current,
            by=by,
            verb="submit",
            before=before,
            from_status=from_status,
            comment=comment,
            next_action=STAGE_ACTION[to],
        )
    dataset.refresh_from_db()
    return dataset


def _approve_stage(
    dataset: Dataset, *, stage: Status, by: Person, comment: str, verb: str, doing: str
) -> Dataset:
    with transaction.atomic():
        current = _lock(dataset)
        require(by, STAGE_ACTION[stage], current.organisation)
        _require_status(current, (stage,), doing=doing)
        to = next_stage(stage, review_stages(current.organisation))
        _expect(current, to, doing=doing)
        before = _snapshot(current)
        current.status = to
        _finish(
            current,
            by=by,
            verb=verb,
            before=before,
            from_status=stage,
            comment=comment,
            next_action=STAGE_ACTION.get(to),
        )
    dataset.refresh_from_db()
    return dataset


def approve_unit_review(dataset: Dataset, *, by: Person, comment: str = "") -> Dataset:
    """The unit reviewer (資料審查者, 科長級以上) passes the internal review (初審)."""
    return _approve_stage(
        dataset,
        stage=Status.UNIT_REVIEW,
        by=by,
        comment=comment,
        verb="approve_unit_review",
        doing=_("Approving the unit review"),
    )


def approve_centre_review(dataset: Dataset, *, by: Person, comment: str = "") -> Dataset:
    """The information centre (資訊中心) passes the centre review (複審)."""
    return _approve_stage(
        dataset,
        stage=Status.CENTRE_REVIEW,
        by=by,
        comment=comment,
        verb="approve_centre_review",
        doing=_("Approving the centre review"),
    )


def approve(dataset: Dataset, *, stage: Status, by: Person, comment: str = "") -> Dataset:
    """Approve the review stage `stage` (初審, 複審 or 核定): the one home of the dispatch from a
    stage to its approval, for pages and API alike. The stage's own service refuses a dataset
    that is no longer at `stage`, so one request never approves two stages."""
    approvers = {
        Status.UNIT_REVIEW: approve_unit_review,
        Status.CENTRE_REVIEW: approve_centre_review,
        Status.CIO_APPROVAL: approve_by_cio,
    }
    approver = approvers.get(stage)
    if approver is None:
        raise TransitionNotAllowed(
            _("There is nothing to approve while the dataset is “%(status)s”.")
            % {"status": Status(stage).label}
        )
    return approver(dataset, by=by, comment=comment)


def approve_by_cio(dataset: Dataset, *, by: Person, comment: str = "") -> Dataset:
    """The CIO (資訊長) approves (核定) opening the dataset."""
    return _approve_stage(
        dataset,
        stage=Status.CIO_APPROVAL,
        by=by,
        comment=comment,
        verb="approve_by_cio",
        doing=_("CIO approval"),
    )


def reject(dataset: Dataset, *, by: Person, reasons: str) -> Dataset:
    """Return the dataset to the liaison with reasons, from any review stage.

    From the review chain it becomes “returned” (退回修正); an edit under review becomes
    “edit returned”. The liaison is told the reasons by e-mail and on the dataset page.
    """
    reasons = _require_reason(reasons, _("reasons for returning it"))
    with transaction.atomic():
        current = _lock(dataset)
        stage = Status(current.status)
        action = stage_action(stage, current.organisation)
        if stage not in ALL_REVIEW_STAGES and stage != Status.EDIT_REVIEW:
            raise TransitionNotAllowed(
                _("Only a dataset under review can be returned; this one is “%(status)s”.")
                % {"status": stage.label}
            )
        assert action is not None
        require(by, action, current.organisation)
        to = Status.EDIT_RETURNED if stage == Status.EDIT_REVIEW else Status.RETURNED
        _expect(current, to, doing=_("Returning"))
        before = _snapshot(current)
        current.status = to
        current.returned_reasons = reasons
        _finish(
            current,
            by=by,
            verb="reject",
            before=before,
            from_status=stage,
            comment=reasons,
            tell=_liaisons(current),
        )
    dataset.refresh_from_db()
    return dataset


def record_meeting(
    *,
    by: Person,
    ministry: Organisation,
    held_on: datetime.date,
    number: str,
    attendees: str = "",
    civil_representatives: int = 0,
    minutes: str = "",
) -> CommitteeMeeting:
    """Record an advisory-committee meeting (諮詢小組會議) so decisions can cite it."""
    require(by, Action.DATASET_COMMITTEE_DECISION, ministry)
    number = _require_reason(number, _("meeting number"))
    with transaction.atomic():
        if CommitteeMeeting.objects.filter(ministry=ministry.ministry, number=number).exists():
            raise ValidationError(
                {"number": [_("Meeting %(number)s is already recorded.") % {"number": number}]}
            )
        meeting = CommitteeMeeting.objects.create(
            ministry=ministry.ministry,
            held_on=held_on,
            number=number,
            attendees=attendees,
            civil_representatives=civil_representatives,
            minutes=minutes,
            recorded_by=by,
        )
        record(
            actor=by,
            action="committee.meeting",
            subject=meeting,
            organisation=ministry,
            comment=f"{number} {held_on:%Y-%m-%d}",
        )
    return meeting


def record_committee_decision(
    dataset: Dataset,
    *,
    meeting: CommitteeMeeting,
    decision: str,
    by: Person,
    reasons: str = "",
) -> Dataset:
    """Record what the advisory committee (諮詢小組) decided: approve, or return with reasons."""
    if decision not in (Decision.APPROVE, Decision.REJECT):
        raise DatasetError(_("A review decision is either approve or return."))
    if decision == Decision.REJECT:
        reasons = _require_reason(reasons, _("reasons for returning it"))
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_COMMITTEE_DECISION, current.organisation)
        _require_status(current, (Status.COMMITTEE,), doing=_("Recording a committee decision"))
        _check_meeting(meeting, current)
        if decision == Decision.APPROVE:
            to = next_stage(Status.COMMITTEE, review_stages(current.organisation))
        else:
            to = Status.RETURNED
        _expect(current, to, doing=_("Recording a committee decision"))
        CommitteeDecision.objects.create(
            meeting=meeting, dataset=current, decision=decision, reasons=reasons, recorded_by=by
        )
        before = _snapshot(current)
        current.status = to
        if to == Status.RETURNED:
            current.returned_reasons = reasons
        _finish(
            current,
            by=by,
            verb="committee_decision",
            before=before,
            from_status=Status.COMMITTEE,
            comment=f"{meeting}: {Decision(decision).label}. {reasons}".strip(),
            next_action=STAGE_ACTION.get(to) if to != Status.RETURNED else None,
            tell=_liaisons(current) if to == Status.RETURNED else (),
        )
    dataset.refresh_from_db()
    return dataset
