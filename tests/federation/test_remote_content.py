"""Remote content: actors as agencies, Articles as case studies, Events as events; listed, searched, in feeds, never
changed here."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import icalendar
import pytest
import sqlalchemy as sa

from cop.agencies.models import Agency
from cop.casestudies.models import CaseStudy
from cop.errors import PermissionDenied, ServiceError
from cop.events.models import Event
from cop.extensions import db as _db
from cop.federation import remote_content
from cop.federation.models import RemoteActor
from cop.text.models import SearchEntry, Topic

SOON = (datetime.now(timezone.utc) + timedelta(days=20)).replace(hour=16, minute=0, second=0, microsecond=0)


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def remote_actor(uri: str = "https://mobilizon.example/@digital_team", **fields) -> RemoteActor:
    """A remote actor's row, as the client stores it after fetching its document."""
    domain = uri.split("/")[2]
    values = dict(uri=uri, domain=domain, actor_type="Group", preferred_username=uri.rsplit("/", 1)[-1].lstrip("@"),
                  name="Digital Team", summary="<p>We run <b>digital</b> services.</p><script>alert(1)</script>",
                  url=uri, inbox=f"{uri}/inbox", shared_inbox=f"https://{domain}/inbox", key_id=f"{uri}#main-key",
                  public_key_pem="")
    values.update(fields)
    actor = RemoteActor(**values)
    _db.session.add(actor)
    _db.session.flush()
    return actor


def article(uri: str = "https://mobilizon.example/articles/flood-alerts", **fields) -> dict:
    """An Article as cop sends one."""
    return {
        "id": uri, "type": "Article", "name": "Flood alerts by text message",
        "summary": "<p>How a council warned 40,000 households.</p>",
        "content": "<h2>The challenge</h2><p>Rivers rose <em>fast</em>; sirens reached nobody in the hills.</p>",
        "url": uri, "attributedTo": "https://mobilizon.example/@digital_team",
        "published": "2025-03-01T09:00:00Z", "updated": "2025-03-02T10:30:00Z",
        "tag": [{"type": "Hashtag", "name": "#SocialMedia", "href": "https://mobilizon.example/tags/socialmedia"}],
        **fields,
    }


def mobilizon_event(uri: str = "https://mobilizon.example/events/6c8d1e", **fields) -> dict:
    """An Event as Mobilizon sends one."""
    return {
        "id": uri, "type": "Event", "name": "Govcamp North", "content": "<p>An <strong>unconference</strong> for people in public service.</p>",
        "mediaType": "text/html", "startTime": SOON.isoformat(), "endTime": (SOON + timedelta(hours=7)).isoformat(),
        "timezone": "Europe/London", "category": "NETWORKING", "ical:status": "CONFIRMED",
        "uid": "6c8d1e@mobilizon.example", "url": uri, "maximumAttendeeCapacity": 120, "joinMode": "free",
        "isOnline": False,
        "location": {"type": "Place", "name": "Civic Hall", "latitude": 53.8, "longitude": -1.55,
                     "address": {"type": "PostalAddress", "streetAddress": "1 Park Row", "addressLocality": "Leeds",
                                 "postalCode": "LS1 5HD", "addressCountry": "GB"}},
        "attachment": [{"type": "Link", "name": "Website", "mediaType": "text/html", "href": "https://meet.example/govcamp"}],
        "attributedTo": "https://mobilizon.example/@digital_team",
        **fields,
    }


@pytest.fixture()
def actor(db):
    made = remote_actor()
    db.session.commit()
    return made


# ---------------------------------------------------------------- agencies


def test_a_remote_actor_becomes_one_agency_with_a_handle_slug_and_its_summary_as_text(db, actor):
    agency = remote_content.ensure_remote_agency(actor)
    again = remote_content.ensure_remote_agency(actor)
    db.session.commit()
    assert again.id == agency.id
    assert agency.slug == "digital_team@mobilizon.example" and agency.is_remote and agency.origin == "mobilizon.example"
    assert agency.name == "Digital Team" and agency.description == "We run digital services."
    assert agency.website == actor.uri and agency.country == "" and agency.level == ""
    assert db.session.scalar(sa.select(sa.func.count(Agency.id))) == 1


