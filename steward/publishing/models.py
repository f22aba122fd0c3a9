"""The publishing outbox (登載佇列): what must reach the national portal, and how it went.

A row is written in the same transaction as the change that makes a dataset due for the
portal (transactional outbox), so nothing is pushed that was not committed and nothing
committed is forgotten. `services.deliver_due` claims due rows and calls the adapter.
At most one *open* row (pending, failed or dead) exists per dataset: a newer request
replaces the older one's payload (coalescing) instead of queueing behind it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Operation(models.TextChoices):
    CREATE = "create", _("Publish (新增)")
    UPDATE = "update", _("Update (更新)")
    DELETE = "delete", _("Remove (下架)")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    IN_FLIGHT = "in_flight", _("Being sent")
    SUCCEEDED = "succeeded", _("Accepted by the portal")
    FAILED = "failed", _("Refused: needs a person")
    DEAD = "dead", _("Gave up after repeated failures")
    RETURNED = "returned", _("Refused; the dataset went back to the liaison")


#: Rows that still need something to happen (a person's retry, or the worker).
OPEN_STATUSES = (OutboxStatus.PENDING, OutboxStatus.FAILED, OutboxStatus.DEAD)
#: Rows that need a person's attention.
PROBLEM_STATUSES = (OutboxStatus.FAILED, OutboxStatus.DEAD)
#: Which moves the services may make. IN_FLIGHT → IN_FLIGHT is a reclaim after a lost lease.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    OutboxStatus.PENDING: frozenset({OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT}),
    OutboxStatus.IN_FLIGHT: frozenset(
        {
            OutboxStatus.IN_FLIGHT,
            OutboxStatus.PENDING,
            OutboxStatus.SUCCEEDED,
            OutboxStatus.FAILED,
            OutboxStatus.DEAD,
        }
    ),
    OutboxStatus.FAILED: frozenset({OutboxStatus.PENDING, OutboxStatus.RETURNED}),
    OutboxStatus.DEAD: frozenset({OutboxStatus.PENDING}),
    OutboxStatus.SUCCEEDED: frozenset(),
    # Closed: the refused metadata went back to the liaison; a fixed version is a new entry.
    OutboxStatus.RETURNED: frozenset(),
}


class PublishingOutboxEntry(models.Model):
    """One push of a dataset's metadata to the portal: its payload, attempts and outcome."""

    dataset = models.ForeignKey(
        "datasets.Dataset",
        verbose_name=_("dataset"),
        on_delete=models.CASCADE,
        related_name="outbox_entries",
    )
    operation = models.CharField(_("operation"), max_length=8, choices=Operation.choices)
    payload = models.JSONField(_("metadata sent (§1 JSON)"))
    payload_sha256 = models.CharField(_("payload SHA-256"), max_length=64)
    idempotency_key = models.CharField(
        _("idempotency key"),
        max_length=64,
        help_text=_("Sent with every attempt of this entry, so the portal can spot repeats."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=OutboxStatus.choices,
        default=OutboxStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(
        _("next attempt at"),
        default=timezone.now,
        help_text=_("When pending: not before this. When being sent: the claim expires then."),
    )
    last_error = models.TextField(_("last error"), blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    portal_identifier = models.CharField(_("identifier on the portal"), max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    delivered_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("publishing outbox entry")
        verbose_name_plural = _("publishing outbox entries")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            # The outbox page: refused and abandoned by newest change, accepted by newest.
            models.Index(fields=["status", "-updated_at"], name="outbox_status_updated"),
            models.Index(fields=["status", "-delivered_at"], name="outbox_status_delivered"),
            # The API's list and the refused list (two statuses) walk this in order.
            models.Index(fields=["-updated_at", "-id"], name="outbox_updated"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset"],
                condition=models.Q(status__in=["pending", "failed", "dead"]),
                name="one_open_outbox_entry_per_dataset",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_operation_display()} {self.payload.get('identifier', '')} · {self.status}"
        )

    @property
    def identifier(self) -> str:
        """The dataset identifier (資料集編號) this entry publishes."""
        return str(self.payload.get("identifier", ""))

    @property
    def needs_attention(self) -> bool:
        return self.status in PROBLEM_STATUSES


class CatalogueListing(models.Model):
    """What the national portal's catalogue export (資料集目錄) last said about one dataset.

    The portal's own cells, kept as data and exactly as written, so that an export gives
    them back unchanged: the portal's dataset number (資料集識別碼 in the export, the N of
    `/dataset/N`, unique within a ministry), 資料提供屬性, the platform's quality mark (品質檢測:
    金標章 …), 資資料集上架方式, 上架日期 and 詮釋資料更新時間 as written, and 資料量 per resource.
    `fingerprint` is a hash of the row's 22 cells as last imported: an identical row in a
    later export changes nothing.
    """

    dataset = models.OneToOneField(
        "datasets.Dataset",
        verbose_name=_("dataset"),
        on_delete=models.CASCADE,
        related_name="catalogue_listing",
    )
    ministry = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("ministry"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    portal_number = models.CharField(
        _("dataset number on the portal"),
        max_length=20,
        blank=True,
        help_text=_("資料集識別碼 in the portal's export, e.g. 41568; empty if not known."),
    )
    provider_type = models.CharField(_("資料提供屬性 as written"), max_length=40, blank=True)
    category = models.CharField(_("服務分類 as written"), max_length=40, blank=True)
    quality_mark = models.CharField(
        _("platform quality mark (品質檢測)"), max_length=20, blank=True
    )
    listing_method = models.CharField(
        _("listing method (資資料集上架方式)"), max_length=60, blank=True
    )
    listed_at = models.CharField(_("上架日期 as written"), max_length=40, blank=True)
    metadata_modified_at = models.CharField(
        _("詮釋資料更新時間 as written"), max_length=40, blank=True
    )
    amounts = models.TextField(_("資料量 per resource as written"), blank=True)
    fingerprint = models.CharField(_("fingerprint of the row"), max_length=40)
    imported_at = models.DateTimeField(_("imported at"))

    class Meta:
        verbose_name = _("catalogue listing")
        verbose_name_plural = _("catalogue listings")
        constraints = [
            models.UniqueConstraint(
                fields=["ministry", "portal_number"],
                condition=~models.Q(portal_number=""),
                name="unique_portal_number_per_ministry",
            )
        ]

    def __str__(self) -> str:
        return f"{self.portal_number or '—'} · {self.dataset_id}"


class ImportRunStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    READING = "reading", _("Reading and checking the file")
    SAVING = "saving", _("Saving")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Not imported: the file has problems")
    FAILED = "failed", _("Stopped by an error")


class CatalogueImportRun(models.Model):
    """A catalogue import started from the page, run by the worker, with its progress.

    The upload is kept in storage (`file`) until the run ends; `report` holds the outcome
    the page shows (counts, gone datasets, problems, warnings).
    """

    ministry = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("ministry"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file = models.FileField(_("file"), upload_to="catalogue-imports/", blank=True)
    file_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    check_only = models.BooleanField(_("check only"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ImportRunStatus.choices, default=ImportRunStatus.QUEUED
    )
    bytes_read = models.PositiveBigIntegerField(_("bytes read"), default=0)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("catalogue import")
        verbose_name_plural = _("catalogue imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} · {self.status}"

    @property
    def finished(self) -> bool:
        return self.status in (
            ImportRunStatus.DONE,
            ImportRunStatus.REFUSED,
            ImportRunStatus.FAILED,
        )

    @property
    def percent(self) -> int:
        """How far reading has got (saving counts as 99 %)."""
        if self.finished:
            return 100
        if self.status == ImportRunStatus.SAVING:
            return 99
        return min(98, int(100 * self.bytes_read / self.size)) if self.size else 0
