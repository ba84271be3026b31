"""The dates of a repeating event: which there are, and moving or calling off one of them.

The dates are those a calendar app finds in the event's own VEVENT (cop.events.ical expands it with
recurring-ical-events), so a date the site shows is a date every subscriber sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Optional
from zoneinfo import ZoneInfo

from cop.clock import utcnow
from cop.errors import Conflict, ServiceError
from cop.events import feeds, ical
from cop.events.models import Event, OccurrenceChange
from cop.events.services import require_manager, to_utc
from cop.extensions import db
from cop.signals import event_changed, send_after_commit
from cop.text.markdown import strip_html

UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Occurrence:
    """One date of an event as the site shows it: when, in the event's zone, and what changed."""

    day: date
    start: datetime
    end: datetime
    original_start: datetime
    cancelled: bool
    moved: bool
    note: str


def _utc(value: datetime | date, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.combine(value, time(), tzinfo=tz).astimezone(UTC)


def dates(event: Event, since: datetime, until: datetime) -> list[Occurrence]:
    """The event's dates that end after ``since`` and start before ``until``, changed ones as changed."""
    tz = ZoneInfo(event.time_zone)
    changes = {c.original_start: c for c in event.changes}
    found = []
    for item in ical.occurrences(feeds.feed_event(event), since - timedelta(days=1), until):
        original = _utc(item.recurrence_id or item.start, tz)
        start, end = _utc(item.start, tz), _utc(item.end, tz)
        if event.all_day:
            end = _utc(item.end, tz) + timedelta(days=1)
        if end <= since or start >= until:
            continue
        change = changes.get(original)
        found.append(Occurrence(
            day=original.astimezone(tz).date(), start=start.astimezone(tz), end=end.astimezone(tz), original_start=original,
            cancelled=item.cancelled or bool(change and change.cancelled), moved=bool(change and not change.cancelled),
            note=change.note if change else "",
        ))
    return found


def occurrence_on(event: Event, day: date) -> Optional[Occurrence]:
    """The date of the series that the series itself puts on ``day`` (in the event's zone), if any."""
    if not event.repeat:
        return None
    tz = ZoneInfo(event.time_zone)
    start = datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)
    # Wide enough to find a date that was moved away from this day.
    for item in dates(event, start - timedelta(days=40), start + timedelta(days=41)):
        if item.original_start.astimezone(tz).date() == day:
            return item
    return None


def change_occurrence(actor: Any, event: Event, day: date, starts: Optional[datetime], ends: Optional[datetime],
                      cancelled: bool, note: str) -> OccurrenceChange:
    """Move one date of a repeating event (local wall-clock times) or call it off; everyone registered is told."""
    from cop.events.registrations import tell_registered

    require_manager(actor, event)
    if event.is_cancelled:
        raise Conflict("The whole event is cancelled.")
    occurrence = occurrence_on(event, day)
    if occurrence is None:
        raise ServiceError(f"{event.title} has no date on {day:%-d %B %Y}.", field="day")
    note = " ".join(strip_html(note or "").split())[:500]
    tz = ZoneInfo(event.time_zone)
    if cancelled:
        if not note:
            raise ServiceError("Say why this date is called off: attendees are shown it.", field="note")
        new_start, new_end = occurrence.original_start, occurrence.original_start + (event.ends_at - event.starts_at)
    else:
        if starts is None or ends is None:
            raise ServiceError("Enter when this date now starts and ends.", field="starts")
        if event.all_day:
            starts, ends = datetime.combine(starts.date(), time()), datetime.combine(ends.date() + timedelta(days=1), time())
        new_start, new_end = to_utc(starts, tz, "starts"), to_utc(ends, tz, "ends")
        if new_end <= new_start:
            raise ServiceError("It must end after it starts.", field="ends")
    change = next((c for c in event.changes if c.original_start == occurrence.original_start), None)
    if change is None:
        change = OccurrenceChange(original_start=occurrence.original_start)
        event.changes.append(change)
    change.starts_at, change.ends_at, change.cancelled, change.note = new_start, new_end, cancelled, note
    event.sequence += 1
    event.updated_at = utcnow()
    db.session.flush()
    when = f"{day:%-d %B %Y}"
    if cancelled:
        tell_registered(event, f"{event.title} on {when} is called off", note)
    else:
        tell_registered(event, f"{event.title} on {when} moves to {new_start.astimezone(tz):%-d %B %Y %H:%M}", note)
    send_after_commit(event_changed, Event, event.id)
    return change


def restore_occurrence(actor: Any, event: Event, day: date) -> None:
    """Put a moved or called-off date back as the series has it."""
    require_manager(actor, event)
    occurrence = occurrence_on(event, day)
    change = next((c for c in event.changes if occurrence and c.original_start == occurrence.original_start), None)
    if change is None:
        raise Conflict("That date is as the series has it already.")
    event.changes.remove(change)
    event.sequence += 1
    event.updated_at = utcnow()
    db.session.flush()
    send_after_commit(event_changed, Event, event.id)
