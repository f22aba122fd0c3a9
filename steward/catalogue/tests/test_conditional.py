"""Public pages, the CKAN Action API and DCAT carry an ETag and answer 304 while nothing changed."""

from __future__ import annotations

import pytest
from django.test import Client

from steward.catalogue.tests.conftest import publish_record
from steward.conftest import Tree
from steward.datasets.models import Dataset

pytestmark = pytest.mark.django_db

URLS = [
    "/catalogue/",
    "/catalogue/t-ministry/",
    "/dataset/?q=投保薪資",
    "/dataset/a17010000j-000001",
    "/organization/a17010000j",
    "/api/3/action/package_search?q=投保薪資",
    "/api/action/package_show?id=a17010000j-000001",
    "/catalog.ttl",
    "/catalog.jsonld",
]


@pytest.mark.parametrize("url", URLS)
def test_a_repeated_request_gets_304_until_the_catalogue_changes(
    client: Client, tree: Tree, catalogue: list[Dataset], url: str
) -> None:
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200

    publish_record(tree.unit_b1, 4, title="新發布的資料集")
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_the_etag_differs_by_language(client: Client, catalogue: list[Dataset]) -> None:
    chinese = client.get("/catalogue/").headers["ETag"]
    client.post("/i18n/setlang/", {"language": "en", "next": "/catalogue/"})
    english = client.get("/catalogue/", headers={"If-None-Match": chinese})
    assert english.status_code == 200 and english.headers["ETag"] != chinese
