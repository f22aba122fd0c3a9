"""The job table: background work without a broker (a row per job, claimed atomically)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """One unit of background work: `kind` names a registered handler, `payload` its input.

    A worker claims a queued job whose `run_at` has come, marks it running with its name in
    `locked_by`, runs it, and marks it done, or queued again later (retry with back-off), or
    failed after `max_attempts`. `unique_key` lets the scheduler enqueue idempotently.
    """

    kind = models.CharField(_("kind"), max_length=100, db_index=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    run_at = models.DateTimeField(_("run at"), default=timezone.now)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("max attempts"), default=3)
    last_error = models.TextField(_("last error"), blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    locked_by = models.CharField(_("locked by"), max_length=200, blank=True)
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    unique_key = models.CharField(_("unique key"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["run_at", "pk"]
        indexes = [models.Index(fields=["status", "run_at"], name="job_claim_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["unique_key"], condition=~models.Q(unique_key=""), name="unique_job_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
