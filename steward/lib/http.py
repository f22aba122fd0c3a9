"""The one module for outbound HTTP: address policy, timeouts, redirects, size cap, User-Agent.

Every request the product makes to the outside world (the crawler of the quality checks,
the national-portal publishing adapter) goes through here, so the safety rules live in one
place (the idea of healthchecks' `lib/curl.py`):

* **Address policy.** Private, loopback, link-local, reserved, multicast, unspecified,
  carrier-grade NAT (100.64/10), IPv6 unique-local and link-local, IPv4-mapped and NAT64
  forms of those, and the cloud metadata addresses (169.254.169.254, fd00:ec2::254) are
  refused. The check runs on every address DNS returns (a resolver wrapper, so a name that
  re-binds to a private address is refused at connect time) and on IP literals before any
  request, on the first URL and on every redirect hop. Exceptions come from
  `settings.STEWARD_HTTP_ALLOWED_PRIVATE` (host names or CIDR ranges) or an explicit
  `AddressPolicy(allowed=...)`; tests allow 127.0.0.1 this way.
* **Redirects** are followed by us (`allow_redirects=False`), up to a cap, with loop
  detection, re-checking the policy at each hop.
* **Timeouts**: socket connect, socket read, and a total for the whole exchange including
  the body, so a slow drip ends.
* **Size cap**: only the first `max_bytes` of a body are read; the rest is never downloaded.
  Content-Encoding is decoded by us with a bounded decompressor, so a gzip bomb cannot
  expand past the cap.
* **One error type**, `FetchError`, with a stable `code`, whether it is transient, and a
  translatable explanation.

`fetch_sync` is a small blocking wrapper for code that is not asynchronous (the publishing
adapter, management commands).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import threading
import time
import zlib
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from yarl import URL

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud instance-metadata endpoints: the classic SSRF target, refused even though some of
# them are covered by the link-local rule anyway.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),
        ipaddress.ip_address("169.254.170.2"),
        ipaddress.ip_address("fd00:ec2::254"),
        ipaddress.ip_address("100.100.100.200"),
    }
)
# Ranges that Python's `is_private`/`is_global` flags do not all cover in every version.
EXTRA_FORBIDDEN_NETWORKS: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("0.0.0.0/8"),
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT (shared address space)
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("198.18.0.0/15"),
    ipaddress.ip_network("fc00::/7"),  # IPv6 unique local
    ipaddress.ip_network("fe80::/10"),  # IPv6 link local
)
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
T = TypeVar("T")

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DEFAULT_MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 64 * 1024
_CHUNK = 16 * 1024


class FetchError(Exception):
    """The one error of outbound HTTP.

    `code` is stable and machine-readable (e.g. "forbidden_address", "timeout"),
    `transient` says whether trying again later may succeed, `message` explains it to a
    person (translatable).
    """

    def __init__(
        self,
        code: str,
        message: Any,
        *,
        transient: bool = False,
        url: str = "",
        detail: str = "",
        bytes_read: int = 0,
    ) -> None:
        super().__init__(f"{code}: {message}" + (f" ({detail})" if detail else ""))
        self.code = code
        self.message = message
        self.transient = transient
        self.url = url
        self.detail = detail
        self.bytes_read = bytes_read


def _as_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def is_forbidden_address(address: IPAddress) -> bool:
    """Is `address` one the crawler must never reach unless explicitly allowed?"""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return is_forbidden_address(mapped)
        if address in NAT64_PREFIX:
            return is_forbidden_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address in METADATA_ADDRESSES:
        return True
    if (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    ):
        return True
    return any(
        address.version == network.version and address in network
        for network in EXTRA_FORBIDDEN_NETWORKS
    )


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses outbound requests may reach.

    `allowed` lists host names and CIDR ranges that are reachable even though private
    (e.g. "127.0.0.1/32" in tests, an intranet mirror in production).
    """

    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()
    #: URL host → None when it is a name (DNS answers are checked by `PolicyResolver`), else
    #: the IP literal's address and whether it is allowed: a crawl asks about few hosts often.
    _literals: dict[str, tuple[IPAddress, bool] | None] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> AddressPolicy:
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = raw.strip()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(allowed_hosts=frozenset(hosts), allowed_networks=tuple(networks))

    @classmethod
    def from_settings(cls, extra: Iterable[str] = ()) -> AddressPolicy:
        """The policy of `settings.STEWARD_HTTP_ALLOWED_PRIVATE`, plus `extra` entries."""
        configured = settings.STEWARD_HTTP_ALLOWED_PRIVATE
        return cls.from_entries([*configured, *extra])

    def allows(self, address: IPAddress, *, host: str = "") -> bool:
        if not is_forbidden_address(address):
            return True
        if host and host.lower().rstrip(".") in self.allowed_hosts:
            return True
        return any(
            address.version == network.version and address in network
            for network in self.allowed_networks
        )

    def check_address(self, address_text: str, *, host: str, url: str = "") -> None:
        """Raise FetchError("forbidden_address") unless `address_text` may be reached."""
        address = _as_address(address_text)
        if address is None:
            raise FetchError("bad_address", _("DNS returned something that is not an address."))
        if not self.allows(address, host=host):
            raise FetchError(
                "forbidden_address",
                _(
                    "The address is private, local or a cloud metadata address; "
                    "the crawler does not reach such addresses."
                ),
                url=url,
                detail=f"{host} → {address}",
            )

    def check_url(self, url: URL) -> None:
        """Check the scheme and, when the host is an IP literal, the address (no DNS here)."""
        if url.scheme not in {"http", "https"}:
            raise FetchError(
                "unsupported_scheme",
                _("Only http and https links can be checked."),
                url=str(url),
                detail=url.scheme,
            )
        host = url.host
        if not host:
            raise FetchError("bad_url", _("The link has no host name."), url=str(url))
        try:
            literal = self._literals[host]
        except KeyError:
            address = _as_address(host)
            literal = None if address is None else (address, self.allows(address, host=host))
            if len(self._literals) < 10_000:
                self._literals[host] = literal
        if literal is not None and not literal[1]:
            self.check_address(str(literal[0]), host=host, url=str(url))  # raises


