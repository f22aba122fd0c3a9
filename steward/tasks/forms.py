"""Forms of the task pages: evidence (a link or a file) and a step's comment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class LinkForm(forms.Form):
    url = forms.CharField(label=_("Link"), max_length=1000)
    name = forms.CharField(label=_("What it is"), max_length=255, required=False)


class FileForm(forms.Form):
    file = forms.FileField(label=_("File"))


class StepForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea)
