"""KPI measures computed together (`registry.computing_together`: the home page's standing,
the dashboards) read their rows once for every organisation, and give each organisation
exactly the figure its measure gives computed alone; a dashboard's queries do not grow with
the number of agencies that have data."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from steward.committees.models import Committee, Kind, Meeting
from steward.committees.services import set_up_from_plan
from steward.conftest import Cast, Tree, follow_built_in
from steward.datasets.models import Dataset, DatasetVersion, Resource
from steward.datasets.workflow import Status
from steward.evaluation import registry
from steward.evaluation.registry import MeasureContext
from steward.feedback import services as feedback
from steward.feedback.models import Channel
from steward.feedback.models import Kind as FeedbackKind
from steward.organisations.factories import OrganisationFactory, PersonFactory
from steward.organisations.models import Organisation, OrganisationKind, Role, RoleAssignment
from steward.organisations.standing import standings_for
from steward.plans.models import PlanVersion
from steward.quality.models import (
    CheckEntry,
    CheckKind,
    CheckResult,
    CheckRun,
    CheckState,
    RunStatus,
)

TAIPEI = ZoneInfo("Asia/Taipei")
TODAY = datetime.datetime(2026, 9, 30, 12, 0, tzinfo=TAIPEI)


def _at(month: int, day: int, hour: int = 10, year: int = 2026) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, 0, tzinfo=TAIPEI)


def _activity(organisation: Organisation, serial: int, cast: Cast, *, moved_to: Organisation) -> None:  # fmt: skip
    """A varied year for one organisation: datasets first open in and out of the year (one
    by its published version only), checks in two quarters with every kind of verdict, one
    resource whose latest verdict was recorded under another organisation, and feedback
    replied on time, late and not at all."""
    code = organisation.agency_code or f"T{serial:02d}"
    datasets = []
    for n in range(6 + serial % 3):
        issued = [_at(3, 1 + n), _at(12, 20, year=2025), None][n % 3]
        dataset = Dataset.objects.create(
            organisation=organisation, identifier=f"{code}-{serial:02d}{n:04d}"[:17],
            title=f"資料集{serial}-{n}", status=Status.PUBLISHED, issued=issued,
        )  # fmt: skip
        if issued is None:  # first open by its first published version
            DatasetVersion.objects.create(
                dataset=dataset, number=1, metadata={}, published_at=_at(4, 2 + n)
            )
        Resource.objects.create(
            dataset=dataset, resourceID=f"{dataset.identifier}-001", format="CSV",
            downloadURL=f"https://files.example.org/{dataset.identifier}.csv",
        )  # fmt: skip
        datasets.append(dataset)
    for quarter, checked_at in ((1, _at(3, 15)), (2, _at(6, 15))):
        run = CheckRun.objects.create(
            kind=CheckKind.SELF_CHECK, organisation=organisation, source=f"t:{serial}:{quarter}",
            status=RunStatus.DONE, finished_at=checked_at,
        )  # fmt: skip
        for n, dataset in enumerate(datasets):
            owner = moved_to if (n == 0 and quarter == 2) else organisation
            state = [CheckState.OK, CheckState.BROKEN, CheckState.UNKNOWN][(n + quarter) % 3]
            details: dict[str, Any] = {}
            if n % 4 == 1:
                details = {"checks": {"format": {"verdict": "mismatch"}}, "declared": {}}
            if n % 5 == 2:
                details = {"checks": {"timeliness": {"explanation": "逾期"}}}
            result = CheckResult.objects.create(
                run=run, organisation=owner, key=f"{dataset.identifier}-001",
                url=f"https://files.example.org/{dataset.identifier}.csv",
                dataset_identifier=dataset.identifier, title=dataset.title, state=state,
                reason="ok", mark=["gold", "silver", "bronze", "none"][n % 4],
                stars=(n + quarter) % 6, timely=None if n % 5 == 3 else n % 5 != 2,
                details=details, checked_at=checked_at,
            )  # fmt: skip
            CheckEntry.objects.create(run=run, result=result, checked_at=checked_at)
    liaison = PersonFactory.create(username=f"t-liaison-{serial}")
    RoleAssignment.objects.create(person=liaison, organisation=organisation, role=Role.LIAISON)
    for n, (received, replied) in enumerate(
        ((_at(2, 2), _at(2, 4)), (_at(3, 3), _at(3, 20)), (_at(5, 5), None))[: 1 + serial % 3]
    ):
        with time_machine.travel(received, tick=False):
            item = feedback.enter(
                by=cast.centre, kind=FeedbackKind.COMMENT, text="意見", subject=f"意見{n}",
                organisation=organisation, received_at=received,
                channel=Channel.NATIONAL_PORTAL,
            )  # fmt: skip
        if replied is not None:
            with time_machine.travel(replied, tick=False):
                feedback.draft_reply(item, by=liaison, text="回復")
                feedback.send_reply(item, by=liaison)


def _agencies(tree: Tree, first: int, count: int) -> list[Organisation]:
    made = []
    for n in range(first, first + count):
        agency = OrganisationFactory.create(
            key=f"t-extra-{n}", name=f"加開機關{n}", kind=OrganisationKind.AGENCY,
            parent=tree.ministry, agency_code=f"A17{n + 50:03d}000J",
        )  # fmt: skip
        made.append(agency)
    return made


@pytest.fixture
def mol_year(tree: Tree, cast: Cast) -> PlanVersion:
    """The test ministry under MOL's plan (its KPIs and targets), with a working group
    meeting, and a varied year in both agencies, a unit and the ministry itself."""
    follow_built_in("mol", tree)
    set_up_from_plan(tree.ministry, by=cast.centre)
    group = Committee.objects.get(organisation=tree.agency_a, kind=Kind.WORKING_GROUP)
    Meeting.objects.create(committee=group, held_on=datetime.date(2026, 5, 6), number="第1次")
    _activity(tree.agency_a, 1, cast, moved_to=tree.unit_a1)
    _activity(tree.unit_b1, 2, cast, moved_to=tree.agency_b)
    _activity(tree.information_centre_unit, 3, cast, moved_to=tree.agency_a)
    return PlanVersion.objects.filter(plan__ministry=tree.ministry).latest("adopted_on")


def test_every_figure_computed_together_is_the_figure_computed_alone(
    mol_year: PlanVersion, tree: Tree, cast: Cast
) -> None:
    _activity(_agencies(tree, 0, 1)[0], 4, cast, moved_to=tree.agency_b)
    organisations = list(
        Organisation.objects.filter(
            path__startswith=tree.ministry.path,
            kind__in=[OrganisationKind.MINISTRY, OrganisationKind.AGENCY],
        ).order_by("path")
    )
    with time_machine.travel(TODAY, tick=False):
        standing = standings_for(organisations, tree.ministry, today=TODAY.date())
        assert standing is not None
        compared = 0
        for row in standing.rows:
            for cell in row.cells:
                if not cell.computed:
                    continue
                indicator = cell.indicator
                context = MeasureContext(
                    organisation=row.organisation, start=standing.start, end=standing.end,
                    version=standing.version, kpi=indicator.kpi,
                    include_subtree=indicator.covers_subtree,
                )  # fmt: skip
                alone = registry.get(indicator.measure).function(context)
                assert cell.figure == alone, (row.organisation.key, indicator.key)
                compared += 1
    # every KPI of MOL's plan and its dataset target, for the ministry and three agencies
    measures = {cell.indicator.measure for cell in standing.rows[0].cells if cell.computed}
    assert measures >= {
        "accuracy_rate", "three_star_ratio", "datasets_new", "feedback_on_time_ratio",
        "working_group_meetings",
    }  # fmt: skip
    assert compared >= 4 * 5
    # and the data was varied enough to tell figures apart: not all empty, not all equal
    values = {
        (cell.indicator.key, row.organisation.key): cell.value
        for row in standing.rows
        for cell in row.cells
    }
    assert values[("kpi:accuracy_rate", tree.agency_a.key)] is not None
    assert len({value for value in values.values() if value is not None}) > 5
    assert values[("kpi:working_group_meetings", tree.agency_a.key)] == 1


@pytest.mark.parametrize("page", ["centre", "home"])
def test_a_pages_queries_do_not_grow_with_agencies_that_have_data(
    mol_year: PlanVersion,
    tree: Tree,
    cast: Cast,
    settings: Any,
    page: str,
    django_assert_max_num_queries: Any,
) -> None:
    settings.STEWARD_DASHBOARD_CACHE_SECONDS = 0
    url = {
        "centre": reverse("reports:dashboards:centre", args=[tree.ministry.pk]),
        "home": reverse("home"),
    }[page]
    client = Client()
    client.force_login(cast.centre)
    with time_machine.travel(TODAY, tick=False):
        client.get(url)  # warm (sessions, content types)
    for n, agency in enumerate(_agencies(tree, 0, 2)):
        _activity(agency, 10 + n, cast, moved_to=tree.agency_a)
    with time_machine.travel(TODAY, tick=False), django_assert_max_num_queries(80) as few:
        assert client.get(url).status_code == 200
    for n, agency in enumerate(_agencies(tree, 2, 5)):
        _activity(agency, 20 + n, cast, moved_to=tree.agency_b)
    at_most = len(few.captured_queries)
    with time_machine.travel(TODAY, tick=False), django_assert_max_num_queries(at_most):
        response = client.get(url)
    assert response.status_code == 200
    assert "加開機關6" in response.content.decode()
