"""An idle session ends: after STEWARD_SESSION_IDLE_MINUTES without a request the person is
signed out (with an audit event); every request starts the clock again."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from steward.audit.models import AuditEvent
from steward.conftest import Cast

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def thirty_minutes(settings: Any) -> None:
    settings.STEWARD_SESSION_IDLE_MINUTES = 30


def test_activity_keeps_the_session_and_thirty_idle_minutes_end_it(
    client: Client, cast: Cast
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.liaison)
        assert client.get(reverse("home")).status_code == 200
        for _ in range(3):  # 87 minutes signed in, never 30 idle
            clock.shift(datetime.timedelta(minutes=29))
            assert client.get(reverse("datasets:index")).status_code == 200
        assert not AuditEvent.objects.filter(action="signin.idle_timeout").exists()
        clock.shift(datetime.timedelta(minutes=31))
        response = client.get(reverse("datasets:index"))
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next=/datasets/"
        assert not client.get(reverse("home")).wsgi_request.user.is_authenticated
        login_page = client.get(response["Location"]).content.decode()
        assert "閒置" in login_page and "30" in login_page  # says why, in zh-Hant
    (event,) = AuditEvent.objects.filter(action="signin.idle_timeout")
    assert event.subject == cast.liaison and event.actor == cast.liaison
    assert event.changes == {"idle_minutes": 31, "limit_minutes": 30}


def test_an_htmx_request_after_the_idle_time_sends_the_whole_page_to_sign_in(
    client: Client, cast: Cast
) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.liaison)
        client.get(reverse("home"))
        clock.shift(datetime.timedelta(minutes=31))
        response = client.get(reverse("datasets:index"), HTTP_HX_REQUEST="true")
        assert response.status_code == 204
        assert response["HX-Redirect"].startswith(reverse("login"))


def test_the_api_answers_401_after_the_idle_time(client: Client, cast: Cast) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.liaison)
        assert client.get("/api/organisations/").status_code == 200
        clock.shift(datetime.timedelta(minutes=45))
        assert client.get("/api/organisations/").status_code == 401
    assert AuditEvent.objects.filter(action="signin.idle_timeout").count() == 1


def test_signing_in_again_starts_a_fresh_clock(client: Client, cast: Cast) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.liaison)
        client.get(reverse("home"))
        clock.shift(datetime.timedelta(minutes=40))
        client.post(
            reverse("login"), {"username": "liaison", "password": "correct horse battery staple"}
        )
        assert client.get(reverse("home")).status_code == 200


def test_zero_minutes_means_no_idle_timeout(client: Client, cast: Cast, settings: Any) -> None:
    settings.STEWARD_SESSION_IDLE_MINUTES = 0
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.liaison)
        client.get(reverse("home"))
        clock.shift(datetime.timedelta(days=3))
        assert client.get(reverse("home")).status_code == 200
