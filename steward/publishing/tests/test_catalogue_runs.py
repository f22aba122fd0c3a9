"""A large catalogue file from the page runs as a background job, with progress and its report."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset
from steward.jobs.models import Job, JobStatus
from steward.jobs.services import run_next
from steward.publishing.catalogue import runs
from steward.publishing.models import CatalogueImportRun, ImportRunStatus
from steward.publishing.tests.portal_export import export_bytes, make_agencies, portal_rows


@pytest.fixture(autouse=True)
def small_inline_limit(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(runs, "INLINE_LIMIT", 1000)  # every test file counts as large


def signed_in(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def upload(data: bytes, name: str) -> io.BytesIO:
    stream = io.BytesIO(data)
    stream.name = name
    return stream


def test_a_large_file_is_imported_by_the_worker_with_progress_then_its_report(
    tree: Tree, cast: Cast, tmp_path: Path
) -> None:
    make_agencies(tree.ministry)
    data = gzip.compress(export_bytes(list(portal_rows(40))))
    client = signed_in(cast.centre)
    response = client.post(
        reverse("publishing:catalogue"),
        {"ministry": tree.ministry.pk, "file": upload(data, "national.csv.gz"), "check_only": ""},
    )
    run = CatalogueImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("publishing:catalogue_run", args=[run.pk])
    assert not Dataset.objects.exists()  # nothing inside the request
    waiting = client.get(response["Location"]).content.decode()
    assert "等待開始" in waiting and "<progress" in waiting

    job = run_next(worker="test", kinds=[runs.KIND])

    assert job is not None and job.status == JobStatus.DONE
    run.refresh_from_db()
    assert run.status == ImportRunStatus.DONE and run.percent == 100
    assert run.report["counts"]["added"] == 40
    assert not run.file and not list(tmp_path.rglob("*.upload"))  # the upload is not kept
    assert Dataset.objects.count() == 40
    page = client.get(response["Location"]).content.decode()
    assert "新增 40 個" in page and "<progress" not in page


def test_a_refused_background_import_lists_its_problems_and_changes_nothing(
    tree: Tree, cast: Cast
) -> None:
    make_agencies(tree.ministry)
    rows = list(portal_rows(5))
    rows[3]["提供機關"] = "經濟部水利署"
    client = signed_in(cast.centre)
    client.post(
        reverse("publishing:catalogue"),
        {
            "ministry": tree.ministry.pk,
            "file": upload(export_bytes(rows), "x.csv"),
            "check_only": "",
        },
    )
    run_next(worker="test", kinds=[runs.KIND])
    run = CatalogueImportRun.objects.get()
    assert run.status == ImportRunStatus.REFUSED
    assert [p["row"] for p in run.report["problems"]] == [5]
    assert not Dataset.objects.exists()
    page = client.get(reverse("publishing:catalogue_run", args=[run.pk])).content.decode()
    assert "經濟部水利署" in page


def test_someone_who_may_not_publish_cannot_start_or_see_a_run(tree: Tree, cast: Cast) -> None:
    make_agencies(tree.ministry)
    data = export_bytes(list(portal_rows(3)))
    signed_in(cast.liaison).post(
        reverse("publishing:catalogue"),
        {"ministry": tree.ministry.pk, "file": upload(data, "x.csv"), "check_only": ""},
    )
    assert not CatalogueImportRun.objects.exists() and not Job.objects.exists()
    signed_in(cast.centre).post(
        reverse("publishing:catalogue"),
        {"ministry": tree.ministry.pk, "file": upload(data, "x.csv"), "check_only": "on"},
    )
    run = CatalogueImportRun.objects.get()
    assert run.check_only
    url = reverse("publishing:catalogue_run", args=[run.pk])
    assert signed_in(cast.liaison).get(url).status_code == 404


def test_a_small_gzip_file_still_goes_to_the_background(
    tree: Tree, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runs, "INLINE_LIMIT", 10**9)
    make_agencies(tree.ministry)
    small = gzip.compress(export_bytes(list(portal_rows(2))))
    response = signed_in(cast.centre).post(
        reverse("publishing:catalogue"),
        {"ministry": tree.ministry.pk, "file": upload(small, "s.csv.gz"), "check_only": ""},
    )
    assert response.status_code == 302 and CatalogueImportRun.objects.count() == 1
