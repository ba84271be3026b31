"""An agency here following an actor on another server by handle, and unfollowing: who may, what is refused, and
what is sent. The other server is a stand-in for the federation client (no network)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.extensions import db
from cop.federation import client, following
from cop.federation.models import Activity, BlockedDomain, Following
from tests.federation.sending import PostRecorder, remote_actor

LAMBETH = "https://lambeth.example/agencies/lambeth"


@pytest.fixture()
def remote(monkeypatch):
    """lambeth@lambeth.example resolves to LAMBETH; every other handle's server cannot be reached."""
    asked: list[str] = []

    def resolve_handle(handle: str) -> str:
        asked.append(handle)
        if handle.lstrip("@").lower() in ("lambeth@lambeth.example",) or handle == LAMBETH:
            return LAMBETH
        raise client.FederationError(f"{handle.split('@')[-1]} could not be reached.")

    def get_actor(uri: str, *, refresh: bool = False):
        return remote_actor(uri, inbox=f"{uri}/inbox", shared_inbox="https://lambeth.example/inbox", username="lambeth")

    posted = PostRecorder()
    monkeypatch.setattr(client, "resolve_handle", resolve_handle)
    monkeypatch.setattr(client, "get_actor", get_actor)
    monkeypatch.setattr(client, "post_activity", posted)
    return posted


@pytest.fixture()
def people(app, make_agency, make_user):
    make_agency("home", domains=["home.example"])
    make_agency("away", domains=["away.example"])
    return {"admin": make_user("admin@home.example", role="agency_admin", agency="home"),
            "member": make_user("member@home.example", agency="home"),
            "away_admin": make_user("admin@away.example", role="agency_admin", agency="away"),
            "site_admin": make_user("root@example.org", role="site_admin")}


def _user(user_id: int):
    from cop.accounts.models import User

    return db.session.get(User, user_id)


def _agency(slug: str = "home"):
    from cop.agencies.models import Agency

    return db.session.scalars(sa.select(Agency).where(Agency.slug == slug)).one()


@pytest.mark.parametrize("handle", ["lambeth@lambeth.example", "@lambeth@lambeth.example", LAMBETH])
def test_an_agency_admin_follows_by_handle_or_address_and_the_follow_is_sent_to_the_actors_inbox(app, people, remote, handle):
    from cop.agencies.models import Agency

    with app.app_context():
        made = following.follow_remote(_user(people["admin"]), _agency(), handle)
        db.session.commit()
        assert (made.state, made.remote_actor.uri, made.created_by_id) == ("pending", LAMBETH, people["admin"])
        # What Lambeth publishes will land under an agency of its own here.
        assert db.session.scalar(sa.select(Agency).where(Agency.remote_actor_id == made.remote_actor_id)) is not None
        sent = db.session.scalars(sa.select(Activity)).one()
        assert sent.uri == made.follow_uri and sent.public is False
    [post] = remote.posts
    assert post["inbox"] == f"{LAMBETH}/inbox"
    assert post["payload"]["type"] == "Follow" and post["payload"]["object"] == LAMBETH
    assert post["payload"]["actor"] == "http://cop.test/agencies/home"


def test_a_site_admin_may_follow_for_any_agency_and_no_one_else_may(app, people, remote):
    with app.app_context():
        for who in ("member", "away_admin"):
            with pytest.raises(PermissionDenied):
                following.follow_remote(_user(people[who]), _agency(), "lambeth@lambeth.example")
        following.follow_remote(_user(people["site_admin"]), _agency(), "lambeth@lambeth.example")
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Following)) == 1


@pytest.mark.parametrize(("handle", "message"), [
    ("", "Enter the handle"),
    ("   ", "Enter the handle"),
    ("lambeth", "not a handle"),
    ("lambeth@", "not a handle"),
    ("a@b@c", "not a handle"),
    ("ftp://lambeth.example/x", "not a handle"),
    ("home@cop.test", "on this site"),
    ("http://cop.test/agencies/away", "on this site"),
    ("someone@gone.example", "could not be reached"),
    ("x" * 3000 + "@a.example", "too long"),
])
def test_a_bad_local_or_unreachable_handle_is_refused_on_the_handle_field_and_nothing_is_stored(app, people, remote, handle, message):
    with app.app_context():
        with pytest.raises(ServiceError, match=message) as refused:
            following.follow_remote(_user(people["admin"]), _agency(), handle)
        assert refused.value.field == "handle"
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Following)) == 0
    assert remote.posts == []


