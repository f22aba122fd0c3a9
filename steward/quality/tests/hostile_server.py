"""A real HTTP server on 127.0.0.1 serving hostile and broken cases, for the crawler's tests.

It runs aiohttp.web in a thread of its own (its own event loop) on a random port, records
every request (method, path, Host header, arrival time) and the highest number of requests
in flight per Host header, so tests can assert on what the crawler really did.

Import `fresh_server` and `running_hostile_server` into a test module and ask for the
`server` fixture; `server.url("/404")` gives a full URL. Several "hosts" are
had by addressing the same server as 127.0.0.1, 127.0.0.2, ... (all loopback on Linux).
"""

from __future__ import annotations

import asyncio
import gzip
import io
import threading
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiohttp import web

# Declared fields (主要欄位說明) of the good CSV files: 年度(民國年)、機關名稱(中文)、金額(新臺幣元).
GOOD_FIELDS = "年度(民國年)、機關名稱(中文)、金額(新臺幣元)"
GOOD_CSV = "年度,機關名稱,金額\n113,勞動部,1200\n114,勞動部,1350\n114,勞保局,980\n"
MISMATCH_CSV = "year,agency,amount,note\n113,MOL,1200,x\n114,MOL,1350,y\n"
BIG5_CSV = "年度,機關名稱,金額\n113,勞動部勞工保險局,1200\n114,勞動力發展署,1350\n"

LETTER_CODES = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "I": 34,
    "J": 18, "K": 19, "L": 20, "M": 21, "N": 22, "O": 35, "P": 23, "Q": 24, "R": 25,
    "S": 26, "T": 27, "U": 28, "V": 29, "W": 32, "X": 30, "Y": 31, "Z": 33,
}  # fmt: skip


def national_id(letter: str, gender: int, serial: int) -> str:
    """A checksum-valid Taiwanese national ID number (身分證統一編號) for test data."""
    digits = [gender, *(int(d) for d in f"{serial:07d}")]
    code = LETTER_CODES[letter]
    total = (
        code // 10
        + (code % 10) * 9
        + sum(d * w for d, w in zip(digits, range(8, 0, -1), strict=True))
    )
    check = (10 - total % 10) % 10
    return f"{letter}{gender}{serial:07d}{check}"


PII_CSV = "姓名,身分證字號,補助金額\n" + "".join(
    f"王小{n},{national_id('ABCDEFGH'[n % 8], 1 + n % 2, 1234560 + n)},{1000 + n}\n"
    for n in range(20)
)


