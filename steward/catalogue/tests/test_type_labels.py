"""資料集類型 reads as the portal's Chinese label wherever a type is shown (the public page
showed 「資料集類型 rawData」)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from steward.conftest import Cast
from steward.datasets.metadata import shown_value
from steward.datasets.models import Dataset, DatasetType
from steward.datasets.standard import DATASET_TYPES


def _row(page: str, label: str) -> str:
    found = re.search(rf"<th scope=\"row\">{label}</th>\s*<td[^>]*>(.*?)</td>", page, re.S)
    assert found is not None, label
    return found[1].strip()


def test_the_public_dataset_page_names_the_type_in_chinese(
    client: Client, catalogue: list[Dataset]
) -> None:
    dataset = catalogue[0]
    assert dataset.type == DatasetType.RAW_DATA
    page = client.get(f"/dataset/{dataset.identifier.lower()}").content.decode()
    assert _row(page, "資料集類型") == "原始資料"
    visible = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert "rawData" not in visible


@pytest.mark.parametrize(
    ("value", "label"), [("rawData", "原始資料"), ("SERVICES", "系統介接程式"), ("TOOLS", "工具")]
)
def test_every_type_value_has_the_portal_s_label(value: str, label: str) -> None:
    assert set(DATASET_TYPES) == {choice.value for choice in DatasetType}
    assert shown_value("type", value) == label


def test_the_staff_review_page_names_the_type_in_chinese(
    client: Client, cast: Cast, catalogue: list[Dataset]
) -> None:
    client.force_login(cast.centre)
    page = client.get(f"/datasets/{catalogue[0].pk}/review/").content.decode()
    assert "原始資料" in page and "rawData" not in page
