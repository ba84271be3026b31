"""Calendar feeds over HTTP: what each holds, validators and 304s, an event's life in a subscriber's calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events
import vobject

from cop.extensions import db as _db
from tests.events.conftest import person, soon


def events_in(body: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def summaries(body: bytes) -> list[str]:
    return sorted(str(e["SUMMARY"]) for e in events_in(body))


def test_a_feed_is_rfc_5545_text_calendar_that_two_parsers_read(app, client, crowd, make_event):
    make_event(time_zone="Australia/Perth", starts=soon(days=30, hour=9), ends=soon(days=30, hour=17), latitude=-31.95,
               longitude=115.86, coordinates_given=True, contact_email="camp@leeds.example")
    response = client.get("/events/calendar.ics")  # no Accept header, as Google sends
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Encoding" not in response.headers
    body = response.data
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    for needed in (b"PRODID:", b"VERSION:2.0", b"CALSCALE:GREGORIAN", b"METHOD:PUBLISH", b"X-WR-CALNAME:", b"NAME:",
                   b"REFRESH-INTERVAL;VALUE=DURATION:PT1H", b"X-PUBLISHED-TTL:PT1H", b"BEGIN:VTIMEZONE", b"TZID:Australia/Perth"):
        assert needed in body, needed
    [event] = events_in(body)
    assert event["UID"].endswith("@cop.test") and event["SEQUENCE"] == 0
    assert event.decoded("DTSTART").tzinfo is not None and str(event["DTSTART"].params["TZID"]) == "Australia/Perth"
    assert "ATTENDEE" not in event and "mailto:camp@leeds.example" in str(event["ORGANIZER"])
    assert event["URL"] == "http://cop.test/events/localgovcamp-north"
    assert "GEO" in event and "local government" in str(event["DESCRIPTION"]) and "**" not in str(event["DESCRIPTION"])
    parsed = vobject.readOne(body.decode())
    assert parsed.vevent.summary.value == "LocalGovCamp North"
    assert parsed.vevent.dtstart.value.utcoffset() == timedelta(hours=8)


def test_unchanged_data_gives_identical_bytes_and_a_304(app, client, crowd, make_event):
    make_event()
    first = client.get("/events/calendar.ics")
    again = client.get("/events/calendar.ics")
    assert first.data == again.data and first.headers["ETag"] == again.headers["ETag"]
    assert not first.headers["ETag"].startswith("W/")
    assert "Last-Modified" in first.headers and "max-age" in first.headers["Cache-Control"]
    assert client.get("/events/calendar.ics", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert client.get("/events/calendar.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304
    assert client.get("/events/calendar.ics", headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_an_event_through_edit_cancel_and_thirty_days_later(app, client, crowd, make_event, monkeypatch):
    from cop.events import feeds, services

    slug = make_event()
    created = events_in(client.get(f"/events/{slug}/calendar.ics").data)[0]
    with app.app_context():
        services.update_event(person(crowd.organiser), services.event_by_slug(slug), services.EventInput(venue_name="Leeds Town Hall"))
        _db.session.commit()
    edited = events_in(client.get("/events/calendar.ics").data)[0]
    assert edited["UID"] == created["UID"] and edited["SEQUENCE"] == 1 and "Leeds Town Hall" in str(edited["LOCATION"])
    assert edited.decoded("LAST-MODIFIED") >= created.decoded("LAST-MODIFIED")  # to the second
    assert edited.decoded("DTSTAMP") == edited.decoded("LAST-MODIFIED")
    with app.app_context():
        services.change_status(person(crowd.organiser), services.event_by_slug(slug), "cancelled", "The venue flooded.")
        _db.session.commit()
    cancelled = events_in(client.get("/events/calendar.ics").data)[0]
    assert cancelled["STATUS"] == "CANCELLED" and str(cancelled["SUMMARY"]) == "Cancelled: LocalGovCamp North"
    assert "The venue flooded." in str(cancelled["DESCRIPTION"]) and cancelled["SEQUENCE"] == 2
    later = datetime.now().astimezone() + timedelta(days=31)
    monkeypatch.setattr(feeds, "utcnow", lambda: later)
    assert events_in(client.get("/events/calendar.ics").data) == []


def test_a_change_is_in_the_very_next_request_from_another_worker(app, client, crowd, make_event, tmp_path, postgres_url):
    """Two apps on one database and one instance folder stand for two gunicorn workers."""
    from cop import create_app
    from cop.events import services

    slug = make_event()
    assert b"LocalGovCamp North" in client.get("/events/calendar.ics").data  # built and kept by the first worker
    other = create_app({"ENVIRON": {**_environ(app)}, "INSTANCE_PATH": app.instance_path, "WTF_CSRF_ENABLED": False})
    with other.app_context():
        services.update_event(person(crowd.organiser), services.event_by_slug(slug), services.EventInput(title="LocalGovCamp Yorkshire"))
        _db.session.commit()
        _db.session.remove()
        _db.engine.dispose()
    body = client.get("/events/calendar.ics").data
    assert b"LocalGovCamp Yorkshire" in body and b"LocalGovCamp North" not in body


def _environ(app) -> dict[str, str]:
    from tests.conftest import environ_for_tests

    return environ_for_tests(app.config["SQLALCHEMY_DATABASE_URI"], COP_CACHE_PREFIX=app.config["COP_CACHE_PREFIX"])


def test_feeds_by_agency_kind_topic_and_level(app, client, crowd, make_event):
    import sqlalchemy as sa

    from cop.text.models import Topic

    with app.app_context():
        video = _db.session.scalar(sa.select(Topic).where(Topic.slug == "video"))
        video_id = video.id
    make_event("Course 303", kind="course", level="303", topic_ids=[video_id])
    make_event("York meetup", kind="meetup", organiser=crowd.outsider)
    assert summaries(client.get("/events/calendar.ics").data) == ["Course 303", "York meetup"]
    assert summaries(client.get("/events/calendar.ics?agency=york").data) == ["York meetup"]
    assert summaries(client.get("/events/calendar.ics?kind=course").data) == ["Course 303"]
    assert summaries(client.get("/events/calendar.ics?level=303").data) == ["Course 303"]
    assert summaries(client.get("/events/calendar.ics?topic=video").data) == ["Course 303"]
    assert summaries(client.get("/events/calendar.ics?agency=nowhere").data) == []


def test_a_repeating_surgery_expands_to_the_dates_the_page_shows(app, client, crowd, make_event):
    first = datetime(2031, 1, 14, 18, 0)  # the second Tuesday of January 2031
    slug = make_event("Monthly surgery", kind="surgery", starts=first, ends=first + timedelta(hours=2), repeat="monthly",
                      repeat_given=True, repeat_until=date(2031, 6, 30), skipped_dates=[date(2031, 4, 8)])
    body = client.get(f"/events/{slug}/calendar.ics").data
    calendar = icalendar.Calendar.from_ical(body)
    expanded = recurring_ical_events.of(calendar).between(datetime(2031, 1, 1), datetime(2031, 7, 1))
    days = sorted(e.decoded("DTSTART").date() for e in expanded)
    assert days == [date(2031, 1, 14), date(2031, 2, 11), date(2031, 3, 11), date(2031, 5, 13), date(2031, 6, 10)]
    assert all(e.decoded("DTSTART").hour == 18 for e in expanded)
    from cop.events import feeds, ical, services

    with app.app_context():
        shown = ical.occurrences(feeds.feed_event(services.event_by_slug(slug)), datetime(2031, 1, 1).astimezone(), datetime(2031, 7, 1).astimezone())
        assert sorted(o.start.date() for o in shown if not o.cancelled) == days


def test_an_all_day_event_has_an_exclusive_end_date(app, client, crowd, make_event):
    make_event(all_day=True, starts=None, ends=None, start_date=date(2031, 9, 1), end_date=date(2031, 9, 2))
    [event] = events_in(client.get("/events/calendar.ics").data)
    assert event.decoded("DTSTART") == date(2031, 9, 1) and event.decoded("DTEND") == date(2031, 9, 3)


@pytest.mark.parametrize("path", ["/events/calendar.ics?kind=%00", "/events/calendar.ics?agency=" + "x" * 5000])
def test_hostile_feed_arguments_are_answered_plainly(client, crowd, path):
    assert client.get(path).status_code in (200, 400)