class PolicyResolver(AbstractResolver):
    """Resolves with an inner resolver, then refuses names that resolve to a forbidden address.

    Checking here (not only before the request) means the addresses actually connected to
    are the checked ones, so DNS re-binding between a check and the connect cannot slip
    through. A name with any forbidden address is refused whole.
    """

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self.policy = policy
        self._inner = inner or ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            self.policy.check_address(result["host"], host=host)
        return results

    async def close(self) -> None:
        await self._inner.close()


@dataclass(frozen=True)
class Timeouts:
    """Seconds. `total` covers the whole exchange, body included, so a slow drip ends."""

    connect: float = 10.0
    read: float = 15.0
    total: float = 30.0

    def client_timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(
            total=self.total, sock_connect=self.connect, sock_read=self.read
        )


def user_agent() -> str:
    return str(settings.STEWARD_USER_AGENT)


def client_session(
    *,
    policy: AddressPolicy | None = None,
    timeouts: Timeouts | None = None,
    limit: int = 100,
    limit_per_host: int = 0,
    resolver: AbstractResolver | None = None,
    trace_configs: list[aiohttp.TraceConfig] | None = None,
) -> aiohttp.ClientSession:
    """An aiohttp session with our resolver policy, timeouts and User-Agent.

    Decompression is ours (bounded), so `auto_decompress` is off and we ask for identity.
    Cookies are not kept: the crawler must not carry state from one site to the next.
    """
    policy = policy or AddressPolicy.from_settings()
    connector = aiohttp.TCPConnector(
        resolver=PolicyResolver(policy, resolver),
        limit=limit,
        limit_per_host=limit_per_host,
        ttl_dns_cache=300,
    )
    session = aiohttp.ClientSession(
        connector=connector,
        timeout=(timeouts or Timeouts()).client_timeout(),
        headers={"User-Agent": user_agent(), "Accept-Encoding": "gzip, deflate, identity"},
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        trace_configs=trace_configs,
    )
    # Remember the policy so `request` checks IP literals with the same rules.
    session._steward_policy = policy  # type: ignore[attr-defined]
    return session


