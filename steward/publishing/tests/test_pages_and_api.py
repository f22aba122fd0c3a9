"""The outbox and catalogue pages, the JSON API and the commands, all scoped."""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper
from django.test import Client
from django.urls import reverse

from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset
from steward.datasets.workflow import Status
from steward.jobs.registry import handler_for
from steward.jobs.scheduler import producers
from steward.publishing import services
from steward.publishing.models import OutboxStatus, PublishingOutboxEntry
from steward.publishing.portal import PortalClient
from steward.publishing.standin import StandInPortal
from steward.publishing.tests.helpers import make_dataset
from steward.publishing.tests.test_catalogue import csv_bytes, row


def signed_in(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


@pytest.fixture
def failed_entry(tree: Tree, cast: Cast) -> PublishingOutboxEntry:
    dataset = make_dataset(tree.unit_a1)
    entry = services.request_publication(dataset, by=cast.centre)
    with StandInPortal(api_key="right") as portal:
        services.deliver_due(limit=5, client=PortalClient(portal.url, "wrong", timeout=0.5))
    entry.refresh_from_db()
    assert entry.status == OutboxStatus.FAILED
    return entry


# ---------------------------------------------------------------- pages


def test_the_outbox_page_shows_the_failure_and_a_retry_button_to_the_centre(
    failed_entry: PublishingOutboxEntry, cast: Cast
) -> None:
    page = signed_in(cast.centre).get(reverse("publishing:index"))
    assert page.status_code == 200
    html = page.content.decode()
    assert failed_entry.identifier in html
    assert "HTTP 401" in html
    assert reverse("publishing:retry", args=[failed_entry.pk]) in html


def test_a_liaison_sees_the_failure_but_no_retry_button(
    failed_entry: PublishingOutboxEntry, cast: Cast
) -> None:
    html = signed_in(cast.liaison).get(reverse("publishing:index")).content.decode()
    assert failed_entry.identifier in html
    assert reverse("publishing:retry", args=[failed_entry.pk]) not in html


def test_another_agency_does_not_see_the_entry(
    failed_entry: PublishingOutboxEntry, cast: Cast
) -> None:
    client = signed_in(cast.other_liaison)
    assert failed_entry.identifier not in client.get(reverse("publishing:index")).content.decode()
    assert client.post(reverse("publishing:retry", args=[failed_entry.pk])).status_code == 404


def test_the_retry_button_queues_it_again(failed_entry: PublishingOutboxEntry, cast: Cast) -> None:
    response = signed_in(cast.centre).post(reverse("publishing:retry", args=[failed_entry.pk]))
    assert response.status_code == 302
    failed_entry.refresh_from_db()
    assert failed_entry.status == OutboxStatus.PENDING


def test_a_liaison_cannot_retry(failed_entry: PublishingOutboxEntry, cast: Cast) -> None:
    signed_in(cast.liaison).post(reverse("publishing:retry", args=[failed_entry.pk]))
    failed_entry.refresh_from_db()
    assert failed_entry.status == OutboxStatus.FAILED


def test_the_catalogue_page_lists_every_problem_and_imports_nothing(tree: Tree, cast: Cast) -> None:
    upload = io.BytesIO(csv_bytes([row(), row()]))
    upload.name = "mine.csv"
    page = signed_in(cast.centre).post(
        reverse("publishing:catalogue"),
        {"ministry": tree.ministry.pk, "file": upload, "check_only": ""},
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "mine.csv" in html and "A17010000J-000101" in html
    assert not Dataset.objects.exists()


def test_the_catalogue_page_imports_a_good_file(tree: Tree, cast: Cast) -> None:
    upload = io.BytesIO(csv_bytes([row()]))
    upload.name = "mine.csv"
    signed_in(cast.centre).post(
        reverse("publishing:catalogue"),
        {"ministry": tree.ministry.pk, "file": upload, "check_only": ""},
    )
    assert Dataset.objects.filter(identifier="A17010000J-000101").exists()


def test_the_catalogue_page_refuses_a_file_over_the_limit(
    tree: Tree, cast: Cast, settings: Any
) -> None:
    settings.STEWARD_MAX_CATALOGUE_BYTES = 100
    upload = io.BytesIO(csv_bytes([row()]))
    upload.name = "big.csv"
    page = signed_in(cast.centre).post(
        reverse("publishing:catalogue"),
        {"ministry": tree.ministry.pk, "file": upload, "check_only": ""},
    )
    assert "上限為" in page.content.decode()  # the interface speaks Traditional Chinese
    assert not Dataset.objects.exists()


def test_a_liaison_cannot_pick_a_ministry_to_import_into(tree: Tree, cast: Cast) -> None:
    upload = io.BytesIO(csv_bytes([row()]))
    upload.name = "mine.csv"
    signed_in(cast.liaison).post(
        reverse("publishing:catalogue"),
        {"ministry": tree.ministry.pk, "file": upload, "check_only": ""},
    )
    assert not Dataset.objects.exists()


def test_the_export_download_is_the_catalogue_csv(tree: Tree, cast: Cast) -> None:
    make_dataset(tree.unit_a1, status=Status.PUBLISHED)
    response = signed_in(cast.centre).get(
        reverse("publishing:catalogue_export"), {"ministry": tree.ministry.pk}
    )
    assert response.status_code == 200
    assert response.streaming  # whole-table exports stream
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf\xe8\xb3\x87")  # type: ignore[attr-defined]
    assert "attachment" in response["Content-Disposition"]
    other = signed_in(cast.liaison).get(
        reverse("publishing:catalogue_export"), {"ministry": tree.ministry.pk}
    )
    assert other.status_code == 404
    ndjson = signed_in(cast.centre).get(
        reverse("publishing:catalogue_export"),
        {"ministry": str(tree.ministry.pk), "format": "ndjson"},
    )
    assert ndjson["Content-Type"].startswith("application/x-ndjson")
    lines = b"".join(ndjson.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert [json.loads(line)["資料集識別碼"] for line in lines] == ["A17010000J-000001"]


# ---------------------------------------------------------------- API


def test_the_api_lists_the_outbox_scoped(failed_entry: PublishingOutboxEntry, cast: Cast) -> None:
    mine = signed_in(cast.centre).get("/api/publishing/outbox?status=failed").json()["items"]
    assert [item["id"] for item in mine] == [failed_entry.pk]
    assert "HTTP 401" in mine[0]["last_error"]
    assert signed_in(cast.other_liaison).get("/api/publishing/outbox").json()["items"] == []


def test_the_api_retries_and_publishes(
    failed_entry: PublishingOutboxEntry, cast: Cast, tree: Tree
) -> None:
    client = signed_in(cast.centre)
    retried = client.post(f"/api/publishing/outbox/{failed_entry.pk}/retry")
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    again = client.post(f"/api/publishing/outbox/{failed_entry.pk}/retry")
    assert again.status_code == 400
    draft = make_dataset(tree.unit_a1, serial=9, status=Status.DRAFT)
    refused = client.post(f"/api/publishing/datasets/{draft.pk}/publish")
    assert refused.status_code == 400
    assert (
        signed_in(cast.liaison).post(f"/api/publishing/datasets/{draft.pk}/publish").status_code
        == 403
    )


def test_the_api_imports_checks_and_exports_the_catalogue(tree: Tree, cast: Cast) -> None:
    client = signed_in(cast.centre)
    bad = client.post(
        "/api/publishing/catalogue/import",
        {"ministry": tree.ministry.pk, "file": _upload(csv_bytes([row(), row()]))},
    )
    assert bad.status_code == 400
    problem = bad.json()["problems"][0]
    assert (problem["file"], problem["row"], problem["column"]) == ("api.csv", 3, "資料集識別碼")
    checked = client.post(
        "/api/publishing/catalogue/import",
        {"ministry": tree.ministry.pk, "file": _upload(csv_bytes([row()])), "check_only": True},
    )
    assert checked.status_code == 200 and not Dataset.objects.exists()
    done = client.post(
        "/api/publishing/catalogue/import",
        {"ministry": tree.ministry.pk, "file": _upload(csv_bytes([row()]))},
    )
    assert done.status_code == 201 and done.json()["identifiers"] == ["A17010000J-000101"]
    exported = client.get(f"/api/publishing/catalogue/export?ministry={tree.ministry.pk}")
    assert "A17010000J-000101" in b"".join(exported.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    again = client.post(
        "/api/publishing/catalogue/import",
        {"ministry": tree.ministry.pk, "file": _upload(csv_bytes([row()]))},
    )
    assert again.status_code == 201
    assert (again.json()["added"], again.json()["changed"], again.json()["unchanged"]) == (0, 0, 1)


def _upload(data: bytes) -> io.BytesIO:
    upload = io.BytesIO(data)
    upload.name = "api.csv"
    return upload


# ---------------------------------------------------------------- commands and jobs


def test_catalogue_commands_round_trip_a_file(tree: Tree, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(csv_bytes([row()]))
    out = io.StringIO()
    call_command("catalogue", "import", str(source), "--ministry", "t-ministry", stdout=out)
    assert "1 added, 0 changed, 0 unchanged" in out.getvalue()
    target = tmp_path / "out.csv"
    call_command(
        "catalogue", "export", "--ministry", "t-ministry", "--output", str(target), stdout=out
    )
    assert "A17010000J-000101" in target.read_text(encoding="utf-8-sig")


def test_catalogue_import_command_fails_whole_with_every_problem(
    tree: Tree, tmp_path: Path
) -> None:
    source = tmp_path / "dup.csv"
    source.write_bytes(csv_bytes([row(), row()]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "catalogue",
            "import",
            str(source),
            "--ministry",
            "t-ministry",
            stderr=OutputWrapper(err),
        )
    assert "dup.csv · row 3" in err.getvalue()
    assert not Dataset.objects.exists()


def test_publish_drain_command_sends_due_rows(tree: Tree, cast: Cast, settings: Any) -> None:
    dataset = make_dataset(tree.unit_a1)
    with StandInPortal(api_key="k") as portal:
        settings.STEWARD_PORTAL_URL = portal.url
        settings.STEWARD_PORTAL_API_KEY = "k"
        out = io.StringIO()
        call_command("publish", "--drain", stdout=out)
        assert "1 accepted" in out.getvalue()
        assert dataset.identifier in portal.datasets()
    status = io.StringIO()
    call_command("publish", "--status", stdout=status)
    assert "succeeded  1" in status.getvalue()


def test_a_scheduled_dataset_with_broken_metadata_becomes_one_visible_failure(
    tree: Tree, settings: Any
) -> None:
    make_dataset(tree.unit_a1, title="")
    with StandInPortal(api_key="k") as portal:
        client = PortalClient(portal.url, "k", timeout=0.5)
        services.deliver_due(limit=5, client=client)
        services.deliver_due(limit=5, client=client)  # the next minute: not swept again
        assert portal.requests() == []
    entry = PublishingOutboxEntry.objects.get()
    assert entry.status == OutboxStatus.FAILED
    assert "title:" in entry.last_error


def test_the_drain_is_a_periodic_job(tree: Tree) -> None:
    from steward.jobs.models import Job

    now = datetime.datetime.now(datetime.UTC)
    assert handler_for("publishing.deliver") is not None
    produce = producers()["publishing.deliver"]
    assert produce(now) == 0  # nothing due: no job
    make_dataset(tree.unit_a1)
    assert produce(now) == 1
    assert produce(now) == 1  # same minute: the same job (unique key)
    assert Job.objects.filter(kind="publishing.deliver").count() == 1


def test_the_standin_control_endpoint_injects_faults(tree: Tree) -> None:
    import urllib.request

    with StandInPortal(api_key="k") as portal:
        request = urllib.request.Request(
            portal.url + "/_standin/faults",
            data=json.dumps({"kind": "server_error", "times": 2}).encode(),
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=2) as response:
            assert response.status == 200
        assert [fault.times for fault in portal.state.faults] == [2]
