"""The quick start's demo: `steward demo` loads MOL, its plan, calendars and working logins."""

from __future__ import annotations

import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from steward.datasets.models import Dataset
from steward.feedback.models import FeedbackItem
from steward.inventory.models import InventoryItem
from steward.inventory.targets import opened
from steward.organisations.management.commands.demo import (
    DEMO_PASSWORD,
    DEMO_PEOPLE,
    DEMO_PEOPLE_MOJ,
)
from steward.organisations.models import Organisation, Person, Role
from steward.organisations.work import waiting_for
from steward.tasks.models import Task, TaskStatus

TAIPEI = ZoneInfo("Asia/Taipei")


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

    # The datasets the agencies opened this year are in their inventories, planned for the
    # year: the targets page counts the openings the KPI 新增開放項數 counts.
    year = timezone.localdate().year
    for key in ("mol-bli", "mol-wda"):
        agency = Organisation.objects.get(key=key)
        linked = InventoryItem.objects.filter(
            agency=agency, planned_year=year, dataset__isnull=False
        )
        assert opened(agency, year) == linked.count() == 2, key

    # Work in progress made through the real services: one dataset waits for unit review.
    assert Dataset.objects.filter(organisation__path__startswith=mol.path).count() == 9
    assert _sign_in(client, "reviewer")
    queue = client.get(reverse("datasets:queue")).content.decode()
    assert "勞工保險投保單位數統計" in queue


@pytest.mark.django_db
def test_every_demo_login_has_work_waiting_and_the_moj_cio_approves_replies(
    client: Client,
) -> None:
    with time_machine.travel(datetime.datetime(2026, 11, 16, 10, tzinfo=TAIPEI), tick=False):
        call_command("demo", stdout=StringIO())
        _check_work_waiting(client)


def _check_work_waiting(client: Client) -> None:
    for username, *_rest, role, _seat in [*DEMO_PEOPLE, *DEMO_PEOPLE_MOJ]:
        if role == Role.AUDITOR:
            continue  # reads everything, changes nothing: no work is the auditor's
        person = Person.objects.get(username=username)
        assert waiting_for(person), f"{username} has nothing waiting"
    kinds = {str(item.kind) for item in waiting_for(Person.objects.get(username="moj-cio"))}
    assert kinds == {"核准民眾意見回復"}
    # MOL's plan has no CIO stage for replies or datasets: its CIO approves the inventory only.
    kinds = {str(item.kind) for item in waiting_for(Person.objects.get(username="cio"))}
    assert kinds == {"核定彙整後的盤點表"}
    assert not FeedbackItem.objects.filter(
        organisation__path__startswith=Organisation.objects.get(key="mol").path,
        cio_approval_required=True,
    ).exists()
    # Past tasks were done and signed off through the services; later ones wait.
    assert Task.objects.filter(status=TaskStatus.SIGNED_OFF).exists()
    assert Task.objects.filter(status=TaskStatus.OPEN).exists()
    assert _sign_in(client, "moj-cio")
    home = client.get(reverse("home")).content.decode()
    assert "行政執行案件統計缺少年度別" in home
