"""E-mail notifications to whoever must act next (console backend by default)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from steward.organisations.models import Person


def notify(people: Iterable[Person], *, subject: str, body: str) -> int:
    """Send one e-mail to each person with an address, after the transaction commits.

    Returns how many messages are queued. Sending after commit means a rolled-back
    change never mails anybody.
    """
    recipients = sorted({p.email for p in people if p.email and p.is_active})
    if not recipients:
        return 0
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [address]) for address in recipients]
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=False))
    return len(messages)


def notify_each(letters: Iterable[tuple[Person, str, str]]) -> int:
    """Send each person their own e-mail, (person, subject, body), after the transaction commits.

    For messages that differ per person (e.g. the list of *their* deadlines that moved);
    all go over one connection. People without an address or inactive are skipped.
    Returns how many messages are queued.
    """
    messages = [
        (subject, body, settings.DEFAULT_FROM_EMAIL, [person.email])
        for person, subject, body in letters
        if person.email and person.is_active
    ]
    if not messages:
        return 0
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=False))
    return len(messages)
