"""The federation client against a real HTTP server on loopback: signed fetches, actors, WebFinger, deliveries,
and everything it must refuse without storing anything."""

from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from cop.clock import utcnow
from cop.extensions import db
from cop.federation import client, keys
from cop.federation.blocks import block_domain
from cop.federation.client import FederationError
from cop.federation.models import RemoteActor
from cop.federation.signatures import SignatureError, parse_signature_header, verify_request

PUBLIC, PRIVATE = keys.new_key_pair()


class Remote:
    """Another server on loopback: serves what a test puts in ``pages`` and records every request."""

    def __init__(self) -> None:
        #: path (with query) -> (status, content type, body, extra headers)
        self.pages: dict[str, tuple[int, str, bytes, dict[str, str]]] = {}
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        state = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
                state.requests.append((method, self.path, dict(self.headers), body))
                page = state.pages.get(self.path) or state.pages.get(self.path.partition("?")[0])
                status, content_type, content, extra = page or (404, "text/plain", b"not here", {})
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(content)

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                self.answer("GET")

            def do_POST(self) -> None:  # noqa: N802
                self.answer("POST")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.host = f"127.0.0.1:{self.httpd.server_port}"
        self.base = f"http://{self.host}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def serve(self, path: str, document: Any, *, status: int = 200, content_type: str = "application/activity+json",
              headers: dict[str, str] | None = None) -> None:
        body = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.pages[path] = (status, content_type, body, headers or {})

    def actor(self, user: str = "alice", **changes: Any) -> dict[str, Any]:
        uri = f"{self.base}/users/{user}"
        document = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": uri, "type": "Person", "preferredUsername": user, "name": user.title(),
            "summary": "<p>Digital lead</p>", "url": f"{self.base}/@{user}", "inbox": f"{uri}/inbox",
            "outbox": f"{uri}/outbox", "followers": f"{uri}/followers", "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "icon": {"type": "Image", "url": f"{self.base}/{user}.png"},
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": PUBLIC},
        }
        document.update(changes)
        self.serve(f"/users/{user}", document)
        return document

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def remote() -> Iterator[Remote]:
    server = Remote()
    yield server
    server.close()


@pytest.fixture()
def loopback_app(app):
    app.config["COP_ALLOW_PRIVATE_ADDRESSES"] = True
    return app


