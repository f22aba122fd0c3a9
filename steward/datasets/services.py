"""Every state change of a dataset: drafting, the review chain, publishing, edits, withdrawal.

Each public function is one step: it opens a transaction, locks the dataset row, checks the
person's role (`scope.require`) and the current status against `workflow.ALLOWED`, makes the
change, writes one audit event (who, from → to, comment, metadata diff) and e-mails whoever
must act next. Pages, the JSON API and the publishing outbox all call these same functions.

The chain (MOEA 柒四/五, DGBAS 伍三/伍五/捌二):
liaison drafts → unit review 初審 → centre review 複審 → committee 諮詢小組 → CIO 核定 →
scheduled on the plan's date → published (登載); a rejection anywhere returns it to the liaison.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import diff, record
from steward.datasets.errors import DatasetError, MetadataIncomplete, TransitionNotAllowed
from steward.datasets.metadata import (
    EDITABLE_KEYS,
    EDITABLE_RESOURCE_KEYS,
    check,
    errors_only,
    flatten,
    identifier_for,
    record_of,
    values_from_record,
)
from steward.datasets.models import (
    ClassificationAfterWithdrawal,
    CommitteeDecision,
    CommitteeMeeting,
    Dataset,
    DatasetVersion,
    Decision,
    Resource,
    Withdrawal,
)
from steward.datasets.standard import IDENTIFIER_RE, IdentifierError, next_resource_id
from steward.datasets.workflow import (
    ALL_REVIEW_STAGES,
    EDITABLE,
    STAGE_ACTION,
    Status,
    allowed,
    next_stage,
    review_stages,
)
from steward.lib.notify import notify
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, people_who_can, require

WORKFLOW_KEYS = ("status", "scheduled_publish_on", "portal_identifier", "returned_reasons")

# ---------------------------------------------------------------- helpers


def _lock(dataset: Dataset) -> Dataset:
    return Dataset.objects.select_for_update().select_related("organisation").get(pk=dataset.pk)


def _snapshot(dataset: Dataset) -> dict[str, Any]:
    """Metadata (flat) plus the workflow fields, for the audit diff."""
    flat = flatten(record_of(dataset))
    for key in WORKFLOW_KEYS:
        value = getattr(dataset, key)
        flat[key] = value.isoformat() if isinstance(value, datetime.date) else value
    return flat


def _expect(dataset: Dataset, to: Status, *, doing: str) -> None:
    """Refuse a step the allowed-transition table does not permit from the current status."""
    if not allowed(dataset.status, to):
        raise TransitionNotAllowed(
            _("%(doing)s is not possible while the dataset is “%(status)s”.")
            % {"doing": doing, "status": Status(dataset.status).label}
        )


def _finish(
    dataset: Dataset,
    *,
    by: Person | None,
    verb: str,
    before: dict[str, Any],
    from_status: str,
    comment: str = "",
    next_action: Action | None = None,
    tell: Iterable[Person] = (),
) -> None:
    """Save, audit and notify: the common tail of every step."""
    dataset.save()
    record(
        actor=by,
        action=f"dataset.{verb}",
        subject=dataset,
        organisation=dataset.organisation,
        from_state=from_status,
        to_state=dataset.status,
        comment=comment,
        changes=diff(before, _snapshot(dataset)),
    )
    people = set(tell)
    if next_action is not None:
        people |= set(people_who_can(next_action, dataset.organisation))
    if by is not None:
        people.discard(by)
    if people:
        status = Status(dataset.status).label
        link = reverse("datasets:detail", args=[dataset.pk])
        notify(
            sorted(people, key=lambda p: p.pk),
            subject=_("[Open data] %(identifier)s %(title)s: %(status)s")
            % {"identifier": dataset.identifier, "title": dataset.title, "status": status},
            body=_(
                "Dataset %(identifier)s “%(title)s” is now “%(status)s”.\n"
                "%(who)s: %(comment)s\n\nOpen it: %(link)s\n"
            )
            % {
                "identifier": dataset.identifier,
                "title": dataset.title,
                "status": status,
                "who": by or _("OpenData Steward"),
                "comment": comment or "—",
                "link": link,
            },
        )


def _liaisons(dataset: Dataset) -> set[Person]:
    people = set(people_who_can(Action.DATASET_DRAFT, dataset.organisation))
    if dataset.created_by is not None and dataset.created_by.is_active:
        people.add(dataset.created_by)
    return people


def _require_reason(text: str, what: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise DatasetError(_("Please give the %(what)s.") % {"what": what})
    return cleaned


# ---------------------------------------------------------------- metadata


def _apply_values(dataset: Dataset, values: Mapping[str, Any]) -> None:
    unknown = sorted(set(values) - set(EDITABLE_KEYS) - {"gender_statistics"})
    if unknown:
        raise ValidationError(
            {key: [_("“%(key)s” is not a field you can set.") % {"key": key}] for key in unknown}
        )
    for key, value in values.items():
        setattr(dataset, key, value)


def _apply_resources(dataset: Dataset, resources: Sequence[Mapping[str, Any]]) -> None:
    """Replace the dataset's resources with `resources`, keeping IDs of those that remain."""
    existing = {resource.resourceID: resource for resource in dataset.resources.all()}
    kept: list[Resource] = []
    ids = list(existing)
    for position, data in enumerate(resources):
        resource_id = str(data.get("resourceID") or "").strip()
        unknown = sorted(set(data) - set(EDITABLE_RESOURCE_KEYS) - {"resourceID"})
        if unknown:
            raise ValidationError(
                {
                    f"distribution[{position}].{key}": [
                        _("“%(key)s” is not a field you can set.") % {"key": key}
                    ]
                    for key in unknown
                }
            )
        if resource_id:
            if resource_id not in existing:
                raise ValidationError(
                    {
                        f"distribution[{position}].resourceID": [
                            _("Resource %(id)s does not belong to this dataset.")
                            % {"id": resource_id}
                        ]
                    }
                )
            resource = existing[resource_id]
        else:
            resource_id = next_resource_id(dataset.identifier, ids)
            ids.append(resource_id)
            resource = Resource(dataset=dataset, resourceID=resource_id)
        for key in EDITABLE_RESOURCE_KEYS:
            if key in data:
                setattr(resource, key, data[key] if data[key] is not None else "")
        resource.position = position
        try:
            resource.full_clean(exclude=["dataset"])
        except ValidationError as error:
            raise ValidationError(
                {
                    f"distribution[{position}].{field}": messages
                    for field, messages in error.message_dict.items()
                }
            ) from None
        kept.append(resource)
    kept_ids = {resource.resourceID for resource in kept}
    dataset.resources.exclude(resourceID__in=kept_ids).delete()
    for resource in kept:
        resource.save()


