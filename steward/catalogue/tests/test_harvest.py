"""`steward harvest ckan|dcat`: another steward's catalogue (served live) taken in, all or nothing."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from steward.audit.models import AuditEvent
from steward.catalogue import harvest as harvesting
from steward.catalogue import views
from steward.catalogue.models import CatalogueEntry
from steward.catalogue.tests.conftest import publish_record
from steward.conftest import MinistryB, Tree
from steward.datasets.models import Dataset, DatasetVersion
from steward.datasets.tests.conftest import complete_resource
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    HostileServer,
    fresh_server,
    running_hostile_server,
)

pytestmark = pytest.mark.django_db(transaction=True)
TARGET_CODE = "A03010000E"  # ministry B's agency (法務部行政執行署)
ALLOW = ("--allow-private", "127.0.0.0/8")


def harvest(*args: str) -> tuple[int, str, str]:
    """Run the command in English (the messages' zh-Hant catalogue is tested on its own)."""
    out, err = StringIO(), StringIO()
    try:
        with translation.override("en"):
            call_command("harvest", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def source(tree: Tree, cast: Any) -> list[Dataset]:
    """Ministry A's agency 甲署 publishes three datasets (one with two resources)."""
    return [
        publish_record(
            tree.unit_a1,
            1,
            title="勞工保險投保薪資分級表",
            keyword=["勞保", "投保薪資"],
            resources=[
                complete_resource(),
                complete_resource(format="JSON", downloadURL="https://a.example.gov.tw/g.json"),
            ],
        ),
        publish_record(tree.unit_a1, 2, title="職業災害統計", categoryCode="E00", numberOfData=12),
        publish_record(
            tree.unit_a1,
            3,
            title="預算書",
            accrualPeriodicity="每月",
            spatial="臺灣",
            resources=[complete_resource(format="PDF", accessURL="https://a.example.gov.tw/b")],
        ),
    ]


def as_target(record: dict[str, Any], code: str) -> dict[str, Any]:
    """The source record as harvested into agency B: identifiers under B's agency code."""
    return json.loads(json.dumps(record, ensure_ascii=False).replace(f"{code}-", f"{TARGET_CODE}-"))


def harvested(ministry_b: MinistryB) -> dict[str, dict[str, Any]]:
    entries = CatalogueEntry.objects.filter(ministry=ministry_b.ministry)
    return {entry.identifier: entry.record for entry in entries}


def expected(source: list[Dataset]) -> dict[str, dict[str, Any]]:
    code = source[0].organisation.agency.agency_code
    records = [as_target(CatalogueEntry.objects.get(dataset=d).record, code) for d in source]
    return {record["identifier"]: record for record in records}


def _ckan_args(live_server: Any, tree: Tree) -> list[str]:
    fq = f"organization:{tree.unit_a1.agency.agency_code.lower()}"
    return ["ckan", live_server.url, "--fq", fq]


def _dcat_args(live_server: Any, tree: Tree) -> list[str]:
    return ["dcat", f"{live_server.url}/catalog.ttl?ministry={tree.ministry.key}"]


@pytest.mark.parametrize("args", [_ckan_args, _dcat_args], ids=["ckan", "dcat"])
def test_a_harvest_takes_in_the_source_equal_then_updates_only_what_changed(
    args: Any,
    live_server: Any,
    source: list[Dataset],
    ministry_b: MinistryB,
    tree: Tree,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "PER_PAGE", 2)  # DCAT: three datasets on two pages
    monkeypatch.setattr(harvesting, "PAGE_ROWS", 2)  # CKAN: package_search page by page
    command = [*args(live_server, tree), "--as", "moj_centre", "--to", "moj-aea", *ALLOW]
    code, out, err = harvest(*command)
    assert code == 0, err
    assert "3 added, 0 updated, 0 unchanged, 0 refused" in out
    assert harvested(ministry_b) == expected(source)
    added = Dataset.objects.filter(organisation=ministry_b.agency)
    assert {d.status for d in added} == {"published"} and added.count() == 3
    assert AuditEvent.objects.filter(action="dataset.import", actor=ministry_b.centre).count() == 3

    # the same source again: nothing to do
    code, out, err = harvest(*command)
    assert code == 0, err
    assert "0 added, 0 updated, 3 unchanged, 0 refused" in out

    # the source changes one dataset (its site published a new version): only it is updated
    changed = source[1]
    version = DatasetVersion.objects.filter(dataset=changed).get()
    version.metadata = {**version.metadata, "title": "職業災害統計（修正）", "notes": "新增備註"}
    version.save()
    from steward.catalogue.services import refresh_entries

    refresh_entries([changed.pk])
    code, out, err = harvest(*command)
    assert code == 0, err
    assert "0 added, 1 updated, 2 unchanged, 0 refused" in out
    assert harvested(ministry_b) == expected(source)
    updated = Dataset.objects.get(identifier=f"{TARGET_CODE}-000002")
    assert updated.title == "職業災害統計（修正）" and updated.versions.count() == 2
    assert AuditEvent.objects.filter(action="dataset.harvest_update").count() == 1


def test_a_record_that_fails_the_standard_is_reported_and_nothing_is_written(
    live_server: Any, source: list[Dataset], ministry_b: MinistryB, tree: Tree
) -> None:
    broken = publish_record(tree.unit_a1, 4, title="缺欄位", fieldDescription="")
    before = (Dataset.objects.count(), AuditEvent.objects.count())
    for args in (_ckan_args, _dcat_args):
        command = [*args(live_server, tree), "--as", "moj_centre", "--to", "moj-aea", *ALLOW]
        code, _out, err = harvest(*command)
        assert code == 1
        refused = f"{TARGET_CODE}-{broken.identifier.split('-')[1]}"
        assert f"{refused}: fieldDescription: 主要欄位說明：必填欄位未填寫" in err
        assert "nothing was changed" in err
        assert (Dataset.objects.count(), AuditEvent.objects.count()) == before
        assert harvested(ministry_b) == {}


def test_only_someone_who_may_publish_for_the_agency_harvests(
    live_server: Any, source: list[Dataset], ministry_b: MinistryB, tree: Tree
) -> None:
    for person in ("moj_liaison", "centre"):  # B's liaison; A's information centre
        code, _out, err = harvest(
            *_dcat_args(live_server, tree), "--as", person, "--to", "moj-aea", *ALLOW
        )
        assert code == 2, err
    assert harvested(ministry_b) == {}


@pytest.mark.parametrize(
    ("kind", "path", "says"),
    [
        ("dcat", "/html-200.csv", "web page"),
        ("dcat", "/status/404", "HTTP 404"),
        ("dcat", "/loop/a", "redirects in a loop"),
        ("dcat", "/endless.csv", "larger than 1 MB"),
        ("dcat", "/to-private", "private, local or a cloud metadata address"),
        ("ckan", "/status/404", "HTTP 404"),
        ("ckan", "/loop/a", "HTTP 404"),  # /loop/a/api/action/… is not a route there
    ],
)
def test_a_bad_source_is_one_clear_line_and_changes_nothing(
    kind: str,
    path: str,
    says: str,
    server: HostileServer,
    ministry_b: MinistryB,
) -> None:
    before = (Dataset.objects.count(), AuditEvent.objects.count())
    with translation.override("en"):
        code, _out, err = harvest(
            kind, server.url(path), "--as", "moj_centre", "--to", "moj-aea", "--max-mb", "1",
            "--allow-private", "127.0.0.1/32",
        )  # fmt: skip
    assert code == 1
    assert says in err, err
    assert "Traceback" not in err
    assert (Dataset.objects.count(), AuditEvent.objects.count()) == before


def test_a_ckan_source_that_answers_a_web_page_is_refused(
    live_server: Any, ministry_b: MinistryB
) -> None:
    with translation.override("en"):
        code, _out, err = harvest(
            "ckan", f"{live_server.url}/no-such-site", "--as", "moj_centre", "--to", "moj-aea",
            *ALLOW,
        )  # fmt: skip
    assert code == 1 and "web page" in err, err


def test_private_addresses_are_refused_unless_allowed(
    live_server: Any, source: list[Dataset], ministry_b: MinistryB, tree: Tree
) -> None:
    with translation.override("en"):
        code, _out, err = harvest(
            *_dcat_args(live_server, tree), "--as", "moj_centre", "--to", "moj-aea"
        )
    assert code == 1 and "private, local" in err and harvested(ministry_b) == {}


def test_the_report_is_in_traditional_chinese_by_default(
    live_server: Any, source: list[Dataset], ministry_b: MinistryB, tree: Tree
) -> None:
    out = StringIO()
    with translation.override("zh-hant"):
        call_command(
            "harvest", *_dcat_args(live_server, tree), "--as", "moj_centre", "--to", "moj-aea",
            *ALLOW, stdout=out,
        )  # fmt: skip
    assert "匯入完成：新增 3 筆、更新 0 筆、未變更 0 筆、拒絕 0 筆。" in out.getvalue()
