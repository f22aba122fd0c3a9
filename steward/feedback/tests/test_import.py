"""CSV import of items received elsewhere: all rows or none, each problem by file, row and column."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from zoneinfo import ZoneInfo

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from steward.conftest import Cast, Tree
from steward.feedback.models import Channel, FeedbackItem, Kind

TAIPEI = ZoneInfo("Asia/Taipei")
HEADER = "類型,收件管道,收件時間,回復機關,資料集編號,主旨,內容,電子郵件,案號\n"


def upload(client: Client, text: str, encoding: str = "utf-8-sig") -> str:
    file = SimpleUploadedFile("portal.csv", text.encode(encoding), content_type="text/csv")
    response = client.post("/feedback/import/", {"file": file}, follow=True)
    return response.content.decode()


@time_machine.travel(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=TAIPEI), tick=False)
def test_a_good_file_imports_every_row_with_its_received_time(
    client: Client, cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    client.force_login(cast.centre)
    page = upload(client, HEADER
                  + "意見,政府資料開放平臺,2026-03-02 14:30,A17010000J,,欄位,欄位說明有誤,a@example.org,P-1\n"
                  + "資料需求,書函,2026/03/03 09:00,乙局統計室,,,請開放,,勞字第1號\n", "cp950")  # fmt: skip
    assert "已匯入 2 件" in page
    first, second = FeedbackItem.objects.order_by("received_at")
    assert (first.kind, first.channel, first.organisation) == (
        Kind.COMMENT, Channel.NATIONAL_PORTAL, tree.agency_a)  # fmt: skip
    assert first.received_at == datetime.datetime(2026, 3, 2, 14, 30, tzinfo=TAIPEI)
    assert first.due_on == datetime.date(2026, 3, 8)
    assert (second.kind, second.organisation, second.external_reference) == (
        Kind.DATA_REQUEST, tree.unit_b1, "勞字第1號")  # fmt: skip


@time_machine.travel(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=TAIPEI), tick=False)
def test_a_file_with_bad_rows_imports_nothing_and_names_each_problem(
    client: Client, cast: Cast, tree: Tree, follow: Callable[[str], None]
) -> None:
    follow("mol")
    client.force_login(cast.centre)
    page = upload(client, HEADER
                  + "意見,政府資料開放平臺,2026-03-02 14:30,A17010000J,,,好的一列,,\n"
                  + "抱怨,傳真,2026-03-02,不存在的機關,,,,,\n"
                  + "意見,書函,2026-03-11 09:00,A17010000J,,,未來的收件時間,,\n")  # fmt: skip
    assert not FeedbackItem.objects.exists()
    assert "沒有匯入任何資料" in page
    for expected in ("「抱怨」不是類型", "「傳真」不是收件管道", "「2026-03-02」不是",
                     "「不存在的機關」不是", "收件時間 2026-03-11 09:00 晚於現在"):  # fmt: skip
        assert expected in page, expected
    assert '<td class="number">3</td>' in page and '<td class="number">4</td>' in page


def test_a_missing_column_and_an_outsider_are_refused(client: Client, cast: Cast) -> None:
    client.force_login(cast.centre)
    page = upload(client, "類型,收件管道,內容\n意見,書函,x\n")
    assert "標題列沒有「收件時間」欄" in page and "標題列沒有「回復機關」欄" in page
    client.force_login(cast.outsider)
    assert client.get("/feedback/import/").status_code == 403