def _save_metadata(
    dataset: Dataset,
    values: Mapping[str, Any],
    resources: Sequence[Mapping[str, Any]] | None,
) -> None:
    _apply_values(dataset, values)
    dataset.full_clean(exclude=["organisation", "created_by", "identifier"])
    dataset.modified = timezone.now().replace(microsecond=0)
    dataset.save()
    if resources is not None:
        _apply_resources(dataset, resources)


def _check_identifier(identifier: str) -> str:
    if not IDENTIFIER_RE.match(identifier):
        raise ValidationError(
            {
                "identifier": [
                    _(
                        "An identifier (資料集編號) is the 10-character agency code, a dash and "
                        "6 letters or digits, e.g. A17000000J-000123; “%(value)s” is not."
                    )
                    % {"value": identifier}
                ]
            }
        )
    if Dataset.objects.filter(identifier=identifier).exists():
        raise ValidationError(
            {
                "identifier": [
                    _("Identifier %(value)s is already used by another dataset.")
                    % {"value": identifier}
                ]
            }
        )
    return identifier


def create_dataset(
    *,
    by: Person,
    organisation: Organisation,
    values: Mapping[str, Any],
    resources: Sequence[Mapping[str, Any]] = (),
    identifier: str = "",
) -> Dataset:
    """The liaison drafts a dataset (草稿); its identifier comes from the agency code.

    `identifier` may be given (e.g. a dataset already on the portal); it must be free.
    """
    require(by, Action.DATASET_DRAFT, organisation)
    for attempt in range(3):
        try:
            with transaction.atomic():
                if identifier:
                    chosen = _check_identifier(identifier.strip())
                else:
                    try:
                        chosen = identifier_for(organisation)
                    except IdentifierError as error:
                        raise DatasetError(str(error)) from None
                dataset = Dataset(
                    organisation=organisation,
                    identifier=chosen,
                    created_by=by,
                    status=Status.DRAFT,
                )
                _save_metadata(dataset, values, resources)
                record(
                    actor=by,
                    action="dataset.create",
                    subject=dataset,
                    organisation=organisation,
                    to_state=dataset.status,
                    changes=diff({}, _snapshot(dataset)),
                )
                return dataset
        except IntegrityError:
            # Two liaisons of one agency took the same serial at once: take the next one.
            if identifier or attempt == 2:
                raise ValidationError(
                    {"identifier": [_("That identifier was just taken; please try again.")]}
                ) from None
    raise AssertionError("unreachable")