def test_agency_slugs_stay_unique_url_safe_and_within_80_characters(db):
    # As long as the actor's own columns allow.
    long_name = remote_actor("https://a.example/users/" + "x" * 300, preferred_username="Ü" + "x" * 199, name="N" * 300)
    first = remote_content.ensure_remote_agency(long_name)
    # Another server's actor that would get the same slug gets one of its own.
    twin = remote_actor("https://a.example/groups/twin", preferred_username=long_name.preferred_username, name="  Twin <b>Team</b> ")
    second = remote_content.ensure_remote_agency(twin)
    db.session.commit()
    for agency in (first, second):
        assert len(agency.slug) <= 80 and agency.slug.endswith("@a.example")
        assert all(c.isascii() and (c.isalnum() or c in "._-@:") for c in agency.slug)
    assert first.slug != second.slug
    assert len(first.name) == 200 and second.name == "Twin Team"


def test_an_actor_update_refreshes_its_agency(db, actor):
    agency = remote_content.ensure_remote_agency(actor)
    actor.name, actor.summary = "Digital Services Team", "<p>New words</p>"
    assert remote_content.refresh_remote_agency(actor).id == agency.id
    db.session.commit()
    assert (agency.name, agency.description) == ("Digital Services Team", "New words")
    stranger = remote_actor("https://elsewhere.example/@x")
    assert remote_content.refresh_remote_agency(stranger) is None


# ---------------------------------------------------------------- case studies


def test_an_article_is_stored_as_a_published_case_study_with_sanitised_content(db, actor):
    db.session.add(Topic(slug="social-media", name="Social media", group="channel"))
    case_study = remote_content.store_case_study(actor, article(
        content='<p onclick="steal()">Rivers rose.</p><script>alert("x")</script><a href="javascript:alert(1)">bad</a><img src=x onerror=alert(1)>'))
    db.session.commit()
    assert case_study.status == "published" and case_study.is_remote and case_study.origin == "mobilizon.example"
    assert case_study.agency.remote_actor_id == actor.id
    assert case_study.title == "Flood alerts by text message" and case_study.summary == "How a council warned 40,000 households."
    assert case_study.published_at == datetime(2025, 3, 1, 9, tzinfo=timezone.utc)
    assert case_study.updated_at == datetime(2025, 3, 2, 10, 30, tzinfo=timezone.utc)
    assert "Rivers rose." in case_study.remote_content
    for hostile in ("script", "onclick", "javascript:", "onerror", "<img"):
        assert hostile not in case_study.remote_content
    assert case_study.remote_url == "https://mobilizon.example/articles/flood-alerts"
    assert [t.slug for t in case_study.topics] == ["social-media"]
    assert case_study.slug.startswith("flood-alerts-by-text-message-") and len(case_study.slug) <= 100


def test_storing_an_article_again_updates_the_same_case_study(db, actor):
    first = remote_content.store_case_study(actor, article())
    second = remote_content.store_case_study(actor, article(name="Flood alerts, a year on", content="<p>Still working.</p>"))
    db.session.commit()
    assert first.id == second.id and second.slug == first.slug
    assert second.title == "Flood alerts, a year on" and "Still working." in second.remote_content
    assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 1


def test_an_article_takes_the_first_html_link_of_a_url_list(db, actor):
    case_study = remote_content.store_case_study(actor, article(url=[
        {"type": "Link", "mediaType": "application/activity+json", "href": "https://mobilizon.example/ap/1"},
        {"type": "Link", "mediaType": "text/html", "href": "https://mobilizon.example/read/1"},
    ]))
    assert case_study.remote_url == "https://mobilizon.example/read/1"
    other = remote_content.store_case_study(actor, article("https://mobilizon.example/articles/2", url="javascript:alert(1)"))
    assert other.remote_url == "https://mobilizon.example/articles/2"


