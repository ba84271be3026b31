"""The guarded outbound client, against a real HTTP server on loopback: what it refuses, where it connects,
how it follows redirects, and how it stops on big or slow answers."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator
from urllib.parse import parse_qs

import pytest

from cop import outbound
from cop.outbound import FetchResult, OutboundError, OutboundRefused, OutboundTooLarge, OutboundUnreachable, fetch, post

BIG = 8 * 1024 * 1024
LIMIT = 64 * 1024


class Server:
    """A loopback HTTP server that records what it was asked and how much body it managed to send."""

    def __init__(self, address: str) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.posted: list[tuple[str, dict[str, str], bytes]] = []
        self.bytes_sent = 0
        self.finished_sending = threading.Event()
        state = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                state.requests.append((self.path, dict(self.headers)))
                path, _, query = self.path.partition("?")
                getattr(self, "answer_" + path.strip("/").replace("-", "_"), self.answer_missing)(parse_qs(query))

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                state.posted.append((self.path, dict(self.headers), body))
                path, _, query = self.path.partition("?")
                getattr(self, "answer_" + path.strip("/").replace("-", "_"), self.answer_missing)(parse_qs(query))

            def answer_inbox(self, _query: dict[str, list[str]]) -> None:
                self.send_response(202)
                self.send_header("Content-Length", "8")
                self.end_headers()
                self.wfile.write(b"accepted")

            def answer_ok(self, _query: dict[str, list[str]]) -> None:
                if self.headers.get("If-None-Match") == '"v1"':
                    self.send_response(304)
                    self.send_header("ETag", '"v1"')
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("ETag", '"v1"')
                self.send_header("Content-Length", "5")
                self.end_headers()
                self.wfile.write(b"hello")

            def answer_redirect(self, query: dict[str, list[str]]) -> None:
                self.send_response(302)
                self.send_header("Location", query.get("to", ["/ok"])[0])
                self.send_header("Content-Length", "0")
                self.end_headers()

            def answer_loop(self, _query: dict[str, list[str]]) -> None:
                self.send_response(301)
                self.send_header("Location", "/loop")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def answer_huge(self, query: dict[str, list[str]]) -> None:
                self.send_response(200)
                if "length" in query:
                    self.send_header("Content-Length", str(BIG))
                self.end_headers()
                chunk = b"x" * 16384
                try:
                    while state.bytes_sent < BIG:
                        self.wfile.write(chunk)
                        state.bytes_sent += len(chunk)
                except OSError:
                    pass  # the client hung up, as it should once it has had enough
                finally:
                    state.finished_sending.set()

            def answer_slow(self, _query: dict[str, list[str]]) -> None:
                time.sleep(2)
                try:
                    self.send_response(200)
                    self.end_headers()
                except OSError:
                    pass

            def answer_missing(self, _query: dict[str, list[str]]) -> None:
                self.send_response(404)
                self.send_header("Content-Length", "9")
                self.end_headers()
                self.wfile.write(b"not found")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer((address, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_port
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def server() -> Iterator[Server]:
    running = Server("127.0.0.1")
    yield running
    running.close()


@pytest.fixture()
def connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record every address a socket tries to connect to, and refuse the connection instead of making it."""
    attempts: list[object] = []

    def refuse(sock: socket.socket, address: object) -> None:
        attempts.append(address)
        raise ConnectionRefusedError("refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


# ---------------------------------------------------------------- answers


def test_an_answer_comes_back_with_status_headers_and_body(server: Server) -> None:
    answer = fetch(f"http://127.0.0.1:{server.port}/ok", allow_private=True, max_bytes=LIMIT, user_agent="cop (+https://cop.example)")
    assert isinstance(answer, FetchResult)
    assert (answer.status, answer.body, answer.url) == (200, b"hello", f"http://127.0.0.1:{server.port}/ok")
    assert answer.headers["etag"] == answer.headers["ETag"] == '"v1"'
    assert server.requests[0][1]["User-Agent"] == "cop (+https://cop.example)"


def test_the_default_user_agent_names_the_software(server: Server) -> None:
    fetch(f"http://127.0.0.1:{server.port}/ok", allow_private=True, max_bytes=LIMIT)
    assert server.requests[0][1]["User-Agent"] == "cop"


def test_a_304_is_an_answer_with_an_empty_body(server: Server) -> None:
    answer = fetch(f"http://127.0.0.1:{server.port}/ok", allow_private=True, max_bytes=LIMIT, headers={"If-None-Match": '"v1"'})
    assert (answer.status, answer.body) == (304, b"")
    assert server.requests[0][1]["If-None-Match"] == '"v1"'


def test_other_statuses_are_returned_for_the_caller_to_judge(server: Server) -> None:
    answer = fetch(f"http://127.0.0.1:{server.port}/nowhere", allow_private=True, max_bytes=LIMIT)
    assert (answer.status, answer.body) == (404, b"not found")


def test_redirects_are_followed_to_the_final_address(server: Server) -> None:
    answer = fetch(f"http://127.0.0.1:{server.port}/redirect", allow_private=True, max_bytes=LIMIT)
    assert (answer.status, answer.body, answer.url) == (200, b"hello", f"http://127.0.0.1:{server.port}/ok")
    assert [path for path, _ in server.requests] == ["/redirect", "/ok"]


def test_a_redirect_loop_is_unreachable_after_max_redirects(server: Server) -> None:
    with pytest.raises(OutboundUnreachable, match="redirected more than 3 times"):
        fetch(f"http://127.0.0.1:{server.port}/loop", allow_private=True, max_bytes=LIMIT, max_redirects=3)
    assert len(server.requests) == 4


def test_no_redirects_allowed_means_none_followed(server: Server) -> None:
    with pytest.raises(OutboundUnreachable):
        fetch(f"http://127.0.0.1:{server.port}/redirect", allow_private=True, max_bytes=LIMIT, max_redirects=0)
    assert [path for path, _ in server.requests] == ["/redirect"]


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize("url", [
    "file:///etc/passwd", "ftp://example.org/calendar.ics", "data:text/calendar,BEGIN:VCALENDAR", "javascript:alert(1)",
    "gopher://example.org/", "http:///calendar.ics", "example.org/calendar.ics", "https://user:secret@example.org/calendar.ics",
])
def test_only_http_and_https_addresses_are_fetched(url: str, connections: list[object]) -> None:
    with pytest.raises(OutboundRefused, match="Only http and https addresses can be fetched"):
        fetch(url, allow_private=True, max_bytes=LIMIT)
    assert connections == []


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "0x7f.1", "017700000001"])
def test_loopback_is_refused_in_any_spelling(server: Server, host: str) -> None:
    with pytest.raises(OutboundRefused, match="private or local network"):
        fetch(f"http://{host}:{server.port}/ok", allow_private=False, max_bytes=LIMIT)
    assert server.requests == []
    # The same address is fetched when private addresses are allowed: the refusal above was the guard's.
    assert fetch(f"http://{host}:{server.port}/ok", allow_private=True, max_bytes=LIMIT).body == b"hello"


