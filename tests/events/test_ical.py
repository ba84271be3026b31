"""The iCalendar writer: RFC 5545 form, feeds, time zones, series and what other parsers read back."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
import vobject
from icalendar import Calendar

from cop.events.ical import (
    FeedEvent,
    Repeat,
    calendar_bytes,
    event_fragment,
    event_ics,
    occurrences,
    zones_of,
)

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")
SYDNEY = ZoneInfo("Australia/Sydney")
PERTH = ZoneInfo("Australia/Perth")
YEAR = (datetime(2025, 6, 1, tzinfo=UTC), datetime(2027, 6, 1, tzinfo=UTC))


def make(**changes: Any) -> FeedEvent:
    """A one-off two-hour event in London, with any field changed."""
    fields: dict[str, Any] = dict(
        uid="event-42@cop.example",
        summary="Leeds UX unconference",
        description="A day of sessions chosen on the day.\nBring a topic.",
        url="https://cop.example/events/leeds-ux",
        start=datetime(2026, 12, 1, 10, tzinfo=LONDON),
        end=datetime(2026, 12, 1, 12, tzinfo=LONDON),
        time_zone="Europe/London",
        created=datetime(2026, 9, 1, 8, 30, tzinfo=UTC),
        last_modified=datetime(2026, 10, 2, 9, 15, 5, tzinfo=UTC),
    )
    fields.update(changes)
    return FeedEvent(**fields)


def feed(*events: FeedEvent) -> bytes:
    """A feed of these events, built the way callers build it."""
    zones: set[str] = set()
    for event in events:
        zones |= zones_of(event)
    return calendar_bytes("Leeds events", [event_fragment(e) for e in events], zones)


def vevents(body: bytes) -> list[Any]:
    return Calendar.from_ical(body).walk("VEVENT")


def unfolded(body: bytes) -> list[str]:
    return body.decode().replace("\r\n ", "").split("\r\n")


def expanded_starts(body: bytes) -> list[datetime | date]:
    """Occurrence starts as recurring_ical_events finds them in the parsed feed."""
    found = recurring_ical_events.of(Calendar.from_ical(body)).between(*YEAR)
    return sorted((c.DTSTART for c in found), key=lambda d: (d if isinstance(d, datetime) else
                                                             datetime(d.year, d.month, d.day, tzinfo=UTC)))


def test_lines_end_in_crlf_and_fold_at_75_octets_without_splitting_characters() -> None:
    summary = "Café numérique — 第二回 デジタル 🎉 " * 6
    event = make(summary=summary, location="Salle des fêtes, Rue de l’Église, Montréal " * 3,
                 description="Über-long paragraph; with, punctuation. " * 20, start=datetime(2026, 12, 1, 10, tzinfo=SYDNEY),
                 end=datetime(2026, 12, 1, 12, tzinfo=SYDNEY), time_zone="Australia/Sydney")
    body = feed(event)
    assert body.endswith(b"END:VCALENDAR\r\n")
    assert body.count(b"\n") == body.count(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert sum(1 for line in lines if line.startswith(b" ")) > 10  # long values really were folded
    for line in lines:
        line.decode("utf-8")  # a multi-byte character split across lines would not decode
    assert str(vevents(body)[0]["SUMMARY"]) == summary


def test_feed_header_fields_in_order() -> None:
    body = calendar_bytes("Leeds events", [], [], description="Events run by Leeds", refresh=timedelta(minutes=30))
    assert body.split(b"\r\n") == [
        b"BEGIN:VCALENDAR",
        b"PRODID:-//cop//events//EN",
        b"VERSION:2.0",
        b"CALSCALE:GREGORIAN",
        b"METHOD:PUBLISH",
        b"NAME:Leeds events",
        b"X-WR-CALNAME:Leeds events",
        b"DESCRIPTION:Events run by Leeds",
        b"X-WR-CALDESC:Events run by Leeds",
        b"REFRESH-INTERVAL;VALUE=DURATION:PT30M",
        b"X-PUBLISHED-TTL:PT30M",
        b"END:VCALENDAR",
        b"",
    ]
    plain = calendar_bytes("All events", [], [])
    assert b"X-WR-CALDESC" not in plain and b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in plain


def test_fragments_are_concatenated_as_given() -> None:
    first, second = event_fragment(make()), event_fragment(make(uid="event-43@cop.example"))
    body = calendar_bytes("Leeds events", [first, second], ["Europe/London"])
    assert body.endswith(first + second + b"END:VCALENDAR\r\n")
    assert first.startswith(b"BEGIN:VEVENT\r\n") and first.endswith(b"END:VEVENT\r\n")


def test_unchanged_event_gives_identical_bytes() -> None:
    tuesday = datetime(2026, 3, 10, 10, tzinfo=LONDON)
    moved = make(start=tuesday + timedelta(days=35, hours=4), end=tuesday + timedelta(days=35, hours=5),
                 recurrence_id=tuesday + timedelta(days=35))
    dropped = make(status="CANCELLED", recurrence_id=tuesday + timedelta(days=63))
    series = dict(start=tuesday, end=tuesday + timedelta(hours=1), repeat=Repeat("MONTHLY", count=6))
    one = make(**series, overrides=(moved, dropped))
    other = make(**series, overrides=(dropped, moved))
    assert event_fragment(one) == event_fragment(make(**series, overrides=(moved, dropped)))
    assert event_fragment(one) == event_fragment(other)
    assert feed(one, make(time_zone="Australia/Perth", start=datetime(2026, 1, 1, 9, tzinfo=PERTH),
                          end=datetime(2026, 1, 1, 10, tzinfo=PERTH))) == calendar_bytes(
        "Leeds events", [event_fragment(one), event_fragment(make(time_zone="Australia/Perth",
                                                                    start=datetime(2026, 1, 1, 9, tzinfo=PERTH),
                                                                    end=datetime(2026, 1, 1, 10, tzinfo=PERTH)))],
        ["Europe/London", "Australia/Perth", "Europe/London"])


def test_sequence_last_modified_and_dtstamp_follow_the_event() -> None:
    before = make()
    after = make(sequence=3, last_modified=datetime(2026, 11, 5, 17, 0, 1, tzinfo=UTC))
    assert event_fragment(before) != event_fragment(after)
    lines = unfolded(event_fragment(after))
    assert "SEQUENCE:3" in lines
    assert "LAST-MODIFIED:20261105T170001Z" in lines
    assert "DTSTAMP:20261105T170001Z" in lines
    assert "CREATED:20260901T083000Z" in lines
    assert "SEQUENCE:0" in unfolded(event_fragment(before))
    # A last change given in another zone is still written in UTC.
    sydney_time = make(last_modified=datetime(2026, 11, 6, 4, 0, 1, tzinfo=SYDNEY))
    assert "DTSTAMP:20261105T170001Z" in unfolded(event_fragment(sydney_time))


@pytest.mark.parametrize(("status", "prefix"), [("CANCELLED", "Cancelled"), ("TENTATIVE", "Postponed")])
def test_cancelled_and_postponed_say_so_in_summary_and_description(status: str, prefix: str) -> None:
    event = make(status=status, status_reason="The venue is closed for repairs.", sequence=2)
    parsed = vevents(feed(event))[0]
    assert str(parsed["STATUS"]) == status
    assert str(parsed["SUMMARY"]) == f"{prefix}: Leeds UX unconference"
    assert str(parsed["DESCRIPTION"]).split("\n\n") == [
        f"{prefix}: The venue is closed for repairs.",
        "A day of sessions chosen on the day.\nBring a topic.",
        "https://cop.example/events/leeds-ux",
    ]


def test_confirmed_event_has_no_prefix() -> None:
    parsed = vevents(feed(make()))[0]
    assert str(parsed["SUMMARY"]) == "Leeds UX unconference"
    assert str(parsed["STATUS"]) == "CONFIRMED"
    assert str(parsed["DESCRIPTION"]).startswith("A day of sessions")


@pytest.mark.parametrize("zone", ["Europe/London", "Australia/Sydney", "Australia/Perth"])
def test_zoned_event_keeps_local_time_and_gets_one_vtimezone(zone: str) -> None:
    tz = ZoneInfo(zone)
    event = make(start=datetime(2026, 12, 1, 10, tzinfo=tz), end=datetime(2026, 12, 1, 11, 30, tzinfo=tz), time_zone=zone)
    body = event_ics(event, "One event")
    assert zones_of(event) == {zone}
    assert body.count(b"BEGIN:VTIMEZONE") == 1
    assert f"TZID:{zone}\r\n".encode() in body
    lines = unfolded(body)
    assert f"DTSTART;TZID={zone}:20261201T100000" in lines
    assert f"DTEND;TZID={zone}:20261201T113000" in lines
    parsed = vevents(body)[0]
    assert parsed.DTSTART == datetime(2026, 12, 1, 10, tzinfo=tz)
    assert parsed.DTSTART.utcoffset() == datetime(2026, 12, 1, 10, tzinfo=tz).utcoffset()


@pytest.mark.parametrize("zone", ["Europe/London", "Australia/Sydney", "Australia/Perth", "America/Mexico_City"])
def test_vtimezone_gives_the_real_offsets_to_another_parser(zone: str) -> None:
    body = calendar_bytes("Zones", [], [zone])
    vtimezone = vobject.readOne(body.decode()).vtimezone.gettzinfo()
    real = ZoneInfo(zone)
    for moment in (datetime(year, month, day, 12) for year in range(2024, 2045) for month in range(1, 13) for day in (1, 15)):
        assert vtimezone.utcoffset(moment) == real.utcoffset(moment), moment


def test_vtimezone_states_yearly_rules_rather_than_listing_dates() -> None:
    london = unfolded(calendar_bytes("Zones", [], ["Europe/London"]))
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in london
    assert "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10" in london
    sydney = unfolded(calendar_bytes("Zones", [], ["Australia/Sydney"]))
    assert "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4" in sydney and "RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=10" in sydney
    # Mexico stopped changing its clocks in 2022: its rules end there.
    mexico = unfolded(calendar_bytes("Zones", [], ["America/Mexico_City"]))
    assert "RRULE:FREQ=YEARLY;UNTIL=20221031T020000Z;BYDAY=-1SU;BYMONTH=10" in mexico
    assert not any(line.startswith(("RDATE", "COMMENT")) for line in london + sydney + mexico)


def test_a_mixed_feed_has_each_vtimezone_once_in_order() -> None:
    def at(zone: str, day: int) -> FeedEvent:
        tz = ZoneInfo(zone)
        return make(uid=f"event-{zone}-{day}@cop.example", time_zone=zone,
                    start=datetime(2026, 12, day, 10, tzinfo=tz), end=datetime(2026, 12, day, 11, tzinfo=tz))

    body = feed(at("Europe/London", 1), at("Australia/Sydney", 2), at("Europe/London", 3), at("Australia/Perth", 4))
    tzids = re.findall(rb"\r\nTZID:([^\r]+)\r\n", body)
    assert tzids == [b"Australia/Perth", b"Australia/Sydney", b"Europe/London"]
    assert len(vevents(body)) == 4


def test_utc_event_needs_no_vtimezone() -> None:
    event = make(time_zone="UTC", start=datetime(2026, 12, 1, 10, tzinfo=UTC), end=datetime(2026, 12, 1, 11, tzinfo=UTC))
    assert zones_of(event) == set()
    body = event_ics(event, "One event")
    assert b"VTIMEZONE" not in body and "DTSTART:20261201T100000Z" in unfolded(body)


def test_all_day_event_has_exclusive_date_end() -> None:
    event = make(start=date(2026, 6, 6), end=date(2026, 6, 7), time_zone=None)
    body = event_ics(event, "BarCamp")
    lines = unfolded(body)
    assert "DTSTART;VALUE=DATE:20260606" in lines
    assert "DTEND;VALUE=DATE:20260608" in lines
    assert b"VTIMEZONE" not in body
    [only] = occurrences(event, *YEAR)
    assert (only.start, only.end, only.recurrence_id, only.cancelled) == (date(2026, 6, 6), date(2026, 6, 7), None, False)
    assert only.end_utc == datetime(2026, 6, 8, tzinfo=UTC)


def test_weekly_series_with_a_skipped_and_a_changed_occurrence() -> None:
    first = datetime(2026, 3, 5, 10, tzinfo=LONDON)
    week = timedelta(weeks=1)
    changed = make(summary="Surgery (afternoon this week)", start=first + 4 * week + timedelta(days=1, hours=4),
                   end=first + 4 * week + timedelta(days=1, hours=5), recurrence_id=first + 4 * week, sequence=1)
    series = make(summary="Surgery", start=first, end=first + timedelta(hours=1), repeat=Repeat("WEEKLY", count=6),
                  skipped=(first + 2 * week,), overrides=(changed,))
    body = feed(series)
    lines = unfolded(body)
    assert "RRULE:FREQ=WEEKLY;COUNT=6" in lines
    assert "EXDATE;TZID=Europe/London:20260319T100000" in lines
    assert "RECURRENCE-ID;TZID=Europe/London:20260402T100000" in lines
    assert [str(e["UID"]) for e in vevents(body)] == ["event-42@cop.example"] * 2
    expected = [datetime(2026, 3, d, 10, tzinfo=LONDON) for d in (5, 12, 26)] + [
        datetime(2026, 4, 3, 14, tzinfo=LONDON), datetime(2026, 4, 9, 10, tzinfo=LONDON)]
    assert expanded_starts(body) == expected
    found = occurrences(series, *YEAR)
    assert [o.start for o in found] == expected
    assert [o.event.summary for o in found] == ["Surgery"] * 3 + ["Surgery (afternoon this week)", "Surgery"]
    assert found[3].recurrence_id == datetime(2026, 4, 2, 10, tzinfo=LONDON)
    assert found[3].end == datetime(2026, 4, 3, 15, tzinfo=LONDON)
    assert not any(o.cancelled for o in found)


def test_monthly_series_on_the_second_tuesday() -> None:
    first = datetime(2026, 3, 10, 10, tzinfo=LONDON)
    changed = make(start=datetime(2026, 6, 10, 10, tzinfo=LONDON), end=datetime(2026, 6, 10, 11, tzinfo=LONDON),
                   recurrence_id=date(2026, 6, 9))
    series = make(start=first, end=first + timedelta(hours=1), repeat=Repeat("MONTHLY", until=date(2026, 8, 11)),
                  skipped=(datetime(2026, 5, 12, 9, tzinfo=UTC),), overrides=(changed,))
    body = feed(series)
    lines = unfolded(body)
    # 23:59:59 BST on the last day, in UTC as RFC 5545 requires with a zoned start.
    assert "RRULE:FREQ=MONTHLY;UNTIL=20260811T225959Z;BYDAY=2TU" in lines
    assert "EXDATE;TZID=Europe/London:20260512T100000" in lines
    assert "RECURRENCE-ID;TZID=Europe/London:20260609T100000" in lines
    expected = [datetime(2026, m, d, 10, tzinfo=LONDON) for m, d in ((3, 10), (4, 14), (6, 10), (7, 14), (8, 11))]
    assert expanded_starts(body) == expected
    assert [o.start for o in occurrences(series, *YEAR)] == expected


def test_monthly_series_from_a_fifth_friday_falls_on_the_last_friday() -> None:
    first = datetime(2026, 1, 30, 18, tzinfo=PERTH)
    cancelled = make(start=datetime(2026, 4, 24, 18, tzinfo=PERTH), end=datetime(2026, 4, 24, 20, tzinfo=PERTH),
                     time_zone="Australia/Perth", recurrence_id=datetime(2026, 4, 24, 18, tzinfo=PERTH),
                     status="CANCELLED", status_reason="Speaker unwell")
    series = make(start=first, end=first + timedelta(hours=2), time_zone="Australia/Perth",
                  repeat=Repeat("MONTHLY", count=5), skipped=(datetime(2026, 3, 27, 18, tzinfo=PERTH),),
                  overrides=(cancelled,))
    body = feed(series)
    assert "RRULE:FREQ=MONTHLY;COUNT=5;BYDAY=-1FR" in unfolded(body)
    expected = [datetime(2026, m, d, 18, tzinfo=PERTH) for m, d in ((1, 30), (2, 27), (4, 24), (5, 29))]
    assert expanded_starts(body) == expected
    found = occurrences(series, *YEAR)
    assert [o.start for o in found] == expected
    assert [o.cancelled for o in found] == [False, False, True, False]
    assert found[2].event.status_reason == "Speaker unwell"


def test_monthly_series_on_the_same_day_of_the_month() -> None:
    first = datetime(2026, 1, 15, 12, tzinfo=SYDNEY)
    series = make(start=first, end=first + timedelta(hours=1), time_zone="Australia/Sydney",
                  repeat=Repeat("MONTHLY", interval=2, count=3, monthly_by="day"))
    body = feed(series)
    assert "RRULE:FREQ=MONTHLY;COUNT=3;INTERVAL=2;BYMONTHDAY=15" in unfolded(body)
    assert expanded_starts(body) == [datetime(2026, m, 15, 12, tzinfo=SYDNEY) for m in (1, 3, 5)]


def test_all_day_series_uses_dates_throughout() -> None:
    changed = make(start=date(2026, 6, 21), end=date(2026, 6, 21), time_zone=None, recurrence_id=date(2026, 6, 20))
    series = make(start=date(2026, 6, 6), end=date(2026, 6, 6), time_zone=None,
                  repeat=Repeat("WEEKLY", until=date(2026, 6, 27)), skipped=(date(2026, 6, 13),), overrides=(changed,))
    lines = unfolded(feed(series))
    assert "RRULE:FREQ=WEEKLY;UNTIL=20260627" in lines
    assert "EXDATE;VALUE=DATE:20260613" in lines
    assert "RECURRENCE-ID;VALUE=DATE:20260620" in lines
    assert [(o.start, o.end) for o in occurrences(series, *YEAR)] == [
        (date(2026, 6, 6), date(2026, 6, 6)), (date(2026, 6, 21), date(2026, 6, 21)), (date(2026, 6, 27), date(2026, 6, 27))]


@pytest.mark.parametrize(("zone", "change"), [("Europe/London", date(2026, 3, 29)), ("Australia/Sydney", date(2026, 4, 5))])
def test_weekly_series_keeps_local_time_across_a_clock_change(zone: str, change: date) -> None:
    tz = ZoneInfo(zone)
    first = datetime.combine(change - timedelta(days=10), datetime.min.time(), tz).replace(hour=10)
    series = make(start=first, end=first + timedelta(hours=1), time_zone=zone, repeat=Repeat("WEEKLY", count=3))
    body = feed(series)
    starts = expanded_starts(body)
    assert [(s.hour, s.minute) for s in starts] == [(10, 0)] * 3
    offsets = [s.utcoffset() for s in starts]
    assert offsets[0] == offsets[1] != offsets[2]
    assert [o.start for o in occurrences(series, *YEAR)] == starts
    # vobject expands with pytz zones, whose offsets go stale in rrule arithmetic: read its wall times, and
    # take offsets from the VTIMEZONE the feed carries, as read by vobject (dateutil's tzical).
    calendar = vobject.readOne(body.decode())
    wall_times = [s.replace(tzinfo=None) for s in calendar.vevent.getrruleset()]
    assert wall_times == [s.replace(tzinfo=None) for s in starts]
    assert [calendar.vtimezone.gettzinfo().utcoffset(w) for w in wall_times] == offsets


def test_geo_categories_and_organizer_but_never_attendees() -> None:
    event = make(geo=(53.796, -1.5478), categories=("Unconference", "Design, research"), location="Leeds Central Library",
                 organizer_name="Leeds City Council", organizer_email="events@leeds.example")
    body = feed(event)
    lines = unfolded(body)
    assert "GEO:53.796;-1.5478" in lines
    assert "CATEGORIES:Unconference,Design\\, research" in lines
    assert 'ORGANIZER;CN="Leeds City Council":mailto:events@leeds.example' in lines
    assert b"ATTENDEE" not in body
    parsed = vevents(body)[0]
    assert list(parsed["CATEGORIES"].cats) == ["Unconference", "Design, research"]
    assert (parsed["GEO"].latitude, parsed["GEO"].longitude) == (53.796, -1.5478)
    assert b"ORGANIZER" not in event_fragment(make(organizer_name="Leeds City Council"))


def test_both_parsers_read_back_what_was_given() -> None:
    event = make(
        summary="Content design 101; part 1, the basics",
        description="Line one.\nLine two, with a comma; and a semicolon.\n\nA second paragraph: “quoted” café.",
        location="Room 3, Civic Hall; Leeds", geo=(53.8, -1.55), categories=("Course", "Content design"),
        organizer_name="Leeds City Council", organizer_email="events@leeds.example", sequence=4,
        start=datetime(2026, 7, 1, 9, 30, tzinfo=SYDNEY), end=datetime(2026, 7, 1, 16, tzinfo=SYDNEY),
        time_zone="Australia/Sydney",
    )
    body = feed(event, make(uid="event-7@cop.example", start=date(2026, 8, 1), end=date(2026, 8, 2), time_zone=None))
    description = f"{event.description}\n\n{event.url}"

    parsed = vevents(body)[0]
    assert str(parsed["UID"]) == event.uid
    assert str(parsed["SUMMARY"]) == event.summary
    assert str(parsed["DESCRIPTION"]) == description
    assert str(parsed["LOCATION"]) == event.location
    assert str(parsed["URL"]) == event.url
    assert (parsed.DTSTART, parsed.DTEND) == (event.start, event.end)
    assert parsed.decoded("CREATED") == event.created
    assert parsed.decoded("LAST-MODIFIED") == event.last_modified
    assert parsed.decoded("SEQUENCE") == 4

    calendar = vobject.readOne(body.decode())
    assert calendar.prodid.value == "-//cop//events//EN"
    assert calendar.contents["x-wr-calname"][0].value == "Leeds events"
    first, second = calendar.vevent_list
    assert first.uid.value == event.uid
    assert first.summary.value == event.summary
    assert first.description.value == description
    assert first.location.value == event.location
    assert first.url.value == event.url
    assert first.dtstart.value == event.start and first.dtstart.value.utcoffset() == timedelta(hours=10)
    assert first.dtend.value == event.end
    assert first.categories.value == list(event.categories)
    assert first.organizer.value == "mailto:events@leeds.example"
    assert first.organizer.params["CN"] == ["Leeds City Council"]
    assert first.geo.value == "53.8;-1.55"
    assert int(first.sequence.value) == 4
    assert first.last_modified.value == event.last_modified
    assert (second.dtstart.value, second.dtend.value) == (date(2026, 8, 1), date(2026, 8, 3))


def test_occurrences_of_a_one_off_event_follow_the_window() -> None:
    event = make()
    [only] = occurrences(event, *YEAR)
    assert (only.start, only.end, only.recurrence_id, only.event) == (event.start, event.end, None, event)
    assert only.start_utc == datetime(2026, 12, 1, 10, tzinfo=UTC)
    assert occurrences(event, datetime(2027, 1, 1, tzinfo=UTC), datetime(2027, 2, 1, tzinfo=UTC)) == []
    cancelled = make(status="CANCELLED")
    assert [o.cancelled for o in occurrences(cancelled, *YEAR)] == [True]


def test_inconsistent_events_are_refused() -> None:
    with pytest.raises(ValueError):
        Repeat("WEEKLY", count=3, until=date(2026, 1, 1))
    with pytest.raises(ValueError):
        Repeat("DAILY")
    with pytest.raises(ValueError):
        make(start=datetime(2026, 12, 1, 10), end=datetime(2026, 12, 1, 11))
    with pytest.raises(ValueError):
        make(start=date(2026, 12, 1), end=date(2026, 12, 1))
    with pytest.raises(ValueError):
        make(overrides=(make(),))
    with pytest.raises(ValueError):
        dataclasses.replace(make(), status="MAYBE")
