"""App configuration for datasets."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DatasetsConfig(AppConfig):
    name = "steward.datasets"
    label = "datasets"
    verbose_name = _("Datasets")

    def ready(self) -> None:
        from steward.audit.labels import register_actions, register_states
        from steward.datasets.workflow import EVENT_LABELS, Status

        register_actions(EVENT_LABELS)
        register_states(Status.choices)