@pytest.mark.parametrize("url", ["http://[::1]:8080/", "http://[::ffff:127.0.0.1]:8080/", "http://[::ffff:7f00:1]/",
                                 "http://10.0.0.8/", "http://172.16.3.4/", "http://192.168.1.1/", "http://100.64.0.1/",
                                 "http://0.0.0.0/", "http://224.0.0.1/", "http://[fe80::1]/", "http://[fd12:3456::1]/",
                                 "http://[2002:7f00:1::]/"])
def test_private_addresses_are_refused_before_connecting(url: str, connections: list[object]) -> None:
    with pytest.raises(OutboundRefused):
        fetch(url, allow_private=False, max_bytes=LIMIT)
    assert connections == []


def test_the_metadata_address_is_refused_without_a_connection(connections: list[object]) -> None:
    with pytest.raises(OutboundRefused, match="169.254.169.254"):
        fetch("http://169.254.169.254/latest/meta-data/", allow_private=False, max_bytes=LIMIT)
    assert connections == []


def test_the_metadata_address_is_tried_when_private_addresses_are_allowed(connections: list[object]) -> None:
    with pytest.raises(OutboundUnreachable, match="169.254.169.254"):
        fetch("http://169.254.169.254/latest/meta-data/", allow_private=True, max_bytes=LIMIT)
    assert connections == [("169.254.169.254", 80)]


