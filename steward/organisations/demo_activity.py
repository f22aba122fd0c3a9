"""A year of demo activity for `steward demo`, made through the real services.

MOL (勞動部): inventory returns submitted and compiled (the CIO approves), datasets at every
stage of its review chain (draft, unit review, centre review, committee, published, a
withdrawal waiting for the head of agency), public feedback (one replied, one due).
MOJ (法務部), whose plan has the CIO approve every reply to the public: an agency with its
people, replies waiting for the CIO and one to draft, a dataset before the committee.
Tasks come from `steward.tasks.demo`; other apps add theirs through their own `demo.py`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from steward.organisations.models import Organisation, Person


def _person(username: str) -> Person:
    return Person.objects.get(username=username)


def metadata(title: str, *, agency: str, publisher: str, contact: str) -> dict[str, Any]:
    return {
        "categoryCode": "500",
        "title": title,
        "description": f"{title}，由{publisher}按月提供。",
        "fieldDescription": "year(年度)、month(月份)、county(縣市)、count(件數)",
        "type": "rawData",
        "license": "政府資料開放授權條款-第1版",
        "licenseURL": "https://data.gov.tw/license",
        "cost": "免費",
        "organization": agency,
        "organizationContactName": "王專員",
        "organizationContactPhone": "02-89956666",
        "organizationContactEmail": f"centre@{contact}",
        "publisher": publisher,
        "publisherContactName": "林聯絡",
        "publisherContactPhone": "02-23961266",
        "publisherContactEmail": f"liaison@{contact}",
        "accrualPeriodicity": "每月",
        "language": "zh-TW",
        "keyword": ["開放資料", "統計"],
    }


def resource(title: str, host: str, slug: str) -> dict[str, Any]:
    return {
        "resourceDescription": f"{title} CSV",
        "format": "CSV",
        "characterSetCode": "UTF-8",
        "downloadURL": f"https://{host}/opendata/{slug}.csv",
    }


def mol_activity(today: datetime.date) -> None:
    """Work at every stage of MOL's chains, so each demo login has something waiting."""
    from steward.datasets import services as datasets
    from steward.datasets.models import Decision
    from steward.feedback import services as feedback
    from steward.inventory.services import (
        compile_inventories,
        create_item,
        inventory_for,
        submit_inventory,
    )

    liaison, reviewer = _person("liaison"), _person("reviewer")
    liaison_wda, reviewer_wda = _person("liaison-wda"), _person("reviewer-wda")
    centre = _person("centre")
    bli_unit = Organisation.objects.get(key="mol-bli-plan")
    wda_unit = Organisation.objects.get(key="mol-wda-plan")
    ministry = Organisation.objects.get(key="mol")
    year = today.year

    def mol_meta(title: str, publisher: str) -> dict[str, Any]:
        return metadata(title, agency="勞動部", publisher=publisher, contact="demo.mol.gov.tw")

    # Datasets already on the portal (taken in as the catalogue import does).
    published = []
    for serial, (unit, title, publisher) in enumerate(
        [
            (bli_unit, "勞工保險被保險人人數統計", "勞動部勞工保險局"),
            (bli_unit, "勞工退休金提繳單位數", "勞動部勞工保險局"),
            (wda_unit, "職業訓練結訓人數", "勞動部勞動力發展署"),
            (wda_unit, "就業服務求才求職人數", "勞動部勞動力發展署"),
        ],
        start=1,
    ):
        values = mol_meta(title, publisher)
        identifier = f"{unit.agency.agency_code or 'A17000000J'}-{900000 + serial}"
        values["identifier"] = identifier
        values["distribution"] = [
            {**resource(title, "data.mol.gov.tw", f"p{serial}"), "resourceID": f"{identifier}-001"}
        ]
        published.append(datasets.import_published(by=None, organisation=unit, metadata=values))

    def new(unit: Organisation, by: Person, title: str, publisher: str, slug: str) -> Any:
        return datasets.create_dataset(
            by=by,
            organisation=unit,
            values=mol_meta(title, publisher),
            resources=[resource(title, "data.mol.gov.tw", slug)],
        )

    # A draft (the liaison), one at unit review (the reviewer), one at centre review (the
    # centre), one before the committee (chair and civil representative).
    new(bli_unit, liaison, "勞工保險職業災害給付件數", "勞動部勞工保險局", "d1")
    at_unit = new(bli_unit, liaison, "勞工保險投保單位數統計", "勞動部勞工保險局", "d2")
    datasets.submit_for_review(at_unit, by=liaison)
    at_centre = new(wda_unit, liaison_wda, "技能檢定合格人數", "勞動部勞動力發展署", "d3")
    datasets.submit_for_review(at_centre, by=liaison_wda)
    datasets.approve_unit_review(at_centre, by=reviewer_wda)
    at_committee = new(bli_unit, liaison, "勞工保險年金給付統計", "勞動部勞工保險局", "d4")
    datasets.submit_for_review(at_committee, by=liaison)
    datasets.approve_unit_review(at_committee, by=reviewer)
    datasets.approve_centre_review(at_committee, by=centre)
    decided = new(bli_unit, liaison, "勞工保險失能給付統計", "勞動部勞工保險局", "d5")
    datasets.submit_for_review(decided, by=liaison)  # the committee's minutes decide this one
    datasets.approve_unit_review(decided, by=reviewer)
    datasets.approve_centre_review(decided, by=centre)

    # A withdrawal the committee agreed to, waiting for the head of agency (吳局長).
    meeting = datasets.record_meeting(
        by=centre,
        ministry=ministry,
        held_on=today - datetime.timedelta(days=20),
        number=f"{year - 1911}年第3次諮詢小組會議",
        civil_representatives=2,
        minutes="審議資料集停止提供案。",
    )
    withdrawn = published[1]
    datasets.request_withdrawal(
        withdrawn, by=liaison, reason="資料改由勞工退休金系統提供，原資料集停止更新。",
        becomes="on_request",
    )  # fmt: skip
    datasets.record_withdrawal_discussion(
        withdrawn, meeting=meeting, decision=Decision.WITHDRAW, by=centre
    )

    # Inventory: both agencies' returns submitted and compiled; the CIO approves. The datasets
    # opened this year are items planned for it, linked to them (so the targets page, the
    # KPI 新增開放項數 and the reports count the same openings).
    opened_items = {
        unit.pk: [
            {
                "name": dataset.title,
                "source": "system_database",
                "classification": "open",
                "planned_half": "H1",
                "dataset_identifier": dataset.identifier,
                "description": dataset.description,
            }
            for dataset in published
            if dataset.organisation_id == unit.pk
        ]
        for unit in (bli_unit, wda_unit)
    }
    for unit, by, items in (
        (bli_unit, liaison, [*opened_items[bli_unit.pk], *INVENTORY_BLI]),
        (wda_unit, liaison_wda, [*opened_items[wda_unit.pk], *INVENTORY_WDA]),
    ):
        for data in items:
            values = dict(data)
            if values["classification"] == "open":
                values["planned_year"] = year
            create_item(by=by, organisation=unit, data=values)
        submit_inventory(
            inventory_for(unit.agency, year), by=by, shortfall_reason="部分資料涉及個人資料。"
        )
    compile_inventories(ministry, year, by=centre, note="本年度各機關盤點結果彙整。")

    # Public feedback: one replied within the limit, one waiting for the liaison.
    now = timezone.now()
    replied = feedback.enter(
        by=centre, kind="comment", organisation=bli_unit, channel="national_portal",
        subject="投保單位數缺少縣市別", text="希望能增加縣市別欄位。",
        received_at=now - datetime.timedelta(days=40),
    )  # fmt: skip
    feedback.draft_reply(replied, by=liaison, text="已於下次更新增加縣市別欄位，謝謝您的建議。")
    feedback.send_reply(replied, by=liaison)
    feedback.enter(
        by=centre, kind="error_report", organisation=bli_unit, channel="national_portal",
        subject="職災給付資料下載連結失效", text="下載連結回應 404。",
        received_at=now - datetime.timedelta(days=2),
    )  # fmt: skip


