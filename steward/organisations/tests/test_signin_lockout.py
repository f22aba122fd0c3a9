"""Sign-in resists guessing: accounts and addresses lock after failed sign-ins (django-axes),
with a Traditional Chinese message, and the ministry's information centre unlocks them."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree
from steward.organisations.factories import (
    OrganisationFactory,
    PersonFactory,
    RoleAssignmentFactory,
)
from steward.organisations.models import OrganisationKind, Person, Role

PASSWORD = "correct horse battery staple"
LIMIT = 5


@pytest.fixture(autouse=True)
def lockout_settings(settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)


def sign_in(client: Client, username: str, password: str, address: str = "192.0.2.10") -> Any:
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def test_fifty_wrong_passwords_lock_the_account_after_five_with_a_chinese_message(
    client: Client, cast: Cast
) -> None:
    answers = [sign_in(client, "liaison", f"guess {n}").status_code for n in range(50)]
    assert answers[: LIMIT - 1] == [200] * (LIMIT - 1)  # the form again, "didn't match"
    assert answers[LIMIT - 1 :] == [429] * (50 - LIMIT + 1)
    refused = sign_in(client, "liaison", PASSWORD)  # even the right password now
    assert refused.status_code == 429
    assert not refused.wsgi_request.user.is_authenticated
    page = refused.content.decode()
    assert "登入失敗次數過多" in page and "30 分鐘" in page and "資訊中心" in page
    # The account and the address both reached the limit: one event each, not one per try.
    account, address = events("signin.locked_out")
    assert (account.changes["kind"], address.changes["kind"]) == ("account", "address")
    assert account.subject == cast.liaison and account.to_state == "locked"
    assert account.organisation is not None and account.organisation.key == "t-ministry"
    assert address.changes["ip_address"] == "192.0.2.10"


def test_the_account_is_locked_whatever_the_address(client: Client, cast: Cast) -> None:
    for n in range(LIMIT):
        sign_in(client, "liaison", "wrong", address=f"198.51.100.{n + 1}")
    assert sign_in(client, "liaison", PASSWORD, address="203.0.113.7").status_code == 429
    assert sign_in(client, "reviewer", PASSWORD, address="203.0.113.7").status_code == 302


def test_an_address_trying_many_accounts_is_locked_but_others_are_not(
    client: Client, cast: Cast
) -> None:
    for username in ["liaison", "reviewer", "centre", "cio", "nobody"]:
        sign_in(client, username, "wrong", address="192.0.2.66")
    assert sign_in(client, "head", PASSWORD, address="192.0.2.66").status_code == 429
    assert sign_in(client, "head", PASSWORD, address="192.0.2.67").status_code == 302
    assert [e.changes["kind"] for e in events("signin.locked_out")] == ["address"]


def test_a_lockout_ends_after_the_cool_off(client: Client, cast: Cast) -> None:
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(LIMIT):
            sign_in(client, "liaison", "wrong")
        traveller.shift(datetime.timedelta(minutes=29))
        assert sign_in(client, "liaison", PASSWORD).status_code == 429
        traveller.shift(datetime.timedelta(minutes=31))
        assert sign_in(client, "liaison", PASSWORD).status_code == 302


def test_a_right_password_before_the_limit_clears_the_count(client: Client, cast: Cast) -> None:
    for _ in range(LIMIT - 1):
        sign_in(client, "liaison", "wrong")
    assert sign_in(client, "liaison", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(LIMIT - 1):
        sign_in(client, "liaison", "wrong")
    assert sign_in(client, "liaison", PASSWORD).status_code == 302


def test_the_information_centre_sees_and_unlocks_an_account_of_its_ministry(
    client: Client, cast: Cast
) -> None:
    for _ in range(LIMIT):
        sign_in(client, "liaison", "wrong", address="192.0.2.10")
    centre = Client()
    centre.force_login(cast.centre)
    page = centre.get(reverse("lockouts")).content.decode()
    assert "liaison" in page and "192.0.2.10" in page  # the account and the address it hit
    response = centre.post(reverse("lockout_unlock"), {"kind": "account", "key": "liaison"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="liaison").exists()
    (unlocked,) = events("signin.unlocked")
    assert unlocked.actor == cast.centre and unlocked.subject == cast.liaison
    assert (unlocked.from_state, unlocked.to_state) == ("locked", "unlocked")
    assert sign_in(client, "liaison", PASSWORD, address="192.0.2.99").status_code == 302


def test_the_information_centre_unlocks_an_address(client: Client, cast: Cast) -> None:
    for username in ["liaison", "reviewer", "x1", "x2", "x3"]:
        sign_in(client, username, "wrong", address="192.0.2.66")
    centre = Client()
    centre.force_login(cast.centre)
    response = centre.post(reverse("lockout_unlock"), {"kind": "address", "key": "192.0.2.66"})
    assert response.status_code == 302
    assert events("signin.unlocked")[0].changes["ip_address"] == "192.0.2.66"
    assert sign_in(client, "head", PASSWORD, address="192.0.2.66").status_code == 302


def test_another_ministry_neither_sees_nor_unlocks_the_lockout(client: Client, cast: Cast) -> None:
    for _ in range(LIMIT):
        sign_in(client, "liaison", "wrong")
    other_ministry = OrganisationFactory.create(
        key="moj-test", name="法務部", kind=OrganisationKind.MINISTRY
    )
    other_centre = PersonFactory.create(username="moj_centre")
    RoleAssignmentFactory.create(
        person=other_centre, organisation=other_ministry, role=Role.INFORMATION_CENTRE
    )
    other = Client()
    other.force_login(other_centre)
    assert "liaison" not in other.get(reverse("lockouts")).content.decode()
    before = AccessAttempt.objects.count()
    response = other.post(reverse("lockout_unlock"), {"kind": "account", "key": "liaison"})
    assert response.status_code == 404
    assert AccessAttempt.objects.count() == before and not events("signin.unlocked")
    assert sign_in(client, "liaison", PASSWORD).status_code == 429


def test_people_without_the_right_may_not_open_the_lockouts(client: Client, cast: Cast) -> None:
    client.force_login(cast.liaison)
    assert client.get(reverse("lockouts")).status_code == 403
    assert client.post(reverse("lockout_unlock"), {"kind": "account", "key": "x"}).status_code in (
        403,
        404,
    )


def test_the_navigation_shows_lockouts_to_the_information_centre_only(
    client: Client, cast: Cast, tree: Tree
) -> None:
    client.force_login(cast.centre)
    assert reverse("lockouts") in client.get(reverse("home")).content.decode()
    client.force_login(cast.liaison)
    assert reverse("lockouts") not in client.get(reverse("home")).content.decode()


def test_a_person_named_like_an_address_is_not_confused(client: Client, db: None) -> None:
    Person.objects.create_user("192.0.2.5", password=PASSWORD)
    assert sign_in(client, "192.0.2.5", PASSWORD).status_code == 302


def test_behind_a_proxy_the_address_the_proxy_saw_counts_not_one_the_client_wrote(
    client: Client, cast: Cast, settings: Any
) -> None:
    settings.STEWARD_SIGNIN_PROXY_COUNT = 1
    for n in range(LIMIT):  # the client varies the header it writes; the proxy adds the truth
        client.post(
            reverse("login"),
            {"username": f"x{n}", "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 192.0.2.44",
        )
    response = client.post(
        reverse("login"),
        {"username": "liaison", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.44",
    )
    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"192.0.2.44"}
