"""Quality checks (品質檢核) recorded: runs, per-resource results, and each link's health history.

* `CheckRun` — one run of the checks: who started it, when, for what scope, and the totals.
* `CheckResult` — what one run found about one resource (compact; JSON for the details).
* `ResourceHealth` — the history of one resource's link across runs: first failure,
  consecutive failures, last success, and when it is next due (an adaptive interval).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckState(models.TextChoices):
    """The three-state verdict of a link (see steward.quality.fetch)."""

    OK = "ok", _("OK")
    BROKEN = "broken", _("Broken")
    UNKNOWN = "unknown", _("Unknown (temporary problem)")


class CheckKind(models.TextChoices):
    """Why a run happened: the plan's work items or somebody asking."""

    SELF_CHECK = "self_check", _("Quarterly self-check by the agency (2-1 品質檢核)")
    SPOT_CHECK = "spot_check", _("Spot check by the information centre (2-2 抽檢)")
    ON_DEMAND = "on_demand", _("On demand")


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


# Adaptive re-check intervals: (first interval, cap); each consecutive outcome doubles it.
HEALTHY_INTERVAL = (timedelta(days=1), timedelta(days=30))
BROKEN_INTERVAL = (timedelta(hours=6), timedelta(days=7))
UNKNOWN_INTERVAL = (timedelta(hours=1), timedelta(days=1))


def next_interval(state: str, streak: int) -> timedelta:
    """How long until the next check: healthy links back off, failing ones come back sooner.

    `streak` counts consecutive checks with this same state (1 for the first).
    """
    first, cap = {
        CheckState.OK: HEALTHY_INTERVAL,
        CheckState.BROKEN: BROKEN_INTERVAL,
    }.get(CheckState(state), UNKNOWN_INTERVAL)
    return min(first * 2 ** max(streak - 1, 0), cap)


class CheckRun(models.Model):
    """One run of the quality checks over a set of resources."""

    kind = models.CharField(
        _("kind"), max_length=16, choices=CheckKind.choices, default=CheckKind.ON_DEMAND
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="quality_runs",
        help_text=_("Whose resources were checked; empty for a catalogue file of any publisher."),
    )
    source = models.CharField(
        _("source"), max_length=300, help_text=_("The catalogue file or the database scope.")
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.RUNNING
    )
    totals = models.JSONField(_("totals"), default=dict, blank=True)
    config = models.JSONField(_("settings used"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("quality check run")
        verbose_name_plural = _("quality check runs")
        ordering = ["-started_at", "-pk"]
        # The runs list (newest first) and each organisation's newest run (quality index).
        indexes = [
            models.Index(fields=["organisation", "-started_at"], name="run_org_started_idx"),
            models.Index(fields=["-started_at", "-id"], name="run_started_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ResourceHealth(models.Model):
    """The link history of one resource, across runs (keyed by the resource's stable key)."""

    key = models.CharField(_("resource key"), max_length=200, unique=True)
    url = models.CharField(_("download URL"), max_length=2000, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    dataset_identifier = models.CharField(_("dataset identifier"), max_length=40, blank=True)
    last_state = models.CharField(
        _("last state"), max_length=10, choices=CheckState.choices, blank=True
    )
    last_reason = models.CharField(_("last reason"), max_length=40, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    first_failure_at = models.DateTimeField(
        _("failing since"), null=True, blank=True, help_text=_("Start of the current failure.")
    )
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    consecutive_unknown = models.PositiveIntegerField(_("consecutive unknown"), default=0)
    consecutive_ok = models.PositiveIntegerField(_("consecutive successes"), default=0)
    checks = models.PositiveIntegerField(_("checks"), default=0)
    next_check_due = models.DateTimeField(_("next check due"), null=True, blank=True)

    class Meta:
        verbose_name = _("resource health")
        verbose_name_plural = _("resource health")
        ordering = ["key"]
        indexes = [models.Index(fields=["next_check_due"], name="health_due_idx")]

    def __str__(self) -> str:
        return f"{self.key}: {self.last_state}"

    def observe(self, state: str, reason: str, *, at: datetime) -> None:
        """Fold one check outcome into the history (no save).

        An unknown (transient) outcome neither breaks a success streak's `last_success_at`
        nor starts a failure: it is counted apart, so a flaky server is not "broken".
        """
        self.checks += 1
        self.last_state = state
        self.last_reason = reason
        self.last_checked_at = at
        if state == CheckState.OK:
            self.last_success_at = at
            self.first_failure_at = None
            self.consecutive_failures = 0
            self.consecutive_unknown = 0
            self.consecutive_ok += 1
            streak = self.consecutive_ok
        elif state == CheckState.BROKEN:
            if self.consecutive_failures == 0:
                self.first_failure_at = at
            self.consecutive_failures += 1
            self.consecutive_unknown = 0
            self.consecutive_ok = 0
            streak = self.consecutive_failures
        else:
            self.consecutive_unknown += 1
            self.consecutive_ok = 0
            streak = self.consecutive_unknown
        self.next_check_due = at + next_interval(state, streak)


class CheckResult(models.Model):
    """What one run found about one resource."""

    run = models.ForeignKey(CheckRun, on_delete=models.CASCADE, related_name="results")
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    key = models.CharField(_("resource key"), max_length=200)
    url = models.CharField(_("download URL"), max_length=2000, blank=True)
    dataset_identifier = models.CharField(_("dataset identifier"), max_length=40, blank=True)
    title = models.CharField(_("dataset title"), max_length=300, blank=True)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=CheckState.choices)
    reason = models.CharField(_("reason"), max_length=40)
    explanation = models.TextField(_("explanation"), blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    detected_format = models.CharField(_("detected format"), max_length=20, blank=True)
    detected_encoding = models.CharField(_("detected encoding"), max_length=20, blank=True)
    mark = models.CharField(_("platform mark"), max_length=10, blank=True)
    stars = models.PositiveSmallIntegerField(_("openness stars"), null=True, blank=True)
    timely = models.BooleanField(_("updated on time"), null=True, blank=True)
    flags = models.JSONField(_("platform flags"), default=dict, blank=True)
    pii = models.JSONField(_("personal data found"), default=dict, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        verbose_name = _("quality check result")
        verbose_name_plural = _("quality check results")
        ordering = ["run", "key"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="unique_result_per_run")]
        # A run's results page: filtered by state, sorted by state then key.
        indexes = [models.Index(fields=["run", "state", "key"], name="result_state_key_idx")]

    def __str__(self) -> str:
        return f"{self.key}: {self.state}"
