"""Ministries are walls: a plan file never creates, renames or re-parents another ministry's
organisations, whoever installs it; the refusal names the key and nothing is written.

The bug this guards against: MOL's information centre uploaded its plan file with one extra
organisation, `key = "moj"`, `parent = "mol"`, and the Ministry of Justice moved under the
Ministry of Labor, so every MOL-wide role could read MOJ's datasets and inventory.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from steward.conftest import MinistryB, changed_tables, table_snapshot
from steward.organisations.factories import PersonFactory, RoleAssignmentFactory
from steward.organisations.models import Organisation, Person, Role
from steward.plans.planfile import PlanError
from steward.plans.services import BUILTIN_DIR, install_plan_file, install_plan_text

MOL_PLAN = (BUILTIN_DIR / "mol.toml").read_text(encoding="utf-8")


def with_organisation(text: str, entry: str) -> str:
    """The plan file with one more [[organisations]] entry, before the first version."""
    position = text.index("[[versions]]")
    return text[:position] + entry + "\n" + text[position:]


MOJ_UNDER_MOL = 'key = "moj"\nname = "法務部"\nkind = "agency"\nparent = "mol"\n'
RENAME_MOJ_AGENCY = 'key = "moj-aea"\nname = "勞動部行政執行署"\nkind = "agency"\nparent = "mol"\n'
MOJ_CENTRE_UNDER_MOL = 'key = "moj-ic"\nname = "法務部資訊中心"\nkind = "unit"\nparent = "mol"\n'


@pytest.fixture
def mol_centre(ministry_b: MinistryB) -> Person:
    install_plan_file(BUILTIN_DIR / "mol.toml")
    person = PersonFactory.create(username="mol_centre")
    RoleAssignmentFactory.create(
        person=person,
        organisation=Organisation.objects.get(key="mol-dit"),
        role=Role.INFORMATION_CENTRE,
    )
    return person


def upload(person: Person, text: str) -> str:
    client = Client()
    client.force_login(person)
    before = table_snapshot()
    response = client.post(
        reverse("plans:upload", args=["mol"]),
        {"file": SimpleUploadedFile("mol.toml", text.encode("utf-8"))},
    )
    assert response.status_code == 200, "the upload must be refused, not installed"
    assert changed_tables(before, table_snapshot()) == []
    return response.content.decode()


@pytest.mark.parametrize(
    ("entry", "key"),
    [(MOJ_UNDER_MOL, "moj"), (RENAME_MOJ_AGENCY, "moj-aea"), (MOJ_CENTRE_UNDER_MOL, "moj-ic")],
    ids=["ministry-reparented", "agency-renamed-and-moved", "unit-moved"],
)
def test_an_upload_naming_another_ministrys_organisation_is_refused_by_key(
    mol_centre: Person, ministry_b: MinistryB, entry: str, key: str
) -> None:
    page = upload(mol_centre, with_organisation(MOL_PLAN, "[[organisations]]\n" + entry))
    assert f"機關「{key}」屬於另一個部會（法務部）" in page
    assert "行動方案檔只能新增或修改本部會（「mol」）的機關" in page
    ministry_b.ministry.refresh_from_db()
    assert ministry_b.ministry.parent_id is None
    assert ministry_b.ministry.path == f"/{ministry_b.ministry.pk}/"
    ministry_b.agency.refresh_from_db()
    assert ministry_b.agency.name == "法務部行政執行署"
    assert ministry_b.agency.is_within(ministry_b.ministry)


def test_the_wall_holds_for_the_command_line_and_superusers_too(
    mol_centre: Person, ministry_b: MinistryB
) -> None:
    admin = PersonFactory.create(username="root", is_superuser=True, is_staff=True)
    text = with_organisation(MOL_PLAN, "[[organisations]]\n" + MOJ_UNDER_MOL)
    before = table_snapshot()
    for by in (None, admin):
        with pytest.raises(PlanError) as refused:
            install_plan_text(text, name="mol.toml", by=by)
        [problem] = refused.value.problems
        assert problem.path.endswith(".key") and "moj" in problem.reason
        assert problem.line is not None
    assert changed_tables(before, table_snapshot()) == []


def test_organisations_of_the_plans_own_ministry_may_still_be_added_and_moved(
    mol_centre: Person,
) -> None:
    text = with_organisation(
        MOL_PLAN,
        '[[organisations]]\nkey = "mol-bli-stats"\nname = "勞工保險局統計室"\n'
        'kind = "unit"\nparent = "mol-bli"\n',
    )
    install_plan_text(text, name="mol.toml", by=mol_centre)
    unit = Organisation.objects.get(key="mol-bli-stats")
    assert unit.is_within(Organisation.objects.get(key="mol"))
