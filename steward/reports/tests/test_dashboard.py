"""The dashboards (儀表板): the figures are the registry's, each drills down to its records,
who sees which follows the scoping rule, and a page's queries do not grow with the agencies."""

from __future__ import annotations

import datetime
import html
import re
from decimal import Decimal
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.template.defaultfilters import floatformat
from django.test import Client
from django.urls import reverse
from django.utils import translation

from steward.committees.models import Committee, Kind
from steward.committees.services import set_up_from_plan
from steward.conftest import Cast, MinistryB, Tree, follow_built_in
from steward.datasets.workflow import Status
from steward.evaluation import registry
from steward.evaluation.registry import Figure, MeasureContext, measure
from steward.feedback import services as feedback
from steward.feedback.figures import figures_for
from steward.feedback.models import Channel, FeedbackItem
from steward.feedback.models import Kind as FeedbackKind
from steward.organisations.factories import OrganisationFactory
from steward.organisations.models import OrganisationKind, Person
from steward.plans.models import KpiDefinition, KpiTarget, PlanVersion, Target, TargetMeasure
from steward.publishing.tests.helpers import make_dataset
from steward.reports.dashboards import exports
from steward.tasks.generation import generate_tasks
from steward.tasks.tests.helpers import plan_with_item

TAIPEI = ZoneInfo("Asia/Taipei")
TODAY = datetime.datetime(2026, 3, 31, 12, 0, tzinfo=TAIPEI)
QUERY_MEASURE = "dashboard_test_share"


@measure(QUERY_MEASURE, label="test share", unit="percent")
def _test_share(context: MeasureContext) -> Figure:
    """A figure from the organisation's key alone (no query), so the page's own queries show."""
    return Figure(Decimal(len(context.organisation.key) * 7 % 100))


@pytest.fixture(autouse=True)
def computed_on_every_request(settings: Any) -> None:
    """Every test sees its own data, never a board kept by an earlier one."""
    settings.STEWARD_DASHBOARD_CACHE_SECONDS = 0


@pytest.fixture
def today() -> Any:
    with time_machine.travel(TODAY, tick=False):
        yield TODAY.date()


def _get(person: Person | None, url: str) -> Any:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client.get(url)


def _page(person: Person, url: str) -> str:
    response = _get(person, url)
    assert response.status_code == 200, (url, response.status_code)
    return str(response.content.decode())


