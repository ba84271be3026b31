"""Event services: what an event must say, who may change it, places and the waiting list, slots."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.extensions import db as _db
from tests.events.conftest import person, soon

UTC = timezone.utc


def event(slug: str):
    from cop.events.services import event_by_slug

    return event_by_slug(slug)


def test_an_event_stores_its_times_in_utc_beside_its_zone(app, crowd, make_event):
    slug = make_event(time_zone="Australia/Sydney", starts=datetime(2030, 1, 15, 9, 30), ends=datetime(2030, 1, 15, 12))
    with app.app_context():
        found = event(slug)
        assert found.time_zone == "Australia/Sydney"
        assert found.starts_at.utcoffset() == timedelta(0)
        assert found.starts_at.replace(tzinfo=None) == datetime(2030, 1, 14, 22, 30)  # AEDT is UTC+11 in January
        assert found.series_ends_at == found.ends_at
        assert found.organisers[0].id == crowd.organiser and found.sequence == 0


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"ends": soon(hour=9)}, "ends", "must end after it starts"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "not a time zone we know"),
        ({"capacity": -3, "capacity_given": True}, "capacity", "from 0 to 100,000"),
        ({"kind": "course"}, "level", "101, 202 or 303"),
        ({"kind": "party"}, "kind", "what kind of event"),
        ({"online_url": "javascript:alert(1)"}, "online_url", "starting with https://"),
        ({"latitude": 91.0, "longitude": 0.0, "coordinates_given": True}, "latitude", "between -90 and 90"),
        ({"price": "lots"}, "price", "an amount such as 25"),
        ({"price": "12.345"}, "price", "an amount such as 25"),
        ({"venue_name": "", "venue_address": "", "online_url": ""}, "venue_name", "Say where the event is"),
        ({"starts": datetime(2030, 3, 31, 1, 30), "ends": datetime(2030, 3, 31, 3, 0)}, "starts", "the clocks go forward"),
        ({"repeat": "weekly", "repeat_given": True, "repeat_until": date(2020, 1, 1)}, "repeat_until", "on or after its first day"),
        ({"repeat": "daily", "repeat_given": True}, "repeat", "how often"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_stored(app, crowd, make_event, fields, field, words):
    from cop.events.models import Event

    with pytest.raises(ServiceError) as refused:
        make_event(**fields)
    assert refused.value.field == field or field in refused.value.fields
    assert words in refused.value.fields.get(field, refused.value.message)
    with app.app_context():
        _db.session.rollback()
        assert _db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


def test_an_all_day_event_runs_from_midnight_to_midnight_after_its_last_day(app, crowd, make_event):
    slug = make_event(all_day=True, starts=None, ends=None, start_date=date(2030, 6, 1), end_date=date(2030, 6, 2))
    with app.app_context():
        found = event(slug)
        assert found.all_day and found.local_start.date() == date(2030, 6, 1)
        assert found.ends_at - found.starts_at == timedelta(days=2)


def test_only_members_list_events_and_only_organisers_and_admins_change_them(app, crowd, make_event, make_user):
    from cop.events import services

    lone = make_user("lone@example.org")
    with pytest.raises(PermissionDenied):
        make_event(organiser=lone)
    slug = make_event()
    with app.app_context():
        found = event(slug)
        assert services.can_manage(person(crowd.organiser), found)
        assert services.can_manage(person(crowd.admin), found)
        assert services.can_manage(person(crowd.site_admin), found)
        assert not services.can_manage(person(crowd.member), found)
        assert not services.can_manage(person(crowd.outsider), found)
        assert not services.can_manage(None, found)
        with pytest.raises(PermissionDenied):
            services.update_event(person(crowd.member), found, services.EventInput(title="Mine now"))


def test_sequence_grows_only_with_changes_a_calendar_shows(app, crowd, make_event):
    from cop.events import services

    slug = make_event()
    with app.app_context():
        found = event(slug)
        stamp = found.updated_at
        services.update_event(person(crowd.organiser), found, services.EventInput(title="LocalGovCamp North"))
        assert found.sequence == 0 and found.updated_at == stamp
        services.update_event(person(crowd.organiser), found, services.EventInput(venue_name="Leeds Town Hall"))
        assert found.sequence == 1 and found.updated_at > stamp
        services.update_event(person(crowd.organiser), found, services.EventInput(capacity=40, capacity_given=True))
        assert found.sequence == 1  # places are not in a calendar
        _db.session.commit()


def test_cancelling_tells_everyone_registered_with_the_reason(app, crowd, make_event):
    from cop.events import registrations, services
    from cop.notifications.models import Notification

    slug = make_event(capacity=1, capacity_given=True)
    with app.app_context():
        found = event(slug)
        registrations.register(person(crowd.member), found)
        registrations.register(person(crowd.outsider), found)
        with pytest.raises(ServiceError, match="Say why"):
            services.change_status(person(crowd.organiser), found, "cancelled", "")
        services.change_status(person(crowd.organiser), found, "cancelled", "The venue flooded.")
        _db.session.commit()
        assert found.status == "cancelled" and found.cancelled_at is not None and found.sequence == 1
        told = _db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "event_news")).all()
        assert sorted(told) == sorted([crowd.member, crowd.outsider])
        with pytest.raises(Conflict, match="cancelled"):
            registrations.register(person(crowd.admin), found)
        with pytest.raises(Conflict):
            services.update_event(person(crowd.organiser), found, services.EventInput(title="Back"))


def test_a_full_event_puts_people_on_the_waiting_list_and_promotes_them_in_order(app, crowd, make_event, make_user):
    from cop.events import registrations

    slug = make_event(capacity=1, capacity_given=True)
    late = make_user("late@leeds.example", agency="leeds")
    with app.app_context():
        found = event(slug)
        first = registrations.register(person(crowd.member), found)
        second = registrations.register(person(crowd.outsider), found)
        third = registrations.register(person(late), found)
        assert (first.status, second.status, third.status) == ("going", "waitlist", "waitlist")
        assert found.going_count == 1 and found.places_left == 0
        with pytest.raises(Conflict, match="already"):
            registrations.register(person(crowd.outsider), found)
        promoted = registrations.cancel_registration(person(crowd.member), found)
        assert promoted.user_id == crowd.outsider and promoted.status == "going"
        assert third.status == "waitlist" and found.going_count == 1
        registrations.cancel_registration(person(late), found)
        assert third.status == "cancelled"
        # Coming back after giving up joins the end of the queue again.
        assert registrations.register(person(crowd.member), found).status == "waitlist"
        _db.session.commit()


def test_past_events_and_closed_registration_are_refused(app, crowd, make_event):
    from cop.events import registrations, services

    past = make_event("Last year's camp", starts=datetime(2020, 5, 1, 10), ends=datetime(2020, 5, 1, 16))
    closed = make_event("Invitation only", registration_open=False)
    with app.app_context():
        with pytest.raises(Conflict, match="has ended"):
            registrations.register(person(crowd.member), event(past))
        with pytest.raises(Conflict, match="closed"):
            registrations.register(person(crowd.member), event(closed))
        with pytest.raises(PermissionDenied):
            registrations.register(None, event(closed))
        assert services.is_over(event(past))


def test_a_slot_is_booked_once_and_the_second_booking_is_told_so(app, crowd, make_event):
    from cop.events import registrations
    from cop.events.models import SurgerySlot

    slug = make_event("Social media surgery", kind="surgery")
    with app.app_context():
        found = event(slug)
        start = found.starts_at
        slots = registrations.add_slots(person(crowd.organiser), found, start, 20, 3)
        assert [s.ends_at - s.starts_at for s in slots] == [timedelta(minutes=20)] * 3
        _db.session.commit()
        slot_id = slots[0].id
    with app.app_context():
        # This request reads the slot as free ...
        stale = _db.session.get(SurgerySlot, slot_id)
        assert stale.booked_by_id is None
        with app.app_context():  # ... while another books it and commits.
            registrations.book_slot(person(crowd.member), _db.session.get(SurgerySlot, slot_id), "Help with our Facebook page")
            _db.session.commit()
        with pytest.raises(Conflict, match="a moment ago"):
            registrations.book_slot(person(crowd.outsider), stale, "Me too")
        _db.session.rollback()
        assert _db.session.get(SurgerySlot, slot_id).booked_by_id == crowd.member
        with pytest.raises(ServiceError, match="what you would like help with"):
            registrations.book_slot(person(crowd.outsider), _db.session.get(SurgerySlot, slot_id + 1), "  ")
        with pytest.raises(Conflict, match="hosting"):
            registrations.book_slot(person(crowd.organiser), _db.session.get(SurgerySlot, slot_id + 1), "Myself")


def test_surgeries_alone_have_slots(app, crowd, make_event):
    from cop.events import registrations

    slug = make_event()
    with app.app_context():
        with pytest.raises(ServiceError, match="Only surgeries"):
            registrations.add_slots(person(crowd.organiser), event(slug), event(slug).starts_at, 20, 3)


def test_the_reminder_goes_once_the_day_before(app, crowd, make_event):
    from cop.clock import utcnow
    from cop.events import registrations
    from cop.notifications.models import Notification

    tomorrow = datetime.now() + timedelta(hours=20)
    slug = make_event(starts=tomorrow.replace(second=0, microsecond=0), ends=(tomorrow + timedelta(hours=2)).replace(second=0, microsecond=0))
    later = make_event("Later", starts=soon(days=10), ends=soon(days=10, hour=16))
    with app.app_context():
        registrations.register(person(crowd.member), event(slug))
        registrations.register(person(crowd.member), event(later))
        _db.session.commit()
        assert registrations.send_reminders(utcnow()) == 1
        assert registrations.send_reminders(utcnow()) == 0
        _db.session.commit()
        kinds = _db.session.scalars(sa.select(Notification.title).where(Notification.kind == "event_reminder")).all()
        assert kinds == ["Tomorrow: LocalGovCamp North"]


def test_attendees_csv_neutralises_spreadsheet_formulas(app, crowd, make_event, make_user):
    from cop.events import registrations

    sneaky = make_user("sneaky@leeds.example", name="=HYPERLINK(\"http://evil\")", agency="leeds")
    slug = make_event()
    with app.app_context():
        registrations.register(person(sneaky), event(slug))
        csv_text = registrations.attendees_csv(person(crowd.organiser), event(slug))
        assert "'=HYPERLINK" in csv_text and "sneaky@leeds.example" in csv_text
        with pytest.raises(PermissionDenied):
            registrations.attendees_csv(person(crowd.member), event(slug))


def test_confirmations_and_cancellations_carry_the_event_as_ics(app, crowd, make_event, outbox):
    import icalendar

    from cop.events import registrations, services

    slug = make_event()
    with app.app_context():
        registrations.register(person(crowd.member), event(slug))
        _db.session.commit()
        services.change_status(person(crowd.organiser), event(slug), "cancelled", "The venue flooded.")
        _db.session.commit()
    confirmed, cancelled = [m for m in outbox() if m.recipient == "member@leeds.example"]
    assert confirmed.subject == "Your place at LocalGovCamp North is confirmed"
    [first] = confirmed.attachments
    assert first["content_type"] == "text/calendar" and first["filename"] == f"{slug}.ics"
    [vevent] = icalendar.Calendar.from_ical(first["content"]).walk("VEVENT")
    [later] = icalendar.Calendar.from_ical(cancelled.attachments[0]["content"]).walk("VEVENT")
    assert later["UID"] == vevent["UID"] and later["STATUS"] == "CANCELLED" and later["SEQUENCE"] > vevent["SEQUENCE"]


def test_one_date_of_a_series_is_moved_or_called_off_and_calendars_see_just_that_date(app, crowd, make_event):
    import icalendar
    import recurring_ical_events

    from cop.events import feeds, ical, occurrences, registrations

    first = datetime(2031, 1, 14, 18, 0)  # second Tuesdays
    slug = make_event("Monthly surgery", kind="surgery", starts=first, ends=first + timedelta(hours=2), repeat="monthly",
                      repeat_given=True, repeat_until=date(2031, 5, 31))
    with app.app_context():
        found = event(slug)
        registrations.register(person(crowd.member), found)
        with pytest.raises(ServiceError, match="no date on"):
            occurrences.change_occurrence(person(crowd.organiser), found, date(2031, 2, 12), None, None, True, "Snow")
        with pytest.raises(ServiceError, match="Say why"):
            occurrences.change_occurrence(person(crowd.organiser), found, date(2031, 2, 11), None, None, True, "")
        with pytest.raises(PermissionDenied):
            occurrences.change_occurrence(person(crowd.member), found, date(2031, 2, 11), None, None, True, "Snow")
        occurrences.change_occurrence(person(crowd.organiser), found, date(2031, 2, 11), None, None, True, "Snow closes the library.")
        occurrences.change_occurrence(person(crowd.organiser), found, date(2031, 3, 11), datetime(2031, 3, 12, 18), datetime(2031, 3, 12, 20),
                                      False, "The library is in use on Tuesday.")
        _db.session.commit()
        assert found.sequence == 2
        shown = occurrences.dates(found, datetime(2031, 1, 1, tzinfo=UTC), datetime(2031, 6, 1, tzinfo=UTC))
        assert [(o.start.date(), o.cancelled, o.moved) for o in shown] == [
            (date(2031, 1, 14), False, False), (date(2031, 2, 11), True, False), (date(2031, 3, 12), False, True),
            (date(2031, 4, 8), False, False), (date(2031, 5, 13), False, False),
        ]
        body = ical.event_ics(feeds.feed_event(found), found.title)
        from cop.notifications.models import Notification

        told = list(_db.session.scalars(sa.select(Notification.title)))
        assert "Monthly surgery on 11 February 2031 is called off" in told
        assert any(t.startswith("Monthly surgery on 11 March 2031 moves to 12 March 2031 18:00") for t in told)
        occurrences.restore_occurrence(person(crowd.organiser), found, date(2031, 3, 11))
        _db.session.commit()
        with pytest.raises(Conflict):
            occurrences.restore_occurrence(person(crowd.organiser), found, date(2031, 3, 11))
    calendar = icalendar.Calendar.from_ical(body)
    assert sum(1 for e in calendar.walk("VEVENT") if "RECURRENCE-ID" in e) == 2
    expanded = recurring_ical_events.of(calendar).between(datetime(2031, 1, 1), datetime(2031, 6, 1))
    days = sorted((e.decoded("DTSTART").date(), str(e.get("STATUS"))) for e in expanded)
    assert (date(2031, 3, 12), "CONFIRMED") in days and (date(2031, 3, 11), "CONFIRMED") not in days
    assert (date(2031, 2, 11), "CANCELLED") in days or date(2031, 2, 11) not in [d for d, _s in days]
