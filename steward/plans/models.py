"""Action plans (資料開放行動方案) as data: versions, schedule, targets and KPIs.

A plan file (TOML, see docs/plans.md) is validated and loaded into one
`PlanVersion`; the parts other apps compute with are normalised into tables
(schedule items and deadlines, targets, KPI definitions), the rest stays in
`PlanVersion.document`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Plan(models.Model):
    """A ministry's action plan; its versions are the amendments (修正)."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    ministry = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("ministry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plans",
    )
    built_in = models.BooleanField(_("built in"), default=False)

    class Meta:
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name

    def current_version(self) -> PlanVersion | None:
        return self.versions.order_by("-adopted_on", "-pk").first()


class PlanVersion(models.Model):
    """One version of a plan, as adopted or amended on `adopted_on`."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    label = models.CharField(_("version"), max_length=100)
    title = models.CharField(_("title"), max_length=300, blank=True)
    adopted_on = models.DateField(_("adopted on"))
    adopted_on_stated = models.BooleanField(
        _("date stated in the plan"),
        default=True,
        help_text=_("False when the plan does not state the date and `adopted_on` only orders it."),
    )
    source_name = models.CharField(_("source file"), max_length=255, blank=True)
    source_text = models.TextField(_("source text"), blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    document = models.JSONField(_("document"), default=dict)
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["plan", "adopted_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "label"], name="unique_plan_version_label")
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.label}"


class ScheduleItem(models.Model):
    """A work item of the schedule (工作時程分工表), e.g. 1-5 內部初審開放資料集."""

    version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="schedule_items"
    )
    code = models.CharField(_("item"), max_length=16)
    phase = models.CharField(_("phase"), max_length=100, blank=True)
    title = models.CharField(_("title"), max_length=300)
    lead_organisations = models.ManyToManyField(
        "organisations.Organisation", related_name="+", verbose_name=_("lead (主辦)"), blank=True
    )
    cooperating_organisations = models.ManyToManyField(
        "organisations.Organisation",
        related_name="+",
        verbose_name=_("cooperating (配合)"),
        blank=True,
    )
    lead_as_written = models.CharField(_("lead as written"), max_length=200, blank=True)
    cooperating_as_written = models.CharField(
        _("cooperating as written"), max_length=200, blank=True
    )
    continuous = models.BooleanField(
        _("continuous"), default=False, help_text=_("Runs all year with no deadline.")
    )
    continuous_label = models.CharField(_("continuous, as written"), max_length=200, blank=True)
    active_months = models.JSONField(
        _("active months"),
        default=list,
        blank=True,
        help_text=_("Months (1–12) in which the work runs, where the plan schedules by month."),
    )
    move_to_previous_working_day = models.BooleanField(
        _("deadline on a day off moves to the previous working day"), default=True
    )
    note = models.TextField(_("note"), blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("schedule item")
        verbose_name_plural = _("schedule items")
        ordering = ["version", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="unique_schedule_item_code")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class DeadlinePeriod(models.TextChoices):
    Q1 = "Q1", _("Q1")
    Q2 = "Q2", _("Q2")
    Q3 = "Q3", _("Q3")
    Q4 = "Q4", _("Q4")
    H1 = "H1", _("First half")
    H2 = "H2", _("Second half")
    YEAR = "Y", _("Year")


class Deadline(models.Model):
    """A recurring deadline of a schedule item: month/day in the plan year (+ year_offset)."""

    schedule_item = models.ForeignKey(
        ScheduleItem, on_delete=models.CASCADE, related_name="deadlines"
    )
    period = models.CharField(_("period"), max_length=2, choices=DeadlinePeriod.choices)
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))
    year_offset = models.SmallIntegerField(
        _("year offset"), default=0, help_text=_("1 when the deadline falls in the next year.")
    )
    label = models.CharField(_("as written"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["schedule_item", "year_offset", "month", "day"]

    def __str__(self) -> str:
        return f"{self.schedule_item.code} {self.period} {self.month}/{self.day}"


class ScheduledDeadline(models.Model):
    """A deadline in one plan year: the date as written and the date after the calendar.

    Recomputed whenever the office calendar of that year is re-imported.
    """

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="occurrences")
    year = models.PositiveSmallIntegerField(_("plan year"))
    original_date = models.DateField(_("date as written"))
    due_date = models.DateField(_("due date"))
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        verbose_name = _("scheduled deadline")
        verbose_name_plural = _("scheduled deadlines")
        ordering = ["due_date"]
        constraints = [
            models.UniqueConstraint(fields=["deadline", "year"], name="unique_deadline_year")
        ]

    def __str__(self) -> str:
        return f"{self.deadline} {self.year}: {self.due_date}"

    @property
    def was_moved(self) -> bool:
        return self.original_date != self.due_date


class TargetMeasure(models.TextChoices):
    DATASETS_TOTAL = "datasets_total", _("Open datasets in total (資料集總數量)")
    DATASETS_NEW = "datasets_new", _("New open datasets in the year (新增開放項數)")


class Target(models.Model):
    """A target (目標值) of one organisation for one year."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="targets")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="targets"
    )
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, help_text=_("Empty: every year of the plan (每年).")
    )
    measure = models.CharField(_("measure"), max_length=32, choices=TargetMeasure.choices)
    value = models.PositiveIntegerField(_("value"))
    covers_subtree = models.BooleanField(
        _("includes its agencies"),
        default=False,
        help_text=_(
            "True when the target counts the organisation and everything below it "
            "(本部及所屬機關), false when it counts the organisation's own datasets."
        ),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["version", "year", "organisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "organisation", "year", "measure", "covers_subtree"],
                name="unique_target",
            )
        ]

    def __str__(self) -> str:
        year = self.year if self.year is not None else "*"
        return f"{self.organisation} {year} {self.measure}={self.value}"


class KpiDefinition(models.Model):
    """A KPI (績效指標) with its exact formula as the plan writes it."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="kpis")
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    measure = models.CharField(
        _("measure"), max_length=40, help_text=_("What is computed, e.g. three_star_ratio.")
    )
    formula = models.TextField(_("formula as written"), blank=True)
    unit = models.CharField(_("unit"), max_length=16, default="count")
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=3, default=1)
    bonus_rule = models.TextField(_("bonus rule"), blank=True)
    note = models.TextField(_("note"), blank=True)
    evaluated_by = models.CharField(_("evaluated by"), max_length=100, blank=True)
    evaluation_period = models.CharField(_("evaluation period"), max_length=16, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("KPI definition")
        verbose_name_plural = _("KPI definitions")
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="unique_kpi_code")]

    def __str__(self) -> str:
        return self.name


class KpiTarget(models.Model):
    """The target of a KPI for one organisation (and optionally one year)."""

    kpi = models.ForeignKey(KpiDefinition, on_delete=models.CASCADE, related_name="targets")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="kpi_targets"
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    value = models.DecimalField(_("target"), max_digits=12, decimal_places=4)

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "organisation", "year"], name="unique_kpi_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi.code} {self.organisation} {self.value}"
