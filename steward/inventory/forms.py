"""Forms of the inventory pages: the item form, filters, import, and the workflow steps."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from steward.inventory.models import (
    Classification,
    InventoryItem,
    ItemStatus,
)
from steward.inventory.values import format_planned, parse_planned
from steward.lib.years import year_label
from steward.organisations.models import Organisation


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:  # type: ignore[override]
        return "— " * max(obj.depth, 0) + obj.name


class ItemForm(forms.ModelForm):
    """One inventory item. The planned time is one field, written as agencies write it."""

    organisation = OrganisationChoiceField(
        queryset=Organisation.objects.none(), label=_("unit (業務單位)")
    )
    planned = forms.CharField(
        label=_("planned opening (預計開放時間)"),
        required=False,
        help_text=_("For example 115年上半年, 115年下半年 or 2026H1."),
    )

    class Meta:
        model = InventoryItem
        fields = [
            "organisation",
            "identifier",
            "name",
            "description",
            "source",
            "classification",
            "restriction_reason",
            "legal_basis",
            "restriction_note",
            "gender_statistics",
            "priority_required_by_law",
            "priority_statutory_duty",
            "priority_high_demand",
            "planned",
            "status",
            "dataset_identifier",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "restriction_note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["identifier"].required = False
        if self.instance.pk:
            self.initial["planned"] = format_planned(
                self.instance.planned_year, self.instance.planned_half
            )

    def clean_planned(self) -> tuple[int | None, str]:
        try:
            return parse_planned(self.cleaned_data.get("planned") or "")
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None

    def _post_clean(self) -> None:
        # The service validates the model (with the agency set); here only the form fields.
        pass

    def item_data(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name not in ("organisation", "planned")
        }
        data["planned_year"], data["planned_half"] = self.cleaned_data["planned"]
        return data


def _years() -> list[tuple[str, Any]]:
    this_year = timezone.localdate().year
    return [("", _("All years"))] + [
        (str(y), year_label(y)) for y in range(this_year + 3, this_year - 6, -1)
    ]


class FilterForm(forms.Form):
    """The list's filters; every one optional."""

    agency = OrganisationChoiceField(
        queryset=Organisation.objects.none(), required=False, label=_("Agency")
    )
    unit = OrganisationChoiceField(
        queryset=Organisation.objects.none(), required=False, label=_("Unit")
    )
    classification = forms.ChoiceField(
        choices=[("", _("All")), *Classification.choices], required=False,
        label=_("Classification"),
    )  # fmt: skip
    year = forms.TypedChoiceField(
        choices=_years, required=False, coerce=int, empty_value=None, label=_("Planned year")
    )
    status = forms.ChoiceField(
        choices=[("", _("All")), *ItemStatus.choices], required=False, label=_("Status")
    )
    gender_statistics = forms.NullBooleanField(
        required=False,
        label=_("Gender statistics"),
        widget=forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]),
    )
    q = forms.CharField(required=False, label=_("Search"))

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = organisations.filter(  # type: ignore[attr-defined]
            kind__in=["ministry", "agency"]
        )
        self.fields["unit"].queryset = organisations  # type: ignore[attr-defined]


class RecheckForm(forms.Form):
    """Where new rows without a unit go, and whether items missing from the file go away."""

    organisation = OrganisationChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label=_("New rows without agency or unit go to"),
        help_text=_("Needed only when a new row names no unit."),
    )
    remove_missing = forms.BooleanField(
        required=False,
        label=_("Remove items missing from the file"),
        help_text=_(
            "Off by default: items of the file's agencies that the file does not name are"
            " listed, and kept."
        ),
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]


class ImportForm(RecheckForm):
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx, .ods, .csv in UTF-8 or Big5)"),
    )

    field_order = ["file", "organisation", "remove_missing"]


class SubmitForm(forms.Form):
    shortfall_reason = forms.CharField(
        label=_("Reason for the shortfall (未達目標理由)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for returning (退回理由)"), widget=forms.Textarea(attrs={"rows": 3})
    )


class CompileForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApproveForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
