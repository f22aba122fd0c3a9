"""The second factor (兩步驟驗證): a TOTP authenticator app, with recovery codes.

Optional for everybody; required for the roles in STEWARD_REQUIRE_2FA_ROLES ("admin" means
staff and superusers), whom the middleware sends to enrolment before any other page.
Enrolling and disabling are services with an audit event; a wrong code changes nothing.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import devices_for_user, user_has_device
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key
from django_otp.util import hex_validator

from steward.audit.services import record
from steward.organisations.models import Organisation, Person

RECOVERY_CODES = 10
ADMIN = "admin"  # in STEWARD_REQUIRE_2FA_ROLES: staff and superusers


class SecondFactorError(Exception):
    """A second-factor step refused, with a message for the person."""


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret as text and as a QR code."""

    key: str  # hex, kept in the session until confirmed
    secret: str  # base32, as authenticator apps take it by hand
    url: str  # otpauth:// URL
    qr_svg: str


def required_for(person: Person) -> bool:
    """Must `person` use a second factor (their roles are in STEWARD_REQUIRE_2FA_ROLES)?"""
    required = set(settings.STEWARD_REQUIRE_2FA_ROLES)
    if not required or not person.is_authenticated:
        return False
    if ADMIN in required and (person.is_staff or person.is_superuser):
        return True
    return person.role_assignments.filter(active=True, role__in=required).exists()


def has_second_factor(person: Person) -> bool:
    return bool(user_has_device(person, confirmed=True))


def _ministry(person: Person) -> Organisation | None:
    assignment = person.role_assignments.filter(active=True).select_related("organisation").first()
    return assignment.organisation.ministry if assignment else None


def _totp(key: str) -> TOTP:
    return TOTP(bytes.fromhex(key), step=30, t0=0, digits=6)


def start_enrolment(person: Person, key: str | None = None) -> Enrolment:
    """A new secret (or the one already shown, `key`) with its QR code. Writes nothing."""
    import segno

    if key is None:
        key = default_key()
    hex_validator(20)(key)
    secret = base64.b32encode(bytes.fromhex(key)).decode("ascii").rstrip("=")
    device = TOTPDevice(user=person, key=key, name=_("Authenticator app"))
    url = device.config_url
    qr_svg = segno.make(url, error="m").svg_inline(scale=4, dark="#1a1a1a", light="#ffffff")
    return Enrolment(key=key, secret=secret, url=url, qr_svg=qr_svg)


def enrol(person: Person, *, key: str, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the authenticator app with a code it shows; returns the device and the new
    recovery codes (shown once). Refused, changing nothing, if the code is wrong."""
    totp = _totp(key)
    token = token.strip().replace(" ", "")
    if not token.isdigit() or not totp.verify(int(token), tolerance=1):
        raise SecondFactorError(_("The code is not right. Check the phone's time and try again."))
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if has_second_factor(locked):
            raise SecondFactorError(_("A second factor is already set up."))
        device = TOTPDevice.objects.create(
            user=locked,
            name=str(_("Authenticator app")),
            key=key,
            confirmed=True,
            last_t=totp.t(),  # the code just used cannot be used again
        )
        codes = _new_recovery_codes(locked)
        record(
            actor=person,
            action="signin.2fa_enrolled",
            subject=person,
            organisation=_ministry(person),
            to_state="enrolled",
            changes={"device": "totp", "recovery_codes": len(codes)},
        )
    return device, codes


def _new_recovery_codes(person: Person) -> list[str]:
    StaticDevice.objects.filter(user=person).delete()
    static = StaticDevice.objects.create(user=person, name=str(_("Recovery codes")))
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return codes


def verify(person: Person, token: str) -> Device | None:
    """The device that accepts `token` (an authenticator code or a recovery code), if any.

    django-otp throttles each device after failures, so guessing codes is slow.
    """
    token = token.strip().replace(" ", "")
    if not token:
        return None
    for device in devices_for_user(person, confirmed=True):
        allowed, _details = device.verify_is_allowed()
        if allowed and device.verify_token(token):
            return device
    return None


def disable(person: Person, *, token: str) -> None:
    """Remove `person`'s second factor, after a code proves they hold it.

    Refused for people whose role requires a second factor.
    """
    if required_for(person):
        raise SecondFactorError(_("Your role requires a second factor; it cannot be turned off."))
    if verify(person, token) is None:
        raise SecondFactorError(_("The code is not right; the second factor stays on."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=person).delete()
        StaticDevice.objects.filter(user=person).delete()
        record(
            actor=person,
            action="signin.2fa_disabled",
            subject=person,
            organisation=_ministry(person),
            from_state="enrolled",
            to_state="disabled",
        )
