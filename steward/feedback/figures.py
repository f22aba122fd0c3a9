"""Feedback figures per organisation and period, for the KPI code and the API (績效指標).

Each figure carries the items it counted, so a page can drill down. The period is the half-open
range [start, end) of `received_at`. MOL's formula (004_b5b47495cfb08049.txt 註4):
「6 日(含)內回復外部意見數量/全部外部意見數量」 — replies by the end of the last day ÷ every item
received in the period; a period without items has no figure ("no data"), never 0 % or 100 %.
The bonus (「回復日數可低於 6 日者，則依其比率酌以加分」) is the share replied before the last day.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from steward.feedback.deadlines import local_zone
from steward.feedback.models import FeedbackItem
from steward.organisations.models import Organisation


@dataclass(frozen=True)
class Share:
    """numerator ÷ denominator as a percentage, or None ("no data") when nothing was counted."""

    numerator: list[FeedbackItem]
    denominator: list[FeedbackItem]

    @property
    def percent(self) -> Decimal | None:
        if not self.denominator:
            return None
        value = Decimal(100 * len(self.numerator)) / Decimal(len(self.denominator))
        return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Duration:
    """A reply-time statistic in hours, or None when no item was replied."""

    hours: Decimal | None
    items: list[FeedbackItem]


@dataclass(frozen=True)
class Figures:
    organisation: Organisation
    start: datetime.date
    end: datetime.date  # exclusive
    items: list[FeedbackItem]
    on_time: Share
    faster_than_limit: Share
    median_reply: Duration
    p90_reply: Duration
    overdue: list[FeedbackItem]
    notes: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)


def reply_hours(item: FeedbackItem) -> Decimal:
    assert item.replied_at is not None
    seconds = (item.replied_at - item.received_at).total_seconds()
    return (Decimal(seconds) / Decimal(3600)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _percentile(values: list[Decimal], share: float) -> Decimal:
    """Nearest-rank percentile (the value at rank ⌈share·n⌉), so it is always a real reply time."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _median(values: list[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return ((ordered[middle - 1] + ordered[middle]) / 2).quantize(Decimal("0.1"))


def replied_before_last_day(item: FeedbackItem) -> bool:
    """Replied before the last allowed day began: faster than the limit (MOL's bonus)."""
    if item.replied_at is None:
        return False
    last_day_starts = datetime.datetime.combine(item.due_on, datetime.time.min, tzinfo=local_zone())
    return item.replied_at < last_day_starts


def not_yet_due(items: list[FeedbackItem], now: datetime.datetime) -> list[FeedbackItem]:
    """Items not yet answered whose due time has not come: they may still be on time."""
    return [item for item in items if item.replied_at is None and now < item.due_at]


def not_yet_due_note(count: int) -> str:
    """What the figures say of items not yet due (the plan's formula counts every item)."""
    return str(
        _(
            "%(count)s items are not yet answered and not yet due; until answered they "
            "count as not replied within the limit."
        )
    ) % {"count": count}


def items_for(
    organisation: Organisation, start: datetime.date, end: datetime.date
) -> list[FeedbackItem]:
    """Items answered by `organisation` or anything under it, received in [start, end)."""
    zone = local_zone()
    return list(
        FeedbackItem.objects.filter(
            organisation__path__startswith=organisation.path,
            received_at__gte=datetime.datetime.combine(start, datetime.time.min, tzinfo=zone),
            received_at__lt=datetime.datetime.combine(end, datetime.time.min, tzinfo=zone),
        )
        .select_related("organisation")
        .order_by("received_at", "pk")
    )


def figures_for(
    organisation: Organisation,
    start: datetime.date,
    end: datetime.date,
    *,
    now: datetime.datetime | None = None,
) -> Figures:
    """Count, share on time, faster-than-limit share, median and p90 reply time, overdue list."""
    moment = now or timezone.now()
    items = items_for(organisation, start, end)
    replied = [item for item in items if item.replied_at is not None]
    hours = [reply_hours(item) for item in replied]
    notes = []
    unanswered_not_due = not_yet_due(items, moment)
    if unanswered_not_due:
        notes.append(not_yet_due_note(len(unanswered_not_due)))
    return Figures(
        organisation=organisation,
        start=start,
        end=end,
        items=items,
        on_time=Share([i for i in items if i.replied_in_time()], items),
        faster_than_limit=Share([i for i in items if replied_before_last_day(i)], items),
        median_reply=Duration(_median(hours) if hours else None, replied),
        p90_reply=Duration(_percentile(hours, 0.9) if hours else None, replied),
        overdue=[item for item in items if item.is_overdue(moment)],
        notes=notes,
    )
