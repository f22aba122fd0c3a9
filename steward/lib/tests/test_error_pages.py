"""Error pages: in the site's layout, in Traditional Chinese, with a way back."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import path

from steward.urls import urlpatterns as site_urlpatterns

pytestmark = pytest.mark.django_db


def _boom(request: Any) -> Any:
    raise RuntimeError("database on fire: internal detail")


urlpatterns = [*site_urlpatterns, path("boom/", _boom)]
handler400 = "steward.errors.bad_request"
handler403 = "steward.errors.permission_denied"
handler404 = "steward.errors.page_not_found"
handler500 = "steward.errors.server_error"


def _in_the_layout(html: str) -> None:
    assert 'lang="zh-Hant-TW"' in html
    assert 'class="site-header"' in html  # the site's own header and footer
    assert 'href="/"' in html  # a way back home
    assert "Not Found" not in html and "Server Error" not in html and "Forbidden" not in html


def test_a_missing_page_is_a_chinese_404_in_the_layout(client: Client, cast: Any) -> None:
    client.force_login(cast.liaison)
    response = client.get("/datasets/999999999/", HTTP_REFERER="http://testserver/datasets/")
    assert response.status_code == 404
    html = response.content.decode()
    _in_the_layout(html)
    assert "找不到這個網頁" in html
    assert 'href="http://testserver/datasets/"' in html  # back to where the person came from


def test_a_referer_from_another_site_is_not_offered_as_the_way_back(client: Client) -> None:
    response = client.get("/no-such-page/", HTTP_REFERER="https://evil.example/phish")
    assert response.status_code == 404
    assert "evil.example" not in response.content.decode()


def test_a_refused_action_is_a_chinese_403_with_its_reason(client: Client, cast: Any) -> None:
    client.force_login(cast.outsider)
    response = client.get("/datasets/new/")
    assert response.status_code == 403
    html = response.content.decode()
    _in_the_layout(html)
    assert "您沒有權限" in html
    assert "資訊中心" in html


@override_settings(ROOT_URLCONF=__name__)
def test_a_crash_is_a_chinese_500_without_internal_detail(cast: Any) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(cast.liaison)
    response = client.get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    _in_the_layout(html)
    assert "系統" in html and "database on fire" not in html and "RuntimeError" not in html


def test_an_expired_form_gets_a_chinese_page_not_djangos(cast: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.liaison)
    response = client.post("/accounts/password/change/", {"old_password": "x"})
    assert response.status_code == 403
    html = response.content.decode()
    _in_the_layout(html)
    assert "已過期" in html
    assert "CSRF verification failed" not in html and "Forbidden" not in html
