"""The pages: the form with problems beside fields, review diff, my work, history, scoping."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from steward.audit.models import AuditEvent
from steward.conftest import Cast, Tree
from steward.datasets import services
from steward.datasets.models import Dataset
from steward.datasets.tests.conftest import WalkTo, complete_resource, complete_values
from steward.datasets.workflow import Status


def form_data(
    values: dict[str, Any], resources: list[dict[str, Any]], **extra: str
) -> dict[str, str]:
    data: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, list):
            data[key] = ", ".join(value)
        elif value is None:
            data[key] = ""
        elif key == "gender_statistics":
            if value:
                data[key] = "on"
        else:
            data[key] = str(value)
    data["res-TOTAL_FORMS"] = str(len(resources))
    data["res-INITIAL_FORMS"] = str(sum(1 for r in resources if r.get("id")))
    data["res-MIN_NUM_FORMS"] = "0"
    data["res-MAX_NUM_FORMS"] = "1000"
    for index, resource in enumerate(resources):
        for key, value in resource.items():
            data[f"res-{index}-{key}"] = str(value)
    data.update(extra)
    return data


def text(response: Any) -> str:
    return response.content.decode()


def test_a_liaison_drafts_through_the_form_and_sees_problems_beside_the_fields(
    client: Client, tree: Tree, cast: Cast
) -> None:
    client.force_login(cast.liaison)
    page = client.get("/datasets/new/")
    assert page.status_code == 200
    assert "data-guard" in text(page)
    assert "A17010000J-" in text(page)  # the identifier will come from the agency code
    values = complete_values(title="", fieldDescription="year(年度、count(件數)")
    response = client.post(
        "/datasets/new/",
        form_data(values, [complete_resource()], organisation=str(tree.unit_a1.pk), save="1"),
    )
    dataset = Dataset.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/datasets/{dataset.pk}/edit/"
    assert dataset.identifier == "A17010000J-000001"
    assert dataset.keyword == ["統計", "案件"]
    edit = text(client.get(response["Location"]))
    title_block = re.search(r'data-field="title".*?</div>', edit, re.S)
    assert title_block is not None and "資料集名稱：必填欄位未填寫" in title_block.group(0)
    field_block = re.search(r'data-field="fieldDescription".*?</div>', edit, re.S)
    assert field_block is not None and "括號" in field_block.group(0)


def test_save_and_submit_with_missing_fields_saves_nothing_keeps_the_form_and_says_why(
    client: Client, tree: Tree, cast: Cast
) -> None:
    client.force_login(cast.liaison)
    response = client.post(
        "/datasets/new/",
        form_data(
            complete_values(publisherContactEmail=""),
            [complete_resource()],
            organisation=str(tree.unit_a1.pk),
            submit="1",
        ),
    )
    assert response.status_code == 400
    assert not Dataset.objects.exists()
    body = text(response)
    block = re.search(r'data-field="publisherContactEmail".*?</div>', body, re.S)
    assert block is not None and "提供機關聯絡人電子郵件：必填欄位未填寫" in block.group(0)
    assert 'value="甲署業務統計"' in body  # what was typed is still in the form


def test_a_complete_draft_is_submitted_from_the_form(
    client: Client, tree: Tree, cast: Cast
) -> None:
    client.force_login(cast.liaison)
    client.post(
        "/datasets/new/",
        form_data(
            complete_values(), [complete_resource()], organisation=str(tree.unit_a1.pk), submit="1"
        ),
    )
    assert Dataset.objects.get().status == Status.UNIT_REVIEW


def test_the_field_description_is_shown_as_a_field_list_while_typing(
    client: Client, cast: Cast
) -> None:
    client.force_login(cast.liaison)
    response = client.post("/datasets/field-list/", {"fieldDescription": "year(年度)、count(件數)"})
    body = text(response)
    assert "<code>year</code>" in body and "年度" in body and "<code>count</code>" in body


def test_a_bad_url_in_the_form_is_shown_beside_its_field(
    client: Client, cast: Cast, draft: Dataset
) -> None:
    client.force_login(cast.liaison)
    resource = draft.resources.get()
    response = client.post(
        f"/datasets/{draft.pk}/edit/",
        form_data(
            complete_values(landingPage="http://"),
            [{"id": resource.pk, "resourceID": resource.resourceID, **complete_resource()}],
            save="1",
        ),
    )
    assert response.status_code == 400
    block = re.search(r'data-field="landingPage".*?</div>', text(response), re.S)
    assert block is not None and 'class="problem error"' in block.group(0)


def test_the_review_page_marks_what_changed_since_publishing(
    client: Client, walk_to: WalkTo, cast: Cast
) -> None:
    dataset = walk_to(Status.PUBLISHED)
    services.propose_edit(dataset, by=cast.liaison, values={"description": "新的描述"})
    client.force_login(cast.reviewer)
    body = text(client.get(f"/datasets/{dataset.pk}/review/"))
    changed = re.findall(r'<tr class="changed" data-changed data-key="([^"]+)"', body)
    # 最後更新時間 moves too unless the edit came within the same second as the publication.
    assert changed[0] == "description" and set(changed) <= {"description", "modified"}
    assert "<ins>新的描述</ins>" in body and "<del>甲署歷年受理案件數量統計。</del>" in body
    assert 'data-step="approve_edit"' in body


def test_my_work_shows_each_person_what_waits_for_them(
    client: Client, walk_to: WalkTo, cast: Cast
) -> None:
    dataset = walk_to(Status.UNIT_REVIEW)
    for person, sees in [
        (cast.reviewer, True),
        (cast.other_reviewer, False),
        (cast.liaison, False),
        (cast.centre, False),
    ]:
        client.force_login(person)
        assert (dataset.identifier in text(client.get("/datasets/queue/"))) is sees, person
    services.reject(dataset, by=cast.reviewer, reasons="描述太短")
    client.force_login(cast.liaison)
    body = text(client.get("/datasets/queue/"))
    assert dataset.identifier in body and "描述太短" in body


def test_the_history_page_lists_every_step(client: Client, walk_to: WalkTo, cast: Cast) -> None:
    dataset = walk_to(Status.PUBLISHED)
    client.force_login(cast.auditor)
    body = text(client.get(f"/datasets/{dataset.pk}/history/"))
    actions = re.findall(r'data-action="([^"]+)"', body)
    assert actions == [
        "dataset.create",
        "dataset.submit",
        "dataset.approve_unit_review",
        "dataset.approve_centre_review",
        "dataset.committee_decision",
        "dataset.approve_by_cio",
        "dataset.schedule",
        "dataset.publish",
    ]


@pytest.mark.parametrize("page", ["", "review/", "history/", "edit/"])
def test_another_agencys_people_get_not_found(
    client: Client, draft: Dataset, cast: Cast, page: str
) -> None:
    client.force_login(cast.other_liaison)
    assert client.get(f"/datasets/{draft.pk}/{page}").status_code == 404


def test_a_step_by_the_wrong_role_is_refused_with_a_message_and_nothing_changes(
    client: Client, walk_to: WalkTo, cast: Cast
) -> None:
    dataset = walk_to(Status.UNIT_REVIEW)
    events = AuditEvent.objects.count()
    client.force_login(cast.auditor)  # sees agency A, may not review
    response = client.post(
        f"/datasets/{dataset.pk}/step/approve/",
        {"stage": "unit_review", "comment": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert 'class="message error"' in text(response)
    dataset.refresh_from_db()
    assert dataset.status == Status.UNIT_REVIEW
    assert AuditEvent.objects.count() == events
    client.force_login(cast.other_reviewer)
    assert client.post(f"/datasets/{dataset.pk}/step/approve/").status_code == 404


def test_a_rejection_from_the_page_needs_reasons(
    client: Client, walk_to: WalkTo, cast: Cast
) -> None:
    dataset = walk_to(Status.UNIT_REVIEW)
    client.force_login(cast.reviewer)
    client.post(f"/datasets/{dataset.pk}/step/reject/", {"stage": "unit_review", "reasons": ""})
    dataset.refresh_from_db()
    assert dataset.status == Status.UNIT_REVIEW
    client.post(
        f"/datasets/{dataset.pk}/step/reject/", {"stage": "unit_review", "reasons": "授權方式錯誤"}
    )
    dataset.refresh_from_db()
    assert (dataset.status, dataset.returned_reasons) == (Status.RETURNED, "授權方式錯誤")


def test_the_list_filters_by_status_and_is_scoped(
    client: Client, walk_to: WalkTo, tree: Tree, cast: Cast
) -> None:
    dataset = walk_to(Status.UNIT_REVIEW)
    other = services.create_dataset(
        by=cast.other_liaison, organisation=tree.unit_b1, values={"title": "乙局資料"}
    )
    client.force_login(cast.centre)
    body = text(client.get("/datasets/", {"status": "unit_review"}))
    assert dataset.identifier in body and other.identifier not in body
    client.force_login(cast.liaison)
    body = text(client.get("/datasets/"))
    assert dataset.identifier in body and other.identifier not in body


def test_pages_are_chinese_by_default_and_english_on_request(
    client: Client, draft: Dataset, cast: Cast
) -> None:
    client.force_login(cast.liaison)
    assert "草稿" in text(client.get(f"/datasets/{draft.pk}/"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Draft" in text(client.get(f"/datasets/{draft.pk}/"))


def test_withdrawal_notices_are_public(client: Client, walk_to: WalkTo) -> None:
    dataset = walk_to(Status.WITHDRAWN)
    body = text(client.get("/datasets/notices/"))
    assert dataset.identifier in body and "資料來源系統已停用" in body


def test_the_committee_records_a_meeting_and_then_its_decision(
    client: Client, walk_to: WalkTo, cast: Cast
) -> None:
    dataset = walk_to(Status.COMMITTEE)
    client.force_login(cast.committee_civil)
    response = client.post(
        "/datasets/meetings/",
        {
            "held_on": "2026-10-20",
            "number": "115年第2次會議",
            "civil_representatives": "4",
            "next": f"/datasets/{dataset.pk}/review/",
        },
    )
    assert response["Location"] == f"/datasets/{dataset.pk}/review/"
    from steward.datasets.models import CommitteeMeeting

    meeting = CommitteeMeeting.objects.get(number="115年第2次會議")
    client.post(
        f"/datasets/{dataset.pk}/step/committee/",
        {"stage": "committee", "meeting": str(meeting.pk), "decision": "approve", "reasons": ""},
    )
    dataset.refresh_from_db()
    assert dataset.status == Status.CIO_APPROVAL


def test_my_work_opens_a_returned_dataset_in_its_form_and_one_in_review_on_its_page(
    client: Client, walk_to: WalkTo, cast: Cast
) -> None:
    """Where "my work" opens a dataset, and the approve button's words, come from the workflow."""
    dataset = walk_to(Status.UNIT_REVIEW)
    client.force_login(cast.reviewer)
    queue = client.get("/datasets/queue/").content.decode()
    assert f'href="/datasets/{dataset.pk}/review/"' in queue
    review = client.get(f"/datasets/{dataset.pk}/review/").content.decode()
    assert re.search(r'data-step="approve">同意並送下一關</button>', review)
    services.reject(dataset, by=cast.reviewer, reasons="描述太短")
    client.force_login(cast.liaison)
    queue = client.get("/datasets/queue/").content.decode()
    assert f'href="/datasets/{dataset.pk}/edit/"' in queue

    at_cio = walk_to(Status.CIO_APPROVAL)
    client.force_login(cast.cio)
    page = client.get(f"/datasets/{at_cio.pk}/review/").content.decode()
    assert re.search(r'data-step="approve">核定</button>', page)
