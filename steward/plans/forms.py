"""Forms of the plans pages: uploading a plan file."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PlanUploadForm(forms.Form):
    """A plan file (TOML, UTF-8) holding a new or amended version."""

    file = forms.FileField(
        label=_("Plan file (TOML)"),
        help_text=_("The whole plan file, with every version; see the format guide."),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > settings.STEWARD_MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        return upload
