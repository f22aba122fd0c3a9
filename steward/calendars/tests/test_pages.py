"""The office-calendar pages and API: everybody signed in reads, the information centre uploads."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from steward.calendars.models import CalendarImport
from steward.calendars.services import import_calendar_file
from steward.calendars.tests.conftest import (
    CORRECTED_2025,
    ORIGINAL_2025,
    calendar_bytes,
    calendar_rows,
    shipped,
)
from steward.conftest import Cast


def upload(client: Client, name: str, data: bytes) -> object:
    return client.post(
        reverse("calendars:upload"), {"file": SimpleUploadedFile(name, data, "text/csv")}
    )


def test_a_visitor_is_sent_to_sign_in(client: Client, db: None) -> None:
    assert client.get(reverse("calendars:index")).status_code == 302
    assert client.get("/api/calendars/years").status_code == 401


def test_everybody_signed_in_sees_the_years_and_the_change_log(client: Client, cast: Cast) -> None:
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    import_calendar_file(shipped(CORRECTED_2025), file_name=CORRECTED_2025)
    client.force_login(cast.outsider)
    page = client.get(reverse("calendars:index")).content.decode()
    assert "辦公日曆表" in page and CORRECTED_2025 in page
    assert "官方辦公日曆表" in page
    assert "2025-12-25 改為放假（行憲紀念日）" in page
    assert 'action="/calendars/upload/"' not in page  # no upload form without the role


def test_the_year_page_marks_days_off_and_make_up_days(client: Client, cast: Cast) -> None:
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    client.force_login(cast.liaison)
    page = client.get(reverse("calendars:year", args=[2025])).content.decode()
    assert 'data-date="2025-02-08" data-kind="make_up"' in page
    assert 'data-date="2025-01-28" data-kind="holiday"' in page
    assert 'data-date="2025-09-29" data-kind="working"' in page
    assert "第 1 版" in page


def test_a_year_without_a_file_says_the_fallback_decides(client: Client, cast: Cast) -> None:
    client.force_login(cast.liaison)
    page = client.get(reverse("calendars:year", args=[2031])).content.decode()
    assert "依國定假日推算（尚未匯入官方日曆表）" in page and "holidays" not in page
    assert 'data-date="2031-01-01" data-kind="holiday"' in page


def test_the_information_centre_uploads_a_revision(client: Client, cast: Cast) -> None:
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    client.force_login(cast.centre)
    assert 'action="/calendars/upload/"' in client.get(reverse("calendars:index")).content.decode()
    response = upload(client, CORRECTED_2025, shipped(CORRECTED_2025))
    assert response.status_code == 302  # type: ignore[attr-defined]
    latest = CalendarImport.objects.get(year=2025, revision=2)
    assert latest.imported_by == cast.centre


def test_a_bad_upload_lists_each_problem_by_line_and_changes_nothing(
    client: Client, cast: Cast
) -> None:
    rows = calendar_rows(2027)
    rows[9][1] = "一"
    rows[20][2] = "5"
    client.force_login(cast.centre)
    response = upload(client, "116年日曆.csv", calendar_bytes(rows))
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "檔案未匯入" in page
    assert "2027-01-10 是星期日，檔案卻寫「一」。" in page
    assert '<td class="number">11</td>' in page and '<td class="number">22</td>' in page
    assert CalendarImport.objects.count() == 0


def test_an_upload_over_the_size_limit_is_refused(
    client: Client, cast: Cast, settings: object
) -> None:
    settings.STEWARD_MAX_UPLOAD_BYTES = 1000  # type: ignore[attr-defined]
    client.force_login(cast.centre)
    response = upload(client, ORIGINAL_2025, shipped(ORIGINAL_2025))
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert CalendarImport.objects.count() == 0


def test_only_the_information_centre_may_upload(client: Client, cast: Cast) -> None:
    for person in (cast.liaison, cast.cio, cast.outsider):
        client.force_login(person)
        assert upload(client, ORIGINAL_2025, shipped(ORIGINAL_2025)).status_code == 403  # type: ignore[attr-defined]
    assert CalendarImport.objects.count() == 0


def test_the_api_lists_years_days_changes_and_answers_working_day_questions(
    client: Client, cast: Cast
) -> None:
    import_calendar_file(shipped(ORIGINAL_2025), file_name=ORIGINAL_2025)
    import_calendar_file(shipped(CORRECTED_2025), file_name=CORRECTED_2025)
    client.force_login(cast.auditor)
    years = client.get("/api/calendars/years").json()
    assert [(y["year"], y["revision"], y["file_name"]) for y in years] == [
        (2025, 2, CORRECTED_2025)
    ]
    days = client.get("/api/calendars/years/2025/days").json()
    assert len(days) == 365
    assert days[38] == {
        "date": "2025-02-08",
        "is_working_day": True,
        "kind": "make_up",
        "label": "補行上班",
        "source": "official",
    }
    changes = client.get("/api/calendars/years/2025/changes").json()
    assert [c["date"] for c in changes if c["new_is_day_off"] != c["old_is_day_off"]] == [
        "2025-09-29",
        "2025-10-24",
        "2025-12-25",
    ]
    answer = client.get("/api/calendars/working-day", {"date": "2025-09-29"}).json()
    assert answer["is_working_day"] is False and answer["due_date"] == "2025-09-26"
    assert answer["source"] == "official" and answer["revision"] == 2
    fallback = client.get("/api/calendars/working-day", {"date": "2031-01-01"}).json()
    assert fallback["source"] == "holidays" and fallback["due_date"] == "2030-12-31"


def test_the_api_upload_returns_problems_or_the_new_revision(client: Client, cast: Cast) -> None:
    rows = calendar_rows(2027)
    del rows[3]
    client.force_login(cast.liaison)
    refused = client.post(
        "/api/calendars/imports", {"file": SimpleUploadedFile("a.csv", calendar_bytes(rows))}
    )
    assert refused.status_code == 403
    client.force_login(cast.centre)
    bad = client.post(
        "/api/calendars/imports", {"file": SimpleUploadedFile("a.csv", calendar_bytes(rows))}
    )
    assert bad.status_code == 400
    assert bad.json()["problems"] == [
        {"file_name": "a.csv", "line": None, "reason": "缺少 2027-01-04。"}
    ]
    good = client.post(
        "/api/calendars/imports",
        {"file": SimpleUploadedFile("a.csv", calendar_bytes(calendar_rows(2027)))},
    )
    assert good.status_code == 201
    assert good.json()["year"] == 2027 and good.json()["revision"] == 1