def test_hostile_articles_are_cut_to_their_columns_and_lose_nul_bytes(db, actor):
    case_study = remote_content.store_case_study(actor, article(
        name="Nul\x00" + "n" * 10_000, summary="s\x00" * 10_000, content="<p>\x00text</p>", published="not a date",
        updated="9999-99-99", tag={"type": "Hashtag", "name": "#" + "z" * 5000}))
    db.session.commit()
    assert len(case_study.title) == 150 and "\x00" not in case_study.title
    assert len(case_study.summary) == 300 and "\x00" not in case_study.summary
    assert "\x00" not in case_study.remote_content and "text" in case_study.remote_content
    assert case_study.published_at is not None and case_study.topics == []


def test_an_object_from_another_server_or_without_an_id_is_refused(db, actor):
    with pytest.raises(ServiceError, match="not on mobilizon.example"):
        remote_content.store_case_study(actor, article("https://evil.example/articles/1"))
    with pytest.raises(ServiceError, match="no id"):
        remote_content.store_case_study(actor, article(id=None))
    with pytest.raises(ServiceError):
        remote_content.store_event(actor, "not an object")


def test_another_actor_on_the_same_server_cannot_overwrite_or_delete_it(db, actor):
    remote_content.store_case_study(actor, article())
    neighbour = remote_actor("https://mobilizon.example/@neighbour")
    with pytest.raises(PermissionDenied):
        remote_content.store_case_study(neighbour, article(name="Taken over"))
    assert remote_content.delete_object(neighbour, article()["id"]) is False
    assert db.session.scalar(sa.select(CaseStudy.title)) == "Flood alerts by text message"


def test_a_remote_case_study_is_listed_searched_in_the_atom_feed_and_shows_its_origin(app, client, db, actor):
    case_study = remote_content.store_case_study(actor, article())
    db.session.commit()
    slug = case_study.slug
    listing = client.get("/case-studies").get_data(as_text=True)
    assert f'href="/case-studies/{slug}"' in listing and "Digital Team on mobilizon.example" in listing
    # Words only in the remote content are found.
    found = client.get("/case-studies?q=sirens").get_data(as_text=True)
    assert f'href="/case-studies/{slug}"' in found
    assert slug in client.get("/case-studies/feed.atom").get_data(as_text=True)
    page = client.get(f"/case-studies/{slug}").get_data(as_text=True)
    assert "Published by Digital Team on mobilizon.example" in page
    assert 'href="https://mobilizon.example/articles/flood-alerts"' in page and "sirens reached nobody" in page
    assert "Licence" not in page and "Author" not in page
    printed = client.get(f"/case-studies/{slug}/print").get_data(as_text=True)
    assert "sirens reached nobody" in printed and "Digital Team on mobilizon.example" in printed
    assert client.get(f"/case-studies/{slug}/revisions").status_code == 404
    assert client.get(f"/case-studies/{slug}/changes").status_code == 404


def test_nobody_here_can_change_a_remote_case_study(app, client, db, actor, make_user, sign_in):
    from cop.accounts.models import User
    from cop.casestudies import services

    case_study = remote_content.store_case_study(actor, article())
    db.session.commit()
    slug, case_study_id = case_study.slug, case_study.id
    admin_id = make_user(role="site_admin")
    admin = db.session.get(User, admin_id)
    case_study = db.session.get(CaseStudy, case_study_id)
    assert services.permissions(admin, case_study) == services.Permissions(False, False, False, False, False)
    for step in (services.archive_case_study, services.submit_for_review, services.publish_case_study,
                 services.restore_case_study, services.delete_draft):
        with pytest.raises(PermissionDenied, match="published on mobilizon.example; it can only be changed there"):
            step(admin, case_study)
    with pytest.raises(PermissionDenied, match="only be changed there"):
        services.update_case_study(admin, case_study, services.CaseStudyInput(title="Mine now"))
    with pytest.raises(PermissionDenied):
        services.change_status(admin, case_study, "archived")
    db.session.rollback()
    sign_in(admin_id)
    assert client.get(f"/case-studies/{slug}/edit").status_code == 403
    for action in ("archive", "publish", "submit", "delete"):
        assert client.post(f"/case-studies/{slug}/{action}").status_code == 403
    assert db.session.scalar(sa.select(CaseStudy.status).where(CaseStudy.id == case_study_id)) == "published"


