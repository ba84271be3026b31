"""WebFinger, NodeInfo, actor and object documents on the pages' own addresses, and the collections, as another
server asks for them."""

from __future__ import annotations

import importlib.metadata
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from cop.extensions import db as _db
from tests.test_queries import counting_queries

BASE = "http://cop.test"
AP = {"Accept": "application/activity+json"}
LD = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


# ---------------------------------------------------------------- building what the documents show


def _user(user_id: int):
    from cop.accounts.models import User

    return _db.session.get(User, user_id)


@pytest.fixture()
def leeds(make_agency, make_user):
    """Agency "leeds" with an admin and a writer (ids)."""
    make_agency("leeds", name="Leeds City Council")
    return {
        "admin": make_user("admin@leeds.example", role="agency_admin", agency="leeds"),
        "writer": make_user("writer@leeds.example", agency="leeds"),
    }


def _case_study(app, people, title: str, status: str = "published") -> str:
    from cop.casestudies import services

    with app.app_context():
        writer, admin = _user(people["writer"]), _user(people["admin"])
        data = services.CaseStudyInput(
            title=title, summary="What we did.", service_area="libraries", modes=["broadcast"], level="202",
            sections={"challenge": "A **challenge**.", "approach": "An approach.", "results": "Results.", "lessons": "Lessons."},
        )
        case_study = services.create_case_study(writer, data, submit=status != "draft")
        if status in ("published", "archived"):
            services.publish_case_study(admin, case_study)
        if status == "archived":
            services.archive_case_study(admin, case_study)
        _db.session.commit()
        return case_study.slug


def _event(app, people, title: str = "LocalGovCamp") -> str:
    from cop.events import services

    start = (datetime.now() + timedelta(days=10)).replace(hour=10, minute=0, second=0, microsecond=0)
    with app.app_context():
        event = services.create_event(_user(people["writer"]), services.EventInput(
            title=title, kind="unconference", time_zone="Europe/London", starts=start, ends=start + timedelta(hours=6),
            venue_name="Leeds Central Library", description="Come **along**.",
        ))
        _db.session.commit()
        return event.slug


def _remote_actor(uri: str = "https://social.example/users/ann"):
    from cop.federation.models import RemoteActor

    actor = RemoteActor(uri=uri, domain="social.example", preferred_username=uri.rsplit("/", 1)[-1], inbox=f"{uri}/inbox")
    _db.session.add(actor)
    _db.session.flush()
    return actor


def _remote_agency(app, slug: str = "far") -> None:
    """An agency known here through federation (its actor lives on another server)."""
    from cop.agencies.models import Agency

    with app.app_context():
        actor = _remote_actor(f"https://other.example/agencies/{slug}")
        _db.session.add(Agency(slug=slug, name="Far Council", country="GB", level="local", remote_actor_id=actor.id))
        _db.session.commit()


def _make_remote(app, model, slug: str) -> None:
    """Mark a row as received from another server."""
    with app.app_context():
        row = _db.session.scalar(sa.select(model).where(model.slug == slug))
        row.remote_uri = f"https://other.example/things/{slug}"
        _db.session.commit()


def _agency_id(app, slug: str) -> int:
    from cop.agencies.models import Agency

    with app.app_context():
        return _db.session.scalar(sa.select(Agency.id).where(Agency.slug == slug))


def _activities(app, agency_id, count: int, public: bool = True, start: int = 0) -> list[str]:
    """Stored activities as the outbox keeps them, oldest first; their ids."""
    from cop.federation.models import Activity

    ids = []
    with app.app_context():
        for number in range(start, start + count):
            uri = f"{BASE}/activities/{uuid.uuid4()}"
            payload = {"@context": "https://www.w3.org/ns/activitystreams", "id": uri, "type": "Create",
                       "actor": f"{BASE}/agencies/x", "object": {"id": f"{BASE}/case-studies/n{number}", "type": "Article"}}
            _db.session.add(Activity(uri=uri, agency_id=agency_id, activity_type="Create", payload=payload, public=public,
                                     object_uri=f"{BASE}/case-studies/n{number}"))
            ids.append(uri)
        _db.session.commit()
    return ids


