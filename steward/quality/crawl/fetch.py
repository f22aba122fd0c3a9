"""Fetching one resource (資料資源) for the quality check: HEAD or GET, and a three-state verdict.

`fetch_resource(session, url, need_bytes=...)` answers "does this link give the file?" as
**ok**, **broken** or **unknown** (transient), with a stable reason code, an explanation a
liaison can act on, and the first `need_bytes` of the body for the pure checks (sniffing,
encoding, table, personal data).

How HEAD and GET are used (the decision, and why):

* When the checks need bytes (`need_bytes > 0`, the full check) we send **one GET** and read
  only `need_bytes`: a HEAD first would double the requests and prove nothing the GET does
  not. Nothing beyond the cap is downloaded.
* When only the link is checked (`need_bytes == 0`) we send **HEAD**, and confirm with a
  small GET whenever the HEAD answer would count against the resource or cannot be trusted:
  HEAD refused (405, 501, 403) or any other 4xx/5xx, an HTML page where a file is expected
  (a login or error page behind a 200), or a 2xx with neither Content-Type nor
  Content-Length. A wrong "broken" costs an agency a KPI point (MOL's 正確率 counts 錯誤連結數);
  an extra GET on a failing link costs little.

Re-checks are conditional: a resource checked before carries the `ETag` and `Last-Modified`
its last answer gave, sent as `If-None-Match` / `If-Modified-Since`. A 304 answer is
**not_modified** (ok, nothing downloaded): the recorder keeps the last verdict. A 304 to a
request that asked for nothing conditional never gives the file: broken.

Transient outcomes — timeouts, resets, refused connections, DNS temporary failure, 429,
502, 503, 504, 408 — are **unknown**, never broken, so one flaky night does not count as a
broken link; the crawler retries them, honouring Retry-After. 404, 410, other 4xx, 500 and
other 5xx, a host name that does not exist, a forbidden (private) address, redirect loops,
too many redirects, and an HTML page instead of a file are **broken**.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiohttp
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from steward.lib.http import (
    DEFAULT_MAX_REDIRECTS,
    FetchError,
    Response,
    parse_retry_after,
    request,
)


class State(StrEnum):
    """The three-state verdict of a link check."""

    OK = "ok"
    BROKEN = "broken"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Reason:
    """What a reason code means and how a liaison fixes it."""

    state: State
    explanation: Any  # lazy translatable string
    how_to_fix: Any = ""


REASONS: dict[str, Reason] = {
    "ok": Reason(State.OK, _("The link answers and gives the file.")),
    "ok_truncated": Reason(
        State.OK,
        _(
            "The link answers; the file is larger than the check reads, so only its start was checked."
        ),
    ),
    "not_modified": Reason(
        State.OK,
        _("The file has not changed since the last check (304); the last verdict stands."),
    ),
    "not_modified_unasked": Reason(
        State.BROKEN,
        _(
            "The server answered “not modified” (304) to a plain request, so it never sends the file."
        ),
        _("Ask the maintainer to fix the web server's caching rules."),
    ),
    "not_modified_without_verdict": Reason(
        State.UNKNOWN,
        _(
            "The server says the file has not changed, but there is no earlier verdict to keep; it will be checked again in full."
        ),
    ),
    "not_found": Reason(
        State.BROKEN,
        _("The server says the file does not exist (404)."),
        _("Upload the file again or correct the download URL (資料下載網址)."),
    ),
    "gone": Reason(
        State.BROKEN,
        _("The server says the file has been removed for good (410)."),
        _(
            "Publish the file at a new address and update the download URL, or withdraw the resource."
        ),
    ),
    "forbidden": Reason(
        State.BROKEN,
        _("The server refuses access (401/403): the file needs a login or is blocked."),
        _("Make the file downloadable without a login or a human step."),
    ),
    "client_error": Reason(
        State.BROKEN,
        _("The server rejected the request with a client error (4xx)."),
        _("Check the download URL; open it in a browser to see the error."),
    ),
    "server_error": Reason(
        State.BROKEN,
        _("The server failed with an internal error (5xx)."),
        _("Ask the system's maintainer to fix the server or the export behind this link."),
    ),
    "transient_status": Reason(
        State.UNKNOWN,
        _(
            "The server is busy or temporarily unavailable (429/502/503/504); it will be checked again."
        ),
        _("Nothing to do unless this repeats; then ask the maintainer about capacity."),
    ),
    "html_instead_of_file": Reason(
        State.BROKEN,
        _("The link returns a web page (an error or login page) instead of the file."),
        _("Point the download URL at the file itself, not at a page about it."),
    ),
    "refused_archive": Reason(
        State.BROKEN,
        _(
            "The file is an archive that expands to an unreasonable size (a zip bomb); it was not opened."
        ),
        _("Publish the data uncompressed, or as a normal zip of reasonable size."),
    ),
    "empty_file": Reason(
        State.BROKEN,
        _("The link answers but the file is empty."),
        _("Upload the file again; check the export that produces it."),
    ),
    "timeout": Reason(
        State.UNKNOWN,
        _("The server did not answer in time; it will be checked again."),
        _("If this repeats, the server is too slow for users too: ask the maintainer."),
    ),
    "slow_body": Reason(
        State.UNKNOWN,
        _("The server sends the file too slowly to check; it will be checked again."),
        _("If this repeats, ask the maintainer why downloads are so slow."),
    ),
    "connection_reset": Reason(
        State.UNKNOWN,
        _("The server closed the connection early; it will be checked again."),
    ),
    "connect_failed": Reason(
        State.UNKNOWN,
        _("Could not connect to the server; it will be checked again."),
        _("If this repeats, the site is down: ask the maintainer."),
    ),
    "connection_error": Reason(
        State.UNKNOWN, _("The connection failed; it will be checked again.")
    ),
    "dns_failure": Reason(
        State.UNKNOWN, _("The host name could not be looked up just now; it will be checked again.")
    ),
    "dns_not_found": Reason(
        State.BROKEN,
        _("The host name in the link does not exist."),
        _("Correct the host name in the download URL."),
    ),
    "forbidden_address": Reason(
        State.BROKEN,
        _(
            "The link (or a redirect) leads to a private, local or cloud-metadata address, which the public cannot reach."
        ),
        _("Publish the file on a public address."),
    ),
    "redirect_loop": Reason(
        State.BROKEN,
        _("The link redirects in a loop and never reaches the file."),
        _("Fix the web server's redirect rules or use the file's final address."),
    ),
    "too_many_redirects": Reason(
        State.BROKEN,
        _("The link redirects too many times."),
        _("Use the file's final address as the download URL."),
    ),
    "bad_redirect": Reason(
        State.BROKEN,
        _("The server redirects to an invalid address."),
        _("Fix the web server's redirect rules."),
    ),
    "bad_url": Reason(
        State.BROKEN,
        _("The download URL is not a valid web address."),
        _("Correct the download URL."),
    ),
    "unsupported_scheme": Reason(
        State.BROKEN,
        _("The download URL does not start with http:// or https://."),
        _("Publish the file on a web (https) address."),
    ),
    "no_url": Reason(
        State.BROKEN,
        _("The resource has no download URL."),
        _("Fill in the download URL (資料下載網址)."),
    ),
    "tls_error": Reason(
        State.BROKEN,
        _("The site's HTTPS certificate or set-up is not valid."),
        _("Renew or fix the site's certificate."),
    ),
    "bad_encoding": Reason(
        State.BROKEN,
        _("The server declares a compressed body that cannot be decompressed."),
        _("Fix the server's Content-Encoding setting."),
    ),
    "bad_response": Reason(
        State.BROKEN,
        _("The server's answer is not valid HTTP."),
        _("Ask the maintainer to check the web server."),
    ),
    "bad_address": Reason(
        State.BROKEN, _("The host name resolves to something that is not an address.")
    ),
}

TRANSIENT_STATUSES = frozenset({408, 425, 429, 502, 503, 504})
#: Response headers a fetch result keeps (what the checks read, and what explains a verdict);
#: a report travels between processes, so it carries no more.
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "content-encoding",
    "content-disposition",
    "last-modified",
    "etag",
    "retry-after",
)
HEAD_REFUSED_STATUSES = frozenset({403, 405, 501})
HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<title")


def reason(code: str) -> Reason:
    return REASONS.get(code) or Reason(State.BROKEN, code)


_explained: dict[tuple[str, str | None], tuple[str, str]] = {}


def explain(code: str) -> tuple[str, str]:
    """The explanation of a reason code and how to fix it, in the active language.

    Every report asks; the few codes times the languages are translated once each.
    """
    key = (code, translation.get_language())
    found = _explained.get(key)
    if found is None:
        meaning = reason(code)
        found = (str(meaning.explanation), str(meaning.how_to_fix))
        if code in REASONS:
            _explained[key] = found
    return found


def looks_like_html(head: bytes) -> bool:
    """Is this the start of an HTML page (an error or login page served in place of a file)?"""
    start = head[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return True
    return start.startswith(b"<") and any(marker in start for marker in HTML_MARKERS)


@dataclass
class FetchResult:
    """The outcome of fetching one resource (compact: only the first bytes are kept)."""

    url: str
    state: State
    reason: str
    status: int | None = None
    final_url: str = ""
    redirects: list[tuple[int, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    head: bytes = b""
    bytes_read: int = 0
    truncated: bool = False
    elapsed: float = 0.0
    method: str = ""
    retry_after: float | None = None
    detail: str = ""
    attempts: int = 1

    @property
    def explanation(self) -> str:
        return explain(self.reason)[0]

    @property
    def how_to_fix(self) -> str:
        return explain(self.reason)[1]

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def content_charset(self) -> str:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _sep, value = part.strip().partition("=")
            if key.lower() == "charset":
                return value.strip().strip('"').lower()
        return ""

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no body)."""
        return {
            "url": self.url,
            "state": self.state.value,
            "reason": self.reason,
            "explanation": self.explanation,
            "status": self.status,
            "final_url": self.final_url,
            "redirects": [list(hop) for hop in self.redirects],
            "content_type": self.content_type,
            "bytes_read": self.bytes_read,
            "truncated": self.truncated,
            "elapsed": round(self.elapsed, 3),
            "method": self.method,
            "retry_after": self.retry_after,
            "detail": self.detail,
            "attempts": self.attempts,
        }


