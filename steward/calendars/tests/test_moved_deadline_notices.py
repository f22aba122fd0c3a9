"""A calendar revision that moves deadlines e-mails the people who answer for the moved
schedule items: one message per person, each item with its old and new due date."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import translation

from steward.audit.models import AuditEvent
from steward.calendars.services import import_calendar_file, import_calendar_files
from steward.calendars.tests.conftest import calendar_bytes, calendar_rows
from steward.calendars.tests.plans import add_deadline, make_version
from steward.conftest import Cast, Tree
from steward.organisations.factories import (
    OrganisationFactory,
    PersonFactory,
    RoleAssignmentFactory,
)
from steward.organisations.models import OrganisationKind, Person, Role
from steward.plans.models import Deadline, PlanVersion, ScheduledDeadline
from steward.plans.schedule import compute_schedule

D = datetime.date


def day_off(rows: list[list[str]], date: datetime.date, label: str = "調整放假") -> None:
    rows[date.timetuple().tm_yday - 1][2:] = ["2", label]


@pytest.fixture(autouse=True)
def frozen_today() -> Iterator[None]:
    """Today is 2030-03-01: the 2/15 deadline is past, the others are ahead."""
    with time_machine.travel(datetime.datetime(2030, 3, 1, 9, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def ministry_liaison(tree: Tree) -> Person:
    """A liaison of one of the ministry's own units (本部), not of an agency."""
    unit = OrganisationFactory.create(
        key="t-secretariat", name="秘書處", kind=OrganisationKind.UNIT, parent=tree.ministry
    )
    person = PersonFactory.create(username="ministry_liaison")
    RoleAssignmentFactory.create(person=person, organisation=unit, role=Role.LIAISON)
    return person


@pytest.fixture
def plan(tree: Tree) -> PlanVersion:
    version = make_version()
    version.plan.ministry = tree.ministry
    version.plan.save()
    return version


def lead(deadline: Deadline, *organisations: Any) -> Deadline:
    deadline.schedule_item.lead_organisations.add(*organisations)
    return deadline


@pytest.fixture
def schedule(plan: PlanVersion, tree: Tree) -> dict[str, Deadline]:
    """Items led by agency A, agency B, the information centre and the ministry itself."""
    return {
        "agency_a": lead(add_deadline(plan, "1-3", 6, 28, period="Q2"), tree.agency_a),
        "agency_a_later": lead(add_deadline(plan, "2-1", 9, 27, period="Q3"), tree.agency_a),
        "agency_b": lead(add_deadline(plan, "1-5", 6, 28, period="Q2"), tree.agency_b),
        "centre": lead(
            add_deadline(plan, "1-1", 10, 18, title="彙整開放清單"), tree.information_centre_unit
        ),
        "ministry": lead(add_deadline(plan, "1-7", 11, 29), tree.ministry),
        "past": lead(add_deadline(plan, "1-2", 2, 15, period="Q1"), tree.agency_a),
        "unmoved": lead(add_deadline(plan, "2-2", 12, 13), tree.agency_a),
    }


def first_import(plan: PlanVersion, year: int = 2030) -> list[list[str]]:
    rows = calendar_rows(year)
    import_calendar_file(calendar_bytes(rows), file_name=f"{year - 1911}年.csv")
    compute_schedule(plan, year)
    return rows


def revise(rows: list[list[str]], *days: datetime.date) -> list[list[str]]:
    revised = [list(row) for row in rows]
    for date in days:
        day_off(revised, date)
    return revised


MOVED_DAYS = (D(2030, 6, 28), D(2030, 9, 27), D(2030, 10, 18), D(2030, 11, 29), D(2030, 2, 15))


def by_recipient() -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for message in mail.outbox:
        [address] = message.to
        found.setdefault(address.split("@")[0], []).append(message)
    return found


