"""Stored reports (已產製報告): a report file built by the schedule (or asked to be kept),
with what it was built from, so the same inputs are never built and sent twice."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StoredReport(models.Model):
    """One rendered report of a kind, an organisation and a period, with its inputs.

    `inputs_version` is `ReportDocument.inputs_version`: a later report with the same one
    would say the same, so the schedule does not build it again.
    """

    kind = models.CharField(_("report kind"), max_length=40)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="stored_reports"
    )
    period = models.CharField(_("period"), max_length=8)  # 2026Q4, 2026H1, 2026
    options = models.JSONField(_("options"), default=dict, blank=True)  # e.g. {"meeting": 12}
    format = models.CharField(_("format"), max_length=4)
    title = models.CharField(_("title"), max_length=300)
    file = models.FileField(_("file"), upload_to="reports/%Y/")
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    inputs_version = models.CharField(_("inputs version"), max_length=16)
    inputs = models.JSONField(_("inputs"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty for a report the schedule made."),
    )

    class Meta:
        verbose_name = _("stored report")
        verbose_name_plural = _("stored reports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["kind", "organisation", "period", "-created_at"], name="report_key_idx"
            ),
            models.Index(fields=["-created_at"], name="report_created_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("reports:stored", args=[self.pk])