def _status_reason(status: int, *, conditional: bool = False) -> str:
    if 200 <= status < 300:
        return "ok"
    if status == 304:
        return "not_modified" if conditional else "not_modified_unasked"
    if status in TRANSIENT_STATUSES:
        return "transient_status"
    if status == 404:
        return "not_found"
    if status == 410:
        return "gone"
    if status in {401, 403, 407}:
        return "forbidden"
    if 300 <= status < 400:
        return "bad_redirect"
    if 400 <= status < 500:
        return "client_error"
    return "server_error"


def classify(
    response: Response, *, expect_file: bool, conditional: bool = False
) -> tuple[str, float | None]:
    """The reason code of an HTTP answer, and the Retry-After delay if one was given.

    `conditional`: the request carried If-None-Match or If-Modified-Since.
    """
    code = _status_reason(response.status, conditional=conditional)
    retry_after = None
    if code == "transient_status":
        retry_after = parse_retry_after(response.headers.get("retry-after"))
    if code != "ok":
        return code, retry_after
    if response.method == "GET":
        if expect_file and looks_like_html(response.body):
            return "html_instead_of_file", None
        if response.bytes_read == 0 and not response.truncated:
            return "empty_file", None
        if response.truncated:
            return "ok_truncated", None
    return "ok", None


