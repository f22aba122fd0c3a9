"""Public feedback (民眾意見 / 外部意見) and data requests (民間需求), with the plan's response limit.

A `FeedbackItem` keeps the rule it was received under (the plan version in force at
`received_at`, its `limit_days`, `day_kind` and whether the CIO approves replies), so a later
amendment never moves a due time already given. Every change goes through
`steward.feedback.services`.
"""

from __future__ import annotations

import datetime
import secrets
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from steward.datasets.models import Dataset


class Kind(models.TextChoices):
    """What the public sent."""

    COMMENT = "comment", _("Comment")
    ERROR_REPORT = "error_report", _("Error report")
    DATA_REQUEST = "data_request", _("Data request")


class Channel(models.TextChoices):
    """Where the item came in."""

    PUBLIC_FORM = "public_form", _("Our public form")
    NATIONAL_PORTAL = "national_portal", _("National open-data portal")
    LETTER = "letter", _("Letter")


class Status(models.TextChoices):
    """Where an item stands; `steward.feedback.workflow` says which moves are allowed."""

    RECEIVED = "received", _("Received, awaiting a reply")
    DRAFTED = "drafted", _("Reply drafted")
    AWAITING_APPROVAL = "awaiting_approval", _("Reply awaiting CIO approval")
    APPROVED = "approved", _("Reply approved by the CIO")
    REPLIED = "replied", _("Replied")
    CLOSED = "closed", _("Closed")


class DueSource(models.TextChoices):
    """What decided the due date: plain calendar days, or which working-day calendar."""

    CALENDAR_DAYS = "calendar_days", _("calendar days (no office calendar needed)")
    OFFICIAL = "official", _("official office calendar")
    HOLIDAYS = "holidays", _("estimated from national holidays (no official calendar imported)")


def new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


class FeedbackItem(models.Model):
    """One comment, error report or data request, from receipt to the reply as sent."""

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    channel = models.CharField(
        _("received through"), max_length=20, choices=Channel.choices, default=Channel.PUBLIC_FORM
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="feedback_items",
        verbose_name=_("answering organisation"),
    )
    dataset = models.ForeignKey(
        "datasets.Dataset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_items",
        verbose_name=_("dataset"),
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_assigned",
        verbose_name=_("assigned liaison"),
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    text = models.TextField(_("text"))
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    tracking_token = models.CharField(max_length=64, unique=True, default=new_tracking_token)
    address_hash = models.CharField(max_length=64, blank=True, db_index=True)
    external_reference = models.CharField(_("reference elsewhere"), max_length=100, blank=True)

    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # The rule the item was received under (copied so later amendments never move it).
    plan_version = models.ForeignKey(
        "plans.PlanVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    limit_days = models.PositiveSmallIntegerField(_("response limit (days)"))
    day_kind = models.CharField(_("day kind"), max_length=10)
    cio_approval_required = models.BooleanField(_("CIO approves the reply"), default=False)
    due_on = models.DateField(_("due on (included)"))
    due_at = models.DateTimeField(_("due before"))
    due_source = models.CharField(
        _("due date decided by"), max_length=20, choices=DueSource.choices
    )

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    reply_text = models.TextField(_("reply"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    replied_at = models.DateTimeField(_("reply sent at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    inventory_item = models.ForeignKey(
        "inventory.InventoryItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feedback_items",
        verbose_name=_("inventory item (decision on a data request)"),
    )
    reminded_on = models.DateField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["organisation", "received_at"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    def is_overdue(self, now: datetime.datetime | None = None) -> bool:
        """Not replied and the due time has passed."""
        return self.replied_at is None and (now or timezone.now()) >= self.due_at

    def published_dataset(self) -> Dataset | None:
        """The dataset a data request became, once it is on the portal."""
        from steward.datasets.workflow import ON_PORTAL

        dataset = self.inventory_item.dataset if self.inventory_item_id else None  # type: ignore[union-attr]
        return dataset if dataset is not None and dataset.status in ON_PORTAL else None

    def replied_in_time(self) -> bool:
        return self.replied_at is not None and self.replied_at < self.due_at