@dataclass
class Response:
    """What came back: status, final URL, the redirect chain, headers and the first bytes."""

    method: str
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    bytes_read: int
    truncated: bool  # more body was there than we read
    redirects: list[tuple[int, str]] = field(default_factory=list)
    elapsed: float = 0.0
    content_encoding: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length", "")
        return int(value) if value.isdigit() else None


class _BoundedDecoder:
    """Decodes gzip/deflate without ever producing more than `limit` bytes."""

    def __init__(self, encoding: str, limit: int) -> None:
        wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
        self._decompressor = zlib.decompressobj(wbits)
        self._raw_deflate = encoding == "deflate"
        self._limit = limit
        self._produced = 0

    def feed(self, data: bytes) -> bytes:
        room = self._limit - self._produced
        if room <= 0:
            return b""
        try:
            out = self._decompressor.decompress(data, room)
        except zlib.error:
            if self._raw_deflate and self._produced == 0:
                # Some servers send raw deflate without the zlib header.
                self._decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
                self._raw_deflate = False
                return self.feed(data)
            raise
        self._produced += len(out)
        return out

    @property
    def full(self) -> bool:
        return self._produced >= self._limit


async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> tuple[bytes, int, bool]:
    """Read at most `max_bytes` of (decoded) body; returns (body, raw bytes read, truncated)."""
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    decoder = _BoundedDecoder(encoding, max_bytes) if encoding in {"gzip", "deflate"} else None
    parts: list[bytes] = []
    size = 0
    raw_read = 0
    if max_bytes <= 0:
        return b"", 0, not response.content.at_eof()
    length = response.content_length
    if decoder is None and length is not None and length <= max_bytes:
        # the whole (declared) body fits: one read to the end, which the parser caps at
        # Content-Length, instead of a chunked loop
        try:
            body = await response.content.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise FetchError(
                "slow_body",
                _("The server sends the body too slowly."),
                transient=True,
                detail="body not complete in time",
            ) from exc
        return body, len(body), False
    # Raw bytes are capped too: a compressed body is never larger than what it decodes to
    # for real files, and a hostile one must not make us read on for ever.
    while size < max_bytes and raw_read < max_bytes:
        try:
            chunk = await response.content.read(min(_CHUNK, max_bytes - raw_read))
        except (TimeoutError, aiohttp.ServerTimeoutError) as exc:
            # Headers came but the body trickles: a slow drip ends at the total timeout.
            raise FetchError(
                "slow_body",
                _("The server sends the body too slowly."),
                transient=True,
                detail=f"{raw_read} bytes in time",
                bytes_read=raw_read,
            ) from exc
        if not chunk:
            return b"".join(parts), raw_read, False
        raw_read += len(chunk)
        if decoder is not None:
            try:
                chunk = decoder.feed(chunk)
            except zlib.error as exc:
                raise FetchError(
                    "bad_encoding",
                    _("The server declared a compressed body that cannot be decompressed."),
                    detail=str(exc),
                ) from exc
        parts.append(chunk)
        size += len(chunk)
    body = b"".join(parts)[:max_bytes]
    return body, raw_read, not response.content.at_eof()


