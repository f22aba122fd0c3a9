"""App configuration for calendars."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarsConfig(AppConfig):
    name = "steward.calendars"
    label = "calendars"
    verbose_name = _("Office calendar")