def test_a_blocked_server_cannot_be_followed(app, people, remote):
    with app.app_context():
        db.session.add(BlockedDomain(domain="lambeth.example"))
        db.session.commit()
        with pytest.raises(ServiceError, match="blocked") as refused:
            following.follow_remote(_user(people["admin"]), _agency(), "lambeth@lambeth.example")
        assert refused.value.field == "handle" and refused.value.status_code == 400
    assert remote.posts == []


def test_a_handle_whose_webfinger_points_at_this_site_is_refused(app, people, monkeypatch, remote):
    monkeypatch.setattr(client, "resolve_handle", lambda handle: "http://cop.test/agencies/away")
    with app.app_context():
        with pytest.raises(ServiceError, match="on this site"):
            following.follow_remote(_user(people["admin"]), _agency(), "away@elsewhere.example")


def test_following_the_same_actor_twice_is_a_conflict(app, people, remote):
    with app.app_context():
        following.follow_remote(_user(people["admin"]), _agency(), "lambeth@lambeth.example")
        db.session.commit()
        with pytest.raises(Conflict, match="already follows"):
            following.follow_remote(_user(people["admin"]), _agency(), LAMBETH)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Following)) == 1
    assert len(remote.posts) == 1


def test_a_remote_agency_cannot_follow_from_here(app, people, remote):
    with app.app_context():
        follow = following.follow_remote(_user(people["admin"]), _agency(), "lambeth@lambeth.example")
        db.session.commit()
        from cop.agencies.models import Agency

        lambeth_here = db.session.scalar(sa.select(Agency).where(Agency.remote_actor_id == follow.remote_actor_id))
        with pytest.raises(ServiceError):
            following.follow_remote(_user(people["site_admin"]), lambeth_here, "other@other.example")


def test_unfollowing_sends_undo_of_the_follow_and_forgets_it_and_what_arrived_stays(app, people, remote):
    from cop.agencies.models import Agency

    with app.app_context():
        follow = following.follow_remote(_user(people["admin"]), _agency(), "lambeth@lambeth.example")
        db.session.commit()
        follow_uri, remote_actor_id = follow.follow_uri, follow.remote_actor_id
        with pytest.raises(PermissionDenied):
            following.unfollow(_user(people["member"]), following.find_following(_agency(), "lambeth@lambeth.example"))
        following.unfollow(_user(people["admin"]), following.find_following(_agency(), "@Lambeth@lambeth.example"))
        db.session.commit()
        assert following.following_of(_agency()) == []
        assert db.session.scalar(sa.select(Agency).where(Agency.remote_actor_id == remote_actor_id)) is not None
        with pytest.raises(NotFound):
            following.find_following(_agency(), "lambeth@lambeth.example")
    undo = remote.posts[-1]["payload"]
    assert undo["type"] == "Undo" and undo["object"]["id"] == follow_uri and undo["object"]["type"] == "Follow"
    assert remote.posts[-1]["inbox"] == f"{LAMBETH}/inbox"


def test_following_of_lists_every_follow_with_its_actor_in_one_query(app, people, remote):
    from tests.test_queries import counting_queries

    with app.app_context():
        agency = _agency()
        for n in range(5):
            actor = remote_actor(f"https://s{n}.example/users/u{n}")
            db.session.add(Following(agency_id=agency.id, remote_actor_id=actor.id, follow_uri=f"http://cop.test/activities/f{n}"))
        db.session.commit()
        agency = _agency()
        with counting_queries(app) as statements:
            handles = [f.remote_actor.handle for f in following.following_of(agency)]
    assert sorted(handles) == [f"u{n}@s{n}.example" for n in range(5)]
    assert len(statements) == 1


def test_turning_approval_off_approves_those_waiting(app, people, remote):
    from tests.federation.sending import add_follower

    with app.app_context():
        agency = _agency()
        with pytest.raises(PermissionDenied):
            following.set_approves_followers(_user(people["member"]), agency, True)
        following.set_approves_followers(_user(people["admin"]), agency, True)
        waiting = add_follower(agency.id, "https://b.example/users/bea", state="pending")
        db.session.commit()
        approved = following.set_approves_followers(_user(people["admin"]), _agency(), False)
        db.session.commit()
        assert [f.id for f in approved] == [waiting.id]
        assert following.counts(_agency()) == {"followers": 1, "pending": 0, "following": 0}
    assert remote.posts[-1]["payload"]["type"] == "Accept"
