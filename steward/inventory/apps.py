"""App configuration for inventory."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "steward.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from steward.audit.labels import register_actions, register_states
        from steward.inventory.models import InventoryStatus

        register_actions(
            {
                "inventory.item.create": _("item added"),
                "inventory.item.update": _("item edited"),
                "inventory.import": _("imported from a spreadsheet"),
                "inventory.submit": _("submitted to the information centre"),
                "inventory.compile": _("compiled by the information centre"),
                "inventory.approve": _("approved by the CIO"),
                "inventory.agency_approve": _("approved by the agency's CIO"),
                "inventory.return": _("returned for correction"),
            }
        )
        register_states(InventoryStatus.choices)
