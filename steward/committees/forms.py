"""Forms of the committee pages: a member's seat, its end, a meeting."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from steward.committees.models import Seat
from steward.datasets.forms import IsoDateInput


class MemberForm(forms.Form):
    seat = forms.ChoiceField(label=_("Seat"), choices=Seat.choices)
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("Civil representatives often have no account: record them by name."),
    )
    person = forms.IntegerField(
        label=_("Person with an account"), required=False, widget=forms.Select
    )
    affiliation = forms.CharField(label=_("Affiliation (服務單位)"), max_length=200, required=False)
    since = forms.DateField(label=_("Since"), widget=IsoDateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=IsoDateInput())

    def __init__(
        self, *args: object, people: list[tuple[int, str]] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["person"].widget.choices = [("", "—"), *(people or [])]


class EndMemberForm(forms.Form):
    until = forms.DateField(label=_("Last day on the committee"), widget=IsoDateInput())


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=IsoDateInput())
    number = forms.CharField(
        label=_("Meeting number"),
        max_length=60,
        required=False,
        help_text=_("Left empty, the next number of the year is given."),
    )
    attendees = forms.CharField(
        label=_("Attendees"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