def test_delete_removes_the_case_study_and_its_search_entry(db, actor):
    case_study = remote_content.store_case_study(actor, article())
    db.session.commit()
    case_study_id = case_study.id
    assert remote_content.delete_object(actor, article()["id"]) is True
    db.session.commit()
    assert db.session.get(CaseStudy, case_study_id) is None
    assert db.session.scalar(sa.select(SearchEntry.id).where(SearchEntry.kind == "case_study")) is None
    assert remote_content.delete_object(actor, article()["id"]) is False


# ---------------------------------------------------------------- events


def test_a_mobilizon_event_is_stored_with_its_place_link_capacity_and_uid(db, actor):
    event = remote_content.store_event(actor, mobilizon_event())
    db.session.commit()
    assert event.is_remote and event.origin == "mobilizon.example" and event.agency.remote_actor_id == actor.id
    assert event.title == "Govcamp North" and event.description == "An unconference for people in public service."
    assert event.kind == "meetup" and event.status == "scheduled" and event.sequence == 0
    assert event.starts_at == SOON and event.ends_at == SOON + timedelta(hours=7) and event.series_ends_at == event.ends_at
    assert event.time_zone == "Europe/London" and not event.registration_open
    assert (event.venue_name, event.venue_address) == ("Civic Hall", "1 Park Row, Leeds, LS1 5HD, GB")
    assert (event.latitude, event.longitude) == (53.8, -1.55)
    assert event.online_url == "https://meet.example/govcamp" and event.capacity == 120
    assert event.import_uid == "6c8d1e@mobilizon.example" and event.remote_url == "https://mobilizon.example/events/6c8d1e"


def test_a_cop_event_keeps_its_kind_and_its_ical_uid(db, actor):
    event = remote_content.store_event(actor, mobilizon_event(
        "https://mobilizon.example/events/2", category="WORKSHOP", **{"ical:uid": "event-9@mobilizon.example"},
        location=None, attachment=[], isOnline=True, url="https://mobilizon.example/events/2"))
    assert event.kind == "workshop" and event.import_uid == "event-9@mobilizon.example"
    assert event.online_url == "https://mobilizon.example/events/2" and event.venue_name == ""
    without_uid = remote_content.store_event(actor, mobilizon_event("https://mobilizon.example/events/3", uid=None))
    assert without_uid.import_uid == "https://mobilizon.example/events/3"


def test_an_event_claiming_a_uid_of_this_site_keeps_its_own_id_instead(db, actor):
    event = remote_content.store_event(actor, mobilizon_event("https://mobilizon.example/events/4", **{"ical:uid": "event-1@COP.test"}))
    assert event.import_uid == "https://mobilizon.example/events/4"


def test_hostile_events_never_break_the_tables_rules(db, actor):
    event = remote_content.store_event(actor, mobilizon_event(
        name="\x00" + "e" * 10_000, content="<script>steal()</script><p>fine</p>" + "d" * 30_000,
        startTime=stamp(SOON), endTime=stamp(SOON - timedelta(hours=3)), timezone="Mars/Olympus_Mons",
        maximumAttendeeCapacity=2**40, category="<b>", location=[{"type": "Place", "name": "x" * 1000,
                                                                  "latitude": 200, "longitude": "east"}],
        uid="u" * 2000, **{"ical:status": 12}))
    db.session.commit()
    assert len(event.title) == 150 and "\x00" not in event.title
    assert "steal" not in event.description and len(event.description) <= 20_000
    assert event.ends_at == event.starts_at + timedelta(hours=1) and event.time_zone == "UTC"
    assert event.capacity is None and event.kind == "meetup" and event.status == "scheduled"
    assert len(event.venue_name) == 200 and event.latitude is None and event.longitude is None
    assert len(event.import_uid) == 500
    assert remote_content.store_event(actor, mobilizon_event("https://mobilizon.example/events/neg", maximumAttendeeCapacity=-1)).capacity is None
    assert remote_content.store_event(actor, mobilizon_event("https://mobilizon.example/events/b", maximumAttendeeCapacity=True)).capacity is None
    with pytest.raises(ServiceError, match="start time"):
        remote_content.store_event(actor, mobilizon_event("https://mobilizon.example/events/4", startTime="tomorrow"))
    with pytest.raises(ServiceError, match="out of range"):
        remote_content.store_event(actor, mobilizon_event("https://mobilizon.example/events/5", startTime="9999-12-31T23:30:00Z", endTime=None))


