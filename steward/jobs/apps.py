"""App configuration for jobs."""

from importlib import import_module

from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "steward.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        # Every app may declare its job handlers in `<app>/tasks.py`; import them so the
        # worker knows every kind.
        for config in apps.get_app_configs():
            if config.name.startswith("steward."):
                try:
                    import_module(f"{config.name}.tasks")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.tasks":
                        raise