def update_dataset(
    dataset: Dataset,
    *,
    by: Person,
    values: Mapping[str, Any],
    resources: Sequence[Mapping[str, Any]] | None = None,
    comment: str = "",
) -> Dataset:
    """The liaison edits a draft or a returned dataset (a returned one becomes a draft again).

    Published datasets change through `propose_edit`, which needs the unit reviewer.
    """
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_DRAFT, current.organisation)
        if current.status not in EDITABLE:
            raise TransitionNotAllowed(
                _("Only a draft or a returned dataset can be edited; this one is “%(status)s”.")
                % {"status": Status(current.status).label}
            )
        before, from_status = _snapshot(current), current.status
        _save_metadata(current, values, resources)
        current.status = Status.DRAFT
        _finish(
            current, by=by, verb="edit", before=before, from_status=from_status, comment=comment
        )
    dataset.refresh_from_db()
    return dataset


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
        if current.status != stage:
            raise TransitionNotAllowed(
                _("%(doing)s is not possible while the dataset is “%(status)s”.")
                % {"doing": doing, "status": Status(current.status).label}
            )
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
        action = STAGE_ACTION.get(stage)
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


def _check_meeting(meeting: CommitteeMeeting, dataset: Dataset) -> None:
    if meeting.ministry_id != dataset.organisation.ministry.pk:
        raise DatasetError(_("That meeting belongs to another ministry's committee."))


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
        if current.status != Status.COMMITTEE:
            raise TransitionNotAllowed(
                _("%(doing)s is not possible while the dataset is “%(status)s”.")
                % {
                    "doing": _("Recording a committee decision"),
                    "status": current.get_status_display(),
                }
            )
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


# ---------------------------------------------------------------- publishing


def schedule_publication(
    dataset: Dataset, *, by: Person, on: datetime.date, comment: str = ""
) -> Dataset:
    """The information centre schedules an approved dataset for the plan's publishing date.

    Also reschedules a dataset already scheduled. The metadata's 發布時間 / 最後更新時間 are
    fixed here so that what is pushed and what is kept as published are the same.
    """
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_PUBLISH, current.organisation)
        _expect(current, Status.SCHEDULED, doing=_("Scheduling"))
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
        last = current.versions.order_by("-number").first()
        DatasetVersion.objects.create(
            dataset=current,
            number=(last.number + 1) if last else 1,
            metadata=record_of(current),
            portal_identifier=current.portal_identifier,
            published_at=timezone.now(),
            published_by=by,
        )
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


