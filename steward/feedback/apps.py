"""App configuration for feedback."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "steward.feedback"
    label = "feedback"
    verbose_name = _("Public feedback")
