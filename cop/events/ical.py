"""iCalendar (RFC 5545) for events: one VEVENT per event as bytes, feeds made of them, and their occurrences.

A feed is the concatenation of per-event fragments that the caller keeps ready, so a fragment is
written exactly as it appears inside the VCALENDAR (CRLF line ends, lines folded at 75 octets) and is
deterministic: the same event gives the same bytes, and DTSTAMP comes from the event's last change.
Occurrences shown on the site are found by expanding that same fragment, so they match what
calendar apps show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Iterable
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Event, Timezone, vCalAddress, vDatetime, vDuration, vText

PRODID = "-//cop//events//EN"
STATUSES = ("CONFIRMED", "TENTATIVE", "CANCELLED")
#: What SUMMARY and the reason paragraph start with; Google hides cancelled events, so its users see this.
STATUS_PREFIXES = {"CANCELLED": "Cancelled", "TENTATIVE": "Postponed"}
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_END = b"END:VCALENDAR\r\n"
#: VTIMEZONEs describe offsets from this date on: cop lists nothing earlier, and older rules only add RDATEs.
ZONES_FROM = date(2020, 1, 1)
#: Changes are computed up to here; a yearly rule still in force then is written open-ended.
ZONES_UNTIL = date(2038, 1, 1)


@dataclass(frozen=True)
class Repeat:
    """How an event repeats: every `interval` weeks or months, `count` times or until a date."""

    freq: str
    interval: int = 1
    #: At most this many occurrences (or use `until`, never both).
    count: int | None = None
    #: The last date, inclusive and in the event's zone, an occurrence may start on.
    until: date | None = None
    #: MONTHLY only: "weekday" is the same nth weekday as the start (BYDAY=2TU), "day" the same day of the month.
    monthly_by: str = "weekday"

    def __post_init__(self) -> None:
        if self.freq not in ("WEEKLY", "MONTHLY"):
            raise ValueError(f"freq must be WEEKLY or MONTHLY, not {self.freq!r}")
        if self.monthly_by not in ("weekday", "day"):
            raise ValueError(f"monthly_by must be 'weekday' or 'day', not {self.monthly_by!r}")
        if self.interval < 1 or (self.count is not None and self.count < 1):
            raise ValueError("interval and count must be at least 1")
        if self.count is not None and self.until is not None:
            raise ValueError("RFC 5545 allows COUNT or UNTIL, not both")


@dataclass(frozen=True)
class FeedEvent:
    """An event, or one changed occurrence of a series, as calendars see it."""

    uid: str
    summary: str
    #: Plain text, already stripped of Markdown.
    description: str
    url: str
    #: An aware datetime in `time_zone`, or a date for an all-day event.
    start: datetime | date
    #: An aware datetime, or for an all-day event its last day, inclusive.
    end: datetime | date
    #: An IANA name; None for an all-day event.
    time_zone: str | None
    created: datetime
    #: The last change a subscriber would care about; also the DTSTAMP.
    last_modified: datetime
    sequence: int = 0
    status: str = "CONFIRMED"
    #: Shown to attendees as the first paragraph of the description.
    status_reason: str = ""
    location: str = ""
    geo: tuple[float, float] | None = None
    categories: tuple[str, ...] = ()
    organizer_name: str = ""
    organizer_email: str | None = None
    repeat: Repeat | None = None
    #: Starts of occurrences that do not happen (EXDATE).
    skipped: tuple[datetime | date, ...] = ()
    #: Changed single occurrences, each with `recurrence_id` set.
    overrides: tuple[FeedEvent, ...] = ()
    recurrence_id: datetime | date | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        if self.time_zone is None:
            if isinstance(self.start, datetime) or isinstance(self.end, datetime):
                raise ValueError("an event without a time zone is all-day: start and end must be dates")
        elif not (_is_aware(self.start) and _is_aware(self.end)):
            raise ValueError("a zoned event needs aware datetimes for start and end")
        if not (_is_aware(self.created) and _is_aware(self.last_modified)):
            raise ValueError("created and last_modified must be aware datetimes")
        if any(o.recurrence_id is None for o in self.overrides):
            raise ValueError("every override needs a recurrence_id")

    @property
    def all_day(self) -> bool:
        """Whether the event takes whole days rather than a time of day."""
        return self.time_zone is None


@dataclass(frozen=True)
class Occurrence:
    """One occurrence of an event as a calendar app shows it."""

    start: datetime | date
    #: For an all-day event, the last day, inclusive.
    end: datetime | date
    #: The original start of this occurrence in a series; None for an event that does not repeat.
    recurrence_id: datetime | date | None
    #: The override where this occurrence was changed, otherwise the event itself.
    event: FeedEvent = field(repr=False)
    cancelled: bool = False

    @property
    def start_utc(self) -> datetime:
        """The start in UTC; an all-day occurrence starts at midnight UTC."""
        return _utc_bound(self.start)

    @property
    def end_utc(self) -> datetime:
        """The end in UTC; an all-day occurrence ends at midnight UTC after its last day."""
        return _utc_bound(self.end + timedelta(days=1) if not isinstance(self.end, datetime) else self.end)


def _is_aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def _utc_bound(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc)
    return datetime.combine(value, time(0), timezone.utc)


def _utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc)


@lru_cache(maxsize=None)
def _written_as_utc(zone: str) -> bool:
    """Whether icalendar writes times in this zone with a Z (UTC, Etc/UTC...) rather than a TZID."""
    return vDatetime(datetime(2000, 1, 1, tzinfo=ZoneInfo(zone))).to_ical().endswith(b"Z")


def _in_form_of(value: datetime | date, master: FeedEvent) -> datetime | date:
    """A start (EXDATE, RECURRENCE-ID) in the same form as the master's DTSTART: zoned or a date."""
    if master.all_day:
        return value.date() if isinstance(value, datetime) else value
    tz = ZoneInfo(master.time_zone or "UTC")
    if isinstance(value, datetime):
        return value.astimezone(tz)
    # A bare date names the occurrence that starts that day, at the series' time of day.
    assert isinstance(master.start, datetime)
    return datetime.combine(value, master.start.astimezone(tz).time(), tz)


