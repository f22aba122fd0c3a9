"""Fetching against a real local server that misbehaves in every way the issue lists."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from steward.lib.http import AddressPolicy, Timeouts, client_session
from steward.quality.crawl.fetch import FetchResult, State, fetch_resource
from steward.quality.tests.hostile_server import (  # noqa: F401  (fixtures)
    HostileServer,
    fresh_server,
    running_hostile_server,
)

LOOPBACK = AddressPolicy.from_entries(["127.0.0.0/8"])
SHORT = Timeouts(connect=2, read=2, total=3)


def fetch(url: str, *, need_bytes: int = 16 * 1024, **options: Any) -> FetchResult:
    async def run() -> FetchResult:
        async with client_session(policy=LOOPBACK, timeouts=SHORT) as session:
            return await fetch_resource(session, url, need_bytes=need_bytes, **options)

    return asyncio.run(run())


def test_a_good_csv_is_ok_and_its_first_bytes_are_kept(server: HostileServer) -> None:
    result = fetch(server.url("/good.csv"))
    assert result.state is State.OK
    assert result.reason == "ok"
    assert result.status == 200
    assert result.head.decode().startswith("年度,機關名稱,金額")
    assert result.method == "GET"


def test_our_user_agent_is_sent(server: HostileServer, settings: Any) -> None:
    settings.STEWARD_USER_AGENT = "StewardTest/1.0"
    fetch(server.url("/good.csv"))
    assert [entry.user_agent for entry in server.requests_to("/good.csv")] == ["StewardTest/1.0"]


@pytest.mark.parametrize(
    ("path", "state", "reason"),
    [
        ("/status/404", State.BROKEN, "not_found"),
        ("/status/410", State.BROKEN, "gone"),
        ("/status/403", State.BROKEN, "forbidden"),
        ("/status/400", State.BROKEN, "client_error"),
        ("/status/500", State.BROKEN, "server_error"),
        ("/status/502", State.UNKNOWN, "transient_status"),
        ("/status/503", State.UNKNOWN, "transient_status"),
        ("/status/504", State.UNKNOWN, "transient_status"),
        ("/always-429", State.UNKNOWN, "transient_status"),
        ("/loop/a", State.BROKEN, "redirect_loop"),
        ("/chain/9", State.BROKEN, "too_many_redirects"),
        ("/html-200.csv", State.BROKEN, "html_instead_of_file"),
        ("/reset", State.UNKNOWN, "connection_reset"),
    ],
)
def test_each_broken_case_gets_a_clear_verdict(
    server: HostileServer, path: str, state: State, reason: str
) -> None:
    result = fetch(server.url(path))
    assert (result.state, result.reason) == (state, reason)
    assert result.explanation and result.explanation != result.reason


def test_a_429_reports_the_retry_after_delay(server: HostileServer) -> None:
    result = fetch(server.url("/always-429"))
    assert result.retry_after == 1.0


def test_redirects_are_followed_and_recorded(server: HostileServer) -> None:
    result = fetch(server.url("/chain/3"))
    assert result.state is State.OK
    assert [status for status, _url in result.redirects] == [302, 302, 302]
    assert result.final_url.endswith("/chain/0")


def test_a_redirect_loop_stops_without_hammering_the_server(server: HostileServer) -> None:
    fetch(server.url("/loop/a"))
    assert len(server.requests_to("/loop/a")) == 1
    assert len(server.requests_to("/loop/b")) == 1


def test_an_endless_body_is_cut_at_the_cap(server: HostileServer) -> None:
    result = fetch(server.url("/endless.csv"), need_bytes=32 * 1024)
    assert result.state is State.OK
    assert result.reason == "ok_truncated"
    assert result.truncated
    assert result.bytes_read == 32 * 1024
    assert len(result.head) == 32 * 1024


def test_a_slow_drip_ends_at_the_total_timeout_as_unknown(server: HostileServer) -> None:
    result = fetch(server.url("/drip.csv"), need_bytes=64 * 1024)
    assert result.state is State.UNKNOWN
    assert result.reason == "slow_body"
    # 0.1 s per byte for at most the 3 s total: far less than what was asked for.
    assert 0 < result.bytes_read < 100


def test_a_zip_bomb_is_read_only_up_to_the_cap(server: HostileServer) -> None:
    result = fetch(server.url("/bomb.zip"), need_bytes=8 * 1024)
    assert result.state is State.OK
    assert result.head.startswith(b"PK\x03\x04")
    assert result.bytes_read == 8 * 1024
    assert result.truncated


def test_a_gzip_bomb_is_decompressed_only_up_to_the_cap(server: HostileServer) -> None:
    result = fetch(server.url("/gzip-bomb.csv"), need_bytes=16 * 1024)
    assert result.state is State.OK
    assert len(result.head) <= 16 * 1024
    assert result.head.startswith(b"a,b,c\n")
    assert result.bytes_read <= 16 * 1024


def test_a_lying_content_type_is_reported_as_served(server: HostileServer) -> None:
    result = fetch(server.url("/lying-type.csv"))
    assert result.state is State.OK
    assert result.content_type == "application/pdf"
    assert result.head.decode().startswith("年度")


def test_a_big5_file_declared_utf8_keeps_its_raw_bytes_and_declared_charset(
    server: HostileServer,
) -> None:
    result = fetch(server.url("/big5-declared-utf8.csv"))
    assert result.state is State.OK
    assert result.content_charset == "utf-8"
    with pytest.raises(UnicodeDecodeError):
        result.head.decode("utf-8")
    assert result.head.decode("big5").startswith("年度")


@pytest.mark.parametrize("path", ["/head-lies.csv", "/head-refused.csv", "/head-404.csv"])
def test_a_link_check_confirms_a_refusing_or_lying_head_with_get(
    server: HostileServer, path: str
) -> None:
    result = fetch(server.url(path), need_bytes=0)
    assert result.state is State.OK
    assert result.method == "HEAD+GET"
    assert [entry.method for entry in server.requests_to(path)] == ["HEAD", "GET"]


def test_a_link_check_of_a_good_file_sends_only_head(server: HostileServer) -> None:
    result = fetch(server.url("/good.csv"), need_bytes=0)
    assert (result.state, result.method) == (State.OK, "HEAD")
    assert [entry.method for entry in server.requests_to("/good.csv")] == ["HEAD"]


def test_a_link_check_of_a_404_is_confirmed_broken(server: HostileServer) -> None:
    result = fetch(server.url("/status/404"), need_bytes=0)
    assert (result.state, result.reason) == (State.BROKEN, "not_found")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("", "no_url"),
        ("ftp://example.org/file.csv", "unsupported_scheme"),
        ("http:///nohost.csv", "bad_url"),
    ],
)
def test_unusable_urls_are_broken_without_a_request(url: str, reason: str) -> None:
    result = fetch(url)
    assert (result.state, result.reason) == (State.BROKEN, reason)
