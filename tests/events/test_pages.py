"""Event pages: the list, an event, listing one through the form, places, slots and the personal feed."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from cop.extensions import db as _db
from tests.events.conftest import soon

FORM = {
    "title": "BarCamp Leeds", "kind": "barcamp", "time_zone": "Europe/London",
    "description": "Sessions pitched on the day.", "venue_name": "The Tetley", "venue_address": "Hunslet Road, Leeds",
    "currency": "GBP", "registration_open": "y", "repeat": "", "repeat_monthly_by": "weekday",
}


def local(days: int, hour: int) -> str:
    return soon(days=days, hour=hour).strftime("%Y-%m-%dT%H:%M")


def test_a_member_lists_an_event_and_it_shows_with_its_calendar_links(app, client, crowd, sign_in):
    sign_in(crowd.organiser)
    response = client.post("/events/new", data={**FORM, "starts": local(20, 10), "ends": local(20, 17), "capacity": "80"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/events/barcamp-leeds")
    page = client.get("/events/barcamp-leeds").get_data(as_text=True)
    assert "BarCamp Leeds" in page and "The Tetley" in page and "80 of 80 left" in page
    assert '<link rel="alternate" type="text/calendar"' in page and "/events/barcamp-leeds/calendar.ics" in page
    assert "webcal://cop.test/events/barcamp-leeds/calendar.ics" in page
    assert "https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2Fcop.test%2Fevents%2Fbarcamp-leeds%2Fcalendar.ics" in page
    assert "https://outlook.live.com/calendar/0/addfromweb?url=http%3A%2F%2Fcop.test%2Fevents%2Fbarcamp-leeds%2Fcalendar.ics" in page
    listing = client.get("/events").get_data(as_text=True)
    assert "BarCamp Leeds" in listing and 'type="text/calendar"' in listing


def test_the_form_names_each_problem_and_keeps_what_was_typed(app, client, crowd, sign_in):
    from cop.events.models import Event

    sign_in(crowd.organiser)
    response = client.post("/events/new", data={**FORM, "starts": local(20, 17), "ends": local(20, 10), "capacity": "-4",
                                                  "latitude": "north"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the latitude in decimal degrees" in page
    response = client.post("/events/new", data={**FORM, "starts": local(20, 17), "ends": local(20, 10), "capacity": "-4"})
    page = response.get_data(as_text=True)
    assert "The event must end after it starts." in page and "from 0 to 100,000" in page and "The Tetley" in page
    response = client.post("/events/new", data={**FORM, "time_zone": "Nowhere/Special", "starts": local(20, 10), "ends": local(20, 11)})
    assert "not a time zone we know" in response.get_data(as_text=True)
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


def test_registering_waitlisting_and_giving_up_a_place(app, client, crowd, sign_in, make_event):
    slug = make_event(capacity=1, capacity_given=True)
    sign_in(crowd.member)
    assert client.post(f"/events/{slug}/register").status_code == 302
    assert "You have a place." in client.get(f"/events/{slug}").get_data(as_text=True)
    again = client.post(f"/events/{slug}/register", follow_redirects=True).get_data(as_text=True)
    assert "You already have a place" in again
    sign_in(crowd.outsider)
    page = client.get(f"/events/{slug}").get_data(as_text=True)
    assert "Join the waiting list" in page
    waiting = client.post(f"/events/{slug}/register", follow_redirects=True).get_data(as_text=True)
    assert "you are on the waiting list" in waiting


def test_organisers_see_and_export_who_is_coming(app, client, crowd, sign_in, make_event):
    slug = make_event()
    sign_in(crowd.member)
    client.post(f"/events/{slug}/register")
    sign_in(crowd.organiser)
    page = client.get(f"/events/{slug}/attendees").get_data(as_text=True)
    assert "Mel Member" in page and "member@leeds.example" in page
    exported = client.get(f"/events/{slug}/attendees.csv")
    assert exported.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in exported.headers["Content-Disposition"]
    assert exported.get_data(as_text=True).splitlines()[1].startswith("Mel Member,member@leeds.example,Leeds City Council,going")
    sign_in(crowd.member)
    assert client.get(f"/events/{slug}/attendees").status_code == 403


def test_cancelling_says_why_on_the_page_and_refuses_registrations(app, client, crowd, sign_in, make_event):
    slug = make_event()
    sign_in(crowd.organiser)
    missing = client.post(f"/events/{slug}/status", data={"status": "cancelled", "reason": ""})
    assert missing.status_code == 400 and "Say why the event is cancelled" in missing.get_data(as_text=True)
    client.post(f"/events/{slug}/status", data={"status": "cancelled", "reason": "The venue flooded."})
    page = client.get(f"/events/{slug}").get_data(as_text=True)
    assert "This event is cancelled: The venue flooded." in page
    sign_in(crowd.member)
    refused = client.post(f"/events/{slug}/register", follow_redirects=True).get_data(as_text=True)
    assert "is cancelled, so it takes no registrations" in refused
    assert "LocalGovCamp North" not in client.get("/events").get_data(as_text=True)


def test_booking_a_surgery_slot_and_a_second_booking_refused(app, client, crowd, sign_in, make_event):
    from cop.events.models import SurgerySlot

    slug = make_event("Monthly surgery", kind="surgery")
    sign_in(crowd.organiser)
    start = soon(days=14, hour=10).strftime("%Y-%m-%dT%H:%M")
    made = client.post(f"/events/{slug}/slots", data={"starts": start, "minutes": "20", "count": "3"}, follow_redirects=True)
    assert "3 slots are open for booking." in made.get_data(as_text=True)
    with app.app_context():
        slot_id = _db.session.scalar(sa.select(SurgerySlot.id).order_by(SurgerySlot.starts_at).limit(1))
    sign_in(crowd.member)
    empty = client.post(f"/events/{slug}/slots/{slot_id}/book", data={f"slot-{slot_id}-note": ""}, follow_redirects=True)
    assert "Say in a line or two what you would like help with" in empty.get_data(as_text=True)
    booked = client.post(f"/events/{slug}/slots/{slot_id}/book", data={f"slot-{slot_id}-note": "Our Instagram"}, follow_redirects=True)
    assert "Your slot is booked." in booked.get_data(as_text=True)
    sign_in(crowd.outsider)
    twice = client.post(f"/events/{slug}/slots/{slot_id}/book", data={f"slot-{slot_id}-note": "Me too"}, follow_redirects=True)
    assert "Someone booked this slot a moment ago" in twice.get_data(as_text=True)
    assert client.post(f"/events/{slug}/slots/999999/book", data={"note": "x"}).status_code == 404


def test_the_personal_feed_opens_with_its_secret_and_a_reset_closes_the_old_one(app, client, crowd, sign_in, make_event):
    slug = make_event()
    sign_in(crowd.member)
    client.post(f"/events/{slug}/register")
    page = client.post("/account/calendar").get_data(as_text=True)
    first = page.split("http://cop.test/calendar/", 1)[1].split(".ics", 1)[0]
    assert len(first) >= 22  # at least 128 bits, URL-safe
    feed = client.get(f"/calendar/{first}.ics")
    assert feed.status_code == 200 and b"LocalGovCamp North" in feed.data
    assert "shown only now" in page
    assert "It was shown when you made it" in client.get("/account/calendar").get_data(as_text=True)
    second = client.post("/account/calendar").get_data(as_text=True).split("http://cop.test/calendar/", 1)[1].split(".ics", 1)[0]
    assert second != first
    assert client.get(f"/calendar/{first}.ics").status_code == 404
    assert client.get(f"/calendar/{second}.ics").status_code == 200
    assert client.get("/calendar/made-up.ics").status_code == 404


def test_list_filters_and_past_events(app, client, crowd, make_event):
    make_event("Course 202", kind="course", level="202")
    make_event("A webinar", kind="webinar", online_url="https://meet.example/webinar", venue_name="", venue_address="")
    make_event("Last year", starts=datetime(2020, 5, 1, 10), ends=datetime(2020, 5, 1, 16))
    courses = client.get("/events?kind=course").get_data(as_text=True)
    assert "Course 202" in courses and "A webinar" not in courses and "Last year" not in courses
    assert "Last year" in client.get("/events?past=1").get_data(as_text=True)
    assert "Course 202" in client.get("/events?level=202").get_data(as_text=True)
    assert "A webinar" not in client.get("/events?level=202").get_data(as_text=True)
    assert client.get("/events?kind=nonsense&level=999").status_code == 200
    assert client.get("/events/no-such-event").status_code == 404


def test_an_organiser_calls_off_one_date_of_a_series_from_its_page(app, client, crowd, sign_in, make_event):
    from datetime import date

    first = datetime(2031, 1, 14, 18, 0)
    slug = make_event("Monthly surgery", kind="surgery", starts=first, ends=datetime(2031, 1, 14, 20), repeat="monthly",
                      repeat_given=True, repeat_until=date(2031, 5, 31))
    sign_in(crowd.organiser)
    assert client.get(f"/events/{slug}/dates/2031-02-12").status_code == 404
    assert client.get(f"/events/{slug}/dates/not-a-date").status_code == 404
    form = client.get(f"/events/{slug}/dates/2031-02-11").get_data(as_text=True)
    assert "Tuesday 11 February 2031" in form and 'value="2031-02-11T18:00"' in form
    refused = client.post(f"/events/{slug}/dates/2031-02-11", data={"cancelled": "y", "note": "", "starts": "2031-02-11T18:00",
                                                                     "ends": "2031-02-11T20:00"})
    assert refused.status_code == 400 and "Say why this date is called off" in refused.get_data(as_text=True)
    done = client.post(f"/events/{slug}/dates/2031-02-11", data={"cancelled": "y", "note": "Snow.", "starts": "2031-02-11T18:00",
                                                                  "ends": "2031-02-11T20:00"}, follow_redirects=True)
    assert "That date is changed" in done.get_data(as_text=True)
    sign_in(crowd.member)
    assert client.get(f"/events/{slug}/dates/2031-02-11").status_code == 403