def test_a_time_without_an_offset_is_read_in_the_events_zone(db, actor):
    event = remote_content.store_event(actor, mobilizon_event(startTime="2030-07-01T10:00:00", endTime="2030-07-01T12:00:00",
                                                              timezone="Australia/Perth"))
    assert event.starts_at == datetime(2030, 7, 1, 2, tzinfo=timezone.utc)


def feed_events(client, path: str = "/events/calendar.ics") -> list[icalendar.Event]:
    response = client.get(path)
    assert response.status_code == 200
    return list(icalendar.Calendar.from_ical(response.data).walk("VEVENT"))


def test_updates_raise_sequence_and_a_cancellation_keeps_the_uid_in_every_feed(app, client, db, actor):
    event = remote_content.store_event(actor, mobilizon_event())
    db.session.commit()
    agency_slug = event.agency.slug
    [item] = feed_events(client)
    assert str(item["UID"]) == "6c8d1e@mobilizon.example" and int(item["SEQUENCE"]) == 0
    # The same document again changes nothing a calendar shows.
    remote_content.store_event(actor, mobilizon_event())
    db.session.commit()
    assert db.session.scalar(sa.select(Event.sequence)) == 0
    remote_content.store_event(actor, mobilizon_event(name="Govcamp North 2"))
    db.session.commit()
    [item] = feed_events(client)
    assert str(item["SUMMARY"]) == "Govcamp North 2" and int(item["SEQUENCE"]) == 1
    remote_content.store_event(actor, mobilizon_event(name="Govcamp North 2", **{"ical:status": "CANCELLED"}))
    db.session.commit()
    for path in ("/events/calendar.ics", f"/events/calendar.ics?agency={agency_slug}"):
        [item] = feed_events(client, path)
        assert str(item["UID"]) == "6c8d1e@mobilizon.example"
        assert str(item["STATUS"]) == "CANCELLED" and int(item["SEQUENCE"]) == 2
    stored = db.session.scalar(sa.select(Event))
    assert stored.cancelled_at is not None and stored.status_reason == "Cancelled on mobilizon.example."
    assert db.session.scalar(sa.select(SearchEntry.id).where(SearchEntry.kind == "event")) is None


def test_tentative_means_postponed(db, actor):
    assert remote_content.store_event(actor, mobilizon_event(**{"ical:status": "TENTATIVE"})).status == "postponed"


def test_local_events_keep_their_own_uid(app, db, make_agency):
    from cop.events.feeds import event_uid

    agency_id = make_agency("leeds")
    event = Event(slug="local", title="Local", kind="meetup", agency_id=agency_id, starts_at=SOON, ends_at=SOON + timedelta(hours=1),
                  series_ends_at=SOON + timedelta(hours=1), time_zone="UTC", import_uid="ignored")
    db.session.add(event)
    db.session.flush()
    with app.test_request_context():
        assert event_uid(event) == f"event-{event.id}@cop.test"


def test_a_remote_event_is_listed_searched_and_shows_where_to_register(app, client, db, actor):
    event = remote_content.store_event(actor, mobilizon_event())
    db.session.commit()
    slug = event.slug
    assert f'href="/events/{slug}"' in client.get("/events").get_data(as_text=True)
    assert f'href="/events/{slug}"' in client.get("/events?q=unconference").get_data(as_text=True)
    page = client.get(f"/events/{slug}").get_data(as_text=True)
    assert "Listed by Digital Team on mobilizon.example" in page
    assert 'href="https://mobilizon.example/events/6c8d1e"' in page and "Register on mobilizon.example" in page
    assert f'action="/events/{slug}/register"' not in page


