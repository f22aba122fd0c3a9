"""Catalogue resources keep their key (and so their history) when others are added before them."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.utils import timezone

from steward.quality.models import CheckKind, CheckResult, CheckRun, ResourceHealth
from steward.quality.services import (
    catalogue_resource_key,
    normalise_download_url,
    refs_from_catalogue,
)
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    HostileServer,
    fresh_server,
    running_hostile_server,
)
from steward.quality.tests.test_check_command import catalogue_row, run_check, write_catalogue

pytestmark = pytest.mark.django_db


def test_inserting_a_resource_before_another_keeps_the_others_history(
    tmp_path: Path, server: HostileServer
) -> None:
    good, missing, moved = server.url("/good.csv"), server.url("/status/404"), server.url("/moved")
    before = write_catalogue(
        tmp_path / "before.csv", [catalogue_row("A17010000J-000001", "年度預算", [good, missing])]
    )
    after = write_catalogue(
        tmp_path / "after.csv",
        [catalogue_row("A17010000J-000001", "年度預算", [moved, good, missing])],
    )
    run_check(before, tmp_path)
    run_check(after, tmp_path)

    broken = ResourceHealth.objects.get(key=catalogue_resource_key("A17010000J-000001", missing))
    healthy = ResourceHealth.objects.get(key=catalogue_resource_key("A17010000J-000001", good))
    added = ResourceHealth.objects.get(key=catalogue_resource_key("A17010000J-000001", moved))
    # With position keys the 404 (second, then third) would have taken the good file's
    # history and the good file the new resource's: two failures in a row, two successes.
    assert (broken.url, broken.consecutive_failures, broken.checks) == (missing, 2, 2)
    assert (healthy.url, healthy.consecutive_ok, healthy.checks) == (good, 2, 2)
    assert (added.url, added.checks) == (moved, 1)
    assert ResourceHealth.objects.count() == 3


def test_the_key_ignores_how_the_same_url_is_written() -> None:
    same = [
        "http://data.example.org/files/a.csv",
        "  HTTP://Data.Example.ORG:80/files/a.csv#top ",
    ]
    assert len({catalogue_resource_key("A17010000J-000001", url) for url in same}) == 1
    assert normalise_download_url("https://Example.org:443") == "https://example.org/"
    assert normalise_download_url("https://example.org:8443/A.csv?b=1&a=2") == (
        "https://example.org:8443/A.csv?b=1&a=2"
    )
    assert normalise_download_url("http://[::1]:8080/x") == "http://[::1]:8080/x"
    # Path and query may matter to the server: they make a different key.
    assert catalogue_resource_key("X", "http://e.org/a.csv") != catalogue_resource_key(
        "X", "http://e.org/A.csv"
    )


def test_keys_stay_short_and_unique_within_a_catalogue(tmp_path: Path) -> None:
    long_identifier = "A" * 400
    url = "http://data.example.org/a.csv"
    path = write_catalogue(
        tmp_path / "dup.csv",
        [
            catalogue_row(long_identifier, "長識別碼", [url]),
            catalogue_row("A17010000J-000002", "同一網址兩次", [url, url]),
            catalogue_row("A17010000J-000002", "重複的識別碼", [url]),
        ],
    )
    with path.open("rb") as stream:
        keys = [ref.key for ref in refs_from_catalogue(stream)]
    assert all(len(key) <= 200 for key in keys)
    base = catalogue_resource_key("A17010000J-000002", url)
    assert keys[1:] == [base, f"{base}.2", f"{base}.3"]


def test_the_migration_carries_position_keyed_history_over_to_url_keys() -> None:
    migration = importlib.import_module("steward.quality.migrations.0002_catalogue_keys_by_url")
    url_1, url_2 = "http://data.example.org/a.csv", "http://data.example.org/b.csv"
    now = timezone.now()
    ResourceHealth.objects.create(
        key="A17010000J-000001#2", url=url_2, dataset_identifier="A17010000J-000001",
        consecutive_failures=5, checks=5,
    )  # fmt: skip
    ResourceHealth.objects.create(key="A17010000J-000001-001", url=url_1)  # a database resource
    run = CheckRun.objects.create(kind=CheckKind.ON_DEMAND, source="export.csv")
    for position, url in enumerate([url_1, url_2], 1):
        CheckResult.objects.create(
            run=run, key=f"A17010000J-000001#{position}", url=url,
            dataset_identifier="A17010000J-000001", state="ok", reason="ok", checked_at=now,
        )  # fmt: skip

    migration.forwards(apps, None)

    moved = ResourceHealth.objects.get(key=catalogue_resource_key("A17010000J-000001", url_2))
    assert moved.consecutive_failures == 5
    assert ResourceHealth.objects.filter(key="A17010000J-000001-001").exists()
    assert set(CheckResult.objects.values_list("key", flat=True)) == {
        catalogue_resource_key("A17010000J-000001", url_1),
        catalogue_resource_key("A17010000J-000001", url_2),
    }


def test_the_migration_copy_of_the_key_matches_the_service() -> None:
    migration = importlib.import_module("steward.quality.migrations.0002_catalogue_keys_by_url")
    for url in ["http://E.org:80/a b.csv?x=1#f", "https://e.org", "ftp://x", "not a url", ""]:
        assert migration.new_key("A17010000J-000001", url) == catalogue_resource_key(
            "A17010000J-000001", url
        )
