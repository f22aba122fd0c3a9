"""Admin for the audit trail: read only."""

from django.contrib import admin

from steward.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "subject_type", "subject_id", "from_state", "to_state"]
    list_filter = ["action", "subject_type"]
    search_fields = ["comment", "subject_id"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
