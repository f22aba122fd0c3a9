"""What waits on a committee: the agenda (議程) a meeting is given.

For the ministry's advisory committee (諮詢小組): datasets at the committee stage of the review
chain, withdrawals awaiting its discussion (停止提供), "not provided" classifications the plan
sends to it (DGBAS 捌一: 「應提諮詢小組會議討論後，得敘明理由經機關首長核可後不予提供」), the public
feedback of the period (`feedback.figures`), and the plan's yearly review where the plan asks
for one (DGBAS: 「每年年底檢視執行成果及修正本行動方案」). For a working group (工作小組): its
organisation's public feedback of the period. Each item links to its record.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _

from steward.committees.models import (
    AgendaItem,
    Committee,
    ItemKind,
    Kind,
    Meeting,
    NotProvidedReview,
    Outcome,
)
from steward.committees.rules import meeting_rule
from steward.datasets.models import Dataset, Withdrawal
from steward.datasets.workflow import Status
from steward.feedback.figures import figures_for
from steward.inventory.models import Classification, InventoryItem
from steward.lib.years import date_label
from steward.plans.document import Rules, rules_for_organisation
from steward.plans.models import Plan

if TYPE_CHECKING:
    from collections.abc import Iterable


@dataclass(frozen=True)
class Waiting:
    """One thing waiting on the committee, before it is put on a meeting's agenda."""

    kind: str
    title: str
    url: str
    summary: str = ""
    dataset: Dataset | None = None
    inventory_item: InventoryItem | None = None

    @property
    def key(self) -> tuple[str, int | None]:
        """What makes two agenda items the same item (a record, or the kind for summaries)."""
        if self.dataset is not None:
            return (self.kind, self.dataset.pk)
        if self.inventory_item is not None:
            return (self.kind, self.inventory_item.pk)
        return (self.kind, None)


def item_key(item: AgendaItem) -> tuple[str, int | None]:
    return (item.kind, item.dataset_id or item.inventory_item_id)


def datasets_waiting(committee: Committee) -> Iterable[Waiting]:
    ministry = committee.organisation
    rows = (
        Dataset.objects.filter(
            organisation__path__startswith=ministry.path,
            status__in=[Status.COMMITTEE, Status.WITHDRAWAL_REQUESTED],
        )
        .select_related("organisation")
        .prefetch_related(
            Prefetch(
                "withdrawals",
                queryset=Withdrawal.objects.filter(closed=False),
                to_attr="open_withdrawals",
            )
        )
        .order_by("status", "organisation__path", "identifier")
    )
    for dataset in rows:
        url = reverse("datasets:detail", args=[dataset.pk])
        title = f"{dataset.identifier} {dataset.title}".strip()
        if dataset.status == Status.COMMITTEE:
            yield Waiting(ItemKind.DATASET, title, url, str(dataset.organisation), dataset=dataset)
        else:
            reason = " ".join(withdrawal.reason for withdrawal in dataset.open_withdrawals)
            yield Waiting(ItemKind.WITHDRAWAL, title, url, reason, dataset=dataset)


def not_provided_waiting(committee: Committee, rules: Rules) -> Iterable[Waiting]:
    """Items classified "not provided" the committee has not discussed yet, if the plan sends
    them to it (rules.not_provided.committee_discussion)."""
    if not rules.not_provided.committee_discussion:
        return
    discussed = NotProvidedReview.objects.values("item_id")
    rows = (
        InventoryItem.objects.filter(
            agency__path__startswith=committee.organisation.path,
            classification=Classification.NOT_PROVIDED,
        )
        .exclude(pk__in=discussed)
        .select_related("agency")
        .order_by("agency__path", "identifier")
    )
    for item in rows:
        reason = " ".join(
            part
            for part in (
                item.get_restriction_reason_display(),
                item.legal_basis,
                item.restriction_note,
            )
            if part
        )
        yield Waiting(
            ItemKind.NOT_PROVIDED,
            f"{item.agency} {item.identifier} {item.name}",
            reverse("inventory:item_edit", args=[item.pk]),
            reason,
            inventory_item=item,
        )


def feedback_period(committee: Committee, on: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The days the feedback summary covers: after the committee's previous meeting (or from
    the first of January) up to and including the meeting day."""
    previous = (
        Meeting.objects.filter(committee=committee, held_on__lt=on, held_on__year=on.year)
        .order_by("-held_on")
        .values_list("held_on", flat=True)
        .first()
    )
    start = previous + datetime.timedelta(days=1) if previous else datetime.date(on.year, 1, 1)
    return start, on


def feedback_summary(committee: Committee, on: datetime.date) -> Waiting:
    start, end = feedback_period(committee, on)
    figures = figures_for(committee.organisation, start, end + datetime.timedelta(days=1))
    share = figures.on_time.percent
    summary = _(
        "%(count)d items received from %(start)s to %(end)s; replied within the limit: "
        "%(share)s; overdue now: %(overdue)d."
    ) % {
        "count": figures.count,
        "start": date_label(start),
        "end": date_label(end),
        "share": _("no data") if share is None else f"{share} %",
        "overdue": len(figures.overdue),
    }
    return Waiting(
        ItemKind.FEEDBACK_SUMMARY,
        _("Public feedback, %(start)s to %(end)s")
        % {"start": date_label(start), "end": date_label(end)},
        reverse("feedback:index"),
        summary,
    )


def plan_review_waiting(committee: Committee, on: datetime.date, rules: Rules) -> Waiting | None:
    """The plan's yearly review, in the year's last period of meetings, until it is noted."""
    if committee.kind != Kind.ADVISORY or not rules.committee.reviews_plan_yearly:
        return None
    per_year = meeting_rule(committee, rules).per_year or 4
    months = 12 // per_year if 12 % per_year == 0 else 3
    if on.month <= 12 - months:
        return None
    done = AgendaItem.objects.filter(
        meeting__committee=committee,
        meeting__held_on__year=on.year,
        kind=ItemKind.PLAN_REVIEW,
        outcome=Outcome.APPLIED,
    ).exists()
    plan = Plan.objects.filter(ministry=committee.organisation).first()
    if done or plan is None:
        return None
    return Waiting(
        ItemKind.PLAN_REVIEW,
        _("Yearly review of %(plan)s: the year's results and amendments") % {"plan": plan.name},
        reverse("plans:detail", args=[plan.key]),
        rules.committee.as_written,
    )


def waiting_for(committee: Committee, *, on: datetime.date) -> list[Waiting]:
    """Everything waiting on `committee` for a meeting on `on`, in agenda order."""
    rules = rules_for_organisation(committee.organisation)
    items: list[Waiting] = []
    if committee.kind == Kind.ADVISORY:
        items.extend(datasets_waiting(committee))
        items.extend(not_provided_waiting(committee, rules))
    items.append(feedback_summary(committee, on))
    review = plan_review_waiting(committee, on, rules)
    if review is not None:
        items.append(review)
    return items