# ---------------------------------------------------------------- edits after publishing (DGBAS 伍五)


def propose_edit(
    dataset: Dataset,
    *,
    by: Person,
    values: Mapping[str, Any],
    resources: Sequence[Mapping[str, Any]] | None = None,
    comment: str = "",
) -> Dataset:
    """The liaison changes a published dataset; only the unit reviewer must approve it."""
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_DRAFT, current.organisation)
        _expect(current, Status.EDIT_REVIEW, doing=_("Proposing an edit"))
        before, from_status = _snapshot(current), current.status
        _save_metadata(current, values, resources)
        problems = errors_only(check(current))
        if problems:
            raise MetadataIncomplete(
                _("The metadata is not complete yet: %(count)d problem(s) to fix first.")
                % {"count": len(problems)},
                problems,
            )
        current.status = Status.EDIT_REVIEW
        current.returned_reasons = ""
        _finish(
            current,
            by=by,
            verb="propose_edit",
            before=before,
            from_status=from_status,
            comment=comment,
            next_action=Action.DATASET_UNIT_REVIEW,
        )
    dataset.refresh_from_db()
    return dataset


def approve_edit(dataset: Dataset, *, by: Person, comment: str = "") -> Dataset:
    """The unit reviewer approves an edit; it is scheduled for re-publishing today."""
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_UNIT_REVIEW, current.organisation)
        if current.status != Status.EDIT_REVIEW:
            raise TransitionNotAllowed(
                _("%(doing)s is not possible while the dataset is “%(status)s”.")
                % {"doing": _("Approving an edit"), "status": current.get_status_display()}
            )
        before = _snapshot(current)
        current.status = Status.SCHEDULED
        current.scheduled_publish_on = timezone.localdate()
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
    dataset.refresh_from_db()
    return dataset


def discard_edit(dataset: Dataset, *, by: Person, comment: str = "") -> Dataset:
    """The liaison gives up a returned edit: the metadata goes back to the published version."""
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_DRAFT, current.organisation)
        if current.status != Status.EDIT_RETURNED:
            raise TransitionNotAllowed(
                _("%(doing)s is not possible while the dataset is “%(status)s”.")
                % {"doing": _("Discarding an edit"), "status": current.get_status_display()}
            )
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


# ---------------------------------------------------------------- withdrawal (停止提供, DGBAS 捌二)


def _open_withdrawal(dataset: Dataset) -> Withdrawal:
    withdrawal = dataset.withdrawals.filter(closed=False).first()
    if withdrawal is None:
        raise DatasetError(_("There is no open withdrawal request for this dataset."))
    return withdrawal


def request_withdrawal(dataset: Dataset, *, by: Person, reason: str, becomes: str) -> Withdrawal:
    """The liaison asks to stop providing (停止提供) a published dataset, giving the reason."""
    reason = _require_reason(reason, _("reason for the withdrawal"))
    if becomes not in ClassificationAfterWithdrawal.values:
        raise DatasetError(_("Say whether it becomes on-request (依申請提供) or not provided."))
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.WITHDRAWAL_REQUEST, current.organisation)
        _expect(current, Status.WITHDRAWAL_REQUESTED, doing=_("Requesting a withdrawal"))
        withdrawal = Withdrawal.objects.create(
            dataset=current, reason=reason, new_classification=becomes, requested_by=by
        )
        before = _snapshot(current)
        current.status = Status.WITHDRAWAL_REQUESTED
        _finish(
            current,
            by=by,
            verb="request_withdrawal",
            before=before,
            from_status=Status.PUBLISHED,
            comment=reason,
            next_action=Action.DATASET_COMMITTEE_DECISION,
        )
    dataset.refresh_from_db()
    return withdrawal


