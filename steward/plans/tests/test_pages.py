"""Plan pages and API: people see their own ministry's plans only; the centre uploads versions."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from steward.conftest import Cast, Tree
from steward.plans.models import Plan, PlanVersion
from steward.plans.services import BUILTIN_DIR, install_plan_file, install_plan_text

TEST_PLAN = """\
format_version = 1

[plan]
key = "test"
name = "測試部資料開放行動方案"
ministry = "t-ministry"

[[organisations]]
key = "t-ministry"
name = "測試部"
kind = "ministry"
agency_code = "A17000000J"

[[organisations]]
key = "t-centre"
name = "資訊處"
kind = "unit"
parent = "t-ministry"

[[organisations]]
key = "t-agency-a"
name = "甲署"
kind = "agency"
parent = "t-ministry"

[[versions]]
label = "v1"
title = "第一版"
adopted_on = 2024-01-01

[versions.rules.feedback]
limit_days = 7
day_kind = "calendar"
cio_approves_replies = true

[[versions.targets]]
measure = "datasets_total"
year = 2024
values = { t-ministry = 10, t-agency-a = 5 }

[[versions.schedule]]
code = "1-1"
title = "盤點"
lead = ["*all"]
lead_as_written = "本部及各機關(構)"
deadlines = [{ period = "Q1", date = "3/10" }, { period = "Q3", date = "9/10" }]
"""

V2 = '\n[[versions]]\nlabel = "v2"\nadopted_on = 2025-01-01\ninherit = true\n\n[[versions.schedule]]\ncode = "1-1"\ntitle = "盤點"\nlead = ["*all"]\ndeadlines = [{ period = "Q2", date = "4/30" }]\n'


@pytest.fixture
def plans(tree: Tree) -> None:
    install_plan_text(TEST_PLAN, name="test.toml")
    install_plan_file(BUILTIN_DIR / "moj.toml")


def signed_in(person: object) -> Client:
    client = Client()
    client.force_login(person)  # type: ignore[arg-type]
    return client


def test_a_liaison_sees_their_ministrys_plan_and_not_another(cast: Cast, plans: None) -> None:
    client = signed_in(cast.liaison)
    page = client.get(reverse("plans:index")).content.decode()
    assert "測試部資料開放行動方案" in page
    assert "法務部" not in page
    detail = client.get(reverse("plans:detail", args=["test"]))
    assert detail.status_code == 200
    assert "3/10" in detail.content.decode() and "本部及各機關(構)" in detail.content.decode()
    assert client.get(reverse("plans:detail", args=["moj"])).status_code == 404
    assert client.get(reverse("plans:compare", args=["moj"])).status_code == 404


def test_someone_with_no_role_sees_no_plan_and_strangers_must_sign_in(
    cast: Cast, plans: None
) -> None:
    assert signed_in(cast.outsider).get(reverse("plans:detail", args=["test"])).status_code == 404
    response = Client().get(reverse("plans:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_api_lists_and_shows_only_plans_in_scope(cast: Cast, plans: None) -> None:
    client = signed_in(cast.reviewer)
    listed = client.get("/api/plans/").json()
    assert [plan["key"] for plan in listed] == ["test"]
    version = client.get("/api/plans/test/versions/current").json()
    assert version["label"] == "v1"
    assert version["rules"]["feedback"]["limit_days"] == 7
    assert version["rules"]["feedback"]["cio_approves_replies"] is True
    assert client.get("/api/plans/moj/versions/current").status_code == 404
    assert client.get("/api/plans/moj/compare?old=a&new=b").status_code == 404


def test_the_api_and_page_compare_two_versions(cast: Cast, plans: None) -> None:
    install_plan_text(TEST_PLAN + V2, name="test.toml")
    client = signed_in(cast.auditor)
    rows = client.get("/api/plans/test/compare?old=v1&new=v2").json()
    assert rows == [
        {
            "section": "schedule",
            "key": "1-1",
            "amended": "1-1盤點；完成期限：第二季 4/30；主辦：本部及各機關(構)",
            "current": "1-1盤點；完成期限：第一季 3/10、第三季 9/10；主辦：本部及各機關(構)",
            "explanation": "1-1 完成期限由 3/10、9/10 改為 4/30。",
        }
    ]
    page = client.get(reverse("plans:compare", args=["test"]), {"old": "v1", "new": "v2"})
    assert "1-1 完成期限由 3/10、9/10 改為 4/30。" in page.content.decode()


def test_only_the_information_centre_may_upload(cast: Cast, plans: None) -> None:
    url = reverse("plans:upload", args=["test"])
    assert signed_in(cast.liaison).get(url).status_code == 403
    assert signed_in(cast.cio).get(url).status_code == 403
    assert signed_in(cast.centre).get(url).status_code == 200


def test_an_uploaded_version_is_installed_through_the_service(cast: Cast, plans: None) -> None:
    client = signed_in(cast.centre)
    upload = SimpleUploadedFile("test.toml", (TEST_PLAN + V2).encode("utf-8"))
    response = client.post(reverse("plans:upload", args=["test"]), {"file": upload})
    assert response.status_code == 302
    plan = Plan.objects.get(key="test")
    assert [v.label for v in plan.versions.all()] == ["v1", "v2"]
    assert plan.versions.get(label="v2").loaded_by == cast.centre


def test_a_bad_upload_lists_every_problem_and_changes_nothing(cast: Cast, plans: None) -> None:
    client = signed_in(cast.centre)
    bad = (TEST_PLAN + V2).replace("t-agency-a = 5", "t-agency-z = 5").replace('"4/30"', '"4/31"')
    upload = SimpleUploadedFile("bad.toml", bad.encode("utf-8"))
    before = PlanVersion.objects.count()
    response = client.post(reverse("plans:upload", args=["test"]), {"file": upload})
    page = response.content.decode()
    assert response.status_code == 200
    assert "versions[0].targets[0].values.t-agency-z" in page
    assert "versions[1].schedule[0].deadlines[0].date" in page
    assert "這個機關或單位" in page and "4/31" in page
    assert PlanVersion.objects.count() == before


def test_an_upload_of_another_plan_is_refused(cast: Cast, plans: None) -> None:
    client = signed_in(cast.centre)
    other = (BUILTIN_DIR / "moj.toml").read_bytes()
    response = client.post(
        reverse("plans:upload", args=["test"]),
        {"file": SimpleUploadedFile("moj.toml", other)},
    )
    assert "plan.key" in response.content.decode()
    assert Plan.objects.get(key="moj").versions.count() == 1


def test_json_of_the_comparison_is_valid_for_a_builtin_plan(cast: Cast, db: None) -> None:
    install_plan_file(BUILTIN_DIR / "moea.toml")
    admin = cast.outsider
    admin.is_superuser = True
    admin.save()
    client = signed_in(admin)
    rows = client.get("/api/plans/moea/compare?old=pre-2017&new=2017-03-16").json()
    assert any(row["key"] == "1-6" for row in rows)
    json.dumps(rows)


def test_every_builtin_plan_page_renders_what_the_seed_says(db: None) -> None:
    # No `tree` here: its ministry holds MOL's agency code A17000000J.
    from steward.organisations.factories import PersonFactory
    from steward.plans.services import install_builtin_plans

    install_builtin_plans()
    admin = PersonFactory.create(username="admin", is_superuser=True)
    client = signed_in(admin)
    expected = {
        "mol": [
            "515",
            "正確率=(1-(開放資料集未及時更新數+錯誤連結數+錯誤資訊數)/實際開放資料集數量)*100",
        ],
        "moea": ["12月底至次年1月底", "資料發布後持續運作", "10/31"],
        "dgbas": ["年度盤點", "不低於 2 次", "資料審查者"],
        "moj": ["170", "經資訊長核准", "民間代表至少 4 人"],
    }
    for key, fragments in expected.items():
        page = client.get(reverse("plans:detail", args=[key])).content.decode()
        for fragment in fragments:
            assert fragment in page, (key, fragment)
        # organisation kinds in words, and no KPI codes of the plan file
        assert "<td>本部</td>" in page, key
        assert not any(f"<td>{kind}</td>" in page for kind in ("ministry", "agency", "unit")), key
        for code in Plan.objects.get(key=key).versions.last().document.get("kpis", []):  # type: ignore[union-attr]
            assert f"({code['code']})" not in page, (key, code["code"])
    index = client.get(reverse("plans:index")).content.decode()
    assert all(reverse("plans:detail", args=[key]) in index for key in expected)


def test_a_deeply_nested_upload_is_refused_in_chinese_and_changes_nothing(
    cast: Cast, plans: None
) -> None:
    """A hostile file of arrays 5,000 deep exhausted the TOML parser's stack: a 500 before."""
    client = signed_in(cast.centre)
    hostile = TEST_PLAN + "deep = " + "[" * 5000 + "]" * 5000 + "\n"
    before = list(PlanVersion.objects.values_list("pk", "label"))
    response = client.post(
        reverse("plans:upload", args=["test"]),
        {"file": SimpleUploadedFile("deep.toml", hostile.encode("utf-8"))},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "deep.toml" in page and "巢狀層數過深" in page
    assert list(PlanVersion.objects.values_list("pk", "label")) == before
