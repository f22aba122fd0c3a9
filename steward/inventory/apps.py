"""App configuration for inventory."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "steward.inventory"
    label = "inventory"
    verbose_name = _("Inventory")
