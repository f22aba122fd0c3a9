"""Forms of the plans pages: uploading a plan file."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from steward.lib.uploads import UploadRefused, check_upload_size


class PlanUploadForm(forms.Form):
    """A plan file (TOML, UTF-8) holding a new or amended version."""

    file = forms.FileField(
        label=_("Plan file (TOML)"),
        help_text=_("The whole plan file, with every version; see the format guide."),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        try:
            check_upload_size(upload.size)
        except UploadRefused as refused:
            raise forms.ValidationError(refused.reason) from None
        return upload
