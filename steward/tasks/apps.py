"""App configuration for tasks (工作事項): the schedule's work items, per organisation."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "steward.tasks"
    label = "tasks"
    verbose_name = _("Tasks")
