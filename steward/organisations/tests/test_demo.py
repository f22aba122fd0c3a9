"""The quick start's demo: `steward demo` loads MOL, its plan, calendars and working logins."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from steward.datasets.models import Dataset
from steward.organisations.management.commands.demo import DEMO_PASSWORD, DEMO_PEOPLE
from steward.organisations.models import Organisation, Role


def _sign_in(client: Client, username: str) -> bool:
    """Through the sign-in page, as a person does (django-axes needs the request)."""
    response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
    return response.status_code == 302


@pytest.mark.django_db
def test_the_demo_loads_mol_with_a_login_per_role_and_can_run_twice(client: Client) -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    call_command("demo", stdout=StringIO())  # idempotent

    mol = Organisation.objects.get(key="mol")
    agencies = mol.children.filter(kind="agency")
    assert agencies.count() == 5  # with the ministry itself, the plan's six bodies
    printed = out.getvalue()
    assert DEMO_PASSWORD in printed
    held_roles = {role for *_rest, role, _seat in DEMO_PEOPLE}
    assert held_roles == set(Role)  # one demo login for every role
    for username, *_rest in DEMO_PEOPLE:
        assert username in printed
        assert _sign_in(client, username), username
        assert client.get(reverse("home")).status_code == 200
        client.logout()

    # Work in progress made through the real services: one dataset waits for unit review.
    assert Dataset.objects.count() == 2
    assert _sign_in(client, "reviewer")
    queue = client.get(reverse("datasets:queue")).content.decode()
    assert "勞工保險投保單位數統計" in queue
