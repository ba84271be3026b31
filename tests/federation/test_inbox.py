"""The inboxes: every POST verified before anything is stored, each bad input refused with its status and nothing
kept, and a good activity stored once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import requests

from cop.extensions import db
from cop.federation import inbox
from cop.federation.models import BlockedDomain, Follower, InboxItem, RemoteActor
from tests.federation.remote_actors import KEY_PAIRS, Deliveries, Remote, RemoteWeb, count

REMOTE = Remote("https://remote.example/groups/leeds")
OTHER = Remote("https://other.example/groups/york", key_pair=KEY_PAIRS[1])
HOME = "http://cop.test/agencies/home"


@pytest.fixture()
def home(make_agency) -> int:
    return make_agency("home")


@pytest.fixture()
def web(monkeypatch) -> RemoteWeb:
    return RemoteWeb(monkeypatch)


@pytest.fixture()
def deliveries(monkeypatch) -> Deliveries:
    return Deliveries(monkeypatch)


@pytest.fixture()
def no_network(monkeypatch) -> list[str]:
    """Fails any request that would leave this process; the list holds what was tried."""
    tried: list[str] = []

    def refuse(session, request, **_):
        tried.append(request.url)
        raise AssertionError(f"a request left the test: {request.url}")

    monkeypatch.setattr(requests.Session, "send", refuse)
    return tried


def stored(app) -> tuple[int, int, int]:
    """(inbox items, followers, remote actors)."""
    return count(app, InboxItem), count(app, Follower), count(app, RemoteActor)


def follow(remote: Remote = REMOTE, target: str = HOME) -> dict:
    return remote.activity("Follow", target)


def refused(response, status: int, words: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert words in response.get_json()["error"]


# ---------------------------------------------------------------- refused, nothing stored


def test_an_unsigned_post_is_refused_with_401_and_a_challenge(app, client, home) -> None:
    REMOTE.store(app)
    body = json.dumps(follow()).encode()

    response = client.post("/inbox", data=body, content_type="application/activity+json", base_url="http://cop.test")

    refused(response, 401, "not signed")
    assert response.headers["WWW-Authenticate"].startswith("Signature")
    assert stored(app) == (0, 0, 1)


def test_a_signature_header_that_cannot_be_read_is_400(app, client, home) -> None:
    REMOTE.store(app)

    response = REMOTE.post(client, "/inbox", follow(), headers={"Signature": 'keyId="x",signature="@@@"'})

    refused(response, 400, "Signature header")
    assert stored(app) == (0, 0, 1)


def test_a_bad_signature_is_refused_after_fetching_the_actor_once_more(app, client, home, web) -> None:
    REMOTE.store(app)
    web.serve(REMOTE)

    response = REMOTE.post(client, "/agencies/home/inbox", follow(), private_pem=KEY_PAIRS[2][1])

    refused(response, 401, "does not match")
    assert web.asked == [REMOTE.uri]
    assert stored(app) == (0, 0, 1)


@pytest.mark.parametrize("hours", [-13, 2])
def test_a_date_outside_the_window_is_401(app, client, home, web, hours) -> None:
    REMOTE.store(app)
    web.serve(REMOTE)

    response = REMOTE.post(client, "/inbox", follow(), now=datetime.now(timezone.utc) + timedelta(hours=hours))

    refused(response, 401, "Date")
    assert stored(app) == (0, 0, 1)


def test_a_digest_that_does_not_match_the_body_is_401(app, client, home, web) -> None:
    REMOTE.store(app)
    web.serve(REMOTE)
    signed_for = json.dumps(follow()).encode()
    headers = REMOTE.signed_headers("/inbox", signed_for)

    response = client.post("/inbox", data=json.dumps(follow()).encode(), headers=headers, base_url="http://cop.test")

    refused(response, 401, "Digest")
    assert stored(app) == (0, 0, 1)


def test_an_actor_other_than_the_keys_owner_is_403(app, client, home) -> None:
    REMOTE.store(app)
    OTHER.store(app)
    activity = follow(OTHER)
    activity["id"] = REMOTE.activity_id()

    response = REMOTE.post(client, "/inbox", activity)

    refused(response, 403, "not the owner of the key")
    assert stored(app) == (0, 0, 2)


def test_an_activity_id_on_another_server_is_403(app, client, home) -> None:
    REMOTE.store(app)
    activity = follow()
    activity["id"] = OTHER.activity_id()

    refused(REMOTE.post(client, "/inbox", activity), 403, "activity's id")
    assert stored(app) == (0, 0, 1)


@pytest.mark.parametrize("where", ["id", "attributedTo"])
def test_an_object_from_another_server_is_403(app, client, home, where) -> None:
    REMOTE.store(app)
    article = {"id": f"{REMOTE.origin}/articles/1", "type": "Article", "name": "Ours", "attributedTo": REMOTE.uri}
    article[where] = f"{OTHER.origin}/articles/1" if where == "id" else OTHER.uri

    response = REMOTE.post(client, "/inbox", REMOTE.activity("Create", article))

    refused(response, 403, "The object is")
    assert stored(app) == (0, 0, 1)


def test_a_delete_of_an_object_on_another_server_is_403(app, client, home) -> None:
    REMOTE.store(app)

    response = REMOTE.post(client, "/inbox", REMOTE.activity("Delete", f"{OTHER.origin}/articles/1"))

    refused(response, 403, "its actor's server")


def test_a_blocked_domain_is_403_and_nothing_is_fetched(app, client, home, web) -> None:
    web.serve(REMOTE)
    with app.app_context():
        db.session.add(BlockedDomain(domain="remote.example"))
        db.session.commit()

    response = REMOTE.post(client, "/inbox", follow())

    refused(response, 403, "blocked")
    assert web.asked == []
    assert stored(app) == (0, 0, 0)


def test_a_body_over_the_limit_is_413_before_it_is_read(app, client, home) -> None:
    REMOTE.store(app)
    activity = follow()
    activity["padding"] = "x" * inbox.MAX_BODY

    response = REMOTE.post(client, "/inbox", activity)

    refused(response, 413, "larger than")
    assert stored(app) == (0, 0, 1)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"[" * 5000 + b"]" * 5000, "nests deeper"),
        (b'{"type": "Follow", "actor": ' + b'{"a": ' * 100 + b"1" + b"}" * 100 + b"}", "nests deeper"),
        (b'{"type": "Follow", "actor": ', "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b"\xff\xfe", "not UTF-8"),
        (json.dumps({"type": "Follow", "actor": REMOTE.uri, "object": HOME}).encode(), "no id"),
        (json.dumps({"id": f"{REMOTE.origin}/a/1", "type": "Follow", "actor": REMOTE.uri, "object": "\u0000"}).encode(), "not text"),
        (json.dumps({"id": f"{REMOTE.origin}/a/1", "type": ["Follow"], "actor": REMOTE.uri}).encode(), "single name"),
        (f'{{"id": "{REMOTE.origin}/a/1", "type": "Follow", "actor": "{REMOTE.uri}", "object": "{HOME}", "n": NaN}}'.encode(), "NaN or Infinity"),
        (f'{{"id": "{REMOTE.origin}/a/1", "type": "Follow", "actor": "{REMOTE.uri}", "object": "{HOME}", "n": 1e999}}'.encode(), "NaN or Infinity"),
    ],
    ids=["deep-array", "deep-object", "malformed", "array", "not-utf8", "no-id", "nul", "type-list", "nan", "overflowing-number"],
)
def test_bad_json_is_400(app, client, home, body, words) -> None:
    REMOTE.store(app)

    refused(REMOTE.post(client, "/inbox", body), 400, words)
    assert stored(app) == (0, 0, 1)


@pytest.mark.parametrize("address", ["127.0.0.1", "169.254.169.254"])
def test_a_key_on_a_private_address_is_401_and_nothing_is_fetched(app, client, home, no_network, address) -> None:
    assert not app.config["COP_ALLOW_PRIVATE_ADDRESSES"]
    local = Remote(f"http://{address}/actor")

    response = local.post(client, "/inbox", follow(local))

    refused(response, 401, "could not be fetched")
    assert no_network == []
    assert stored(app) == (0, 0, 0)


def test_an_unknown_type_is_accepted_and_nothing_is_stored(app, client, home) -> None:
    REMOTE.store(app)

    response = REMOTE.post(client, "/inbox", REMOTE.activity("Like", f"{REMOTE.origin}/notes/1"))

    assert response.status_code == 202
    assert stored(app) == (0, 0, 1)


def test_a_note_is_accepted_and_nothing_is_stored(app, client, home) -> None:
    REMOTE.store(app)
    note = {"id": f"{REMOTE.origin}/notes/1", "type": "Note", "content": "hello", "attributedTo": REMOTE.uri}

    assert REMOTE.post(client, "/inbox", REMOTE.activity("Create", note)).status_code == 202
    assert count(app, InboxItem) == 0


def test_an_unknown_agencys_inbox_is_404(app, client, home) -> None:
    REMOTE.store(app)

    refused(REMOTE.post(client, "/agencies/nobody/inbox", follow()), 404, "no agency")


# ---------------------------------------------------------------- accepted


def test_a_follow_from_a_stored_actor_is_stored_once_and_answered(app, client, home, deliveries) -> None:
    REMOTE.store(app)
    activity = follow()

    first = REMOTE.post(client, "/agencies/home/inbox", activity)
    again = REMOTE.post(client, "/inbox", activity)

    assert (first.status_code, again.status_code) == (202, 202)
    with app.app_context():
        item = db.session.query(InboxItem).one()
        assert (item.activity_uri, item.actor_uri, item.agency_id, item.status) == (activity["id"], REMOTE.uri, home, "processed")
    assert len(deliveries.of_type("Accept")) == 1


def test_an_unknown_actor_is_fetched_and_stored(app, client, home, web, deliveries) -> None:
    web.serve(REMOTE)

    response = REMOTE.post(client, "/inbox", follow())

    assert response.status_code == 202
    assert web.asked == [REMOTE.uri]
    with app.app_context():
        actor = db.session.query(RemoteActor).one()
        assert (actor.uri, actor.key_id) == (REMOTE.uri, REMOTE.key_id)
    assert count(app, Follower) == 1


def test_an_actor_fetched_a_moment_ago_is_not_fetched_again_for_a_bad_signature(app, client, home, web) -> None:
    web.serve(REMOTE)

    response = REMOTE.post(client, "/inbox", follow(), private_pem=KEY_PAIRS[2][1])

    refused(response, 401, "does not match")
    assert web.asked == [REMOTE.uri]
    assert stored(app) == (0, 0, 0)


def test_a_rotated_key_is_fetched_again_and_then_accepted(app, client, home, web, deliveries) -> None:
    REMOTE.store(app)
    rotated = Remote(REMOTE.uri, key_pair=KEY_PAIRS[1])
    web.serve(rotated)

    response = rotated.post(client, "/inbox", follow(rotated))

    assert response.status_code == 202
    assert web.asked == [REMOTE.uri]
    with app.app_context():
        assert db.session.query(RemoteActor).one().public_key_pem == rotated.public_pem
    assert count(app, InboxItem) == 1


def test_the_deletion_of_an_actor_never_known_is_let_go_without_fetching(app, client, home, web) -> None:
    response = REMOTE.post(client, "/inbox", REMOTE.activity("Delete", REMOTE.uri))

    assert response.status_code == 202
    assert web.asked == []
    assert stored(app) == (0, 0, 0)


def test_a_known_actors_deletion_must_verify_with_the_stored_key(app, client, home, web) -> None:
    REMOTE.store(app)
    web.serve(Remote(REMOTE.uri, key_pair=KEY_PAIRS[1]))

    response = REMOTE.post(client, "/inbox", REMOTE.activity("Delete", REMOTE.uri), private_pem=KEY_PAIRS[1][1])

    refused(response, 401, "does not match")
    assert web.asked == []
    assert stored(app) == (0, 0, 1)


def test_nesting_is_measured_outside_strings_only() -> None:
    assert not inbox.nesting_exceeds('{"a": "[[[[[[[[[[", "b": "\\"[[[["}', limit=1)
    assert inbox.nesting_exceeds('{"a": [[1]]}', limit=2)
    assert not inbox.nesting_exceeds('{"a": [[1]]}', limit=3)


def test_origins_compare_scheme_host_and_port() -> None:
    assert inbox.origin_of("https://A.example/x") == inbox.origin_of("https://a.example:443/y")
    assert inbox.origin_of("https://a.example/x") != inbox.origin_of("http://a.example/x")
    assert inbox.origin_of("https://a.example:8443/x") != inbox.origin_of("https://a.example/x")
    assert inbox.origin_of("mailto:someone@a.example") is None
