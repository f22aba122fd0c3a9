"""The one search (`catalogue/search.py`): its index answers as a substring scan would, on
SQLite (FTS5) and PostgreSQL (GIN) alike, and the quality facets follow recorded verdicts."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from steward.catalogue.models import CatalogueEntry, SearchRow
from steward.catalogue.search import (
    RUN_BREAK,
    Filter,
    count_and_facets,
    entries_of,
    find,
    matches_of,
    ranked_entries,
    tokens,
)
from steward.catalogue.tests.conftest import publish_record, record_verdicts
from steward.conftest import Cast
from steward.datasets import services as datasets
from steward.datasets.models import Dataset
from steward.datasets.tests.conftest import complete_resource

pytestmark = pytest.mark.django_db


def titles(q: str, **filters: str) -> list[str]:
    """The titles a search finds in the default order: ranked in memory, and the same as
    SQL's ORDER BY score (the CKAN API's other sorts) gives."""
    found, terms = find(
        SearchRow.objects.all(), q, [Filter(name, value) for name, value in filters.items()]
    )
    order = ["-score", "-published_at"] if terms else ["-published_at"]
    by_sql = [entry.title for entry in entries_of(found.order_by(*order, "identifier"))]
    in_memory = [entry.title for entry in ranked_entries(matches_of(found), terms, 0, 100)]
    assert in_memory == by_sql, connection.vendor
    return in_memory


def by_scan(q: str) -> set[str]:
    """What a plain substring scan of every entry finds (the meaning the index must keep)."""
    words = [w.lower() for w in q.split()]
    return {
        row.title for row in SearchRow.objects.all() if all(w in row.search_text for w in words)
    }


def test_tokens_are_characters_and_pairs_of_each_run_of_letters_and_digits() -> None:
    assert tokens("勞工保險 CSV、v2") == (
        f"勞工 工保 保險 {RUN_BREAK} cs sv {RUN_BREAK} v2 勞 工 保 險 c s v 2"
    )
    assert tokens("表 a") == "表 a"
    assert tokens("「」、。 ") == ""


def test_chinese_without_spaces_found_by_any_part(catalogue: list[Dataset]) -> None:
    wage_table = "勞工保險投保薪資分級表"
    assert titles("投保薪資") == [wage_table]
    assert titles("勞保") == [wage_table]  # two characters: a keyword
    assert titles("級") == [wage_table]  # one character
    assert titles("表") == [wage_table]  # one character, the last of the title
    assert titles("月投保薪資") == [wage_table]  # in 主要欄位說明
    assert titles("薪資投保") == []  # the characters, but not in this order


def test_mixed_chinese_and_english_any_case(catalogue: list[Dataset]) -> None:
    injuries = "職業災害統計 Occupational injuries"
    assert titles("職業災害 OCCUPATIONAL") == [injuries]
    assert titles("injur") == [injuries]
    assert titles('"occupational injuries"') == [injuries]  # a quoted phrase, with its space
    assert titles('"injuries occupational"') == []
    assert set(titles("預算 OR 職災")) == {injuries, "乙署預算書"}


def test_every_pair_present_but_not_the_whole_term_is_no_match(
    catalogue: list[Dataset],
) -> None:
    # 投保, 保薪 and 薪資 all occur, 投保薪資 does not: the index alone would say yes
    publish_record(
        catalogue[0].organisation, 7, title="名冊", description="投保名冊、保薪制度、薪資表"
    )
    assert titles("投保薪資") == ["勞工保險投保薪資分級表"]
    assert titles("投保薪資") == sorted(by_scan("投保薪資"))


def test_a_term_is_not_found_across_two_words(catalogue: list[Dataset]) -> None:
    # 「投保」 ends one run and 「保薪」 starts the next: their pairs are adjacent in the
    # index, but 「投保薪」 is not in the text
    publish_record(catalogue[0].organisation, 7, title="名冊", description="投保、保薪 制度")
    for q in ("投保薪", "投保保", "保保薪"):
        assert set(titles(q)) == by_scan(q), (q, connection.vendor)
    assert titles("投保薪") == ["勞工保險投保薪資分級表"]


def test_migration_0004_rewrites_the_tokens_of_existing_rows(catalogue: list[Dataset]) -> None:
    from django.apps import apps

    migration = importlib.import_module("steward.catalogue.migrations.0004_search_tokens_run_break")
    names = publish_record(catalogue[0].organisation, 7, title="名冊", description="投保、保薪")
    # as rows were indexed before the break: the runs' pairs one after another
    SearchRow.objects.filter(entry_id=names.pk).update(
        search_tokens="名冊 投保 保薪 名 冊 投 保 薪"
    )
    if connection.vendor == "sqlite":  # PostgreSQL confirms a longer term with a LIKE
        assert "名冊" in titles("投保薪")

    migration.retokenise(apps, None)

    assert titles("投保薪") == ["勞工保險投保薪資分級表"]
    assert titles("投保") == sorted(by_scan("投保"))


def test_tokens_keep_a_break_between_runs() -> None:
    assert tokens("投保、保薪") == f"投保 {RUN_BREAK} 保薪 投 保 薪"


@pytest.mark.parametrize(
    "q",
    ["投保薪資", "勞", "勞保", "統計", "職業災害 統計", "occupational", "資 預", "預算書", "grade(",
     "amount(月投保薪資)", "不存在"],
)  # fmt: skip
def test_the_index_finds_what_a_substring_scan_finds(catalogue: list[Dataset], q: str) -> None:
    publish_record(catalogue[0].organisation, 8, title="預算與投保", description="統計(月報)")
    assert set(titles(q)) == by_scan(q), connection.vendor


def test_a_title_hit_ranks_above_a_description_hit(catalogue: list[Dataset]) -> None:
    publish_record(catalogue[0].organisation, 9, title="其他資料", description="投保薪資的說明")
    assert titles("投保薪資") == ["勞工保險投保薪資分級表", "其他資料"]


def test_the_index_follows_edits_withdrawals_and_deletions(
    catalogue: list[Dataset], cast: Cast
) -> None:
    dataset = catalogue[2]
    record = CatalogueEntry.objects.get(dataset=dataset).record
    datasets.update_from_source(
        dataset, by=cast.centre, metadata={**record, "title": "乙署決算書"}, source="test"
    )
    assert titles("決算") == ["乙署決算書"] and titles("預算書") == []
    Dataset.objects.filter(pk=catalogue[1].pk).delete()  # cascades to the entry and its row
    assert titles("職業災害") == []
    assert SearchRow.objects.count() == CatalogueEntry.objects.count() == 2


def test_count_and_facets_read_only_the_ids_of_the_matches(
    catalogue: list[Dataset], django_assert_max_num_queries: Any
) -> None:
    found, _terms = find(SearchRow.objects.all(), "統計 OR 預算", [])
    count_and_facets(found, [], 10)  # the snapshot is built by the first search
    # its version, the matches' ids (on PostgreSQL between SET LOCAL and RESET), the agencies
    with django_assert_max_num_queries(5 if connection.vendor == "postgresql" else 3):
        total, facets = count_and_facets(found, ["organization", "res_format", "groups"], 10)
    assert total == 2
    assert facets["organization"] == [("a17010000j", "甲署", 1), ("a17020000j", "乙局", 1)]
    assert facets["res_format"] == [("CSV", "CSV", 1), ("PDF", "PDF", 1)]


def test_quality_mark_and_stars_follow_the_latest_verdicts(catalogue: list[Dataset]) -> None:
    wages, injuries = catalogue[0].identifier, catalogue[1].identifier
    organisation = catalogue[0].organisation
    # the best of a dataset's resources counts
    record_verdicts(organisation, [(f"{wages}-001", "bronze", 2), (f"{wages}-002", "gold", 3)])
    record_verdicts(organisation, [(f"{injuries}-001", "none", 1)])
    found, _ = find(SearchRow.objects.all(), "", [])
    _total, facets = count_and_facets(found, ["quality_mark", "openness_stars"], 10)
    assert facets["quality_mark"] == [("無標章", "無標章", 1), ("金標章", "金標章", 1)]
    assert facets["openness_stars"] == [("1", "1 星", 1), ("3", "3 星", 1)]
    assert titles("", quality_mark="金標章") == ["勞工保險投保薪資分級表"]
    assert titles("", quality_mark="gold") == ["勞工保險投保薪資分級表"]
    assert titles("", openness_stars="1") == ["職業災害統計 Occupational injuries"]
    # a later verdict replaces the earlier one
    record_verdicts(organisation, [(f"{wages}-002", "silver", 3)])
    assert titles("", quality_mark="銀標章") == ["勞工保險投保薪資分級表"]
    assert titles("", quality_mark="金標章") == []


def test_a_verdict_recorded_again_unchanged_keeps_the_mark_without_reading_the_catalogue(
    catalogue: list[Dataset],
) -> None:
    from django.test.utils import CaptureQueriesContext

    wages = catalogue[0]
    record_verdicts(wages.organisation, [(f"{wages.identifier}-001", "gold", 3)])
    with CaptureQueriesContext(connection) as queries:
        record_verdicts(wages.organisation, [(f"{wages.identifier}-001", "gold", 3)])
    # a re-check that changed no verdict cannot move a mark: the catalogue is not read
    assert not [q["sql"] for q in queries if "catalogue_" in q["sql"]]
    row = SearchRow.objects.get(entry_id=wages.pk)
    assert (row.quality_mark, row.stars) == ("gold", 3)
    record_verdicts(wages.organisation, [(f"{wages.identifier}-001", "silver", 3)])
    assert SearchRow.objects.get(entry_id=wages.pk).quality_mark == "silver"


def test_a_new_version_keeps_the_mark_of_its_resources(
    catalogue: list[Dataset], cast: Cast
) -> None:
    wages = catalogue[0]
    record_verdicts(wages.organisation, [(f"{wages.identifier}-001", "gold", 3)])
    record = CatalogueEntry.objects.get(dataset=wages).record
    datasets.update_from_source(
        wages, by=cast.centre, metadata={**record, "title": "投保薪資分級表"}, source="test"
    )
    row = SearchRow.objects.get(entry_id=wages.pk)
    assert (row.title, row.quality_mark, row.stars) == ("投保薪資分級表", "gold", 3)


def test_quality_facets_on_the_page_and_in_package_search(
    client: Client, catalogue: list[Dataset]
) -> None:
    wages = catalogue[0]
    record_verdicts(wages.organisation, [(f"{wages.identifier}-001", "none", 2)])
    page = client.get("/dataset/").content.decode()
    assert "品質標章" in page and "無標章" in page and "開放星等" in page and "2 星" in page
    assert ">none<" not in page
    filtered = client.get("/dataset/", {"quality_mark": "無標章"}).content.decode()
    assert "找到 1 筆資料集" in filtered
    answer = client.get(
        "/api/3/action/package_search",
        {"facet.field": json.dumps(["quality_mark", "openness_stars"]),
         "fq": "openness_stars:2"},
    ).json()  # fmt: skip
    assert answer["result"]["count"] == 1
    assert answer["result"]["facets"] == {"quality_mark": {"無標章": 1}, "openness_stars": {"2": 1}}
    items = answer["result"]["search_facets"]["openness_stars"]["items"]
    assert items == [{"name": "2", "display_name": "2 星", "count": 1}]


def test_a_resource_added_later_is_judged_with_the_others(
    catalogue: list[Dataset], cast: Cast
) -> None:
    wages = catalogue[0]
    record_verdicts(wages.organisation, [(f"{wages.identifier}-003", "gold", 4)])
    assert SearchRow.objects.get(entry_id=wages.pk).quality_mark == ""  # not its resource yet
    record = CatalogueEntry.objects.get(dataset=wages).record
    added = {**complete_resource(), "resourceID": f"{wages.identifier}-003"}
    datasets.update_from_source(
        wages,
        by=cast.centre,
        metadata={**record, "distribution": [*record["distribution"], added]},
        source="test",
    )
    assert SearchRow.objects.get(entry_id=wages.pk).quality_mark == "gold"


WAGES = {"勞工保險投保薪資分級表"}


@pytest.mark.parametrize(
    ("q", "expected"),
    [("勞*", WAGES), ("勞 AND", WAGES), ("勞\x00保", WAGES), ("NEAR(勞 保)", set()),
     ("search_tokens:勞", set()), ("{title}: 勞", set()), ("-勞", set()), ("勞^", set()),
     ('"勞', set()), ("(勞", set()), ("勞'保", set()), ("勞\\保", set()), ("%勞_", set())],
)  # fmt: skip
def test_fts_and_sql_syntax_in_a_term_is_only_text(
    catalogue: list[Dataset], q: str, expected: set[str]
) -> None:
    """FTS5 and SQL syntax in q is text to find (none of these characters is in any entry),
    never an error; a trailing * and AND mean what they mean to CKAN, NUL is dropped."""
    assert set(titles(q)) == expected


def test_a_filter_value_that_can_match_nothing_answers_nothing(
    client: Client, catalogue: list[Dataset]
) -> None:
    answer = client.get(
        "/api/3/action/package_search",
        {"fq": "openness_stars:many", "facet.field": '["organization"]'},
    ).json()
    assert answer["success"] is True
    assert answer["result"]["count"] == 0 and answer["result"]["facets"] == {"organization": {}}
    for stars in ("many", "99999999999999999999", "３"):
        page = client.get("/dataset/", {"openness_stars": stars})
        assert page.status_code == 200 and "找到 0 筆資料集" in page.content.decode()
