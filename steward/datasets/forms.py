"""Forms of the datasets pages: the metadata form, resources formset and review decisions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from steward.datasets.metadata import EDITABLE_KEYS, EDITABLE_RESOURCE_KEYS, split_keywords
from steward.datasets.models import (
    ClassificationAfterWithdrawal,
    CommitteeMeeting,
    Dataset,
    Decision,
    Resource,
)
from steward.datasets.standard import FIELDS_BY_KEY
from steward.organisations.models import Organisation, Person

_TEXTAREAS = {"description": 4, "fieldDescription": 3, "notes": 2}


class IsoDateInput(forms.DateInput):
    """`<input type=date>`: its value must be ISO (YYYY-MM-DD) whatever the language's format.

    With the zh-Hant input format (2020/01/01) the browser shows an empty field and a save
    erases the date, so every date input of these pages uses this widget.
    """

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def _with_unix_newlines(cleaned: dict[str, Any]) -> dict[str, Any]:
    """Browsers post a textarea's line breaks as CRLF; store them as they were written (LF)."""
    for key, value in cleaned.items():
        if isinstance(value, str) and "\r" in value:
            cleaned[key] = value.replace("\r\n", "\n").replace("\r", "\n")
    return cleaned


def _formfield(field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    """Model fields to form fields; URLs typed without a scheme get https:// (Django 6 default)."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class DatasetForm(forms.ModelForm):
    """The metadata (資料集基本資料表); the standard's rules are checked by the services."""

    keyword = forms.CharField(
        label=_("keywords (標籤)"),
        required=False,
        help_text=_("Separate keywords with commas."),
    )

    class Meta:
        model = Dataset
        formfield_callback = _formfield
        fields = [*EDITABLE_KEYS, "gender_statistics"]
        widgets = {
            "temporalCoverageFrom": IsoDateInput(),
            "temporalCoverageTo": IsoDateInput(),
            **{key: forms.Textarea(attrs={"rows": rows}) for key, rows in _TEXTAREAS.items()},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and isinstance(self.instance.keyword, list):
            self.initial["keyword"] = ", ".join(self.instance.keyword)
        for name, field in self.fields.items():
            spec = FIELDS_BY_KEY.get(name)
            if spec is not None:
                field.widget.attrs.setdefault("data-standard-key", name)
                if spec.hint and not field.help_text:
                    field.help_text = spec.hint
                if spec.max_length:
                    field.widget.attrs.setdefault("maxlength", str(spec.max_length))
            # Drafts may be incomplete: the standard's required fields are enforced on submit.
            field.required = False
        self.fields["fieldDescription"].widget.attrs.update(
            {
                "hx-post": reverse_lazy("datasets:field_list"),
                "hx-trigger": "input changed delay:400ms",
                "hx-target": "#field-list",
            }
        )

    def clean_keyword(self) -> list[str]:
        return split_keywords(self.cleaned_data.get("keyword"))

    def clean(self) -> dict[str, Any]:
        super().clean()
        return _with_unix_newlines(self.cleaned_data)

    def values(self) -> dict[str, Any]:
        """The cleaned values as the services take them."""
        values = {key: self.cleaned_data.get(key) for key in self.Meta.fields}
        for key, value in list(values.items()):
            if value is None and key not in ("temporalCoverageFrom", "temporalCoverageTo"):
                if key == "numberOfData":
                    continue
                if key == "gender_statistics":
                    values[key] = False
                else:
                    values[key] = ""
        return values


class ResourceForm(forms.ModelForm):
    """One resource (資料資源): description, format, encoding and where to get it."""

    resourceID = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Resource
        formfield_callback = _formfield
        fields = list(EDITABLE_RESOURCE_KEYS)
        widgets = {"resourceDescription": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["resourceID"] = self.instance.resourceID
        for name, field in self.fields.items():
            spec = FIELDS_BY_KEY.get(name)
            if spec is not None and spec.hint and not field.help_text:
                field.help_text = spec.hint
            field.required = False

    def clean(self) -> dict[str, Any]:
        super().clean()
        return _with_unix_newlines(self.cleaned_data)

    def values(self) -> dict[str, Any]:
        data = {key: self.cleaned_data.get(key) or "" for key in EDITABLE_RESOURCE_KEYS}
        data["resourceID"] = self.cleaned_data.get("resourceID") or ""
        return data


ResourceFormSet = forms.modelformset_factory(Resource, form=ResourceForm, extra=0, can_delete=True)


def resource_values(formset: Any) -> list[dict[str, Any]]:
    """The resources to keep, in order; rows left completely empty are ignored."""
    kept = []
    for form in formset.forms:
        if not form.has_changed() and not form.instance.pk:
            continue
        if form.cleaned_data.get("DELETE"):
            continue
        kept.append(form.values())  # type: ignore[attr-defined]
    return kept


class OrganisationChoiceForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(), label=_("Owning organisation")
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        if organisations.count() == 1:
            self.fields["organisation"].initial = organisations.first()


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonsForm(forms.Form):
    reasons = forms.CharField(
        label=_("Reasons (shown to the liaison)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CommitteeDecisionForm(forms.Form):
    meeting = forms.ModelChoiceField(
        queryset=CommitteeMeeting.objects.none(), label=_("Committee meeting")
    )
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect)
    reasons = forms.CharField(
        label=_("Reasons"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        meetings: QuerySet[CommitteeMeeting],
        withdrawal: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings  # type: ignore[attr-defined]
        choices = (
            [Decision.WITHDRAW, Decision.KEEP_OPEN]
            if withdrawal
            else [Decision.APPROVE, Decision.REJECT]
        )
        self.fields["decision"].choices = [(c.value, c.label) for c in choices]  # type: ignore[attr-defined]


class ScheduleForm(forms.Form):
    on = forms.DateField(label=_("Publish on"), widget=IsoDateInput())
    comment = forms.CharField(label=_("Comment"), required=False)


class PublishedForm(forms.Form):
    portal_identifier = forms.CharField(
        label=_("Identifier on the portal"),
        required=False,
        help_text=_("Leave empty if the portal uses our identifier."),
    )


class WithdrawalRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the withdrawal (made public)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    becomes = forms.ChoiceField(
        label=_("It becomes"),
        choices=ClassificationAfterWithdrawal.choices,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, organisation: Organisation | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if organisation is None:
            return
        # What the action plan allows (rules.withdrawal): a reason, and what it may become.
        from steward.plans.document import rules_for_organisation

        rule = rules_for_organisation(organisation).withdrawal
        self.fields["reason"].required = rule.requires_reason
        becomes = self.fields["becomes"]
        assert isinstance(becomes, forms.ChoiceField)
        becomes.choices = [
            (value, label)
            for value, label in ClassificationAfterWithdrawal.choices
            if value in rule.may_become
        ]


class NoticeForm(forms.Form):
    notice_text = forms.CharField(
        label=_("Public notice"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave empty for the standard wording with the reason."),
    )
    on = forms.DateField(
        label=_("Published on"),
        required=False,
        widget=IsoDateInput(),
    )


class MeetingForm(forms.ModelForm):
    class Meta:
        model = CommitteeMeeting
        fields = ["held_on", "number", "attendees", "civil_representatives", "minutes"]
        widgets = {
            "held_on": IsoDateInput(),
            "attendees": forms.Textarea(attrs={"rows": 2}),
            "minutes": forms.Textarea(attrs={"rows": 4}),
        }


def initial_values(organisation: Organisation, person: Person) -> dict[str, Any]:
    """Sensible first values for a new dataset: the agencies' names and the liaison's contact."""
    agency = organisation.agency
    parent = agency.parent if agency.parent is not None else agency
    return {
        "publisher": agency.name,
        "organization": parent.name,
        "publisherContactName": str(person),
        "publisherContactPhone": person.phone,
        "publisherContactEmail": person.email,
        "language": "zh-TW",
    }
