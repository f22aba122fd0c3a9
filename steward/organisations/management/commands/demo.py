"""`steward demo`: load the demo ministry (MOL and its six agencies), its plan and demo logins.

Safe to run again: everything is created only when missing.
"""

from __future__ import annotations

from typing import Any

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

# Units below the agencies that the MOL plan (built-in) defines: (key, parent key, name).
DEMO_UNITS = [
    ("mol-dos", "mol", "勞動部統計處"),
    ("mol-bli-plan", "mol-bli", "勞動部勞工保險局企劃管理組"),
    ("mol-bli-stats", "mol-bli", "勞動部勞工保險局統計室"),
    ("mol-wda-plan", "mol-wda", "勞動部勞動力發展署綜合規劃組"),
    ("mol-osha-plan", "mol-osha", "勞動部職業安全衛生署綜合規劃組"),
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


DEMO_INVENTORY: list[dict[str, Any]] = [
    {
        "name": "勞工保險投保單位數統計",
        "source": "system_database",
        "classification": "open",
        "planned_half": "H1",
        "priority_statutory_duty": True,
        "description": "各縣市勞工保險投保單位數，按月統計。",
    },
    {
        "name": "勞工保險職業災害給付件數",
        "source": "system_database",
        "classification": "open",
        "planned_half": "H2",
        "gender_statistics": True,
        "description": "職業災害給付件數，按性別及行業別統計。",
    },
    {
        "name": "被保險人投保薪資明細",
        "source": "system_database",
        "classification": "not_provided",
        "restriction_reason": "privacy",
        "legal_basis": "個人資料保護法第5條、政府資訊公開法第18條第1項第6款",
        "description": "個別被保險人之投保薪資資料。",
    },
    {
        "name": "投保單位違規處分清冊",
        "source": "documents",
        "classification": "on_request",
        "restriction_reason": "third_party",
        "restriction_note": "涉及事業單位營業資訊，依申請審酌提供。",
        "description": "投保單位違反勞工保險條例之處分紀錄。",
    },
]


def _demo_metadata(title: str) -> dict[str, Any]:
    return {
        "categoryCode": "500",
        "title": title,
        "description": f"{title}，由勞動部勞工保險局按月提供。",
        "fieldDescription": "year(年度)、month(月份)、county(縣市)、count(件數)",
        "type": "rawData",
        "license": "政府資料開放授權條款-第1版",
        "licenseURL": "https://data.gov.tw/license",
        "cost": "免費",
        "organization": "勞動部",
        "organizationContactName": "王專員",
        "organizationContactPhone": "02-89956666",
        "organizationContactEmail": "centre@demo.mol.gov.tw",
        "publisher": "勞動部勞工保險局",
        "publisherContactName": "林聯絡",
        "publisherContactPhone": "02-23961266",
        "publisherContactEmail": "liaison@demo.mol.gov.tw",
        "accrualPeriodicity": "每月",
        "language": "zh-TW",
        "keyword": ["勞工保險", "統計"],
    }


def _demo_resource(title: str) -> dict[str, Any]:
    return {
        "resourceDescription": f"{title} CSV",
        "format": "CSV",
        "characterSetCode": "UTF-8",
        "downloadURL": "https://www.bli.gov.tw/opendata/demo.csv",
    }


class Command(StewardCommand):
    help = "Load the demo ministry (MOL), the built-in plans and calendars, and demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("calendar", "import", "--builtin", verbosity=0)
        call_command("plan", "install", "--builtin", verbosity=0)
        with transaction.atomic():
            self._units_and_people()
        self._schedules()
        with transaction.atomic():
            self._work_in_progress()
        self._print_logins()

    def _units_and_people(self) -> None:
        for key, parent_key, name in DEMO_UNITS:
            if not Organisation.objects.filter(key=key).exists():
                Organisation.objects.create(
                    key=key,
                    name=name,
                    kind=OrganisationKind.UNIT,
                    parent=Organisation.objects.get(key=parent_key),
                )
        for username, display_name, organisation_key, role, seat in DEMO_PEOPLE:
            person, created = Person.objects.get_or_create(
                username=username,
                defaults={"display_name": display_name, "email": f"{username}@demo.mol.gov.tw"},
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

    def _schedules(self) -> None:
        from steward.plans.models import Plan
        from steward.plans.schedule import compute_schedule

        year = timezone.localdate().year
        for plan in Plan.objects.all():
            version = plan.current_version()
            if version is not None:
                for plan_year in (year, year + 1):
                    compute_schedule(version, plan_year)

    def _work_in_progress(self) -> None:
        """A few inventory items and datasets, made through the real services, so that
        every role's pages have something to show. Only on a fresh demo."""
        from steward.datasets import services as dataset_services
        from steward.datasets.models import Dataset
        from steward.inventory.models import InventoryItem
        from steward.inventory.services import create_item

        if Dataset.objects.exists() or InventoryItem.objects.exists():
            return
        liaison = Person.objects.get(username="liaison")
        unit = Organisation.objects.get(key="mol-bli-plan")
        year = timezone.localdate().year
        for data in DEMO_INVENTORY:
            create_item(
                by=liaison,
                organisation=unit,
                data={**data, "planned_year": year} if data["classification"] == "open" else data,
            )
        for title, submit in (
            ("勞工保險投保單位數統計", True),
            ("勞工保險職業災害給付件數", False),
        ):
            dataset = dataset_services.create_dataset(
                by=liaison,
                organisation=unit,
                values=_demo_metadata(title),
                resources=[_demo_resource(title)],
            )
            if submit:
                dataset_services.submit_for_review(dataset, by=liaison)

    def _print_logins(self) -> None:
        self.stdout.write(
            self.style.SUCCESS("\nOpenData Steward demo: 勞動部 (MOL) and its agencies")
        )
        # No address here: the server prints the one it really serves (scripts/demo).
        self.stdout.write("Sign in as one of:\n")
        width = max(len(username) for username, *_ in DEMO_PEOPLE)
        for username, display_name, _key, role, _seat in DEMO_PEOPLE:
            self.stdout.write(f"  {username.ljust(width)}  {Role(role).label}  {display_name}")
        self.stdout.write(f"  {'admin'.ljust(width)}  superuser (Django admin at /admin/)")
        self.stdout.write(f"\nPassword for every demo login: {DEMO_PASSWORD}\n")