def test_each_person_gets_one_message_listing_their_moved_items(
    plan: PlanVersion,
    schedule: dict[str, Deadline],
    cast: Cast,
    ministry_liaison: Person,
    django_capture_on_commit_callbacks: Any,
) -> None:
    rows = first_import(plan)
    mail.outbox.clear()
    with translation.override("zh-hant"), django_capture_on_commit_callbacks(execute=True):
        result = import_calendar_file(
            calendar_bytes(revise(rows, *MOVED_DAYS)), file_name="119年修正版.csv"
        )
    assert len(result.moved) == 6  # the past one moved too, but nobody is told about it

    messages = by_recipient()
    assert {name: len(found) for name, found in messages.items()} == {
        "liaison": 1,
        "other_liaison": 1,
        "centre": 1,
        "ministry_liaison": 1,
    }
    to_liaison = messages["liaison"][0]
    # Agency A's two moved items, each with its old and new date; not B's, not the past one.
    assert " 1-3 " in to_liaison.body and " 2-1 " in to_liaison.body
    assert "2030-06-28" in to_liaison.body and "2030-06-27" in to_liaison.body
    assert "2030-09-27" in to_liaison.body and "2030-09-26" in to_liaison.body
    assert " 1-5 " not in to_liaison.body and " 1-2 " not in to_liaison.body
    assert " 2-2 " not in to_liaison.body
    assert "辦公日曆表" in to_liaison.body and "119年修正版.csv" in to_liaison.body
    assert "2" in to_liaison.subject and "辦公日曆表" in to_liaison.subject
    # Agency B's liaison hears of B's item only; the ministry's own liaison of the 本部 item.
    assert " 1-5 " in messages["other_liaison"][0].body
    assert " 1-3 " not in messages["other_liaison"][0].body
    ministry_body = messages["ministry_liaison"][0].body
    assert " 1-7 " in ministry_body and " 1-3 " not in ministry_body
    # The information centre keeps the schedule: every moved item that is still ahead.
    centre_body = messages["centre"][0].body
    for code in ("1-1", "1-3", "1-5", "1-7", "2-1"):
        assert f" {code} " in centre_body
    assert " 1-2 " not in centre_body

    event = AuditEvent.objects.filter(action="calendar.import").latest("pk")
    assert event.changes["notified"] == sorted(
        ["centre", "liaison", "other_liaison", "ministry_liaison"]
    )


def test_moves_in_several_years_of_one_batch_make_one_message_per_person(
    plan: PlanVersion,
    schedule: dict[str, Deadline],
    cast: Cast,
    django_capture_on_commit_callbacks: Any,
) -> None:
    rows_2030 = first_import(plan, 2030)
    rows_2031 = first_import(plan, 2031)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        import_calendar_files(
            [
                ("119年修正版.csv", calendar_bytes(revise(rows_2030, D(2030, 6, 28)))),
                ("120年修正版.csv", calendar_bytes(revise(rows_2031, D(2031, 6, 27)))),
            ]
        )
    [message] = by_recipient()["liaison"]
    assert "2030-06-27" in message.body and "2031-06-26" in message.body
    assert "119年修正版.csv" in message.body and "120年修正版.csv" in message.body


def test_a_revision_that_moves_nothing_mails_nobody(
    plan: PlanVersion, schedule: dict[str, Deadline], django_capture_on_commit_callbacks: Any
) -> None:
    rows = first_import(plan)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = import_calendar_file(
            calendar_bytes(revise(rows, D(2030, 7, 3))), file_name="119年修正版.csv"
        )
    assert result.changes and not result.moved
    assert mail.outbox == []


def test_an_import_rolled_back_mails_nobody(
    plan: PlanVersion,
    schedule: dict[str, Deadline],
    cast: Cast,
    django_capture_on_commit_callbacks: Any,
) -> None:
    rows = first_import(plan)
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        import_calendar_file(calendar_bytes(revise(rows, *MOVED_DAYS)), file_name="119年修正版.csv")
        raise RuntimeError("the surrounding work fails")
    assert mail.outbox == []
    row = ScheduledDeadline.objects.get(deadline=schedule["agency_a"], year=2030)
    assert row.due_date == D(2030, 6, 28)


def test_deadlines_of_a_superseded_plan_version_are_not_told(
    plan: PlanVersion,
    schedule: dict[str, Deadline],
    cast: Cast,
    django_capture_on_commit_callbacks: Any,
) -> None:
    rows = first_import(plan)
    PlanVersion.objects.create(plan=plan.plan, label="2029", adopted_on=D(2029, 1, 1))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = import_calendar_file(
            calendar_bytes(revise(rows, *MOVED_DAYS)), file_name="119年修正版.csv"
        )
    assert result.moved
    assert mail.outbox == []