def _zip_bomb(size: int) -> bytes:
    buffer = io.BytesIO()
    block = b"0" * (1024 * 1024)
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("data.csv", "w") as member,
    ):
        for _ in range(size // len(block)):
            member.write(block)
    return buffer.getvalue()


def _gzip_bomb(size: int) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as stream:
        block = b"a,b,c\n" * (1024 * 1024 // 6)
        for _ in range(size // len(block)):
            stream.write(block)
    return buffer.getvalue()


@dataclass
class LoggedRequest:
    method: str
    path: str
    host: str
    at: float  # time.monotonic() on arrival
    user_agent: str


@dataclass
class HostileServer:
    """Handle on the running server: its port, the request log, concurrency per Host."""

    port: int = 0
    log: list[LoggedRequest] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    max_in_flight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    hits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    endless_bytes_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[LoggedRequest]:
        with self.lock:
            return [entry for entry in self.log if entry.path == path]

    def reset(self) -> None:
        with self.lock:
            self.log.clear()
            self.in_flight.clear()
            self.max_in_flight.clear()
            self.hits.clear()


def build_app(state: HostileServer) -> web.Application:
    zip_bomb = _zip_bomb(64 * 1024 * 1024)
    gzip_bomb = _gzip_bomb(64 * 1024 * 1024)

    @web.middleware
    async def track(request: web.Request, handler):  # type: ignore[no-untyped-def]
        host = request.headers.get("Host", "")
        with state.lock:
            state.log.append(
                LoggedRequest(
                    request.method,
                    request.path_qs,
                    host,
                    time.monotonic(),
                    request.headers.get("User-Agent", ""),
                )
            )
            state.hits[request.path_qs] += 1
            state.in_flight[host] += 1
            state.max_in_flight[host] = max(state.max_in_flight[host], state.in_flight[host])
        try:
            return await handler(request)
        finally:
            with state.lock:
                state.in_flight[host] -= 1

    def csv(
        text: str, *, encoding: str = "utf-8", content_type: str = "text/csv; charset=utf-8"
    ) -> web.Response:
        return web.Response(body=text.encode(encoding), headers={"Content-Type": content_type})

    async def good(request: web.Request) -> web.Response:
        return csv(GOOD_CSV)

    async def good_bom(request: web.Request) -> web.Response:
        return web.Response(body=b"\xef\xbb\xbf" + GOOD_CSV.encode(), content_type="text/csv")

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="error")

    async def retry_after(request: web.Request) -> web.Response:
        # The first request for each path gets 429 Retry-After: N, later ones the file.
        with state.lock:
            first = state.hits[request.path_qs] == 1
        if first:
            return web.Response(
                status=int(request.query.get("status", "429")),
                headers={"Retry-After": request.match_info["seconds"]},
            )
        return csv(GOOD_CSV)

    async def always_429(request: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "1"})

    async def loop(request: web.Request) -> web.Response:
        other = "b" if request.match_info["name"] == "a" else "a"
        raise web.HTTPFound(f"/loop/{other}")

    async def chain(request: web.Request) -> web.Response:
        left = int(request.match_info["n"])
        if left <= 0:
            return csv(GOOD_CSV)
        raise web.HTTPFound(f"/chain/{left - 1}")

    async def to_private(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://10.0.0.1/secret.csv")

    async def to_metadata(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    async def to_good(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/good.csv")

    async def html_200(request: web.Request) -> web.Response:
        page = "<!DOCTYPE html><html><head><title>錯誤</title></head><body>找不到檔案</body></html>"
        return web.Response(text=page, content_type="text/html")

    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/csv"})
        await response.prepare(request)
        try:
            for _ in range(600):
                await response.write(b"1")
                await asyncio.sleep(0.1)
        except (ConnectionError, RuntimeError):
            pass
        return response

    async def endless(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/csv; charset=utf-8"})
        await response.prepare(request)
        row = ("年度,機關名稱,金額\n" + "114,勞動部,1\n" * 500).encode()
        try:
            while True:
                await response.write(row)
                with state.lock:
                    state.endless_bytes_sent += len(row)
                if state.endless_bytes_sent > 2 * 1024**3:  # a safety stop for a broken client
                    break
        except (ConnectionError, RuntimeError):
            pass
        return response

    async def zip_file(request: web.Request) -> web.Response:
        return web.Response(body=zip_bomb, content_type="application/zip")

    async def gzip_file(request: web.Request) -> web.Response:
        return web.Response(
            body=gzip_bomb, headers={"Content-Type": "text/csv", "Content-Encoding": "gzip"}
        )

    async def lying_type(request: web.Request) -> web.Response:
        # A CSV served as a PDF.
        return csv(GOOD_CSV, content_type="application/pdf")

    async def head_lies(request: web.Request) -> web.Response:
        if request.method == "HEAD":
            return web.Response(status=200, content_type="text/html")
        return csv(GOOD_CSV)

    async def head_refused(request: web.Request) -> web.Response:
        if request.method == "HEAD":
            return web.Response(status=405)
        return csv(GOOD_CSV)

    async def head_404_get_ok(request: web.Request) -> web.Response:
        if request.method == "HEAD":
            return web.Response(status=404)
        return csv(GOOD_CSV)

    async def big5(request: web.Request) -> web.Response:
        return csv(BIG5_CSV, encoding="big5", content_type="text/csv; charset=utf-8")

    async def mismatch(request: web.Request) -> web.Response:
        return csv(MISMATCH_CSV)

    async def pii(request: web.Request) -> web.Response:
        return csv(PII_CSV)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("s", "0.2")))
        return csv(GOOD_CSV)

    async def reset(request: web.Request) -> web.Response:
        transport = request.transport
        if transport is not None:
            transport.close()
        await asyncio.sleep(0.05)
        return web.Response(text="unreachable")

    app = web.Application(middlewares=[track])
    app.router.add_get("/good.csv", good)
    app.router.add_get("/good-bom.csv", good_bom)
    app.router.add_get("/status/{code:\\d+}", status)
    app.router.add_get("/retry/{seconds}/{name}", retry_after)
    app.router.add_get("/always-429", always_429)
    app.router.add_get("/loop/{name}", loop)
    app.router.add_get("/chain/{n:\\d+}", chain)
    app.router.add_get("/to-private", to_private)
    app.router.add_get("/to-metadata", to_metadata)
    app.router.add_get("/moved", to_good)
    app.router.add_get("/html-200.csv", html_200)
    app.router.add_get("/drip.csv", drip)
    app.router.add_get("/endless.csv", endless)
    app.router.add_get("/bomb.zip", zip_file)
    app.router.add_get("/gzip-bomb.csv", gzip_file)
    app.router.add_get("/lying-type.csv", lying_type)
    app.router.add_route("*", "/head-lies.csv", head_lies)
    app.router.add_route("*", "/head-refused.csv", head_refused)
    app.router.add_route("*", "/head-404.csv", head_404_get_ok)
    app.router.add_get("/big5-declared-utf8.csv", big5)
    app.router.add_get("/header-mismatch.csv", mismatch)
    app.router.add_get("/national-ids.csv", pii)
    app.router.add_get("/slow/{name}", slow)
    app.router.add_get("/reset", reset)
    return app


def start_server() -> tuple[HostileServer, threading.Event, threading.Thread]:
    """Start the server in a thread; returns its handle, a stop event and the thread."""
    state = HostileServer()
    ready = threading.Event()
    stop = threading.Event()

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(build_app(state), access_log=None, shutdown_timeout=0.5)
        loop.run_until_complete(runner.setup())
        # Listen on all of 127.0.0.1-127.0.0.4 with one port so that tests have four "hosts".
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        server = site._server
        assert server is not None
        state.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        for n in (2, 3, 4):
            loop.run_until_complete(web.TCPSite(runner, f"127.0.0.{n}", state.port).start())
        ready.set()

        async def wait_for_stop() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.05)
            await runner.cleanup()

        loop.run_until_complete(wait_for_stop())
        loop.close()

    thread = threading.Thread(target=run, name="hostile-server", daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("the hostile test server did not start")
    return state, stop, thread


@pytest.fixture(scope="session", name="hostile_server")
def running_hostile_server() -> Iterator[HostileServer]:
    state, stop, thread = start_server()
    try:
        yield state
    finally:
        stop.set()
        thread.join(timeout=5)


@pytest.fixture(name="server")
def fresh_server(hostile_server: HostileServer) -> HostileServer:
    """The session's server with a fresh request log for this test."""
    hostile_server.reset()
    return hostile_server