def test_a_name_that_resolves_to_loopback_is_refused_at_connection(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def resolve(host: str, *args: object, **kw: object) -> list[tuple[object, ...]]:
        return real("127.0.0.1" if host == "calendar.example" else host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(OutboundRefused, match=r"calendar.example is on a private or local network \(127.0.0.1\)"):
        fetch(f"http://calendar.example:{server.port}/ok", allow_private=False, max_bytes=LIMIT)
    assert server.requests == []


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch: pytest.MonkeyPatch, connections: list[object]) -> None:
    # A name that answers a public address first and loopback afterwards (DNS rebinding) must be connected
    # to at the address that was checked, never at one looked up again later.
    answers = iter(["93.184.215.14", "127.0.0.1", "127.0.0.1", "127.0.0.1"])
    lookups: list[str] = []

    def rebinding(host: str, port: int, *args: object, **kw: object) -> list[tuple[object, ...]]:
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with pytest.raises(OutboundUnreachable, match="rebind.example could not be reached"):
        fetch("http://rebind.example/calendar.ics", allow_private=False, max_bytes=LIMIT)
    assert connections == [("93.184.215.14", 80)] and lookups == ["rebind.example"]


def test_each_redirect_hop_is_checked_again(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        first = Server("127.0.0.2")
    except OSError:
        pytest.skip("this host cannot listen on 127.0.0.2")
    real = outbound.is_public_address
    # Count 127.0.0.2 as public, so only the second hop (to 127.0.0.1) meets the guard.
    monkeypatch.setattr(outbound, "is_public_address", lambda address: str(address) == "127.0.0.2" or real(address))
    try:
        assert fetch(f"http://127.0.0.2:{first.port}/ok", allow_private=False, max_bytes=LIMIT).body == b"hello"
        for target in (f"http://127.0.0.1:{server.port}/ok", f"http://localhost:{server.port}/ok"):
            with pytest.raises(OutboundRefused, match="127.0.0.1"):
                fetch(f"http://127.0.0.2:{first.port}/redirect?to={target}", allow_private=False, max_bytes=LIMIT)
        assert [path for path, _ in first.requests] == ["/ok", f"/redirect?to=http://127.0.0.1:{server.port}/ok",
                                                         f"/redirect?to=http://localhost:{server.port}/ok"]
        assert server.requests == []
    finally:
        first.close()


def test_a_checked_name_keeps_its_host_header(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *args, **kw: real("127.0.0.1", *args, **kw))
    monkeypatch.setattr(outbound, "is_public_address", lambda address: str(address) == "127.0.0.1")
    answer = fetch(f"http://calendar.example:{server.port}/ok", allow_private=False, max_bytes=LIMIT)
    assert answer.body == b"hello" and server.requests[0][1]["Host"] == f"calendar.example:{server.port}"


def test_a_redirect_to_another_scheme_is_refused(server: Server) -> None:
    with pytest.raises(OutboundRefused, match="Only http and https"):
        fetch(f"http://127.0.0.1:{server.port}/redirect?to=file:///etc/passwd", allow_private=True, max_bytes=LIMIT)


def test_per_site_headers_are_not_carried_to_another_site(server: Server) -> None:
    target = f"http://localhost:{server.port}/ok"
    fetch(f"http://127.0.0.1:{server.port}/redirect?to={target}", allow_private=True, max_bytes=LIMIT,
          headers={"Authorization": "Bearer secret", "Accept": "text/calendar"})
    (_, to_first), (_, to_second) = server.requests
    assert to_first["Authorization"] == "Bearer secret" and "Authorization" not in to_second
    assert to_second["Accept"] == "text/calendar"


# ---------------------------------------------------------------- size and time


def test_a_declared_size_over_the_limit_is_refused_up_front(server: Server) -> None:
    with pytest.raises(OutboundTooLarge, match="more than 65,536 bytes"):
        fetch(f"http://127.0.0.1:{server.port}/huge?length=1", allow_private=True, max_bytes=LIMIT)


def test_an_undeclared_size_over_the_limit_is_cut_off_while_streaming(server: Server) -> None:
    with pytest.raises(OutboundTooLarge):
        fetch(f"http://127.0.0.1:{server.port}/huge", allow_private=True, max_bytes=LIMIT)
    assert server.finished_sending.wait(5)
    # The client hung up long before the server ran out of body to send.
    assert server.bytes_sent < BIG / 2


def test_a_body_exactly_at_the_limit_is_accepted(server: Server) -> None:
    assert fetch(f"http://127.0.0.1:{server.port}/ok", allow_private=True, max_bytes=5).body == b"hello"
    with pytest.raises(OutboundTooLarge):
        fetch(f"http://127.0.0.1:{server.port}/ok", allow_private=True, max_bytes=4)


def test_a_slow_server_is_unreachable_after_the_timeout(server: Server) -> None:
    started = time.monotonic()
    with pytest.raises(OutboundUnreachable, match="127.0.0.1 could not be reached: it did not answer in time"):
        fetch(f"http://127.0.0.1:{server.port}/slow", allow_private=True, max_bytes=LIMIT, timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_a_closed_port_is_unreachable_in_plain_words() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OutboundUnreachable) as caught:
        fetch(f"http://127.0.0.1:{port}/", allow_private=True, max_bytes=LIMIT)
    assert str(caught.value) == "127.0.0.1 could not be reached: the connection was refused or dropped."


def test_a_name_that_cannot_be_found_is_unreachable_in_plain_words(monkeypatch: pytest.MonkeyPatch) -> None:
    def unknown(*args: object, **kwargs: object) -> None:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    for allow_private in (False, True):
        with pytest.raises(OutboundUnreachable) as caught:
            fetch("https://calendar.example/events.ics", allow_private=allow_private, max_bytes=LIMIT)
        assert str(caught.value) == "calendar.example could not be reached: no server by that name could be found."


def test_a_failed_secure_connection_is_unreachable(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    # The loopback server speaks plain HTTP, so the TLS handshake of an https fetch fails, through the guard too.
    monkeypatch.setattr(outbound, "is_public_address", lambda address: str(address) == "127.0.0.1")
    for allow_private in (False, True):
        with pytest.raises(OutboundUnreachable, match="127.0.0.1 could not be reached: its secure connection could not be verified"):
            fetch(f"https://127.0.0.1:{server.port}/ok", allow_private=allow_private, max_bytes=LIMIT, timeout=3)


def test_every_refusal_is_an_outbound_error() -> None:
    assert all(issubclass(kind, OutboundError) for kind in (OutboundRefused, OutboundTooLarge, OutboundUnreachable))


def test_headers_for_each_hop_are_asked_for_its_own_address(server: Server) -> None:
    asked: list[str] = []

    def headers_for(url: str) -> dict[str, str]:
        asked.append(url)
        return {"Signature": f"for {url}"}

    fetch(f"http://127.0.0.1:{server.port}/redirect", allow_private=True, max_bytes=LIMIT, headers_for=headers_for)
    assert asked == [f"http://127.0.0.1:{server.port}/redirect", f"http://127.0.0.1:{server.port}/ok"]
    assert [headers["Signature"] for _, headers in server.requests] == [f"for {url}" for url in asked]


# ---------------------------------------------------------------- posting


def test_a_post_sends_its_body_and_headers_and_returns_the_answer(server: Server) -> None:
    answer = post(f"http://127.0.0.1:{server.port}/inbox", body=b'{"type":"Follow"}', allow_private=True,
                  headers={"Content-Type": "application/activity+json"}, user_agent="cop (+http://cop.test)")
    assert (answer.status, answer.body) == (202, b"accepted")
    ((path, headers, body),) = server.posted
    assert (path, body) == ("/inbox", b'{"type":"Follow"}')
    assert headers["Content-Type"] == "application/activity+json" and headers["User-Agent"] == "cop (+http://cop.test)"


def test_a_post_does_not_follow_a_redirect(server: Server) -> None:
    answer = post(f"http://127.0.0.1:{server.port}/redirect?to=/inbox", body=b"{}", allow_private=True)
    assert answer.status == 302 and answer.headers["Location"] == "/inbox"
    assert [path for path, _, _ in server.posted] == ["/redirect?to=/inbox"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/inbox", "http://169.254.169.254/inbox", "http://[::1]/inbox",
                                 "http://10.1.2.3/inbox", "file:///etc/passwd"])
def test_a_post_to_a_private_address_is_refused_before_connecting(url: str, connections: list[object]) -> None:
    with pytest.raises(OutboundRefused):
        post(url, body=b"{}", allow_private=False)
    assert connections == []


def test_a_post_to_a_name_that_resolves_to_loopback_is_refused(server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, *args, **kw: real("127.0.0.1" if host == "inbox.example" else host, *args, **kw))
    with pytest.raises(OutboundRefused, match=r"inbox.example is on a private or local network \(127.0.0.1\)"):
        post(f"http://inbox.example:{server.port}/inbox", body=b"{}", allow_private=False)
    assert server.posted == []


def test_a_post_answer_over_the_limit_is_cut_off(server: Server) -> None:
    with pytest.raises(OutboundTooLarge):
        post(f"http://127.0.0.1:{server.port}/huge", body=b"{}", allow_private=True, max_bytes=LIMIT)


def test_a_post_to_a_closed_port_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OutboundUnreachable, match="the connection was refused or dropped"):
        post(f"http://127.0.0.1:{port}/inbox", body=b"{}", allow_private=True)