INVENTORY_BLI: list[dict[str, Any]] = [
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

INVENTORY_WDA: list[dict[str, Any]] = [
    {
        "name": "技能檢定合格人數",
        "source": "system_database",
        "classification": "open",
        "planned_half": "H1",
        "description": "各職類技能檢定合格人數。",
    },
    {
        "name": "職業訓練學員個人資料",
        "source": "system_database",
        "classification": "not_provided",
        "restriction_reason": "privacy",
        "legal_basis": "個人資料保護法第5條",
        "description": "參訓學員之個人資料。",
    },
]


def moj_activity(today: datetime.date) -> None:
    """MOJ: the CIO approves every reply to the public (經機關資訊長核准)."""
    from steward.datasets import services as datasets
    from steward.feedback import services as feedback

    liaison, centre = _person("moj-liaison"), _person("moj-centre")
    unit = Organisation.objects.get(key="moj-aea-stats")
    now = timezone.now()
    for days, subject, text, reply in (
        (
            3,
            "行政執行案件統計缺少年度別",
            "希望提供歷年資料。",
            "將自下月起提供 100 年以來之年度資料。",
        ),
        (1, "拍賣公告資料格式", "建議提供 CSV 格式。", "已規劃同時提供 CSV 與 JSON 格式。"),
    ):
        item = feedback.enter(
            by=centre, kind="comment", organisation=unit, channel="national_portal",
            subject=subject, text=text, received_at=now - datetime.timedelta(days=days),
        )  # fmt: skip
        feedback.draft_reply(item, by=liaison, text=reply)
        feedback.submit_for_approval(item, by=liaison)
    feedback.enter(
        by=centre, kind="data_request", organisation=unit, channel="national_portal",
        subject="請開放行政執行署各分署收案量", text="希望按月提供各分署收案量。",
        received_at=now - datetime.timedelta(hours=6),
    )  # fmt: skip
    dataset = datasets.create_dataset(
        by=liaison,
        organisation=unit,
        values=metadata(
            "行政執行案件終結件數",
            agency="法務部",
            publisher="法務部行政執行署",
            contact="demo.moj.gov.tw",
        ),
        resources=[resource("行政執行案件終結件數", "data.moj.gov.tw", "m1")],
    )
    datasets.submit_for_review(dataset, by=liaison)  # MOJ's chain: straight to the committee
