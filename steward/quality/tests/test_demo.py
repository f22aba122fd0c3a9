"""The demo's year of quality checks: runs per quarter, recorded by the real services, which
the quality pages and the accuracy and three-star KPIs read."""

from __future__ import annotations

import datetime
import itertools
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from steward.evaluation.registry import MeasureContext, get
from steward.organisations.management.commands.demo import DEMO_PASSWORD
from steward.organisations.models import Organisation
from steward.quality.measures import ACCURACY_RATE, THREE_STAR_RATIO
from steward.quality.models import CheckKind, CheckResult, CheckRun, RunStatus


@pytest.mark.django_db
def test_the_demo_records_a_year_of_quality_runs_the_pages_and_kpis_read(client: Client) -> None:
    call_command("demo", stdout=StringIO())
    mol = Organisation.objects.get(key="mol")
    runs = list(CheckRun.objects.filter(organisation=mol).order_by("started_at"))
    assert len(runs) == 4
    assert all(r.kind == CheckKind.SELF_CHECK and r.status == RunStatus.DONE for r in runs)
    # one run per quarter of the past year, the latest today
    today = timezone.localdate()
    gaps = [(b.started_at - a.started_at).days for a, b in itertools.pairwise(runs)]
    assert all(80 <= gap <= 100 for gap in gaps)
    assert (today - timezone.localtime(runs[-1].started_at).date()).days <= 1

    latest = CheckResult.objects.filter(organisation__path__startswith=mol.path)
    assert latest.filter(state="broken").exists()  # a few broken links
    assert latest.exclude(pii={}).exists()  # a file with personal data
    assert latest.filter(timely=False).exists()  # a late update
    assert latest.filter(stars=4).exists()  # JSON-LD under a CSV label: four stars
    assert len(set(latest.values_list("mark", flat=True))) >= 2  # marks varied
    assert latest.filter(state="ok").count() > latest.filter(state="broken").count()

    # The information centre sees the latest run with its results.
    response = client.post(reverse("login"), {"username": "centre", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    page = client.get(reverse("quality:run", args=[runs[-1].pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "身分證" in text or "個人資料" in text
    assert client.get(reverse("quality:index")).status_code == 200

    # MOL's accuracy and three-star KPIs have a value for the year, neither 0 % nor 100 %.
    context = MeasureContext(
        organisation=mol,
        start=today - datetime.timedelta(days=365),
        end=today,
        include_subtree=True,
    )
    accuracy = get(ACCURACY_RATE).function(context)
    assert accuracy.value is not None and 0 < accuracy.value < 100
    assert get(THREE_STAR_RATIO).function(context).value is not None
