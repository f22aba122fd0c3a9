"""The adapter to the national portal's API (data.gov.tw, data-gov-tw.md §3).

`PortalClient` pushes a dataset body (§1 JSON) with POST/PUT/DELETE
``/api/v1/rest/dataset[/{identifier}]`` and reads one back with
``GET /api/v2/rest/dataset/{id}``. It is safe to retry, because every write is
an upsert keyed by the dataset identifier, which we choose:

- ``create`` POSTs; if the portal answers 409 ("already exists" — e.g. our
  earlier POST committed but its response was lost) it PUTs the same body.
- ``update`` PUTs; if the portal answers 404 (never created, or removed by
  hand) it POSTs.
- ``delete`` DELETEs; 404 means it is already gone, which is success.

So delivering the same entry twice leaves the portal as delivering it once.
Every body is checked against `schema/dataset.schema.json` first: an invalid
body raises `PortalError(kind=INVALID)` without any network call.

Errors are one type, `PortalError`, whose `kind` tells the outbox what to do:
``invalid`` and ``rejected`` (4xx) are permanent (not retried, shown to people);
``transient`` (5xx, 429, timeouts, dropped connections) is retried with back-off,
honouring ``Retry-After``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from django.conf import settings
from yarl import URL

from steward.lib.http import AddressPolicy, FetchError, Timeouts, fetch_sync, parse_retry_after
from steward.publishing.schema import SchemaProblem, validate_body

WRITE_PATH = "/api/v1/rest/dataset"
READ_PATH = "/api/v2/rest/dataset"
MAX_RESPONSE_BYTES = 2 * 1024 * 1024
# Status codes worth trying again later; every other 4xx is the portal refusing the request.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class PortalErrorKind(StrEnum):
    INVALID = "invalid"  # refused locally by the schema: no request was sent
    REJECTED = "rejected"  # the portal refused it (4xx): retrying the same body will not help
    TRANSIENT = "transient"  # 5xx, 429, timeout, lost connection: try again later


class PortalError(Exception):
    """A request to the portal did not succeed; `kind` says whether to retry."""

    def __init__(
        self,
        kind: PortalErrorKind,
        message: str,
        *,
        status: int | None = None,
        details: list[str] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.details = details or []
        self.retry_after = retry_after

    @property
    def is_permanent(self) -> bool:
        return self.kind != PortalErrorKind.TRANSIENT

    def __str__(self) -> str:
        head = f"HTTP {self.status}: {self.message}" if self.status else self.message
        return "\n".join([head, *(f"- {detail}" for detail in self.details)])


@dataclass(frozen=True)
class PortalReceipt:
    """What the portal confirmed: our identifier, its own id for the dataset, and how."""

    identifier: str
    portal_identifier: str
    status: int
    steps: tuple[str, ...] = field(default_factory=tuple)  # e.g. ("POST 409", "PUT 200")


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None


def send_request(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None,
    timeout: float,
) -> RawResponse:
    """One HTTP exchange through the shared outbound module (`steward.lib.http`).

    Any HTTP status comes back as a response; a failure to get one raises PortalError:
    TRANSIENT for timeouts, refused or dropped connections, REJECTED for what retrying
    cannot fix (a malformed portal URL, a TLS failure).

    The portal's own host is let through the private-address policy: it is the operator's
    configuration (STEWARD_PORTAL_URL), not a link typed by a user, and demos and tests
    run the stand-in on 127.0.0.1.
    """
    portal_host = URL(url).host or ""
    try:
        response = fetch_sync(
            method,
            url,
            max_bytes=MAX_RESPONSE_BYTES,
            timeouts=Timeouts(connect=timeout, read=timeout, total=timeout * 2),
            policy=AddressPolicy.from_settings(extra=[portal_host] if portal_host else []),
            headers=headers,
            data=body,
        )
    except FetchError as error:
        kind = PortalErrorKind.TRANSIENT if error.transient else PortalErrorKind.REJECTED
        if error.code == "timeout":
            message = f"{method} {url}: no answer within {timeout:g} s"
        else:
            message = f"{method} {url}: {error.message} [{error.code}]"
        raise PortalError(kind, message, details=[error.detail] if error.detail else []) from error
    return RawResponse(response.status, dict(response.headers), response.body)


def _problem_lines(payload: Any) -> list[str]:
    """The error details a portal (or the stand-in) put in its JSON error body."""
    if not isinstance(payload, dict):
        return []
    error = payload.get("error")
    details = error.get("details") if isinstance(error, dict) else payload.get("details")
    if not isinstance(details, list):
        return []
    lines = []
    for item in details:
        if isinstance(item, dict):
            lines.append(f"{item.get('path') or '(body)'}: {item.get('message', '')}")
        else:
            lines.append(str(item))
    return lines


def _error_message(response: RawResponse) -> str:
    payload = response.json()
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if isinstance(payload.get("message"), str):
            return str(payload["message"])
    text = response.body[:300].decode("utf-8", errors="replace").strip()
    return text or "no explanation given"


class PortalClient:
    """Talks to one portal (the real one, or the stand-in in tests and demos)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 15.0,
        user_agent: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.user_agent = user_agent or str(settings.STEWARD_USER_AGENT)

    @classmethod
    def from_settings(cls) -> PortalClient:
        return cls(
            settings.STEWARD_PORTAL_URL,
            settings.STEWARD_PORTAL_API_KEY,
            timeout=float(settings.STEWARD_PORTAL_TIMEOUT),
        )

    # -- the three writes, each an idempotent upsert ---------------------------------------

    def create(self, body: dict[str, Any], *, idempotency_key: str = "") -> PortalReceipt:
        """Publish a new dataset; if the portal already has it, overwrite it with `body`."""
        identifier = self._checked_identifier(body)
        first = self._write("POST", WRITE_PATH, body, idempotency_key)
        if first.status == 409:
            second = self._write("PUT", self._item_path(identifier), body, idempotency_key)
            return self._receipt(identifier, second, steps=("POST 409", f"PUT {second.status}"))
        return self._receipt(identifier, first, steps=(f"POST {first.status}",))

    def update(self, body: dict[str, Any], *, idempotency_key: str = "") -> PortalReceipt:
        """Replace a published dataset's metadata; create it if the portal does not have it."""
        identifier = self._checked_identifier(body)
        first = self._write("PUT", self._item_path(identifier), body, idempotency_key)
        if first.status == 404:
            second = self._write("POST", WRITE_PATH, body, idempotency_key)
            if second.status == 409:  # created by someone in between: overwrite
                third = self._write("PUT", self._item_path(identifier), body, idempotency_key)
                return self._receipt(
                    identifier, third, steps=("PUT 404", "POST 409", f"PUT {third.status}")
                )
            return self._receipt(identifier, second, steps=("PUT 404", f"POST {second.status}"))
        return self._receipt(identifier, first, steps=(f"PUT {first.status}",))

    def delete(self, identifier: str, *, idempotency_key: str = "") -> PortalReceipt:
        """Remove a dataset from the portal; already gone counts as done."""
        response = self._exchange("DELETE", self._item_path(identifier), None, idempotency_key)
        if response.status == 404:
            return PortalReceipt(identifier, "", 404, steps=("DELETE 404 (already gone)",))
        self._raise_for_status(response)
        return self._receipt(identifier, response, steps=(f"DELETE {response.status}",))

    def fetch(self, portal_identifier: str) -> dict[str, Any] | None:
        """The portal's record of one dataset (v2 read API), or None if it has none."""
        response = self._exchange(
            "GET", f"{READ_PATH}/{quote(portal_identifier, safe='')}", None, ""
        )
        if response.status == 404:
            return None
        self._raise_for_status(response)
        payload = response.json()
        if not isinstance(payload, dict) or not payload.get("success"):
            raise PortalError(
                PortalErrorKind.TRANSIENT,
                "the portal's read API did not answer {success: true, result}",
                status=response.status,
            )
        result = payload.get("result")
        return result if isinstance(result, dict) else None

    # -- plumbing ----------------------------------------------------------------------------

    @staticmethod
    def check(body: dict[str, Any]) -> list[SchemaProblem]:
        return validate_body(body)

    def _checked_identifier(self, body: dict[str, Any]) -> str:
        problems = validate_body(body)
        if problems:
            raise PortalError(
                PortalErrorKind.INVALID,
                "the metadata breaks the national standard; nothing was sent",
                details=[str(problem) for problem in problems],
            )
        return str(body["identifier"])

    @staticmethod
    def _item_path(identifier: str) -> str:
        return f"{WRITE_PATH}/{quote(identifier, safe='')}"

    def _write(
        self, method: str, path: str, body: dict[str, Any], idempotency_key: str
    ) -> RawResponse:
        """A POST or PUT whose 404/409 the caller handles; every other failure raises."""
        response = self._exchange(method, path, body, idempotency_key)
        if response.status not in (404, 409):
            self._raise_for_status(response)
        elif method == "POST" and response.status == 404:
            self._raise_for_status(response)  # a POST 404 means a wrong URL, not a missing dataset
        return response

    def _exchange(
        self, method: str, path: str, body: dict[str, Any] | None, idempotency_key: str
    ) -> RawResponse:
        headers = {
            "Accept": "application/json",
            "Authorization": self.api_key,
            "User-Agent": self.user_agent,
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return send_request(
            method, self.base_url + path, headers=headers, body=data, timeout=self.timeout
        )

    @staticmethod
    def _raise_for_status(response: RawResponse) -> None:
        if 200 <= response.status < 300:
            return
        message = _error_message(response)
        details = _problem_lines(response.json())
        if response.status in TRANSIENT_STATUSES or response.status >= 500:
            raise PortalError(
                PortalErrorKind.TRANSIENT,
                message,
                status=response.status,
                details=details,
                retry_after=parse_retry_after(response.headers.get("retry-after")),
            )
        if response.status in (401, 403):
            message = f"the portal refused our API key (STEWARD_PORTAL_API_KEY): {message}"
        raise PortalError(
            PortalErrorKind.REJECTED, message, status=response.status, details=details
        )

    def _receipt(
        self, identifier: str, response: RawResponse, *, steps: tuple[str, ...]
    ) -> PortalReceipt:
        self._raise_for_status(response)
        payload = response.json()
        result = payload.get("result") if isinstance(payload, dict) else None
        portal_identifier = ""
        if isinstance(result, dict):
            portal_identifier = str(result.get("id") or result.get("identifier") or "")
        return PortalReceipt(
            identifier, portal_identifier or identifier, response.status, steps=steps
        )
