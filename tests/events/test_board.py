"""The session board: pitching, interest, rooms and times, the scheduler's rules, placing by hand, the grid,
the feed, and a host's notes turned into a draft case study."""

from __future__ import annotations

from datetime import datetime, timedelta

import icalendar
import pytest

from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.extensions import db as _db
from tests.events.conftest import person, soon


@pytest.fixture()
def camp(app, crowd, make_event, make_user):
    """A BarCamp with three rooms (80, 40, 20) and two times; people to pitch and mark interest."""
    from cop.events import board, services

    slug = make_event("BarCamp Leeds", kind="barcamp", starts=soon(days=20, hour=9), ends=soon(days=20, hour=17))
    crowd.others = [make_user(f"p{i}@leeds.example", name=f"Person {i}", agency="leeds") for i in range(6)]
    with app.app_context():
        event = services.event_by_slug(slug)
        organiser = person(crowd.organiser)
        for name, capacity in (("Small room", 20), ("Main hall", 80), ("Studio", 40)):
            board.add_room(organiser, event, name, capacity)
        day = soon(days=20, hour=10)
        board.add_slot(organiser, event, day, day + timedelta(minutes=45))
        board.add_slot(organiser, event, day + timedelta(hours=1), day + timedelta(hours=1, minutes=45))
        _db.session.commit()
    return slug


def test_the_most_wanted_get_the_largest_rooms_and_no_host_is_in_two_places(app, crowd, camp):
    from cop.events import board, services

    with app.app_context():
        event = services.event_by_slug(camp)
        host_a, host_b = person(crowd.member), person(crowd.outsider)
        popular = board.pitch(host_a, event, "Open data for beginners", "")
        second = board.pitch(host_a, event, "Video on a shoestring", "")
        quiet = board.pitch(host_b, event, "Answering complaints in public", "")
        for person_id in crowd.others[:5]:
            board.toggle_interest(person(person_id), popular)
        for person_id in crowd.others[:3]:
            board.toggle_interest(person(person_id), second)
        assert board.toggle_interest(person(crowd.others[5]), quiet) is True
        assert board.toggle_interest(person(crowd.others[5]), quiet) is False
        placed = board.schedule(person(crowd.organiser), event)
        _db.session.commit()
        assert placed == 3
        assert popular.room.name == "Main hall" and popular.slot.starts_at < second.slot.starts_at
        # The same host never runs two sessions at once; the one with most in common goes elsewhere in time.
        assert second.slot_id != popular.slot_id
        assert quiet.slot_id == popular.slot_id and quiet.room.name == "Studio"


def test_interest_clashes_are_kept_apart_when_the_grid_allows(app, crowd, camp):
    from cop.events import board, services

    with app.app_context():
        event = services.event_by_slug(camp)
        first = board.pitch(person(crowd.member), event, "Data", "")
        clashing = board.pitch(person(crowd.outsider), event, "More data", "")
        other = board.pitch(person(crowd.admin), event, "Something else", "")
        fans = crowd.others[:4]
        for person_id in fans:
            board.toggle_interest(person(person_id), first)
            board.toggle_interest(person(person_id), clashing)
        board.toggle_interest(person(crowd.others[4]), other)
        board.schedule(person(crowd.organiser), event)
        assert first.slot_id != clashing.slot_id


def test_placing_by_hand_stays_and_refuses_clashes(app, crowd, camp):
    from cop.events import board, services

    with app.app_context():
        event = services.event_by_slug(camp)
        organiser = person(crowd.organiser)
        rooms, slots = board.rooms_of(event), board.slots_of(event)
        one = board.pitch(person(crowd.member), event, "One", "")
        two = board.pitch(person(crowd.member), event, "Two", "")
        three = board.pitch(person(crowd.outsider), event, "Three", "")
        board.place(organiser, one, rooms[2], slots[1])
        with pytest.raises(Conflict, match="already has"):
            board.place(organiser, three, rooms[2], slots[1])
        with pytest.raises(Conflict, match="host is running another"):
            board.place(organiser, two, rooms[0], slots[1])
        with pytest.raises(ServiceError, match="both a room and a time"):
            board.place(organiser, two, rooms[0], None)
        with pytest.raises(PermissionDenied):
            board.place(person(crowd.member), two, rooms[0], slots[0])
        board.schedule(organiser, event)
        assert (one.room_id, one.slot_id, one.pinned) == (rooms[2].id, slots[1].id, True)


