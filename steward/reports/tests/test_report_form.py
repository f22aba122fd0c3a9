"""The reports page speaks in the form's words: errors name the fields as the form labels them
(報告、機關、期間、格式; 修正前版本, 修正後版本), never a URL parameter; the meeting is chosen
from a list of the person's meetings, not typed as a database id."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.test import Client
from django.utils.html import escape

from steward.committees import services as committees
from steward.committees.models import Committee, Kind, Meeting
from steward.conftest import Cast, MinistryB, Tree
from steward.plans.models import Plan

URL = "/reports/download/"


def _select(page: str, name: str) -> list[tuple[str, str]]:
    found = re.search(rf'<select id="[^"]+" name="{name}">(.*?)</select>', page, re.S)
    assert found is not None, name
    return re.findall(r'<option value="([^"]*)">([^<]*)</option>', found[1])


def _said(response: Any) -> str:
    return re.sub(r"<[^>]+>", " ", response.content.decode())


def test_a_missing_field_is_named_as_the_form_labels_it(
    client: Client, cast: Cast, plan: Plan
) -> None:
    client.force_login(cast.centre)
    asked = {"kind": "amendment_table", "organisation": "t-ministry", "format": "odt"}
    response = client.get(URL, asked)
    assert response.status_code == 400
    assert "請在報告頁面選擇期間。" in _said(response)
    assert "period" not in _said(response)
    nothing = _said(client.get(URL))
    assert "請在報告頁面選擇報告、機關、期間、格式。" in nothing
    for parameter in ("kind", "organisation", "format"):
        assert parameter not in nothing


def test_an_unknown_version_is_named_as_the_form_labels_it(
    client: Client, cast: Cast, plan: Plan
) -> None:
    client.force_login(cast.centre)
    asked = {"kind": "amendment_table", "organisation": "t-ministry", "period": "2026"}
    said = _said(client.get(URL, {**asked, "format": "odt", "to": "v9"}))
    assert "行動方案沒有「v9」版本（修正後版本）；現有版本：v1、v2。" in said
    said = _said(client.get(URL, {**asked, "format": "odt", "from": "v9"}))
    assert "（修正前版本）" in said
    assert "選項" not in said


def test_the_form_offers_the_person_s_committees_meetings_and_plan_versions(
    client: Client, cast: Cast, tree: Tree, plan: Plan, ministry_b: MinistryB
) -> None:
    committees.set_up_from_plan(tree.ministry, by=None)
    advisory = Committee.objects.get(organisation=tree.ministry, kind=Kind.ADVISORY)
    meeting = committees.record_meeting(
        advisory, by=cast.centre, held_on=datetime.date(2026, 8, 14), number="115年第3次會議"
    )
    committees.set_up_from_plan(ministry_b.ministry, by=None)
    other = Committee.objects.get(organisation=ministry_b.ministry, kind=Kind.ADVISORY)
    client.force_login(cast.centre)
    page = client.get("/reports/").content.decode()
    assert "會議編號" not in page and 'inputmode="numeric"' not in page
    assert (str(meeting.pk), escape(f"{advisory.name} 115年第3次會議（115 年 8 月 14 日）")) in (
        _select(page, "meeting")
    )
    assert _select(page, "meeting")[0] == ("", "不指定")  # optional
    committee_options = _select(page, "committee")
    assert (str(advisory.pk), escape(advisory.name)) in committee_options
    assert str(other.pk) not in {value for value, _name in committee_options}  # another ministry
    assert not Meeting.objects.filter(committee=other).exists() or all(
        name.find(other.name) < 0 for _value, name in _select(page, "meeting")
    )
    for name in ("from", "to"):
        options = _select(page, name)
        assert options[0][0] == ""  # optional: the builder's default
        assert [value for value, _label in options[1:]] == ["v1", "v2"]
    for label in ("修正前版本", "修正後版本", "小組", "會議", "報告", "機關", "期間", "格式"):
        assert f">{label}</label>" in page


def test_the_meeting_chosen_in_the_form_gives_its_agenda(
    client: Client, cast: Cast, tree: Tree, plan: Plan
) -> None:
    committees.set_up_from_plan(tree.ministry, by=None)
    advisory = Committee.objects.get(organisation=tree.ministry, kind=Kind.ADVISORY)
    meeting = committees.record_meeting(
        advisory, by=cast.centre, held_on=datetime.date(2026, 8, 14), number="115年第3次會議"
    )
    client.force_login(cast.centre)
    page = client.get("/reports/").content.decode()
    value = next(v for v, name in _select(page, "meeting") if "115年第3次會議" in name)
    response = client.get(
        URL,
        {"kind": "committee_agenda", "organisation": "t-ministry", "period": "2026Q3",
         "format": "odt", "meeting": value},
    )  # fmt: skip
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert value == str(meeting.pk)
