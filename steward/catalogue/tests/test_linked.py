"""Each published dataset, machine-readable: schema.org JSON-LD and a Frictionless data package."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.template import Context, Template
from django.test import Client, RequestFactory

from steward.catalogue.linked import schema_org, table_schema
from steward.catalogue.models import CatalogueEntry
from steward.catalogue.tests.conftest import publish_record
from steward.datasets.models import Dataset
from steward.datasets.tests.conftest import complete_resource
from steward.lib.http import AddressPolicy, Timeouts
from steward.quality.crawl.crawler import CrawlConfig
from steward.quality.services import check_resources, refs_from_database
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    GOOD_CSV,
    GOOD_FIELDS,
    HostileServer,
    fresh_server,
    running_hostile_server,
)

pytestmark = pytest.mark.django_db

#: What Google's dataset search needs of a Dataset (its structured-data guide), as spelled there.
SCHEMA_ORG_DATASET_KEYS = {"name", "description"}
SCHEMA_ORG_KNOWN = {"@context", "@type", "@id", "url", "name", "description", "identifier",
                    "keywords", "license", "creator", "publisher", "temporalCoverage",
                    "dateModified", "datePublished", "distribution", "inLanguage",
                    "isAccessibleForFree", "spatialCoverage", "sameAs"}  # fmt: skip


def test_the_jsonld_is_a_schema_org_dataset(client: Client, catalogue: list[Dataset]) -> None:
    dataset = catalogue[0]
    response = client.get(f"/dataset/{dataset.identifier.lower()}.jsonld")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    data = response.json()
    assert data["@context"] == "https://schema.org/" and data["@type"] == "Dataset"
    assert set(data) >= SCHEMA_ORG_DATASET_KEYS and set(data) <= SCHEMA_ORG_KNOWN
    assert data["name"] == "勞工保險投保薪資分級表"
    assert data["description"] == "勞工保險投保薪資分級表及其歷年修正。"
    assert data["identifier"] == dataset.identifier
    assert data["keywords"] == ["勞保", "投保薪資"]
    assert data["license"] == "https://data.gov.tw/license"
    assert data["url"] == f"http://testserver/dataset/{dataset.identifier.lower()}"
    assert data["creator"] == {"@type": "GovernmentOrganization", "name": "甲署",
                               "identifier": dataset.organisation.agency.agency_code}  # fmt: skip
    assert data["publisher"]["@type"] == "GovernmentOrganization"
    assert data["temporalCoverage"] == "2020-01-01/.."
    assert data["dateModified"] == "2026-01-02T10:00:00+08:00"
    assert [(d["@type"], d["encodingFormat"], d["contentUrl"]) for d in data["distribution"]] == [
        ("DataDownload", "text/csv", "https://a.example.gov.tw/stats.csv"),
        ("DataDownload", "application/json", "https://a.example.gov.tw/g.json"),
    ]


def test_an_unpublished_or_unknown_dataset_is_404(client: Client, draft: Dataset) -> None:
    assert client.get(f"/dataset/{draft.identifier.lower()}.jsonld").status_code == 404
    assert client.get("/dataset/nothing/datapackage.json").status_code == 404


def test_the_page_tag_embeds_the_jsonld_safely(tree: Any, cast: Any) -> None:
    publish_record(tree.unit_a1, 5, title="含</script><b>標記</b>的名稱")
    entry = CatalogueEntry.objects.get()
    template = Template("{% load catalogue_linked %}{% dataset_jsonld entry %}")
    request = RequestFactory().get("/dataset/x")
    html = template.render(Context({"entry": entry, "request": request}))
    assert html.startswith('<script type="application/ld+json">') and html.count("</script>") == 1
    body = html.removeprefix('<script type="application/ld+json">').removesuffix("</script>")
    assert json.loads(body) == schema_org(entry, "http://testserver")
    assert json.loads(body)["name"] == "含</script><b>標記</b>的名稱"


def test_the_table_schema_takes_the_checked_header_and_the_declared_descriptions() -> None:
    declared = "grade(投保薪資等級)、amount(月投保薪資)"
    assert table_schema(declared, None) == {"fields": [
        {"name": "grade", "type": "string", "description": "投保薪資等級"},
        {"name": "amount", "type": "string", "description": "月投保薪資"},
    ]}  # fmt: skip
    # the file's real header wins; a column is matched to its field by name or Chinese label
    assert table_schema(declared, ["月投保薪資", "grade", "note", "note"]) == {"fields": [
        {"name": "月投保薪資", "type": "string"},
        {"name": "grade", "type": "string", "description": "投保薪資等級"},
        {"name": "note", "type": "string"},
    ]}  # fmt: skip


def _frictionless_validate(descriptor: dict[str, Any], folder: Path) -> dict[str, Any]:
    path = folder / "datapackage.json"
    path.write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    command = Path(sys.executable).parent / "frictionless"
    done = subprocess.run(
        [str(command), "validate", "--json", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=folder,
    )
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_frictionless_validates_the_data_package(
    client: Client, tree: Any, cast: Any, server: HostileServer, tmp_path: Path
) -> None:
    url = server.url("/good.csv")
    dataset = publish_record(
        tree.unit_a1,
        7,
        fieldDescription=GOOD_FIELDS,
        resources=[complete_resource(downloadURL=url)],
    )
    name = dataset.identifier.lower()
    package = client.get(f"/dataset/{name}/datapackage.json").json()
    resource = package["resources"][0]
    assert resource["path"] == url and resource["format"] == "csv"
    assert resource["encoding"] == "utf-8"
    # no check yet: the schema is 主要欄位說明's
    assert [f["name"] for f in resource["schema"]["fields"]] == ["年度", "機關名稱", "金額"]
    report = _frictionless_validate(package, tmp_path)
    assert report["valid"] is True, report
    assert report["tasks"][0]["stats"]["rows"] == GOOD_CSV.count("\n") - 1


def _check(organisation: Any) -> None:
    check_resources(
        refs_from_database(organisation=organisation),
        config=CrawlConfig(
            per_host=2,
            per_host_rate=0,
            max_attempts=1,
            timeouts=Timeouts(connect=2, read=2, total=3),
        ),
        policy=AddressPolicy.from_entries(["127.0.0.1/32"]),
    )


def test_the_last_quality_checks_header_is_the_schema(
    client: Client, tree: Any, cast: Any, server: HostileServer, tmp_path: Path
) -> None:
    """A file whose header differs from 主要欄位說明 fails until a check has read its header."""
    dataset = publish_record(
        tree.unit_a1,
        8,
        fieldDescription=GOOD_FIELDS,
        resources=[complete_resource(downloadURL=server.url("/header-mismatch.csv"))],
    )
    url = f"/dataset/{dataset.identifier.lower()}/datapackage.json"
    assert _frictionless_validate(client.get(url).json(), tmp_path)["valid"] is False
    # the last quality check read the real header: the schema follows it, and validates
    _check(tree.unit_a1)
    package = client.get(url).json()
    names = [f["name"] for f in package["resources"][0]["schema"]["fields"]]
    assert names == ["year", "agency", "amount", "note"]
    assert _frictionless_validate(package, tmp_path)["valid"] is True


@pytest.mark.django_db
def test_the_public_dataset_page_carries_its_schema_org_dataset(
    client: Any, catalogue: list[Any]
) -> None:
    import json
    import re

    name = catalogue[0].identifier.lower()
    page = client.get(f"/dataset/{name}").content.decode()
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    data = json.loads(block)
    assert data["@type"] == "Dataset" and data["name"] == "勞工保險投保薪資分級表"
    # the machine-readable forms answer beside the page
    assert client.get(f"/dataset/{name}.jsonld").status_code == 200
    assert client.get(f"/dataset/{name}/datapackage.json").status_code == 200