def test_bad_board_input_is_refused(app, crowd, camp, make_event):
    from cop.events import board, services

    surgery = make_event("A surgery", kind="surgery")
    with app.app_context():
        event = services.event_by_slug(camp)
        organiser = person(crowd.organiser)
        with pytest.raises(Conflict, match="Only BarCamps and unconferences"):
            board.pitch(person(crowd.member), services.event_by_slug(surgery), "Mine", "")
        with pytest.raises(ServiceError, match="title"):
            board.pitch(person(crowd.member), event, "   ", "")
        with pytest.raises(PermissionDenied):
            board.pitch(None, event, "Mine", "")
        with pytest.raises(ServiceError, match="from 1 to 10,000"):
            board.add_room(organiser, event, "Cupboard", 0)
        with pytest.raises(ServiceError, match="end after it starts"):
            board.add_slot(organiser, event, soon(days=20, hour=12), soon(days=20, hour=11))
        with pytest.raises(PermissionDenied):
            board.add_room(person(crowd.member), event, "Mine", 10)
        _db.session.rollback()
        empty = services.event_by_slug(make_event("Empty camp", kind="unconference"))
        with pytest.raises(Conflict, match="at least one room and one time"):
            board.schedule(organiser, empty)


def test_the_board_page_and_the_event_feed(app, client, crowd, camp, sign_in):
    from cop.events import board, services

    sign_in(crowd.member)
    pitched = client.post(f"/events/{camp}/board/pitch", data={"title": "Open data for beginners", "summary": "Where to start."},
                          follow_redirects=True).get_data(as_text=True)
    assert "is on the board" in pitched and "Open data for beginners" in pitched
    empty = client.post(f"/events/{camp}/board/pitch", data={"title": ""}, follow_redirects=True).get_data(as_text=True)
    assert "Give your session a title." in empty
    with app.app_context():
        event = services.event_by_slug(camp)
        board.schedule(person(crowd.organiser), event)
        _db.session.commit()
    page = client.get(f"/events/{camp}/board").get_data(as_text=True)
    assert "Main hall (80)" in page and "Open data for beginners" in page
    feed = client.get(f"/events/{camp}/calendar.ics").data
    sessions = [e for e in icalendar.Calendar.from_ical(feed).walk("VEVENT") if str(e["UID"]).startswith("board-session-")]
    assert [str(e["SUMMARY"]) for e in sessions] == ["Open data for beginners (Main hall)"]
    assert sessions[0].decoded("DTSTART").hour == 10
    assert client.get("/events/no-such/board").status_code == 404


def test_a_host_s_notes_become_a_draft_case_study(app, client, crowd, make_event, sign_in):
    from cop.casestudies.models import CaseStudy
    from cop.events import board, services

    began = datetime.now() - timedelta(hours=2)
    slug = make_event("Yesterday's camp", kind="barcamp", starts=began.replace(microsecond=0, second=0),
                      ends=(began + timedelta(hours=6)).replace(microsecond=0, second=0))
    with app.app_context():
        session = board.pitch(person(crowd.member), services.event_by_slug(slug), "Answering complaints in public", "How we reply.")
        _db.session.commit()
        session_id = session.id
    with app.app_context():
        with pytest.raises(PermissionDenied):
            board.add_notes(person(crowd.outsider), _db.session.get(type(session), session_id), "Not mine")
    sign_in(crowd.member)
    client.post(f"/events/{slug}/board/sessions/{session_id}/notes", data={f"notes-{session_id}-notes": "Reply within the hour."})
    made = client.post(f"/events/{slug}/board/sessions/{session_id}/case-study")
    assert made.status_code == 302 and "/case-studies/" in made.headers["Location"] and made.headers["Location"].endswith("/edit")
    with app.app_context():
        draft = _db.session.query(CaseStudy).one()
        assert draft.status == "draft" and draft.title == "Answering complaints in public" and "Reply within the hour." in draft.approach
