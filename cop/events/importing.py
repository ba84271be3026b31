"""Reading another calendar's .ics for import: pure functions over icalendar, no database.

Calendars in the wild are sloppy, so this is forgiving where the meaning is still clear (a BOM, bare LF
line ends, Windows time zone names, a missing UID or VERSION) and skips, with a warning an admin can
read, an event it cannot make sense of. What is not a calendar at all, or is cut short, is refused whole
with ImportProblem, so an import never acts on half a calendar.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import zoneinfo
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional

import icalendar
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

log = logging.getLogger(__name__)

#: A calendar with more events than this is refused rather than imported in part.
MAX_EVENTS = 5000
#: Longer text (a summary, description, location) is cut to this many characters.
MAX_TEXT = 10_000
#: At most this many warnings are kept; a calendar broken throughout says so once more at the end.
MAX_WARNINGS = 50
STATUSES = ("CONFIRMED", "TENTATIVE", "CANCELLED")
_FREQUENCIES = {"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_END = re.compile(r"^END:VCALENDAR[ \t]*$", re.IGNORECASE | re.MULTILINE)
_VTIMEZONE = re.compile(r"^BEGIN:VTIMEZONE[ \t]*\n.*?^END:VTIMEZONE[ \t]*\n", re.IGNORECASE | re.MULTILINE | re.DOTALL)
_ESCAPED = re.compile(r"\\([\\;,nN])")
_WEB_PAGE = ("<!doctype", "<html", "<head", "<body", "<title", "<script")


UNREADABLE = "The calendar could not be read: it is damaged or not in the iCalendar (.ics) format"


class ImportProblem(Exception):
    """A calendar that cannot be imported at all; the message says what an admin can do about it."""


@dataclass(frozen=True)
class ImportedEvent:
    """One event as the source calendar describes it; changed occurrences of a series are its ``overrides``."""

    uid: str
    summary: str
    description: str
    url: str
    location: str
    #: Aware datetimes in the event's zone, or dates for an all-day event (``end`` is then its last day).
    start: datetime | date
    end: datetime | date
    #: The IANA name of the event's zone; None for all-day events and zones that have no IANA name.
    time_zone: Optional[str]
    status: str = "CONFIRMED"
    sequence: int = 0
    last_modified: Optional[datetime] = None
    categories: tuple[str, ...] = ()
    #: The repeat rule as RFC 5545 writes it ("FREQ=WEEKLY;COUNT=10"), or None.
    rrule: Optional[str] = None
    #: Which occurrence of the series an override replaces; None for the series itself.
    recurrence_id: Optional[datetime | date] = None
    overrides: tuple[ImportedEvent, ...] = ()
    #: The calendar gave no UID, so one was made from a hash of the summary and start.
    uid_made_up: bool = False


@dataclass(frozen=True)
class ParsedCalendar:
    """A calendar's name, how often it asks to be read again, its events and what was wrong with it."""

    name: str
    refresh: Optional[timedelta]
    events: tuple[ImportedEvent, ...]
    warnings: tuple[str, ...] = ()
    #: UIDs of events that were skipped as unreadable: still in the source, so not to be treated as removed.
    skipped_uids: tuple[str, ...] = ()


class _Skip(Exception):
    """An event that cannot be read; the message ends the sentence "… was skipped: "."""


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def iana_zone(name: Optional[str]) -> Optional[str]:
    """The IANA name for a time zone as calendars write it: IANA, Windows ("GMT Standard Time") or vendor-prefixed."""
    name = (name or "").strip().strip('"').strip()
    if not name:
        return None
    # Vendor-prefixed IDs ("/mozilla.org/20050126_1/Europe/London") end in the IANA name.
    parts = name.strip("/").split("/")
    for candidate in (name, WINDOWS_TO_OLSON.get(name), *("/".join(parts[i:]) for i in range(1, len(parts)))):
        if candidate and candidate in _zone_names():
            return candidate
    return None


def parse_calendar(data: bytes) -> ParsedCalendar:
    """The name, refresh interval and events of an .ics file; ImportProblem if it is not a calendar that can be read."""
    try:
        return _Reader(_calendar_text(data)).read()
    except ImportProblem:
        raise
    except Exception as error:  # noqa: BLE001 - whatever breaks on a hostile file, the admin gets a reason
        log.info("calendar could not be parsed: %r", error)
        raise ImportProblem(UNREADABLE + ".") from error


