"""Every state change of committees: set-up, membership, meetings, agendas, minutes, approvals.

Each function checks the person's right first (`require`, before any write), then the input,
then writes in one transaction with one audit event. The information centre keeps the advisory
committee's records (`Action.COMMITTEE_MANAGE`, ministry-wide); an agency keeps its own working
group's (`Action.WORKING_GROUP_MANAGE`: its head of agency, and the information centre).
Minutes move the items they decide through the owning app's service (datasets' committee stage
and withdrawal discussion), each in a savepoint: an item somebody moved meanwhile is refused
for that item, said why, and the rest of the minutes is kept.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.committees.agenda import item_key, waiting_for
from steward.committees.models import (
    DECISIONS,
    NEEDS_REASONS,
    AgendaItem,
    Committee,
    Decision,
    ItemKind,
    Kind,
    Meeting,
    Member,
    NotProvidedReview,
    Outcome,
    Seat,
)
from steward.committees.rules import composition
from steward.datasets import services as dataset_services
from steward.datasets.errors import DatasetError
from steward.datasets.models import CommitteeMeeting
from steward.inventory.models import Classification, InventoryItem
from steward.organisations.models import Organisation, OrganisationKind, Person, Role
from steward.organisations.scope import Action, require
from steward.plans.document import rules_for_organisation

ROC_OFFSET = 1911


class CommitteeError(Exception):
    """Something asked of a committee cannot be done; the message is translated and says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def manage_action(committee: Committee) -> Action:
    """The action keeping `committee`'s records needs."""
    if committee.kind == Kind.ADVISORY:
        return Action.COMMITTEE_MANAGE
    return Action.WORKING_GROUP_MANAGE


def require_manage(by: Person, committee: Committee) -> None:
    require(by, manage_action(committee), committee.organisation)


# ---------------------------------------------------------------- set-up from the plan


def set_up_from_plan(ministry: Organisation, *, by: Person | None) -> list[Committee]:
    """Create the committees the ministry's plan calls for that do not exist yet: the advisory
    committee (諮詢小組), and a working group (工作小組) for the ministry and each agency when the
    plan has a working-group rule (MOL). Returns those created (none on a second call)."""
    ministry = ministry.ministry
    if by is not None:
        require(by, Action.COMMITTEE_MANAGE, ministry)
    rules = rules_for_organisation(ministry)
    wanted: list[tuple[Organisation, str, str]] = [
        (
            ministry,
            Kind.ADVISORY,
            _("%(ministry)s open data advisory committee") % {"ministry": ministry.name},
        ),
    ]
    if rules.working_group.stated:
        agencies = Organisation.objects.filter(
            path__startswith=ministry.path, kind=OrganisationKind.AGENCY
        ).order_by("path")
        for organisation in [ministry, *agencies]:
            name = _("%(organisation)s open data working group") % {
                "organisation": str(organisation)
            }
            wanted.append((organisation, Kind.WORKING_GROUP, name))
    created: list[Committee] = []
    with transaction.atomic():
        existing = {
            (committee.organisation_id, committee.kind)
            for committee in Committee.objects.filter(organisation__path__startswith=ministry.path)
        }
        for organisation, kind, name in wanted:
            if (organisation.pk, kind) in existing:
                continue
            created.append(
                Committee.objects.create(organisation=organisation, kind=kind, name=name)
            )
        if created:
            record(
                actor=by,
                action="committee.setup",
                subject=created[0],
                organisation=ministry,
                comment="、".join(committee.name for committee in created),
            )
    return created


# ---------------------------------------------------------------- membership


def _check_person(committee: Committee, person: Person) -> None:
    """A member with an account: on the advisory committee they hold the committee-member role
    in its ministry; on a working group a role in its organisation."""
    assignments = person.role_assignments.filter(active=True)
    if committee.kind == Kind.ADVISORY:
        ok = assignments.filter(
            role=Role.COMMITTEE_MEMBER, organisation__path__startswith=committee.organisation.path
        ).exists()
        if not ok:
            raise ValidationError(
                {
                    "person": [
                        _(
                            "%(person)s does not hold the advisory-committee member role in "
                            "%(ministry)s: grant the role first, or record them by name."
                        )
                        % {"person": person, "ministry": committee.organisation}
                    ]
                }
            )
    elif not assignments.filter(
        organisation__path__startswith=committee.organisation.path
    ).exists():
        raise ValidationError(
            {
                "person": [
                    _("%(person)s holds no role in %(organisation)s.")
                    % {"person": person, "organisation": committee.organisation}
                ]
            }
        )


