"""Admin for the inventory (superusers only; everyday work goes through the pages)."""

from django.contrib import admin

from steward.inventory.models import AgencyInventory, InventoryCompilation, InventoryItem


@admin.register(InventoryItem)
class InventoryItemAdmin(admin.ModelAdmin):
    list_display = ["identifier", "name", "agency", "organisation", "classification", "status"]
    list_filter = ["classification", "status", "gender_statistics", "planned_year"]
    search_fields = ["identifier", "name", "dataset_identifier"]
    raw_id_fields = ["agency", "organisation", "dataset"]


@admin.register(AgencyInventory)
class AgencyInventoryAdmin(admin.ModelAdmin):
    list_display = ["agency", "year", "status", "planned_openings", "target"]
    list_filter = ["year", "status"]
    readonly_fields = ["snapshot"]


@admin.register(InventoryCompilation)
class InventoryCompilationAdmin(admin.ModelAdmin):
    list_display = ["ministry", "year", "status", "compiled_at", "approved_at"]
