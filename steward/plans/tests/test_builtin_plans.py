"""The built-in plans load, and say what the seeds say."""

from __future__ import annotations

from decimal import Decimal

import pytest

from steward.organisations.models import Organisation, OrganisationKind
from steward.plans.document import rules_for, rules_for_organisation
from steward.plans.models import KpiDefinition, Plan, Target
from steward.plans.services import BUILTIN_DIR, install_builtin_plans, install_plan_file

MOL_AGENCIES = ["mol", "mol-bli", "mol-wda", "mol-blf", "mol-osha", "mol-ilosh"]


@pytest.fixture
def mol(db: None) -> Plan:
    install_plan_file(BUILTIN_DIR / "mol.toml")
    return Plan.objects.get(key="mol")


def test_mol_plan_creates_the_ministry_its_agencies_and_information_unit(mol: Plan) -> None:
    ministry = Organisation.objects.get(key="mol")
    assert ministry.agency_code == "A17000000J"
    assert ministry.kind == OrganisationKind.MINISTRY
    assert mol.ministry == ministry
    for key in MOL_AGENCIES[1:]:
        assert Organisation.objects.get(key=key).parent == ministry
    information_unit = Organisation.objects.get(key="mol-dit")
    assert (information_unit.name, information_unit.kind) == ("勞動部資訊處", "unit")


@pytest.mark.parametrize(("year", "total"), [(2015, 255), (2016, 385), (2017, 515)])
def test_mol_dataset_totals_per_agency_add_up_to_the_plans_sum(
    mol: Plan, year: int, total: int
) -> None:
    targets = Target.objects.filter(version__plan=mol, year=year, measure="datasets_total")
    assert targets.count() == 6
    assert sum(t.value for t in targets) == total


def test_mol_growth_kpi_equals_the_yearly_increase_of_each_agency(mol: Plan) -> None:
    growth = KpiDefinition.objects.get(version__plan=mol, code="growth")
    for target in growth.targets.select_related("organisation"):
        totals = {
            t.year: t.value
            for t in Target.objects.filter(
                version__plan=mol, organisation=target.organisation, measure="datasets_total"
            )
        }
        assert target.value == totals[2017] - totals[2016] == totals[2016] - totals[2015]


def test_mol_kpis_carry_their_targets_and_exact_formulas(mol: Plan) -> None:
    kpis = {k.code: k for k in KpiDefinition.objects.filter(version__plan=mol)}
    assert list(kpis) == [
        "working_group_meetings",
        "growth",
        "accuracy_rate",
        "three_star_ratio",
        "replies_within_6_days",
    ]
    assert kpis["accuracy_rate"].formula == (
        "正確率=(1-(開放資料集未及時更新數+錯誤連結數+錯誤資訊數)/實際開放資料集數量)*100"
    )
    assert "四、五星等" in kpis["three_star_ratio"].bonus_rule
    targets = {t.organisation.key: t.value for t in kpis["replies_within_6_days"].targets.all()}
    assert targets == {key: Decimal("95") for key in MOL_AGENCIES}
    growth = {t.organisation.key: int(t.value) for t in kpis["growth"].targets.all()}
    assert growth == {
        "mol": 13,
        "mol-bli": 45,
        "mol-wda": 32,
        "mol-blf": 13,
        "mol-osha": 18,
        "mol-ilosh": 9,
    }


def test_mol_rules_give_six_calendar_days_and_a_top_three_award(mol: Plan) -> None:
    rules = rules_for(mol.versions.get())
    assert rules.feedback.limit_days == 6
    assert rules.feedback.day_kind == "calendar"
    assert not rules.feedback.cio_approves_replies
    assert rules.feedback.on_time_share_target == Decimal("95")
    assert rules.evaluation.award_top_n == 3
    assert rules.working_group.meetings_per_year == 4
    assert rules.quality.self_checks_per_year == 4
    assert rules_for_organisation(Organisation.objects.get(key="mol-bli")) == rules


def test_every_builtin_plan_installs(db: None) -> None:
    versions = install_builtin_plans()
    assert {v.plan.key for v in versions} == {p.stem for p in BUILTIN_DIR.glob("*.toml")}
    assert all(v.plan.built_in for v in versions)
