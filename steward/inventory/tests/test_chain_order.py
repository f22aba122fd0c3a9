"""The inventory chain in the plan's order: MOEA has the agency's own CIO approve the return
before the information centre compiles it (經內部資訊長核定後提報); MOL goes straight to
the centre. The order is read from the plan file (`rules.inventory.stages`)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from steward.conftest import changed_tables, table_snapshot
from steward.inventory.models import AgencyInventory, InventoryStatus
from steward.inventory.services import (
    TransitionRefused,
    approve_compilation,
    approve_for_agency,
    compile_inventories,
    inventory_for,
    return_inventory,
    submit_inventory,
)
from steward.inventory.workflow import Step, available_steps
from steward.organisations.factories import OrganisationFactory, PersonFactory
from steward.organisations.models import Organisation, OrganisationKind, Person, Role
from steward.organisations.services import grant_role
from steward.plans.planfile import PlanError, read_plan_text
from steward.plans.services import BUILTIN_DIR, install_plan_file

YEAR = 2026


def _person(username: str, organisation: Organisation, role: Role) -> Person:
    person = PersonFactory.create(username=username)
    grant_role(by=None, person=person, organisation=organisation, role=role)
    return person


class Cast:
    def __init__(self, plan_key: str) -> None:
        install_plan_file(BUILTIN_DIR / f"{plan_key}.toml")
        self.ministry = Organisation.objects.get(key=plan_key)
        self.centre_unit = Organisation.objects.get(
            key=f"{plan_key}-ic" if plan_key == "moea" else "mol-dit"
        )
        self.agency = OrganisationFactory.create(
            key=f"{plan_key}-x", name="甲局", kind=OrganisationKind.AGENCY, parent=self.ministry
        )
        self.unit = OrganisationFactory.create(
            key=f"{plan_key}-x-u", name="甲局資訊室", kind=OrganisationKind.UNIT, parent=self.agency
        )
        self.other_agency = OrganisationFactory.create(
            key=f"{plan_key}-y", name="乙局", kind=OrganisationKind.AGENCY, parent=self.ministry
        )
        self.liaison = _person(f"{plan_key}-liaison", self.unit, Role.LIAISON)
        self.agency_cio = _person(f"{plan_key}-agency-cio", self.agency, Role.CIO)
        self.other_cio = _person(f"{plan_key}-other-cio", self.other_agency, Role.CIO)
        self.cio = _person(f"{plan_key}-cio", self.ministry, Role.CIO)
        self.centre = _person(f"{plan_key}-centre", self.centre_unit, Role.INFORMATION_CENTRE)


@pytest.fixture
def moea(db: None) -> Cast:
    return Cast("moea")


@pytest.fixture
def mol(db: None) -> Cast:
    return Cast("mol")


def _submit(cast: Cast) -> AgencyInventory:
    return submit_inventory(
        inventory_for(cast.agency, YEAR), by=cast.liaison, shortfall_reason="尚在盤點"
    )


def test_moea_goes_to_the_agency_cio_then_the_centre_then_the_ministry_cio(moea: Cast) -> None:
    inventory = _submit(moea)
    assert inventory.status == InventoryStatus.AGENCY_APPROVAL
    assert available_steps(moea.agency_cio, moea.agency, inventory.status) == [
        Step.AGENCY_APPROVE,
        Step.RETURN,
    ]
    # The centre has nothing to compile until the agency's CIO approved.
    before = table_snapshot()
    with pytest.raises(TransitionRefused):
        compile_inventories(moea.ministry, YEAR, by=moea.centre)
    assert changed_tables(before, table_snapshot()) == []
    inventory = approve_for_agency(inventory, by=moea.agency_cio)
    assert inventory.status == InventoryStatus.SUBMITTED
    compilation = compile_inventories(moea.ministry, YEAR, by=moea.centre)
    approve_compilation(compilation, by=moea.cio)
    inventory.refresh_from_db()
    assert inventory.status == InventoryStatus.APPROVED


@pytest.mark.parametrize("who", ["cio", "other_cio", "centre", "liaison"])
def test_only_the_agency_own_cio_approves_it_first(moea: Cast, who: str) -> None:
    inventory = _submit(moea)
    before = table_snapshot()
    with pytest.raises(PermissionDenied):
        approve_for_agency(inventory, by=getattr(moea, who))
    assert changed_tables(before, table_snapshot()) == []


def test_the_agency_cio_may_send_it_back_with_a_reason(moea: Cast) -> None:
    inventory = _submit(moea)
    inventory = return_inventory(inventory, by=moea.agency_cio, reason="缺兩項資料")
    assert inventory.status == InventoryStatus.RETURNED
    assert _submit(moea).status == InventoryStatus.AGENCY_APPROVAL


def test_approving_twice_changes_nothing_the_second_time(moea: Cast) -> None:
    inventory = approve_for_agency(_submit(moea), by=moea.agency_cio)
    before = table_snapshot()
    with pytest.raises(TransitionRefused):
        approve_for_agency(inventory, by=moea.agency_cio)
    assert changed_tables(before, table_snapshot()) == []


def test_mol_goes_straight_to_the_centre_and_has_no_agency_cio_stage(mol: Cast) -> None:
    inventory = _submit(mol)
    assert inventory.status == InventoryStatus.SUBMITTED
    assert Step.AGENCY_APPROVE not in available_steps(mol.agency_cio, mol.agency, inventory.status)
    before = table_snapshot()
    with pytest.raises(TransitionRefused):
        approve_for_agency(inventory, by=mol.agency_cio)
    assert changed_tables(before, table_snapshot()) == []


def test_a_plan_with_the_stages_out_of_order_is_refused() -> None:
    text = (
        (BUILTIN_DIR / "moea.toml")
        .read_text(encoding="utf-8")
        .replace(
            'stages = ["agency_approval", "compilation", "approval"]',
            'stages = ["compilation", "agency_approval", "approval"]',
        )
    )
    with pytest.raises(PlanError) as refused:
        read_plan_text(text, name="moea.toml")
    assert any("inventory.stages" in problem.path for problem in refused.value.problems)
