"""App configuration for the public catalogue (資料目錄)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "steward.catalogue"
    label = "catalogue"
    verbose_name = _("Public catalogue")
