"""The committee pages and the JSON API: composition shown with the rule quoted, the cadence,
the agenda with its links, minutes through the page and the API, and the refusals."""

from __future__ import annotations

import datetime
import json

from django.test import Client

from steward.committees import services
from steward.committees.models import ItemKind, Meeting, Seat
from steward.committees.tests.conftest import CIVIL_RULE, Committees, Waiting
from steward.conftest import Cast, Tree, table_snapshot
from steward.datasets.workflow import Status
from steward.organisations.work import waiting_for

HELD = datetime.date(2026, 8, 12)
JAN = datetime.date(2026, 1, 1)


def test_a_committee_breaking_the_rule_says_so_and_quotes_it(
    client: Client, cast: Cast, committees: Committees
) -> None:
    for name in ("民代甲", "民代乙", "民代丙"):
        services.add_member(
            committees.advisory, by=cast.centre, seat=Seat.CIVIL, since=JAN, name=name
        )
    client.force_login(cast.centre)
    page = client.get(f"/committees/{committees.advisory.pk}/").content.decode()
    assert "本小組組成不符行動方案規定" in page
    assert "行動方案要求民間代表至少 4 位；2026-08-20 在任者為 3 位。" in page
    assert CIVIL_RULE in page
    index = client.get("/committees/").content.decode()
    assert "不符行動方案規定" in index


def test_the_cadence_table_shows_each_quarter(
    client: Client, cast: Cast, committees: Committees
) -> None:
    services.record_meeting(committees.group_a, by=cast.head, held_on=datetime.date(2026, 2, 3))
    client.force_login(cast.head)
    page = client.get(f"/committees/{committees.group_a.pk}/").content.decode()
    assert '<span class="period-state held">已召開</span>' in page
    assert '<span class="period-state overdue">逾期未召開</span>' in page
    assert '<span class="period-state due">本期應召開</span>' in page
    assert "工作小組原則以每季召開一次。" in page