# ---------------------------------------------------------------- WebFinger


def test_webfinger_finds_an_agency_by_account_and_by_actor_address(client, leeds):
    for resource in ("acct:leeds@cop.test", "acct:@leeds@cop.test", f"{BASE}/agencies/leeds", f"{BASE}/agencies/leeds/", "LEEDS@COP.TEST"):
        response = client.get("/.well-known/webfinger", query_string={"resource": resource})
        assert response.status_code == 200, resource
        assert response.mimetype == "application/jrd+json"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        jrd = response.get_json()
        assert jrd["subject"] == "acct:leeds@cop.test"
        assert jrd["aliases"] == [f"{BASE}/agencies/leeds"]
        assert {"rel": "self", "type": "application/activity+json", "href": f"{BASE}/agencies/leeds"} in jrd["links"]
        assert {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": f"{BASE}/agencies/leeds"} in jrd["links"]


def test_webfinger_finds_the_instance_actor(client):
    jrd = client.get("/.well-known/webfinger?resource=acct:cop.test@cop.test").get_json()
    assert jrd["subject"] == "acct:cop.test@cop.test"
    assert {"rel": "self", "type": "application/activity+json", "href": f"{BASE}/actor"} in jrd["links"]


@pytest.mark.parametrize("resource", [None, "", "   ", "leeds", "acct:leeds", "acct:@cop.test", "acct:a@b@c", "mailto:x@y"])
def test_webfinger_refuses_a_missing_or_malformed_resource(client, leeds, resource):
    response = client.get("/.well-known/webfinger", query_string={} if resource is None else {"resource": resource})
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]


@pytest.mark.parametrize("resource", [
    "acct:nobody@cop.test", "acct:leeds@elsewhere.example", "acct:far@cop.test", "https://elsewhere.example/agencies/leeds",
    f"{BASE}/agencies/leeds/outbox", f"{BASE}/case-studies/leeds",
])
def test_webfinger_finds_nothing_for_unknown_remote_or_foreign_accounts(app, client, leeds, resource):
    _remote_agency(app, "far")
    response = client.get("/.well-known/webfinger", query_string={"resource": resource})
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# ---------------------------------------------------------------- NodeInfo


