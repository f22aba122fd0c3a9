"""Withdrawal (停止提供, DGBAS 捌二): reason, committee, head of agency, public notice.

Which of these a withdrawal needs is the plan's rule (`rules.withdrawal`, read through
`workflow.withdrawal_stages`): the committee's discussion, the approver (the head of agency
by default, or the CIO, or the committee itself), the public notice, whether a reason is
required and what the dataset may become. Each step moves to the next stage the plan requires.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.datasets.errors import DatasetError
from steward.datasets.models import (
    ClassificationAfterWithdrawal,
    CommitteeDecision,
    CommitteeMeeting,
    Dataset,
    Decision,
    Withdrawal,
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
    Status,
    next_withdrawal_stage,
    stage_action,
    withdrawal_stages,
)
from steward.organisations.models import Person
from steward.organisations.scope import Action, require
from steward.plans.document import rules_for_organisation

# ---------------------------------------------------------------- withdrawal (停止提供, DGBAS 捌二)


def _open_withdrawal(dataset: Dataset) -> Withdrawal:
    withdrawal = dataset.withdrawals.filter(closed=False).first()
    if withdrawal is None:
        raise DatasetError(_("There is no open withdrawal request for this dataset."))
    return withdrawal


def _check_becomes(becomes: str, may_become: tuple[str, ...]) -> None:
    allowed = [value for value in ClassificationAfterWithdrawal.values if value in may_become]
    if becomes in allowed:
        return
    if len(allowed) == 1:
        raise DatasetError(
            _("Under the action plan a withdrawn dataset can only become: %(choice)s.")
            % {"choice": ClassificationAfterWithdrawal(allowed[0]).label}
        )
    raise DatasetError(_("Say whether it becomes on-request (依申請提供) or not provided."))


def request_withdrawal(dataset: Dataset, *, by: Person, reason: str, becomes: str) -> Withdrawal:
    """The liaison asks to stop providing (停止提供) a published dataset, giving the reason.

    The request goes to the first stage the plan requires (the committee by default). The
    reason is required unless the plan says otherwise; what it becomes must be one the plan
    allows.
    """
    rule = rules_for_organisation(dataset.organisation).withdrawal
    if rule.requires_reason:
        reason = _require_reason(reason, _("reason for the withdrawal"))
    reason = (reason or "").strip()
    _check_becomes(becomes, rule.may_become)
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.WITHDRAWAL_REQUEST, current.organisation)
        doing = _("Requesting a withdrawal")
        _require_status(current, (Status.PUBLISHED,), doing=doing)
        to = next_withdrawal_stage(Status.PUBLISHED, withdrawal_stages(current.organisation))
        _expect(current, to, doing=doing)
        withdrawal = Withdrawal.objects.create(
            dataset=current, reason=reason, new_classification=becomes, requested_by=by
        )
        before = _snapshot(current)
        current.status = to
        _finish(
            current,
            by=by,
            verb="request_withdrawal",
            before=before,
            from_status=Status.PUBLISHED,
            comment=reason,
            next_action=stage_action(to, current.organisation),
        )
    dataset.refresh_from_db()
    return withdrawal


def _withdraw(
    dataset: Dataset,
    withdrawal: Withdrawal,
    *,
    notice_text: str = "",
    on: datetime.date | None = None,
) -> None:
    """Close the withdrawal and reclassify the dataset (its status set by the caller)."""
    if notice_text:
        withdrawal.notice_text = notice_text
        withdrawal.notice_published_on = on or timezone.localdate()
    withdrawal.closed = True
    withdrawal.save()
    dataset.classification_after_withdrawal = withdrawal.new_classification


def record_withdrawal_discussion(
    dataset: Dataset,
    *,
    meeting: CommitteeMeeting,
    decision: str,
    by: Person,
    reasons: str = "",
) -> Dataset:
    """Record the committee's discussion of a withdrawal: agree (on to the next stage the plan
    requires: the approver, the notice, or withdrawn) or keep it open."""
    if decision not in (Decision.WITHDRAW, Decision.KEEP_OPEN):
        raise DatasetError(_("A withdrawal decision is either withdraw or keep open."))
    if decision == Decision.KEEP_OPEN:
        reasons = _require_reason(reasons, _("reasons for keeping it open"))
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_COMMITTEE_DECISION, current.organisation)
        to = Status.PUBLISHED
        if decision == Decision.WITHDRAW:
            to = next_withdrawal_stage(
                Status.WITHDRAWAL_REQUESTED, withdrawal_stages(current.organisation)
            )
        _require_status(
            current, (Status.WITHDRAWAL_REQUESTED,), doing=_("Recording the committee discussion")
        )
        _check_meeting(meeting, current)
        withdrawal = _open_withdrawal(current)
        withdrawal.committee_decision = CommitteeDecision.objects.create(
            meeting=meeting, dataset=current, decision=decision, reasons=reasons, recorded_by=by
        )
        if decision == Decision.KEEP_OPEN:
            withdrawal.closed = True
            withdrawal.refused_reasons = reasons
        withdrawal.save()
        before = _snapshot(current)
        if to == Status.WITHDRAWN:
            _withdraw(current, withdrawal)
        current.status = to
        _finish(
            current,
            by=by,
            verb="withdrawal_discussion",
            before=before,
            from_status=Status.WITHDRAWAL_REQUESTED,
            comment=f"{meeting}: {Decision(decision).label}. {reasons}".strip(),
            next_action=stage_action(to, current.organisation)
            if to in (Status.WITHDRAWAL_APPROVAL, Status.WITHDRAWAL_NOTICE)
            else None,
            tell=_liaisons(current) if to in (Status.PUBLISHED, Status.WITHDRAWN) else (),
        )
    dataset.refresh_from_db()
    return dataset


def _require_withdrawal_approver(by: Person, dataset: Dataset) -> None:
    approver = stage_action(Status.WITHDRAWAL_APPROVAL, dataset.organisation)
    assert approver is not None
    require(by, approver, dataset.organisation)


def approve_withdrawal(dataset: Dataset, *, by: Person, comment: str = "") -> Dataset:
    """The plan's approver (the head of agency, 機關首長, by default) approves the withdrawal;
    the public notice comes next, or the dataset is withdrawn when the plan needs none."""
    with transaction.atomic():
        current = _lock(dataset)
        _require_withdrawal_approver(by, current)
        _require_status(current, (Status.WITHDRAWAL_APPROVAL,), doing=_("Approving a withdrawal"))
        to = next_withdrawal_stage(
            Status.WITHDRAWAL_APPROVAL, withdrawal_stages(current.organisation)
        )
        _expect(current, to, doing=_("Approving a withdrawal"))
        withdrawal = _open_withdrawal(current)
        withdrawal.approved_by = by
        withdrawal.approved_at = timezone.now()
        withdrawal.save()
        before = _snapshot(current)
        if to == Status.WITHDRAWN:
            _withdraw(current, withdrawal)
        current.status = to
        _finish(
            current,
            by=by,
            verb="approve_withdrawal",
            before=before,
            from_status=Status.WITHDRAWAL_APPROVAL,
            comment=comment,
            next_action=Action.DATASET_PUBLISH if to == Status.WITHDRAWAL_NOTICE else None,
            tell=_liaisons(current) if to == Status.WITHDRAWN else (),
        )
    dataset.refresh_from_db()
    return dataset


def refuse_withdrawal(dataset: Dataset, *, by: Person, reasons: str) -> Dataset:
    """The plan's approver refuses the withdrawal: the dataset stays open."""
    reasons = _require_reason(reasons, _("reasons for keeping it open"))
    with transaction.atomic():
        current = _lock(dataset)
        _require_withdrawal_approver(by, current)
        _require_status(current, (Status.WITHDRAWAL_APPROVAL,), doing=_("Refusing a withdrawal"))
        withdrawal = _open_withdrawal(current)
        withdrawal.closed = True
        withdrawal.refused_reasons = reasons
        withdrawal.save()
        before = _snapshot(current)
        current.status = Status.PUBLISHED
        _finish(
            current,
            by=by,
            verb="refuse_withdrawal",
            before=before,
            from_status=Status.WITHDRAWAL_APPROVAL,
            comment=reasons,
            tell=_liaisons(current),
        )
    dataset.refresh_from_db()
    return dataset


