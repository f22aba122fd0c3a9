"""The standing cast every test module can use: a small ministry and one person per role.

ministry (部, A17000000J)
├── information centre (資訊處, unit)
├── agency A (A17010000J)
│   └── unit A1
└── agency B (A17020000J)
    └── unit B1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from steward.organisations.factories import (
    OrganisationFactory,
    PersonFactory,
    RoleAssignmentFactory,
)
from steward.organisations.models import (
    CommitteeSeat,
    Organisation,
    OrganisationKind,
    Person,
    Role,
)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Real hashing costs a quarter-second per person; tests create hundreds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Tree:
    ministry: Organisation
    information_centre_unit: Organisation
    agency_a: Organisation
    unit_a1: Organisation
    agency_b: Organisation
    unit_b1: Organisation


@dataclass
class Cast:
    liaison: Person  # data liaison of unit A1
    reviewer: Person  # unit reviewer of unit A1
    other_reviewer: Person  # unit reviewer of unit B1 (another agency)
    other_liaison: Person  # data liaison of unit B1
    centre: Person  # information-centre officer
    cio: Person
    head: Person  # head of agency A
    committee_civil: Person  # civil representative on the advisory committee
    auditor: Person  # read-only auditor of agency A
    outsider: Person  # signed in, no role


@pytest.fixture
def tree(db: None) -> Tree:
    ministry = OrganisationFactory.create(
        key="t-ministry", name="測試部", kind=OrganisationKind.MINISTRY, agency_code="A17000000J"
    )
    centre = OrganisationFactory.create(
        key="t-centre", name="資訊處", kind=OrganisationKind.UNIT, parent=ministry
    )
    agency_a = OrganisationFactory.create(
        key="t-agency-a",
        name="甲署",
        kind=OrganisationKind.AGENCY,
        parent=ministry,
        agency_code="A17010000J",
    )
    unit_a1 = OrganisationFactory.create(
        key="t-unit-a1", name="甲署綜合規劃組", kind=OrganisationKind.UNIT, parent=agency_a
    )
    agency_b = OrganisationFactory.create(
        key="t-agency-b",
        name="乙局",
        kind=OrganisationKind.AGENCY,
        parent=ministry,
        agency_code="A17020000J",
    )
    unit_b1 = OrganisationFactory.create(
        key="t-unit-b1", name="乙局統計室", kind=OrganisationKind.UNIT, parent=agency_b
    )
    return Tree(ministry, centre, agency_a, unit_a1, agency_b, unit_b1)


def _person(
    username: str, organisation: Organisation | None, role: Role | None, **extra: str
) -> Person:
    person = PersonFactory.create(username=username)
    if organisation is not None and role is not None:
        RoleAssignmentFactory.create(person=person, organisation=organisation, role=role, **extra)
    return person


@pytest.fixture
def cast(tree: Tree) -> Cast:
    return Cast(
        liaison=_person("liaison", tree.unit_a1, Role.LIAISON),
        reviewer=_person("reviewer", tree.unit_a1, Role.UNIT_REVIEWER),
        other_reviewer=_person("other_reviewer", tree.unit_b1, Role.UNIT_REVIEWER),
        other_liaison=_person("other_liaison", tree.unit_b1, Role.LIAISON),
        centre=_person("centre", tree.information_centre_unit, Role.INFORMATION_CENTRE),
        cio=_person("cio", tree.ministry, Role.CIO),
        head=_person("head", tree.agency_a, Role.HEAD_OF_AGENCY),
        committee_civil=_person(
            "committee_civil",
            tree.ministry,
            Role.COMMITTEE_MEMBER,
            committee_seat=CommitteeSeat.CIVIL,
        ),
        auditor=_person("auditor", tree.agency_a, Role.AUDITOR),
        outsider=_person("outsider", None, None),
    )