def test_nodeinfo_links_to_both_documents(client):
    response = client.get("/.well-known/nodeinfo")
    assert response.status_code == 200
    assert response.get_json() == {"links": [
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": f"{BASE}/nodeinfo/2.1"},
        {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": f"{BASE}/nodeinfo/2.0"},
    ]}


def test_nodeinfo_counts_people_and_local_posts_from_what_is_stored(app, client, leeds, make_user):
    from cop.accounts.models import User, UserSession
    from cop.casestudies.models import CaseStudy
    from cop.clock import utcnow
    from cop.events.models import Event

    recent = make_user("recent@example.org")
    months_ago = make_user("months@example.org")
    make_user("never@example.org")
    make_user("unconfirmed@example.org", verified=False)
    gone = make_user("gone@example.org", is_active=False)
    with app.app_context():
        now = utcnow()
        _db.session.add(UserSession(token_hash="a" * 64, user_id=recent, last_seen_at=now - timedelta(days=2)))
        _db.session.get(User, months_ago).last_login_at = now - timedelta(days=90)
        _db.session.get(User, gone).last_login_at = now
        _db.session.commit()
    _case_study(app, leeds, "Published one")
    _case_study(app, leeds, "A draft", status="draft")
    _case_study(app, leeds, "Received", status="published")
    _make_remote(app, CaseStudy, "received")
    _event(app, leeds, "Here")
    _event(app, leeds, "There")
    _make_remote(app, Event, "there")

    for version in ("2.1", "2.0"):
        response = client.get(f"/nodeinfo/{version}")
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith(
            f'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/{version}#"')
        info = response.get_json()
        assert info["version"] == version
        assert info["software"] == {"name": "cop", "version": importlib.metadata.version("cop")}
        assert info["protocols"] == ["activitypub"]
        assert info["openRegistrations"] is True
        assert info["metadata"]["nodeName"] == app.config["COP_SITE_NAME"]
        # The two agency people, recent, months-ago and never: confirmed and active.
        assert info["usage"]["users"] == {"total": 5, "activeMonth": 1, "activeHalfyear": 2}
        # One published case study and one event listed here; the draft and what came from elsewhere do not count.
        assert info["usage"]["localPosts"] == 2


# ---------------------------------------------------------------- actors on the pages' addresses


def test_an_agency_page_answers_activitypub_clients_with_its_actor(app, client, leeds):
    from cop.federation.models import ActorKey

    for headers in (AP, LD, {"Accept": "application/ld+json"}, {"Accept": "application/activity+json, text/html;q=0.5"}):
        response = client.get("/agencies/leeds", headers=headers)
        assert response.status_code == 200, headers
        assert response.headers["Content-Type"] == "application/activity+json; charset=utf-8"
        assert "Accept" in response.vary
        actor = response.get_json()
        assert actor["id"] == f"{BASE}/agencies/leeds"
        assert actor["type"] == "Group"
    with app.app_context():
        keys = list(_db.session.scalars(sa.select(ActorKey)))
    # One key, made at the first request and kept: every answer shows it.
    assert len(keys) == 1 and keys[0].agency_id == _agency_id(app, "leeds")
    assert actor["publicKey"]["publicKeyPem"] == keys[0].public_key_pem
    assert "BEGIN PUBLIC KEY" in keys[0].public_key_pem


def test_browsers_still_get_the_page_and_are_told_it_varies(client, leeds):
    for headers in (BROWSER, {}, {"Accept": "*/*"}, {"Accept": "text/html, application/activity+json"}):
        response = client.get("/agencies/leeds", headers=headers)
        assert response.status_code == 200
        assert response.mimetype == "text/html", headers
        assert "Accept" in response.vary


def test_head_answers_as_get_does(client, leeds):
    response = client.head("/agencies/leeds", headers=AP)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/activity+json; charset=utf-8"


def test_the_anonymous_page_cache_never_mixes_the_page_and_the_document(app, client, leeds):
    first = client.get("/agencies/leeds", headers=BROWSER)
    document = client.get("/agencies/leeds", headers=AP)
    again = client.get("/agencies/leeds", headers=BROWSER)
    document_again = client.get("/agencies/leeds", headers=AP)

    assert first.mimetype == again.mimetype == "text/html"
    assert again.get_data() == first.get_data() and b"<html" in again.get_data()
    assert again.headers.get("ETag")  # served from the page cache, which keeps pages with an ETag
    for answer in (document, document_again):
        assert answer.headers["Content-Type"] == "application/activity+json; charset=utf-8"
        assert answer.get_json()["id"] == f"{BASE}/agencies/leeds"
        assert "Accept" in answer.vary
    assert "Accept" in again.vary


def test_a_remote_or_unknown_agency_has_no_actor_here(app, client, leeds):
    _remote_agency(app, "far")
    for path in ("/agencies/far", "/agencies/nobody"):
        response = client.get(path, headers=AP)
        assert response.status_code == 404
        assert response.is_json and response.get_json()["error"]["status"] == 404


def test_the_instance_actor(app, client):
    response = client.get("/actor")
    assert response.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    actor = response.get_json()
    assert actor["id"] == f"{BASE}/actor" and actor["type"] == "Application"
    assert client.get("/actor").get_json()["publicKey"] == actor["publicKey"]
    outbox = client.get(actor["outbox"].removeprefix(BASE)).get_json()
    assert outbox["type"] == "OrderedCollection" and outbox["totalItems"] == 0


# ---------------------------------------------------------------- objects on the pages' addresses


def test_a_published_case_study_answers_with_its_article(app, client, leeds):
    slug = _case_study(app, leeds, "Libraries on Instagram")
    response = client.get(f"/case-studies/{slug}", headers=LD)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    assert "Accept" in response.vary
    article = response.get_json()
    assert article["id"] == f"{BASE}/case-studies/{slug}"
    assert article["type"] == "Article" and article["name"] == "Libraries on Instagram"
    assert "<strong>challenge</strong>" in article["content"]
    assert article["attributedTo"] == f"{BASE}/agencies/leeds"
    assert {"type": "Hashtag", "name": "#Libraries", "href": f"{BASE}/case-studies?service_area=libraries"} in article["tag"]
    assert client.get(f"/case-studies/{slug}", headers=BROWSER).mimetype == "text/html"


def test_an_archived_case_study_is_gone_with_a_tombstone(app, client, leeds):
    from cop.casestudies.models import CaseStudy
    from cop.federation.activities import timestamp

    slug = _case_study(app, leeds, "Old news", status="archived")
    response = client.get(f"/case-studies/{slug}", headers=AP)

    assert response.status_code == 410
    assert response.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    with app.app_context():
        archived_at = _db.session.scalar(sa.select(CaseStudy.archived_at).where(CaseStudy.slug == slug))
    assert response.get_json() == {
        "@context": response.get_json()["@context"], "id": f"{BASE}/case-studies/{slug}", "type": "Tombstone",
        "formerType": "Article", "deleted": timestamp(archived_at),
    }


def test_drafts_and_received_case_studies_are_not_documents_here(app, client, leeds):
    from cop.casestudies.models import CaseStudy

    draft = _case_study(app, leeds, "Not yet", status="draft")
    waiting = _case_study(app, leeds, "In review", status="in_review")
    received = _case_study(app, leeds, "From afar")
    _make_remote(app, CaseStudy, received)
    for slug in (draft, waiting, received, "no-such-thing"):
        response = client.get(f"/case-studies/{slug}", headers=AP)
        assert response.status_code == 404, slug
        assert response.is_json


def test_an_event_answers_with_its_event_and_its_calendar_uid(app, client, leeds):
    from cop.events.feeds import event_uid
    from cop.events.models import Event

    slug = _event(app, leeds)
    response = client.get(f"/events/{slug}", headers=AP)

    assert response.status_code == 200
    assert "Accept" in response.vary
    event = response.get_json()
    with app.test_request_context():
        uid = event_uid(_db.session.scalar(sa.select(Event).where(Event.slug == slug)))
    assert event["id"] == f"{BASE}/events/{slug}" and event["type"] == "Event"
    assert event["ical:uid"] == uid
    assert event["location"]["name"] == "Leeds Central Library"
    assert event["timezone"] == "Europe/London"
    _make_remote(app, Event, slug)
    assert client.get(f"/events/{slug}", headers=AP).status_code == 404


# ---------------------------------------------------------------- collections and activities


def test_the_outbox_is_an_ordered_collection_of_public_activities_newest_first(app, client, make_agency):
    agency_id = make_agency("quiet")
    ids = _activities(app, agency_id, 25)
    _activities(app, agency_id, 2, public=False, start=100)

    collection = client.get("/agencies/quiet/outbox")
    assert collection.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    assert collection.get_json() == {
        "@context": "https://www.w3.org/ns/activitystreams", "id": f"{BASE}/agencies/quiet/outbox",
        "type": "OrderedCollection", "totalItems": 25,
        "first": f"{BASE}/agencies/quiet/outbox?page=1", "last": f"{BASE}/agencies/quiet/outbox?page=2",
    }
    first = client.get("/agencies/quiet/outbox?page=1").get_json()
    assert first["type"] == "OrderedCollectionPage" and first["id"] == f"{BASE}/agencies/quiet/outbox?page=1"
    assert first["partOf"] == f"{BASE}/agencies/quiet/outbox"
    assert [item["id"] for item in first["orderedItems"]] == ids[::-1][:20]
    assert all("@context" not in item for item in first["orderedItems"])
    assert first["next"] == f"{BASE}/agencies/quiet/outbox?page=2" and "prev" not in first
    second = client.get("/agencies/quiet/outbox?page=2").get_json()
    assert [item["id"] for item in second["orderedItems"]] == ids[::-1][20:]
    assert second["prev"] == f"{BASE}/agencies/quiet/outbox?page=1" and "next" not in second


def test_an_empty_outbox_has_one_empty_page(client, make_agency):
    make_agency("quiet")
    assert client.get("/agencies/quiet/outbox").get_json()["last"] == f"{BASE}/agencies/quiet/outbox?page=1"
    page = client.get("/agencies/quiet/outbox?page=1")
    assert page.status_code == 200 and page.get_json()["orderedItems"] == []


@pytest.mark.parametrize(("page", "status"), [("3", 404), ("99999999999999999999999", 404), ("0", 400), ("-1", 400),
                                              ("abc", 400), ("1.5", 400), ("", 400), ("²", 400)])
def test_collection_pages_past_the_last_or_not_numbers_are_refused(app, client, make_agency, page, status):
    agency_id = make_agency("quiet")
    _activities(app, agency_id, 21)
    for collection in ("outbox", "followers", "following"):
        response = client.get(f"/agencies/quiet/{collection}", query_string={"page": page})
        assert response.status_code == status, (collection, page)
        assert response.is_json


def test_followers_and_following_list_accepted_actors_only(app, client, make_agency):
    from cop.federation.models import Follower, Following

    agency_id = make_agency("quiet")
    with app.app_context():
        ann, bob, cat = (_remote_actor(f"https://social.example/users/{name}") for name in ("ann", "bob", "cat"))
        york = _remote_actor("https://other.example/agencies/york")
        hull = _remote_actor("https://other.example/agencies/hull")
        for actor, state in ((ann, "accepted"), (bob, "pending"), (cat, "accepted")):
            _db.session.add(Follower(agency_id=agency_id, remote_actor_id=actor.id, follow_uri=f"{actor.uri}#follow",
                                     follow_activity={"type": "Follow"}, state=state))
        for actor, state in ((york, "accepted"), (hull, "rejected")):
            _db.session.add(Following(agency_id=agency_id, remote_actor_id=actor.id, follow_uri=f"{BASE}/activities/{actor.id}",
                                      state=state))
        _db.session.commit()

    followers = client.get("/agencies/quiet/followers").get_json()
    assert followers["type"] == "OrderedCollection" and followers["totalItems"] == 2
    assert client.get("/agencies/quiet/followers?page=1").get_json()["orderedItems"] == [
        "https://social.example/users/cat", "https://social.example/users/ann"]
    following = client.get("/agencies/quiet/following").get_json()
    assert following["totalItems"] == 1
    assert client.get("/agencies/quiet/following?page=1").get_json()["orderedItems"] == ["https://other.example/agencies/york"]
    assert client.get("/agencies/quiet/followers?page=2").status_code == 404


def test_collections_of_remote_or_unknown_agencies_are_not_found(app, client):
    _remote_agency(app, "far")
    for path in ("/agencies/far/outbox", "/agencies/far/followers", "/agencies/nobody/following"):
        assert client.get(path).status_code == 404


def test_a_stored_public_activity_is_served_at_its_id(app, client, make_agency):
    agency_id = make_agency("quiet")
    [public] = _activities(app, agency_id, 1)
    [private] = _activities(app, agency_id, 1, public=False)

    response = client.get(public.removeprefix(BASE))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    assert response.get_json()["id"] == public and response.get_json()["type"] == "Create"
    assert response.get_json()["@context"][0] == "https://www.w3.org/ns/activitystreams"
    for path in (private.removeprefix(BASE), f"/activities/{uuid.uuid4()}", "/activities/not-a-uuid"):
        assert client.get(path).status_code == 404


def test_an_outbox_page_takes_the_same_number_of_queries_for_few_or_many_activities(app, client, make_agency):
    agency_id = make_agency("quiet")

    def queries(path: str) -> int:
        with counting_queries(app) as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    _activities(app, agency_id, 2)
    few = queries("/agencies/quiet/outbox?page=1"), queries("/agencies/quiet/outbox")
    _activities(app, agency_id, 38)
    many = queries("/agencies/quiet/outbox?page=1"), queries("/agencies/quiet/outbox")
    assert many == few
