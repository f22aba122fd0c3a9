"""The JSON API: the same steps as the pages, scoped, with clear refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree
from steward.datasets.models import CommitteeMeeting, Dataset
from steward.datasets.tests.conftest import WalkTo, complete_resource, complete_values
from steward.datasets.workflow import Status


def post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}, default=str), content_type="application/json")


def test_a_dataset_walks_the_whole_chain_through_the_api(
    client: Client, tree: Tree, cast: Cast, meeting: CommitteeMeeting
) -> None:
    client.force_login(cast.liaison)
    values = complete_values(temporalCoverageFrom="2020-01-01")
    created = post(
        client,
        "/api/datasets/",
        {"organisation_id": tree.unit_a1.pk, **values, "resources": [complete_resource()]},
    )
    assert created.status_code == 201, created.content
    dataset = created.json()
    assert dataset["identifier"] == "A17010000J-000001"
    assert dataset["steps"] == ["edit", "submit"]
    assert dataset["metadata"]["distribution"][0]["resourceID"] == "A17010000J-000001-001"
    url = f"/api/datasets/{dataset['id']}"

    patched = client.patch(
        url, json.dumps({"title": "甲署業務統計（新）"}), content_type="application/json"
    )
    assert patched.json()["title"] == "甲署業務統計（新）"
    assert post(client, f"{url}/submit", {"stage": "draft"}).json()["status"] == "unit_review"

    walk: list[tuple[Any, str, dict[str, Any], str]] = [
        (cast.reviewer, "approve", {"stage": "unit_review", "comment": "ok"}, "centre_review"),
        (cast.centre, "approve", {"stage": "centre_review"}, "committee"),
        (
            cast.committee_civil,
            "committee-decision",
            {"stage": "committee", "meeting_id": meeting.pk, "decision": "approve"},
            "cio_approval",
        ),
        (cast.cio, "approve", {"stage": "cio_approval"}, "approved"),
        (cast.centre, "schedule", {"stage": "approved", "on": "2026-05-29"}, "scheduled"),
        (
            cast.centre,
            "mark-published",
            {"stage": "scheduled", "portal_identifier": "170001"},
            "published",
        ),
    ]
    for person, step, body, status in walk:
        client.force_login(person)
        response = post(client, f"{url}/{step}", body)
        assert response.status_code == 200, (step, response.content)
        assert response.json()["status"] == status

    history = client.get(f"{url}/history").json()["items"]
    assert [event["to_state"] for event in history][-1] == "published"
    assert len(history) == 9  # create, edit, submit and six steps
    metadata = client.get(f"{url}/metadata").json()
    assert metadata["title"] == "甲署業務統計（新）"


def test_the_api_refuses_clearly_and_changes_nothing(
    client: Client, walk_to: WalkTo, cast: Cast
) -> None:
    dataset = walk_to(Status.UNIT_REVIEW)
    url = f"/api/datasets/{dataset.pk}"
    events = AuditEvent.objects.count()

    client.force_login(cast.other_reviewer)  # another agency: not even visible
    assert post(client, f"{url}/approve", {"stage": "unit_review"}).status_code == 404
    assert client.get(url).status_code == 404

    client.force_login(cast.auditor)  # visible, but the wrong role
    assert post(client, f"{url}/approve", {"stage": "unit_review"}).status_code == 403

    client.force_login(cast.reviewer)
    response = post(client, f"{url}/schedule", {"stage": "unit_review", "on": "2026-05-29"})
    assert response.status_code == 403
    client.force_login(cast.centre)
    response = post(client, f"{url}/schedule", {"stage": "unit_review", "on": "2026-05-29"})
    assert response.status_code == 409
    assert response.json()["detail"]

    client.force_login(cast.reviewer)
    assert (
        post(client, f"{url}/reject", {"stage": "unit_review", "reasons": " "}).status_code == 409
    )

    dataset.refresh_from_db()
    assert dataset.status == Status.UNIT_REVIEW
    assert AuditEvent.objects.count() == events


def test_submitting_incomplete_metadata_returns_the_problems_field_by_field(
    client: Client, tree: Tree, cast: Cast
) -> None:
    client.force_login(cast.liaison)
    created = post(client, "/api/datasets/", {"organisation_id": tree.unit_a1.pk, "title": "x"})
    response = post(client, f"/api/datasets/{created.json()['id']}/submit", {"stage": "draft"})
    assert response.status_code == 400
    problems = {p["key"]: p for p in response.json()["problems"]}
    assert problems["description"]["message"].startswith("資料集描述：")
    assert "distribution" in problems


def test_a_duplicate_identifier_is_a_400_beside_the_identifier(
    client: Client, tree: Tree, cast: Cast, draft: Dataset
) -> None:
    client.force_login(cast.liaison)
    response = post(
        client,
        "/api/datasets/",
        {"organisation_id": tree.unit_a1.pk, "identifier": draft.identifier},
    )
    assert response.status_code == 400
    assert "identifier" in response.json()["fields"]
    assert Dataset.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "organisation", "status"),
    [("other_liaison", "unit_a1", 404), ("reviewer", "unit_a1", 403), ("liaison", "unit_b1", 404)],
)
def test_only_the_units_liaison_creates_datasets_there(
    client: Client, tree: Tree, cast: Cast, who: str, organisation: str, status: int
) -> None:
    client.force_login(getattr(cast, who))
    response = post(client, "/api/datasets/", {"organisation_id": getattr(tree, organisation).pk})
    assert response.status_code == status
    assert not Dataset.objects.exists()


def test_the_list_is_scoped_and_my_work_is_mine(
    client: Client, walk_to: WalkTo, cast: Cast
) -> None:
    dataset = walk_to(Status.UNIT_REVIEW)
    client.force_login(cast.other_liaison)
    assert client.get("/api/datasets/").json()["items"] == []
    client.force_login(cast.reviewer)
    mine = client.get("/api/datasets/", {"mine": "true"}).json()["items"]
    assert [d["identifier"] for d in mine] == [dataset.identifier]
    client.force_login(cast.liaison)
    assert client.get("/api/datasets/", {"mine": "true"}).json()["items"] == []


def test_signed_out_callers_get_nothing(client: Client, draft: Dataset) -> None:
    assert client.get("/api/datasets/").status_code == 401


def test_the_openapi_schema_lists_the_steps(client: Client, cast: Cast) -> None:
    client.force_login(cast.liaison)
    paths = client.get("/api/openapi.json").json()["paths"]
    for step in (
        "submit",
        "approve",
        "reject",
        "committee-decision",
        "mark-published",
        "propose-edit",
        "approve-edit",
        "request-withdrawal",
        "withdrawal-notice",
    ):
        assert f"/api/datasets/{{dataset_id}}/{step}" in paths
