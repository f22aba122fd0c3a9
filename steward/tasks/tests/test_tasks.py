"""Tasks from the schedule and from cadences, and every step of a task through its service."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from steward.audit.models import AuditEvent
from steward.conftest import Cast, MinistryB, Tree, changed_tables, table_snapshot
from steward.organisations.models import Organisation
from steward.plans.services import BUILTIN_DIR, install_plan_file
from steward.tasks import services
from steward.tasks.generation import generate_tasks
from steward.tasks.models import Cadence, Task, TaskPart, TaskStatus
from steward.tasks.tests.helpers import plan_with_item

YEAR = 2026


@pytest.fixture
def version(tree: Tree):  # type: ignore[no-untyped-def]
    return plan_with_item(tree.ministry, lead=[tree.agency_a], cooperating=[tree.agency_b])


@pytest.fixture
def task(version, tree: Tree) -> Task:  # type: ignore[no-untyped-def]
    generate_tasks(version, YEAR)
    return Task.objects.get(organisation=tree.agency_a)


def test_each_lead_and_cooperating_organisation_gets_a_task_per_deadline(
    version, tree: Tree
) -> None:  # type: ignore[no-untyped-def]
    result = generate_tasks(version, YEAR)
    assert result.created == 2
    tasks = {t.organisation: t for t in Task.objects.all()}
    assert tasks[tree.agency_a].part == TaskPart.LEAD
    assert tasks[tree.agency_b].part == TaskPart.COOPERATING
    # 2026-06-30 is a Tuesday: due as written.
    assert {t.due_date for t in tasks.values()} == {datetime.date(2026, 6, 30)}
    assert tasks[tree.agency_a].code == "1-3"


def test_generating_twice_makes_no_second_task(version) -> None:  # type: ignore[no-untyped-def]
    generate_tasks(version, YEAR)
    again = generate_tasks(version, YEAR)
    assert again.created == 0
    assert Task.objects.count() == 2


def test_a_deadline_on_a_day_off_is_due_the_working_day_before(tree: Tree) -> None:
    version = plan_with_item(tree.ministry, lead=[tree.agency_a], deadlines=[("Q1", 3, 15)])
    generate_tasks(version, YEAR)  # 2026-03-15 is a Sunday
    assert Task.objects.get().due_date == datetime.date(2026, 3, 13)


def test_a_plan_stating_only_cadences_gets_a_task_per_organisation_and_period(tree: Tree) -> None:
    rules = {
        "inventory": {"cadence": "quarterly"},
        "working_group": {"meetings_per_year": 4},
        "committee": {"meetings_per_year": 2},
    }
    version = plan_with_item(tree.ministry, lead=[], deadlines=[], rules=rules)
    result = generate_tasks(version, YEAR)
    # ministry + two agencies, four quarters, for inventory and working group; the committee
    # twice a year, the ministry only.
    assert result.created == 3 * 4 * 2 + 2
    inventory = Task.objects.filter(cadence=Cadence.INVENTORY, organisation=tree.agency_a)
    assert sorted(inventory.values_list("period", flat=True)) == ["Q1", "Q2", "Q3", "Q4"]
    # Q1 ends on 2026-03-31, a Tuesday; Q3 on 2026-09-30, a Wednesday.
    assert inventory.get(period="Q1").due_date == datetime.date(2026, 3, 31)
    assert inventory.get(period="Q1").title == "每季資料盤點"
    committee = Task.objects.filter(cadence=Cadence.COMMITTEE)
    assert set(committee.values_list("organisation", flat=True)) == {tree.ministry.pk}
    assert generate_tasks(version, YEAR).created == 0


def test_mol_plan_gets_quarterly_inventory_and_working_group_tasks_for_each_agency(
    db: None,
) -> None:
    (version,) = install_plan_file(BUILTIN_DIR / "mol.toml")
    generate_tasks(version, YEAR)
    bli = Organisation.objects.get(key="mol-bli")
    cadences = set(Task.objects.filter(organisation=bli).values_list("cadence", flat=True))
    assert {Cadence.INVENTORY, Cadence.WORKING_GROUP, Cadence.QUALITY_SELF_CHECK} <= cadences
    assert Task.objects.filter(organisation=bli, cadence=Cadence.WORKING_GROUP).count() == 4


def test_the_liaison_does_the_task_and_the_centre_signs_it_off(task: Task, cast: Cast) -> None:
    services.start(task, by=cast.liaison)
    services.add_link(task, by=cast.liaison, url="https://example.gov.tw/minutes", name="會議紀錄")
    services.complete(task, by=cast.reviewer, note="已完成盤點")
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.completed_by == cast.reviewer
    services.sign_off(task, by=cast.centre)
    task.refresh_from_db()
    assert task.status == TaskStatus.SIGNED_OFF
    assert task.signed_off_by == cast.centre
    actions = list(
        AuditEvent.objects.filter(action__startswith="task.")
        .exclude(action="task.generate")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["task.start", "task.evidence", "task.complete", "task.sign_off"]


def test_a_task_cannot_be_marked_done_without_evidence(task: Task, cast: Cast) -> None:
    before = table_snapshot()
    with pytest.raises(services.TaskError, match="佐證"):
        services.complete(task, by=cast.liaison)
    assert changed_tables(before, table_snapshot()) == []


@pytest.mark.parametrize("who", ["other_liaison", "auditor", "cio", "outsider", "committee_civil"])
def test_people_outside_the_organisation_cannot_work_on_its_task(
    task: Task, cast: Cast, who: str
) -> None:
    before = table_snapshot()
    with pytest.raises(PermissionDenied):
        services.start(task, by=getattr(cast, who))
    with pytest.raises(PermissionDenied):
        services.add_link(task, by=getattr(cast, who), url="https://example.gov.tw/x")
    assert changed_tables(before, table_snapshot()) == []


def test_another_ministry_cannot_touch_the_task(task: Task, ministry_b: MinistryB) -> None:
    before = table_snapshot()
    for person in (ministry_b.liaison, ministry_b.centre):
        with pytest.raises(PermissionDenied):
            services.start(task, by=person)
    with pytest.raises(PermissionDenied):
        services.sign_off(task, by=ministry_b.centre)
    assert changed_tables(before, table_snapshot()) == []


def test_the_liaison_cannot_sign_off_and_sign_off_out_of_order_changes_nothing(
    task: Task, cast: Cast
) -> None:
    before = table_snapshot()
    with pytest.raises(PermissionDenied):
        services.sign_off(task, by=cast.liaison)
    with pytest.raises(services.TaskError, match="現在不能確認"):
        services.sign_off(task, by=cast.centre)  # still open
    assert changed_tables(before, table_snapshot()) == []


def test_sending_back_needs_a_reason_and_reopens_the_task(task: Task, cast: Cast) -> None:
    services.add_link(task, by=cast.liaison, url="https://example.gov.tw/a")
    services.complete(task, by=cast.liaison)
    with pytest.raises(services.TaskError, match="缺少什麼"):
        services.reopen(task, by=cast.centre, reason=" ")
    services.reopen(task, by=cast.centre, reason="缺會議紀錄")
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    assert task.completed_by is None


def test_evidence_files_keep_to_the_upload_limit(
    task: Task,
    cast: Cast,
    settings,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.STEWARD_MAX_UPLOAD_BYTES = 10
    before = table_snapshot()
    with pytest.raises(services.TaskError, match="超過上限"):
        services.add_file(task, by=cast.liaison, upload=SimpleUploadedFile("a.pdf", b"x" * 11))
    assert changed_tables(before, table_snapshot()) == []
    evidence = services.add_file(
        task, by=cast.liaison, upload=SimpleUploadedFile("紀錄.pdf", b"%PDF-1")
    )
    assert evidence.size == 6
    assert evidence.file.read() == b"%PDF-1"


def test_a_bad_link_is_refused(task: Task, cast: Cast) -> None:
    with pytest.raises(services.TaskError, match="http"):
        services.add_link(task, by=cast.liaison, url="javascript:alert(1)")
    assert not task.evidence.exists()
