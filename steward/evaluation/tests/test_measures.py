"""The seeds' measures, computed through the registry from the records, with drill-down."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from steward.conftest import Cast, MinistryB, Tree
from steward.datasets.models import Dataset
from steward.evaluation import presenting, registry, services
from steward.evaluation.kpis import OTHER_ACHIEVEMENTS
from steward.evaluation.registry import MeasureContext
from steward.evaluation.runs import EvaluationError
from steward.evaluation.tests.conftest import at
from steward.inventory.tests.helpers import open_item
from steward.organisations.models import Organisation
from steward.plans.models import Plan

YEAR = (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


def compute(name: str, organisation: Organisation, start: datetime.date = YEAR[0],
            end: datetime.date = YEAR[1], **extra: object) -> registry.Figure:  # fmt: skip
    plan = Plan.objects.filter(ministry=organisation.ministry).first()
    version = plan.current_version() if plan else None
    context = MeasureContext(organisation, start, end, version=version, **extra)  # type: ignore[arg-type]
    return registry.get(name).function(context)


def test_every_measure_the_seeds_name_but_the_committees_is_registered() -> None:
    for name in ("accuracy_rate", "three_star_ratio", "datasets_new", "feedback_on_time_ratio",
                 "scheduled_openings_on_time", "dataset_quality", "other_achievements",
                 "inventory_against_target"):  # fmt: skip
        assert registry.is_registered(name), name
    assert registry.get("other_achievements").self_reported


def test_replies_within_the_limit_with_the_faster_reply_bonus(
    plan: Plan, tree: Tree, reply: Callable[..., object]
) -> None:
    reply(tree.unit_a1, "2026-02-02T10:00", "2026-02-04T10:00")  # before the last day
    reply(tree.unit_a1, "2026-02-03T10:00", "2026-02-09T23:00")  # on the 6th day
    reply(tree.unit_a1, "2026-02-03T10:00", "2026-02-20T10:00")  # late
    reply(tree.unit_b1, "2026-02-03T10:00", "2026-02-04T10:00")  # another agency
    figure = compute("feedback_on_time_ratio", tree.agency_a)
    assert figure.value == Decimal("66.6667")
    assert figure.terms["on_time"] == 2 and figure.terms["all_items"] == 3
    assert figure.terms["bonus_share"] == Decimal("33.3333")
    assert [c.term for c in figure.counted].count("not_on_time") == 1
    assert all(c.url.startswith("/feedback/") for c in figure.counted)
    assert compute("feedback_on_time_ratio", tree.agency_a, *YEAR[:1], YEAR[0]).value is None


def test_an_item_not_yet_answered_and_not_yet_due_is_listed_as_such_not_as_late(
    plan: Plan, tree: Tree, reply: Callable[..., object]
) -> None:
    """The plan's formula counts every item received; one still within its limit is not
    called late: it is listed apart, and the figure says how it counts."""
    reply(tree.unit_a1, "2026-03-02T10:00", "2026-03-03T10:00")  # on time
    reply(tree.unit_a1, "2026-03-02T10:00", None)  # due 2026-03-09: overdue by the 20th
    reply(tree.unit_a1, "2026-03-19T10:00", None)  # due on the 26th: not yet
    with time_machine.travel(at("2026-03-20T10:00"), tick=False):
        figure = compute("feedback_on_time_ratio", tree.agency_a)
    terms = [c.term for c in figure.counted]
    assert terms.count("on_time") == 1
    assert terms.count("not_on_time") == 1
    assert terms.count("not_yet_due") == 1
    assert figure.terms["all_items"] == 3 and figure.terms["not_yet_due"] == 1
    assert figure.value == Decimal("33.3333")  # the plan's formula: every item received
    assert "1" in figure.note and figure.note
    assert presenting.term_label("not_yet_due") != presenting.term_label("nonesuch")


def test_the_committees_terms_have_words_of_their_own() -> None:
    for term in ("meetings", "civil_representatives", "not_yet_due"):
        assert presenting.term_label(term) != presenting.term_label("nonesuch"), term


def test_new_datasets_count_the_organisation_with_its_units_not_its_agencies(
    plan: Plan, tree: Tree, dataset: Callable[..., Dataset]
) -> None:
    dataset(tree.information_centre_unit, "A17000000J-000001", "2026-03-01T09:00")
    dataset(tree.agency_a, "A17010000J-000001", "2026-03-01T09:00")
    dataset(tree.agency_a, "A17010000J-000002", "2025-12-31T23:00")  # the year before
    ministry = compute("datasets_new", tree.ministry)
    assert ministry.value == 1 and ministry.counted[0].label.startswith("A17000000J-000001")
    assert compute("datasets_new", tree.ministry, include_subtree=True).value == 2
    assert compute("datasets_new", tree.agency_a).value == 1


def test_mojs_170_a_year_counts_the_ministry_with_its_agencies(
    ministry_b: MinistryB, dataset: Callable[..., Dataset]
) -> None:
    dataset(ministry_b.unit, "A03010000E-000001", "2026-05-01T09:00")
    dataset(ministry_b.information_centre_unit, "A03000000E-000001", "2026-05-01T09:00")
    figure = compute("datasets_new", ministry_b.ministry)
    assert figure.value == 2 and figure.note


def test_planned_openings_on_time_by_the_end_of_their_half(
    plan: Plan, tree: Tree, dataset: Callable[..., Dataset]
) -> None:
    early = dataset(tree.agency_a, "A17010000J-000001", "2026-06-30T20:00")
    late = dataset(tree.agency_a, "A17010000J-000002", "2026-07-01T09:00")
    open_item(tree.unit_a1, "0001", dataset=early)
    open_item(tree.unit_a1, "0002", dataset=late)
    open_item(tree.unit_a1, "0003")  # never opened
    open_item(tree.unit_a1, "0004", planned_half="H2")  # not due in the first half
    first_half = compute(
        "scheduled_openings_on_time", tree.agency_a, YEAR[0], datetime.date(2026, 6, 30)
    )
    assert first_half.terms == {"on_time": 1, "planned": 3}
    assert first_half.value == Decimal("33.3333")
    assert compute("scheduled_openings_on_time", tree.agency_b).value is None  # nothing planned


def test_inventory_against_target_names_the_reason_for_a_shortfall(plan: Plan, tree: Tree) -> None:
    assert compute("inventory_against_target", tree.agency_a).value is None
    open_item(tree.unit_a1, "0001")
    figure = compute("inventory_against_target", tree.agency_a)
    assert figure.value == 1 and [c.term for c in figure.counted] == ["planned"]


def test_only_accepted_self_reports_count(plan: Plan, tree: Tree, cast: Cast) -> None:
    def submit(value: str) -> object:
        return services.submit_self_report(
            tree.unit_a1, by=cast.liaison, measure=OTHER_ACHIEVEMENTS,
            start=datetime.date(2026, 1, 1), end=datetime.date(2026, 6, 30), value=Decimal(value),
            summary="與民間團體合辦黑客松", evidence_links="https://example.org/hackathon",
        )  # fmt: skip

    kept, returned = submit("2"), submit("5")
    assert compute(OTHER_ACHIEVEMENTS, tree.unit_a1).value is None  # awaiting review: no data
    with pytest.raises(PermissionDenied):
        services.review_self_report(kept, by=cast.liaison, accept=True)  # type: ignore[arg-type]
    services.review_self_report(kept, by=cast.centre, accept=True)  # type: ignore[arg-type]
    with pytest.raises(EvaluationError):
        services.review_self_report(returned, by=cast.centre, accept=False)  # type: ignore[arg-type]
    services.review_self_report(returned, by=cast.centre, accept=False, comment="缺佐證")  # type: ignore[arg-type]
    figure = compute(OTHER_ACHIEVEMENTS, tree.unit_a1)
    assert figure.value == 2 and len(figure.counted) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"evidence_links": ""}, "請提供佐證"),
        ({"evidence_links": "javascript:alert(1)"}, "不是網址"),
        ({"value": Decimal(-1)}, "不可為負數"),
        ({"end": datetime.date(2025, 1, 1)}, "迄日早於起日"),
        ({"measure": "datasets_new"}, "由系統依紀錄計算"),
    ],
)
def test_a_bad_self_report_is_refused_and_nothing_is_stored(
    plan: Plan, tree: Tree, cast: Cast, change: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {
        "by": cast.liaison, "measure": OTHER_ACHIEVEMENTS, "start": datetime.date(2026, 1, 1),
        "end": datetime.date(2026, 6, 30), "value": Decimal(1), "summary": "成果",
        "evidence_links": "https://example.org/a", **change,
    }  # fmt: skip
    with pytest.raises(EvaluationError, match=message):
        services.submit_self_report(tree.unit_a1, **values)  # type: ignore[arg-type]
    from steward.evaluation.models import SelfReport

    assert not SelfReport.objects.exists()


def test_quality_measures_without_results_have_no_data(plan: Plan, tree: Tree) -> None:
    for name in ("accuracy_rate", "three_star_ratio", "dataset_quality"):
        assert compute(name, tree.agency_a).value is None, name


def test_a_dataset_published_late_in_the_day_counts_in_its_local_day(
    plan: Plan, tree: Tree, dataset: Callable[..., Dataset]
) -> None:
    dataset(tree.agency_a, "A17010000J-000001", "2026-12-31T23:30")
    assert compute("datasets_new", tree.agency_a).value == 1
    assert compute("datasets_new", tree.agency_a, YEAR[0], datetime.date(2026, 12, 30)).value == 0


def test_quality_measures_count_each_dataset_once_with_the_bonus_share(
    plan: Plan, tree: Tree
) -> None:
    """Three datasets judged in Q1: one broken, one of four stars, one of three stars."""
    from django.utils import timezone

    from steward.quality.models import CheckEntry, CheckKind, CheckResult, CheckRun, RunStatus

    run = CheckRun.objects.create(
        kind=CheckKind.SELF_CHECK, organisation=tree.agency_a, source="test",
        status=RunStatus.DONE, finished_at=timezone.now(),
    )  # fmt: skip
    when = timezone.make_aware(datetime.datetime(2026, 2, 1, 9))
    for number, (state, stars) in enumerate([("broken", None), ("ok", 4), ("ok", 3)], start=1):
        result = CheckResult.objects.create(
            run=run, organisation=tree.agency_a, key=f"r{number}", state=state, reason=state,
            dataset_identifier=f"A17010000J-00000{number}", title=f"資料集{number}",
            stars=stars, timely=True, checked_at=when,
        )  # fmt: skip
        CheckEntry.objects.create(run=run, result=result, checked_at=when)
    quarter = (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    accuracy = compute("accuracy_rate", tree.agency_a, *quarter)
    assert accuracy.value == Decimal("66.6667") and accuracy.terms["broken_links"] == 1
    assert [c.term for c in accuracy.counted].count("broken_links") == 1
    ratio = compute("three_star_ratio", tree.agency_a, *quarter)
    assert ratio.value == Decimal("66.6667") and ratio.terms["bonus_share"] == Decimal("33.3333")
    quality = compute("dataset_quality", tree.agency_a, *quarter)
    assert quality.terms == {"sound": 2, "with_problems": 1, "open_datasets": 3}