def _original_start(override: FeedEvent, master: FeedEvent) -> datetime | date:
    """The start of the occurrence an override changes, in the master's form: its RECURRENCE-ID."""
    assert override.recurrence_id is not None  # FeedEvent refuses overrides without one
    return _in_form_of(override.recurrence_id, master)


def _times(event: FeedEvent) -> tuple[datetime | date, datetime | date]:
    if event.all_day:
        assert not isinstance(event.end, datetime)
        return event.start, event.end + timedelta(days=1)  # DTEND;VALUE=DATE is exclusive
    assert isinstance(event.start, datetime) and isinstance(event.end, datetime)
    tz = ZoneInfo(event.time_zone or "UTC")
    return event.start.astimezone(tz), event.end.astimezone(tz)


def _rrule(event: FeedEvent, repeat: Repeat) -> dict[str, object]:
    rule: dict[str, object] = {"FREQ": repeat.freq}
    if repeat.interval > 1:
        rule["INTERVAL"] = repeat.interval
    if repeat.count is not None:
        rule["COUNT"] = repeat.count
    if repeat.until is not None:
        if event.all_day:
            rule["UNTIL"] = repeat.until
        else:
            # RFC 5545: with a zoned DTSTART, UNTIL must be in UTC; the end of that day keeps any start on it.
            tz = ZoneInfo(event.time_zone or "UTC")
            rule["UNTIL"] = _utc(datetime.combine(repeat.until, time(23, 59, 59), tz))
    if repeat.freq == "MONTHLY":
        first = _times(event)[0]
        if repeat.monthly_by == "day":
            rule["BYMONTHDAY"] = first.day
        else:
            nth = (first.day - 1) // 7 + 1
            # Not every month has a fifth weekday; "last" is what a start on one means.
            rule["BYDAY"] = f"{-1 if nth == 5 else nth}{WEEKDAYS[first.weekday()]}"
    return rule


