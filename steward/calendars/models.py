"""The official office calendar (辦公日曆表) as imported: revisions per year, days, changes.

`CalendarImport` is one accepted file for one year; the year's latest
revision is in force. `CalendarDay` holds the days in force (one row per
date). `CalendarChange` records each day whose state or label a revision
changed, so an officer can read "2025-09-29 became a day off (補假)".
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from steward.calendars.parsing import DayKind


class CalendarImport(models.Model):
    """One imported calendar file for one year (a revision: 1 is the first import)."""

    year = models.PositiveSmallIntegerField(_("year"))
    revision = models.PositiveSmallIntegerField(_("revision"))
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    encoding = models.CharField(_("encoding detected"), max_length=20)
    days_off = models.PositiveSmallIntegerField(_("days off"), default=0)
    changed_days = models.PositiveSmallIntegerField(
        _("days changed"),
        default=0,
        help_text=_("Days whose state or label this revision changed."),
    )
    moved_deadlines = models.PositiveIntegerField(_("deadlines moved"), default=0)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("calendar import")
        verbose_name_plural = _("calendar imports")
        ordering = ["-year", "-revision"]
        constraints = [
            models.UniqueConstraint(fields=["year", "revision"], name="unique_calendar_revision")
        ]

    def __str__(self) -> str:
        return f"{self.year} r{self.revision} {self.file_name}"


class CalendarDay(models.Model):
    """A day of an imported year as currently in force."""

    date = models.DateField(_("date"), unique=True)
    year = models.PositiveSmallIntegerField(_("year"), db_index=True)
    is_day_off = models.BooleanField(_("day off"))
    kind = models.CharField(_("kind"), max_length=16, choices=DayKind.choices)
    label = models.CharField(_("note (備註)"), max_length=100, blank=True)
    source = models.ForeignKey(
        CalendarImport,
        verbose_name=_("set by"),
        on_delete=models.CASCADE,
        related_name="days_set",
        help_text=_("The revision that last set this day."),
    )

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    @property
    def is_make_up_working_day(self) -> bool:
        return self.kind == DayKind.MAKE_UP_WORKING_DAY


class CalendarChange(models.Model):
    """A day whose state or label a revision changed."""

    calendar_import = models.ForeignKey(
        CalendarImport,
        verbose_name=_("revision"),
        on_delete=models.CASCADE,
        related_name="changes",
    )
    date = models.DateField(_("date"))
    old_is_day_off = models.BooleanField(_("was a day off"))
    new_is_day_off = models.BooleanField(_("is a day off"))
    old_kind = models.CharField(_("was"), max_length=16, choices=DayKind.choices)
    new_kind = models.CharField(_("is"), max_length=16, choices=DayKind.choices)
    old_label = models.CharField(_("old note"), max_length=100, blank=True)
    new_label = models.CharField(_("new note"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("calendar change")
        verbose_name_plural = _("calendar changes")
        ordering = ["calendar_import", "date"]

    def __str__(self) -> str:
        return self.describe()

    @property
    def changes_working_day(self) -> bool:
        """True when the day went from working to day off or back; label edits are False."""
        return self.old_is_day_off != self.new_is_day_off

    def describe(self) -> str:
        """One sentence for an officer, e.g. "2025-09-29 became a day off (補假)"."""
        values = {
            "date": self.date.isoformat(),
            "label": self.new_label,
            "old": self.old_label or "—",
            "new": self.new_label or "—",
        }
        if self.new_is_day_off and not self.old_is_day_off:
            if self.new_label:
                return gettext("%(date)s became a day off (%(label)s)") % values
            return gettext("%(date)s became a day off") % values
        if self.old_is_day_off and not self.new_is_day_off:
            if self.new_label:
                return gettext("%(date)s became a working day (%(label)s)") % values
            return gettext("%(date)s became a working day") % values
        return gettext("%(date)s: note changed from “%(old)s” to “%(new)s”") % values
