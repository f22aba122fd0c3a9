"""Forms of the calendars app: uploading an office-calendar file."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from steward.lib.uploads import UploadRefused, check_upload_size


class CalendarUploadForm(forms.Form):
    """One CSV file as published (政府行政機關辦公日曆表), any of its encodings."""

    file = forms.FileField(
        label=_("Calendar file (CSV)"),
        help_text=_(
            "The office calendar CSV as published by the DGPA (行政院人事行政總處), "
            "UTF-8 or Big5, header 西元日期,星期,是否放假,備註."
        ),
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        try:
            check_upload_size(upload.size)
        except UploadRefused as refused:
            raise forms.ValidationError(refused.reason) from None
        return upload
