"""Meetings: the agenda built from what waits on the committee, minutes whose decisions move the
items they decide, and the bad cases (a meeting twice, an item no longer waiting)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from steward.audit.models import AuditEvent
from steward.committees import services
from steward.committees.models import AgendaItem, ItemKind, Meeting, NotProvidedReview, Outcome
from steward.committees.services import DecisionIn
from steward.committees.tests.conftest import Committees, Waiting
from steward.conftest import Cast, Tree, table_snapshot
from steward.datasets import services as dataset_services
from steward.datasets.workflow import Status
from steward.inventory.models import Classification

HELD = datetime.date(2026, 8, 12)
Q4 = datetime.date(2026, 11, 12)


def _agenda(meeting: Meeting) -> dict[str, AgendaItem]:
    return {item.kind: item for item in meeting.agenda.all()}


def test_the_agenda_holds_what_waits_on_the_committee_with_links(
    cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    meeting = services.record_meeting(
        committees.advisory, by=cast.centre, held_on=HELD, attendees="召集人、民間代表4人"
    )
    items = list(meeting.agenda.order_by("position"))

    assert [item.kind for item in items] == [
        ItemKind.DATASET,
        ItemKind.WITHDRAWAL,
        ItemKind.NOT_PROVIDED,
        ItemKind.FEEDBACK_SUMMARY,
    ]
    assert items[0].url == f"/datasets/{waiting.dataset.pk}/"
    assert items[1].summary == "含個人資料"
    assert items[2].url == f"/inventory/items/{waiting.not_provided.pk}/"
    assert "個人資料保護法第16條" in items[2].summary
    assert items[3].title == "民眾意見，115 年 1 月 1 日 至 115 年 8 月 12 日"  # 民國, as documents
    assert meeting.number == "115年第1次會議"
    assert meeting.datasets_meeting is not None
    assert AuditEvent.objects.filter(action="committee.meeting_record").count() == 1


def test_the_yearly_plan_review_comes_in_the_last_quarter(
    cast: Cast, committees: Committees
) -> None:
    summer = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    autumn = services.record_meeting(committees.advisory, by=cast.centre, held_on=Q4)
    assert ItemKind.PLAN_REVIEW not in _agenda(summer)
    review = _agenda(autumn)[ItemKind.PLAN_REVIEW]
    assert review.url == "/plans/t-plan/"


def test_a_working_group_agenda_has_its_agencys_feedback(
    cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    meeting = services.record_meeting(committees.group_a, by=cast.head, held_on=HELD)
    assert [item.kind for item in meeting.agenda.all()] == [ItemKind.FEEDBACK_SUMMARY]
    assert meeting.datasets_meeting is None


def test_a_meeting_recorded_twice_is_refused_and_changes_nothing(
    cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    first = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    before = table_snapshot()
    with pytest.raises(services.CommitteeError) as refused:
        services.record_meeting(
            committees.advisory, by=cast.centre, held_on=HELD, number="另一個編號"
        )
    assert "已登錄" in refused.value.message
    assert first.number in refused.value.message
    assert "2026-08-12" in refused.value.message
    assert table_snapshot() == before


def test_decisions_move_the_items_they_decide(
    tree: Tree, cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    meeting = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    items = _agenda(meeting)

    result = services.record_minutes(
        meeting,
        by=cast.centre,
        minutes="一、准予開放。二、同意停止提供。",
        decisions={
            items[ItemKind.DATASET].pk: DecisionIn("approve"),
            items[ItemKind.WITHDRAWAL].pk: DecisionIn("withdraw"),
            items[ItemKind.NOT_PROVIDED].pk: DecisionIn("agree", "涉及個人隱私"),
            items[ItemKind.FEEDBACK_SUMMARY].pk: DecisionIn("noted"),
        },
    )

    assert result.not_applied == []
    assert len(result.applied) == 4
    waiting.dataset.refresh_from_db()
    waiting.withdrawing.refresh_from_db()
    assert waiting.dataset.status == Status.CIO_APPROVAL  # the plan's next stage: 核定
    assert waiting.withdrawing.status == Status.WITHDRAWAL_APPROVAL  # next: the head of agency
    assert waiting.dataset.committee_decisions.get().meeting == meeting.datasets_meeting
    review = NotProvidedReview.objects.get(item=waiting.not_provided)
    assert review.committee_agrees and review.approved_at is None
    meeting.refresh_from_db()
    assert meeting.minutes.startswith("一、准予開放")
    assert {i.outcome for i in meeting.agenda.all()} == {Outcome.APPLIED}
    assert AuditEvent.objects.filter(action="committee.minutes").count() == 1

    # DGBAS 捌一: then the head of agency approves the not-provided classification.
    with pytest.raises(PermissionDenied):
        services.approve_not_provided(review, by=cast.centre)
    services.approve_not_provided(review, by=cast.head)
    review.refresh_from_db()
    assert review.approved_by == cast.head
    with pytest.raises(services.CommitteeError):
        services.approve_not_provided(review, by=cast.head)


def test_a_return_and_keep_open_need_reasons_and_change_nothing_without(
    cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    meeting = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    items = _agenda(meeting)
    before = table_snapshot()
    with pytest.raises(ValidationError) as refused:
        services.record_minutes(
            meeting,
            by=cast.centre,
            minutes="紀錄",
            decisions={
                items[ItemKind.DATASET].pk: DecisionIn("reject"),
                items[ItemKind.WITHDRAWAL].pk: DecisionIn("approve"),
            },
        )
    text = " ".join(refused.value.messages)
    assert "須敘明理由" in text and waiting.dataset.title in text
    assert "請選擇" in text
    assert table_snapshot() == before


def test_a_decision_on_an_item_no_longer_waiting_is_refused_for_that_item_only(
    tree: Tree, cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    meeting = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    items = _agenda(meeting)
    # Meanwhile somebody decides the dataset at another meeting, and the liaison reclassifies
    # the not-provided item as on request.
    other = dataset_services.record_meeting(
        by=cast.centre, ministry=tree.ministry, held_on=HELD, number="臨時會"
    )
    dataset_services.record_committee_decision(
        waiting.dataset, meeting=other, decision="reject", by=cast.centre, reasons="欄位說明不足"
    )
    waiting.not_provided.classification = Classification.ON_REQUEST
    waiting.not_provided.save()

    result = services.record_minutes(
        meeting,
        by=cast.centre,
        minutes="會議紀錄全文",
        decisions={
            items[ItemKind.DATASET].pk: DecisionIn("approve"),
            items[ItemKind.WITHDRAWAL].pk: DecisionIn("keep_open", "仍有需求"),
            items[ItemKind.NOT_PROVIDED].pk: DecisionIn("agree"),
        },
    )

    not_applied = {item.kind: why for item, why in result.not_applied}
    assert set(not_applied) == {ItemKind.DATASET, ItemKind.NOT_PROVIDED}
    assert "退回修正" in not_applied[ItemKind.DATASET]
    assert "依申請提供" in not_applied[ItemKind.NOT_PROVIDED]
    waiting.dataset.refresh_from_db()
    waiting.withdrawing.refresh_from_db()
    assert waiting.dataset.status == Status.RETURNED  # as the other meeting left it
    assert waiting.withdrawing.status == Status.PUBLISHED  # the rest of the minutes applied
    meeting.refresh_from_db()
    assert meeting.minutes == "會議紀錄全文"
    stored = _agenda(meeting)
    assert stored[ItemKind.DATASET].outcome == Outcome.NOT_APPLIED
    assert stored[ItemKind.DATASET].outcome_note == not_applied[ItemKind.DATASET]
    assert stored[ItemKind.WITHDRAWAL].outcome == Outcome.APPLIED
    assert not NotProvidedReview.objects.exists()


def test_an_item_decided_already_is_not_decided_again(
    cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    meeting = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    item = _agenda(meeting)[ItemKind.DATASET]
    services.record_minutes(
        meeting, by=cast.centre, minutes="第一次", decisions={item.pk: DecisionIn("approve")}
    )
    result = services.record_minutes(
        meeting, by=cast.centre, minutes="更正", decisions={item.pk: DecisionIn("reject", "改判")}
    )
    assert [why for _, why in result.not_applied] == ["已有決議：同意開放。"]
    waiting.dataset.refresh_from_db()
    assert waiting.dataset.status == Status.CIO_APPROVAL


def test_minutes_before_the_meeting_are_refused(
    cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    meeting = services.record_meeting(committees.advisory, by=cast.centre, held_on=Q4)
    before = table_snapshot()
    with pytest.raises(services.CommitteeError, match="開會後登錄"):
        services.record_minutes(meeting, by=cast.centre, minutes="預寫", decisions={})
    assert table_snapshot() == before


@pytest.mark.parametrize("who", ["liaison", "reviewer", "cio", "head", "auditor"])
def test_only_the_secretariat_records_minutes(
    cast: Cast, committees: Committees, waiting: Waiting, who: str
) -> None:
    meeting = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    item = _agenda(meeting)[ItemKind.DATASET]
    before = table_snapshot()
    with pytest.raises(PermissionDenied):
        services.record_minutes(
            meeting,
            by=getattr(cast, who),
            minutes="越權",
            decisions={item.pk: DecisionIn("approve")},
        )
    assert table_snapshot() == before


def test_a_working_group_keeper_cannot_decide_datasets_through_its_meetings(
    cast: Cast, committees: Committees, waiting: Waiting
) -> None:
    meeting = services.record_meeting(committees.group_a, by=cast.head, held_on=HELD)
    before = table_snapshot()
    with pytest.raises(ValidationError, match="不在本次會議議程中"):
        services.record_minutes(
            meeting, by=cast.head, minutes="紀錄", decisions={999999: DecisionIn("approve")}
        )
    assert table_snapshot() == before


def test_refreshing_the_agenda_adds_what_came_since(
    tree: Tree, cast: Cast, committees: Committees
) -> None:
    from steward.publishing.tests.helpers import make_dataset

    meeting = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    assert ItemKind.DATASET not in _agenda(meeting)
    make_dataset(tree.unit_a1, serial=9, status=Status.COMMITTEE, title="新到的資料集")
    added = services.refresh_agenda(meeting, by=cast.centre)
    assert [item.title for item in added] == ["A17010000J-000009 新到的資料集"]
    assert services.refresh_agenda(meeting, by=cast.centre) == []


def test_the_next_number_skips_one_the_datasets_pages_gave(
    tree: Tree, cast: Cast, committees: Committees
) -> None:
    dataset_services.record_meeting(
        by=cast.centre,
        ministry=tree.ministry,
        held_on=datetime.date(2026, 3, 3),
        number="115年第1次會議",
    )
    meeting = services.record_meeting(committees.advisory, by=cast.centre, held_on=HELD)
    assert meeting.number == "115年第2次會議"
