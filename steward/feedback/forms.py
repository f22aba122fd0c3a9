"""Forms of feedback: the public form (honeypot and a signed start time, no captcha) and staff entry."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

from steward.feedback.models import Channel, Kind

_SALT = "steward.feedback.form-started"
#: A form older than this is stale (the signed start time is refused).
_MAX_FORM_AGE_SECONDS = 24 * 3600


def form_started_token() -> str:
    """A signed note of when the form was shown: sent back with the form."""
    return signing.dumps(time.time(), salt=_SALT)


def seconds_since_started(token: str) -> float | None:
    """How long the sender took, or None when the token is missing, forged or stale."""
    try:
        started = float(signing.loads(token, salt=_SALT, max_age=_MAX_FORM_AGE_SECONDS))
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return time.time() - started


class PublicFeedbackForm(forms.Form):
    """What anyone may send, with no account."""

    kind = forms.ChoiceField(label=_("What are you sending?"), choices=Kind.choices,
                             widget=forms.RadioSelect, initial=Kind.COMMENT)  # fmt: skip
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    # Length is checked by the service (one home for the rule), so a long text gets its message.
    text = forms.CharField(label=_("Your comment"), widget=forms.Textarea(attrs={"rows": 8}),
                           strip=False, required=False)  # fmt: skip
    contact_email = forms.CharField(
        label=_("E-mail (optional)"),
        required=False,
        help_text=_("Give it to receive the tracking link and the reply by e-mail."),
    )
    # Honeypot: hidden from people by CSS, filled by robots that fill every field.
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    started = forms.CharField(widget=forms.HiddenInput, required=False)

    def looks_automated(self) -> bool:
        """Honeypot filled, start time missing or forged, or sent faster than a person types."""
        if self.cleaned_data.get("website"):
            return True
        elapsed = seconds_since_started(self.cleaned_data.get("started", ""))
        return elapsed is None or elapsed < float(settings.STEWARD_FEEDBACK_MIN_FILL_SECONDS)


class EnterItemForm(forms.Form):
    """Staff enter an item received on the national portal or by letter."""

    kind = forms.ChoiceField(label=_("Type"), choices=Kind.choices)
    channel = forms.ChoiceField(
        label=_("Received through"),
        choices=[(Channel.NATIONAL_PORTAL.value, Channel.NATIONAL_PORTAL.label),
                 (Channel.LETTER.value, Channel.LETTER.label)],
    )  # fmt: skip
    organisation = forms.TypedChoiceField(label=_("Answering organisation"), coerce=int)
    dataset = forms.CharField(label=_("Dataset identifier (optional)"), required=False)
    received_at = forms.DateTimeField(
        label=_("Received at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}),
                           required=False)  # fmt: skip
    contact_email = forms.CharField(label=_("Sender's e-mail (optional)"), required=False)
    external_reference = forms.CharField(label=_("Reference (portal number or letter number)"),
                                         max_length=100, required=False)  # fmt: skip

    def __init__(self, *args: Any, organisations: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = organisations  # type: ignore[attr-defined]
