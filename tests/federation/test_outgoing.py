"""Sending activities: one delivery per inbox (a server's shared inbox once), none to blocked servers, nothing
twice; and what the content domains' signals send."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from cop.extensions import db
from cop.federation import outgoing
from cop.federation.models import Activity, BlockedDomain, Delivery
from tests.federation.sending import PostRecorder, add_follower
from tests.test_queries import counting_queries


@pytest.fixture()
def recorder(monkeypatch) -> PostRecorder:
    """Deliveries are made (eagerly, after commit) to this stand-in instead of the network."""
    from cop.federation import client

    posted = PostRecorder()
    monkeypatch.setattr(client, "post_activity", posted)
    return posted


def _agency(slug: str = "home"):
    from cop.agencies.models import Agency

    return db.session.scalars(sa.select(Agency).where(Agency.slug == slug)).one()


def _payload(kind: str = "Create") -> dict:
    return {"id": "http://cop.test/activities/one", "type": kind, "actor": "http://cop.test/agencies/home",
            "object": {"id": "http://cop.test/case-studies/x", "type": "Article"}}


def test_an_activity_goes_once_to_each_inbox_and_a_shared_inbox_once_for_all_its_servers_actors(app, make_agency, recorder):
    agency_id = make_agency("home")
    with app.app_context():
        add_follower(agency_id, "https://a.example/users/ann", shared_inbox="https://a.example/inbox")
        add_follower(agency_id, "https://a.example/users/bob", shared_inbox="https://a.example/inbox")
        add_follower(agency_id, "https://b.example/users/cat")
        add_follower(agency_id, "https://c.example/users/dan", state="pending")
        db.session.commit()
        inboxes = outgoing.follower_inboxes(_agency())
        assert inboxes == ["https://a.example/inbox", "https://b.example/users/cat/inbox"]
        activity = outgoing.send_activity(_agency(), _payload(), inboxes)
        db.session.commit()
        assert activity.uri == "http://cop.test/activities/one" and activity.object_uri == "http://cop.test/case-studies/x"

    assert sorted(p["inbox"] for p in recorder.posts) == ["https://a.example/inbox", "https://b.example/users/cat/inbox"]
    assert {p["key_id"] for p in recorder.posts} == {"http://cop.test/agencies/home#main-key"}
    with app.app_context():
        deliveries = list(db.session.scalars(sa.select(Delivery).order_by(Delivery.inbox)))
        assert [(d.domain, d.status, d.attempts) for d in deliveries] == [("a.example", "delivered", 1), ("b.example", "delivered", 1)]


def test_the_same_activity_sent_again_adds_no_rows_and_sends_nothing_more(app, make_agency, recorder):
    agency_id = make_agency("home")
    with app.app_context():
        add_follower(agency_id, "https://a.example/users/ann")
        db.session.commit()
        for _ in range(2):
            outgoing.send_activity(_agency(), _payload(), outgoing.follower_inboxes(_agency()) * 2)
            db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 1
    assert len(recorder.posts) == 1


def test_a_blocked_server_gets_no_delivery_and_its_subdomains_none_either(app, make_agency, recorder):
    agency_id = make_agency("home")
    with app.app_context():
        add_follower(agency_id, "https://a.example/users/ann")
        add_follower(agency_id, "https://social.blocked.example/users/eve")
        add_follower(agency_id, "https://blocked.example:8443/users/mal")
        db.session.add(BlockedDomain(domain="blocked.example", reason="Spam"))
        db.session.commit()
        outgoing.send_activity(_agency(), _payload(), outgoing.follower_inboxes(_agency()))
        db.session.commit()
        assert list(db.session.scalars(sa.select(Delivery.domain))) == ["a.example"]
    assert [p["inbox"] for p in recorder.posts] == ["https://a.example/users/ann/inbox"]


def test_an_activity_is_recorded_for_the_outbox_even_without_followers(app, make_agency, recorder):
    make_agency("home")
    with app.app_context():
        outgoing.send_activity(_agency(), _payload(), [])
        db.session.commit()
        assert db.session.scalar(sa.select(Activity.public)) is True
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0
    assert recorder.posts == []


def test_the_instance_actor_signs_what_it_sends(app, recorder):
    with app.app_context():
        activity = outgoing.send_activity(None, {**_payload("Follow"), "object": "https://a.example/users/ann"},
                                          ["https://a.example/inbox"], public=False)
        db.session.commit()
        assert activity.agency_id is None and activity.public is False and activity.object_uri == "https://a.example/users/ann"
    assert recorder.posts[0]["key_id"] == "http://cop.test/actor#main-key"


def test_follower_inboxes_is_one_query_for_a_thousand_followers_on_fifty_servers(app, make_agency):
    agency_id = make_agency("home")
    with app.app_context():
        for n in range(1000):
            host = f"host{n % 50}.example"
            add_follower(agency_id, f"https://{host}/users/u{n}", shared_inbox=f"https://{host}/inbox")
        db.session.commit()
        agency = _agency()
        with counting_queries(app) as statements:
            inboxes = outgoing.follower_inboxes(agency)
    assert len(inboxes) == 50 and len(set(inboxes)) == 50
    assert len(statements) == 1


# ---------------------------------------------------------------- what the content domains' signals send


@pytest.fixture()
def people(app, make_agency, make_user):
    agency_id = make_agency("home", domains=["home.example"])
    ids = {"admin": make_user("admin@home.example", role="agency_admin", agency="home"),
           "member": make_user("member@home.example", agency="home")}
    with app.app_context():
        add_follower(agency_id, "https://a.example/users/ann", shared_inbox="https://a.example/inbox")
        db.session.commit()
    return ids


def _user(user_id: int):
    from cop.accounts.models import User

    return db.session.get(User, user_id)


def _outbox() -> list[Activity]:
    return list(db.session.scalars(sa.select(Activity).order_by(Activity.id)))


def test_publishing_updating_and_archiving_a_case_study_send_create_update_and_delete(app, people, recorder):
    from cop.casestudies import services

    with app.app_context():
        data = services.CaseStudyInput(
            title="Bins by text", summary="What we did.", service_area="libraries", modes=["broadcast"], level="202",
            sections={"challenge": "A challenge.", "approach": "An approach.", "results": "Results.", "lessons": "Lessons."},
        )
        case_study = services.create_case_study(_user(people["member"]), data, submit=True)
        db.session.commit()
        assert _outbox() == [], "a draft is nobody's business but its agency's"
        services.publish_case_study(_user(people["admin"]), case_study)
        db.session.commit()
        services.update_case_study(_user(people["member"]), case_study, services.CaseStudyInput(summary="What we did, and why."))
        db.session.commit()
        services.archive_case_study(_user(people["admin"]), case_study)
        db.session.commit()
        uri = f"http://cop.test/case-studies/{case_study.slug}"
        sent = [(a.activity_type, a.object_uri, a.public) for a in _outbox()]
    assert sent == [("Create", uri, True), ("Update", uri, True), ("Delete", uri, True)]
    create, update, delete = (p["payload"] for p in recorder.posts)
    assert create["object"]["type"] == "Article" and create["object"]["name"] == "Bins by text"
    assert create["actor"] == "http://cop.test/agencies/home"
    assert "What we did, and why." in update["object"]["summary"]
    assert delete["object"]["type"] == "Tombstone" and delete["object"]["id"] == uri
    assert {p["inbox"] for p in recorder.posts} == {"https://a.example/inbox"}


def test_listing_changing_and_cancelling_an_event_send_create_update_and_a_cancelled_update(app, people, recorder):
    from cop.events import services

    with app.app_context():
        start = (datetime.now() + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
        event = services.create_event(_user(people["member"]), services.EventInput(
            title="Surgery", kind="surgery", time_zone="Europe/London", starts=start, ends=start + timedelta(hours=2),
            venue_name="Library",
        ))
        db.session.commit()
        services.update_event(_user(people["member"]), event, services.EventInput(title="Social media surgery"))
        db.session.commit()
        services.change_status(_user(people["member"]), event, "cancelled", "The library is closed.")
        db.session.commit()
        sent = [(a.activity_type, a.object_uri) for a in _outbox()]
        uri = f"http://cop.test/events/{event.slug}"
    assert sent == [("Create", uri), ("Update", uri), ("Update", uri)]
    create, update, cancel = (p["payload"] for p in recorder.posts)
    assert create["object"]["type"] == "Event" and create["object"]["name"] == "Surgery"
    assert update["object"]["name"] == "Social media surgery"
    assert cancel["object"]["ical:status"] == "CANCELLED"
    assert update["object"]["ical:status"] != "CANCELLED"


def test_what_arrived_from_another_server_is_not_sent_on(app, people, recorder):
    from cop import signals
    from cop.casestudies.models import CaseStudy

    with app.app_context():
        remote = CaseStudy(title="From afar", slug="from-afar", agency_id=_agency().id, status="published",
                           remote_uri="https://a.example/articles/1")
        db.session.add(remote)
        db.session.flush()
        signals.case_study_published.send(remote)
        signals.case_study_updated.send(remote)
        db.session.commit()
        assert _outbox() == []
    assert recorder.posts == []