def _translate_client_error(exc: BaseException, url: str) -> FetchError:
    """Map aiohttp/OS errors onto FetchError codes and transience."""
    if isinstance(exc, FetchError):
        if not exc.url:
            exc.url = url
        return exc
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return FetchError(
            "timeout",
            _("The server did not answer in time."),
            transient=True,
            url=url,
            detail=type(exc).__name__,
        )
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        os_error = exc.os_error
        errno = getattr(os_error, "errno", None)
        permanent = errno in {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)}
        return FetchError(
            "dns_not_found" if permanent else "dns_failure",
            _("The host name does not exist.")
            if permanent
            else _("The host name could not be looked up just now."),
            transient=not permanent,
            url=url,
            detail=str(os_error),
        )
    if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientConnectorSSLError):
        return FetchError(
            "tls_error",
            _("The site's HTTPS certificate or TLS set-up is not valid."),
            url=url,
            detail=str(exc),
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        return FetchError(
            "connect_failed",
            _("Could not connect to the server."),
            transient=True,
            url=url,
            detail=str(exc.os_error),
        )
    if isinstance(exc, aiohttp.InvalidURL):
        return FetchError("bad_url", _("The link is not a valid URL."), url=url, detail=str(exc))
    if isinstance(exc, aiohttp.ClientPayloadError | aiohttp.ServerDisconnectedError):
        return FetchError(
            "connection_reset",
            _("The server closed the connection before answering fully."),
            transient=True,
            url=url,
            detail=str(exc),
        )
    if isinstance(exc, aiohttp.ClientResponseError):
        return FetchError(
            "bad_response",
            _("The server's answer is not valid HTTP."),
            url=url,
            detail=str(exc),
        )
    if isinstance(exc, aiohttp.ClientError | OSError):
        return FetchError(
            "connection_error",
            _("The connection failed."),
            transient=True,
            url=url,
            detail=f"{type(exc).__name__}: {exc}",
        )
    raise exc


def _policy_of(session: aiohttp.ClientSession) -> AddressPolicy:
    policy = getattr(session, "_steward_policy", None)
    if policy is None:
        raise RuntimeError("Use steward.lib.http.client_session() to make sessions.")
    return policy  # type: ignore[no-any-return]


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    data: bytes | None = None,
) -> Response:
    """Make one request, following redirects ourselves; read at most `max_bytes` of the body.

    Raises FetchError for anything that is not an HTTP answer (policy refusal, DNS,
    timeouts, resets, redirect loops or too many redirects). HTTP error statuses are
    answers, not errors: they come back in `Response.status`.
    """
    policy = _policy_of(session)
    started = time.monotonic()
    redirects: list[tuple[int, str]] = []
    seen: set[str] = set()  # filled when a redirect comes: most requests need none
    method = method.upper()
    try:
        current = URL(url.strip(), encoded=False)
    except (ValueError, TypeError) as exc:
        raise FetchError("bad_url", _("The link is not a valid URL."), url=url) from exc
    while True:
        policy.check_url(current)
        try:
            async with session.request(
                method,
                current,
                allow_redirects=False,
                headers=headers,
                json=json,
                data=data,
            ) as response:
                location = response.headers.get("Location")
                if response.status in REDIRECT_STATUSES and location:
                    try:
                        target = response.url.join(URL(location.strip()))
                    except (ValueError, TypeError) as exc:
                        raise FetchError(
                            "bad_redirect",
                            _("The server redirected to an invalid address."),
                            url=str(current),
                            detail=location,
                        ) from exc
                    redirects.append((response.status, str(target)))
                    seen.add(str(current))
                else:
                    body, raw_read, truncated = await _read_capped(response, max_bytes)
                    return Response(
                        method=method,
                        url=str(response.url),
                        status=response.status,
                        headers={k.lower(): v for k, v in response.headers.items()},
                        body=body,
                        bytes_read=raw_read,
                        truncated=truncated,
                        redirects=redirects,
                        elapsed=time.monotonic() - started,
                        content_encoding=response.headers.get("Content-Encoding", ""),
                    )
        except (TimeoutError, aiohttp.ClientError, OSError, FetchError) as exc:
            raise _translate_client_error(exc, str(current)) from exc
        if str(target) in seen:
            raise FetchError(
                "redirect_loop",
                _("The link redirects in a loop."),
                url=url,
                detail=" → ".join(u for _s, u in redirects),
            )
        if len(redirects) > max_redirects:
            raise FetchError(
                "too_many_redirects",
                _("The link redirects too many times."),
                url=url,
                detail=f"> {max_redirects}",
            )
        # 303 (and 301/302 for anything but HEAD/GET, as browsers do) turn into a GET.
        if redirects[-1][0] == 303 or (
            redirects[-1][0] in {301, 302} and method not in {"GET", "HEAD"}
        ):
            method, json, data = "GET", None, None
        current = target


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on a fresh event loop: uvloop's where it is installed, else asyncio's.

    uvloop's C loop and transports cost aiohttp about a seventh less CPU per request here
    (docs/benchmarks.md); the crawler's loops run on it.
    """
    try:
        import uvloop
    except ImportError:  # not on every platform
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def fetch_sync(
    method: str,
    url: str,
    *,
    max_bytes: int = 1024 * 1024,
    timeouts: Timeouts | None = None,
    policy: AddressPolicy | None = None,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    data: bytes | None = None,
) -> Response:
    """Blocking `request` for code that is not asynchronous (one fresh session per call)."""

    async def run() -> Response:
        async with client_session(policy=policy, timeouts=timeouts) as session:
            return await request(
                session, method, url, max_bytes=max_bytes, headers=headers, json=json, data=data
            )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(run())
    # Called from inside an event loop (e.g. an async view): run in a thread of its own.
    outcome: list[Response | BaseException] = []

    def in_thread() -> None:
        try:
            outcome.append(asyncio.run(run()))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=in_thread, daemon=True)
    thread.start()
    thread.join()
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def parse_retry_after(value: str | None, *, now: float | datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None.

    ``now``: a Unix time or an aware datetime (for tests); the current time by default. The
    crawler and the publishing adapter both read Retry-After through this one function.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # an HTTP date is GMT
        when = when.replace(tzinfo=UTC)
    if now is None:
        current = time.time()
    elif isinstance(now, datetime):
        current = now.timestamp()
    else:
        current = now
    return max(0.0, when.timestamp() - current)


_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def host_key(url: str) -> str:
    """The host a per-host limit applies to (lower-case host name, with port if not default)."""
    # the usual plain "http(s)://host[:port]/…" without yarl (a crawl asks for every input);
    # anything unusual (user info, IPv6, non-ASCII names, odd ports) is parsed properly
    scheme, separator, rest = url.strip().partition("://")
    default = _DEFAULT_PORTS.get(scheme.lower()) if separator else None
    if default is not None and rest.isascii():
        end = len(rest)
        for stop in "/?#":
            found = rest.find(stop, 0, end)
            if found >= 0:
                end = found
        netloc = rest[:end].lower()
        name, colon, port = netloc.partition(":")
        if name and "@" not in netloc and "[" not in netloc and "%" not in netloc:
            if not colon:
                return name
            if port.isdigit() and 0 < int(port) < 65536:
                return name if f":{int(port)}" == default else f"{name}:{int(port)}"
    try:
        parsed = URL(url.strip())
    except (ValueError, TypeError):
        return ""
    host = (parsed.host or "").lower()
    if parsed.port and not parsed.is_default_port():
        return f"{host}:{parsed.port}"
    return host


__all__: Sequence[str] = [
    "AddressPolicy",
    "FetchError",
    "PolicyResolver",
    "Response",
    "Timeouts",
    "client_session",
    "fetch_sync",
    "host_key",
    "is_forbidden_address",
    "parse_retry_after",
    "request",
    "run_loop",
]
