"""The standing cast every test module can use: a small ministry and one person per role.

ministry (部, A17000000J)
├── information centre (資訊處, unit)
├── agency A (A17010000J)
│   └── unit A1
└── agency B (A17020000J)
    └── unit B1

`ministry_b` adds a second ministry behind the wall, the Ministry of Justice from its
built-in plan, with its own people (`MinistryB`); `table_snapshot()` takes the contents of
every table, so a test can show that a refused request changed nothing. Plans for the test
ministry: `TEST_PLAN_HEAD` (a test adds its versions) and `follow_built_in("mol", tree)`.
`steward` runs the command line in this process, in a server's usual locale.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, NamedTuple

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection

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

#: The head of a plan file for the test ministry (t-ministry); a test adds its `[[versions]]`.
TEST_PLAN_HEAD = """format_version = 1

[plan]
key = "t-plan"
name = "測試部資料開放行動方案"
ministry = "t-ministry"

[[organisations]]
key = "t-ministry"
name = "測試部"
kind = "ministry"
agency_code = "A17000000J"

"""

#: The test ministry's two agencies, 甲署 and 乙局, for plans that name them.
TEST_PLAN_AGENCIES = """[[organisations]]
key = "t-agency-a"
name = "甲署"
kind = "agency"
parent = "t-ministry"
agency_code = "A17010000J"

[[organisations]]
key = "t-agency-b"
name = "乙局"
kind = "agency"
parent = "t-ministry"
agency_code = "A17020000J"

"""


def follow_built_in(key: str, tree: Tree) -> None:
    """Make the test ministry follow built-in plan `key`, as installed from its file.

    The test ministry borrows MOL's agency code, so the plan's own ministry is installed
    without it; the plan is then the test ministry's.
    """
    from steward.plans.models import Plan
    from steward.plans.services import BUILTIN_DIR, install_plan_text

    text = (BUILTIN_DIR / f"{key}.toml").read_text(encoding="utf-8")
    install_plan_text(text.replace(f'"{tree.ministry.agency_code}"', '""'), name=f"{key}.toml")
    Plan.objects.filter(key=key).update(ministry=tree.ministry)


@pytest.fixture(autouse=True)
def empty_cache() -> Any:
    """Each test starts with an empty cache: pages keep figures for minutes (dashboards, the
    home page's standing), verdicts are kept by id (`lib.kept`), and SQLite gives a
    rolled-back test's ids to the next test."""
    from django.core.cache import cache

    from steward.lib.kept import clear_all

    cache.clear()
    clear_all()
    yield
    cache.clear()
    clear_all()


class CliResult(NamedTuple):
    """What one `steward …` command did: its exit code and what it printed."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        """The error output's non-blank lines."""
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture
def chinese_environment(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """A server's usual locale (C.UTF-8): the command line speaks Traditional Chinese."""
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    settings.STEWARD_LANGUAGE = ""


@pytest.fixture
def steward(capsys: pytest.CaptureFixture[str], chinese_environment: None) -> Any:
    """Runs `steward ARGS…` as the command line does (`steward.cli.main`, in this process)."""
    from steward.cli import main

    def run(*argv: str) -> CliResult:
        capsys.readouterr()
        try:
            main(list(argv))
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


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


@dataclass
class MinistryB:
    """A second ministry, the Ministry of Justice (法務部) as its built-in plan installs it,
    with an agency and a unit added and one person per role. Nobody in `cast` may reach it.

    moj (法務部, A03000000E)
    ├── moj-ic (資訊中心, unit)
    └── moj-aea (行政執行署, agency, A03010000E)
        └── moj-aea-stats (行政執行署統計室, unit)
    """

    ministry: Organisation
    information_centre_unit: Organisation
    agency: Organisation
    unit: Organisation
    liaison: Person  # data liaison of the unit
    reviewer: Person  # unit reviewer of the unit
    centre: Person  # information centre (資訊中心)
    cio: Person
    head: Person  # head of the agency
    committee_civil: Person
    auditor: Person  # read-only auditor of the agency

    @property
    def people(self) -> list[Person]:
        return [
            self.liaison,
            self.reviewer,
            self.centre,
            self.cio,
            self.head,
            self.committee_civil,
            self.auditor,
        ]


@pytest.fixture
def ministry_b(db: None) -> MinistryB:
    """The Ministry of Justice from its built-in plan (steward/plans/builtin/moj.toml)."""
    from steward.plans.services import BUILTIN_DIR, install_plan_file

    install_plan_file(BUILTIN_DIR / "moj.toml")
    ministry = Organisation.objects.get(key="moj")
    Organisation.objects.filter(pk=ministry.pk).update(agency_code="A03000000E")
    ministry.refresh_from_db()
    centre_unit = Organisation.objects.get(key="moj-ic")
    agency = OrganisationFactory.create(
        key="moj-aea",
        name="法務部行政執行署",
        short_name="行政執行署",
        kind=OrganisationKind.AGENCY,
        parent=ministry,
        agency_code="A03010000E",
    )
    unit = OrganisationFactory.create(
        key="moj-aea-stats", name="行政執行署統計室", kind=OrganisationKind.UNIT, parent=agency
    )
    return MinistryB(
        ministry=ministry,
        information_centre_unit=centre_unit,
        agency=agency,
        unit=unit,
        liaison=_person("moj_liaison", unit, Role.LIAISON),
        reviewer=_person("moj_reviewer", unit, Role.UNIT_REVIEWER),
        centre=_person("moj_centre", centre_unit, Role.INFORMATION_CENTRE),
        cio=_person("moj_cio", ministry, Role.CIO),
        head=_person("moj_head", agency, Role.HEAD_OF_AGENCY),
        committee_civil=_person(
            "moj_committee_civil",
            ministry,
            Role.COMMITTEE_MEMBER,
            committee_seat=CommitteeSeat.CIVIL,
        ),
        auditor=_person("moj_auditor", agency, Role.AUDITOR),
    )


# Tables a refused request may legitimately touch: the visitor's own session (sign-in,
# messages, idle timeout), which is not the product's data.
SNAPSHOT_EXCLUDED = frozenset({Session._meta.label})


def table_snapshot() -> dict[str, tuple[int, str]]:
    """Every model's table: (row count, sha256 of all its rows in primary-key order).

    Compare two snapshots to show that a refused request left every table as it was:
    `assert table_snapshot() == before`. Sessions are left out (SNAPSHOT_EXCLUDED).
    """
    snapshot: dict[str, tuple[int, str]] = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            label = model._meta.label
            if label in SNAPSHOT_EXCLUDED or not model._meta.managed:
                continue
            # Raw rows: no model or converter work, so a snapshot stays cheap enough to take
            # after every request of a long matrix.
            table = model._meta.db_table
            # the primary key's columns: one, or several for a composite key (whose own
            # `column` is None; SQLite would read a quoted "None" as a string and not complain)
            keys = [field.column for field in model._meta.pk_fields]
            order = ", ".join(quote(str(key)) for key in keys)
            cursor.execute(f"SELECT * FROM {quote(table)} ORDER BY {order}")
            rows = cursor.fetchall()
            snapshot[label] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return snapshot


def changed_tables(
    before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]
) -> list[str]:
    """The tables whose contents differ between two snapshots, with their row counts."""
    return [
        f"{label}: {before.get(label, (0, ''))[0]} → {after.get(label, (0, ''))[0]} rows"
        for label in sorted(set(before) | set(after))
        if before.get(label) != after.get(label)
    ]
