"""The address policy: private, loopback, link-local and metadata addresses are refused."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from steward.lib.http import (
    AddressPolicy,
    FetchError,
    Timeouts,
    client_session,
    fetch_sync,
    host_key,
    is_forbidden_address,
    parse_retry_after,
)
from steward.quality.crawl.fetch import FetchResult, State, fetch_resource
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    HostileServer,
    fresh_server,
    running_hostile_server,
)

SHORT = Timeouts(connect=2, read=2, total=3)


class FixedResolver(AbstractResolver):
    """A stand-in DNS that answers every name with one address (DNS cannot run in tests)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [
            {
                "hostname": host,
                "host": self.address,
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


def fetch(
    url: str,
    *,
    policy: AddressPolicy,
    resolver: AbstractResolver | None = None,
    connections: list[str] | None = None,
) -> FetchResult:
    trace = aiohttp.TraceConfig()

    async def on_connect(_session: Any, _context: SimpleNamespace, params: Any) -> None:
        if connections is not None:
            connections.append("connect")

    async def on_request(_session: Any, _context: SimpleNamespace, params: Any) -> None:
        if connections is not None:
            connections.append(str(params.url))

    trace.on_connection_create_start.append(on_connect)
    trace.on_request_start.append(on_request)

    async def run() -> FetchResult:
        async with client_session(
            policy=policy, timeouts=SHORT, resolver=resolver, trace_configs=[trace]
        ) as session:
            return await fetch_resource(session, url, need_bytes=4096)

    return asyncio.run(run())


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "169.254.1.1",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd00:ec2::254",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "64:ff9b::a00:1",
    ],
)
def test_private_and_special_addresses_are_forbidden(address: str) -> None:
    assert is_forbidden_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "140.112.8.116", "2001:4860:4860::8888"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_forbidden_address(ipaddress.ip_address(address))


def test_loopback_is_refused_by_default(server: HostileServer, settings: Any) -> None:
    settings.STEWARD_HTTP_ALLOWED_PRIVATE = []
    connections: list[str] = []
    result = fetch(
        server.url("/good.csv"), policy=AddressPolicy.from_settings(), connections=connections
    )
    assert (result.state, result.reason) == (State.BROKEN, "forbidden_address")
    assert connections == []
    assert server.requests_to("/good.csv") == []


def test_settings_can_allow_a_private_range(server: HostileServer, settings: Any) -> None:
    settings.STEWARD_HTTP_ALLOWED_PRIVATE = ["127.0.0.1/32"]
    result = fetch(server.url("/good.csv"), policy=AddressPolicy.from_settings())
    assert result.state is State.OK
    # Only that address: another loopback address stays refused.
    other = fetch(server.url("/good.csv", host="127.0.0.2"), policy=AddressPolicy.from_settings())
    assert other.reason == "forbidden_address"


@pytest.mark.parametrize(
    ("path", "target"), [("/to-private", "10.0.0.1"), ("/to-metadata", "169.254.169.254")]
)
def test_a_redirect_to_a_private_address_is_refused_without_connecting(
    server: HostileServer, path: str, target: str
) -> None:
    connections: list[str] = []
    result = fetch(
        server.url(path),
        policy=AddressPolicy.from_entries(["127.0.0.1/32"]),
        connections=connections,
    )
    assert (result.state, result.reason) == (State.BROKEN, "forbidden_address")
    assert target in result.detail
    # One connection and one request, both to the test server: none towards the target.
    assert connections == [server.url(path), "connect"]


def test_a_name_that_resolves_to_a_private_address_is_refused(server: HostileServer) -> None:
    """DNS re-binding: the check runs on the addresses actually resolved for the connect."""
    resolver = FixedResolver("10.0.0.1")
    connections: list[str] = []
    result = fetch(
        f"http://files.example.org:{server.port}/good.csv",
        policy=AddressPolicy.from_entries(["127.0.0.1/32"]),
        resolver=resolver,
        connections=connections,
    )
    assert (result.state, result.reason) == (State.BROKEN, "forbidden_address")
    assert resolver.asked == ["files.example.org"]
    assert "connect" in connections  # the connect began (resolution is part of it) ...
    assert server.log == []  # ... but nothing reached any server


def test_a_name_resolving_to_an_allowed_address_is_fetched(server: HostileServer) -> None:
    resolver = FixedResolver("127.0.0.1")
    result = fetch(
        f"http://files.example.org:{server.port}/good.csv",
        policy=AddressPolicy.from_entries(["127.0.0.1/32"]),
        resolver=resolver,
    )
    assert result.state is State.OK
    assert server.requests_to("/good.csv")[0].host == f"files.example.org:{server.port}"


def test_an_allowed_host_name_may_resolve_to_loopback(server: HostileServer) -> None:
    result = fetch(
        f"http://localhost:{server.port}/good.csv",
        policy=AddressPolicy.from_entries(["localhost"]),
        resolver=FixedResolver("127.0.0.1"),
    )
    assert result.state is State.OK


def test_the_sync_wrapper_raises_the_one_error_type(server: HostileServer) -> None:
    with pytest.raises(FetchError) as caught:
        fetch_sync("GET", server.url("/good.csv"), policy=AddressPolicy(), timeouts=SHORT)
    assert caught.value.code == "forbidden_address"
    response = fetch_sync(
        "GET",
        server.url("/moved"),
        policy=AddressPolicy.from_entries(["127.0.0.1"]),
        timeouts=SHORT,
    )
    assert response.status == 200
    assert response.redirects == [(301, server.url("/good.csv"))]


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412490.0) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_an_ip_literal_is_judged_the_same_every_time_by_each_policy() -> None:
    # the verdict on a host is remembered per policy: a refusal stays a refusal, and one
    # policy's exception never leaks into another
    strict, lenient = AddressPolicy(), AddressPolicy.from_entries(["127.0.0.0/8"])
    loopback = URL("http://127.0.0.1:8080/data.csv")
    for _ in range(2):
        with pytest.raises(FetchError) as refused:
            strict.check_url(loopback)
        assert refused.value.code == "forbidden_address"
        lenient.check_url(loopback)  # allowed, twice
    strict.check_url(URL("http://data.gov.tw/x"))  # a name: DNS answers are checked later


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://Example.COM/a", "example.com"),
        ("https://example.com:443/x", "example.com"),
        ("https://example.com:80/x", "example.com:80"),
        ("http://example.com:80", "example.com"),
        ("http://example.com:8080?q", "example.com:8080"),
        ("HTTP://EXAMPLE.com#f", "example.com"),
        ("http://127.0.0.1:18765/ok/1.csv", "127.0.0.1:18765"),
        ("http://user:secret@host/x", "host"),
        ("http://[::1]:8080/x", "::1:8080"),
        ("http://例子.tw/a", "例子.tw"),
        ("http://host:08080/x", "host:8080"),
        ("http://host:99999/", ""),
        ("  https://data.gov.tw/dataset/1  ", "data.gov.tw"),
    ],
)
def test_the_per_host_key_is_the_lower_case_host_with_any_port_that_is_not_the_default(
    url: str, key: str
) -> None:
    assert host_key(url) == key