def add_member(
    committee: Committee,
    *,
    by: Person,
    seat: str,
    since: datetime.date,
    name: str = "",
    person: Person | None = None,
    affiliation: str = "",
    until: datetime.date | None = None,
) -> Member:
    """Seat somebody on `committee` from `since` (to `until`, inclusive, if given)."""
    require_manage(by, committee)
    errors: dict[str, list[str]] = {}
    if seat not in Seat.values:
        errors["seat"] = [_("Choose a seat: chair, agency, civil representative or academic.")]
    name = (name or "").strip() or (str(person) if person is not None else "")
    if not name:
        errors["name"] = [_("Give the member's name, or choose a person with an account.")]
    if until is not None and until < since:
        errors["until"] = [_("The seat cannot end before it starts.")]
    if errors:
        raise ValidationError(errors)
    if person is not None:
        _check_person(committee, person)
    with transaction.atomic():
        Committee.objects.select_for_update().get(pk=committee.pk)
        # Two seats of one name overlap when each starts before the other ends.
        overlapping = committee.members.filter(name=name).filter(
            Q(until__isnull=True) | Q(until__gte=since)
        )
        if until is not None:
            overlapping = overlapping.filter(since__lte=until)
        if overlapping.exists():
            raise ValidationError(
                {
                    "name": [
                        _("%(name)s already holds a seat on this committee then.") % {"name": name}
                    ]
                }
            )
        member = Member.objects.create(
            committee=committee,
            person=person,
            name=name,
            affiliation=(affiliation or "").strip(),
            seat=seat,
            since=since,
            until=until,
        )
        record(
            actor=by,
            action="committee.member_add",
            subject=member,
            organisation=committee.organisation,
            comment=f"{committee} · {member} · {since.isoformat()}",
        )
    return member


def end_membership(member: Member, *, by: Person, until: datetime.date) -> Member:
    """End a seat: the member holds it up to and including `until`."""
    require_manage(by, member.committee)
    if until < member.since:
        raise ValidationError({"until": [_("The seat cannot end before it starts.")]})
    with transaction.atomic():
        current = Member.objects.select_for_update().get(pk=member.pk)
        if current.until is not None and current.until <= until:
            raise CommitteeError(
                _("This seat already ended on %(day)s.") % {"day": current.until.isoformat()}
            )
        current.until = until
        current.save(update_fields=["until"])
        record(
            actor=by,
            action="committee.member_end",
            subject=current,
            organisation=current.committee.organisation,
            comment=f"{current.committee} · {current} · {until.isoformat()}",
        )
    return current


# ---------------------------------------------------------------- meetings and agendas


def _next_number(committee: Committee, held_on: datetime.date) -> str:
    taken = set(committee.meetings.values_list("number", flat=True))
    if committee.kind == Kind.ADVISORY:  # numbers the datasets app has given its meetings too
        taken |= set(
            CommitteeMeeting.objects.filter(ministry=committee.organisation).values_list(
                "number", flat=True
            )
        )
    count = committee.meetings.filter(held_on__year=held_on.year).count()
    while True:
        count += 1
        # The official numbering, kept as written whatever the interface language.
        number = f"{held_on.year - ROC_OFFSET}年第{count}次會議"
        if number not in taken:
            return number


def record_meeting(
    committee: Committee,
    *,
    by: Person,
    held_on: datetime.date,
    attendees: str = "",
    number: str = "",
) -> Meeting:
    """Record a meeting of `committee` on `held_on` with its agenda built from what waits on
    the committee that day. A committee meets once a day: a second record is refused."""
    require_manage(by, committee)
    with transaction.atomic():
        Committee.objects.select_for_update().get(pk=committee.pk)
        existing = committee.meetings.filter(held_on=held_on).first()
        if existing is not None:
            raise CommitteeError(
                _(
                    "A meeting of %(committee)s on %(day)s is already recorded (%(number)s); "
                    "open it to write its minutes instead of recording it again."
                )
                % {"committee": committee, "day": held_on.isoformat(), "number": existing.number}
            )
        number = (number or "").strip() or _next_number(committee, held_on)
        if committee.meetings.filter(number=number).exists():
            raise ValidationError(
                {"number": [_("Meeting %(number)s is already recorded.") % {"number": number}]}
            )
        datasets_meeting = None
        if committee.kind == Kind.ADVISORY:
            datasets_meeting = dataset_services.record_meeting(
                by=by,
                ministry=committee.organisation,
                held_on=held_on,
                number=number,
                attendees=attendees,
                civil_representatives=composition(committee, on=held_on).civil,
            )
        meeting = Meeting.objects.create(
            committee=committee,
            held_on=held_on,
            number=number,
            attendees=(attendees or "").strip(),
            datasets_meeting=datasets_meeting,
            recorded_by=by,
        )
        added = _add_waiting(meeting)
        record(
            actor=by,
            action="committee.meeting_record",
            subject=meeting,
            organisation=committee.organisation,
            comment=f"{meeting} · {len(added)}",
        )
    return meeting


