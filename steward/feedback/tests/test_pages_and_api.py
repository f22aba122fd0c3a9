"""The agency's inbox (scoped, with due colours), the CIO's approval queue, staff entry, the
item page's steps, and the JSON API for items and figures."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from zoneinfo import ZoneInfo

import time_machine
from django.test import Client

from steward.conftest import Cast, Tree
from steward.feedback import services
from steward.feedback.models import Channel, FeedbackItem, Kind, Status

TAIPEI = ZoneInfo("Asia/Taipei")


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=TAIPEI)


def entered(cast: Cast, organisation: object, received: str, text: str = "意見") -> FeedbackItem:
    return services.enter(
        by=cast.centre, kind=Kind.COMMENT, text=text, organisation=organisation,  # type: ignore[arg-type]
        received_at=at(received), channel=Channel.NATIONAL_PORTAL,
    )  # fmt: skip


@time_machine.travel(at("2026-03-10T09:00"), tick=False)
def test_the_inbox_shows_only_the_agencys_items_coloured_by_due_time(
    client: Client, cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    overdue = entered(cast, tree.unit_a1, "2026-03-01T10:00", "逾期的意見")  # due 7 March
    soon = entered(cast, tree.unit_a1, "2026-03-05T10:00", "快到期的意見")  # due 11 March
    later = entered(cast, tree.unit_a1, "2026-03-10T08:00", "剛收到的意見")  # due 16 March
    entered(cast, tree.unit_b1, "2026-03-09T10:00", "乙局的意見")
    client.force_login(cast.liaison)
    page = client.get("/feedback/").content.decode()
    assert "乙局的意見" not in page  # text is not on the inbox, but neither is its row
    assert page.count('href="/feedback/') >= 3
    for item, colour in ((overdue, "bad"), (soon, "warn"), (later, "ok")):
        assert f'<span class="due {colour}">{item.due_on:%Y-%m-%d}' in page
    assert "已逾期" in page and "即將到期" in page
    client.force_login(cast.other_liaison)
    assert client.get(f"/feedback/{overdue.pk}/").status_code == 404


@time_machine.travel(at("2026-03-10T09:00"), tick=False)
def test_the_cio_approves_from_the_queue_and_others_cannot(
    client: Client, cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("moj")
    item = entered(cast, tree.unit_a1, "2026-03-09T10:00")
    client.force_login(cast.liaison)
    client.post(f"/feedback/{item.pk}/draft/", {"reply_text": "已更正"})
    client.post(f"/feedback/{item.pk}/submit/")
    item.refresh_from_db()
    assert item.status == Status.AWAITING_APPROVAL
    # The liaison sees no approve button, and posting it anyway changes nothing.
    page = client.get(f"/feedback/{item.pk}/").content.decode()
    assert "核准回復" not in page
    response = client.post(f"/feedback/{item.pk}/approve/", follow=True)
    assert "您的角色不能對此件執行這個步驟" in response.content.decode()
    item.refresh_from_db()
    assert item.status == Status.AWAITING_APPROVAL
    client.force_login(cast.cio)
    queue = client.get("/feedback/approvals/").content.decode()
    assert f"#{item.pk}" in queue
    client.post(f"/feedback/{item.pk}/approve/", {"comment": "同意"})
    item.refresh_from_db()
    assert item.status == Status.APPROVED and item.approved_by == cast.cio
    assert f"#{item.pk}" not in client.get("/feedback/approvals/").content.decode()


@time_machine.travel(at("2026-03-10T09:00"), tick=False)
def test_staff_entry_keeps_the_received_time_and_refuses_the_future(
    client: Client, cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    client.force_login(cast.centre)
    form = {"kind": Kind.DATA_REQUEST, "channel": Channel.LETTER, "organisation": tree.agency_a.pk,
            "received_at": "2026-03-02T16:30", "text": "請開放職訓資料", "dataset": "",
            "subject": "", "contact_email": "", "external_reference": "勞字第1150001號"}  # fmt: skip
    response = client.post("/feedback/enter/", {**form, "received_at": "2026-03-11T09:00"})
    assert response.status_code == 400
    assert "收件時間 2026-03-11 09:00 晚於現在" in response.content.decode()
    assert not FeedbackItem.objects.exists()
    response = client.post("/feedback/enter/", form)
    item = FeedbackItem.objects.get()
    assert response.status_code == 302
    assert item.received_at == at("2026-03-02T16:30")
    assert item.due_on == datetime.date(2026, 3, 8)
    client.force_login(cast.outsider)
    assert client.get("/feedback/enter/").status_code == 403


@time_machine.travel(at("2026-03-20T09:00"), tick=False)
def test_the_api_lists_items_in_scope_takes_steps_and_gives_figures(
    client: Client, cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    ours = entered(cast, tree.unit_a1, "2026-03-02T10:00")
    theirs = entered(cast, tree.unit_b1, "2026-03-02T10:00")
    client.force_login(cast.liaison)
    listed = client.get("/api/feedback/items").json()["items"]
    assert [row["id"] for row in listed] == [ours.pk]
    assert listed[0]["due_on"] == "2026-03-08" and listed[0]["overdue"] is True
    assert client.get(f"/api/feedback/items/{theirs.pk}").status_code == 404
    drafted = client.post(f"/api/feedback/items/{ours.pk}/draft", {"text": "已更正"},
                          content_type="application/json")  # fmt: skip
    assert drafted.status_code == 200 and drafted.json()["status"] == "drafted"
    refused = client.post(f"/api/feedback/items/{ours.pk}/close", {},
                          content_type="application/json")  # fmt: skip
    assert refused.status_code == 409 and "已擬回復" in refused.json()["detail"]
    sent = client.post(f"/api/feedback/items/{ours.pk}/send", {}, content_type="application/json")
    assert sent.json()["status"] == "replied"
    # Figures are reports: the liaison of unit A1 sees agency A's, never agency B's.
    period = "start=2026-01-01&end=2026-04-01"
    agency = client.get(f"/api/feedback/figures?organisation_id={tree.agency_a.pk}&{period}")
    assert agency.status_code == 200 and agency.json()["items"] == [ours.pk]
    other = client.get(f"/api/feedback/figures?organisation_id={tree.agency_b.pk}&{period}")
    assert other.status_code == 404
    figures = client.get(
        f"/api/feedback/figures?organisation_id={tree.unit_a1.pk}&start=2026-01-01&end=2026-04-01"
    ).json()
    assert figures["count"] == 1 and figures["items"] == [ours.pk]
    assert figures["on_time"] == {"percent": "0.0", "numerator": [], "denominator": [ours.pk]}
    assert figures["median_reply"]["items"] == [ours.pk]
    empty = client.get(
        f"/api/feedback/figures?organisation_id={tree.unit_a1.pk}&start=2025-01-01&end=2025-04-01"
    ).json()
    assert empty["on_time"]["percent"] is None
    assert (
        client.get(
            f"/api/feedback/figures?organisation_id={tree.agency_b.pk}&start=2026-01-01&end=2026-04-01"
        ).status_code
        == 404
    )
    # Another agency's liaison may not reply through the API either.
    client.force_login(cast.other_liaison)
    assert client.post(f"/api/feedback/items/{ours.pk}/close", {},
                       content_type="application/json").status_code == 404  # fmt: skip


@time_machine.travel(at("2026-03-20T09:00"), tick=False)
def test_the_api_enters_items_with_a_clear_error_for_bad_input(
    client: Client, cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    client.force_login(cast.centre)
    body = {"kind": "comment", "text": "", "organisation_id": tree.agency_a.pk,
            "received_at": "2026-03-19T10:00:00+08:00", "channel": "national_portal"}  # fmt: skip
    response = client.post("/api/feedback/items", json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and "內容是空的" in response.json()["detail"]
    body["text"] = "意見"
    response = client.post("/api/feedback/items", json.dumps(body), content_type="application/json")
    assert response.status_code == 200 and response.json()["due_on"] == "2026-03-25"
