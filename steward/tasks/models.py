"""Tasks (工作事項): each schedule item (工作時程分工表) as work for one organisation.

A `Task` is one organisation's share of one scheduled deadline: the lead (主辦) and every
cooperating (配合) organisation of the item get one each. A plan that states only cadences
(MOL: 按季盤點, 工作小組每季召開) gets one task per organisation and period instead
(`generation.py`). A task carries its evidence (`TaskEvidence`: files and links), is marked
done by the organisation, and signed off by the information centre (資訊中心列管).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open (待辦理)")
    IN_PROGRESS = "in_progress", _("In progress (辦理中)")
    DONE = "done", _("Done, awaiting sign-off (已完成，待確認)")
    SIGNED_OFF = "signed_off", _("Signed off (已確認)")


#: Work still to be done by the organisation (reminded, escalated, shown as overdue).
UNFINISHED = frozenset({TaskStatus.OPEN, TaskStatus.IN_PROGRESS})

#: The only transitions the services make: {step: (from states, to state)}.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "start": (frozenset({TaskStatus.OPEN}), TaskStatus.IN_PROGRESS),
    "complete": (frozenset(UNFINISHED), TaskStatus.DONE),
    "sign_off": (frozenset({TaskStatus.DONE}), TaskStatus.SIGNED_OFF),
    "reopen": (frozenset({TaskStatus.DONE}), TaskStatus.IN_PROGRESS),
}


class TaskPart(models.TextChoices):
    LEAD = "lead", _("Lead (主辦)")
    COOPERATING = "cooperating", _("Cooperating (配合)")


class Cadence(models.TextChoices):
    """The plan rules (`[versions.rules.*]`) whose cadence becomes tasks when the plan has no
    dated schedule."""

    INVENTORY = "inventory", _("Inventory (盤點)")
    QUALITY_SELF_CHECK = "quality_self_check", _("Quality self-check (品質自我檢核)")
    QUALITY_SPOT_CHECK = "quality_spot_check", _("Quality spot check (品質抽檢)")
    WORKING_GROUP = "working_group", _("Working-group meeting (工作小組會議)")
    COMMITTEE = "committee", _("Advisory committee meeting (諮詢小組會議)")


class Task(models.Model):
    """One organisation's share of one deadline (or cadence period) of the plan."""

    key = models.CharField(
        max_length=80,
        unique=True,
        help_text=_("What the task stands for, so generating it twice makes one task."),
    )
    version = models.ForeignKey("plans.PlanVersion", on_delete=models.CASCADE, related_name="tasks")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="tasks"
    )
    part = models.CharField(_("part"), max_length=16, choices=TaskPart.choices)
    schedule_item = models.ForeignKey(
        "plans.ScheduleItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    scheduled_deadline = models.ForeignKey(
        "plans.ScheduledDeadline",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    cadence = models.CharField(_("cadence"), max_length=24, choices=Cadence.choices, blank=True)
    year = models.PositiveSmallIntegerField(_("plan year"))
    period = models.CharField(_("period"), max_length=8, blank=True)
    code = models.CharField(_("item"), max_length=16, blank=True)
    title = models.CharField(_("title"), max_length=300)
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    reminded_on = models.DateField(_("reminded on"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_date", "code", "organisation__path"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="task_status_due"),
            models.Index(fields=["organisation", "status", "due_date"], name="task_org_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title} · {self.organisation} · {self.due_date}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("tasks:detail", args=[self.pk])

    @property
    def unfinished(self) -> bool:
        return self.status in UNFINISHED

    def is_overdue(self, today: datetime.date) -> bool:
        return self.unfinished and self.due_date < today


class EvidenceKind(models.TextChoices):
    FILE = "file", _("File")
    LINK = "link", _("Link")


class TaskEvidence(models.Model):
    """A file or a link showing the work was done (佐證資料)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=8, choices=EvidenceKind.choices)
    name = models.CharField(_("name"), max_length=255)
    file = models.FileField(_("file"), upload_to="task-evidence/%Y/", blank=True)
    url = models.URLField(_("link"), max_length=1000, blank=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return self.name