def record_withdrawal_discussion(
    dataset: Dataset,
    *,
    meeting: CommitteeMeeting,
    decision: str,
    by: Person,
    reasons: str = "",
) -> Dataset:
    """Record the committee's discussion of a withdrawal: agree (to the head) or keep it open."""
    if decision not in (Decision.WITHDRAW, Decision.KEEP_OPEN):
        raise DatasetError(_("A withdrawal decision is either withdraw or keep open."))
    if decision == Decision.KEEP_OPEN:
        reasons = _require_reason(reasons, _("reasons for keeping it open"))
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.DATASET_COMMITTEE_DECISION, current.organisation)
        to = Status.WITHDRAWAL_APPROVAL if decision == Decision.WITHDRAW else Status.PUBLISHED
        if current.status != Status.WITHDRAWAL_REQUESTED:
            raise TransitionNotAllowed(
                _("%(doing)s is not possible while the dataset is “%(status)s”.")
                % {
                    "doing": _("Recording the committee discussion"),
                    "status": current.get_status_display(),
                }
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
        current.status = to
        _finish(
            current,
            by=by,
            verb="withdrawal_discussion",
            before=before,
            from_status=Status.WITHDRAWAL_REQUESTED,
            comment=f"{meeting}: {Decision(decision).label}. {reasons}".strip(),
            next_action=Action.WITHDRAWAL_APPROVE if to == Status.WITHDRAWAL_APPROVAL else None,
            tell=_liaisons(current) if to == Status.PUBLISHED else (),
        )
    dataset.refresh_from_db()
    return dataset


def approve_withdrawal(dataset: Dataset, *, by: Person, comment: str = "") -> Dataset:
    """The head of agency (機關首長) approves the withdrawal; the notice comes next."""
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.WITHDRAWAL_APPROVE, current.organisation)
        if current.status != Status.WITHDRAWAL_APPROVAL:
            raise TransitionNotAllowed(
                _("%(doing)s is not possible while the dataset is “%(status)s”.")
                % {"doing": _("Approving a withdrawal"), "status": current.get_status_display()}
            )
        withdrawal = _open_withdrawal(current)
        withdrawal.approved_by = by
        withdrawal.approved_at = timezone.now()
        withdrawal.save()
        before = _snapshot(current)
        current.status = Status.WITHDRAWAL_NOTICE
        _finish(
            current,
            by=by,
            verb="approve_withdrawal",
            before=before,
            from_status=Status.WITHDRAWAL_APPROVAL,
            comment=comment,
            next_action=Action.DATASET_PUBLISH,
        )
    dataset.refresh_from_db()
    return dataset


def refuse_withdrawal(dataset: Dataset, *, by: Person, reasons: str) -> Dataset:
    """The head of agency refuses the withdrawal: the dataset stays open."""
    reasons = _require_reason(reasons, _("reasons for keeping it open"))
    with transaction.atomic():
        current = _lock(dataset)
        require(by, Action.WITHDRAWAL_APPROVE, current.organisation)
        if current.status != Status.WITHDRAWAL_APPROVAL:
            raise TransitionNotAllowed(
                _("%(doing)s is not possible while the dataset is “%(status)s”.")
                % {"doing": _("Refusing a withdrawal"), "status": current.get_status_display()}
            )
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
        if current.status != Status.WITHDRAWAL_NOTICE:
            raise TransitionNotAllowed(
                _("%(doing)s is not possible while the dataset is “%(status)s”.")
                % {
                    "doing": _("Publishing the withdrawal notice"),
                    "status": current.get_status_display(),
                }
            )
        withdrawal = _open_withdrawal(current)
        withdrawal.notice_text = (notice_text or "").strip() or default_notice(current, withdrawal)
        withdrawal.notice_published_on = on or timezone.localdate()
        withdrawal.closed = True
        withdrawal.save()
        before = _snapshot(current)
        current.status = Status.WITHDRAWN
        current.classification_after_withdrawal = withdrawal.new_classification
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
