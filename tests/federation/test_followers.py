"""Services on an agency's remote followers: listing them, and approving, rejecting or removing one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.accounts.models import User
from cop.agencies.models import Agency
from cop.errors import Conflict, NotFound, PermissionDenied
from cop.extensions import db
from cop.federation import followers
from cop.federation.models import Follower, RemoteActor
from tests.federation.remote_actors import Deliveries, Remote

HOME = "http://cop.test/agencies/home"
ANN = Remote("https://one.example/users/ann", actor_type="Person")
BOB = Remote("https://two.example/users/bob", actor_type="Person")


@pytest.fixture()
def deliveries(monkeypatch) -> Deliveries:
    return Deliveries(monkeypatch)


@pytest.fixture()
def world(app, make_agency, make_user) -> dict[str, int]:
    """Home (approving followers by hand) with Ann pending and Bob accepted; home's admin and member, away's admin,
    a site admin."""
    home = make_agency("home", domains=["home.example"])
    make_agency("away", domains=["away.example"])
    people = {
        "admin": make_user("admin@home.example", role="agency_admin", agency="home"),
        "member": make_user("member@home.example", agency="home"),
        "away_admin": make_user("admin@away.example", role="agency_admin", agency="away"),
        "site_admin": make_user("site@example.org", role="site_admin"),
    }
    ids = {}
    for remote, state in ((ANN, "pending"), (BOB, "accepted")):
        actor_id = remote.store(app)
        follow = remote.activity("Follow", HOME)
        with app.app_context():
            follower = Follower(agency_id=home, remote_actor_id=actor_id, follow_uri=follow["id"], follow_activity=follow, state=state)
            db.session.add(follower)
            db.session.commit()
            ids[remote.uri] = follower.id
    with app.app_context():
        db.session.get(Agency, home).approves_followers = True
        db.session.commit()
    return {**people, "home": home, "ann": ids[ANN.uri], "bob": ids[BOB.uri]}


def act(app, user_id, service, follower_id):
    with app.app_context():
        result = service(db.session.get(User, user_id), follower_id)
        db.session.commit()
        return result


def states(app) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(sa.select(RemoteActor.uri, Follower.state).join(Follower.remote_actor))
        return {uri: state for uri, state in rows}


def test_followers_of_lists_newest_first_with_their_actors_and_filters_by_state(app, world) -> None:
    with app.app_context():
        home = db.session.get(Agency, world["home"])
        every = followers.followers_of(home)
        pending = followers.followers_of(home, state="pending")
        db.session.expunge_all()
    assert [f.remote_actor.uri for f in every] == [BOB.uri, ANN.uri]
    assert [f.remote_actor.uri for f in pending] == [ANN.uri]


def test_followers_of_reads_the_actors_in_the_same_query(app, world) -> None:
    statements = []

    def count_statement(*_args) -> None:
        statements.append(1)

    with app.app_context():
        home = db.session.get(Agency, world["home"])
        sa.event.listen(db.engine, "before_cursor_execute", count_statement)
        try:
            listed = followers.followers_of(home)
            handles = [f.remote_actor.handle for f in listed]
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count_statement)
    assert len(handles) == 2
    assert len(statements) == 1


@pytest.mark.parametrize("who", ["admin", "site_admin"])
def test_an_agency_or_site_admin_approves_a_pending_follower_and_an_accept_is_sent(app, world, deliveries, who) -> None:
    act(app, world[who], followers.approve_follower, world["ann"])

    assert states(app) == {ANN.uri: "accepted", BOB.uri: "accepted"}
    ((inbox, accept),) = deliveries.sent
    assert inbox == f"{ANN.uri}/inbox"
    assert accept["type"] == "Accept" and accept["actor"] == HOME and accept["object"]["actor"] == ANN.uri


@pytest.mark.parametrize("who", ["member", "away_admin"])
@pytest.mark.parametrize("service", [followers.approve_follower, followers.reject_follower, followers.remove_follower])
def test_others_may_not_decide_followers(app, world, deliveries, who, service) -> None:
    with pytest.raises(PermissionDenied):
        act(app, world[who], service, world["ann"])

    assert states(app) == {ANN.uri: "pending", BOB.uri: "accepted"}
    assert deliveries.sent == []


def test_rejecting_a_pending_follower_sends_a_reject_and_forgets_them(app, world, deliveries) -> None:
    act(app, world["admin"], followers.reject_follower, world["ann"])

    assert states(app) == {BOB.uri: "accepted"}
    ((inbox, reject),) = deliveries.sent
    assert inbox == f"{ANN.uri}/inbox" and reject["type"] == "Reject" and reject["object"]["actor"] == ANN.uri


def test_an_accepted_follower_is_removed_not_rejected(app, world, deliveries) -> None:
    with pytest.raises(Conflict):
        act(app, world["admin"], followers.reject_follower, world["bob"])
    assert deliveries.sent == []

    act(app, world["admin"], followers.remove_follower, world["bob"])

    assert states(app) == {ANN.uri: "pending"}
    assert [(inbox, payload["type"]) for inbox, payload in deliveries.sent] == [(f"{BOB.uri}/inbox", "Reject")]


def test_approving_twice_sends_one_accept(app, world, deliveries) -> None:
    act(app, world["admin"], followers.approve_follower, world["ann"])
    act(app, world["admin"], followers.approve_follower, world["ann"])

    assert len(deliveries.of_type("Accept")) == 1


def test_a_follower_that_is_gone_is_not_found(app, world, deliveries) -> None:
    act(app, world["admin"], followers.remove_follower, world["bob"])

    with pytest.raises(NotFound):
        act(app, world["admin"], followers.remove_follower, world["bob"])