def default_notice(dataset: Dataset, withdrawal: Withdrawal) -> str:
    """The public notice (公告) text: which dataset stops, why, and what it becomes."""
    return _(
        "Dataset %(identifier)s “%(title)s” is no longer provided as open data. "
        "Reason: %(reason)s. From now on it is: %(becomes)s."
    ) % {
        "identifier": dataset.identifier,
        "title": dataset.title,
        "reason": withdrawal.reason,
        "becomes": withdrawal.get_new_classification_display(),
    }


def publish_withdrawal_notice(
    dataset: Dataset, *, by: Person | None, notice_text: str = "", on: datetime.date | None = None
) -> Dataset:
    """Record the public notice on the portal (公告停止提供及其理由); the dataset is withdrawn.

    It then becomes on-request (依申請提供) or not provided (不予提供), as requested.
    """
    with transaction.atomic():
        current = _lock(dataset)
        if by is not None:
            require(by, Action.DATASET_PUBLISH, current.organisation)
        _require_status(
            current, (Status.WITHDRAWAL_NOTICE,), doing=_("Publishing the withdrawal notice")
        )
        withdrawal = _open_withdrawal(current)
        before = _snapshot(current)
        _withdraw(
            current,
            withdrawal,
            notice_text=(notice_text or "").strip() or default_notice(current, withdrawal),
            on=on,
        )
        current.status = Status.WITHDRAWN
        _finish(
            current,
            by=by,
            verb="withdraw",
            before=before,
            from_status=Status.WITHDRAWAL_NOTICE,
            comment=withdrawal.notice_text,
            tell=_liaisons(current),
        )
    dataset.refresh_from_db()
    return dataset
