"""The one HTTP client for every outbound fetch (calendar import, federation).

It refuses addresses that are not on the public internet (loopback, private, link-local, the cloud
metadata address and the like) unless the caller allows them, and it checks the address it actually
connects to: the name is resolved once, each address is checked, and the socket is opened to that
checked address while the Host header and TLS still use the name. A name that resolves differently a
second time (DNS rebinding) therefore cannot slip past. Redirects are followed here, hop by hop, each
checked the same way; bodies are streamed and cut off past a size limit. POSTs (federation's
deliveries) go through the same guard and limits, and never follow a redirect.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Optional
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Request headers that belong to one site and are not carried to another on a redirect.
_PER_SITE_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_CHUNK = 64 * 1024
_ONLY_WEB = "Only http and https addresses can be fetched."
AddressType = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundError(Exception):
    """A fetch that did not bring back an answer; the message is written for a person to read."""


class OutboundRefused(OutboundError):
    """The address is not one this client fetches from (a scheme other than http(s), or a private network)."""


class OutboundTooLarge(OutboundError):
    """The answer is bigger than the caller accepts."""


class OutboundUnreachable(OutboundError):
    """The server could not be reached or did not answer properly (timeout, connection, TLS, redirects)."""


@dataclass(frozen=True)
class FetchResult:
    """What the server answered: the address finally fetched, its status, headers and body."""

    url: str
    status: int
    #: Looked up without regard to case, as HTTP header names are.
    headers: Mapping[str, str] = field(repr=False)
    body: bytes = field(repr=False)


# ---------------------------------------------------------------- which addresses


def is_public_address(address: AddressType) -> bool:
    """True when an address is globally routable, so fetching from it cannot reach this host's own networks."""
    if isinstance(address, ipaddress.IPv6Address):
        # IPv6 forms that carry an IPv4 address (mapped, 6to4, Teredo) are judged by the address they carry.
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo[1] if address.teredo else None)
        if embedded is not None and not is_public_address(embedded):
            return False
        if address.ipv4_mapped is not None:
            return True
        if address.is_site_local:
            return False
    return address.is_global and not (
        address.is_private or address.is_loopback or address.is_link_local or address.is_multicast
        or address.is_reserved or address.is_unspecified
    )


def _literal_address(host: str) -> Optional[AddressType]:
    """The address a host names when it is written as one (IPv6, dotted, or a numeric form such as 0x7f.1)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        # The spellings the system resolver also accepts (2130706433, 0x7f.1, 017700000001, 127.1).
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _refusal(host: str, address: AddressType) -> OutboundRefused:
    where = f"{host} is a private or local network address" if host == str(address) else \
        f"{host} is on a private or local network ({address})"
    return OutboundRefused(f"{where}, and addresses there cannot be fetched.")


def _resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """The socket addresses a name resolves to, every one checked before any is used."""
    results = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in results:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        # Every address is checked, not just the first: a name that mixes public and private addresses
        # could otherwise be steered to the private one by a failed connection to the public one.
        if not is_public_address(address):
            raise _refusal(host, address)
    return [(family, kind, proto, sockaddr) for family, kind, proto, _, sockaddr in results]


class _GuardedConnectionMixin:
    """Open the socket to an address that was checked, never to whatever the name resolves to next."""

    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        host = getattr(self, "_dns_host", self.host).strip("[]")
        try:
            candidates = _resolve(host, self.port)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error  # type: ignore[arg-type]
        last_error: Optional[OSError] = None
        for family, kind, proto, sockaddr in candidates:
            # The socket is opened to the checked address itself, with no second lookup that could answer
            # differently; the Host header and TLS (SNI, certificate checks) go on using the name in self.host.
            sock = socket.socket(family, kind, proto)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                if isinstance(self.timeout, (int, float)):
                    sock.settimeout(self.timeout)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(sockaddr)
                return sock
            except OSError as error:
                sock.close()
                last_error = error
        if isinstance(last_error, TimeoutError):
            raise ConnectTimeoutError(self, f"Connection to {self.host} timed out.") from last_error
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}") from last_error  # type: ignore[arg-type]


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """A requests adapter whose connections open only to public addresses."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


# ---------------------------------------------------------------- fetching


