"""Handling an item: assign, draft, CIO approval where the plan asks, send, close.

Each refusal is clear and leaves the item, its audit trail and the mail box as they were.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from steward.audit.services import history
from steward.conftest import Cast, Tree
from steward.feedback import services
from steward.feedback.models import Channel, FeedbackItem, Kind, Status
from steward.feedback.workflow import Step, available_steps


def received(tree: Tree, cast: Cast, *, email: str = "citizen@example.org") -> FeedbackItem:
    return services.enter(
        by=cast.centre,
        kind=Kind.ERROR_REPORT,
        text="失業給付統計 2025 年 12 月數字與公報不符",
        organisation=tree.unit_a1,
        received_at=datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2),
        channel=Channel.NATIONAL_PORTAL,
        contact_email=email,
    )


def snapshot(item: FeedbackItem) -> tuple[object, ...]:
    item.refresh_from_db()
    return (item.status, item.reply_text, item.approved_by_id, item.replied_at,
            item.organisation_id, history(item).count())  # fmt: skip


def test_moj_reply_goes_through_the_cio_and_reaches_the_sender(
    cast: Cast, tree: Tree, follow: Callable[[str], None], django_capture_on_commit_callbacks: Any
) -> None:
    follow("moj")
    item = received(tree, cast)
    assert item.cio_approval_required
    assert available_steps(item, cast.liaison) == [Step.ASSIGN, Step.DRAFT]
    services.draft_reply(item, by=cast.liaison, text="已更正 12 月數字，謝謝指正。")
    item.refresh_from_db()
    # No sending before the CIO approves: the only way on is to submit.
    assert Step.SEND not in available_steps(item, cast.liaison)
    with pytest.raises(services.NotAllowedNow):
        services.send_reply(item, by=cast.liaison)
    services.submit_for_approval(item, by=cast.liaison)
    services.approve_reply(item, by=cast.cio, comment="同意")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        item = services.send_reply(item, by=cast.liaison)
    assert item.status == Status.REPLIED and item.replied_at is not None
    assert item.approved_by == cast.cio
    (letter,) = [m for m in mail.outbox if m.to == ["citizen@example.org"]]
    assert "已更正 12 月數字" in letter.body
    assert f"/feedback/t/{item.tracking_token}/" in letter.body
    services.close(item, by=cast.liaison)
    actions = [event.action for event in history(item)]
    assert actions == ["feedback.enter", "feedback.draft", "feedback.submit",
                       "feedback.approve", "feedback.send", "feedback.close"]  # fmt: skip


def test_mol_reply_is_sent_without_approval(
    cast: Cast, tree: Tree, follow: Callable[[str], None], django_capture_on_commit_callbacks: Any
) -> None:
    follow("mol")
    item = received(tree, cast, email="")
    services.draft_reply(item, by=cast.liaison, text="已更正。")
    item.refresh_from_db()
    assert Step.SUBMIT not in available_steps(item, cast.liaison)
    with pytest.raises(services.NotAllowedNow):
        services.submit_for_approval(item, by=cast.liaison)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        item = services.send_reply(item, by=cast.liaison)
    assert item.status == Status.REPLIED
    assert mail.outbox == []  # no address given, nothing mailed


def test_someone_who_is_not_the_cio_cannot_approve(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("moj")
    item = received(tree, cast)
    services.draft_reply(item, by=cast.liaison, text="答覆")
    services.submit_for_approval(item, by=cast.liaison)
    before = snapshot(item)
    for person in (cast.centre, cast.reviewer, cast.head, cast.liaison):
        with pytest.raises(PermissionDenied):
            services.approve_reply(item, by=person)
    assert snapshot(item) == before


def test_the_wrong_agency_cannot_reply(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    item = received(tree, cast)
    before = snapshot(item)
    with pytest.raises(PermissionDenied):
        services.draft_reply(item, by=cast.other_liaison, text="不是我們的")
    assert snapshot(item) == before


def test_a_closed_item_takes_no_more_replies(
    cast: Cast, tree: Tree, follow: Callable[[str], None], django_capture_on_commit_callbacks: Any
) -> None:
    follow("mol")
    item = received(tree, cast)
    services.draft_reply(item, by=cast.liaison, text="已處理")
    services.send_reply(item, by=cast.liaison)
    services.close(item, by=cast.liaison)
    before = snapshot(item)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(services.NotAllowedNow, match="已結案"):
            services.draft_reply(item, by=cast.liaison, text="補充")
        with pytest.raises(services.NotAllowedNow):
            services.send_reply(item, by=cast.liaison)
    assert snapshot(item) == before
    assert mail.outbox == []


def test_reassigning_to_another_agency_keeps_received_and_due_times(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    item = received(tree, cast)
    received_at, due_at = item.received_at, item.due_at
    services.assign(item, by=cast.liaison, organisation=tree.unit_b1, liaison=cast.other_liaison)
    item.refresh_from_db()
    assert (item.organisation, item.assigned_to) == (tree.unit_b1, cast.other_liaison)
    assert (item.received_at, item.due_at) == (received_at, due_at)
    # Now agency B answers, and agency A no longer may.
    services.draft_reply(item, by=cast.other_liaison, text="由乙局回復")
    with pytest.raises(PermissionDenied):
        services.draft_reply(item, by=cast.liaison, text="甲署")


def test_a_liaison_must_be_able_to_answer_for_the_agency_given(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    item = received(tree, cast)
    before = snapshot(item)
    with pytest.raises(services.InvalidFeedback):
        services.assign(item, by=cast.centre, organisation=tree.unit_b1, liaison=cast.liaison)
    assert snapshot(item) == before


def test_the_cio_can_return_a_reply_with_reasons(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("moj")
    item = received(tree, cast)
    services.draft_reply(item, by=cast.liaison, text="答覆")
    services.submit_for_approval(item, by=cast.liaison)
    with pytest.raises(services.InvalidFeedback):
        services.return_reply(item, by=cast.cio, reasons=" ")
    item = services.return_reply(item, by=cast.cio, reasons="請說明更正日期")
    assert item.status == Status.DRAFTED


def test_editing_an_approved_reply_needs_approval_again(
    cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("moj")
    item = received(tree, cast)
    services.draft_reply(item, by=cast.liaison, text="答覆")
    services.submit_for_approval(item, by=cast.liaison)
    services.approve_reply(item, by=cast.cio)
    item = services.draft_reply(item, by=cast.liaison, text="改過的答覆")
    assert item.status == Status.DRAFTED and item.approved_by is None
    with pytest.raises(services.NotAllowedNow):
        services.send_reply(item, by=cast.liaison)


def test_an_outsider_cannot_enter_items(cast: Cast, tree: Tree) -> None:
    with pytest.raises(PermissionDenied):
        services.enter(
            by=cast.outsider, kind=Kind.COMMENT, text="x", organisation=tree.agency_a,
            received_at=datetime.datetime.now(datetime.UTC), channel=Channel.LETTER,
        )  # fmt: skip
    assert not FeedbackItem.objects.exists()


def test_every_audit_action_written_has_words() -> None:
    import re
    from pathlib import Path

    from steward.audit.labels import registered_actions

    app = Path(services.__file__).parent
    source = "\n".join(p.read_text("utf-8") for p in (app / "services.py", app / "reminders.py"))
    written = set(re.findall(r'action="(feedback\.[a-z_]+)"', source))
    assert len(written) >= 10
    assert written <= registered_actions(), written - registered_actions()


def test_a_data_request_becomes_an_inventory_candidate_shown_to_the_public(
    client: Any, cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    from steward.datasets.models import Dataset
    from steward.datasets.workflow import Status as DatasetStatus
    from steward.inventory.models import InventoryItem

    follow("mol")
    item = services.enter(
        by=cast.centre, kind=Kind.DATA_REQUEST, text="請開放各縣市職訓結訓人數",
        organisation=tree.unit_a1, received_at=datetime.datetime.now(datetime.UTC),
        channel=Channel.LETTER,
    )  # fmt: skip
    # Not provided without a reason: the inventory's rule refuses, nothing is written.
    with pytest.raises(services.InvalidFeedback, match="非開放資料須選擇不開放理由"):
        services.record_decision(item, by=cast.liaison,
                                 data={"name": "職訓結訓人數", "classification": "not_provided"})  # fmt: skip
    assert not InventoryItem.objects.exists()
    with pytest.raises(PermissionDenied):
        services.record_decision(item, by=cast.other_liaison, data={"name": "x"})
    item = services.record_decision(
        item, by=cast.liaison,
        data={"name": "職訓結訓人數", "classification": "open", "planned_year": 2027,
              "planned_half": "H1"},
    )  # fmt: skip
    candidate = InventoryItem.objects.get()
    assert item.inventory_item == candidate and candidate.priority_high_demand
    assert Step.DECIDE not in available_steps(item, cast.liaison)  # decided once
    page = client.get(f"/feedback/t/{item.tracking_token}/").content.decode()
    assert "職訓結訓人數" in page and "預計 116 年" in page and "資訊長核定盤點" in page
    dataset = Dataset.objects.create(organisation=tree.unit_a1, identifier="A17010000J-000009",
                                     title="職訓結訓人數統計", status=DatasetStatus.PUBLISHED)  # fmt: skip
    InventoryItem.objects.filter(pk=candidate.pk).update(dataset=dataset)
    page = client.get(f"/feedback/t/{item.tracking_token}/").content.decode()
    assert "已開放為資料集 A17010000J-000009「職訓結訓人數統計」" in page
