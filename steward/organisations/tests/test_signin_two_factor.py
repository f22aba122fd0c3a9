"""The second factor: enrol an authenticator app (QR code or key as text), verify after the
password, recovery codes, turn it off; required for the roles the setting names. The codes
are computed with django-otp's own TOTP, as the phone app would."""

from __future__ import annotations

import base64
import datetime
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from steward.audit.models import AuditEvent
from steward.conftest import Cast
from steward.organisations.models import Person

PASSWORD = "correct horse battery staple"
START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code_for(key: bytes) -> str:
    return f"{totp(key):06d}"


def sign_in(client: Client, username: str, next_url: str = "") -> Any:
    data = {"username": username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def enrol(client: Client) -> tuple[bytes, list[str]]:
    """Enrol through the pages; returns the key the page showed and the recovery codes."""
    page = client.get(reverse("two_factor_enrol")).content.decode()
    assert "<svg" in page  # the QR code
    secret = re.search(r'<code id="secret">([A-Z2-7]+)</code>', page)
    assert secret is not None
    text = secret.group(1)
    key = base64.b32decode(text + "=" * (-len(text) % 8))
    response = client.post(reverse("two_factor_enrol"), {"code": code_for(key)})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())
    return key, codes


def test_a_person_enrols_with_the_key_shown_and_gets_recovery_codes(
    client: Client, cast: Cast, clock: Any
) -> None:
    client.force_login(cast.liaison)
    key, codes = enrol(client)
    assert len(codes) == 10
    device = TOTPDevice.objects.get(user=cast.liaison)
    assert device.confirmed and device.bin_key == key
    (event,) = AuditEvent.objects.filter(action="signin.2fa_enrolled")
    assert event.subject == cast.liaison and event.actor == cast.liaison
    assert client.get(reverse("home")).status_code == 200  # verified by enrolling


def test_a_wrong_code_at_enrolment_changes_nothing(client: Client, cast: Cast, clock: Any) -> None:
    client.force_login(cast.liaison)
    client.get(reverse("two_factor_enrol"))
    response = client.post(reverse("two_factor_enrol"), {"code": "000000"})
    assert response.status_code == 400
    assert "驗證碼不正確" in response.content.decode()
    assert not TOTPDevice.objects.exists() and not StaticDevice.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="signin.").exists()


def test_after_the_password_every_page_waits_for_the_code(
    client: Client, cast: Cast, clock: Any
) -> None:
    client.force_login(cast.liaison)
    key, _codes = enrol(client)
    client.post(reverse("logout"))
    clock.shift(datetime.timedelta(minutes=1))
    response = sign_in(client, "liaison")
    assert response.status_code == 302
    for path in [reverse("home"), reverse("datasets:index"), "/admin/"]:
        waiting = client.get(path)
        assert waiting.status_code == 302
        assert waiting["Location"].startswith(reverse("two_factor_verify"))
    assert client.get("/api/organisations/").status_code == 403
    assert client.post(reverse("two_factor_verify"), {"code": "123456"}).status_code == 400
    clock.shift(datetime.timedelta(seconds=2))  # django-otp throttles after a wrong code
    code = code_for(key)
    done = client.post(reverse("two_factor_verify"), {"code": code, "next": "/datasets/"})
    assert done.status_code == 302 and done["Location"] == "/datasets/"
    assert client.get(reverse("home")).status_code == 200
    assert client.get("/api/organisations/").status_code == 200
    # The same code cannot be used twice (a second session, same 30 seconds).
    other = Client()
    sign_in(other, "liaison")
    assert other.post(reverse("two_factor_verify"), {"code": code}).status_code == 400


def test_a_recovery_code_signs_in_once(client: Client, cast: Cast, clock: Any) -> None:
    client.force_login(cast.liaison)
    _key, codes = enrol(client)
    for attempt in range(2):
        other = Client()
        sign_in(other, "liaison")
        response = other.post(reverse("two_factor_verify"), {"code": codes[0]})
        assert response.status_code == (302 if attempt == 0 else 400)


def test_required_roles_are_sent_to_enrol_before_any_page(
    client: Client, cast: Cast, settings: Any, clock: Any
) -> None:
    settings.STEWARD_REQUIRE_2FA_ROLES = ["cio", "information_centre", "admin"]
    for person in [cast.cio, cast.centre]:
        client.force_login(person)
        response = client.get(reverse("datasets:index"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two_factor_enrol"))
        assert client.get("/api/organisations/").status_code == 403
    admin = Person.objects.create_superuser("root", "root@example.gov.tw", PASSWORD)
    client.force_login(admin)
    assert client.get("/admin/")["Location"].startswith(reverse("two_factor_enrol"))
    client.force_login(cast.liaison)  # not a required role: no second factor asked
    assert client.get(reverse("home")).status_code == 200
    client.force_login(cast.cio)
    enrol(client)
    assert client.get(reverse("datasets:index")).status_code == 200


def test_a_person_turns_the_second_factor_off_with_a_code(
    client: Client, cast: Cast, clock: Any
) -> None:
    client.force_login(cast.liaison)
    key, _codes = enrol(client)
    clock.shift(datetime.timedelta(seconds=30))
    client.post(reverse("two_factor_disable"), {"code": "000000"})
    assert TOTPDevice.objects.filter(user=cast.liaison).exists()  # a wrong code: stays on
    clock.shift(datetime.timedelta(seconds=2))  # django-otp throttles after a wrong code
    client.post(reverse("two_factor_disable"), {"code": code_for(key)})
    assert not TOTPDevice.objects.filter(user=cast.liaison).exists()
    assert not StaticDevice.objects.filter(user=cast.liaison).exists()
    (event,) = AuditEvent.objects.filter(action="signin.2fa_disabled")
    assert event.subject == cast.liaison


def test_a_required_role_cannot_turn_it_off(
    client: Client, cast: Cast, settings: Any, clock: Any
) -> None:
    settings.STEWARD_REQUIRE_2FA_ROLES = ["cio"]
    client.force_login(cast.cio)
    key, _codes = enrol(client)
    clock.shift(datetime.timedelta(seconds=30))
    response = client.post(reverse("two_factor_disable"), {"code": code_for(key)}, follow=True)
    assert TOTPDevice.objects.filter(user=cast.cio).exists()
    assert "無法關閉" in response.content.decode()
    assert not AuditEvent.objects.filter(action="signin.2fa_disabled").exists()


def test_an_unknown_role_in_the_setting_is_refused_at_start(settings: Any) -> None:
    from django.apps import apps
    from django.core.exceptions import ImproperlyConfigured

    settings.STEWARD_REQUIRE_2FA_ROLES = ["cio", "chief"]
    with pytest.raises(ImproperlyConfigured, match=r"STEWARD_REQUIRE_2FA_ROLES.*chief"):
        apps.get_app_config("organisations").ready()
