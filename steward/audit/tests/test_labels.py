"""Audit actions and states are shown in words: every action a service writes is registered."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from steward.audit.labels import action_label, registered_actions, state_label

STEWARD = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("app", ["inventory", "datasets"])
def test_every_action_an_apps_services_write_has_words(app: str) -> None:
    paths = [*(STEWARD / app).glob("services*.py"), *(STEWARD / app).glob("services/*.py")]
    source = "\n".join(path.read_text("utf-8") for path in paths)
    written = set(re.findall(r'action="([a-z_.]+)"', source))
    # the datasets' steps write action=f"dataset.{verb}" with verb="…" given by each step
    written |= {f"dataset.{verb}" for verb in re.findall(r'verb="([a-z_]+)"', source)}
    assert written, "the services write audit events"
    assert written <= registered_actions(), written - registered_actions()


def test_keys_become_words_in_chinese_and_english() -> None:
    with translation.override("zh-hant"):
        assert action_label("inventory.submit") == "提報資訊中心"
        assert state_label("submitted").startswith("已提報")
        assert action_label("something.unregistered") == "一項變更"
    with translation.override("en"):
        assert action_label("inventory.approve") == "approved by the CIO"
    assert state_label("") == ""


@pytest.mark.django_db
def test_an_inventory_items_history_shows_words_not_keys(
    client: Client, tree: Any, cast: Any
) -> None:
    from steward.inventory.services import create_item, update_item

    item = create_item(
        by=cast.liaison,
        organisation=tree.unit_a1,
        data={"name": "就業市場統計", "classification": "open", "planned_year": 2026,
              "planned_half": "H2"},
    )  # fmt: skip
    update_item(item, by=cast.liaison, data={"name": "就業市場統計（季）"})
    client.force_login(cast.liaison)
    page = client.get(f"/inventory/items/{item.pk}/").content.decode()
    assert "修改項目" in page
    assert "inventory.item.update" not in page