def _unreadable(error: Exception) -> ImportProblem:
    """The parser's own words on the first problem, for the admin to pass on to the calendar's owner."""
    return ImportProblem(f"{UNREADABLE}. The first problem found: {' '.join(str(error).split())[:160]}")


def _calendar_text(data: bytes) -> str:
    """The body as text, refused with a reason when it plainly is not a whole calendar."""
    raw = bytes(data or b"")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16", errors="replace")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            # Older Outlook and Exchange exports are Windows-1252.
            text = raw.decode("cp1252", errors="replace")
    text = text.lstrip("\ufeff \t\r\n\x00")
    if not text.strip():
        raise ImportProblem("The address returned an empty answer, not a calendar.")
    head = text[:1024].lower()
    if any(tag in head for tag in _WEB_PAGE):
        raise ImportProblem("The address did not return a calendar (it looks like a web page). Check it is the calendar's .ics address.")
    if not text[:15].upper().startswith("BEGIN:VCALENDAR"):
        raise ImportProblem("The address did not return a calendar (an iCalendar file begins with BEGIN:VCALENDAR).")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not _END.search(text):
        raise ImportProblem("The calendar is incomplete: it stops before its end (END:VCALENDAR), so nothing was changed.")
    return text


def _first(value: Any) -> Any:
    """The first of a property given more than once, which calendars in the wild do."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _text(component: Any, name: str) -> str:
    """A text property, unescaped, cut to MAX_TEXT; "" when absent."""
    value = _first(component.get(name))
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, icalendar.vUnknown):
        # X- properties arrive still escaped ("Partner events\, Leeds").
        text = _ESCAPED.sub(lambda found: "\n" if found[1] in "nN" else found[1], text)
    return text[:MAX_TEXT]


def _line(text: str) -> str:
    return " ".join(text.split())


def _quoted(summary: str) -> str:
    return f"“{summary[:60]}”" if summary else "An event without a title"


class _Reader:
    """One reading of a calendar: the zones it names and the warnings gathered on the way."""

    def __init__(self, text: str) -> None:
        #: Each warning once, in the order first met (a dict, as a set that keeps order).
        self.warnings: dict[str, None] = {}
        try:
            calendars = icalendar.Calendar.from_ical(text, multiple=True)
        except ValueError as error:
            # icalendar is strict about time zone definitions, which Outlook and others get wrong; without
            # them the zones are still known by name, so try once more before giving up.
            without_zones = _VTIMEZONE.sub("", text)
            if without_zones == text:
                raise _unreadable(error) from error
            try:
                calendars = icalendar.Calendar.from_ical(without_zones, multiple=True)
            except ValueError:
                raise _unreadable(error) from error
            self.warn("The calendar's time zone definitions could not be read, so its time zones were taken by name.")
        calendars = [c for c in calendars if c.name == "VCALENDAR"]
        if not calendars:
            raise ImportProblem(UNREADABLE + ".")
        self.calendars = calendars
        self.locations = {str(tz.get("TZID", "")): str(tz.get("X-LIC-LOCATION", "")) for c in calendars for tz in c.walk("VTIMEZONE")}
        named = _line(_text(calendars[0], "X-WR-TIMEZONE"))
        self.calendar_zone = iana_zone(named)
        if named and self.calendar_zone is None:
            self.warn(f"The calendar's time zone “{named[:60]}” is not known; times without a zone were read as UTC.")
        #: Where times written without a zone (floating times) are placed.
        self.floating_zone = self.calendar_zone or "UTC"

    def warn(self, message: str) -> None:
        self.warnings.setdefault(message)

    def read(self) -> ParsedCalendar:
        components = [c for calendar in self.calendars for c in calendar.subcomponents if c.name == "VEVENT"]
        if len(components) > MAX_EVENTS:
            raise ImportProblem(f"The calendar has more than {MAX_EVENTS:,} events, more than can be imported. "
                                "Ask its owner for a calendar of upcoming events only.")
        items: list[ImportedEvent] = []
        skipped: list[str] = []
        for component in components:
            try:
                items.append(self.event(component))
            except Exception as error:  # noqa: BLE001 - one unreadable event must not cost the others
                summary, uid = _line(_text(component, "SUMMARY")), _line(_text(component, "UID"))
                reason = str(error) if isinstance(error, _Skip) else "it could not be read"
                self.warn(f"{_quoted(summary)} was skipped: {reason}.")
                if uid:
                    skipped.append(uid)
        first = self.calendars[0]
        events, refresh = _series(items, set(skipped), self.warn), self.refresh(first)
        warnings = list(self.warnings)[:MAX_WARNINGS]
        if len(self.warnings) > MAX_WARNINGS:
            warnings.append(f"… and {len(self.warnings) - MAX_WARNINGS:,} more problems.")
        return ParsedCalendar(name=_line(_text(first, "NAME") or _text(first, "X-WR-CALNAME")), refresh=refresh, events=tuple(events),
                              warnings=tuple(warnings), skipped_uids=tuple(dict.fromkeys(skipped)))

    def refresh(self, calendar: Any) -> Optional[timedelta]:
        """How often the calendar asks to be read (REFRESH-INTERVAL, or Microsoft's X-PUBLISHED-TTL)."""
        for name in ("REFRESH-INTERVAL", "X-PUBLISHED-TTL"):
            prop = _first(calendar.get(name))
            if prop is None:
                continue
            try:
                value = prop.dt if isinstance(prop, icalendar.vDDDTypes) else icalendar.vDuration.from_ical(str(prop).strip())
            except Exception:  # noqa: BLE001 - a bad interval only costs the hint
                value = None
            if isinstance(value, timedelta) and value > timedelta(0):
                return value
            self.warn(f"The calendar's refresh interval “{str(prop)[:40]}” could not be read.")
        return None

    def moment(self, prop: Any, what: str) -> tuple[datetime | date, Optional[str]]:
        """A date or an aware datetime in its zone, with the zone's IANA name when it has one."""
        try:
            value = prop.dt
        except Exception as error:  # noqa: BLE001 - icalendar raises its own kinds for broken values
            raise _Skip(f"its {what} could not be read") from error
        if isinstance(value, datetime):
            tzid = str(prop.params.get("TZID") or "") if hasattr(prop, "params") else ""
            if value.tzinfo is None:
                zone = self.zone_for(tzid) if tzid else None
                if tzid and zone is None:
                    self.warn(f"The time zone “{tzid[:60]}” is not known; its times were read as {self.floating_zone}.")
                zone = zone or self.floating_zone
                return value.replace(tzinfo=zoneinfo.ZoneInfo(zone)), zone
            key = getattr(value.tzinfo, "key", None)
            if value.tzinfo is timezone.utc or (key == "UTC" and not tzid):
                # Written in UTC (…Z): shown in the calendar's own zone when it names one, as Google's feeds expect.
                zone = self.calendar_zone or "UTC"
                return value.astimezone(zoneinfo.ZoneInfo(zone)), zone
            zone = key if key in _zone_names() else self.zone_for(tzid)
            if zone is not None:
                # The wall time as written, read by the real zone's rules rather than the calendar's copy of them.
                return value.replace(tzinfo=zoneinfo.ZoneInfo(zone)), zone
            try:
                value.utcoffset()
            except Exception as error:  # noqa: BLE001 - a custom VTIMEZONE can be broken in many ways
                raise _Skip(f"its time zone “{tzid[:60]}” could not be read") from error
            return value, None
        if isinstance(value, date):
            return value, None
        raise _Skip(f"its {what} is not a date")

    def zone_for(self, tzid: str) -> Optional[str]:
        """The IANA zone a TZID means, by its name or by the location its VTIMEZONE gives."""
        return iana_zone(tzid) or iana_zone(self.locations.get(tzid))

    def event(self, component: Any) -> ImportedEvent:
        """One VEVENT read into an ImportedEvent; _Skip (or anything else) if it cannot be."""
        prop = _first(component.get("DTSTART"))
        if prop is None:
            raise _Skip("it has no start date")
        start, zone = self.moment(prop, "start date")
        summary = _line(_text(component, "SUMMARY"))
        end = self.end(component, start)
        uid = _line(_text(component, "UID"))
        made_up = not uid
        if made_up:
            digest = hashlib.sha256(f"{summary}\n{start.isoformat()}".encode()).hexdigest()
            uid = f"made-up-{digest[:40]}"
            self.warn(f"{_quoted(summary)} has no UID, so one was made from its title and start; "
                      "if either changes at the source it will be imported as a new event.")
        recurrence = _first(component.get("RECURRENCE-ID"))
        status = _text(component, "STATUS").strip().upper()
        last_modified = None
        modified_prop = _first(component.get("LAST-MODIFIED"))
        try:
            modified = modified_prop.dt if modified_prop is not None else None
        except Exception:  # noqa: BLE001 - a broken timestamp only costs the timestamp
            modified = None
        if isinstance(modified, datetime):
            last_modified = (modified if modified.tzinfo else modified.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
        try:
            sequence = max(int(_first(component.get("SEQUENCE")) or 0), 0)
        except (TypeError, ValueError):
            sequence = 0
        return ImportedEvent(
            uid=uid, summary=summary, description=_text(component, "DESCRIPTION").strip(), url=_line(_text(component, "URL")),
            location=_line(_text(component, "LOCATION")), start=start, end=end, time_zone=zone,
            status=status if status in STATUSES else "CONFIRMED", sequence=sequence, last_modified=last_modified,
            categories=_categories(component), rrule=self.rrule(component, summary),
            recurrence_id=self.moment(recurrence, "recurrence date")[0] if recurrence is not None else None, uid_made_up=made_up,
        )

    def end(self, component: Any, start: datetime | date) -> datetime | date:
        """When the event ends: DTEND, else DTSTART + DURATION, else the start (for all-day events, the last day)."""
        end: Optional[datetime | date] = None
        prop, duration = _first(component.get("DTEND")), _first(component.get("DURATION"))
        try:
            if prop is not None:
                end = self.moment(prop, "end date")[0]
            elif duration is not None and isinstance(duration.dt, timedelta):
                end = start + duration.dt
        except Exception:  # noqa: BLE001 - an unreadable end still leaves a usable event
            self.warn(f"{_quoted(_line(_text(component, 'SUMMARY')))}: its end could not be read, so it ends when it starts.")
        if isinstance(start, datetime):
            return end if isinstance(end, datetime) and end > start else start
        if isinstance(end, date) and not isinstance(end, datetime) and end > start:
            # An all-day event's DTEND is the day after it; ours is its last day.
            return end - timedelta(days=1)
        return start

    def rrule(self, component: Any, summary: str) -> Optional[str]:
        """The repeat rule as text, or None when there is none or it cannot be read."""
        prop = _first(component.get("RRULE"))
        if prop is None:
            return None
        text = prop.to_ical().decode("utf-8", errors="replace") if hasattr(prop, "to_ical") else str(prop)
        rule = dict(part.partition("=")[::2] for part in text.upper().split(";") if part)
        if rule.get("FREQ") not in _FREQUENCIES or any(name == "RRULE" for name, _ in getattr(component, "errors", [])):
            self.warn(f"{_quoted(summary)}: its repeat rule could not be read, so only its first occurrence was imported.")
            return None
        return text


def _categories(component: Any) -> tuple[str, ...]:
    """Every category, from however many CATEGORIES lines, once each."""
    found: list[str] = []
    values = component.get("CATEGORIES")
    for value in values if isinstance(values, list) else [values]:
        if value is None:
            continue
        for category in getattr(value, "cats", [value]):
            text = _line(str(category))[:200]
            if text and text not in found:
                found.append(text)
    return tuple(found)


def _series(items: list[ImportedEvent], skipped: set[str], warn: Any) -> list[ImportedEvent]:
    """Masters with their changed occurrences under them; an occurrence whose series is absent stands alone."""
    masters: dict[str, ImportedEvent] = {}
    overrides: dict[str, list[ImportedEvent]] = {}
    for item in items:
        if item.recurrence_id is not None:
            overrides.setdefault(item.uid, []).append(item)
        elif item.uid in masters:
            warn(f"{_quoted(item.summary)} appears more than once with the same UID; only the first was imported.")
        else:
            masters[item.uid] = item
    events = [replace(master, overrides=tuple(overrides.pop(uid, ()))) for uid, master in masters.items()]
    for uid, changed in overrides.items():
        if uid not in skipped:
            events.append(replace(changed[0], overrides=tuple(changed[1:])))
    return events
