"""`steward demo`: load the demo ministries with a year of activity and their demo logins.

MOL (勞動部) and its agencies from the built-in plan, and MOJ (法務部), whose plan has its CIO
approve every reply to the public. The activity is made through the real services
(`organisations/demo_activity.py`), then every installed app's `demo.populate(ministry,
today=...)` adds its own (tasks, and the committees and evaluation apps where installed).

Safe to run again: people and units are created only when missing, and the activity only on
a fresh database (a ministry that already has datasets is left alone).
"""

from __future__ import annotations

import datetime
from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from steward.cli import StewardCommand
from steward.organisations.models import (
    CommitteeSeat,
    Organisation,
    OrganisationKind,
    Person,
    Role,
    RoleAssignment,
)
from steward.organisations.services import grant_role

DEMO_PASSWORD = "steward-demo"

# Agencies the built-in plans do not name (the MOJ seed names none): (key, parent, name,
# agency code). Dataset identifiers start with the agency code (機關代碼); the MOJ seed states
# none, so the demo gives MOJ the codes the tests use (steward/conftest.py).
DEMO_AGENCIES = [
    ("moj-aea", "moj", "法務部行政執行署", "A03010000E"),
]
DEMO_MINISTRY_CODES = {"moj": "A03000000E"}

# Units below the agencies that the plans (built-in) define: (key, parent key, name).
DEMO_UNITS = [
    ("mol-dos", "mol", "勞動部統計處"),
    ("mol-bli-plan", "mol-bli", "勞動部勞工保險局企劃管理組"),
    ("mol-bli-stats", "mol-bli", "勞動部勞工保險局統計室"),
    ("mol-wda-plan", "mol-wda", "勞動部勞動力發展署綜合規劃組"),
    ("mol-osha-plan", "mol-osha", "勞動部職業安全衛生署綜合規劃組"),
    ("moj-aea-stats", "moj-aea", "法務部行政執行署統計室"),
]

# (username, display name, organisation key, role, committee seat)
DEMO_PEOPLE = [
    ("liaison", "林聯絡 (勞保局企劃管理組聯絡人)", "mol-bli-plan", Role.LIAISON, ""),
    ("reviewer", "陳科長 (勞保局企劃管理組審查者)", "mol-bli-plan", Role.UNIT_REVIEWER, ""),
    ("liaison-wda", "黃聯絡 (勞發署綜合規劃組聯絡人)", "mol-wda-plan", Role.LIAISON, ""),
    ("reviewer-wda", "張科長 (勞發署綜合規劃組審查者)", "mol-wda-plan", Role.UNIT_REVIEWER, ""),
    ("centre", "王專員 (勞動部資訊處)", "mol-dit", Role.INFORMATION_CENTRE, ""),
    ("cio", "李資訊長 (勞動部資訊長)", "mol", Role.CIO, ""),
    ("head", "吳局長 (勞保局機關首長)", "mol-bli", Role.HEAD_OF_AGENCY, ""),
    ("chair", "趙召集人 (諮詢小組召集人)", "mol", Role.COMMITTEE_MEMBER, CommitteeSeat.CHAIR),
    ("civil", "周委員 (諮詢小組民間代表)", "mol", Role.COMMITTEE_MEMBER, CommitteeSeat.CIVIL),
    ("auditor", "鄭稽核 (勞保局, 唯讀)", "mol-bli", Role.AUDITOR, ""),
]

# The second ministry, MOJ (法務部): its CIO approves every reply to the public.
DEMO_PEOPLE_MOJ = [
    ("moj-liaison", "劉聯絡 (行政執行署統計室聯絡人)", "moj-aea-stats", Role.LIAISON, ""),
    ("moj-reviewer", "許科長 (行政執行署統計室審查者)", "moj-aea-stats", Role.UNIT_REVIEWER, ""),
    ("moj-centre", "蔡專員 (法務部資訊處)", "moj-ic", Role.INFORMATION_CENTRE, ""),
    ("moj-cio", "楊資訊長 (法務部資訊長)", "moj", Role.CIO, ""),
    (
        "moj-civil",
        "何委員 (法務部諮詢小組民間代表)",
        "moj",
        Role.COMMITTEE_MEMBER,
        CommitteeSeat.CIVIL,
    ),
]

DEMO_MINISTRIES = (
    ("mol", DEMO_PEOPLE, "demo.mol.gov.tw"),
    ("moj", DEMO_PEOPLE_MOJ, "demo.moj.gov.tw"),
)