def _description(event: FeedEvent) -> str:
    reason = event.status_reason.strip()
    if reason and event.status in STATUS_PREFIXES:
        reason = f"{STATUS_PREFIXES[event.status]}: {reason}"
    return "\n\n".join(p for p in (reason, event.description.strip(), event.url) if p)


def _vevent(event: FeedEvent, master: FeedEvent) -> Event:
    """One VEVENT: the master when `event is master`, otherwise one changed occurrence of it."""
    start, end = _times(event)
    prefix = STATUS_PREFIXES.get(event.status)
    vevent = Event()
    vevent.add("uid", master.uid)
    vevent.add("dtstamp", _utc(event.last_modified))
    vevent.add("created", _utc(event.created))
    vevent.add("last-modified", _utc(event.last_modified))
    vevent.add("sequence", event.sequence)
    vevent.add("summary", f"{prefix}: {event.summary}" if prefix else event.summary)
    vevent.add("status", event.status)
    vevent.add("dtstart", start)
    vevent.add("dtend", end)
    if event is master:
        if master.repeat is not None:
            vevent.add("rrule", _rrule(master, master.repeat))
            if master.skipped:
                vevent.add("exdate", sorted({_in_form_of(s, master) for s in master.skipped}, key=_utc_bound))
    else:
        vevent.add("recurrence-id", _original_start(event, master))
    if description := _description(event):
        vevent.add("description", description)
    if event.url:
        vevent.add("url", event.url)
    if event.location:
        vevent.add("location", event.location)
    if event.geo is not None:
        vevent.add("geo", event.geo)
    if event.categories:
        vevent.add("categories", list(event.categories))
    if event.organizer_email:
        organizer = vCalAddress(f"mailto:{event.organizer_email}")
        if event.organizer_name:
            organizer.params["CN"] = vText(event.organizer_name)
        vevent.add("organizer", organizer)
    return vevent


def event_fragment(event: FeedEvent) -> bytes:
    """The event's VEVENT, then one per changed occurrence, exactly as they appear inside a VCALENDAR."""
    parts = [_vevent(event, event).to_ical()]
    # In order of the occurrence they change, so the bytes do not depend on the order they were given in.
    changed = sorted(event.overrides, key=lambda o: _utc_bound(_original_start(o, event)))
    parts.extend(_vevent(o, event).to_ical() for o in changed)
    return b"".join(parts)


def zones_of(event: FeedEvent) -> set[str]:
    """The TZIDs the event's fragment uses, its changed occurrences included."""
    zones = {e.time_zone for e in (event, *event.overrides) if e.time_zone is not None}
    return {z for z in zones if not _written_as_utc(z)}


