"""A stand-in for data.gov.tw's dataset API that enforces the same JSON schema.

The real portal cannot be reached from our machines, so the adapter is tested
against this: a stdlib threading HTTP server on 127.0.0.1 holding datasets in
memory. It implements

- ``POST   /api/v1/rest/dataset``               201, or 409 if the identifier exists
- ``PUT    /api/v1/rest/dataset/{identifier}``  200, or 404 if unknown
- ``DELETE /api/v1/rest/dataset/{identifier}``  200, or 404 if unknown
- ``GET    /api/v2/rest/dataset/{id}``          ``{success, result}`` by the portal's
  numeric id or by identifier, with per distribution resourceDescription,
  resourceField, qcLevel, resourceFormat, resourceCharacterEncoding,
  resourceQualityCheckTime, resourceDownloadUrl, resourceAmount.

Writes need the ``Authorization`` header to equal the configured key (401 if
not) and a body valid against ``schema/dataset.schema.json`` (400 listing every
problem with its key path).

Refusal rules stand for the portal's own checks beyond the schema (`StandInPortal.refuse`,
or ``POST /_standin/rules``): a write whose field contains a given text is refused with
422 and the portal's reason, every time, until the metadata changes — a refusal for good.

Faults can be queued to prove the adapter's retry and idempotence: a 500, a 429
with Retry-After, a slow answer (the client times out; nothing is committed), and
a connection dropped *after* the write committed (the client never learns it
succeeded). In-process with `StandInPortal.inject`, or over HTTP with
``POST /_standin/faults`` when the stand-in runs as its own process
(``steward portal-standin --port 8765``).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from steward.publishing.schema import validate_body

WRITE_PREFIX = "/api/v1/rest/dataset"
READ_PREFIX = "/api/v2/rest/dataset/"
CONTROL_PREFIX = "/_standin/"
MAX_BODY_BYTES = 5 * 1024 * 1024


class FaultKind(StrEnum):
    SERVER_ERROR = "server_error"  # 500, nothing committed
    RATE_LIMITED = "rate_limited"  # 429 with Retry-After, nothing committed
    SLOW = "slow"  # wait `delay` seconds, then close: the client times out, nothing committed
    DROP_AFTER_COMMIT = "drop_after_commit"  # commit the write, then close without answering


@dataclass
class Fault:
    """One planned misbehaviour, applied to the next `times` requests matching `method`."""

    kind: FaultKind
    times: int = 1
    method: str = ""  # "" = any write (POST, PUT, DELETE)
    retry_after: int = 1
    delay: float = 2.0

    def matches(self, method: str) -> bool:
        return method == self.method if self.method else method in {"POST", "PUT", "DELETE"}


@dataclass(frozen=True)
class RefusalRule:
    """A check the real portal makes beyond the schema: refuse any write whose `key` (a
    dataset field, or a resource field in any distribution) contains `contains`."""

    key: str
    contains: str
    message: str
    status: int = 422

    def breaks(self, body: Any) -> bool:
        if not isinstance(body, dict):
            return False
        values = [body.get(self.key)]
        values += [
            resource.get(self.key)
            for resource in body.get("distribution") or []
            if isinstance(resource, dict)
        ]
        return any(isinstance(value, str) and self.contains in value for value in values)


@dataclass
class StoredDataset:
    nid: int
    body: dict[str, Any]
    created: str
    modified: str


@dataclass
class LoggedRequest:
    method: str
    path: str
    status: int | None  # None: no answer was sent (dropped or slow)
    idempotency_key: str


@dataclass
class PortalState:
    """Everything the stand-in holds; guarded by `lock`."""

    api_key: str
    datasets: dict[str, StoredDataset] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    rules: list[RefusalRule] = field(default_factory=list)
    log: list[LoggedRequest] = field(default_factory=list)
    next_nid: int = 100001
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_fault(self, method: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method) and fault.times > 0:
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
        return None


def _now() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


def read_view(stored: StoredDataset) -> dict[str, Any]:
    """The v2 read API's shape of one dataset."""
    body = stored.body
    result = {key: value for key, value in body.items() if key != "distribution"}
    result["id"] = stored.nid
    result["metadataModified"] = stored.modified
    result["distribution"] = [
        {
            "resourceID": resource.get("resourceID", ""),
            "resourceDescription": resource.get("resourceDescription", ""),
            "resourceField": body.get("fieldDescription", ""),
            "qcLevel": "",  # the platform quality check (品質檢測) has not run here
            "resourceFormat": resource.get("format", ""),
            "resourceCharacterEncoding": resource.get("characterSetCode", ""),
            "resourceQualityCheckTime": "",
            "resourceDownloadUrl": resource.get("downloadURL") or resource.get("accessURL", ""),
            "resourceAmount": body.get("numberOfData", ""),
        }
        for resource in body.get("distribution", [])
    ]
    return result


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log in PortalState is what tests read

    # -- dispatch ----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        path = urlsplit(self.path).path
        entry = LoggedRequest(method, path, None, self.headers.get("Idempotency-Key", ""))
        if not path.startswith(CONTROL_PREFIX):
            with state.lock:
                state.log.append(entry)
        try:
            raw = self._read_body()
        except ValueError as error:
            self._answer(entry, 413, {"success": False, "error": {"message": str(error)}})
            return
        if path.startswith(CONTROL_PREFIX):
            self._control(method, path[len(CONTROL_PREFIX) :], raw)
            return
        fault = state.take_fault(method)
        if fault is not None and fault.kind == FaultKind.SERVER_ERROR:
            self._answer(entry, 500, {"success": False, "error": {"message": "internal error"}})
            return
        if fault is not None and fault.kind == FaultKind.RATE_LIMITED:
            self._answer(
                entry,
                429,
                {"success": False, "error": {"message": "too many requests"}},
                headers={"Retry-After": str(fault.retry_after)},
            )
            return
        if fault is not None and fault.kind == FaultKind.SLOW:
            time.sleep(fault.delay)
            self.close_connection = True
            return
        status, payload = self._route(method, path, raw)
        if fault is not None and fault.kind == FaultKind.DROP_AFTER_COMMIT:
            # The write is committed; the client only sees the connection close.
            self.close_connection = True
            return
        self._answer(entry, status, payload)

    def _route(self, method: str, path: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        if method == "GET" and path.startswith(READ_PREFIX):
            return self._read(unquote(path[len(READ_PREFIX) :]))
        if path.rstrip("/") == WRITE_PREFIX and method == "POST":
            return self._authorised(lambda: self._create(raw))
        if path.startswith(WRITE_PREFIX + "/") and method in {"PUT", "DELETE"}:
            identifier = unquote(path[len(WRITE_PREFIX) + 1 :])
            if method == "PUT":
                return self._authorised(lambda: self._replace(identifier, raw))
            return self._authorised(lambda: self._delete(identifier))
        return 404, {"success": False, "error": {"message": f"no route for {method} {path}"}}

    # -- the API -----------------------------------------------------------------------------

    def _authorised(self, action: Any) -> tuple[int, dict[str, Any]]:
        given = self.headers.get("Authorization", "")
        if not self.server.state.api_key or given != self.server.state.api_key:
            return 401, {"success": False, "error": {"message": "missing or wrong API key"}}
        result: tuple[int, dict[str, Any]] = action()
        return result

    @staticmethod
    def _parsed(raw: bytes) -> tuple[Any, tuple[int, dict[str, Any]] | None]:
        try:
            return json.loads(raw.decode("utf-8")), None
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return None, (
                400,
                {"success": False, "error": {"message": f"the body is not UTF-8 JSON: {error}"}},
            )

    def _invalid(self, body: Any) -> tuple[int, dict[str, Any]] | None:
        problems = validate_body(body)
        if not problems:
            return self._refused_by_rule(body)
        return 400, {
            "success": False,
            "error": {
                "message": "the body breaks the dataset metadata standard",
                "details": [problem.as_dict() for problem in problems],
            },
        }

    def _refused_by_rule(self, body: Any) -> tuple[int, dict[str, Any]] | None:
        state = self.server.state
        with state.lock:
            broken = [rule for rule in state.rules if rule.breaks(body)]
        if not broken:
            return None
        return broken[0].status, {
            "success": False,
            "error": {
                "message": broken[0].message,
                "details": [{"path": rule.key, "message": rule.message} for rule in broken],
            },
        }

    def _create(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        body, refusal = self._parsed(raw)
        refusal = refusal or self._invalid(body)
        if refusal:
            return refusal
        state = self.server.state
        identifier = body["identifier"]
        with state.lock:
            existing = state.datasets.get(identifier)
            if existing is not None:
                return 409, {
                    "success": False,
                    "error": {"message": f"dataset {identifier} already exists", "code": "exists"},
                    "result": {"identifier": identifier, "id": existing.nid},
                }
            stored = StoredDataset(state.next_nid, body, _now(), _now())
            state.next_nid += 1
            state.datasets[identifier] = stored
        return 201, {"success": True, "result": {"identifier": identifier, "id": stored.nid}}

    def _replace(self, identifier: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        body, refusal = self._parsed(raw)
        refusal = refusal or self._invalid(body)
        if refusal:
            return refusal
        if body["identifier"] != identifier:
            return 400, {
                "success": False,
                "error": {
                    "message": "the body's identifier differs from the URL's",
                    "details": [{"path": "identifier", "message": f"expected {identifier!r}"}],
                },
            }
        state = self.server.state
        with state.lock:
            stored = state.datasets.get(identifier)
            if stored is None:
                return 404, {"success": False, "error": {"message": f"no dataset {identifier}"}}
            stored.body = body
            stored.modified = _now()
        return 200, {"success": True, "result": {"identifier": identifier, "id": stored.nid}}

    def _delete(self, identifier: str) -> tuple[int, dict[str, Any]]:
        state = self.server.state
        with state.lock:
            stored = state.datasets.pop(identifier, None)
        if stored is None:
            return 404, {"success": False, "error": {"message": f"no dataset {identifier}"}}
        return 200, {"success": True, "result": {"identifier": identifier, "id": stored.nid}}

    def _read(self, key: str) -> tuple[int, dict[str, Any]]:
        state = self.server.state
        with state.lock:
            stored = state.datasets.get(key)
            if stored is None and key.isdigit():
                stored = next((d for d in state.datasets.values() if d.nid == int(key)), None)
            view = read_view(stored) if stored else None
        if view is None:
            return 404, {"success": False, "error": {"message": f"no dataset {key}"}}
        return 200, {"success": True, "result": view}

    # -- control (for a stand-in running in its own process) ---------------------------------

    def _control(self, method: str, action: str, raw: bytes) -> None:
        state = self.server.state
        entry = LoggedRequest(method, CONTROL_PREFIX + action, None, "")
        if method == "POST" and action == "faults":
            try:
                spec = json.loads(raw.decode("utf-8"))
                fault = Fault(
                    FaultKind(spec["kind"]),
                    times=int(spec.get("times", 1)),
                    method=str(spec.get("method", "")),
                    retry_after=int(spec.get("retry_after", 1)),
                    delay=float(spec.get("delay", 2.0)),
                )
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
                self._answer(entry, 400, {"success": False, "error": {"message": str(error)}})
                return
            with state.lock:
                state.faults.append(fault)
            self._answer(entry, 200, {"success": True})
        elif method == "POST" and action == "rules":
            try:
                spec = json.loads(raw.decode("utf-8"))
                rule = RefusalRule(
                    key=str(spec["key"]),
                    contains=str(spec["contains"]),
                    message=str(spec["message"]),
                    status=int(spec.get("status", 422)),
                )
            except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
                self._answer(entry, 400, {"success": False, "error": {"message": str(error)}})
                return
            with state.lock:
                state.rules.append(rule)
            self._answer(entry, 200, {"success": True})
        elif method == "GET" and action == "datasets":
            with state.lock:
                listing = [read_view(stored) for stored in state.datasets.values()]
            self._answer(entry, 200, {"success": True, "result": listing})
        else:
            self._answer(entry, 404, {"success": False, "error": {"message": "no such control"}})

    # -- I/O -----------------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise ValueError(f"body larger than {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length) if length else b""

    def _answer(
        self,
        entry: LoggedRequest,
        status: int,
        payload: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        entry.status = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up; the log still says what we meant to answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: PortalState) -> None:
        super().__init__(address, _Handler)
        self.state = state


class StandInPortal:
    """The stand-in, run in a background thread: ``with StandInPortal(api_key=...) as portal``."""

    def __init__(self, *, api_key: str = "standin-key", host: str = "127.0.0.1", port: int = 0):
        self.state = PortalState(api_key=api_key)
        self._server = _Server((host, port), self.state)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_key(self) -> str:
        return self.state.api_key

    def start(self) -> StandInPortal:
        # A short poll interval so that stop() returns at once (tests start many stand-ins).
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="portal-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> StandInPortal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests use ------------------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        with self.state.lock:
            self.state.faults.append(fault)

    def refuse(self, rule: RefusalRule) -> None:
        """From now on, refuse every write that breaks `rule` (422 with the rule's message)."""
        with self.state.lock:
            self.state.rules.append(rule)

    def datasets(self) -> dict[str, dict[str, Any]]:
        """identifier → stored body, as the portal holds them now."""
        with self.state.lock:
            return {key: stored.body for key, stored in self.state.datasets.items()}

    def nid_of(self, identifier: str) -> int:
        with self.state.lock:
            return self.state.datasets[identifier].nid

    def requests(self) -> list[LoggedRequest]:
        with self.state.lock:
            return list(self.state.log)