def _text(page: str) -> str:
    """The page as read: no tags, no scripts (the chart specs), spaces collapsed."""
    page = re.sub(r"<script.*?</script>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _answered(cast: Cast, tree: Tree, received: str, replied: str | None) -> FeedbackItem:
    moment = datetime.datetime.fromisoformat(received).replace(tzinfo=TAIPEI)
    with time_machine.travel(moment, tick=False):
        item = feedback.enter(
            by=cast.centre, kind=FeedbackKind.COMMENT, text="意見", subject=f"意見{received}",
            organisation=tree.unit_a1, received_at=moment, channel=Channel.NATIONAL_PORTAL,
        )  # fmt: skip
    if replied is not None:
        answer = datetime.datetime.fromisoformat(replied).replace(tzinfo=TAIPEI)
        with time_machine.travel(answer, tick=False):
            feedback.draft_reply(item, by=cast.liaison, text="回復")
            item = feedback.send_reply(item, by=cast.liaison)
    return item


def centre_url(tree: Tree) -> str:
    return reverse("reports:dashboards:centre", args=[tree.ministry.pk])


def agency_url(organisation: Any) -> str:
    return reverse("reports:dashboards:agency", args=[organisation.pk])


@pytest.fixture
def mol(tree: Tree, cast: Cast) -> PlanVersion:
    """The test ministry follows MOL's plan; 甲署 has a year of feedback and tasks."""
    follow_built_in("mol", tree)
    version = PlanVersion.objects.filter(plan__ministry=tree.ministry).latest("adopted_on")
    kpi = KpiDefinition.objects.get(version=version, measure="feedback_on_time_ratio")
    KpiTarget.objects.create(kpi=kpi, organisation=tree.agency_a, value=95)
    _answered(cast, tree, "2026-02-13T10:00", "2026-02-16T10:00")  # 3 days: on time
    _answered(cast, tree, "2026-02-13T10:00", "2026-02-24T10:00")  # 11 days: late
    _answered(cast, tree, "2026-03-02T10:00", None)  # never answered: overdue
    with time_machine.travel(TODAY, tick=False):
        generate_tasks(version, 2026)
    return version


def test_the_agency_dashboard_shows_the_registry_figure_and_drills_down_to_the_records(
    mol: PlanVersion, tree: Tree, cast: Cast, today: datetime.date
) -> None:
    page = _page(cast.liaison, agency_url(tree.agency_a))
    text = _text(page)
    kpi = KpiDefinition.objects.get(version=mol, measure="feedback_on_time_ratio")
    context = MeasureContext(
        organisation=tree.agency_a, start=datetime.date(2026, 1, 1), end=today,
        version=mol, kpi=kpi,
    )  # fmt: skip
    figure = registry.get("feedback_on_time_ratio").function(context)
    assert figure.value is not None
    assert f"{floatformat(figure.value, '-1')} % / 目標 95 %" in text
    # each item it counted is a link to the item
    for counted in figure.counted:
        assert f'href="{counted.url}"' in page
    # the feedback key figure is feedback's own: 1 of 3 replied within the limit
    figures = figures_for(tree.agency_a, datetime.date(2026, 1, 1), datetime.date(2026, 4, 1))
    assert figures.on_time.percent == Decimal("33.3")
    assert "33.3 %" in text and "於時限內回復（共 3 件）" in text
    # the overdue reply links to the item
    overdue = figures.overdue[0]
    assert reverse("feedback:detail", args=[overdue.pk]) in page
    # the figure's cell drills down to the same figure, this year to date, and every record
    figure_url = reverse("reports:dashboards:figure", args=[tree.agency_a.pk, f"kpi:{kpi.code}"])
    assert f'href="{figure_url}"' in page
    drilled = _page(cast.liaison, figure_url)
    assert f"{floatformat(figure.value, '-1')} % / 目標 95 %" in _text(drilled)
    assert figure.terms["bonus_share"] == Decimal("33.3333")
    assert "33.33" in _text(drilled) and "33.3333" not in _text(drilled)  # terms to 2 places
    assert "本年迄今：115 年 1 月 1 日至" in _text(drilled)  # the same period as the cell
    for english in ("This year", "Records counted", "Term", "Dashboards"):
        assert english not in _text(drilled)
    for counted in figure.counted:
        assert f'href="{counted.url}"' in drilled
    assert _get(cast.other_liaison, figure_url).status_code == 404
    assert _get(cast.liaison, reverse(
        "reports:dashboards:figure", args=[tree.agency_a.pk, "kpi:nonesuch"]
    )).status_code == 404  # fmt: skip
    # drill-downs: the year's inventory (of one's own unit), tasks and quality measures
    assert f"{reverse('inventory:index')}?year=2026" in page
    assert f"{reverse('tasks:index')}?show=overdue&amp;organisation={tree.agency_a.pk}" in page
    assert f"{reverse('quality:measures')}?organisation={tree.agency_a.pk}" in page
    # years as the seeds write them, and no internal key on the page
    assert "115 年" in text and "2026 年" not in text
    for key in ("feedback_on_time_ratio", "quarterly_progress", "None"):
        assert key not in text


def test_the_centre_sees_every_agency_side_by_side_with_the_six_charts(
    mol: PlanVersion, tree: Tree, cast: Cast, today: datetime.date
) -> None:
    page = _page(cast.centre, centre_url(tree))
    text = _text(page)
    for organisation in (tree.agency_a, tree.agency_b):
        assert f'<a href="{agency_url(organisation)}">{organisation.name}</a>' in page
    figures = re.findall(r'<figure class="report-chart" id="([^"]+)"', page)
    assert [re.sub(r"-\d+$", "", f) for f in figures] == [
        "chart-datasets-against-target",
        "chart-kpi-achievement-ranked",
        "chart-star-distribution",
        "chart-quality-marks-over-time",
        "chart-reply-time-distribution",
        "chart-schedule-timeline",
    ]
    for figure in figures:
        # the spec for the script, the text alternative and the data for everybody
        assert f'<script id="{figure}-spec" type="application/json">' in page
        assert f'aria-describedby="{figure}-description"' in page
    # reply times: 3 and 11 days against MOL's 6-day limit
    assert "共 2 件回復，其中 1 件超過 6 日期限。" in text
    # with JavaScript off each chart's data still reads: a table in the page itself
    assert page.count('<details class="report-chart-data">') == 6
    reply_table = page[page.index('id="chart-reply-time-distribution') :]
    reply_table = reply_table[: reply_table.index("</figure>")]
    assert '<th scope="row">3</th><td>1</td>' in reply_table
    assert '<th scope="row">11</th><td>1</td>' in reply_table
    # the late tasks of the first quarter are listed with their organisation
    assert "逾期工作" in text and tree.agency_a.name in text
    # no inline script or style (the Content-Security-Policy forbids them)
    assert "style=" not in page
    assert not re.search(r"<script(?![^>]*(src=|application/json))", page)


def test_the_committee_sees_the_items_awaiting_its_decision(
    mol: PlanVersion, tree: Tree, cast: Cast, today: datetime.date
) -> None:
    set_up_from_plan(tree.ministry, by=cast.centre)
    committee = Committee.objects.get(organisation=tree.ministry, kind=Kind.ADVISORY)
    dataset = make_dataset(tree.unit_a1, serial=3, status=Status.COMMITTEE, title="待決議資料集")
    url = reverse("reports:dashboards:committee", args=[committee.pk])
    page = _page(cast.committee_civil, url)
    assert "待決議資料集" in page
    assert reverse("datasets:detail", args=[dataset.pk]) in page
    assert "1 件待小組決議" in _text(page)


def test_who_sees_which_dashboard(
    mol: PlanVersion, tree: Tree, cast: Cast, ministry_b: MinistryB, today: datetime.date
) -> None:
    set_up_from_plan(tree.ministry, by=cast.centre)
    committee = Committee.objects.get(organisation=tree.ministry, kind=Kind.ADVISORY)
    committee_url = reverse("reports:dashboards:committee", args=[committee.pk])
    a, b, centre = agency_url(tree.agency_a), agency_url(tree.agency_b), centre_url(tree)
    expected = {
        cast.liaison: {a: 200, b: 404, centre: 404, committee_url: 404},
        cast.other_liaison: {a: 404, b: 200, centre: 404},
        cast.auditor: {a: 200, b: 404, centre: 404},
        cast.centre: {a: 200, b: 200, centre: 200, committee_url: 200},
        cast.cio: {a: 200, centre: 200},
        cast.committee_civil: {committee_url: 200, centre: 200},
        cast.outsider: {a: 404, centre: 404, committee_url: 404},
        # another ministry's people: never, whatever their role
        ministry_b.centre: {a: 404, b: 404, centre: 404, committee_url: 404},
        ministry_b.cio: {a: 404, centre: 404, committee_url: 404},
        ministry_b.liaison: {a: 404, centre: 404},
    }
    for person, urls in expected.items():
        for url, status in urls.items():
            assert _get(person, url).status_code == status, (person.username, url)
    # the other ministry's own dashboard is theirs
    other = reverse("reports:dashboards:centre", args=[ministry_b.ministry.pk])
    assert _get(ministry_b.centre, other).status_code == 200
    assert _get(cast.centre, other).status_code == 404
    # anonymous: sent to sign in
    for url in (a, centre, committee_url, reverse("reports:dashboards:index")):
        response = _get(None, url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # the index lists what each may open, and nothing of the other ministry
    index = _page(cast.liaison, reverse("reports:dashboards:index"))
    assert a in index and b not in index and centre not in index
    index = _page(cast.centre, reverse("reports:dashboards:index"))
    assert a in index and b in index and centre in index and committee_url in index
    assert ministry_b.ministry.name not in index


def test_the_nav_and_the_home_page_lead_to_the_dashboards(
    small_plan: PlanVersion, tree: Tree, cast: Cast, today: datetime.date
) -> None:
    url = reverse("reports:dashboards:index")
    page = _page(cast.liaison, reverse("home"))
    assert f'<a href="{url}">儀表板</a>' in page  # the navigation
    assert f'<a href="{url}">開啟儀表板：圖表及逾期事項</a>' in page  # below the KPI standing
    # somebody with no role has no dashboard, so no link to one
    assert f'<a href="{url}">儀表板</a>' not in _page(cast.outsider, reverse("home"))


def test_the_export_menu_links_to_the_report_of_the_dashboard(
    tree: Tree, cast: Cast, today: datetime.date, monkeypatch: pytest.MonkeyPatch
) -> None:
    links = exports.export_links(exports.CENTRE_KIND, tree.ministry, _quarter(today))
    assert links and {link.label for link in links} <= {"ODT", "ODS", "XLSX", "PDF"}
    assert all(
        "kind=quarterly_progress&organisation=t-ministry&period=2026Q1&format=" in link.url
        for link in links
    )
    page = _page(cast.centre, centre_url(tree))
    assert "匯出為報告" in page
    assert "period=2026Q1&amp;format=odt" in page


def _exported_name(person: Person, dashboard: str) -> str:
    """Follow the dashboard's ODS export link as `person`: the file name it downloads."""
    links = re.findall(
        r'href="(/reports/download/\?[^"]*format=ods[^"]*)"', _page(person, dashboard)
    )
    assert len(links) == 1, dashboard
    response = _get(person, html.unescape(links[0]))
    assert response.status_code == 200, (person.username, links[0])
    return unquote(response["Content-Disposition"].split("filename*=utf-8''")[1])


def test_every_dashboard_exports_as_its_report_for_whoever_opens_it(
    mol: PlanVersion, tree: Tree, cast: Cast, today: datetime.date
) -> None:
    set_up_from_plan(tree.ministry, by=cast.centre)
    assert tree.ministry.name in _exported_name(cast.centre, centre_url(tree))
    # the liaison and the reviewer sit in a unit of 甲署: the agency's report is theirs too
    for person in (cast.liaison, cast.reviewer, cast.head):
        assert tree.agency_a.name in _exported_name(person, agency_url(tree.agency_a))
    # each committee's dashboard exports that committee's agenda, not the first one's
    committees = list(Committee.objects.filter(organisation=tree.ministry))
    assert len(committees) == 2
    for committee in committees:
        url = reverse("reports:dashboards:committee", args=[committee.pk])
        assert committee.name in _exported_name(cast.committee_civil, url)


def _quarter(day: datetime.date) -> Any:
    from steward.quality.measures.periods import Period

    return Period.quarter_of(day)


@pytest.fixture
def small_plan(tree: Tree) -> PlanVersion:
    version = plan_with_item(tree.ministry, lead=[tree.agency_a], deadlines=[("Y", 12, 31)])
    with time_machine.travel(TODAY, tick=False):
        generate_tasks(version, 2026)
    share = KpiDefinition.objects.create(
        version=version, code="share", name="測試比率", measure=QUERY_MEASURE, unit="percent",
        position=1,
    )  # fmt: skip
    KpiTarget.objects.create(kpi=share, organisation=tree.agency_a, value=50)
    return version


def _more_agencies(tree: Tree, first: int, count: int) -> None:
    for number in range(first, first + count):
        OrganisationFactory.create(
            key=f"t-more-{number}", name=f"加開機關{number}", kind=OrganisationKind.AGENCY,
            parent=tree.ministry,
        )  # fmt: skip


@pytest.mark.parametrize("which", ["centre", "agency", "committee"])
def test_a_dashboards_queries_do_not_grow_with_the_number_of_agencies(
    small_plan: PlanVersion,
    tree: Tree,
    cast: Cast,
    today: datetime.date,
    which: str,
    django_assert_max_num_queries: Any,
) -> None:
    set_up_from_plan(tree.ministry, by=cast.centre)
    committee = Committee.objects.get(organisation=tree.ministry, kind=Kind.ADVISORY)
    url = {
        "centre": centre_url(tree),
        "agency": agency_url(tree.agency_a),
        "committee": reverse("reports:dashboards:committee", args=[committee.pk]),
    }[which]
    client = Client()
    client.force_login(cast.centre)
    client.get(url)  # warm caches (sessions, content types)
    _more_agencies(tree, 0, 2)
    with django_assert_max_num_queries(60) as few:
        assert client.get(url).status_code == 200
    _more_agencies(tree, 2, 12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    if which == "centre":
        assert "加開機關13" in response.content.decode()


def test_a_dashboard_is_kept_for_a_while_per_person_and_says_when_it_was_computed(
    small_plan: PlanVersion,
    tree: Tree,
    cast: Cast,
    today: datetime.date,
    settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    from django.core.cache import cache

    cache.clear()
    settings.STEWARD_DASHBOARD_CACHE_SECONDS = 300
    client = Client()
    client.force_login(cast.centre)
    first = client.get(centre_url(tree))
    assert "資料截至 2026-03-31 12:00" in _text(first.content.decode())
    _more_agencies(tree, 0, 1)  # a new agency: not on the kept board
    with django_assert_max_num_queries(12):
        again = client.get(centre_url(tree)).content.decode()
    assert "加開機關0" not in again
    # another person's board is their own, built for them
    other = Client()
    other.force_login(cast.cio)
    assert "加開機關0" in other.get(centre_url(tree)).content.decode()
    # the scoping rule is asked before the kept board: the liaison still gets 404
    liaison = Client()
    liaison.force_login(cast.liaison)
    assert liaison.get(centre_url(tree)).status_code == 404
    cache.clear()


def test_the_centre_s_timeline_says_how_many_organisations_are_late_with_each_item(
    tree: Tree, cast: Cast
) -> None:
    from steward.reports.dashboards.figures import schedule_of
    from steward.tasks.models import Task, TaskStatus

    version = plan_with_item(
        tree.ministry, lead=[tree.agency_a, tree.agency_b], deadlines=[("Q1", 3, 31)]
    )
    with time_machine.travel(TODAY, tick=False):
        generate_tasks(version, 2026)
    # 甲署 signed off on time; 乙署 has not done it
    Task.objects.filter(organisation=tree.agency_a).update(
        status=TaskStatus.SIGNED_OFF, completed_at=TODAY - datetime.timedelta(days=2)
    )
    with translation.override("zh-hant"):
        timeline = schedule_of(tree.ministry, cast.centre, datetime.date(2026, 4, 10)).timeline
    (row,) = timeline.table.rows
    assert row[0] == "1-3 進行盤點作業（2 個機關中 1 個逾期）"
    assert row[2] is None  # not done by every organisation yet
    assert "其中 1 項有機關逾期完成或逾期未完成（逾期工作共 1 件）" in timeline.description


def test_every_figure_of_the_centres_board_drills_down(
    mol: PlanVersion, tree: Tree, cast: Cast, today: datetime.date
) -> None:
    """Each cell's link opens its figure, an agency's cell in a column that only the
    ministry's target makes (新增開放項數, counted with the agencies below it) too."""
    Target.objects.create(
        version=mol,
        organisation=tree.ministry,
        year=2026,
        measure=TargetMeasure.DATASETS_NEW,
        value=10,
        covers_subtree=True,
    )
    page = _page(cast.centre, centre_url(tree))
    prefix = reverse("reports:dashboards:figure", args=[tree.ministry.pk, "x"]).split("/")
    links = set(re.findall(rf'href="({"/".join(prefix[:-3])}/[^"]+)"', page))
    figure_links = {link for link in links if "/figure/" in link}
    assert len(figure_links) >= 2 * 3  # the ministry and its agencies, several columns
    assert any(f"/figure/{tree.agency_a.pk}/target:" in link for link in figure_links), (
        "an agency's target column"
    )
    for link in sorted(figure_links):
        assert _get(cast.centre, link).status_code == 200, link