def _check_url(url: str, allow_private: bool) -> str:
    """The host of a URL this client may fetch; OutboundRefused otherwise, before any connection."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise OutboundRefused(f"That address is not valid ({error}).") from error
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise OutboundRefused(_ONLY_WEB)
    if parts.username is not None or parts.password is not None:
        raise OutboundRefused(f"{_ONLY_WEB} An address with a user name or password in it cannot be.")
    if not allow_private:
        # A literal address is refused here with a plain message; a name is checked when it is resolved.
        literal = _literal_address(host)
        if literal is not None and not is_public_address(literal):
            raise _refusal(host, literal)
    return host


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):g} MB" if count >= 1024 * 1024 else f"{count:,} bytes"


def _read_body(response: requests.Response, host: str, max_bytes: int, deadline: float) -> bytes:
    """The body, read in chunks and given up on as soon as it passes max_bytes or the time runs out."""
    too_large = OutboundTooLarge(f"{host} sent more than {_size(max_bytes)}, the most that is accepted.")
    declared = response.headers.get("Content-Length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    received = bytearray()
    for chunk in response.iter_content(chunk_size=_CHUNK):
        received += chunk
        if len(received) > max_bytes:
            raise too_large
        if time.monotonic() > deadline:
            raise OutboundUnreachable(f"{host} could not be reached: it did not send its answer in time.")
    return bytes(received)


def _unreachable(host: str, error: Exception) -> OutboundUnreachable:
    """Say in plain words why a server could not be reached."""
    if isinstance(error, requests.exceptions.SSLError):
        cause = "its secure connection could not be verified (a certificate or TLS problem)"
    elif isinstance(error, requests.exceptions.Timeout):
        cause = "it did not answer in time"
    elif isinstance(error, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        cause = "its answer was cut off or garbled"
    elif isinstance(error, requests.exceptions.ConnectionError) and "NameResolutionError" in repr(error):
        cause = "no server by that name could be found"
    elif isinstance(error, requests.exceptions.ConnectionError):
        cause = "the connection was refused or dropped"
    else:
        cause = "the request failed"
    return OutboundUnreachable(f"{host} could not be reached: {cause}.")


def _redirect_headers(headers: dict[str, str], old_url: str, new_url: str) -> dict[str, str]:
    """The headers for the next hop: credentials stay with the site they were meant for."""
    if urlsplit(old_url)[:2] == urlsplit(new_url)[:2]:
        return headers
    return {name: value for name, value in headers.items() if name.lower() not in _PER_SITE_HEADERS}


@contextmanager
def _session(allow_private: bool) -> Iterator[requests.Session]:
    """A requests session whose connections go through the guard (unless private addresses are allowed)."""
    with requests.Session() as session:
        # No proxies, .netrc credentials or CA bundles from the environment: what is fetched, and from
        # where, must not depend on who runs the process.
        session.trust_env = False
        if not allow_private:
            session.mount("http://", _GuardedAdapter())
            session.mount("https://", _GuardedAdapter())
        yield session


def _send(session: requests.Session, method: str, url: str, host: str, headers: Mapping[str, str],
          body: Optional[bytes], deadline: float) -> requests.Response:
    """One request, redirects not followed, the answer's body left to stream."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise OutboundUnreachable(f"{host} could not be reached: it did not answer in time.")
    try:
        return session.request(method, url, headers=dict(headers), data=body, allow_redirects=False, stream=True, timeout=remaining)
    except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidHeader) as error:
        raise OutboundRefused(f"That address or its headers are not valid ({error}).") from None
    except requests.RequestException as error:
        log.info("outbound %s of %s failed: %r", method, url, error)
        raise _unreachable(host, error) from None


def _answer(response: requests.Response, url: str, host: str, max_bytes: int, deadline: float) -> FetchResult:
    """What the server answered, its body read within the size and time limits."""
    try:
        body = b"" if response.status_code == 304 else _read_body(response, host, max_bytes, deadline)
    except requests.RequestException as error:
        log.info("outbound request to %s failed while reading: %r", url, error)
        raise _unreachable(host, error) from None
    return FetchResult(url=url, status=response.status_code, headers=CaseInsensitiveDict(response.headers), body=body)


def fetch(
    url: str,
    *,
    allow_private: bool,
    max_bytes: int,
    timeout: float = 10.0,
    headers: Optional[Mapping[str, str]] = None,
    max_redirects: int = 5,
    user_agent: str = "cop",
    headers_for: Optional[Callable[[str], Mapping[str, str]]] = None,
) -> FetchResult:
    """GET a URL through the guard, following redirects; the whole fetch must finish within ``timeout`` seconds.

    ``headers_for(url)`` gives headers that belong to one address (a signature): it is asked again on every hop.
    """
    sent = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate", **dict(headers or {})}
    deadline = time.monotonic() + timeout
    with _session(allow_private) as session:
        for _hop in range(max_redirects + 1):
            host = _check_url(url, allow_private)
            hop_headers = {**sent, **dict(headers_for(url))} if headers_for is not None else sent
            with _send(session, "GET", url, host, hop_headers, None, deadline) as response:
                location = response.headers.get("Location")
                if response.status_code in REDIRECT_STATUSES and location:
                    next_url = urljoin(url, location.strip())
                    sent = _redirect_headers(sent, url, next_url)
                    url = next_url
                    continue
                return _answer(response, url, host, max_bytes, deadline)
    raise OutboundUnreachable(f"{urlsplit(url).hostname} could not be reached: it redirected more than {max_redirects} times.")


def post(
    url: str,
    *,
    body: bytes,
    headers: Optional[Mapping[str, str]] = None,
    allow_private: bool,
    max_bytes: int = 64 * 1024,
    timeout: float = 10.0,
    user_agent: str = "cop",
) -> FetchResult:
    """POST a body through the guard; a redirect is not followed but returned as the answer it is."""
    sent = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate", **dict(headers or {})}
    deadline = time.monotonic() + timeout
    host = _check_url(url, allow_private)
    with _session(allow_private) as session, _send(session, "POST", url, host, sent, body, deadline) as response:
        return _answer(response, url, host, max_bytes, deadline)
