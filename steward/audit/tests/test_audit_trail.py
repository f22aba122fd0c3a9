"""The audit trail: one event per change, read back per subject in order, with field diffs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from steward.audit.models import AuditEvent
from steward.audit.services import diff, history, record

pytestmark = pytest.mark.django_db


def test_record_keeps_who_what_where_and_the_change(tree: Any, cast: Any) -> None:
    event = record(
        actor=cast.liaison,
        action="dataset.submit",
        subject=tree.unit_a1,
        organisation=tree.agency_a,
        from_state="draft",
        to_state="unit_review",
        comment="請審查",
        changes={"title": {"from": "舊", "to": "新"}},
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == cast.liaison and stored.organisation == tree.agency_a
    assert (stored.action, stored.from_state, stored.to_state) == (
        "dataset.submit",
        "draft",
        "unit_review",
    )
    assert stored.subject == tree.unit_a1
    assert stored.changes == {"title": {"from": "舊", "to": "新"}}
    assert stored.comment == "請審查"


def test_a_system_or_anonymous_change_has_no_actor(tree: Any) -> None:
    assert record(actor=None, action="plans.schedule", subject=tree.ministry).actor is None
    anonymous = AnonymousUser()
    assert record(actor=anonymous, action="x", subject=tree.ministry).actor is None  # type: ignore[arg-type]


def test_history_is_one_subjects_events_oldest_first(tree: Any, cast: Any) -> None:
    start = timezone.now()
    with time_machine.travel(start + timedelta(minutes=2)):
        second = record(actor=cast.centre, action="b", subject=tree.agency_a)
    with time_machine.travel(start):
        first = record(actor=cast.liaison, action="a", subject=tree.agency_a)
    record(actor=cast.liaison, action="other", subject=tree.agency_b)
    assert list(history(tree.agency_a)) == [first, second]


def test_an_event_is_written_with_its_change_or_not_at_all(tree: Any, cast: Any) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        record(actor=cast.liaison, action="a", subject=tree.agency_a)
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.exists()


def test_diff_lists_only_changed_fields_in_order() -> None:
    old = {"title": "年度預算", "cost": "免費", "keywords": ["預算"], "gone": "x"}
    new = {"title": "年度預算", "cost": "付費", "keywords": ["預算", "決算"], "added": 1}
    assert diff(old, new) == {
        "added": {"from": None, "to": 1},
        "cost": {"from": "免費", "to": "付費"},
        "gone": {"from": "x", "to": None},
        "keywords": {"from": ["預算"], "to": ["預算", "決算"]},
    }
    assert list(diff(old, new)) == ["added", "cost", "gone", "keywords"]
    assert diff(old, dict(old)) == {}
