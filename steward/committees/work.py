"""Work the committees give people (待辦), for the home page's one list.

For the secretariat (the information centre for the advisory committee; the head of agency and
the centre for a working group): meetings due or overdue at the plan's cadence, minutes to
write for meetings held. For whoever records the committee's decisions (the secretariat and
the committee's members): items waiting on the committee's decision. For the plan's approver
of a not-provided classification (DGBAS: the head of agency): the ones the committee agreed to.
A fixed number of queries whatever the number of committees.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.committees.models import Committee, Kind, Meeting, NotProvidedReview
from steward.committees.rules import PeriodState, cadence
from steward.committees.services import NOT_PROVIDED_APPROVERS, manage_action
from steward.datasets.models import Dataset
from steward.datasets.workflow import Status
from steward.organisations.models import Organisation, Person
from steward.organisations.scope import Action, can, scope_q
from steward.organisations.work import WorkItem, work_source
from steward.plans.document import Rules, rules_for_organisation


def _committees_kept_by(person: Person) -> list[Committee]:
    visible = Committee.objects.filter(scope_q(person, Action.VIEW)).select_related("organisation")
    return [c for c in visible if can(person, manage_action(c), c.organisation)]


@work_source
def meetings_and_minutes(person: Person) -> Iterable[WorkItem]:
    """Meetings due at the plan's cadence, and minutes to write."""
    committees = _committees_kept_by(person)
    if not committees:
        return []
    today = timezone.localdate()
    meetings: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in Meeting.objects.filter(
        committee__in=committees, held_on__year=today.year
    ).order_by("held_on"):
        meetings[meeting.committee_id].append(meeting)
    rules_by_ministry: dict[int, Rules] = {}
    work: list[WorkItem] = []
    for committee in committees:
        ministry_id = int(committee.organisation.path.strip("/").split("/")[0])
        if ministry_id not in rules_by_ministry:
            rules_by_ministry[ministry_id] = rules_for_organisation(committee.organisation)
        result = cadence(
            committee,
            today.year,
            today=today,
            meetings=meetings[committee.pk],
            rules=rules_by_ministry[ministry_id],
        )
        for period in result.periods:
            if period.state in (PeriodState.DUE, PeriodState.OVERDUE):
                work.append(
                    WorkItem(
                        kind=_("Committee meeting due"),
                        title=f"{committee} · {period.label}",
                        url=committee.get_absolute_url(),
                        due=period.end,
                        organisation=committee.organisation,
                    )
                )
        for meeting in meetings[committee.pk]:
            if meeting.held_on <= today and not meeting.has_minutes:
                work.append(
                    WorkItem(
                        kind=_("Minutes to write"),
                        title=str(meeting),
                        url=meeting.get_absolute_url(),
                        due=meeting.held_on,
                        organisation=committee.organisation,
                    )
                )
    return work


@work_source
def awaiting_the_committee(person: Person) -> Iterable[WorkItem]:
    """The datasets and withdrawals waiting on the advisory committee's decision."""
    ministries = Organisation.objects.filter(
        scope_q(person, Action.DATASET_COMMITTEE_DECISION, field=""), parent__isnull=True
    )
    committees = {
        committee.organisation_id: committee
        for committee in Committee.objects.filter(kind=Kind.ADVISORY, organisation__in=ministries)
    }
    if not committees:
        return []
    work: list[WorkItem] = []
    waiting = Dataset.objects.filter(
        scope_q(person, Action.DATASET_COMMITTEE_DECISION),
        status__in=[Status.COMMITTEE, Status.WITHDRAWAL_REQUESTED],
    ).select_related("organisation")
    for dataset in waiting.order_by("organisation__path", "identifier"):
        ministry_id = int(dataset.organisation.path.strip("/").split("/")[0])
        committee = committees.get(ministry_id)
        if committee is None:
            continue
        kind = (
            _("Awaiting the committee's decision")
            if dataset.status == Status.COMMITTEE
            else _("Withdrawal awaiting the committee")
        )
        work.append(
            WorkItem(
                kind=kind,
                title=f"{dataset.identifier} {dataset.title}",
                url=reverse("datasets:detail", args=[dataset.pk]),
                organisation=dataset.organisation,
            )
        )
    return work


@work_source
def not_provided_to_approve(person: Person) -> Iterable[WorkItem]:
    """Not-provided classifications the committee agreed to, for the plan's approver."""
    reviews = NotProvidedReview.objects.filter(
        committee_agrees=True, approved_at__isnull=True
    ).select_related("item__agency", "agenda_item__meeting")
    work: list[WorkItem] = []
    approvers: dict[int, Action | None] = {}
    for review in reviews.filter(scope_q(person, Action.VIEW, field="item__agency")).order_by("pk"):
        agency = review.item.agency
        if agency.pk not in approvers:
            approver = rules_for_organisation(agency).not_provided.approved_by
            approvers[agency.pk] = NOT_PROVIDED_APPROVERS.get(approver)
        action = approvers[agency.pk]
        if action is None or not can(person, action, agency):
            continue
        work.append(
            WorkItem(
                kind=_("Approve a not-provided classification"),
                title=str(review.item),
                url=reverse("committees:not_provided"),
                organisation=agency,
            )
        )
    return work
