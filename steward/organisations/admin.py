"""Admin for organisations, people and roles (superusers only)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from steward.organisations.models import Organisation, Person, RoleAssignment


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "agency_code", "parent", "key"]
    list_filter = ["kind"]
    search_fields = ["name", "name_en", "agency_code", "key"]
    autocomplete_fields = ["parent"]


@admin.register(Person)
class PersonAdmin(UserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "display_name", "email", "is_active", "is_superuser"]
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (None, {"fields": ("display_name", "title", "phone")}),
    )
