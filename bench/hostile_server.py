"""A lean local HTTP/1.1 server for the crawler benchmark (run as its own process).

    python bench/hostile_server.py --port 8765 --hosts 8

Listens on 127.0.0.1 … 127.0.0.N (all loopback), so the crawler sees N different hosts, and
serves:

    /ok/<n>.csv        200, a real CSV (UTF-8, Chinese header matching the declared fields);
                       its last row carries n, so no two files are the same bytes
    /slow/<n>.csv      the same after 20 ms
    /redirect/<n>      302 → /ok/<n>.csv
    /missing/<n>       404
    /_stats            JSON: requests served, and the most requests in flight per Host header
    /_conditional/on   (and /off) from then on, /ok/ files carry an ETag and Last-Modified and
                       a request with a matching If-None-Match gets 304 Not Modified; off (the
                       default), they carry neither, as before
    /_stats/reset      zero the counters

With `--listeners N` it listens instead on N random free ports of 127.0.0.1 (each port is a
"host" to the crawler) and prints them after "ready" as JSON, for benchmarks with hundreds of
hosts.

A bare asyncio protocol (keep-alive, no pipelining) on uvloop's loop rather than aiohttp.web,
so that the server costs little CPU and the benchmark measures the crawler. It only ever binds to
loopback addresses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections import defaultdict

FIELDS = "年度(民國年)、機關名稱(中文)、金額(新臺幣元)"
ROWS = "".join(f"{113 + n % 3},勞動部勞工保險局,{1000 + n}\n" for n in range(30))
CSV = ("年度,機關名稱,金額\n" + ROWS).encode("utf-8")

in_flight: dict[str, int] = defaultdict(int)
max_in_flight: dict[str, int] = defaultdict(int)
served = 0
not_modified = 0
conditional = False
LAST_MODIFIED = "Last-Modified: Mon, 01 Jun 2026 00:00:00 GMT\r\n"


def response(status: str, body: bytes, headers: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{headers}"
        "Connection: keep-alive\r\n\r\n"
    ).encode() + body


CSV_TYPE = "Content-Type: text/csv; charset=utf-8\r\n"


def csv_file(path: str, headers: str = "") -> bytes:
    n = path.rsplit("/", 1)[-1].split(".", 1)[0]
    return response("200 OK", CSV + f"115,勞動部勞動力發展署,{n}\n".encode(), CSV_TYPE + headers)


NOT_FOUND = response("404 Not Found", b"not found", "Content-Type: text/plain\r\n")


class Handler(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, path, _version = lines[0].split(" ", 2)
            host = match = ""
            for line in lines[1:]:
                name, _sep, value = line.partition(":")
                name = name.lower()
                if name == "host":
                    host = value.strip()
                elif name == "if-none-match":
                    match = value.strip()
            self.handle(method, path, host, match)

    def handle(self, method: str, path: str, host: str, match: str = "") -> None:
        global served, not_modified, conditional
        served += 1
        in_flight[host] += 1
        max_in_flight[host] = max(max_in_flight[host], in_flight[host])
        if path.startswith("/slow/"):
            asyncio.get_running_loop().call_later(0.02, self.reply, host, csv_file(path))
            return
        if path.startswith("/ok/") and conditional:
            etag = '"v1-' + path.rsplit("/", 1)[-1].split(".", 1)[0] + '"'
            if match == etag:
                not_modified += 1
                payload = response("304 Not Modified", b"", f"ETag: {etag}\r\n")
            else:
                payload = csv_file(path, f"ETag: {etag}\r\n{LAST_MODIFIED}")
        elif path.startswith("/ok/"):
            payload = csv_file(path)
        elif path.startswith("/_conditional/"):
            conditional = path.endswith("/on")
            payload = response("200 OK", b"ok", "Content-Type: text/plain\r\n")
        elif path == "/_stats/reset":
            served = not_modified = 0
            in_flight.clear()
            max_in_flight.clear()
            payload = response("200 OK", b"ok", "Content-Type: text/plain\r\n")
        elif path.startswith("/redirect/"):
            n = path.rsplit("/", 1)[-1]
            payload = response("302 Found", b"", f"Location: /ok/{n}.csv\r\n")
        elif path == "/_stats":
            body = json.dumps(
                {"served": served, "not_modified": not_modified, "max_in_flight": max_in_flight}
            ).encode()
            payload = response("200 OK", body, "Content-Type: application/json\r\n")
        else:
            payload = NOT_FOUND
        self.reply(host, payload)

    def reply(self, host: str, payload: bytes) -> None:
        in_flight[host] -= 1
        if not self.transport.is_closing():
            self.transport.write(payload)


async def main(port: int, hosts: int, listeners: int = 0) -> None:
    loop = asyncio.get_running_loop()
    if listeners:
        servers = [
            await loop.create_server(Handler, "127.0.0.1", 0, backlog=1024)
            for _ in range(listeners)
        ]
        ports = [server.sockets[0].getsockname()[1] for server in servers]
    else:
        servers = [
            await loop.create_server(Handler, f"127.0.0.{n}", port, backlog=1024)
            for n in range(1, hosts + 1)
        ]
        ports = []
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("ready", json.dumps(ports) if listeners else "", flush=True)
    await stop.wait()
    for server in servers:
        server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--listeners", type=int, default=0)
    arguments = parser.parse_args()
    try:  # the stand-in for other machines' web servers: as little CPU as we can make it
        import uvloop
    except ImportError:
        asyncio.run(main(arguments.port, arguments.hosts, arguments.listeners))
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main(arguments.port, arguments.hosts, arguments.listeners))