def _add_waiting(meeting: Meeting) -> list[AgendaItem]:
    on_agenda = {item_key(item) for item in meeting.agenda.all()}
    position = max((item.position for item in meeting.agenda.all()), default=0)
    added: list[AgendaItem] = []
    for waiting in waiting_for(meeting.committee, on=meeting.held_on):
        if waiting.key in on_agenda:
            continue
        position += 1
        added.append(
            AgendaItem.objects.create(
                meeting=meeting,
                position=position,
                kind=waiting.kind,
                title=waiting.title[:300],
                summary=waiting.summary,
                dataset=waiting.dataset,
                inventory_item=waiting.inventory_item,
                url=waiting.url,
            )
        )
    return added


def refresh_agenda(meeting: Meeting, *, by: Person) -> list[AgendaItem]:
    """Add to a meeting whose minutes are not written yet what came to wait since it was
    recorded. Returns the items added."""
    require_manage(by, meeting.committee)
    with transaction.atomic():
        current = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if current.has_minutes:
            raise CommitteeError(
                _("The minutes of this meeting are written: its agenda is closed.")
            )
        added = _add_waiting(current)
        if added:
            record(
                actor=by,
                action="committee.agenda_refresh",
                subject=current,
                organisation=current.committee.organisation,
                comment="、".join(item.title for item in added),
            )
    return added


# ---------------------------------------------------------------- minutes and decisions


@dataclass(frozen=True)
class DecisionIn:
    decision: str
    reasons: str = ""


@dataclass
class MinutesResult:
    meeting: Meeting
    applied: list[AgendaItem] = field(default_factory=list)
    not_applied: list[tuple[AgendaItem, str]] = field(default_factory=list)  # (item, why)


def _check_decisions(
    meeting: Meeting, decisions: Mapping[int, DecisionIn], by: Person
) -> dict[int, AgendaItem]:
    """Every decision names an item of this meeting, one the item's kind takes, with reasons
    where needed; and the person may record it. Raises before anything is written."""
    items = {item.pk: item for item in meeting.agenda.select_related("dataset__organisation")}
    errors: list[str] = []
    for pk, decision in decisions.items():
        item = items.get(pk)
        if item is None:
            errors.append(_("Agenda item %(pk)s is not on this meeting's agenda.") % {"pk": pk})
            continue
        if decision.decision not in DECISIONS[item.kind]:
            errors.append(
                _("“%(title)s”: choose one of %(choices)s.")
                % {
                    "title": item.title,
                    "choices": "、".join(str(Decision(d).label) for d in DECISIONS[item.kind]),
                }
            )
        elif decision.decision in NEEDS_REASONS and not decision.reasons.strip():
            errors.append(
                _("“%(title)s”: give the reasons for “%(decision)s”.")
                % {"title": item.title, "decision": Decision(decision.decision).label}
            )
        if item.dataset is not None:
            require(by, Action.DATASET_COMMITTEE_DECISION, item.dataset.organisation)
    if errors:
        raise ValidationError({"decisions": errors})
    return items


def _apply(item: AgendaItem, decision: DecisionIn, *, meeting: Meeting, by: Person) -> None:
    """Move the record `item` decides through its owning app's service."""
    if item.kind in (ItemKind.DATASET, ItemKind.WITHDRAWAL):
        assert item.dataset is not None
        if meeting.datasets_meeting is None:
            raise CommitteeError(_("Only the advisory committee decides datasets."))
        if item.kind == ItemKind.DATASET:
            dataset_services.record_committee_decision(
                item.dataset,
                meeting=meeting.datasets_meeting,
                decision=decision.decision,
                by=by,
                reasons=decision.reasons,
            )
        else:
            dataset_services.record_withdrawal_discussion(
                item.dataset,
                meeting=meeting.datasets_meeting,
                decision=decision.decision,
                by=by,
                reasons=decision.reasons,
            )
    elif item.kind == ItemKind.NOT_PROVIDED:
        assert item.inventory_item_id is not None
        inventory_item = InventoryItem.objects.select_for_update().get(pk=item.inventory_item_id)
        if inventory_item.classification != Classification.NOT_PROVIDED:
            raise CommitteeError(
                _("it is now classified “%(classification)s”.")
                % {"classification": inventory_item.get_classification_display()}
            )
        earlier = inventory_item.not_provided_reviews.select_related("agenda_item__meeting").first()
        if earlier is not None:
            raise CommitteeError(
                _("it was already discussed at %(meeting)s.")
                % {"meeting": earlier.agenda_item.meeting}
            )
        NotProvidedReview.objects.create(
            item=inventory_item,
            agenda_item=item,
            committee_agrees=decision.decision == Decision.AGREE,
            reasons=decision.reasons,
        )