def _head_needs_confirmation(response: Response, *, expect_file: bool) -> bool:
    if response.status in HEAD_REFUSED_STATUSES:
        return True
    if response.status >= 400 and response.status not in TRANSIENT_STATUSES:
        return True
    if 200 <= response.status < 300:
        if expect_file and response.content_type == "text/html":
            return True
        if not response.content_type and response.content_length is None:
            return True
    return False


def _result_from_response(
    url: str,
    response: Response,
    *,
    expect_file: bool,
    method: str,
    started: float,
    conditional: bool = False,
) -> FetchResult:
    code, retry_after = classify(response, expect_file=expect_file, conditional=conditional)
    return FetchResult(
        url=url,
        state=reason(code).state,
        reason=code,
        status=response.status,
        final_url=response.url,
        redirects=response.redirects,
        headers={k: response.headers[k] for k in KEPT_HEADERS if k in response.headers},
        head=response.body,
        bytes_read=response.bytes_read,
        truncated=response.truncated,
        elapsed=time.monotonic() - started,
        method=method,
        retry_after=retry_after,
    )


def _result_from_error(url: str, error: FetchError, *, method: str, started: float) -> FetchResult:
    code = (
        error.code
        if error.code in REASONS
        else ("connection_error" if error.transient else "bad_response")
    )
    state = State.UNKNOWN if error.transient else reason(code).state
    return FetchResult(
        url=url,
        state=state,
        reason=code,
        final_url=error.url or url,
        elapsed=time.monotonic() - started,
        method=method,
        detail=error.detail,
        bytes_read=error.bytes_read,
    )


async def fetch_resource(
    session: aiohttp.ClientSession,
    url: str,
    *,
    need_bytes: int,
    expect_file: bool = True,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    etag: str = "",
    last_modified: str = "",
) -> FetchResult:
    """Fetch `url` (see the module docstring for when HEAD and GET are used).

    `session` must come from `steward.lib.http.client_session()`; it carries the address
    policy and the timeouts. `etag` / `last_modified` (from the last check) make the request
    conditional. Never raises for anything the server or network does.
    """
    started = time.monotonic()
    url = (url or "").strip()
    if not url:
        return FetchResult(url=url, state=State.BROKEN, reason="no_url", method="")
    method = "GET" if need_bytes > 0 else "HEAD"
    conditions: dict[str, str] = {}
    if etag:
        conditions["If-None-Match"] = etag
    if last_modified:
        conditions["If-Modified-Since"] = last_modified
    try:
        response = await request(
            session,
            method,
            url,
            max_bytes=need_bytes,
            max_redirects=max_redirects,
            headers=conditions or None,
        )
        if method == "HEAD" and _head_needs_confirmation(response, expect_file=expect_file):
            method = "HEAD+GET"
            response = await request(
                session, "GET", url, max_bytes=4096, max_redirects=max_redirects
            )
    except FetchError as error:
        return _result_from_error(url, error, method=method, started=started)
    return _result_from_response(
        url,
        response,
        expect_file=expect_file,
        method=method,
        started=started,
        conditional=bool(conditions) and method != "HEAD+GET",
    )
