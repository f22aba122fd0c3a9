"""Out-of-range numbers, dates and periods get a clear 4xx, never a 500, and change nothing.

Each case below gave a 500 before (issue 10): integers of 2^63 and more in paths and queries,
negative years, `period=9999Q4`, the first and last dates Python knows on the working-day API,
an empty meeting number. The pages given the same parameters answer too.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from steward.conftest import Cast, Tree
from steward.datasets.models import CommitteeMeeting
from steward.inventory.models import AgencyInventory, InventoryItem

HUGE = 2**63


def signed_in(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def problem_fields(response: Any) -> list[str]:
    """The parameter or field each 422 problem names (`loc`'s last part)."""
    assert response.status_code == 422, response.content
    return [str(issue["loc"][-1]) for issue in response.json()["detail"]]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"/api/publishing/outbox?dataset={HUGE}", "dataset"),
        (f"/api/publishing/outbox/{HUGE}", "entry_id"),
        (f"/api/quality/runs/1/results?page={HUGE}", "page"),
        ("/api/quality/runs/1/results?page=-1", "page"),
        (f"/api/inventory/returns?year={HUGE}", "year"),
        ("/api/inventory/returns?year=-5", "year"),
        ("/api/inventory/targets?year=3000", "year"),
        (f"/api/inventory/items?year={HUGE}", "year"),
        (f"/api/inventory/items/{HUGE}", "item_id"),
        (f"/api/datasets/{HUGE}", "dataset_id"),
        (f"/api/datasets/?organisation_id={HUGE}", "organisation_id"),
        ("/api/calendars/working-day?date=0001-01-01", "date"),
        ("/api/calendars/working-day?date=9999-12-31", "date"),
        (f"/api/calendars/years/{HUGE}/days", "year"),
        ("/api/calendars/years/-1/changes", "year"),
        (f"/api/quality/measures?organisation_id={HUGE}&period=2026", "organisation_id"),
    ],
)
def test_an_out_of_range_parameter_is_422_naming_it(cast: Cast, url: str, field: str) -> None:
    assert problem_fields(signed_in(cast.centre).get(url)) == [field]


@pytest.mark.parametrize("year", [HUGE, -3, 0, 3000])
def test_a_return_step_for_a_year_we_do_not_keep_is_422_and_creates_nothing(
    cast: Cast, tree: Tree, year: int
) -> None:
    client = signed_in(cast.centre)
    for step, body in (("submit", {}), ("return", {"reason": "缺漏"})):
        response = client.post(
            f"/api/inventory/returns/{tree.agency_a.pk}/{year}/{step}",
            body,
            content_type="application/json",
        )
        assert problem_fields(response) == ["year"]
    assert not AgencyInventory.objects.exists()


@pytest.mark.parametrize("period", ["9999Q4", "0001Q1", "1911", "2201H1"])
def test_a_period_outside_the_years_we_keep_is_400_with_a_chinese_reason(
    cast: Cast, tree: Tree, period: str
) -> None:
    client = signed_in(cast.centre)
    answer = client.get(f"/api/quality/measures?organisation_id={tree.ministry.pk}&period={period}")
    assert answer.status_code == 400
    assert period in answer.json()["detail"] and "1912" in answer.json()["detail"]
    page = client.get(f"/quality/measures/?period={period}&organisation={tree.ministry.pk}")
    assert page.status_code == 200
    assert "超出本系統保存的年份範圍" in page.content.decode()


@pytest.mark.parametrize("number", ["", "   "])
def test_a_meeting_without_a_number_is_refused_and_not_recorded(cast: Cast, number: str) -> None:
    response = signed_in(cast.centre).post(
        "/api/datasets/meetings",
        {"held_on": "2026-03-02", "number": number},
        content_type="application/json",
    )
    assert problem_fields(response) == ["number"]
    page = signed_in(cast.centre).post(
        "/datasets/meetings/", {"held_on": "2026-03-02", "number": number}
    )
    assert page.status_code == 200 and "errorlist" in page.content.decode()
    assert not CommitteeMeeting.objects.exists()


def test_the_returns_page_for_a_year_we_do_not_keep_shows_this_year_with_a_message(
    cast: Cast,
) -> None:
    page = signed_in(cast.centre).get(f"/inventory/returns/?year={HUGE}")
    assert page.status_code == 200
    assert "不在本系統保存的年份範圍" in page.content.decode()


@pytest.mark.parametrize("year", [HUGE, 3000, 1000])
def test_a_return_page_step_for_a_year_we_do_not_keep_is_404_and_creates_nothing(
    cast: Cast, tree: Tree, year: int
) -> None:
    client = signed_in(cast.centre)
    for path in (
        f"/inventory/returns/{tree.agency_a.pk}/{year}/submit/",
        f"/inventory/returns/{tree.agency_a.pk}/{year}/return/",
        f"/inventory/compilations/{tree.ministry.pk}/{year}/compile/",
    ):
        assert client.post(path, {"reason": "缺漏"}).status_code == 404
    assert not AgencyInventory.objects.exists()


def test_an_item_with_a_control_character_is_refused_so_the_export_never_breaks(
    cast: Cast, tree: Tree
) -> None:
    """Schemathesis stored a name holding U+0002 through the API; the XLSX export then gave 500."""
    client = signed_in(cast.liaison)
    response = client.post(
        "/api/inventory/items",
        {
            "organisation_id": tree.unit_a1.pk,
            "name": "案件\x02統計",
            "classification": "open",
            "planned_year": 2026,
            "planned_half": "H1",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "U+0002" in response.json()["fields"]["name"][0]
    assert not InventoryItem.objects.exists()
    assert client.get("/api/inventory/export?format=xlsx").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        f"/inventory/?year={HUGE}&agency={HUGE}&unit={HUGE}&page={HUGE}",
        f"/inventory/export/?year={HUGE}&agency={HUGE}",
        f"/inventory/items/{HUGE}/",
        "/inventory/returns/?year=-1",
        f"/quality/runs/{HUGE}/",
        f"/quality/measures/?period=9999Q4&organisation={HUGE}",
        f"/calendars/{HUGE}/",
        f"/datasets/{HUGE}/",
        f"/datasets/?status=x&page={HUGE}",
        f"/publishing/?dataset={HUGE}",
        f"/plans/{'x' * 300}/",
    ],
)
def test_a_page_given_out_of_range_parameters_answers_without_a_server_error(
    cast: Cast, url: str
) -> None:
    client = signed_in(cast.centre)
    client.raise_request_exception = False
    assert client.get(url).status_code in (200, 302, 404)
