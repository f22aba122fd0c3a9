"""What search holds in memory (`catalogue/snapshot.py`) follows every write to the catalogue:
publish, edit, withdrawal, import, a quality verdict, a cascade, and nothing of a rollback."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from steward.catalogue.models import CatalogueEntry, SearchRow, SearchVersion
from steward.catalogue.search import (
    count_and_facets,
    find,
    matches_of,
    parse_fq,
    ranked_entries,
)
from steward.catalogue.tests.conftest import publish_record, record_verdicts
from steward.conftest import Cast
from steward.datasets import services
from steward.datasets.models import Dataset, Decision
from steward.datasets.workflow import Status

pytestmark = pytest.mark.django_db


def token() -> str:
    return SearchVersion.objects.get().token


def found(q: str = "") -> list[str]:
    rows, terms = find(SearchRow.objects.all(), q, [])
    return [entry.title for entry in ranked_entries(matches_of(rows), terms, 0, 100)]


def facet(field: str, q: str = "") -> dict[str, int]:
    rows, _terms = find(SearchRow.objects.all(), q, [])
    _total, facets = count_and_facets(rows, [field], 50)
    return {name: n for name, _display, n in facets[field]}


def test_an_import_and_an_edit_are_found_by_the_next_search(
    catalogue: list[Dataset], cast: Cast
) -> None:
    assert found("預算") == ["乙署預算書"]  # the snapshot is built
    before = token()
    publish_record(catalogue[0].organisation, 4, title="就業服務統計", keyword=["就業"])
    assert token() != before
    assert found("就業服務") == ["就業服務統計"]
    assert facet("tags", "就業") == {"就業": 1}

    record = CatalogueEntry.objects.get(dataset=catalogue[2]).record
    services.update_from_source(
        catalogue[2], by=cast.centre, metadata={**record, "title": "乙署決算書"}, source="test"
    )
    assert found("預算書") == [] and found("決算") == ["乙署決算書"]


def test_a_quality_verdict_changes_the_facets_and_a_cascade_removes_the_row(
    catalogue: list[Dataset],
) -> None:
    assert facet("quality_mark") == {}
    wages = catalogue[0]
    record_verdicts(wages.organisation, [(f"{wages.identifier}-001", "gold", 3)])
    assert facet("quality_mark") == {"金標章": 1}
    assert facet("openness_stars") == {"3": 1}

    Dataset.objects.filter(pk=wages.pk).delete()  # cascades to the entry and its search row
    assert facet("quality_mark") == {}
    assert "勞工保險投保薪資分級表" not in found()


def test_a_withdrawn_dataset_leaves_the_search(walk_to: Any, cast: Cast, meeting: Any) -> None:
    dataset = walk_to(Status.SCHEDULED)
    assert found("業務統計") == []
    dataset = services.mark_published(dataset, by=cast.centre, portal_identifier="170001")
    assert found("業務統計") == ["甲署業務統計"]
    services.request_withdrawal(
        dataset, by=cast.liaison, reason="資料來源已停止", becomes="on_request"
    )
    dataset.refresh_from_db()
    dataset = services.record_withdrawal_discussion(
        dataset, meeting=meeting, decision=Decision.WITHDRAW, by=cast.centre
    )
    assert found("業務統計") == ["甲署業務統計"]  # public until the withdrawal is done
    dataset = services.approve_withdrawal(dataset, by=cast.head)
    services.publish_withdrawal_notice(dataset, by=cast.centre)
    assert found("業務統計") == []
    assert found() == []


def test_the_national_catalogue_import_is_searchable_at_once(tree: Any, cast: Cast) -> None:
    from steward.publishing.catalogue.importing import import_catalogue
    from steward.publishing.tests.portal_export import export_bytes, make_agencies, portal_rows

    assert found() == []
    make_agencies(tree.ministry)
    import_catalogue(
        export_bytes(list(portal_rows(3))), ministry=tree.ministry, by=cast.centre, file="x.csv"
    )
    titles = set(Dataset.objects.values_list("title", flat=True))
    assert len(titles) == 3 and set(found()) == titles


def test_a_search_inside_a_rolled_back_write_is_forgotten(catalogue: list[Dataset]) -> None:
    before = token()
    with pytest.raises(RuntimeError), transaction.atomic():
        publish_record(catalogue[0].organisation, 5, title="尚未確定的資料集")
        assert found("尚未確定") == ["尚未確定的資料集"]  # this transaction sees it
        raise RuntimeError
    assert token() == before
    assert found("尚未確定") == []


def test_a_write_after_the_version_row_was_emptied_is_seen(catalogue: list[Dataset]) -> None:
    """A flush (transactional tests, `steward flush`) empties every table, the version too."""
    assert found("預算") == ["乙署預算書"]
    SearchVersion.objects.all().delete()
    publish_record(catalogue[0].organisation, 6, title="預算執行表")
    assert token() != ""
    assert found("預算") == ["乙署預算書", "預算執行表"]  # its keyword 預算 ranks it first


@pytest.mark.parametrize(
    ("q", "fq"),
    [("統計", "res_format:CSV"), ("投保薪資", "res_format:JSON"), ("統計 OR 預算", "tags:預算"),
     ("預算", "organization:a17020000j"), ("amount(月投保薪資)", "res_format:CSV"),
     ("", "res_format:PDF"), ("統計", "openness_stars:many"), ("不存在", "groups:E00")],
)  # fmt: skip
def test_the_matches_of_a_query_and_a_filter_are_those_sql_finds(
    catalogue: list[Dataset], q: str, fq: str
) -> None:
    rows, _terms = find(SearchRow.objects.all(), q, parse_fq(fq))
    matches = matches_of(rows)
    in_memory = {int(matches.snapshot.ids[p]) for p in matches.found.nonzero()[0]}
    assert in_memory == set(rows.values_list("entry_id", flat=True))


def test_pages_of_the_ranked_matches_follow_each_other(catalogue: list[Dataset]) -> None:
    for serial, title in enumerate(["統計年報", "預算統計", "其他"], start=10):
        publish_record(catalogue[0].organisation, serial, title=title, description="統計與預算")
    rows, terms = find(SearchRow.objects.all(), "統計 OR 預算", [])
    matches = matches_of(rows)
    whole = [entry.title for entry in ranked_entries(matches, terms, 0, 100)]
    one_by_one = [entry.title for n in range(7) for entry in ranked_entries(matches, terms, n, 1)]
    assert one_by_one == whole and len(whole) == matches.total == 5  # not 分級表
    assert whole[0] == "預算統計"  # both terms in its title
    assert ranked_entries(matches, terms, 5, 20) == []


def test_the_search_page_counts_and_pages_from_the_snapshot(
    client: Client, catalogue: list[Dataset]
) -> None:
    for serial in range(10, 35):
        publish_record(catalogue[0].organisation, serial, title=f"統計第{serial}號")
    first = client.get("/dataset/", {"q": "統計"}).content.decode()
    assert "找到 26 筆資料集" in first
    second = client.get("/dataset/", {"q": "統計", "page": "2"}).content.decode()
    assert "職業災害統計" in second or "職業災害統計" in first
    shown = [f"統計第{n}號" for n in range(10, 35) if f"統計第{n}號" in first + second]
    assert len(shown) == 25
