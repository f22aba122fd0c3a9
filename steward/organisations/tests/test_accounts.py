"""Signing in and out, changing and resetting a password, and the home page per role."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from steward.conftest import Cast

PASSWORD = "correct horse battery staple"


def test_a_visitor_is_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_person_signs_in_sees_their_roles_and_signs_out(client: Client, cast: Cast) -> None:
    response = client.post(
        reverse("login"), {"username": "liaison", "password": PASSWORD}, follow=True
    )
    assert response.wsgi_request.user == cast.liaison
    page = response.content.decode()
    assert "資料開放聯絡人" in page  # the role, in Traditional Chinese by default
    assert "甲署綜合規劃組" in page  # where it is held
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client: Client, cast: Cast) -> None:
    response = client.post(reverse("login"), {"username": "liaison", "password": "nope"})
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert 'role="alert"' in response.content.decode()


@pytest.mark.parametrize(
    ("who", "duty"),
    [
        ("liaison", "盤點"),
        ("reviewer", "初審"),
        ("centre", "複審"),
        ("cio", "核定"),
        ("head", "停止提供"),
        ("committee_civil", "諮詢小組"),
        ("auditor", "唯讀"),
    ],
)
def test_each_role_home_page_says_what_that_role_does(
    client: Client, cast: Cast, who: str, duty: str
) -> None:
    client.force_login(getattr(cast, who))
    page = client.get(reverse("home")).content.decode()
    assert duty in page


def test_a_person_without_roles_is_told_whom_to_ask(client: Client, cast: Cast) -> None:
    client.force_login(cast.outsider)
    assert "資訊中心" in client.get(reverse("home")).content.decode()


def test_the_interface_switches_to_english(client: Client, cast: Cast) -> None:
    client.force_login(cast.liaison)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert "Data liaison" in page
    assert 'lang="en"' in page


def test_a_person_changes_their_password(client: Client, cast: Cast) -> None:
    client.force_login(cast.liaison)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer new passphrase 2026",
            "new_password2": "a much longer new passphrase 2026",
        },
    )
    assert response.status_code == 302
    cast.liaison.refresh_from_db()
    assert cast.liaison.check_password("a much longer new passphrase 2026")


def test_a_forgotten_password_is_reset_by_email(client: Client, cast: Cast) -> None:
    client.post(reverse("password_reset"), {"email": cast.reviewer.email})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [cast.reviewer.email]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", str(mail.outbox[0].body))
    assert link is not None
    form_url = client.get(link.group(1))["Location"]  # Django swaps the token for a session one
    response = client.post(
        form_url,
        {
            "new_password1": "brand new passphrase 2026",
            "new_password2": "brand new passphrase 2026",
        },
    )
    assert response.status_code == 302
    cast.reviewer.refresh_from_db()
    assert cast.reviewer.check_password("brand new passphrase 2026")


def test_the_organisation_tree_shows_only_the_subtree_in_scope(client: Client, cast: Cast) -> None:
    client.force_login(cast.head)
    page = client.get(reverse("organisations:tree")).content.decode()
    assert "甲署" in page
    assert "乙局" not in page


def test_the_api_lists_only_organisations_in_scope(client: Client, cast: Cast) -> None:
    client.force_login(cast.other_liaison)
    response = client.get("/api/organisations/")
    assert response.status_code == 200
    assert [o["key"] for o in response.json()["items"]] == ["t-unit-b1"]


def test_the_api_refuses_anonymous_callers(client: Client, db: None) -> None:
    assert client.get("/api/organisations/").status_code == 401


def test_the_api_publishes_an_openapi_schema(client: Client, db: None) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/organisations/me" in schema["paths"]


def test_an_english_browser_still_gets_traditional_chinese(client: Client, cast: Cast) -> None:
    client.force_login(cast.liaison)
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "資料開放聯絡人" in page
    assert 'lang="zh-Hant-TW"' in page
