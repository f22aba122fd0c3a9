"""One approval, one stage: a step names the stage it acts on, and a stale or repeated one
gets 409 (page: a Chinese message) and changes nothing.

Before, "approve" meant "approve whatever stage the dataset is in now", so a person holding
two review roles who sent approve twice (a double click, a retried request) passed the dataset
through two stages.
"""

from __future__ import annotations

import json
import os
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset
from steward.datasets.tests.conftest import WalkTo
from steward.datasets.workflow import Status
from steward.organisations.factories import PersonFactory, RoleAssignmentFactory
from steward.organisations.models import Person, Role

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def two_hats(tree: Tree, cast: Cast) -> Person:
    """A unit reviewer of unit A1 who also works in the information centre: may act at both
    the unit review (初審) and the centre review (複審)."""
    person = PersonFactory.create(username="two_hats")
    RoleAssignmentFactory.create(person=person, organisation=tree.unit_a1, role=Role.UNIT_REVIEWER)
    RoleAssignmentFactory.create(
        person=person, organisation=tree.information_centre_unit, role=Role.INFORMATION_CENTRE
    )
    return person


def api_approve(client: Client, dataset: Dataset, body: dict[str, Any]) -> Any:
    return client.post(
        f"/api/datasets/{dataset.pk}/approve", json.dumps(body), content_type="application/json"
    )


def test_approving_twice_through_the_api_moves_one_stage_and_the_repeat_is_409(
    walk_to: WalkTo, two_hats: Person
) -> None:
    dataset = walk_to(Status.UNIT_REVIEW)
    client = Client()
    client.force_login(two_hats)
    events = AuditEvent.objects.count()
    first = api_approve(client, dataset, {"stage": "unit_review", "comment": "初審通過"})
    assert first.status_code == 200 and first.json()["status"] == "centre_review"
    repeat = api_approve(client, dataset, {"stage": "unit_review", "comment": "初審通過"})
    assert repeat.status_code == 409
    assert "待資訊中心複審" in repeat.json()["detail"] and "未做任何變更" in repeat.json()["detail"]
    dataset.refresh_from_db()
    assert dataset.status == Status.CENTRE_REVIEW
    assert AuditEvent.objects.count() == events + 1


def test_an_approval_must_name_its_stage(walk_to: WalkTo, two_hats: Person) -> None:
    dataset = walk_to(Status.UNIT_REVIEW)
    client = Client()
    client.force_login(two_hats)
    missing = api_approve(client, dataset, {"comment": ""})
    assert missing.status_code == 422
    assert [issue["loc"][-1] for issue in missing.json()["detail"]] == ["stage"]
    dataset.refresh_from_db()
    assert dataset.status == Status.UNIT_REVIEW


def test_a_stale_step_of_another_kind_is_409_too(walk_to: WalkTo, cast: Cast) -> None:
    """The reviewer's page still shows unit review; the centre has meanwhile moved it on."""
    dataset = walk_to(Status.CENTRE_REVIEW)
    client = Client()
    client.force_login(cast.centre)
    events = AuditEvent.objects.count()
    stale = client.post(
        f"/api/datasets/{dataset.pk}/reject",
        json.dumps({"stage": "unit_review", "reasons": "描述不清"}),
        content_type="application/json",
    )
    assert stale.status_code == 409
    dataset.refresh_from_db()
    assert dataset.status == Status.CENTRE_REVIEW
    assert AuditEvent.objects.count() == events


def approve_form(page: str, dataset: Dataset) -> dict[str, str]:
    """The fields a browser sends with the page's approve form (hidden inputs and the comment)."""
    action = f"/datasets/{dataset.pk}/step/approve/"
    form = re.search(rf'<form method="post" action="{action}">(.*?)</form>', page, re.DOTALL)
    assert form is not None, "the page shows no approve form"
    fields = {
        name: unescape(value)
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(1)
        )
    }
    assert re.search(r'<textarea name="comment"', form.group(1))
    return {**fields, "comment": "初審通過"}


def test_posting_the_page_form_twice_moves_one_stage_and_says_why_the_second_did_nothing(
    walk_to: WalkTo, two_hats: Person
) -> None:
    dataset = walk_to(Status.UNIT_REVIEW)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(two_hats)
    form = approve_form(browser.get(f"/datasets/{dataset.pk}/").content.decode(), dataset)
    assert form["stage"] == "unit_review"
    events = AuditEvent.objects.count()
    url = f"/datasets/{dataset.pk}/step/approve/"

    first = browser.post(url, form, follow=True)
    assert first.status_code == 200
    dataset.refresh_from_db()
    assert dataset.status == Status.CENTRE_REVIEW

    again = browser.post(url, form, follow=True)  # the same form, sent a second time
    assert again.status_code == 200
    page = again.content.decode()
    assert 'class="message error"' in page
    assert "已不是您選擇此步驟時的「待單位初審」" in page and "未做任何變更" in page
    dataset.refresh_from_db()
    assert dataset.status == Status.CENTRE_REVIEW
    assert AuditEvent.objects.count() == events + 1


def test_a_page_form_without_its_stage_changes_nothing(walk_to: WalkTo, two_hats: Person) -> None:
    dataset = walk_to(Status.UNIT_REVIEW)
    client = Client()
    client.force_login(two_hats)
    response = client.post(f"/datasets/{dataset.pk}/step/approve/", {"comment": ""}, follow=True)
    assert "此請求未註明要處理的階段" in response.content.decode()
    dataset.refresh_from_db()
    assert dataset.status == Status.UNIT_REVIEW


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_an_approve_from_a_page_opened_before_is_refused(
    walk_to: WalkTo, two_hats: Person, live_server: Any
) -> None:
    """Two tabs show the dataset at unit review; approving in the first, then in the second
    (the stale one), passes one stage and the second tab says why nothing happened."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    dataset = walk_to(Status.UNIT_REVIEW)
    signed_in = Client()
    signed_in.force_login(two_hats)
    session = signed_in.cookies[settings.SESSION_COOKIE_NAME].value
    url = f"{live_server.url}/datasets/{dataset.pk}/"
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            context = chromium.new_context(locale="zh-TW")
            context.add_cookies(
                [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
            )
            first, second = context.new_page(), context.new_page()
            first.goto(url)
            second.goto(url)
            first.click("[data-step=approve]")
            first.wait_for_load_state()
            second.click("[data-step=approve]")
            second.wait_for_load_state()
            message = second.locator(".message.error").inner_text()
            chromium.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        connections.close_all()
    assert "已不是您選擇此步驟時的「待單位初審」" in message
    dataset.refresh_from_db()
    assert dataset.status == Status.CENTRE_REVIEW
