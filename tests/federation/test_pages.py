"""The federation pages: an agency's (its handle for everyone; followers and follows for its admins) and the site
admins' (failed deliveries, what waits, blocked servers, received activities that failed)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.extensions import db
from cop.federation import client
from cop.federation.models import Activity, BlockedDomain, Delivery, Follower, Following, InboxItem
from tests.federation.sending import PostRecorder, add_follower, remote_actor
from tests.test_queries import counting_queries

LAMBETH = "https://lambeth.example/agencies/lambeth"


@pytest.fixture()
def remote(monkeypatch) -> PostRecorder:
    posted = PostRecorder()
    monkeypatch.setattr(client, "resolve_handle", lambda handle: LAMBETH)
    monkeypatch.setattr(client, "get_actor", lambda uri, refresh=False: remote_actor(uri, username="lambeth"))
    monkeypatch.setattr(client, "post_activity", posted)
    return posted


@pytest.fixture()
def home(app, make_agency, make_user):
    agency_id = make_agency("home", domains=["home.example"])
    make_agency("away", domains=["away.example"])
    return {"agency": agency_id, "admin": make_user("admin@home.example", role="agency_admin", agency="home"),
            "away_admin": make_user("admin@away.example", role="agency_admin", agency="away"),
            "site_admin": make_user("root@example.org", role="site_admin")}


def test_everyone_sees_the_agencys_handle_and_counts_but_not_its_followers(app, client, home):
    with app.app_context():
        add_follower(home["agency"], "https://a.example/users/ann")
        db.session.commit()
    page = client.get("/agencies/home/federation")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "home@cop.test" in text and "http://cop.test/agencies/home" in text
    assert "ann@a.example" not in text and "Follow an agency on another server" not in text
    agency_page = client.get("/agencies/home").get_data(as_text=True)
    assert "home@cop.test" in agency_page and "/agencies/home/federation" in agency_page


def test_an_unknown_agency_has_no_federation_page(client):
    assert client.get("/agencies/nowhere/federation").status_code == 404


def test_its_admin_sees_followers_those_waiting_and_follows(app, client, home, sign_in):
    with app.app_context():
        add_follower(home["agency"], "https://a.example/users/ann")
        add_follower(home["agency"], "https://b.example/users/bea", state="pending")
        actor = remote_actor(LAMBETH, username="lambeth")
        db.session.add(Following(agency_id=home["agency"], remote_actor_id=actor.id, follow_uri="http://cop.test/activities/f"))
        db.session.commit()
    sign_in(home["admin"])
    text = client.get("/agencies/home/federation").get_data(as_text=True)
    assert "ann@a.example" in text and "bea@b.example" in text and "lambeth@lambeth.example" in text
    assert "Approve" in text and "Unfollow" in text and "Follow an agency on another server" in text


def test_following_from_the_page_and_a_refusal_shown_on_it(app, client, home, sign_in, remote):
    sign_in(home["admin"])
    refused = client.post("/agencies/home/federation/follow", data={"handle": "not a handle"})
    assert refused.status_code == 400
    assert "That is not a handle" in refused.get_data(as_text=True)
    empty = client.post("/agencies/home/federation/follow", data={"handle": ""})
    assert empty.status_code == 400 and "Enter the handle" in empty.get_data(as_text=True)

    done = client.post("/agencies/home/federation/follow", data={"handle": "lambeth@lambeth.example"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/agencies/home/federation")
    assert "asked to follow lambeth@lambeth.example" in client.get("/agencies/home/federation").get_data(as_text=True)
    again = client.post("/agencies/home/federation/follow", data={"handle": "lambeth@lambeth.example"})
    assert again.status_code == 409 and "already follows" in again.get_data(as_text=True)

    with app.app_context():
        follow_id = db.session.scalar(sa.select(Following.id))
    gone = client.post("/agencies/home/federation/unfollow", data={"following": str(follow_id)})
    assert gone.status_code == 302
    assert "No longer following lambeth@lambeth.example" in client.get("/agencies/home/federation").get_data(as_text=True)
    assert [p["payload"]["type"] for p in remote.posts] == ["Follow", "Undo"]


def test_another_agencys_admin_is_refused_every_form(app, client, home, sign_in, remote):
    sign_in(home["away_admin"])
    for path, data in [("follow", {"handle": "lambeth@lambeth.example"}), ("unfollow", {"following": "1"}),
                       ("followers", {"follower": "1", "decision": "approve"}), ("settings", {"approves_followers": "y"})]:
        assert client.post(f"/agencies/home/federation/{path}", data=data).status_code == 403
    assert remote.posts == []


def test_approving_refusing_and_removing_followers(app, client, home, sign_in, remote):
    with app.app_context():
        waiting = add_follower(home["agency"], "https://a.example/users/ann", state="pending").id
        refused = add_follower(home["agency"], "https://b.example/users/bea", state="pending").id
        db.session.commit()
    sign_in(home["admin"])
    client.post("/agencies/home/federation/followers", data={"follower": str(waiting), "decision": "approve"})
    assert "ann@a.example now follows Home" in client.get("/agencies/home/federation").get_data(as_text=True)
    client.post("/agencies/home/federation/followers", data={"follower": str(refused), "decision": "refuse"})
    client.post("/agencies/home/federation/followers", data={"follower": str(waiting), "decision": "remove"})
    bad = client.post("/agencies/home/federation/followers", data={"follower": str(waiting), "decision": "approve"})
    assert bad.status_code == 302
    assert "That follower is not there any more" in client.get("/agencies/home/federation").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Follower)) == 0
    assert [p["payload"]["type"] for p in remote.posts] == ["Accept", "Reject", "Reject"]


def test_the_approval_setting(app, client, home, sign_in):
    from cop.agencies.models import Agency

    sign_in(home["admin"])
    client.post("/agencies/home/federation/settings", data={"approves_followers": "y"})
    with app.app_context():
        assert db.session.get(Agency, home["agency"]).approves_followers is True
    client.post("/agencies/home/federation/settings", data={})
    with app.app_context():
        assert db.session.get(Agency, home["agency"]).approves_followers is False


def _failed_delivery(agency_id: int, n: int) -> None:
    activity = Activity(uri=f"http://cop.test/activities/{n}", agency_id=agency_id, activity_type="Create",
                        object_uri=f"http://cop.test/case-studies/c{n}", payload={"id": n})
    db.session.add(activity)
    db.session.flush()
    db.session.add(Delivery(activity_id=activity.id, inbox=f"https://h{n}.example/inbox", domain=f"h{n}.example", status="failed",
                            attempts=8, last_status=503, last_error=f"The server answered 503 ({n})."))
    db.session.add(Delivery(activity_id=activity.id, inbox=f"https://w{n % 3}.example/inbox", domain=f"w{n % 3}.example"))


def test_site_admins_see_failed_deliveries_and_what_waits_and_try_one_again(app, client, home, sign_in, remote):
    with app.app_context():
        _failed_delivery(home["agency"], 1)
        db.session.commit()
        delivery_id = db.session.scalar(sa.select(Delivery.id).where(Delivery.status == "failed"))
    sign_in(home["site_admin"])
    text = client.get("/admin/federation").get_data(as_text=True)
    assert "https://h1.example/inbox" in text and "The server answered 503 (1)." in text and "Try again" in text
    assert "w1.example" in text
    assert "/admin/federation" in client.get("/admin").get_data(as_text=True)
    client.post("/admin/federation/retry", data={"delivery": str(delivery_id)})
    assert "queued again" in client.get("/admin/federation").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Delivery, delivery_id).status == "delivered"
    assert remote.posts[0]["inbox"] == "https://h1.example/inbox"


def test_site_admins_block_and_unblock_servers(app, client, home, sign_in):
    sign_in(home["site_admin"])
    bad = client.post("/admin/federation/blocks", data={"domain": "not a domain!", "reason": ""})
    assert bad.status_code == 400 and "is not a valid domain" in bad.get_data(as_text=True)
    assert client.post("/admin/federation/blocks", data={"domain": "spam.example", "reason": "Spam"}).status_code == 302
    text = client.get("/admin/federation/blocks").get_data(as_text=True)
    assert "spam.example is blocked" in text and "Spam" in text
    assert client.post("/admin/federation/blocks", data={"domain": "spam.example"}).status_code == 409
    with app.app_context():
        block_id = db.session.scalar(sa.select(BlockedDomain.id))
    client.post("/admin/federation/unblock", data={"block": str(block_id)})
    assert "spam.example is no longer blocked" in client.get("/admin/federation/blocks").get_data(as_text=True)


def test_site_admins_see_received_activities_that_failed(app, client, home, sign_in):
    with app.app_context():
        db.session.add(InboxItem(activity_uri="https://a.example/x", activity_type="Create", actor_uri="https://a.example/users/ann",
                                 payload={}, status="failed", error="The object could not be fetched."))
        db.session.add(InboxItem(activity_uri="https://a.example/y", activity_type="Like", actor_uri="https://a.example/users/ann",
                                 payload={}, status="processed"))
        db.session.commit()
    sign_in(home["site_admin"])
    text = client.get("/admin/federation/inbox").get_data(as_text=True)
    assert "The object could not be fetched." in text and "https://a.example/y" not in text


@pytest.mark.parametrize("path", ["/agencies/home/federation", "/admin/federation", "/admin/federation/blocks", "/admin/federation/inbox"])
def test_the_lists_take_the_same_number_of_queries_for_few_or_many_rows(app, client, home, sign_in, path):
    from cop.cache import content_changed

    sign_in(home["site_admin"])

    def add(start: int, stop: int) -> None:
        with app.app_context():
            for n in range(start, stop):
                add_follower(home["agency"], f"https://f{n}.example/users/u{n}", state="accepted" if n % 2 else "pending")
                actor = remote_actor(f"https://g{n}.example/users/g{n}")
                db.session.add(Following(agency_id=home["agency"], remote_actor_id=actor.id, follow_uri=f"http://cop.test/activities/f{n}"))
                _failed_delivery(home["agency"], n)
                db.session.add(BlockedDomain(domain=f"b{n}.example", reason="Spam"))
                db.session.add(InboxItem(activity_uri=f"https://a.example/{n}", activity_type="Create", actor_uri="https://a.example/u",
                                         payload={}, status="failed", error="No."))
            db.session.commit()

    def count() -> int:
        with app.app_context():
            content_changed()
        with counting_queries(app) as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    add(0, 2)
    few = count()
    add(2, 15)
    assert count() == few
