"""Forms of evaluation: run an evaluation, a self-report with evidence, a decision."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from steward.evaluation.models import SelfReport
from steward.lib.uploads import upload_limit


class RunForm(forms.Form):
    plan = forms.CharField(widget=forms.HiddenInput)
    period = forms.CharField(
        label=_("Period"),
        max_length=8,
        help_text=_("2026 for a year, 2026H1 for a half year, 2026Q1 for a quarter."),
    )


class SelfReportForm(forms.ModelForm):
    class Meta:
        model = SelfReport
        fields = [
            "organisation",
            "period_start",
            "period_end",
            "value",
            "summary",
            "evidence_links",
            "evidence_file",
        ]
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "period_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "evidence_links": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"evidence_links": _("One web address a line.")}

    def clean_evidence_file(self) -> object:
        file = self.cleaned_data.get("evidence_file")
        if file and getattr(file, "size", 0) > upload_limit():
            raise forms.ValidationError(_("The file is larger than the upload limit."))
        return file


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("return", _("Return"))])
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ImprovementForm(forms.Form):
    text = forms.CharField(label=_("Report"), widget=forms.Textarea(attrs={"rows": 8}))