def test_minutes_through_the_page_move_the_dataset_and_say_what_was_not_applied(
    client: Client, cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    meeting = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    items = {item.kind: item for item in meeting.agenda.all()}
    waiting.not_provided.classification = "on_request"
    waiting.not_provided.save()
    client.force_login(cast.centre)
    page = client.get(f"/committees/meetings/{meeting.pk}/").content.decode()
    assert f'href="/datasets/{waiting.dataset.pk}/"' in page
    assert f'name="decision_{items[ItemKind.DATASET].pk}"' in page

    answer = client.post(
        f"/committees/meetings/{meeting.pk}/minutes/",
        {
            "minutes": "決議如下",
            f"decision_{items[ItemKind.DATASET].pk}": "approve",
            f"decision_{items[ItemKind.NOT_PROVIDED].pk}": "agree",
        },
        follow=True,
    )
    text = answer.content.decode()
    assert "已執行 1 項決議" in text
    assert "未執行：「" in text and "依申請提供" in text
    waiting.dataset.refresh_from_db()
    assert waiting.dataset.status == Status.CIO_APPROVAL


def test_a_meeting_recorded_twice_through_the_page_is_refused(
    client: Client, cast: Cast, committees: Committees
) -> None:
    client.force_login(cast.centre)
    url = f"/committees/{committees.advisory.pk}/meetings/"
    client.post(url, {"held_on": "2026-08-12", "attendees": "全體委員"})
    before = table_snapshot()
    answer = client.post(url, {"held_on": "2026-08-12"}, follow=True)
    assert "於 2026-08-12 的會議已登錄" in answer.content.decode()
    assert table_snapshot() == before


def test_a_liaison_sees_no_committee_page_of_the_ministry(
    client: Client, cast: Cast, committees: Committees
) -> None:
    client.force_login(cast.liaison)
    assert client.get(f"/committees/{committees.advisory.pk}/").status_code == 404
    before = table_snapshot()
    answer = client.post(
        f"/committees/{committees.advisory.pk}/members/",
        {"seat": "civil", "name": "某人", "since": "2026-01-01"},
    )
    assert answer.status_code == 404
    assert table_snapshot() == before


def test_the_api_lists_committees_a_page_at_a_time(
    client: Client, cast: Cast, committees: Committees
) -> None:
    client.force_login(cast.centre)
    body = client.get("/api/committees/?page_size=2").json()
    assert body["count"] == 4 and body["pages"] == 2 and len(body["items"]) == 2
    advisory = client.get(f"/api/committees/{committees.advisory.pk}").json()
    assert advisory["composition"]["breaks_rule"] is True
    assert advisory["composition"]["rule_as_written"] == CIVIL_RULE
    assert [p["state"] for p in advisory["cadence"]["periods"]] == [
        "overdue",
        "overdue",
        "due",
        "upcoming",
    ]
    assert client.get("/api/committees/?page=9").status_code == 404


def test_the_api_records_a_meeting_once_and_minutes_with_what_was_not_applied(
    client: Client, cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    client.force_login(cast.centre)
    url = f"/api/committees/{committees.advisory.pk}/meetings"
    created = client.post(url, {"held_on": "2026-08-12"}, content_type="application/json")
    assert created.status_code == 201
    meeting = created.json()
    again = client.post(url, {"held_on": "2026-08-12"}, content_type="application/json")
    assert again.status_code == 409 and "已登錄" in again.json()["detail"]
    agenda = {item["kind"]: item for item in meeting["agenda"]}
    waiting.withdrawing.status = Status.PUBLISHED  # somebody moved it meanwhile
    waiting.withdrawing.save()

    answer = client.post(
        f"/api/committees/meetings/{meeting['id']}/minutes",
        json.dumps(
            {
                "minutes": "紀錄",
                "decisions": [
                    {
                        "agenda_item_id": agenda["dataset"]["id"],
                        "decision": "reject",
                        "reasons": "主要欄位說明不足",
                    },
                    {"agenda_item_id": agenda["withdrawal"]["id"], "decision": "withdraw"},
                ],
            }
        ),
        content_type="application/json",
    )

    assert answer.status_code == 200
    body = answer.json()
    assert body["applied"] == [agenda["dataset"]["id"]]
    assert body["not_applied"][0]["agenda_item_id"] == agenda["withdrawal"]["id"]
    assert "「已發布」" in body["not_applied"][0]["why"]
    waiting.dataset.refresh_from_db()
    assert waiting.dataset.status == Status.RETURNED
    assert Meeting.objects.get(pk=meeting["id"]).minutes == "紀錄"


def test_work_waiting_on_the_secretariat_and_the_head(
    cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    meeting = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    kinds = [str(item.kind) for item in waiting_for(cast.centre)]
    assert "待登錄會議紀錄" in kinds
    assert "應召開小組會議" in kinds  # the working groups have not met this quarter
    waiting_items = [i for i in waiting_for(cast.centre) if str(i.kind) == "待諮詢小組審議"]
    assert [i.title for i in waiting_items] == ["測試部政府資料開放諮詢小組：3 項"]
    assert waiting_items[0].url == f"/committees/meetings/{meeting.pk}/"
    assert [str(item.kind) for item in waiting_for(cast.liaison) if "小組" in str(item.kind)] == []


def test_the_head_approves_not_provided_from_its_list(
    client: Client, tree: Tree, cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    meeting = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    item = meeting.agenda.get(kind=ItemKind.NOT_PROVIDED)
    services.record_minutes(
        meeting, by=cast.centre, minutes="同意", decisions={item.pk: services.DecisionIn("agree")}
    )

    def approvals() -> list[str]:
        return [w.title for w in waiting_for(cast.head) if str(w.kind) == "核可不予提供"]

    assert approvals() == ["0007 受刑人名冊"]
    client.force_login(cast.head)
    review = item.not_provided_review
    page = client.get("/committees/not-provided/").content.decode()
    assert "受刑人名冊" in page
    client.post(f"/committees/not-provided/{review.pk}/approve/")
    review.refresh_from_db()
    assert review.approved_by == cast.head
    assert approvals() == []


def test_the_list_and_the_work_take_as_many_queries_for_many_committees_as_for_few(
    client: Client, tree: Tree, cast: Cast, committees: Committees
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from steward.organisations.factories import OrganisationFactory
    from steward.organisations.models import OrganisationKind

    client.force_login(cast.centre)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as page:
            assert client.get("/committees/").status_code == 200
        with CaptureQueriesContext(connection) as work:
            waiting_for(cast.centre)
        return len(page), len(work)

    queries()  # warm the caches (content types, the session)
    few = queries()
    for number in range(3):
        OrganisationFactory.create(
            key=f"t-extra-{number}",
            name=f"增設機關{number}",
            kind=OrganisationKind.AGENCY,
            parent=tree.ministry,
        )
    services.set_up_from_plan(tree.ministry, by=cast.centre)
    assert queries() == few


def test_the_api_ends_a_seat_refreshes_an_agenda_and_approves_not_provided(
    client: Client, tree: Tree, cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    member = services.add_member(
        committees.advisory, by=cast.centre, seat=Seat.CIVIL, since=JAN, name="林美惠"
    )
    meeting = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    client.force_login(cast.centre)
    ended = client.post(
        f"/api/committees/members/{member.pk}/end",
        {"until": "2026-06-30"},
        content_type="application/json",
    )
    assert ended.status_code == 200 and ended.json()["until"] == "2026-06-30"
    early = client.post(
        f"/api/committees/members/{member.pk}/end",
        {"until": "2025-06-30"},
        content_type="application/json",
    )
    assert early.status_code == 400 and "卸任日期不得早於起任日期" in early.json()["detail"]

    from steward.publishing.tests.helpers import make_dataset

    make_dataset(tree.unit_a1, serial=8, status=Status.COMMITTEE, title="後到的資料集")
    refreshed = client.post(f"/api/committees/meetings/{meeting.pk}/agenda")
    assert "A17010000J-000008 後到的資料集" in [i["title"] for i in refreshed.json()["agenda"]]

    item = meeting.agenda.get(kind=ItemKind.NOT_PROVIDED)
    services.record_minutes(
        meeting, by=cast.centre, minutes="同意", decisions={item.pk: services.DecisionIn("agree")}
    )
    review = item.not_provided_review
    assert client.post(f"/api/committees/not-provided/{review.pk}/approve").status_code == 403
    client.force_login(cast.head)
    approved = client.post(f"/api/committees/not-provided/{review.pk}/approve")
    assert approved.status_code == 200
    assert approved.json()["approved_by_id"] == cast.head.pk
    assert approved.json()["item_id"] == waiting.not_provided.pk
