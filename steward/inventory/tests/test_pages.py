"""The inventory pages: scoping, filters, targets, the item form, import, export, workflow."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from steward.conftest import Cast, Tree
from steward.inventory.models import AgencyInventory, InventoryItem, InventoryStatus
from steward.inventory.tests.files import csv_bytes, xlsx
from steward.inventory.tests.helpers import NEW, open_item, plan_with_targets
from steward.organisations.models import Person


def client_for(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_a_liaison_of_agency_b_never_sees_agency_as_items(tree: Tree, cast: Cast) -> None:
    open_item(tree.unit_a1, "A-1", name="甲署的秘密資料")
    open_item(tree.unit_b1, "B-1", name="乙局的資料")
    page = client_for(cast.other_liaison).get(reverse("inventory:index")).content.decode()
    assert "乙局的資料" in page and "甲署的秘密資料" not in page
    item = InventoryItem.objects.get(identifier="A-1")
    response = client_for(cast.other_liaison).get(reverse("inventory:item_edit", args=[item.pk]))
    assert response.status_code == 404
    exported = client_for(cast.other_liaison).get(reverse("inventory:export") + "?format=csv")
    assert "甲署的秘密資料".encode() not in exported.content
    assert "乙局的資料".encode() in exported.content
    everything = client_for(cast.centre).get(reverse("inventory:index")).content.decode()
    assert "乙局的資料" in everything and "甲署的秘密資料" in everything


def test_the_list_filters_and_shows_totals_against_targets(tree: Tree, cast: Cast) -> None:
    plan_with_targets(tree.ministry, [(tree.agency_a, 2026, NEW, 5)])
    open_item(tree.unit_a1, "A-1", name="性別統計表", gender_statistics=True)
    open_item(tree.unit_a1, "A-2", name="一般統計表")
    open_item(tree.unit_a1, "A-3", name="明年的", year=2027)
    client = client_for(cast.centre)
    page = client.get(reverse("inventory:index"), {"gender_statistics": "true", "year": "2026"})
    text = page.content.decode()
    assert "性別統計表" in text and "一般統計表" not in text and "明年的" not in text
    assert page.context["rows"][1].organisation == tree.agency_a
    assert (page.context["rows"][1].planned, page.context["rows"][1].target) == (2, 5)
    searched = client.get(reverse("inventory:index"), {"q": "明年"}).content.decode()
    assert "明年的" in searched and "一般統計表" not in searched


def test_pages_are_in_traditional_chinese_by_default_and_english_on_request(
    tree: Tree, cast: Cast
) -> None:
    client = client_for(cast.liaison)
    chinese = client.get(reverse("inventory:index")).content.decode()
    assert "新增項目" in chinese and "Add an item" not in chinese
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = client.get(reverse("inventory:index")).content.decode()
    assert "Add an item" in english and "新增項目" not in english


def test_the_item_form_guards_unsaved_work_and_saves(tree: Tree, cast: Cast) -> None:
    client = client_for(cast.liaison)
    form = client.get(reverse("inventory:item_create")).content.decode()
    assert "data-guard" in form
    response = client.post(
        reverse("inventory:item_create"),
        {"organisation": tree.unit_a1.pk, "name": "新資料", "classification": "open",
         "planned": "115年上半年", "status": "planned"},
    )  # fmt: skip
    assert response.status_code == 302
    item = InventoryItem.objects.get()
    assert (item.planned_year, item.planned_half, item.identifier) == (2026, "H1", "0001")


def test_the_item_form_shows_the_rule_an_item_breaks(tree: Tree, cast: Cast) -> None:
    response = client_for(cast.liaison).post(
        reverse("inventory:item_create"),
        {"organisation": tree.unit_a1.pk, "name": "不開放的", "classification": "not_provided",
         "restriction_reason": "legal", "status": "inventoried"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "legal_basis" in response.context["form"].errors
    assert not InventoryItem.objects.exists()


def test_a_liaison_cannot_post_into_another_agencys_unit(tree: Tree, cast: Cast) -> None:
    response = client_for(cast.other_liaison).post(
        reverse("inventory:item_create"),
        {"organisation": tree.unit_a1.pk, "name": "x", "classification": "open",
         "planned": "2026H1", "status": "planned"},
    )  # fmt: skip
    assert response.status_code == 200 and "organisation" in response.context["form"].errors
    item = open_item(tree.unit_a1, "A-1")
    response = client_for(cast.auditor).post(
        reverse("inventory:item_edit", args=[item.pk]), {"name": "改"}
    )
    assert response.status_code == 403
    assert not InventoryItem.objects.filter(name="x").exists()


def test_the_import_page_lists_every_problem_and_imports_nothing(tree: Tree, cast: Cast) -> None:
    rows = [["資料名稱", "開放類別", "預計開放時間"], ["好", "開放", "115年上半年"],
            ["缺時間", "開放", ""], ["壞分類", "大概吧", "115年上半年"]]  # fmt: skip
    upload = io.BytesIO(xlsx(rows))
    upload.name = "盤點.xlsx"
    response = client_for(cast.liaison).post(
        reverse("inventory:import"), {"organisation": tree.unit_a1.pk, "file": upload}, follow=True
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "盤點.xlsx" in text and "缺時間" not in text
    problems = response.context["preview"].problems
    assert [(p.row, p.column) for p in problems] == [(3, "預計開放時間"), (3, "預計開放時間"),
                                                     (4, "開放類別")]  # fmt: skip
    assert not InventoryItem.objects.exists()


def test_the_import_page_imports_a_big5_csv(tree: Tree, cast: Cast) -> None:
    upload = io.BytesIO(csv_bytes([["資料名稱", "開放類別", "開放期程"],
                                   ["碁盤", "開放", "115/2"]], "cp950"))  # fmt: skip
    upload.name = "big5.csv"
    client = client_for(cast.liaison)
    response = client.post(
        reverse("inventory:import"), {"organisation": tree.unit_a1.pk, "file": upload}
    )
    assert response.status_code == 302 and not InventoryItem.objects.exists()
    token = response["Location"].rstrip("/").split("/")[-1]
    response = client.post(reverse("inventory:import_confirm", args=[token]))
    assert response.status_code == 302 and response["Location"] == reverse("inventory:index")
    assert InventoryItem.objects.get().name == "碁盤"


def test_an_upload_over_the_limit_is_refused_on_the_page(
    tree: Tree, cast: Cast, settings: object
) -> None:
    settings.STEWARD_MAX_UPLOAD_BYTES = 100  # type: ignore[attr-defined]
    upload = io.BytesIO(b"x" * 500)
    upload.name = "big.csv"
    response = client_for(cast.liaison).post(
        reverse("inventory:import"), {"organisation": tree.unit_a1.pk, "file": upload}
    )
    assert response.status_code == 400 and "500" in response.content.decode()


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_export_links_give_real_spreadsheets(tree: Tree, cast: Cast, fmt: str) -> None:
    open_item(tree.unit_a1, "A-1", name="碁盤")
    response = client_for(cast.liaison).get(reverse("inventory:export"), {"format": fmt})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    rows = workbook.get_sheet_by_index(0).to_python()
    assert rows[0][0] == "盤點編號" and rows[1][3] == "碁盤"


def test_a_big5_export_that_cannot_be_written_says_why(tree: Tree, cast: Cast) -> None:
    open_item(tree.unit_a1, "A-1", name="𠮟責")
    response = client_for(cast.liaison).get(
        reverse("inventory:export"), {"format": "csv-big5"}, follow=True
    )
    assert "Big5" in response.content.decode() or "CP950" in response.content.decode()


def test_workflow_buttons_appear_only_for_those_who_may_act(tree: Tree, cast: Cast) -> None:
    url = reverse("inventory:returns") + "?year=2026"
    submit_url = reverse("inventory:submit", args=[tree.agency_a.pk, 2026])
    compile_url = reverse("inventory:compile", args=[tree.ministry.pk, 2026])
    assert submit_url in client_for(cast.liaison).get(url).content.decode()
    assert submit_url not in client_for(cast.other_liaison).get(url).content.decode()
    assert submit_url not in client_for(cast.centre).get(url).content.decode()
    client_for(cast.liaison).post(submit_url)
    assert AgencyInventory.objects.get().status == InventoryStatus.SUBMITTED
    assert compile_url in client_for(cast.centre).get(url).content.decode()
    assert compile_url not in client_for(cast.cio).get(url).content.decode()
    client_for(cast.centre).post(compile_url)
    compilation = AgencyInventory.objects.get().compilation
    assert compilation is not None
    approve_url = reverse("inventory:approve", args=[compilation.pk])
    assert approve_url not in client_for(cast.centre).get(url).content.decode()
    assert approve_url in client_for(cast.cio).get(url).content.decode()
    client_for(cast.cio).post(approve_url)
    assert AgencyInventory.objects.get().status == InventoryStatus.APPROVED


def test_a_workflow_post_by_the_wrong_person_changes_nothing(tree: Tree, cast: Cast) -> None:
    submit_url = reverse("inventory:submit", args=[tree.agency_a.pk, 2026])
    assert client_for(cast.other_liaison).post(submit_url).status_code == 404
    response = client_for(cast.centre).post(submit_url)
    assert response.status_code == 403
    assert not AgencyInventory.objects.exclude(status=InventoryStatus.DRAFT).exists()


def test_a_shortfall_without_a_reason_is_refused_on_the_page_with_the_message(
    tree: Tree, cast: Cast
) -> None:
    plan_with_targets(tree.ministry, [(tree.agency_a, 2026, NEW, 2)])
    submit_url = reverse("inventory:submit", args=[tree.agency_a.pk, 2026])
    response = client_for(cast.liaison).post(submit_url, follow=True)
    assert "2" in response.content.decode()
    assert not AgencyInventory.objects.exists()  # refused: no draft left behind
    client_for(cast.liaison).post(submit_url, {"shortfall_reason": "預算刪減"})
    assert AgencyInventory.objects.get().shortfall_reason == "預算刪減"
