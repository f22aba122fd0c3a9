"""The home page says what to do next: the work waiting on each role, and where the
organisation (for the information centre: every agency) stands against the plan's KPIs."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from steward.conftest import Cast, MinistryB, Tree
from steward.datasets.workflow import Status
from steward.evaluation.registry import Figure, MeasureContext, measure
from steward.feedback.services import draft_reply, enter, submit_for_approval
from steward.inventory.services import compile_inventories, inventory_for, submit_inventory
from steward.organisations.factories import OrganisationFactory
from steward.organisations.models import OrganisationKind, Person
from steward.plans.models import KpiDefinition, KpiTarget
from steward.publishing.tests.helpers import make_dataset
from steward.tasks.generation import generate_tasks
from steward.tasks.tests.helpers import plan_with_item

TEST_MEASURE = "home_page_test_share"


@measure(TEST_MEASURE, label="test share", unit="percent")
def _test_share(context: MeasureContext) -> Figure:
    """A figure from the organisation's key alone (no query), so the page's own queries show."""
    if context.organisation.key.endswith("-nodata"):
        return Figure(None)
    return Figure(Decimal(len(context.organisation.key) * 3 % 100))


def _home(person: Person, page: int | None = None) -> str:
    client = Client()
    client.force_login(person)
    url = reverse("home") + (f"?page={page}" if page else "")
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def plan(tree: Tree):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    version = plan_with_item(tree.ministry, lead=[tree.agency_a], deadlines=[("Y", 12, 31)])
    generate_tasks(version, today.year)
    accuracy = KpiDefinition.objects.create(
        version=version, code="accuracy", name="正確率", measure="not_registered_anywhere",
        unit="percent", position=1,
    )  # fmt: skip
    share = KpiDefinition.objects.create(
        version=version, code="share", name="測試比率", measure=TEST_MEASURE, unit="percent",
        position=2,
    )  # fmt: skip
    KpiTarget.objects.create(kpi=accuracy, organisation=tree.agency_a, value=90)
    KpiTarget.objects.create(kpi=share, organisation=tree.agency_a, value=50)
    return version


def test_the_liaison_sees_the_agency_task_and_the_other_agency_does_not(plan, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    assert "1-3 進行盤點作業" in _home(cast.liaison)
    assert "1-3 進行盤點作業" not in _home(cast.other_liaison)


def test_the_unit_reviewer_sees_the_dataset_waiting_for_unit_review(
    plan, tree: Tree, cast: Cast
) -> None:  # type: ignore[no-untyped-def]
    dataset = make_dataset(tree.unit_a1, serial=7, status=Status.UNIT_REVIEW, title="待初審資料集")
    page = _home(cast.reviewer)
    assert "待初審資料集" in page
    assert reverse("datasets:detail", args=[dataset.pk]) in page
    assert "待初審資料集" not in _home(cast.other_reviewer)


def test_the_centre_sees_returns_to_compile_and_the_cio_the_compilation_to_approve(
    plan, tree: Tree, cast: Cast
) -> None:  # type: ignore[no-untyped-def]
    year = timezone.localdate().year
    submit_inventory(inventory_for(tree.agency_a, year), by=cast.liaison, shortfall_reason="")
    assert "彙整" in _home(cast.centre)
    compile_inventories(tree.ministry, year, by=cast.centre)
    page = _home(cast.cio)
    assert "核定" in page
    assert reverse("inventory:returns") in page


def test_the_moj_cio_sees_every_reply_waiting_for_approval(ministry_b: MinistryB) -> None:
    item = enter(
        by=ministry_b.centre, kind="comment", text="請補充欄位說明", subject="欄位說明不足",
        organisation=ministry_b.unit, channel="national_portal",
        received_at=timezone.now() - datetime.timedelta(hours=2),
    )  # fmt: skip
    assert "欄位說明不足" in _home(ministry_b.liaison)
    draft_reply(item, by=ministry_b.liaison, text="已補充。")
    submit_for_approval(item, by=ministry_b.liaison)
    page = _home(ministry_b.cio)
    assert "欄位說明不足" in page


def test_a_kpi_without_a_registered_measure_reads_not_computed_and_one_with_a_figure_has_a_chart(
    plan, tree: Tree, cast: Cast
) -> None:  # type: ignore[no-untyped-def]
    page = _home(cast.liaison)
    assert "正確率" in page and "尚未計算" in page
    assert "測試比率" in page
    expected = len(tree.agency_a.key) * 3 % 100
    assert f'aria-label="{expected} % / 目標 50 %"' in page
    chart = page[page.index('<svg class="kpi-chart"') :]
    chart = chart[: chart.index("</svg>")]
    assert "<title>" in chart and "style=" not in chart and "<script" not in chart


def test_a_period_without_data_reads_no_data_not_zero(plan, tree: Tree, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    tree.agency_a.key = "t-agency-a-nodata"
    tree.agency_a.save()
    page = _home(cast.liaison)
    assert "無資料" in page


def test_the_centre_sees_every_agency_side_by_side(plan, tree: Tree, cast: Cast) -> None:  # type: ignore[no-untyped-def]
    page = _home(cast.centre)
    for organisation in (tree.ministry, tree.agency_a, tree.agency_b):
        assert f'<th scope="row">{organisation.name}</th>' in page


def _agencies(tree: Tree, count: int) -> None:
    for number in range(count):
        OrganisationFactory.create(
            key=f"t-more-{number}", name=f"加開機關{number}", kind=OrganisationKind.AGENCY,
            parent=tree.ministry,
        )  # fmt: skip


@pytest.mark.parametrize("who", ["centre", "liaison", "cio"])
def test_home_queries_do_not_grow_with_the_number_of_agencies(
    plan, tree: Tree, cast: Cast, who: str, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(getattr(cast, who))
    client.get(reverse("home"))  # warm caches (sessions, content types)
    _agencies(tree, 2)
    with django_assert_max_num_queries(60) as few:
        client.get(reverse("home"))
    _agencies_more = 12
    for number in range(2, 2 + _agencies_more):
        OrganisationFactory.create(
            key=f"t-more-{number}", name=f"加開機關{number}", kind=OrganisationKind.AGENCY,
            parent=tree.ministry,
        )  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("home"))
    assert response.status_code == 200


def test_the_waiting_list_is_paged(tree: Tree, cast: Cast) -> None:
    today = timezone.localdate()
    days = [("Y", 12, 31)]
    version = plan_with_item(tree.ministry, lead=[tree.agency_a], deadlines=days)
    from steward.plans.models import Deadline, ScheduleItem

    for number in range(25):
        item = ScheduleItem.objects.create(
            version=version, code=f"9-{number}", title=f"事項{number}"
        )
        item.lead_organisations.set([tree.agency_a])
        Deadline.objects.create(schedule_item=item, period="Y", month=12, day=31)
    generate_tasks(version, today.year)
    from steward.tasks.models import Task

    Task.objects.update(due_date=today + datetime.timedelta(days=10))
    first = _home(cast.liaison)
    assert "共 26 筆" in first
    assert "第 1 頁，共 2 頁" in first
    second = _home(cast.liaison, page=2)
    assert "第 2 頁，共 2 頁" in second
    waiting = second[second.index("waiting") : second.index("</section>", second.index("waiting"))]
    assert waiting.count('href="/tasks/') == 6


def test_the_deadlines_card_names_the_plan_schedule_and_never_denies_the_tasks_due(
    tree: Tree, cast: Cast
) -> None:
    """A plan of cadences (MOL) gives tasks due soon but no dated schedule deadline: the card
    said 「未來四個月沒有到期的工作」 under the list of those very tasks."""
    from steward.plans.models import ScheduledDeadline
    from steward.tasks.models import Task

    today = timezone.localdate()
    version = plan_with_item(tree.ministry, lead=[tree.agency_a], deadlines=[("Y", 12, 31)])
    generate_tasks(version, today.year)
    Task.objects.update(due_date=today + datetime.timedelta(days=10))
    ScheduledDeadline.objects.update(due_date=today + datetime.timedelta(days=200))
    page = _home(cast.liaison)
    waiting = page[page.index("waiting") : page.index("</section>", page.index("waiting"))]
    assert 'href="/tasks/' in waiting  # a task due in ten days waits on the liaison
    assert "未來四個月沒有到期的工作" not in page
    card = page[page.index("schedule-deadlines") :]
    card = card[: card.index("</section>")]
    assert "行動方案工作時程表的期限" in card
    assert "行動方案工作時程表在未來四個月內沒有訂明日期的期限。" in card
    assert f'<a href="{reverse("tasks:index")}">各期應辦的工作請見工作事項。</a>' in card
