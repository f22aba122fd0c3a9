"""The task pages: the list and the overdue view per organisation, a task with its steps,
evidence attached through the page and served only to people who see the task."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from steward.conftest import Cast, MinistryB, Tree
from steward.tasks.generation import generate_tasks
from steward.tasks.models import Task, TaskStatus
from steward.tasks.tests.helpers import plan_with_item


@pytest.fixture
def task(tree: Tree) -> Task:
    version = plan_with_item(tree.ministry, lead=[tree.agency_a], cooperating=[tree.agency_b])
    generate_tasks(version, 2026)
    Task.objects.update(due_date=datetime.date(2020, 1, 31))  # long overdue
    return Task.objects.get(organisation=tree.agency_a)


def _client(person) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(person)
    return client


def test_the_liaison_attaches_a_file_and_marks_the_task_done_through_the_page(
    task: Task,
    cast: Cast,
    settings,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = _client(cast.liaison)
    page = client.get(reverse("tasks:detail", args=[task.pk])).content.decode()
    steps = page.split("下一步")[-1]
    assert "開始辦理" in steps and ">確認</button>" not in steps  # no sign-off for the liaison
    upload = SimpleUploadedFile("會議紀錄.pdf", b"%PDF-1.4 minutes")
    client.post(reverse("tasks:add_evidence", args=[task.pk]), {"file": upload})
    evidence = task.evidence.get()
    served = client.get(reverse("tasks:evidence_file", args=[task.pk, evidence.pk]))
    assert b"".join(served.streaming_content) == b"%PDF-1.4 minutes"  # type: ignore[attr-defined]
    client.post(reverse("tasks:step", args=[task.pk, "complete"]), {"comment": "完成"})
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    # The file is not served to another ministry (404, as if it did not exist).
    assert _client_b_get(task, evidence.pk) == 404


def _client_b_get(task: Task, evidence_pk: int) -> int:
    from steward.organisations.models import Person

    person = Person.objects.get(username="moj_liaison")
    url = reverse("tasks:evidence_file", args=[task.pk, evidence_pk])
    return _client(person).get(url).status_code


@pytest.fixture(autouse=True)
def _other_ministry(ministry_b: MinistryB) -> None:
    """Ministry B exists in every test here, behind the wall."""


def test_the_centre_sees_overdue_tasks_per_agency_side_by_side(
    task: Task, tree: Tree, cast: Cast
) -> None:
    page = _client(cast.centre).get(reverse("tasks:overdue")).content.decode()
    assert tree.agency_a.name in page and tree.agency_b.name in page
    agency_page = _client(cast.liaison).get(reverse("tasks:overdue")).content.decode()
    assert tree.agency_a.name in agency_page and tree.agency_b.name not in agency_page


def test_the_overdue_list_of_one_agency(task: Task, tree: Tree, cast: Cast) -> None:
    url = reverse("tasks:index") + f"?show=overdue&organisation={tree.agency_a.pk}"
    page = _client(cast.centre).get(url).content.decode()
    assert "已逾期" in page and tree.agency_a.name in page and tree.agency_b.name not in page


def test_a_step_the_person_may_not_take_is_refused_and_changes_nothing(
    task: Task, cast: Cast
) -> None:
    response = _client(cast.liaison).post(reverse("tasks:step", args=[task.pk, "sign_off"]))
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    # Another agency's people do not see the task at all.
    response = _client(cast.other_liaison).post(reverse("tasks:step", args=[task.pk, "start"]))
    assert response.status_code == 404
