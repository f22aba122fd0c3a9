"""Evaluation (績效評估): runs per plan and period with every figure and the data it used,
the ranking, the award list (敘獎) for the head to approve, improvement reports (限期改善或
說明報告) and self-reports (DGBAS 其他項目: 由各單位自行提報)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SelfReportStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted, awaiting review")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")


class SelfReport(models.Model):
    """An organisation's own report of a KPI the plan leaves to it (自行提報), with evidence.

    Only accepted reports count; the information centre accepts or returns them."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="self_reports"
    )
    measure = models.CharField(_("measure"), max_length=40)
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("last day"))
    value = models.DecimalField(_("figure reported"), max_digits=12, decimal_places=4)
    summary = models.TextField(_("what was achieved"))
    evidence_links = models.TextField(_("evidence links"), blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to="self-reports/", blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SelfReportStatus.choices,
        default=SelfReportStatus.SUBMITTED,
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("self-report")
        verbose_name_plural = _("self-reports")
        ordering = ["-submitted_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "measure", "period_end"])]

    def __str__(self) -> str:
        return f"{self.organisation} {self.period_start}–{self.period_end}"

    @property
    def links(self) -> list[str]:
        return [line.strip() for line in self.evidence_links.splitlines() if line.strip()]


class EvaluationRun(models.Model):
    """One evaluation of a plan for a period, with what it computed and from which data."""

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="evaluations")
    period = models.CharField(_("period"), max_length=8)  # 2026, 2026H1, 2026Q3
    start = models.DateField(_("first day"))
    end = models.DateField(_("last day"))
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The plan versions in force, each for its part of the period: [{label, start, end}].
    parts = models.JSONField(default=list)
    # What the run read: per organisation and KPI, the value, terms and records counted.
    inputs = models.JSONField(default=dict)
    # What differs from the previous run of the same plan and period (late data).
    changes = models.JSONField(default=list)
    award_top_n = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("evaluation run")
        verbose_name_plural = _("evaluation runs")
        ordering = ["-computed_at", "-pk"]
        indexes = [models.Index(fields=["plan", "period", "-computed_at"])]

    def __str__(self) -> str:
        return f"{self.plan} {self.period}"


class KpiResult(models.Model):
    """One KPI of one organisation in a run (and in one part, when the plan changed)."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="results")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    kpi_code = models.CharField(max_length=40)
    kpi_name = models.CharField(max_length=200)
    measure = models.CharField(max_length=40)
    unit = models.CharField(max_length=16)
    version_label = models.CharField(max_length=100)
    part = models.PositiveSmallIntegerField(default=0)  # index into run.parts
    weight = models.DecimalField(max_digits=6, decimal_places=3)
    value = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    target = models.DecimalField(max_digits=14, decimal_places=4, null=True)
    achievement = models.DecimalField(max_digits=10, decimal_places=4, null=True)
    bonus = models.DecimalField(max_digits=10, decimal_places=4, default=0)
    terms = models.JSONField(default=dict)
    counted = models.JSONField(default=list)  # [{term, label, url}]
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "organisation__path", "kpi_code", "part"]

    def __str__(self) -> str:
        return f"{self.organisation} {self.kpi_name} ({self.version_label})"


class Score(models.Model):
    """An organisation's overall achievement and rank in a run."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="scores")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    overall = models.DecimalField(max_digits=10, decimal_places=4, null=True)
    bonus = models.DecimalField(max_digits=10, decimal_places=4, default=0)
    rank = models.PositiveIntegerField(null=True)
    below_target = models.JSONField(default=list)  # names of the KPIs below target
    evaluated_from = models.DateField(null=True)  # later than run.start: added mid-period

    class Meta:
        ordering = ["run", models.F("rank").asc(nulls_last=True), "organisation__path"]
        constraints = [models.UniqueConstraint(fields=["run", "organisation"], name="unique_score")]

    def __str__(self) -> str:
        return f"{self.organisation} {self.overall}"


class AwardStatus(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting the head's approval")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned")


class AwardList(models.Model):
    """The top-N organisations of a run recommended for award (敘獎), for the head to approve."""

    run = models.OneToOneField(EvaluationRun, on_delete=models.CASCADE, related_name="award_list")
    organisations = models.ManyToManyField("organisations.Organisation", related_name="+")
    status = models.CharField(
        max_length=16, choices=AwardStatus.choices, default=AwardStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.run} ({self.status})"


class ReportStatus(models.TextChoices):
    REQUIRED = "required", _("Required")
    SUBMITTED = "submitted", _("Submitted, awaiting review")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned for more")


class ImprovementReport(models.Model):
    """An improvement or explanation report (限期改善或說明報告) required of an organisation
    below target in a run, due by a date."""

    plan = models.ForeignKey("plans.Plan", on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=8)
    # The latest run that found the organisation below target (a re-run updates it).
    run = models.ForeignKey(
        EvaluationRun, on_delete=models.CASCADE, related_name="improvement_reports"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="improvement_reports"
    )
    kpis = models.JSONField(default=list)  # names of the KPIs below target
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.REQUIRED
    )
    text = models.TextField(_("report"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    reminded_on = models.DateField(null=True, blank=True)
    escalated_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "period", "organisation"], name="unique_improvement_report"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.period}"
