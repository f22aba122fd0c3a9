"""Sign-in in Debian's Chromium: a CIO whose role requires a second factor enrols from the QR
code page (reading the key as text), signs in again with a recovery code; five wrong
passwords show the lockout page in Traditional Chinese."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django_otp.oath import totp

from steward.conftest import Cast
from steward.datasets.tests.test_browser import browser  # noqa: F401  (the Chromium fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def _sign_in(page: Any, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")


def test_a_cio_enrols_an_authenticator_app_then_signs_in_with_a_recovery_code(
    live_server: Any,
    browser: Any,  # noqa: F811
    cast: Cast,
    settings: Any,
) -> None:
    settings.STEWARD_REQUIRE_2FA_ROLES = ["cio", "information_centre", "admin"]
    base = live_server.url
    context = browser.new_context(locale="zh-TW")
    page = context.new_page()
    _sign_in(page, base, "cio")
    page.wait_for_url(f"{base}/accounts/two-factor/enrol/**")
    assert "設定驗證器 App" in page.inner_text("h1")
    assert page.locator("figure.qr svg").count() == 1  # the QR code is drawn
    secret = page.inner_text("#secret")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("#id_code", f"{totp(key):06d}")
    page.click("button[type=submit].primary")
    page.wait_for_selector("#recovery-codes")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.click("text=繼續")
    page.wait_for_url(f"{base}/")
    assert "資訊長" in page.inner_text("main")

    page.click("button:text('登出')")
    _sign_in(page, base, "cio")
    page.wait_for_url(f"{base}/accounts/two-factor/verify/**")
    page.fill("#id_code", codes[0])
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/")
    context.close()


def test_five_wrong_passwords_show_the_lockout_page(
    live_server: Any,
    browser: Any,  # noqa: F811
    cast: Cast,
    settings: Any,
) -> None:
    settings.AXES_FAILURE_LIMIT = 5
    base = live_server.url
    context = browser.new_context(locale="zh-TW")
    page = context.new_page()
    for attempt in range(5):
        _sign_in(page, base, "liaison", f"wrong {attempt}")
    assert "登入已鎖定" in page.inner_text("h1")
    _sign_in(page, base, "liaison")
    assert "登入失敗次數過多" in page.inner_text("main")
    context.close()
