"""Work the committees give people (待辦), for the home page's one list.

For the secretariat (the information centre for the advisory committee; the head of agency and
the centre for a working group): meetings due or overdue at the plan's cadence, and minutes to
write for meetings held. For whoever records the committee's decisions (the secretariat and the
committee's members): one line per advisory committee saying how many items wait on its
decision (each dataset's own step is the datasets app's work). For the plan's approver of a
not-provided classification (DGBAS: the head of agency): the ones the committee agreed to.
A fixed number of queries whatever the number of committees (rules read once per ministry).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.committees.agenda import not_provided_waiting
from steward.committees.models import Committee, Kind, Meeting, NotProvidedReview
from steward.committees.rules import PeriodState, RulesByMinistry, cadence
from steward.committees.services import NOT_PROVIDED_APPROVERS, manage_action
from steward.datasets.models import Dataset
from steward.datasets.workflow import Status
from steward.organisations.models import Person
from steward.organisations.scope import Action, PersonScope, scope_q
from steward.organisations.work import WorkItem, work_source


@work_source
def meetings_and_minutes(person: Person) -> Iterable[WorkItem]:
    """Meetings due at the plan's cadence, and minutes to write."""
    roots = PersonScope(person)
    committees = [
        committee
        for committee in Committee.objects.select_related("organisation")
        if roots.can(manage_action(committee), committee.organisation)
    ]
    if not committees:
        return []
    today = timezone.localdate()
    meetings: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in Meeting.objects.filter(
        committee__in=committees, held_on__year=today.year
    ).order_by("held_on"):
        meetings[meeting.committee_id].append(meeting)
    rules = RulesByMinistry()
    work: list[WorkItem] = []
    for committee in committees:
        result = cadence(
            committee,
            today.year,
            today=today,
            meetings=meetings[committee.pk],
            rules=rules.of(committee.organisation),
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
    """How many datasets, withdrawals and not-provided items wait on each advisory committee
    whose decisions this person records, linked to its next meeting (or the committee)."""
    roots = PersonScope(person)
    committees = [
        committee
        for committee in Committee.objects.filter(kind=Kind.ADVISORY).select_related("organisation")
        if roots.can(Action.DATASET_COMMITTEE_DECISION, committee.organisation)
    ]
    if not committees:
        return []
    by_ministry = {committee.organisation_id: committee for committee in committees}
    counts: dict[int, int] = defaultdict(int)
    rows = (
        Dataset.objects.filter(
            reduce(or_, (Q(organisation__path__startswith=f"/{pk}/") for pk in by_ministry)),
            status__in=[Status.COMMITTEE, Status.WITHDRAWAL_REQUESTED],
        )
        .values("organisation__path")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[int(row["organisation__path"].strip("/").split("/")[0])] += row["n"]
    rules = RulesByMinistry()
    next_meetings = {
        meeting.committee_id: meeting
        for meeting in Meeting.objects.filter(
            committee__in=committees, minutes_recorded_at__isnull=True
        ).order_by("held_on")  # the latest one stays
    }
    work: list[WorkItem] = []
    for ministry_id, committee in by_ministry.items():
        waiting = counts[ministry_id] + sum(
            1 for _item in not_provided_waiting(committee, rules.of(committee.organisation))
        )
        if not waiting:
            continue
        meeting = next_meetings.get(committee.pk)
        work.append(
            WorkItem(
                kind=_("Awaiting the committee's decision"),
                title=_("%(committee)s: %(count)d items")
                % {"committee": committee, "count": waiting},
                url=(meeting or committee).get_absolute_url(),
                due=meeting.held_on if meeting is not None else None,
                organisation=committee.organisation,
            )
        )
    return work


@work_source
def not_provided_to_approve(person: Person) -> Iterable[WorkItem]:
    """Not-provided classifications the committee agreed to, for the plan's approver."""
    roots = PersonScope(person)
    rules = RulesByMinistry()
    reviews = NotProvidedReview.objects.filter(
        scope_q(person, Action.VIEW, field="item__agency"),
        committee_agrees=True,
        approved_at__isnull=True,
    ).select_related("item__agency")
    work: list[WorkItem] = []
    for review in reviews.order_by("pk"):
        agency = review.item.agency
        action = NOT_PROVIDED_APPROVERS.get(rules.of(agency).not_provided.approved_by)
        if action is None or not roots.can(action, agency):
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