def record_minutes(
    meeting: Meeting,
    *,
    by: Person,
    minutes: str,
    decisions: Mapping[int, DecisionIn],
    today: datetime.date | None = None,
) -> MinutesResult:
    """Write the minutes (會議紀錄) of a meeting held, with a decision per agenda item.

    Each decision moves its record through the owning app's service, in the same transaction
    as the minutes. An item that is no longer waiting (somebody moved it meanwhile, or it was
    decided already) is not applied: the result says which and why, and the rest is saved.
    """
    require_manage(by, meeting.committee)
    today = today or timezone.localdate()
    if meeting.held_on > today:
        raise CommitteeError(
            _("The meeting is on %(day)s: its minutes are written after it is held.")
            % {"day": meeting.held_on.isoformat()}
        )
    items = _check_decisions(meeting, decisions, by)
    result = MinutesResult(meeting)
    with transaction.atomic():
        current = Meeting.objects.select_for_update().get(pk=meeting.pk)
        current.minutes = (minutes or "").strip()
        current.minutes_recorded_at = timezone.now()
        current.save(update_fields=["minutes", "minutes_recorded_at"])
        for pk in sorted(decisions, key=lambda pk: items[pk].position):
            item, decision = items[pk], decisions[pk]
            if item.outcome == Outcome.APPLIED:
                result.not_applied.append(
                    (
                        item,
                        _("it was already decided: %(decision)s.")
                        % {"decision": item.get_decision_display()},
                    )
                )
                continue
            item.decision, item.reasons = decision.decision, decision.reasons.strip()
            try:
                with transaction.atomic():
                    _apply(item, decision, meeting=current, by=by)
            except (DatasetError, CommitteeError) as error:
                item.outcome, item.outcome_note = Outcome.NOT_APPLIED, str(error)
                result.not_applied.append((item, str(error)))
            else:
                item.outcome, item.outcome_note = Outcome.APPLIED, ""
                result.applied.append(item)
            item.save(update_fields=["decision", "reasons", "outcome", "outcome_note"])
        record(
            actor=by,
            action="committee.minutes",
            subject=current,
            organisation=current.committee.organisation,
            comment=str(current),
            changes={
                "applied": [item.title for item in result.applied],
                "not_applied": [
                    {"item": item.title, "why": why} for item, why in result.not_applied
                ],
            },
        )
    result.meeting = current
    return result


# ---------------------------------------------------------------- not provided: the approval


#: The plan's `rules.not_provided.approved_by` → the action its holder needs.
NOT_PROVIDED_APPROVERS: dict[str, Action] = {
    "head_of_agency": Action.WITHDRAWAL_APPROVE,
    "cio": Action.INVENTORY_APPROVE,
}


def approve_not_provided(review: NotProvidedReview, *, by: Person) -> NotProvidedReview:
    """The plan's approver (DGBAS: the head of agency, 機關首長核可) approves a not-provided
    classification the committee agreed to."""
    item = review.item
    approver = rules_for_organisation(item.agency).not_provided.approved_by
    action = NOT_PROVIDED_APPROVERS.get(approver)
    if action is None:
        raise CommitteeError(_("The action plan names nobody to approve this."))
    require(by, action, item.agency)
    with transaction.atomic():
        current = NotProvidedReview.objects.select_for_update().get(pk=review.pk)
        if not current.committee_agrees:
            raise CommitteeError(_("The committee did not agree: there is nothing to approve."))
        if current.approved_at is not None:
            raise CommitteeError(_("This was approved already."))
        current.approved_by, current.approved_at = by, timezone.now()
        current.save(update_fields=["approved_by", "approved_at"])
        record(
            actor=by,
            action="committee.not_provided_approve",
            subject=current,
            organisation=item.agency,
            comment=str(item),
        )
    return current