def _yearly_rule(onsets: list[datetime]) -> dict[str, object] | None:
    """The RRULE that gives exactly these onsets, one a year on the nth (or last) weekday of a month, if any."""
    if len(onsets) < 2 or any(b.year != a.year + 1 for a, b in zip(onsets, onsets[1:])):
        return None
    first = onsets[0]
    if any((o.month, o.weekday(), o.time()) != (first.month, first.weekday(), first.time()) for o in onsets):
        return None
    nths = {(o.day - 1) // 7 + 1 for o in onsets}
    if len(nths) == 1:
        nth = nths.pop()
    elif all((o + timedelta(weeks=1)).month != o.month for o in onsets):
        nth = -1
    else:
        return None
    return {"FREQ": "YEARLY", "BYMONTH": first.month, "BYDAY": f"{nth}{WEEKDAYS[first.weekday()]}"}


@lru_cache(maxsize=None)
def vtimezone_bytes(zone: str) -> bytes:
    """The VTIMEZONE for an IANA zone, from icalendar's own; built once per process, as building it is slow.

    icalendar lists every change of offset as an RDATE; Outlook is reported to ignore such definitions
    and dateutil (so vobject) reads them wrongly. Wherever the changes follow one yearly rule, as in most
    zones since ZONES_FROM, they become that RRULE: the form Google Calendar itself writes.
    """
    computed = Timezone.from_tzid(zone, first_date=ZONES_FROM, last_date=ZONES_UNTIL)
    for part in computed.subcomponents:
        rdates = part.get("RDATE")
        if rdates is None:
            continue
        onsets = [part["DTSTART"].dt] + [
            leaf.dt for dates in (rdates if isinstance(rdates, list) else [rdates]) for leaf in dates.dts
        ]
        rule = _yearly_rule(onsets)
        if rule is None:
            continue
        if onsets[-1].year < ZONES_UNTIL.year - 1:
            # The rule stopped. A day after its last onset, UNTIL holds whether a reader compares it in
            # UTC, as RFC 5545 says, or as local time, as dateutil does.
            rule["UNTIL"] = (onsets[-1] + timedelta(days=1)).replace(tzinfo=timezone.utc)
        del part["RDATE"]
        part.add("RRULE", rule)
    if not any("RDATE" in part for part in computed.subcomponents):
        # Open-ended rules carry on past ZONES_UNTIL, so the comment that says otherwise goes.
        computed.pop("COMMENT", None)
    return computed.to_ical()


def _header(name: str, description: str, refresh: timedelta) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    if description:
        calendar.add("description", description)
        calendar.add("x-wr-caldesc", description)
    calendar.add("refresh-interval", vDuration(refresh), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(refresh))
    written = calendar.to_ical(sorted=False)
    assert written.endswith(_END)
    return written[: -len(_END)]


def calendar_bytes(
    name: str,
    fragments: Iterable[bytes],
    zones: Iterable[str],
    *,
    description: str = "",
    refresh: timedelta = timedelta(hours=1),
) -> bytes:
    """A whole feed: the calendar's properties, a VTIMEZONE per zone used, then the fragments as given."""
    timezones = [vtimezone_bytes(z) for z in sorted(set(zones)) if not _written_as_utc(z)]
    return b"".join((_header(name, description, refresh), *timezones, *fragments, _END))


def event_ics(event: FeedEvent, name: str) -> bytes:
    """A calendar holding just this event, for a mail attachment or a one-event feed."""
    return calendar_bytes(name, [event_fragment(event)], zones_of(event))


def _recurrence_key(value: datetime | date) -> datetime | date:
    return _utc(value) if isinstance(value, datetime) else value


def _as_written(value: datetime | date, event: FeedEvent) -> datetime | date:
    """A start or end read back from the calendar, in the zone of the event it belongs to."""
    if isinstance(value, datetime) and event.time_zone is not None:
        return value.astimezone(ZoneInfo(event.time_zone))
    return value


def occurrences(event: FeedEvent, window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """The event's occurrences that overlap the window, found by expanding the feed a calendar app reads."""
    calendar = Calendar.from_ical(event_ics(event, event.summary))
    changed = {_recurrence_key(_original_start(o, event)): o for o in event.overrides}
    found = []
    for component in recurring_ical_events.of(calendar).between(window_start, window_end):
        recurrence_id = component.get("RECURRENCE-ID")
        recurrence_id = recurrence_id.dt if recurrence_id is not None and event.repeat is not None else None
        applies = changed.get(_recurrence_key(recurrence_id), event) if recurrence_id is not None else event
        start, end = component.DTSTART, component.DTEND
        if not isinstance(end, datetime):
            end = end - timedelta(days=1)  # back to the last day, inclusive
        found.append(Occurrence(
            start=_as_written(start, applies),
            end=_as_written(end, applies),
            recurrence_id=_as_written(recurrence_id, event) if recurrence_id is not None else None,
            event=applies,
            cancelled=str(component.get("STATUS", "")).upper() == "CANCELLED",
        ))
    found.sort(key=lambda o: o.start_utc)
    return found