def test_nobody_here_can_change_or_register_for_a_remote_event(app, client, db, actor, make_user, sign_in):
    from cop.accounts.models import User
    from cop.events import board, registrations, services

    event = remote_content.store_event(actor, mobilizon_event(category="BARCAMP"))
    db.session.commit()
    slug, event_id = event.slug, event.id
    admin_id = make_user(role="site_admin")
    admin = db.session.get(User, admin_id)
    event = db.session.get(Event, event_id)
    assert not services.can_manage(admin, event)
    with pytest.raises(PermissionDenied, match="listed on mobilizon.example; it can only be changed there"):
        services.update_event(admin, event, services.EventInput(title="Mine now"))
    with pytest.raises(PermissionDenied):
        services.change_status(admin, event, "cancelled", "because")
    with pytest.raises(PermissionDenied, match="register there"):
        registrations.register(admin, event)
    with pytest.raises(PermissionDenied):
        board.pitch(admin, event, "A session", "")
    with pytest.raises(PermissionDenied):
        board.add_room(admin, event, "Room 1", 10)
    db.session.rollback()
    sign_in(admin_id)
    assert client.get(f"/events/{slug}/edit").status_code == 403
    assert client.get(f"/events/{slug}/status").status_code == 403
    assert client.get(f"/events/{slug}/attendees").status_code == 403
    assert client.post(f"/events/{slug}/register").status_code == 403
    assert client.get(f"/events/{slug}/board").status_code == 404
    assert db.session.scalar(sa.select(Event.going_count).where(Event.id == event_id)) == 0


def test_delete_removes_the_event(db, actor):
    event = remote_content.store_event(actor, mobilizon_event())
    db.session.commit()
    event_id = event.id
    assert remote_content.delete_object(actor, mobilizon_event()["id"]) is True
    db.session.commit()
    assert db.session.get(Event, event_id) is None


# ---------------------------------------------------------------- the agency's page


def test_a_remote_agency_is_not_in_the_directory_and_its_page_says_where_it_lives(app, client, db, actor, make_agency, make_user, sign_in):
    from cop.accounts.models import User
    from cop.agencies import services

    make_agency("leeds", name="Leeds City Council")
    agency = remote_content.ensure_remote_agency(actor)
    remote_content.store_case_study(actor, article())
    db.session.commit()
    slug = agency.slug
    directory = client.get("/agencies").get_data(as_text=True)
    assert "Leeds City Council" in directory and "Digital Team" not in directory
    assert services.agency_count() == 1 and [a.slug for a in services.newest_agencies(5)] == ["leeds"]
    page = client.get(f"/agencies/{slug}").get_data(as_text=True)
    assert "On mobilizon.example" in page and 'href="https://mobilizon.example/@digital_team"' in page
    assert "Flood alerts by text message" in page and "Who can join" not in page and "People (" not in page

    admin_id = make_user(role="site_admin")
    user_id = make_user()
    admin, user = db.session.get(User, admin_id), db.session.get(User, user_id)
    agency = db.session.get(Agency, agency.id)
    assert not services.can_manage_agency(admin, agency) and not services.can_manage_agency(None, agency)
    standing = services.agency_standing(user, agency)
    assert not (standing.can_join or standing.can_manage or standing.is_member)
    with pytest.raises(PermissionDenied, match="on mobilizon.example; it can only be managed there"):
        services.join_agency(user, agency)
    with pytest.raises(PermissionDenied):
        services.update_agency(admin, agency, "Ours", "GB", "local", "", "", [])
    db.session.rollback()
    sign_in(admin_id)
    assert client.get(f"/agencies/{slug}/edit").status_code == 403
    assert client.post(f"/agencies/{slug}/join").status_code == 403
    assert client.get(f"/agencies/{slug}/requests").status_code == 403
    assert client.post(f"/agencies/{slug}/calendars", data={"url": "https://cal.example/x.ics"}).status_code == 403
