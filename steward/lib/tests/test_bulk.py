"""lib.bulk.insert_many writes what the ORM would: defaults, times, dates and JSON."""

from __future__ import annotations

import datetime

from django.utils import timezone

from steward.conftest import Tree
from steward.datasets.models import Dataset, DatasetVersion
from steward.lib.bulk import insert_many


def test_rows_are_inserted_with_defaults_times_dates_and_json(tree: Tree) -> None:
    issued = timezone.make_aware(datetime.datetime(2025, 6, 1, 9, 30))
    insert_many(
        Dataset,
        [
            {
                "organisation_id": tree.agency_a.pk,
                "identifier": f"A17010000J-00000{n}",
                "title": f"資料集{n}",
                "issued": issued,
                "temporalCoverageFrom": datetime.date(2020, 1, 1),
                "keyword": ["勞動", "統計"],
            }
            for n in (1, 2)
        ],
    )
    first = Dataset.objects.get(identifier="A17010000J-000001")
    assert first.title == "資料集1" and first.issued == issued
    assert first.temporalCoverageFrom == datetime.date(2020, 1, 1)
    assert first.keyword == ["勞動", "統計"]
    assert first.language == "zh-TW" and first.license.startswith("政府資料開放授權條款")
    assert first.created_at is not None and first.updated_at is not None
    insert_many(
        DatasetVersion,
        [
            {
                "dataset_id": first.pk,
                "number": 1,
                "metadata": {"title": "資料集1"},
                "published_at": issued,
            }
        ],
    )
    assert first.versions.get().metadata == {"title": "資料集1"}


def test_nothing_to_insert_is_no_query(tree: Tree, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        insert_many(Dataset, [])
