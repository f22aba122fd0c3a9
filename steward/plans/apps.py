"""App configuration for plans."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "steward.plans"
    label = "plans"
    verbose_name = _("Action plans")
