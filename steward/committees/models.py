"""Committees (諮詢小組, 工作小組), their members and seats, meetings, agendas and decisions.

The ministry's advisory committee (諮詢小組) and each agency's working group (工作小組) are set
up from the action plan (`services.set_up_from_plan`). A `Member` holds a seat from a date to a
date (an outside person recorded by name, or a person with an account). A `Meeting` is one
meeting on one day, with its attendees, an agenda built from what waits on the committee
(`agenda.py`) and minutes; recording the minutes records each `AgendaItem`'s decision and moves
the item it decides through the owning app's service.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ADVISORY = "advisory", _("Advisory committee (諮詢小組)")
    WORKING_GROUP = "working_group", _("Working group (工作小組)")


class Seat(models.TextChoices):
    """The seats the seeds name (MOJ: 召集人1人、機關代表7人、民間代表4人; MOL: 外部學術、業界專業人士)."""

    CHAIR = "chair", _("Chair (召集人)")
    AGENCY = "agency", _("Agency representative (機關代表)")
    CIVIL = "civil", _("Civil representative (民間代表)")
    ACADEMIC = "academic", _("Academic (學者專家)")


class Committee(models.Model):
    """The ministry's advisory committee or one organisation's working group."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="committees",
        help_text=_("The ministry for its advisory committee; the agency for its working group."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("committee")
        verbose_name_plural = _("committees")
        ordering = ["organisation__path", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind"], name="one_committee_per_kind")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("committees:detail", args=[self.pk])

    @property
    def is_advisory(self) -> bool:
        return self.kind == Kind.ADVISORY


def seated_on(day: datetime.date) -> Q:
    """Members holding their seat on `day` (since ≤ day, and no end or an end on or after it)."""
    return Q(since__lte=day) & (Q(until__isnull=True) | Q(until__gte=day))


class Member(models.Model):
    """A seat on a committee held from `since` to `until` (inclusive; open-ended when empty)."""

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person with an account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="committee_memberships",
    )
    name = models.CharField(_("name"), max_length=100)
    affiliation = models.CharField(_("affiliation (服務單位)"), max_length=200, blank=True)
    seat = models.CharField(_("seat"), max_length=16, choices=Seat.choices)
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("committee member")
        verbose_name_plural = _("committee members")
        ordering = ["committee", "seat", "name", "pk"]
        indexes = [models.Index(fields=["committee", "seat", "since"], name="cmte_member_seat_idx")]

    def __str__(self) -> str:
        return f"{self.name} · {self.get_seat_display()}"


class Meeting(models.Model):
    """One meeting (會議) of a committee on one day. A committee meets at most once a day."""

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField(_("held on"))
    number = models.CharField(
        _("meeting number"), max_length=60, help_text=_("e.g. 115年第1次會議")
    )
    attendees = models.TextField(_("attendees"), blank=True)
    minutes = models.TextField(_("minutes (會議紀錄)"), blank=True)
    minutes_recorded_at = models.DateTimeField(_("minutes recorded at"), null=True, blank=True)
    # The advisory committee's meeting as the datasets app knows it, which its committee
    # decisions cite (datasets.CommitteeDecision.meeting).
    datasets_meeting = models.OneToOneField(
        "datasets.CommitteeMeeting",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="committee_meeting",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "held_on"], name="one_meeting_a_day"),
        ]
        indexes = [models.Index(fields=["held_on"], name="cmte_meeting_held_idx")]

    def __str__(self) -> str:
        return f"{self.committee} {self.number} ({self.held_on:%Y-%m-%d})"

    def get_absolute_url(self) -> str:
        return reverse("committees:meeting", args=[self.pk])

    @property
    def has_minutes(self) -> bool:
        return self.minutes_recorded_at is not None


class ItemKind(models.TextChoices):
    """What an agenda item (議程) is about."""

    DATASET = "dataset", _("Dataset awaiting the committee's decision")
    WITHDRAWAL = "withdrawal", _("Withdrawal awaiting the committee's discussion")
    NOT_PROVIDED = "not_provided", _("Not-provided classification to discuss")
    FEEDBACK_SUMMARY = "feedback_summary", _("Public feedback of the period")
    PLAN_REVIEW = "plan_review", _("Yearly review of the action plan")


class Decision(models.TextChoices):
    """What the minutes say about an agenda item."""

    APPROVE = "approve", _("Approve opening")
    REJECT = "reject", _("Return for correction")
    WITHDRAW = "withdraw", _("Agree to withdraw")
    KEEP_OPEN = "keep_open", _("Keep it open")
    AGREE = "agree", _("Agree it is not provided")
    DISAGREE = "disagree", _("Do not agree: reconsider opening it")
    NOTED = "noted", _("Noted")


#: The decisions each kind of item takes (the one table: forms, API and service read it).
DECISIONS: dict[str, tuple[Decision, ...]] = {
    ItemKind.DATASET: (Decision.APPROVE, Decision.REJECT),
    ItemKind.WITHDRAWAL: (Decision.WITHDRAW, Decision.KEEP_OPEN),
    ItemKind.NOT_PROVIDED: (Decision.AGREE, Decision.DISAGREE),
    ItemKind.FEEDBACK_SUMMARY: (Decision.NOTED,),
    ItemKind.PLAN_REVIEW: (Decision.NOTED,),
}
#: Decisions that need reasons (a return, keeping a dataset open, a disagreement).
NEEDS_REASONS = frozenset({Decision.REJECT, Decision.KEEP_OPEN, Decision.DISAGREE})


class Outcome(models.TextChoices):
    PENDING = "pending", _("Awaiting the decision")
    APPLIED = "applied", _("Decided and applied")
    NOT_APPLIED = "not_applied", _("Not applied")


class AgendaItem(models.Model):
    """One item of a meeting's agenda, linked to the record it is about, and its decision."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=ItemKind.choices)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    dataset = models.ForeignKey(
        "datasets.Dataset", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    inventory_item = models.ForeignKey(
        "inventory.InventoryItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    url = models.CharField(_("link"), max_length=300, blank=True)
    decision = models.CharField(_("decision"), max_length=16, choices=Decision.choices, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )
    outcome_note = models.TextField(_("why it was not applied"), blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "position"]
        indexes = [
            models.Index(fields=["kind", "outcome"], name="cmte_agenda_kind_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return DECISIONS[self.kind]


class NotProvidedReview(models.Model):
    """A not-provided classification (不予提供) as the committee discussed it and, where the plan
    says so, as the head of agency then approved it (DGBAS 捌一)."""

    item = models.ForeignKey(
        "inventory.InventoryItem", on_delete=models.CASCADE, related_name="not_provided_reviews"
    )
    agenda_item = models.OneToOneField(
        AgendaItem, on_delete=models.PROTECT, related_name="not_provided_review"
    )
    committee_agrees = models.BooleanField(_("the committee agrees"))
    reasons = models.TextField(_("reasons"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("not-provided review")
        verbose_name_plural = _("not-provided reviews")

    def __str__(self) -> str:
        return str(self.item)
