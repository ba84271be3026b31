"""Reading other calendars for import: every calendar from the wild either reads or is refused with a reason,
and each rule for sloppy calendars holds on a calendar written to break it."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import pytest

from cop.events import importing
from cop.events.importing import MAX_TEXT, STATUSES, ImportedEvent, ImportProblem, ParsedCalendar, iana_zone, parse_calendar

#: Real and fuzzed calendars that calendar software produced or choked on (see the README there).
WILD = Path(__file__).parent / "calendars"
WILD_FILES = sorted(WILD.glob("*.ics")) if WILD.is_dir() else []
#: The files there that must be refused whole; every other one must read.
REFUSED = {"big_bad_calendar.ics", "fuzz_testcase_0_char_in_component_name.ics", "fuzz_testcase_invalid_month.ics",
           "fuzz_testcase_vtimezone_lone_cr.ics"}
NO_WILD = pytest.mark.skipif(not WILD_FILES, reason=f"{WILD} is absent: the calendars from the wild are not on this machine")
UTC = timezone.utc


def ics(*lines: str, head: tuple[str, ...] = ("VERSION:2.0", "PRODID:-//partner//EN"), end: str = "\r\n") -> bytes:
    """A calendar around some content lines."""
    return end.join(["BEGIN:VCALENDAR", *head, *lines, "END:VCALENDAR", ""]).encode()


def vevent(*lines: str, uid: str | None = "a@partner", start: str = "DTSTART:20250301T100000Z") -> tuple[str, ...]:
    return ("BEGIN:VEVENT", *([f"UID:{uid}"] if uid else []), start, *lines, "END:VEVENT")


def only(calendar: ParsedCalendar) -> ImportedEvent:
    assert len(calendar.events) == 1, calendar
    return calendar.events[0]


def wild(name: str) -> ParsedCalendar:
    if not WILD_FILES:
        pytest.skip(f"{WILD} is absent: the calendars from the wild are not on this machine")
    return parse_calendar((WILD / name).read_bytes())


# ---------------------------------------------------------------- every calendar from the wild


def assert_sound(calendar: ParsedCalendar) -> None:
    """What an importer relies on, whatever the calendar."""
    zones = available_timezones()
    for event in [*calendar.events, *(o for e in calendar.events for o in e.overrides)]:
        assert event.uid and event.status in STATUSES and event.sequence >= 0
        assert type(event.start) is type(event.end)
        if isinstance(event.start, datetime):
            assert event.start.utcoffset() is not None and event.end >= event.start
        else:
            assert event.end >= event.start and event.time_zone is None
        assert event.time_zone is None or event.time_zone in zones
        assert event.last_modified is None or event.last_modified.tzinfo is not None
    assert all(isinstance(warning, str) and warning for warning in calendar.warnings)


@pytest.mark.parametrize("path", WILD_FILES or [pytest.param(None, marks=NO_WILD)], ids=lambda p: getattr(p, "name", "absent"))
def test_every_calendar_from_the_wild_reads_or_is_refused_with_a_reason(path: Path) -> None:
    try:
        calendar = parse_calendar(path.read_bytes())
    except ImportProblem as problem:
        assert path.name in REFUSED, f"{path.name} was refused: {problem}"
        assert str(problem).endswith(".") and "Traceback" not in str(problem)
    else:
        assert path.name not in REFUSED, f"{path.name} should have been refused"
        assert isinstance(calendar, ParsedCalendar)
        assert_sound(calendar)


@NO_WILD
@pytest.mark.parametrize("seed", range(8))
def test_damaged_copies_of_the_wild_calendars_never_raise_anything_else(seed: int) -> None:
    chance = random.Random(seed)
    for path in WILD_FILES:
        data = bytearray(path.read_bytes())
        for _ in range(12):
            damaged = bytearray(data)
            for _ in range(chance.randint(1, 6)):
                spot = chance.randrange(len(damaged) or 1)
                what = chance.choice(["flip", "cut", "insert", "newline"])
                if what == "flip" and damaged:
                    damaged[spot] = chance.randrange(256)
                elif what == "cut":
                    del damaged[spot:spot + chance.randint(1, 40)]
                elif what == "insert":
                    damaged[spot:spot] = chance.choice([b":", b";", b"=", b"\\", b"\r", b"\x00", b"BEGIN:VEVENT\n", b"END:VEVENT\n"])
                else:
                    damaged[spot:spot] = b"\n "
            try:
                assert_sound(parse_calendar(bytes(damaged)))
            except ImportProblem:
                pass


def test_a_holiday_calendar_of_all_day_events() -> None:
    calendar = wild("example.ics")
    assert calendar.name == "Holidays" and calendar.warnings == ()
    assert [(e.uid, e.summary, e.start, e.end) for e in calendar.events] == [
        ("636a0cc1dbd5a1667894465@icalendar", "New Year's Day", date(2022, 1, 1), date(2022, 1, 1)),
        ("636a0cc1dbfd91667894465@icalendar", "Orthodox Christmas", date(2022, 1, 7), date(2022, 1, 7)),
        ("636a0cc1dc0f11667894465@icalendar", "International Women's Day", date(2022, 3, 8), date(2022, 3, 8)),
    ]
    assert calendar.events[1].location == "Russia" and calendar.events[1].description == "It is Christmas again!"


def test_a_google_calendar_shows_its_utc_times_in_the_calendars_zone() -> None:
    event = only(calendar := wild("alarm_google_future.ics"))
    assert calendar.name == "Nicco Kunzmann"
    assert (event.uid, event.summary, event.time_zone) == ("79fs7pkqvht9m5igs0vjv1sfra@google.com", "event with alarms", "Europe/London")
    assert event.start == datetime(2024, 10, 4, 18, 15, tzinfo=UTC) and event.start.tzinfo == ZoneInfo("Europe/London")
    assert event.start.hour == 19 and event.end - event.start == timedelta(minutes=45)
    assert event.last_modified == datetime(2024, 10, 4, 17, 59, 28, tzinfo=UTC)


def test_a_thunderbird_calendar_keeps_its_zone() -> None:
    event = only(wild("alarm_thunderbird_future.ics"))
    assert event.time_zone == "Europe/London" and event.start == datetime(2024, 10, 23, 15, tzinfo=ZoneInfo("Europe/London"))


def test_custom_zones_without_an_iana_name_keep_their_offsets() -> None:
    sydney_ish = only(wild("issue_218_bad_tzid.ics"))
    assert sydney_ish.time_zone is None and sydney_ish.start.utcoffset() == timedelta(hours=11)
    assert sydney_ish.start == datetime(2017, 2, 28, 12, tzinfo=UTC) and sydney_ish.status == "CONFIRMED"
    new_york = only(wild("america_new_york.ics"))
    assert new_york.start.utcoffset() == timedelta(hours=-4) and new_york.end == datetime(2014, 8, 29, 14, tzinfo=UTC)


def test_a_changed_occurrence_without_its_series_stands_alone() -> None:
    event = only(calendar := wild("issue_156_RDATE_with_PERIOD_TZID_khal.ics"))
    assert event.uid_made_up and event.uid.startswith("made-up-") and "no UID" in calendar.warnings[0]
    assert (event.time_zone, event.sequence, event.recurrence_id) == ("America/Chicago", 10, datetime(2018, 3, 27, 13, tzinfo=UTC))
    assert event.start == datetime(2018, 3, 27, 8, tzinfo=ZoneInfo("America/Chicago"))


def test_events_with_broken_dates_or_rules_are_skipped_or_trimmed_with_a_warning() -> None:
    unreadable = wild("issue_1081_invalid_start_and_end.ics")
    assert unreadable.events == () and unreadable.skipped_uids == ("test-123",)
    assert unreadable.warnings == ("“Test” was skipped: its start date could not be read.",)
    bad_rule = only(calendar := wild("issue_1081_invalid_rrule_freq.ics"))
    assert bad_rule.uid == "test-123" and bad_rule.rrule is None and "repeat rule could not be read" in calendar.warnings[0]
    assert wild("broken_ical.ics").skipped_uids == ("abc",)


def test_an_event_that_left_the_calendar_is_missing_from_the_later_copy() -> None:
    before, after = wild("issue_526_calendar_with_events.ics"), wild("issue_526_calendar_with_event_subset.ics")
    assert [(e.uid, e.summary) for e in before.events] == [("1", "Some event ':'"), ("2", "Some other event")]
    assert [e.uid for e in after.events] == ["1"]
    assert "“Western/Central Europe” is not known" in after.warnings[0]


def test_non_ascii_text_survives() -> None:
    calendar = wild("created_calendar_with_unicode_fields.ics")
    assert calendar.name == "äöü ÄÖÜ €"
    assert [(e.summary, e.location) for e in calendar.events] == [("Non-ASCII Test: ÄÖÜ äöü €", "Tribstrül"), ("åäö", "")]


# ---------------------------------------------------------------- what calendars in the wild send


def test_a_bom_bare_line_feeds_and_no_version_still_read() -> None:
    data = b"\xef\xbb\xbf" + ics(*vevent("SUMMARY:Drop-in"), head=(), end="\n")
    assert b"\r" not in data and b"VERSION" not in data
    event = only(parse_calendar(data))
    assert (event.uid, event.summary, event.start) == ("a@partner", "Drop-in", datetime(2025, 3, 1, 10, tzinfo=UTC))


def test_folded_lines_and_escapes_are_undone() -> None:
    event = only(parse_calendar(ics(*vevent("SUMMARY:Digital\\, data", "  and design", "DESCRIPTION:Line one\\nLine two",
                                            "LOCATION:Civic Hall\\; Room 2"))))
    assert (event.summary, event.description, event.location) == ("Digital, data and design", "Line one\nLine two", "Civic Hall; Room 2")


def test_unknown_properties_and_other_components_are_ignored() -> None:
    calendar = parse_calendar(ics(
        "X-SOMETHING;FOO=bar:baz", "BEGIN:VTODO", "UID:todo", "DTSTART:20250301T100000Z", "END:VTODO",
        "BEGIN:VJOURNAL", "UID:journal", "DTSTART:20250301", "END:VJOURNAL",
        *vevent("SUMMARY:Meetup", "NONSENSE-PROP;X=1:whatever", "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "END:VALARM"),
    ))
    assert [e.uid for e in calendar.events] == ["a@partner"] and calendar.warnings == ()


@pytest.mark.parametrize(("tzid", "zone"), [("GMT Standard Time", "Europe/London"), ("AUS Eastern Standard Time", "Australia/Sydney"),
                                            ("Europe/Berlin", "Europe/Berlin")])
def test_windows_zone_names_become_iana_names(tzid: str, zone: str) -> None:
    event = only(parse_calendar(ics(*vevent(f"DTEND;TZID={tzid}:20250701T110000", start=f"DTSTART;TZID={tzid}:20250701T100000"))))
    assert event.time_zone == zone
    assert event.start == datetime(2025, 7, 1, 10, tzinfo=ZoneInfo(zone)) and event.start.tzinfo == ZoneInfo(zone)
    assert event.end - event.start == timedelta(hours=1)


def test_an_outlook_zone_definition_is_read_by_its_iana_rules() -> None:
    outlook_zone = ("BEGIN:VTIMEZONE", "TZID:GMT Standard Time", "BEGIN:STANDARD", "DTSTART:16010101T020000", "TZOFFSETFROM:+0100",
                    "TZOFFSETTO:+0000", "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10", "END:STANDARD", "BEGIN:DAYLIGHT",
                    "DTSTART:16010101T010000", "TZOFFSETFROM:+0000", "TZOFFSETTO:+0100",
                    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3",
                    "END:DAYLIGHT", "END:VTIMEZONE")
    event = only(parse_calendar(ics(*outlook_zone, *vevent(start="DTSTART;TZID=GMT Standard Time:20250701T100000"))))
    assert event.time_zone == "Europe/London" and event.start == datetime(2025, 7, 1, 9, tzinfo=UTC)


def test_a_vendor_prefixed_zone_with_its_definition_is_named() -> None:
    berlin = ("BEGIN:VTIMEZONE", "TZID:/mozilla.org/20050126_1/Europe/Berlin", "X-LIC-LOCATION:Europe/Berlin", "BEGIN:STANDARD",
              "DTSTART:19701025T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE")
    event = only(parse_calendar(ics(*berlin, *vevent(start="DTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20250101T100000"))))
    assert event.time_zone == "Europe/Berlin" and event.start == datetime(2025, 1, 1, 9, tzinfo=UTC)


# icalendar warns (GloballyUniqueTZIDGuessed) when it guesses a vendor-prefixed TZID that has no VTIMEZONE;
# the guess is the behaviour under test, and the test configuration would turn the warning into an error.
@pytest.mark.filterwarnings("ignore::icalendar.error.GloballyUniqueTZIDGuessed")
def test_a_vendor_prefixed_zone_without_its_definition_is_guessed() -> None:
    event = only(parse_calendar(ics(*vevent(start="DTSTART;TZID=/mozilla.org/20050126_1/Europe/Berlin:20250101T100000"))))
    assert event.time_zone == "Europe/Berlin" and event.start == datetime(2025, 1, 1, 9, tzinfo=UTC)


def test_a_broken_zone_definition_falls_back_to_the_zones_name() -> None:
    broken = ("BEGIN:VTIMEZONE", "TZID:W. Europe Standard Time", "BEGIN:STANDARD", "DTSTART:16010101T030000", "TZOFFSETFROM:+02OO",
              "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE")
    calendar = parse_calendar(ics(*broken, *vevent(start="DTSTART;TZID=W. Europe Standard Time:20250101T100000")))
    assert only(calendar).time_zone == "Europe/Berlin" and only(calendar).start == datetime(2025, 1, 1, 9, tzinfo=UTC)
    assert calendar.warnings == ("The calendar's time zone definitions could not be read, so its time zones were taken by name.",)


def test_floating_times_are_read_in_the_calendars_zone_or_else_utc() -> None:
    floating = vevent(start="DTSTART:20250701T100000")
    zoned = only(parse_calendar(ics(*floating, head=("X-WR-TIMEZONE:Europe/Paris",))))
    assert zoned.time_zone == "Europe/Paris" and zoned.start == datetime(2025, 7, 1, 8, tzinfo=UTC)
    plain = only(parse_calendar(ics(*floating)))
    assert plain.time_zone == "UTC" and plain.start == datetime(2025, 7, 1, 10, tzinfo=UTC)
    unknown = parse_calendar(ics(*floating, head=("X-WR-TIMEZONE:Mars/Olympus_Mons",)))
    assert only(unknown).start == datetime(2025, 7, 1, 10, tzinfo=UTC) and "Mars/Olympus_Mons" in unknown.warnings[0]


def test_an_unknown_tzid_is_read_in_the_calendars_zone_with_a_warning() -> None:
    calendar = parse_calendar(ics(*vevent(start="DTSTART;TZID=Springfield Time:20250701T100000"), head=("X-WR-TIMEZONE:Europe/London",)))
    assert only(calendar).start == datetime(2025, 7, 1, 9, tzinfo=UTC) and only(calendar).time_zone == "Europe/London"
    assert calendar.warnings == ("The time zone “Springfield Time” is not known; its times were read as Europe/London.",)


@pytest.mark.parametrize(("lines", "start", "end"), [
    (("DTEND;VALUE=DATE:20250304",), date(2025, 3, 1), date(2025, 3, 3)),
    (("DTEND;VALUE=DATE:20250302",), date(2025, 3, 1), date(2025, 3, 1)),
    (("DURATION:P3D",), date(2025, 3, 1), date(2025, 3, 3)),
    ((), date(2025, 3, 1), date(2025, 3, 1)),
    (("DTEND;VALUE=DATE:20250201",), date(2025, 3, 1), date(2025, 3, 1)),
])
def test_all_day_events_end_on_their_last_day(lines: tuple[str, ...], start: date, end: date) -> None:
    event = only(parse_calendar(ics(*vevent(*lines, start="DTSTART;VALUE=DATE:20250301"))))
    assert (event.start, event.end, event.time_zone) == (start, end, None)
    assert not isinstance(event.end, datetime)


@pytest.mark.parametrize(("lines", "length"), [(("DTEND:20250301T113000Z",), timedelta(minutes=90)),
                                               (("DURATION:PT45M",), timedelta(minutes=45)), ((), timedelta(0)),
                                               (("DTEND:20250301T090000Z",), timedelta(0))])
def test_timed_events_end_at_dtend_or_after_their_duration_or_when_they_start(lines: tuple[str, ...], length: timedelta) -> None:
    event = only(parse_calendar(ics(*vevent(*lines))))
    assert event.end - event.start == length


def test_an_event_without_a_uid_gets_a_stable_one() -> None:
    def made_up(summary: str) -> ImportedEvent:
        return only(parse_calendar(ics(*vevent(f"SUMMARY:{summary}", uid=None))))

    first, again, other = made_up("Drop-in"), made_up("Drop-in"), made_up("Surgery")
    assert first.uid_made_up and first.uid == again.uid != other.uid and first.uid.startswith("made-up-")
    assert not only(parse_calendar(ics(*vevent("SUMMARY:Drop-in")))).uid_made_up
    assert "“Drop-in” has no UID" in parse_calendar(ics(*vevent("SUMMARY:Drop-in", uid=None))).warnings[0]


def test_an_unparseable_date_skips_that_event_and_keeps_the_rest() -> None:
    calendar = parse_calendar(ics(*vevent("SUMMARY:Broken", uid="bad", start="DTSTART:2025-03-01 at ten"),
                                  *vevent("SUMMARY:Fine", uid="good"), *vevent("SUMMARY:Startless", uid="none", start="")))
    assert [e.uid for e in calendar.events] == ["good"] and calendar.skipped_uids == ("bad", "none")
    assert calendar.warnings == ("“Broken” was skipped: its start date could not be read.",
                                 "“Startless” was skipped: it has no start date.")


def test_long_text_is_cut() -> None:
    event = only(parse_calendar(ics(*vevent("SUMMARY:" + "s" * 20_000, "DESCRIPTION:" + "d" * 50_000, "LOCATION:" + "l" * 12_000))))
    assert len(event.summary) == len(event.description) == len(event.location) == MAX_TEXT


def test_a_series_and_its_changed_occurrences() -> None:
    calendar = parse_calendar(ics(
        *vevent("SUMMARY:Moved surgery", "RECURRENCE-ID:20250308T100000Z", "SEQUENCE:2", uid="s@partner", start="DTSTART:20250308T140000Z"),
        *vevent("SUMMARY:Surgery", "RRULE:FREQ=WEEKLY;COUNT=10", "DURATION:PT1H", uid="s@partner"),
        *vevent("SUMMARY:One-off", uid="o@partner"),
        *vevent("SUMMARY:Called off", "RECURRENCE-ID:20250315T100000Z", "STATUS:CANCELLED", uid="s@partner",
                start="DTSTART:20250315T100000Z"),
    ))
    series, one_off = calendar.events
    assert (series.uid, series.rrule, series.recurrence_id) == ("s@partner", "FREQ=WEEKLY;COUNT=10", None)
    assert (one_off.uid, one_off.rrule, one_off.overrides) == ("o@partner", None, ())
    assert [(o.summary, o.recurrence_id, o.start, o.status, o.sequence) for o in series.overrides] == [
        ("Moved surgery", datetime(2025, 3, 8, 10, tzinfo=UTC), datetime(2025, 3, 8, 14, tzinfo=UTC), "CONFIRMED", 2),
        ("Called off", datetime(2025, 3, 15, 10, tzinfo=UTC), datetime(2025, 3, 15, 10, tzinfo=UTC), "CANCELLED", 0),
    ]


def test_a_repeated_uid_keeps_the_first_with_a_warning() -> None:
    calendar = parse_calendar(ics(*vevent("SUMMARY:First"), *vevent("SUMMARY:Second")))
    assert only(calendar).summary == "First" and "more than once" in calendar.warnings[0]


def test_status_sequence_modified_categories_and_url() -> None:
    event = only(parse_calendar(ics(*vevent("STATUS:tentative", "SEQUENCE:4", "LAST-MODIFIED:20250201T120000", "CATEGORIES:BarCamp,Data",
                                            "CATEGORIES:Data,Open data", "URL:https://partner.example/e/1"))))
    assert (event.status, event.sequence, event.last_modified) == ("TENTATIVE", 4, datetime(2025, 2, 1, 12, tzinfo=UTC))
    assert event.categories == ("BarCamp", "Data", "Open data") and event.url == "https://partner.example/e/1"
    odd = only(parse_calendar(ics(*vevent("STATUS:MAYBE", "SEQUENCE:many", "LAST-MODIFIED:yesterday"))))
    assert (odd.status, odd.sequence, odd.last_modified, odd.categories) == ("CONFIRMED", 0, None, ())


@pytest.mark.parametrize(("head", "name", "refresh"), [
    (("NAME:Partner events", "X-WR-CALNAME:Old name", "REFRESH-INTERVAL;VALUE=DURATION:PT2H"), "Partner events", timedelta(hours=2)),
    (("X-WR-CALNAME:Leeds\\, Bradford and York", "X-PUBLISHED-TTL:PT1H"), "Leeds, Bradford and York", timedelta(hours=1)),
    (("X-PUBLISHED-TTL:soon",), "", None),
    ((), "", None),
])
def test_the_calendars_name_and_refresh_interval(head: tuple[str, ...], name: str, refresh: timedelta | None) -> None:
    calendar = parse_calendar(ics(*vevent(), head=head))
    assert (calendar.name, calendar.refresh) == (name, refresh)
    assert any("refresh interval" in warning for warning in calendar.warnings) == (head == ("X-PUBLISHED-TTL:soon",))


def test_iana_zone_names() -> None:
    assert [iana_zone(name) for name in ("Europe/London", "GMT Standard Time", "/freeassociation.sourceforge.net/Tzfile/Asia/Tokyo",
                                         '"Pacific Standard Time"', "Middle Earth", "", None)] == [
        "Europe/London", "Europe/London", "Asia/Tokyo", "America/Los_Angeles", None, None, None]


# ---------------------------------------------------------------- what is not a calendar


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty answer, not a calendar"),
    (b" \r\n\t", "empty answer, not a calendar"),
    (b"<!DOCTYPE html><html><body>Not found</body></html>", "The address did not return a calendar (it looks like a web page)."),
    (b"\n\n<html><head><title>Sign in</title></head></html>", "it looks like a web page"),
    (b'{"error": "not found"}', "begins with BEGIN:VCALENDAR"),
    (bytes(range(256)) * 4, "did not return a calendar"),
    (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20250301T100000Z\r\n", "incomplete"),
    (b"BEGIN:VCALENDAR\nBEGIN:V\nRRULE:%n;BYMONTH=\nEND:VCALENDAR\n", "could not be read: it is damaged or not in the iCalendar (.ics) "
                                                                   "format. The first problem found: Invalid month"),
    (b"BEGIN:VCALENDAR\nEND:VEVENT\nEND:VCALENDAR\n", "could not be read"),
])
def test_what_is_not_a_calendar_is_refused_with_a_reason(data: bytes, words: str) -> None:
    with pytest.raises(ImportProblem) as caught:
        parse_calendar(data)
    assert words in str(caught.value)


def test_nothing_but_import_problem_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RecursionError("deep")

    monkeypatch.setattr(importing.icalendar.Calendar, "from_ical", explode)
    with pytest.raises(ImportProblem, match="could not be read") as caught:
        parse_calendar(ics(*vevent()))
    assert isinstance(caught.value.__cause__, RecursionError)


def test_more_than_the_largest_number_of_events_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "MAX_EVENTS", 3)
    assert len(parse_calendar(ics(*[line for n in range(3) for line in vevent(uid=f"e{n}")])).events) == 3
    with pytest.raises(ImportProblem, match="more than 3 events"):
        parse_calendar(ics(*[line for n in range(4) for line in vevent(uid=f"e{n}")]))


def test_a_calendar_of_more_than_5000_events_is_refused() -> None:
    with pytest.raises(ImportProblem, match="has more than 5,000 events"):
        parse_calendar(ics(*[line for n in range(5001) for line in vevent(f"SUMMARY:Event {n}", uid=f"e{n}")]))
