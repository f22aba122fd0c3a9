"""DCAT-AP 3.0.1: the catalogue validates with 0 violations against the official SHACL shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from pyshacl import validate
from rdflib import Graph, Namespace, URIRef
from rdflib import namespace as ns

from steward.catalogue.dcat import file_type_code, frequency_code
from steward.datasets.models import Dataset

pytestmark = pytest.mark.django_db

SHAPES = Path(__file__).resolve().parent / "dcat_ap_3_0_1"  # the official file, unchanged
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU = "http://publications.europa.eu/resource/authority/"


def shapes() -> Graph:
    return Graph().parse(SHAPES / "dcat-ap-SHACL.ttl", format="turtle")


def fetch(client: Client, url: str, syntax: str) -> Graph:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return Graph().parse(data=response.content, format=syntax)


@pytest.mark.parametrize(
    ("url", "syntax"),
    [("/catalog.ttl", "turtle"), ("/catalog.jsonld", "json-ld"), ("/catalog.rdf", "xml")],
)
def test_every_syntax_validates_with_no_violation(
    client: Client, catalogue: list[Dataset], url: str, syntax: str
) -> None:
    data = fetch(client, url, syntax)
    conforms, _graph, text = validate(
        data, shacl_graph=shapes(), inference="none", abort_on_first=False, allow_warnings=True
    )
    assert conforms, text
    assert len(set(data.subjects(ns.RDF.type, ns.DCAT.Dataset))) == 3
    assert len(set(data.subjects(ns.RDF.type, ns.DCAT.Distribution))) == 4


def test_the_standard_maps_onto_the_eu_vocabularies(
    client: Client, catalogue: list[Dataset]
) -> None:
    data = fetch(client, "/catalog.ttl", "turtle")
    dataset = URIRef(f"http://testserver/dataset/{catalogue[0].identifier.lower()}")
    assert (dataset, ns.DCTERMS.accrualPeriodicity, URIRef(EU + "frequency/ANNUAL")) in data
    formats = set(data.objects(None, ns.DCTERMS.format))
    assert {URIRef(EU + "file-type/CSV"), URIRef(EU + "file-type/JSON")} <= formats
    publisher = data.value(dataset, ns.DCTERMS.publisher)
    assert (publisher, ns.RDF.type, ns.FOAF.Agent) in data
    assert str(data.value(publisher, ns.DCTERMS.identifier)) == "A17010000J"
    assert str(data.value(publisher, ns.FOAF.name)) == "甲署"
    titles = {str(t) for t in data.objects(dataset, ns.DCTERMS.title)}
    assert titles == {"勞工保險投保薪資分級表"}


@pytest.mark.parametrize(
    ("text", "code"),
    [("每1年", "ANNUAL"), ("每年", "ANNUAL"), ("每季", "QUARTERLY"), ("每月", "MONTHLY"),
     ("每半年", "BIANNUAL"), ("每日", "DAILY"), ("每周", "WEEKLY"), ("每小時", "HOURLY"),
     ("每10分鐘", "10MIN"), ("即時", "UPDATE_CONT"), ("不定期", "IRREG"), ("不更新", "NEVER"),
     ("每10日", "OTHER"), ("偶爾", "UNKNOWN")],
)  # fmt: skip
def test_update_frequencies_map_to_the_eu_frequency_codes(text: str, code: str) -> None:
    assert frequency_code(text) == code


def test_formats_map_to_eu_file_types() -> None:
    assert file_type_code("csv") == "CSV"
    assert file_type_code("壓縮檔") == "ZIP"
    assert file_type_code("RDF") == "RDF_XML"
    assert file_type_code("SERVICES") is None


def test_pages_follow_hydra_as_ckanext_dcat_does(
    client: Client, catalogue: list[Dataset], settings: Any
) -> None:
    import steward.catalogue.views as views

    views_page_size = views.PER_PAGE
    views.PER_PAGE = 2
    try:
        first = fetch(client, "/catalog.ttl", "turtle")
        second = fetch(client, "/catalog.ttl?page=2", "turtle")
    finally:
        views.PER_PAGE = views_page_size
    [paging] = list(first.subjects(ns.RDF.type, HYDRA.PagedCollection))
    assert str(first.value(paging, HYDRA.totalItems)) == "3"
    assert str(first.value(paging, HYDRA.itemsPerPage)) == "2"
    assert str(first.value(paging, HYDRA.nextPage)).endswith("/catalog.ttl?page=2")
    assert str(first.value(paging, HYDRA.lastPage)).endswith("page=2")
    assert len(set(first.subjects(ns.RDF.type, ns.DCAT.Dataset))) == 2
    assert len(set(second.subjects(ns.RDF.type, ns.DCAT.Dataset))) == 1
    [paging2] = list(second.subjects(ns.RDF.type, HYDRA.PagedCollection))
    assert second.value(paging2, HYDRA.nextPage) is None


@pytest.mark.parametrize("page", ["0", "-1", "x", "99999999999999999999"])
def test_a_bad_page_is_a_clear_400(client: Client, page: str) -> None:
    response = client.get(f"/catalog.ttl?page={page}")
    assert response.status_code == 400
    assert "page" in response.content.decode()


def test_an_unknown_ministry_is_404(client: Client, catalogue: list[Dataset]) -> None:
    assert client.get("/catalog.ttl?ministry=nowhere").status_code == 404
