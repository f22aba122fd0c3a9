"""Quality checks (品質檢核) recorded: runs, per-resource results, and each link's health history.

* `CheckRun` — one run of the checks: who started it, when, for what scope, and the totals.
* `CheckResult` — one verdict about one resource (compact; JSON for the details), stored
  only when it differs from that resource's previous verdict: history as changes.
* `CheckEntry` — one resource checked in one run: which verdict it got (narrow, one per
  resource and run), so "the latest result of each resource checked in a period" is exact.
* `ResourceHealth` — the history of one resource's link across runs: first failure,
  consecutive failures, last success, when it is next due (an adaptive interval), its last
  verdict and the validators (ETag, Last-Modified) a re-check sends in a conditional request.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CheckState(models.TextChoices):
    """The three-state verdict of a link (see steward.quality.crawl.fetch)."""

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
    #: Stopped part-way (an error, a kill): what was recorded is kept; the next run of the
    #: same scope resumes it.
    INCOMPLETE = "incomplete", _("Incomplete")


# Adaptive re-check intervals: (first interval, cap); each consecutive outcome doubles it.
HEALTHY_INTERVAL = (timedelta(days=1), timedelta(days=30))
BROKEN_INTERVAL = (timedelta(hours=6), timedelta(days=7))
UNKNOWN_INTERVAL = (timedelta(hours=1), timedelta(days=1))


def next_interval(state: str, streak: int) -> timedelta:
    """How long until the next check: healthy links back off, failing ones come back sooner.

    `streak` counts consecutive checks with this same state (1 for the first).
    """
    first, cap = _INTERVALS.get(state, UNKNOWN_INTERVAL)
    # doubling stops once past the cap (a long streak would overflow a timedelta)
    doublings = min(max(streak - 1, 0), (cap // first).bit_length())
    return min(first * 2**doublings, cap)


#: (first interval, cap) by state (a plain dict of the values: the recorder asks per resource)
_INTERVALS = {CheckState.OK.value: HEALTHY_INTERVAL, CheckState.BROKEN.value: BROKEN_INTERVAL}


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
    progressed_at = models.DateTimeField(
        _("last progress"),
        null=True,
        blank=True,
        help_text=_("When the run last recorded results; a running run silent too long died."),
    )

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
    last_result = models.ForeignKey(
        "CheckResult",
        verbose_name=_("last verdict"),
        null=True,
        blank=True,
        # results are deleted only when nothing points at them (`prune_runs`): no constraint
        # and no cascade to look up on each delete
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    etag = models.CharField(_("ETag"), max_length=200, blank=True)
    last_modified = models.CharField(_("Last-Modified"), max_length=64, blank=True)
    # What the recorder compares and counts for an unchanged resource, kept here beside
    # `last_result` so that it does not read the (large) result row
    last_fingerprint = models.CharField(_("fingerprint"), max_length=32, blank=True)
    last_content_fingerprint = models.CharField(
        _("fingerprint without timeliness"), max_length=32, blank=True
    )
    last_encoding_matches = models.BooleanField(_("encoding as declared"), null=True, blank=True)
    last_fields_match = models.BooleanField(_("header as declared"), null=True, blank=True)

    class Meta:
        verbose_name = _("resource health")
        verbose_name_plural = _("resource health")
        ordering = ["key"]
        # No index on next_check_due: every run changes it, and on PostgreSQL an update that
        # changes no indexed column stays on its page (a HOT update, with the table's
        # fillfactor set in migration 0003), so a re-check does not grow the table. The "due"
        # query reads the whole table once, which is cheap.

    def __str__(self) -> str:
        return f"{self.key}: {self.last_state}"

    def observe(self, state: str, reason: str, *, at: datetime) -> None:
        """Fold one check outcome into the history (no save; see `observe`)."""
        observe(self, state, reason, at=at)


def observe(
    history: Any, state: str, reason: str, *, at: datetime, retry_after: float | None = None
) -> None:
    """Fold one check outcome into a link history (a `ResourceHealth`, or the recorder's row).

    An unknown (transient) outcome neither breaks a success streak's `last_success_at`
    nor starts a failure: it is counted apart, so a flaky server is not "broken".
    """
    history.checks += 1
    history.last_state = state
    history.last_reason = reason
    history.last_checked_at = at
    if state == CheckState.OK:
        history.last_success_at = at
        history.first_failure_at = None
        history.consecutive_failures = 0
        history.consecutive_unknown = 0
        history.consecutive_ok += 1
        streak = history.consecutive_ok
    elif state == CheckState.BROKEN:
        if history.consecutive_failures == 0:
            history.first_failure_at = at
        history.consecutive_failures += 1
        history.consecutive_unknown = 0
        history.consecutive_ok = 0
        streak = history.consecutive_failures
    else:
        history.consecutive_unknown += 1
        history.consecutive_ok = 0
        streak = history.consecutive_unknown
    history.next_check_due = at + next_interval(state, streak)
    if state == CheckState.UNKNOWN and retry_after:
        # the server said when to come back (Retry-After): then, not on our own schedule
        history.next_check_due = at + timedelta(seconds=retry_after)


class CheckResult(models.Model):
    """One verdict about one resource, stored when it differs from the resource's previous one.

    `run` and `checked_at` say when this verdict was first found; `CheckEntry` says in which
    runs (and when) the resource was checked and got it. `fingerprint` is a hash of what the
    verdict says (not of how long the fetch took), compared to decide whether it changed.
    """

    run = models.ForeignKey(
        CheckRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="new_results",
        help_text=_("The run that first found this verdict."),
    )
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
    fingerprint = models.CharField(_("fingerprint"), max_length=32, blank=True)
    content_fingerprint = models.CharField(
        _("fingerprint without timeliness"), max_length=32, blank=True
    )

    class Meta:
        verbose_name = _("quality check result")
        verbose_name_plural = _("quality check results")
        ordering = ["run", "key"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="unique_result_per_run")]
        # A run's results page: filtered by state, sorted by state then key.
        indexes = [models.Index(fields=["run", "state", "key"], name="result_state_key_idx")]

    def __str__(self) -> str:
        return f"{self.key}: {self.state}"


class CheckEntry(models.Model):
    """One resource checked in one run, and the verdict it got (a pointer, not a copy).

    About 60 bytes a row: a run over 150,000 unchanged resources adds one of these each and
    no `CheckResult`.
    """

    pk = models.CompositePrimaryKey("run_id", "result_id")
    run = models.ForeignKey(
        CheckRun, on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    result = models.ForeignKey(
        CheckResult,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="entries",
    )
    checked_at = models.DateTimeField(_("checked at"))

    class Meta:
        verbose_name = _("resource checked in a run")
        verbose_name_plural = _("resources checked in runs")

    def __str__(self) -> str:
        return f"{self.run_id}: {self.result_id}"
