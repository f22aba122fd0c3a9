"""Django admin for datasets: read-mostly, for support staff; changes go through the services."""

from __future__ import annotations

from django.contrib import admin

from steward.datasets.models import (
    CommitteeDecision,
    CommitteeMeeting,
    Dataset,
    DatasetVersion,
    Resource,
    Withdrawal,
)


class ResourceInline(admin.TabularInline):
    model = Resource
    extra = 0
    can_delete = False
    readonly_fields = ["resourceID", "format", "characterSetCode", "downloadURL", "accessURL"]
    fields = ("resourceID", "format", "characterSetCode", "downloadURL", "accessURL")


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    """Status is read-only here: the review chain moves only through the services."""

    list_display = ["identifier", "title", "organisation", "status", "updated_at"]
    list_filter = ["status", "categoryCode", "gender_statistics"]
    search_fields = ["identifier", "title"]
    readonly_fields = ["identifier", "status", "portal_identifier", "scheduled_publish_on"]
    inlines = [ResourceInline]


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    list_display = ["dataset", "number", "published_at", "portal_identifier"]
    readonly_fields = ["dataset", "number", "metadata", "published_at", "published_by"]


@admin.register(CommitteeMeeting)
class CommitteeMeetingAdmin(admin.ModelAdmin):
    list_display = ["number", "held_on", "ministry", "civil_representatives"]


@admin.register(CommitteeDecision)
class CommitteeDecisionAdmin(admin.ModelAdmin):
    list_display = ["meeting", "dataset", "decision", "recorded_at"]
    readonly_fields = ["meeting", "dataset", "decision", "reasons", "recorded_by"]


@admin.register(Withdrawal)
class WithdrawalAdmin(admin.ModelAdmin):
    list_display = ["dataset", "new_classification", "requested_at", "notice_published_on"]
    readonly_fields = ["dataset", "committee_decision", "approved_by", "approved_at"]
