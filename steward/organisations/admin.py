"""Admin for organisations, people and roles.

Organisations and people: superusers only. Role assignments: superusers, and staff whom an
administrator gave the role-assignment permissions (the information centre), within what
`services.may_manage_role` allows. Every save and delete goes through
`organisations.services`, which checks scope and writes the audit event.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ForeignKey, Q, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest

from steward.organisations import services
from steward.organisations.models import Organisation, Person, RoleAssignment
from steward.organisations.scope import Action, organisations_for


class SuperuserOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    """Only superusers see or change these, whatever permissions a staff member holds."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)


class RoleAssignmentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(Organisation)
class OrganisationAdmin(SuperuserOnly):
    list_display = ["name", "kind", "agency_code", "parent", "key"]
    list_filter = ["kind"]
    search_fields = ["name", "name_en", "agency_code", "key"]
    autocomplete_fields = ["parent"]


@admin.register(Person)
class PersonAdmin(SuperuserOnly, UserAdmin):  # type: ignore[misc]
    inlines = [RoleAssignmentInline]
    list_display = ["username", "display_name", "email", "is_active", "is_superuser"]
    fieldsets = (
        *UserAdmin.fieldsets,  # type: ignore[misc]
        (None, {"fields": ("display_name", "title", "phone")}),
    )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        """The role assignments of the inline go through the service like everywhere else."""
        if formset.model is not RoleAssignment:
            super().save_formset(request, form, formset, change)
            return
        assignments = formset.save(commit=False)
        for assignment in formset.deleted_objects:
            services.revoke_role(assignment, by=request.user)  # type: ignore[arg-type]
        for assignment in assignments:
            services.save_role_assignment(assignment, by=request.user)  # type: ignore[arg-type]


class RoleAssignmentForm(forms.ModelForm):  # type: ignore[type-arg]
    """Refuses, as a form error, what the service would refuse for the signed-in actor."""

    actor: Person  # set per request by RoleAssignmentAdmin.get_form

    class Meta:
        model = RoleAssignment
        fields = ["person", "organisation", "role", "committee_seat", "active", "since"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        organisation, role = cleaned.get("organisation"), cleaned.get("role")
        try:
            if self.instance.pk is not None:  # what it was: not yet overwritten by the form
                stored = RoleAssignment.objects.get(pk=self.instance.pk)
                services.require_may_manage_role(
                    self.actor, stored.organisation, stored.role, person=stored.person
                )
            if organisation is not None and role:
                services.require_may_manage_role(
                    self.actor, organisation, role, person=cleaned.get("person")
                )
        except PermissionDenied as refused:
            raise ValidationError(str(refused)) from None
        return cleaned


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = RoleAssignmentForm
    list_display = ["person", "role", "organisation", "committee_seat", "active", "since"]
    list_filter = ["role", "active"]
    search_fields = ["person__username", "person__display_name", "organisation__name"]

    def _managed_organisations(self, request: HttpRequest) -> QuerySet[Organisation]:
        return organisations_for(request.user, Action.ROLES_MANAGE)  # type: ignore[arg-type]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RoleAssignment]:
        queryset = super().get_queryset(request).select_related("person", "organisation")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(organisation__in=self._managed_organisations(request))

    def formfield_for_foreignkey(
        self,
        db_field: ForeignKey,  # type: ignore[type-arg]
        request: HttpRequest,
        **kwargs: Any,
    ) -> ModelChoiceField | None:  # type: ignore[type-arg]
        if not request.user.is_superuser:
            managed = self._managed_organisations(request)
            if db_field.name == "organisation":
                kwargs["queryset"] = managed
            elif db_field.name == "person":
                # People of this ministry, and people who hold no role yet (a newcomer).
                kwargs["queryset"] = Person.objects.filter(
                    Q(role_assignments__organisation__in=managed) | Q(role_assignments=None),
                    is_active=True,
                ).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type("RoleAssignmentForm", (form,), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        services.save_role_assignment(obj, by=request.user)  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.revoke_role(obj, by=request.user)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoleAssignment]) -> None:
        for assignment in queryset:
            services.revoke_role(assignment, by=request.user)  # type: ignore[arg-type]
