"""Anyone may comment on a published dataset or an agency, with no account; robots and floods
are refused in zh-Hant; the tracking page shows status, due date and the reply, escaped."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core import mail, signing
from django.test import Client

from steward.conftest import Cast, Tree
from steward.datasets.models import Dataset
from steward.datasets.workflow import Status as DatasetStatus
from steward.feedback import services
from steward.feedback.forms import form_started_token
from steward.feedback.models import Channel, FeedbackItem, Kind


@pytest.fixture
def published(tree: Tree) -> Dataset:
    return Dataset.objects.create(
        organisation=tree.unit_a1, identifier="A17010000J-000001", title="就業服務統計",
        status=DatasetStatus.PUBLISHED,
    )  # fmt: skip


def started_ago(seconds: float) -> str:
    with time_machine.travel(time.time() - seconds, tick=False):
        return form_started_token()


def send(client: Client, query: str, *, address: str = "203.0.113.7", **fields: str) -> Any:
    data = {"kind": Kind.ERROR_REPORT, "subject": "", "text": "欄位名稱有誤",
            "contact_email": "", "website": "", "started": started_ago(30)}  # fmt: skip
    data.update(fields)
    return client.post(f"/feedback/new/?{query}", data, REMOTE_ADDR=address)


def test_a_comment_on_a_published_dataset_gives_a_tracking_link_and_mail(
    client: Client, published: Dataset, follow: Callable[[str], None],
    django_capture_on_commit_callbacks: Any,
) -> None:  # fmt: skip
    follow("mol")
    page = client.get(f"/feedback/new/?dataset={published.identifier}")
    assert page.status_code == 200
    assert "就業服務統計" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, f"dataset={published.identifier}", contact_email="a@example.org")
    item = FeedbackItem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/feedback/t/{item.tracking_token}/?new=1"
    assert (item.organisation, item.dataset, item.channel) == (
        published.organisation, published, Channel.PUBLIC_FORM)  # fmt: skip
    assert item.limit_days == 6
    (letter,) = [m for m in mail.outbox if m.to == ["a@example.org"]]
    # An absolute link, on the address the form was sent to (STEWARD_PUBLIC_URL is not set).
    assert f"http://testserver/feedback/t/{item.tracking_token}/" in letter.body
    tracking = client.get(response["Location"]).content.decode()
    assert "處理中" in tracking and item.due_on.isoformat() in tracking


def test_an_agency_form_by_agency_code(client: Client, tree: Tree) -> None:
    response = send(
        client, "agency=A17020000J", text="請開放乙局的年報資料", kind=Kind.DATA_REQUEST
    )
    assert response.status_code == 302
    assert FeedbackItem.objects.get().organisation == tree.agency_b


def test_an_unpublished_dataset_has_no_public_form(client: Client, tree: Tree) -> None:
    Dataset.objects.create(organisation=tree.unit_a1, identifier="A17010000J-000002")
    assert client.get("/feedback/new/?dataset=A17010000J-000002").status_code == 404
    assert client.get("/feedback/new/?agency=NOPE").status_code == 404


@pytest.mark.parametrize(
    ("text", "expected"),
    [("   ", "內容是空的"), ("長" * 100_000, "100000 個字")],
    ids=["empty", "100k"],
)
def test_empty_or_huge_text_is_refused_clearly_and_nothing_saved(
    client: Client, published: Dataset, text: str, expected: str
) -> None:
    response = send(client, f"dataset={published.identifier}", text=text)
    assert response.status_code == 400
    assert expected in response.content.decode()
    assert not FeedbackItem.objects.exists()


def test_scripts_and_html_are_shown_escaped(client: Client, cast: Cast, published: Dataset) -> None:
    attack = '<script>alert("x")</script><b onmouseover="x()">粗體</b>'
    response = send(client, f"dataset={published.identifier}", text=attack, subject="<i>主旨</i>")
    item = FeedbackItem.objects.get()
    assert item.text == attack  # kept as sent
    services.draft_reply(item, by=cast.liaison, text="<img src=x onerror=alert(1)>已更正")
    services.send_reply(item, by=cast.liaison)
    for page in (client.get(response["Location"]).content.decode(),):
        assert "<script>alert" not in page and "&lt;script&gt;alert" in page
        assert "<b onmouseover" not in page and "<i>主旨</i>" not in page
        assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;已更正" in page
    client.force_login(cast.liaison)
    staff_page = client.get(f"/feedback/{item.pk}/").content.decode()
    assert "<script>alert" not in staff_page and "&lt;script&gt;" in staff_page


def test_a_flood_from_one_address_is_refused_in_chinese(
    client: Client, published: Dataset, settings: Any
) -> None:
    settings.STEWARD_FEEDBACK_PER_ADDRESS_PER_HOUR = 3
    query = f"dataset={published.identifier}"
    assert [send(client, query).status_code for _ in range(3)] == [302, 302, 302]
    refused = send(client, query)
    assert refused.status_code == 429
    assert "過去一小時內" in refused.content.decode()
    assert FeedbackItem.objects.count() == 3
    # Another address is not held back by the first one's flood.
    assert send(client, query, address="198.51.100.9").status_code == 302


@pytest.mark.parametrize(
    "robot",
    [{"website": "http://spam.example"}, {"started": ""}, {"started": "forged:token"}],
    ids=["honeypot", "no-start-time", "forged-start-time"],
)
def test_robots_are_refused_without_saving(
    client: Client, published: Dataset, robot: dict[str, str]
) -> None:
    response = send(client, f"dataset={published.identifier}", **robot)
    assert response.status_code == 400
    assert "請於開啟表單數秒後再送出" in response.content.decode()
    assert not FeedbackItem.objects.exists()


def test_a_form_sent_faster_than_a_person_types_is_refused(
    client: Client, published: Dataset, settings: Any
) -> None:
    settings.STEWARD_FEEDBACK_MIN_FILL_SECONDS = 5
    assert (
        send(client, f"dataset={published.identifier}", started=started_ago(1)).status_code == 400
    )
    assert (
        send(client, f"dataset={published.identifier}", started=started_ago(6)).status_code == 302
    )


def test_the_start_time_is_signed() -> None:
    token = form_started_token()
    assert re.match(r"^[\w.\-]+:[\w\-]+:[\w\-]+$", token)
    with pytest.raises(signing.BadSignature):
        signing.loads(token[:-2] + "xx", salt="steward.feedback.form-started")


def test_the_tracking_page_shows_the_reply_once_sent(
    client: Client, cast: Cast, published: Dataset
) -> None:
    location = send(client, f"dataset={published.identifier}")["Location"]
    item = FeedbackItem.objects.get()
    services.draft_reply(item, by=cast.liaison, text="草稿不公開")
    assert "草稿不公開" not in client.get(location).content.decode()
    services.send_reply(item, by=cast.liaison)
    page = client.get(location).content.decode()
    assert "草稿不公開" in page and "已回復" in page
    assert client.get("/feedback/t/not-a-token/").status_code == 404
