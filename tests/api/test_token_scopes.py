"""Every JSON API route by token scope: none, a read token, a write token. A route without a row here fails."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.test_authorization import _forum, _published_case_study, _surgery

#: What each API route needs: public (no token), read or write.
SCOPES = {
    ("account_api.me", "GET"): "read",
    ("casestudies_api.list_case_studies", "GET"): "public",
    ("casestudies_api.get_case_study", "GET"): "public",
    ("casestudies_api.create_case_study", "POST"): "write",
    ("casestudies_api.update_case_study", "PATCH"): "write",
    ("events_api.list_events", "GET"): "public",
    ("events_api.get_event", "GET"): "public",
    ("events_api.create_event", "POST"): "write",
    ("events_api.update_event", "PATCH"): "write",
    ("events_api.cancel_event", "DELETE"): "write",
    ("events_api.register", "PUT"): "write",
    ("events_api.unregister", "DELETE"): "write",
    ("events_api.slots", "GET"): "read",
    ("events_api.book", "PUT"): "write",
    ("forum_api.list_categories", "GET"): "public",
    ("forum_api.list_threads", "GET"): "public",
    ("forum_api.create_thread", "POST"): "write",
    ("forum_api.get_thread", "GET"): "public",
    ("forum_api.reply", "POST"): "write",
    ("mentoring_api.suggestions", "GET"): "read",
    ("mentoring_api.create_request", "POST"): "write",
    ("mentoring_api.get_request", "GET"): "read",
    ("mentoring_api.ask", "POST"): "write",
    ("mentoring_api.accept", "POST"): "write",
    ("mentoring_api.decline", "POST"): "write",
    # federation: following out
    ("federation_api.list_following", "GET"): "read",
    ("federation_api.follow", "POST"): "write",
    ("federation_api.unfollow", "DELETE"): "write",
}
#: The status class each kind of caller meets at each level.
EXPECTED = {
    "public": {"none": "allowed", "read": "allowed", "write": "allowed"},
    "read": {"none": 401, "read": "allowed", "write": "allowed"},
    "write": {"none": 401, "read": 403, "write": "allowed"},
}


def _requests(people: dict[str, int], newcomer_id: int) -> tuple[int, int]:
    """A newcomer asks the member to mentor them; the member has a request of their own."""
    from cop.accounts.models import User
    from cop.extensions import db
    from cop.matching import services
    from cop.text.models import Topic

    member, newcomer = db.session.get(User, people["member"]), db.session.get(User, newcomer_id)
    member.level, member.open_to_mentoring, member.mentoring_capacity = "303", True, 2
    db.session.flush()
    skill = db.session.scalar(Topic.__table__.select().with_only_columns(Topic.id).limit(1))
    asked = services.create_request(newcomer, services.RequestInput(goals="Learn video.", skill_ids=[skill]), mentor=member)
    own = services.create_request(member, services.RequestInput(goals="Learn policy.", skill_ids=[skill]))
    db.session.commit()
    return asked.id, own.id


def api_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and rule.endpoint.endswith(("_api.me",)) or rule.endpoint.split(".")[0].endswith("_api")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_api_route_has_a_scope_row(app):
    assert api_routes(app) == set(SCOPES)


@dataclass(frozen=True)
class World:
    """Agency "home": a member (who holds a read and a write token), its admin, a moderator, a site admin and a
    newcomer; a published case study, a surgery with a slot, two mentoring requests and a forum thread."""

    people: dict[str, int]
    slot_id: int
    event_id: int
    asked_id: int
    own_id: int
    forum: dict[str, int]
    tokens: dict[str, str]


#: One app for the whole module; every test lays the world down afresh (tests.conftest.world_once).
pytestmark = pytest.mark.one_app


@pytest.fixture()
def world(app, make_agency, make_user, make_token, world_once) -> World:
    def build() -> World:
        make_agency("home", domains=["home.example"])
        people = {"member": make_user("member@home.example", agency="home"),
                  "agency_admin": make_user("admin@home.example", agency="home", role="agency_admin")}
        with app.app_context():
            _published_case_study(people)
            slot_id, _secret, event_id = _surgery(people)
            asked_id, own_id = _requests(people, make_user("newcomer@home.example", agency="home", level="101"))
            people["moderator"] = make_user("mod@home.example", agency="home", role="moderator")
            people["site_admin"] = make_user("root@home.example", role="site_admin")
            forum = _forum(people)
        tokens = {scope: make_token(people["member"], scope, name=f"Tests ({scope})") for scope in ("read", "write")}
        return World(people, slot_id, event_id, asked_id, own_id, forum, tokens)

    return world_once(build)


@pytest.mark.parametrize(("endpoint", "method"), sorted(SCOPES))
@pytest.mark.parametrize("caller", ["none", "read", "write"])
def test_api_route_obeys_its_scope(app, client, world, endpoint, method, caller):
    from flask import url_for

    headers = {} if caller == "none" else {"Authorization": f"Bearer {world.tokens[caller]}"}
    with app.test_request_context():
        rule = next(r for r in app.url_map.iter_rules(endpoint) if method in r.methods)
        # The token's owner asks with their own request, and answers one asked of them.
        known = {"slug": "home", "event_id": world.event_id, "slot_id": world.slot_id,
                 "request_id": world.own_id if endpoint == "mentoring_api.ask" else world.asked_id,
                 "thread_id": world.forum["thread_id"]}
        url = url_for(endpoint, **{name: known[name] for name in rule.arguments})
    response = client.open(url, method=method, json={} if method in ("POST", "PATCH", "PUT") else None, headers=headers)
    assert response.status_code < 500 and (response.is_json or response.status_code == 204)
    expected = EXPECTED[SCOPES[(endpoint, method)]][caller]
    if expected == "allowed":
        assert response.status_code not in (401, 403), f"{method} {url} with {caller}: {response.status_code}"
    else:
        assert response.status_code == expected, f"{method} {url} with {caller}: {response.status_code}"