@pytest.fixture()
def connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Record every address a socket tries to connect to, and refuse the connection instead of making it."""
    attempts: list[object] = []

    def refuse(sock: socket.socket, address: object) -> None:
        attempts.append(address)
        raise ConnectionRefusedError("refused by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


def stored_actors(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(RemoteActor.uri)))


def get_actor(app, uri: str, **options: Any) -> dict[str, Any]:
    with app.app_context():
        actor = client.get_actor(uri, **options)
        db.session.commit()
        return {column.key: getattr(actor, column.key) for column in RemoteActor.__table__.columns}


# ---------------------------------------------------------------- signed fetches


def test_a_fetch_is_signed_by_the_instance_actor_and_verifies(loopback_app, remote: Remote) -> None:
    remote.serve("/notes/1", {"id": f"{remote.base}/notes/1", "type": "Note"})
    with loopback_app.app_context():
        assert client.fetch_object(f"{remote.base}/notes/1?page=1")["type"] == "Note"
        instance = keys.instance_key()
        ((method, path, headers, _body),) = remote.requests
        params = parse_signature_header(headers["Signature"])
        assert params.key_id == "http://cop.test/actor#main-key"
        verify_request(method, path, headers, None, params, instance.public_key_pem)
        with pytest.raises(SignatureError):
            verify_request(method, "/notes/2", headers, None, params, instance.public_key_pem)
    assert path == "/notes/1?page=1" and headers["Host"] == remote.host
    assert headers["Accept"] == 'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    assert headers["User-Agent"] == "cop (+http://cop.test)"


def test_each_redirect_hop_is_signed_for_its_own_address(loopback_app, remote: Remote) -> None:
    remote.serve("/old", b"", status=301, headers={"Location": "/notes/1"})
    remote.serve("/notes/1", {"id": f"{remote.base}/notes/1", "type": "Note"})
    with loopback_app.app_context():
        client.fetch_object(f"{remote.base}/old")
        public = keys.instance_key().public_key_pem
        for method, path, headers, _ in remote.requests:
            verify_request(method, path, headers, None, parse_signature_header(headers["Signature"]), public)
    assert [path for _, path, _, _ in remote.requests] == ["/old", "/notes/1"]


@pytest.mark.parametrize(("answer", "message"), [
    ((200, "application/activity+json", b"{not json", {}), "did not send valid JSON"),
    ((200, "application/activity+json", b"[1, 2]", {}), "JSON that is not an object"),
    ((200, "application/activity+json", b'{"a": NaN}', {}), "did not send valid JSON"),
    ((200, "application/activity+json", b"\xff\xfe{}", {}), "not UTF-8"),
    ((200, "application/activity+json", b'{"a":' + b"[" * 65 + b"]" * 65 + b"}", {}), "nested too deeply"),
    ((200, "application/activity+json", b"[" * 100_000 + b"]" * 100_000, {}), "nested too deeply|not an object"),
    ((200, "text/html", b"<html></html>", {}), "did not answer with JSON"),
    ((404, "text/plain", b"no", {}), "has nothing at"),
    ((410, "application/activity+json", b"{}", {}), "is gone"),
    ((401, "text/plain", b"sign it", {}), r"refused to show .* \(HTTP 401\)"),
    ((500, "text/plain", b"oops", {}), "answered HTTP 500"),
    ((200, "application/activity+json", b'{"a": "' + b"x" * (1024 * 1024) + b'"}', {}), "more than 1 MB"),
])
def test_an_unusable_answer_is_a_federation_error(loopback_app, remote: Remote, answer: tuple, message: str) -> None:
    remote.pages["/thing"] = answer
    with loopback_app.app_context(), pytest.raises(FederationError, match=message) as caught:
        client.fetch_object(f"{remote.base}/thing")
    if answer[0] >= 400:
        assert caught.value.status == answer[0]


def test_json_nested_to_the_limit_is_read(loopback_app, remote: Remote) -> None:
    remote.serve("/thing", b'{"a":' + b"[" * 63 + b"]" * 63 + b"}")
    with loopback_app.app_context():
        value = client.fetch_object(f"{remote.base}/thing")["a"]
    lists = 1
    while value:
        value, lists = value[0], lists + 1
    # The object and 63 lists inside it: 64 levels, the most accepted.
    assert lists == 63


def test_a_document_whose_id_is_on_another_server_is_refused(loopback_app, remote: Remote) -> None:
    remote.serve("/notes/1", {"id": "https://elsewhere.example/notes/1", "type": "Note"})
    with loopback_app.app_context(), pytest.raises(FederationError, match="id is not on that server"):
        client.fetch_object(f"{remote.base}/notes/1")


def test_a_blocked_domain_is_refused_before_any_connection(loopback_app, remote: Remote) -> None:
    remote.actor()
    with loopback_app.app_context():
        block_domain(None, "127.0.0.1", "")
        db.session.commit()
        for call in (lambda: client.fetch_object(f"{remote.base}/users/alice"), lambda: client.get_actor(f"{remote.base}/users/alice"),
                     lambda: client.actor_for_key(f"{remote.base}/users/alice#main-key"),
                     lambda: client.resolve_handle(f"alice@{remote.host}"), lambda: client.resolve_handle(f"{remote.base}/users/alice"),
                     lambda: client.post_activity(f"{remote.base}/inbox", {}, key_id="k", private_key_pem=PRIVATE)):
            with pytest.raises(FederationError, match="127.0.0.1 is blocked on this site"):
                call()
    assert remote.requests == [] and stored_actors(loopback_app) == []


def test_a_redirect_to_a_blocked_domain_is_refused_before_following_it(loopback_app, remote: Remote) -> None:
    remote.serve("/old", b"", status=302, headers={"Location": f"http://localhost:{remote.httpd.server_port}/notes/1"})
    with loopback_app.app_context():
        block_domain(None, "localhost", "")
        db.session.commit()
        with pytest.raises(FederationError, match="localhost is blocked"):
            client.fetch_object(f"{remote.base}/old")
    assert [path for _, path, _, _ in remote.requests] == ["/old"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/users/alice", "http://169.254.169.254/latest/meta-data/", "http://[::1]/actor",
                                 "http://10.0.0.1/actor"])
def test_private_addresses_are_refused_without_a_connection_when_not_allowed(app, connections: list[object], url: str) -> None:
    assert app.config["COP_ALLOW_PRIVATE_ADDRESSES"] is False
    with app.app_context():
        for call in (lambda: client.fetch_object(url), lambda: client.get_actor(url),
                     lambda: client.post_activity(url, {}, key_id="k", private_key_pem=PRIVATE)):
            with pytest.raises(FederationError, match="private or local network"):
                call()
    assert connections == [] and stored_actors(app) == []


def test_other_schemes_are_refused(loopback_app, connections: list[object]) -> None:
    with loopback_app.app_context():
        for url in ("file:///etc/passwd", "ftp://a.example/x", "javascript:alert(1)", "not a url"):
            with pytest.raises(FederationError, match="not a web address"):
                client.fetch_object(url)
    assert connections == []


# ---------------------------------------------------------------- actors


def test_an_actor_is_fetched_and_stored_with_what_it_says(loopback_app, remote: Remote) -> None:
    document = remote.actor(summary='<p>Digital lead</p><script>alert(1)</script><a href="javascript:x">x</a>',
                            name="Alice\x00 " + "A" * 400, preferredUsername="alice\x00")
    stored = get_actor(loopback_app, document["id"])
    assert stored["uri"] == document["id"] and stored["domain"] == remote.host
    assert (stored["actor_type"], stored["preferred_username"]) == ("Person", "alice")
    assert stored["name"] == ("Alice " + "A" * 400)[:300]
    assert "<script>" not in stored["summary"] and "alert" not in stored["summary"] and "javascript" not in stored["summary"]
    assert stored["summary"].startswith("<p>Digital lead</p>")
    assert stored["inbox"] == f"{document['id']}/inbox" and stored["shared_inbox"] == f"{remote.base}/inbox"
    assert (stored["url"], stored["icon_url"]) == (f"{remote.base}/@alice", f"{remote.base}/alice.png")
    assert (stored["outbox"], stored["followers_url"]) == (f"{document['id']}/outbox", f"{document['id']}/followers")
    assert (stored["key_id"], stored["public_key_pem"]) == (f"{document['id']}#main-key", PUBLIC)


def test_a_stored_actor_is_reused_for_a_day_then_fetched_again(loopback_app, remote: Remote) -> None:
    uri = remote.actor()["id"]
    get_actor(loopback_app, uri)
    remote.actor(name="Alice Renamed")
    assert get_actor(loopback_app, uri)["name"] == "Alice"
    assert len(remote.requests) == 1
    assert get_actor(loopback_app, uri, refresh=True)["name"] == "Alice Renamed"
    remote.actor(name="Alice Again")
    with loopback_app.app_context():
        db.session.execute(sa.update(RemoteActor).values(fetched_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    assert get_actor(loopback_app, uri)["name"] == "Alice Again"
    assert len(remote.requests) == 3 and stored_actors(loopback_app) == [uri]


@pytest.mark.parametrize(("changes", "message"), [
    ({"id": "ORIGIN/users/mallory"}, "a document about something else"),
    ({"id": "http://127.0.0.1:1/users/alice"}, "id is not on that server"),
    ({"type": "Note"}, "is not an account or group"),
    ({"inbox": None}, "inbox of .* is not a web address"),
    ({"inbox": "ftp://x.example/inbox"}, "inbox of .* is not a web address"),
    ({"publicKey": {"id": "KEY", "owner": "http://127.0.0.1:1/users/mallory", "publicKeyPem": PUBLIC}}, "belongs to someone else"),
    ({"publicKey": {"id": "https://elsewhere.example/key", "owner": "ID", "publicKeyPem": PUBLIC}}, "key of .* is on another server"),
    ({"publicKey": {"id": "KEY", "owner": "ID", "publicKeyPem": "not a key"}}, "not an RSA public key"),
])
def test_an_actor_that_does_not_hold_up_is_refused_and_not_stored(loopback_app, remote: Remote, changes: dict, message: str) -> None:
    uri = f"{remote.base}/users/alice"
    fixed = json.loads(json.dumps(changes).replace('"ID"', json.dumps(uri)).replace('"KEY"', json.dumps(f"{uri}#main-key"))
                       .replace("ORIGIN", remote.base))
    remote.actor(**fixed)
    with loopback_app.app_context(), pytest.raises(FederationError, match=message):
        client.get_actor(uri)
    assert stored_actors(loopback_app) == []


def test_an_actor_answered_from_another_origin_after_a_redirect_is_refused(loopback_app, remote: Remote) -> None:
    uri = f"{remote.base}/users/alice"
    other = f"http://localhost:{remote.httpd.server_port}"
    remote.serve("/users/alice", b"", status=302, headers={"Location": f"{other}/users/alice-real"})
    remote.serve("/users/alice-real", {**remote.actor("alice-real"), "id": uri})
    with loopback_app.app_context(), pytest.raises(FederationError):
        client.get_actor(uri)
    assert stored_actors(loopback_app) == []


def test_a_failed_refresh_keeps_the_stored_actor_unchanged(loopback_app, remote: Remote) -> None:
    uri = remote.actor()["id"]
    get_actor(loopback_app, uri)
    remote.actor(publicKey={"id": f"{uri}#main-key", "owner": "http://127.0.0.1:1/other", "publicKeyPem": PUBLIC}, name="Changed")
    with loopback_app.app_context(), pytest.raises(FederationError):
        client.get_actor(uri, refresh=True)
    assert get_actor(loopback_app, uri)["name"] == "Alice"


def test_an_actor_is_found_by_its_key_id(loopback_app, remote: Remote) -> None:
    uri = remote.actor()["id"]
    with loopback_app.app_context():
        assert client.actor_for_key(f"{uri}#main-key").uri == uri
        db.session.commit()
        assert [path for _, path, _, _ in remote.requests] == ["/users/alice"]
        # Known now: no second fetch, unless asked to refresh (a key that no longer verifies).
        assert client.actor_for_key(f"{uri}#main-key").uri == uri
        assert len(remote.requests) == 1
        assert client.actor_for_key(f"{uri}#main-key", refresh=True).uri == uri
        assert len(remote.requests) == 2


def test_a_key_served_as_its_own_document_leads_to_its_owner(loopback_app, remote: Remote) -> None:
    uri = remote.actor(publicKey={"id": f"{remote.base}/keys/1", "owner": f"{remote.base}/users/alice", "publicKeyPem": PUBLIC})["id"]
    remote.serve("/keys/1", {"id": f"{remote.base}/keys/1", "owner": uri, "publicKeyPem": PUBLIC})
    with loopback_app.app_context():
        assert client.actor_for_key(f"{remote.base}/keys/1").uri == uri
    assert [path for _, path, _, _ in remote.requests] == ["/keys/1", "/users/alice"]


def test_a_key_its_owner_does_not_claim_is_refused(loopback_app, remote: Remote) -> None:
    uri = remote.actor()["id"]
    remote.serve("/keys/9", {"id": f"{remote.base}/keys/9", "owner": uri, "publicKeyPem": PUBLIC})
    with loopback_app.app_context(), pytest.raises(FederationError, match="does not belong to"):
        client.actor_for_key(f"{remote.base}/keys/9")
    with loopback_app.app_context(), pytest.raises(FederationError, match="does not belong to"):
        client.actor_for_key(f"{uri}#other-key")


# ---------------------------------------------------------------- handles


def webfinger(remote: Remote, user: str, links: list[dict[str, Any]]) -> None:
    remote.serve("/.well-known/webfinger", {"subject": f"acct:{user}@{remote.host}", "links": links}, content_type="application/jrd+json")


@pytest.mark.parametrize("form", ["{user}@{host}", "@{user}@{host}", "  acct:{user}@{host} "])
def test_a_handle_is_resolved_by_webfinger(loopback_app, remote: Remote, form: str) -> None:
    webfinger(remote, "alice", [
        {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": f"{remote.base}/@alice"},
        {"rel": "self", "type": 'application/ld+json;  profile="https://www.w3.org/ns/activitystreams"', "href": f"{remote.base}/users/alice"},
    ])
    with loopback_app.app_context():
        assert client.resolve_handle(form.format(user="alice", host=remote.host)) == f"{remote.base}/users/alice"
    ((_, path, headers, _),) = remote.requests
    assert parse_qs(urlsplit(path).query) == {"resource": [f"acct:alice@{remote.host}"]}
    assert "Signature" not in headers


def test_an_unknown_account_is_said_in_plain_words(loopback_app, remote: Remote) -> None:
    with loopback_app.app_context(), pytest.raises(FederationError) as caught:
        client.resolve_handle(f"nobody@{remote.host}")
    assert str(caught.value) == f"No account called nobody was found on {remote.host}."


def test_an_account_without_an_activitypub_link_cannot_be_followed(loopback_app, remote: Remote) -> None:
    webfinger(remote, "alice", [{"rel": "self", "type": "text/html", "href": f"{remote.base}/@alice"}])
    with loopback_app.app_context(), pytest.raises(FederationError, match="has no ActivityPub account"):
        client.resolve_handle(f"alice@{remote.host}")


def test_an_actor_url_is_returned_as_given(loopback_app, connections: list[object]) -> None:
    with loopback_app.app_context():
        assert client.resolve_handle(" https://social.example/users/alice ") == "https://social.example/users/alice"
    assert connections == []


@pytest.mark.parametrize("handle", ["", "alice", "@alice", "alice@", "@@host.example", "a b@host.example", "alice@host/x",
                                    "alice@host.example:port", "alice@bob@host.example", "mailto:alice@host.example/x", "https://"])
def test_what_is_not_a_handle_is_refused_without_a_connection(loopback_app, connections: list[object], handle: str) -> None:
    with loopback_app.app_context(), pytest.raises(FederationError):
        client.resolve_handle(handle)
    assert connections == []


def test_webfinger_uses_https_unless_private_addresses_are_allowed(app) -> None:
    with app.app_context():
        assert client.scheme_for("social.example") == "https"
        app.config["COP_ALLOW_PRIVATE_ADDRESSES"] = True
        assert client.scheme_for("social.example") == "http"


# ---------------------------------------------------------------- deliveries


def test_an_activity_is_posted_signed_and_compact(loopback_app, remote: Remote) -> None:
    remote.serve("/inbox", b"", status=202, content_type="text/plain")
    activity = {"id": "http://cop.test/activities/1", "type": "Create", "actor": "http://cop.test/agencies/leeds", "name": "Café"}
    key_id = "http://cop.test/agencies/leeds#main-key"
    with loopback_app.app_context():
        assert client.post_activity(f"{remote.base}/inbox", activity, key_id=key_id, private_key_pem=PRIVATE) == 202
    ((method, path, headers, body),) = remote.requests
    assert body == json.dumps(activity, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert headers["Content-Type"] == "application/activity+json"
    params = parse_signature_header(headers["Signature"])
    assert params.key_id == key_id and params.headers == ("(request-target)", "host", "date", "digest")
    verify_request(method, path, headers, body, params, PUBLIC)


def test_a_refusal_is_returned_as_its_status(loopback_app, remote: Remote) -> None:
    remote.serve("/inbox", b"no", status=401, content_type="text/plain")
    remote.serve("/moved", b"", status=301, headers={"Location": "/inbox"})
    with loopback_app.app_context():
        assert client.post_activity(f"{remote.base}/inbox", {}, key_id="k", private_key_pem=PRIVATE) == 401
        assert client.post_activity(f"{remote.base}/moved", {}, key_id="k", private_key_pem=PRIVATE) == 301
    assert [path for _, path, _, _ in remote.requests] == ["/inbox", "/moved"]


def test_an_unreachable_inbox_is_a_federation_error(loopback_app) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with loopback_app.app_context(), pytest.raises(FederationError, match="could not be reached"):
        client.post_activity(f"http://127.0.0.1:{port}/inbox", {}, key_id="k", private_key_pem=PRIVATE)