class Command(StewardCommand):
    help = (
        "Load the demo ministries (MOL, and MOJ whose CIO approves replies), the built-in plans"
        " and calendars, a year of activity and demo logins."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("calendar", "import", "--builtin", verbosity=0)
        call_command("plan", "install", "--builtin", verbosity=0)
        with transaction.atomic():
            self._units_and_people()
        today = timezone.localdate()
        self._schedules(today)
        self._activity(today)
        self._print_logins()

    def _units_and_people(self) -> None:
        for key, code in DEMO_MINISTRY_CODES.items():
            Organisation.objects.filter(key=key, agency_code="").update(agency_code=code)
        for key, parent_key, name, code in DEMO_AGENCIES:
            if not Organisation.objects.filter(key=key).exists():
                Organisation.objects.create(
                    key=key,
                    name=name,
                    kind=OrganisationKind.AGENCY,
                    parent=Organisation.objects.get(key=parent_key),
                    agency_code=code,
                )
        for key, parent_key, name in DEMO_UNITS:
            if not Organisation.objects.filter(key=key).exists():
                Organisation.objects.create(
                    key=key,
                    name=name,
                    kind=OrganisationKind.UNIT,
                    parent=Organisation.objects.get(key=parent_key),
                )
        for _ministry, people, domain in DEMO_MINISTRIES:
            for username, display_name, organisation_key, role, seat in people:
                person, created = Person.objects.get_or_create(
                    username=username,
                    defaults={"display_name": display_name, "email": f"{username}@{domain}"},
                )
                if created:
                    person.set_password(DEMO_PASSWORD)
                    person.save()
                organisation = Organisation.objects.get(key=organisation_key)
                if not RoleAssignment.objects.filter(
                    person=person, organisation=organisation, role=role
                ).exists():
                    grant_role(
                        by=None,
                        person=person,
                        organisation=organisation,
                        role=role,
                        committee_seat=seat,
                    )
        if not Person.objects.filter(username="admin").exists():
            Person.objects.create_superuser(
                "admin", "admin@demo.mol.gov.tw", DEMO_PASSWORD, display_name="系統管理者"
            )

    def _schedules(self, today: datetime.date) -> None:
        from steward.plans.models import Plan
        from steward.plans.schedule import compute_schedule

        for plan in Plan.objects.all():
            version = plan.current_version()
            if version is not None:
                for plan_year in (today.year, today.year + 1):
                    compute_schedule(version, plan_year)

    def _activity(self, today: datetime.date) -> None:
        """Each ministry's year of activity, then every app's `demo.populate`; only for a
        ministry that has none yet."""
        from steward.datasets.models import Dataset
        from steward.organisations.demo_activity import moj_activity, mol_activity

        makers = {"mol": mol_activity, "moj": moj_activity}
        populators = []
        for config in apps.get_app_configs():
            if not config.name.startswith("steward."):
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            if hasattr(module, "populate"):
                populators.append(module.populate)
        for key, _people, _domain in DEMO_MINISTRIES:
            ministry = Organisation.objects.get(key=key)
            if Dataset.objects.filter(organisation__path__startswith=ministry.path).exists():
                continue  # loaded before
            with transaction.atomic():
                makers[key](today)
            for populate in populators:
                with transaction.atomic():
                    populate(ministry, today=today)

    def _print_logins(self) -> None:
        self.stdout.write(self.style.SUCCESS("\nOpenData Steward demo"))
        # No address here: the server prints the one it really serves (scripts/demo).
        every = [person for _key, people, _domain in DEMO_MINISTRIES for person in people]
        width = max(len(username) for username, *_ in every)
        for title, people in (
            ("勞動部 (MOL) and its agencies", DEMO_PEOPLE),
            ("法務部 (MOJ): the CIO approves every reply to the public", DEMO_PEOPLE_MOJ),
        ):
            self.stdout.write(f"\n{title}. Sign in as one of:\n")
            for username, display_name, _org, role, _seat in people:
                self.stdout.write(f"  {username.ljust(width)}  {Role(role).label}  {display_name}")
        self.stdout.write(f"\n  {'admin'.ljust(width)}  superuser (Django admin at /admin/)")
        self.stdout.write(f"\nPassword for every demo login: {DEMO_PASSWORD}\n")
