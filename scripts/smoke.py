"""Smoke test of a running server, as a browser behind the production proxy would use it.

Signs in through the real login form (CSRF cookie and token), then loads the home page, every
page of the main navigation, the static files they link and a few more pages, and fails on
anything but 200, on error text, or on a missing security header. Standard library only.

    python scripts/smoke.py http://127.0.0.1:8123 --user centre --password steward-demo \
        [--host opendata.example.gov.tw --https-proxy]

--host sends that Host header (one of STEWARD_ALLOWED_HOSTS); --https-proxy adds the
`X-Forwarded-Proto: https` header that the reverse proxy sets when STEWARD_HTTPS=true, and
then also expects HSTS and Secure cookies.
"""

from __future__ import annotations

import argparse
import http.client
import re
import sys
import time
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

# Text that must never reach a person: Django's error pages, template or Python leftovers.
ERROR_TEXT = [
    "Traceback",
    "Server Error (500)",
    "Internal Server Error",
    "TemplateSyntaxError",
    "NoReverseMatch",
    "VariableDoesNotExist",
    "{{",
    "{%",
]
EXTRA_PAGES = ["/inventory/returns/", "/quality/measures/", "/api/docs", "/api/openapi.json"]


class Links(HTMLParser):
    """The navigation links, the static files and the CSRF token of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.navigation: list[str] = []
        self.assets: list[str] = []
        self.csrf_token = ""
        self._in_nav = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "nav" and "main-nav" in a.get("class", ""):
            self._in_nav = True
        elif tag == "a" and self._in_nav and a.get("href"):
            self.navigation.append(a["href"])
        elif tag == "script" and a.get("src"):
            self.assets.append(a["src"])
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.assets.append(a["href"])
        elif tag == "input" and a.get("name") == "csrfmiddlewaretoken":
            self.csrf_token = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._in_nav = False


class Browser:
    """Keeps cookies by hand: Secure cookies must be sent, although the last hop is HTTP."""

    def __init__(self, base: str, host: str | None, https_proxy: bool) -> None:
        parts = urlsplit(base)
        self.netloc = parts.netloc
        self.host = host or parts.netloc
        self.https_proxy = https_proxy
        self.origin = f"{'https' if https_proxy else 'http'}://{self.host}"
        self.cookies: dict[str, str] = {}
        self.secure_cookies: set[str] = set()

    def request(self, method: str, path: str, body: str = "") -> tuple[int, dict[str, str], str]:
        headers = {"Host": self.host, "Accept-Language": "zh-TW", "User-Agent": "steward-smoke"}
        if self.https_proxy:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        connection = http.client.HTTPConnection(self.netloc, timeout=60)
        try:
            connection.request(method, path, body=body.encode(), headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
                if re.search(r";\s*Secure", header, re.I):
                    self.secure_cookies.add(name)
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            connection.close()


def fail(message: str) -> None:
    print(f"smoke: FAILED: {message}", file=sys.stderr)
    raise SystemExit(1)


def check_page(browser: Browser, path: str, *, expect_https: bool) -> Links:
    started = time.monotonic()
    status, headers, text = browser.request("GET", path)
    took = (time.monotonic() - started) * 1000
    if status != 200:
        fail(f"GET {path}: {status}, expected 200 ({headers.get('location', '')})")
    links = Links()
    if headers.get("content-type", "").startswith("text/html"):
        links.feed(text)
        for error in ERROR_TEXT:
            if error in text:
                fail(f"GET {path}: the page shows {error!r}")
        policy = headers.get("content-security-policy", "")
        if "script-src 'self'" not in policy or "unsafe-inline" in policy:
            fail(f"GET {path}: no strict Content-Security-Policy ({policy!r})")
        if expect_https and "max-age=" not in headers.get("strict-transport-security", ""):
            fail(f"GET {path}: no Strict-Transport-Security header")
    print(f"  200  {took:6.0f} ms  {path}")
    return links


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the server, e.g. http://127.0.0.1:8123")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--host", help="Host header to send (default: from the base address)")
    parser.add_argument("--https-proxy", action="store_true", help="act as the HTTPS proxy")
    options = parser.parse_args()
    browser = Browser(options.base, options.host, options.https_proxy)

    print(f"smoke: signing in to {options.base} as {options.user}")
    form = check_page(browser, "/accounts/login/", expect_https=options.https_proxy)
    if not form.csrf_token or "csrftoken" not in browser.cookies:
        fail("the login form has no CSRF token or cookie")
    body = urlencode(
        {
            "csrfmiddlewaretoken": form.csrf_token,
            "username": options.user,
            "password": options.password,
            "next": "/",
        }
    )
    status, _headers, text = browser.request("POST", "/accounts/login/", body)
    if status != 302 or "sessionid" not in browser.cookies:
        fail(f"sign-in refused ({status}): {re.sub(r'<[^>]+>', ' ', text)[:300]!r}")
    if options.https_proxy and {"sessionid", "csrftoken"} - browser.secure_cookies:
        fail("behind HTTPS, the session and CSRF cookies must be Secure")

    home = check_page(browser, "/", expect_https=options.https_proxy)
    if not home.navigation:
        fail("the home page shows no navigation: not signed in?")
    pages = list(dict.fromkeys([*home.navigation, *EXTRA_PAGES]))
    assets: set[str] = set(home.assets)
    for path in pages:
        assets.update(check_page(browser, path, expect_https=options.https_proxy).assets)
    for asset in sorted(assets):
        check_page(browser, urljoin("/", asset), expect_https=options.https_proxy)
    print(f"smoke: OK, {len(pages) + 2} pages and {len(assets)} static files")


if __name__ == "__main__":
    main()
