"""The download page: scoped like every page, clear 400 pages for what is not a report, a
zh-Hant file name, and what rendering could not do said."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse

from steward.conftest import Cast, MinistryB, Tree, table_snapshot
from steward.plans.models import Plan
from steward.reports.models import StoredReport

URL = "/reports/download/"


def _get(client: Client, **query: Any) -> Any:
    return client.get(URL, query)


def test_the_route_is_named_as_agreed() -> None:
    assert reverse("reports:download") == URL


def test_the_centre_downloads_a_ministry_report_as_odt_with_a_chinese_file_name(
    client: Client, cast: Cast, tree: Tree, plan: Plan
) -> None:
    client.force_login(cast.centre)
    response = _get(
        client, kind="amendment_table", organisation="t-ministry", period="2026", format="odt"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.text"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    assert "修正對照表" in unquote(disposition.split("filename*=utf-8''", 1)[1])
    assert response.content[:2] == b"PK"  # a zip: the ODF package


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"kind": "nonsense"}, "nonsense"),
        ({"format": "docx"}, "docx"),
        ({"period": "2026Q9"}, "2026Q9"),
        ({"period": ""}, "period"),
    ],
)
def test_what_is_not_a_report_is_a_400_page_saying_what(
    client: Client, cast: Cast, tree: Tree, plan: Plan, query: dict[str, str], says: str
) -> None:
    client.force_login(cast.centre)
    asked = {"kind": "amendment_table", "organisation": "t-ministry", "period": "2026"}
    asked |= {"format": "odt", **query}
    before = table_snapshot()
    response = _get(client, **asked)
    assert response.status_code == 400
    page = response.content.decode()
    assert says in page
    assert "報告無法依所請產製" in page  # the page is in Chinese
    assert table_snapshot() == before


def test_an_organisation_outside_the_person_s_scope_is_not_found(
    client: Client, cast: Cast, tree: Tree, plan: Plan, ministry_b: MinistryB
) -> None:
    client.force_login(cast.liaison)  # unit A1 only
    for key in ("t-agency-b", "t-ministry", ministry_b.ministry.key, "no-such-key"):
        response = _get(
            client, kind="quarterly_progress", organisation=key, period="2026Q1", format="odt"
        )
        assert response.status_code == 404, key
    client.force_login(ministry_b.centre)
    response = _get(
        client, kind="quarterly_progress", organisation="t-ministry", period="2026Q1", format="odt"
    )
    assert response.status_code == 404
    assert "測試部" not in response.content.decode()


def test_signing_in_is_needed(client: Client, tree: Tree) -> None:
    response = _get(
        client, kind="evaluation", organisation="t-ministry", period="2026", format="odt"
    )
    assert response.status_code == 302
    assert "/login" in response["Location"] or "accounts" in response["Location"]


def test_a_pdf_that_cannot_be_made_comes_as_odt_and_says_why(
    client: Client, cast: Cast, tree: Tree, plan: Plan, settings: Any
) -> None:
    settings.STEWARD_REPORT_SOFFICE = "/no/such/soffice"
    client.force_login(cast.centre)
    response = _get(
        client, kind="amendment_table", organisation="t-ministry", period="2026", format="pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.text"
    assert unquote(response["X-Report-Problems"])
    page = client.get("/reports/").content.decode()  # the next page says it
    assert unquote(response["X-Report-Problems"]).split(" | ")[0] in page


def test_the_reports_page_lists_the_kinds_and_only_reports_in_scope(
    client: Client, cast: Cast, tree: Tree, plan: Plan
) -> None:
    from django.core.files.base import ContentFile

    for organisation in (tree.agency_a, tree.agency_b):
        report = StoredReport(
            kind="quarterly_progress", organisation=organisation, period="2026Q1",
            format="odt", title=f"{organisation.name}季報", filename="x.odt",
            content_type="application/vnd.oasis.opendocument.text", inputs_version="x",
        )  # fmt: skip
        report.file.save("x.odt", ContentFile(b"PK"), save=True)
    client.force_login(cast.head)  # head of agency A
    page = client.get("/reports/").content.decode()
    assert "資料開放季報" in page and "修正對照表" in page
    assert "甲署季報" in page
    assert "乙局季報" not in page
    other = StoredReport.objects.get(organisation=tree.agency_b)
    assert client.get(reverse("reports:stored", args=[other.pk])).status_code == 404
    mine = StoredReport.objects.get(organisation=tree.agency_a)
    response = client.get(reverse("reports:stored", args=[mine.pk]))
    assert response.status_code == 200
    assert response.getvalue() == b"PK"
