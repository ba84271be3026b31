"""Calendar feeds: which events each feed holds, each event's VEVENT kept ready, and the feed's validators.

A feed is built from one small query of what it holds (id, sequence, last change) and, for each event,
its VEVENT as bytes from the shared cache (Redis, or files in the instance folder), keyed by the event's
id and last change: a change to an event makes a new key, so the next request from any worker builds
that one event again and takes the rest as they were. The ETag is a hash of the bytes, so unchanged
data gives the same ETag, and a conditional request is answered 304 before anything is built.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.cache import cache, content_version
from cop.clock import utcnow
from cop.events import ical
from cop.events.models import KINDS, BoardSession, Event, Registration, SurgerySlot, session_interest
from cop.extensions import db
from cop.text.markdown import markdown_to_text
from cop.text.models import Topic
from cop.urls import external_url

#: Feeds reach this far back, so last month's events stay in people's calendars.
WINDOW_BACK = timedelta(days=90)
#: A cancelled event stays in feeds, marked cancelled, this long after it was cancelled.
CANCELLED_KEPT = timedelta(days=30)
#: How often calendar apps are asked to fetch a feed again.
REFRESH = timedelta(hours=1)
#: How long a built VEVENT is kept; a change makes a new key long before.
FRAGMENT_SECONDS = 7 * 24 * 3600
#: How long a whole feed is kept; a change to any event makes a new key long before.
FEED_SECONDS = 24 * 3600
#: The most events one feed holds.
MAX_FEED_EVENTS = 5000


@dataclass(frozen=True)
class FeedSelection:
    """What a feed holds: any of agency, kind, topic and level, or one event."""

    agency_id: Optional[int] = None
    kind: Optional[str] = None
    topic_id: Optional[int] = None
    level: Optional[str] = None
    event_id: Optional[int] = None


def _in_feeds(now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        Event.series_ends_at >= now - WINDOW_BACK,
        sa.or_(Event.status != "cancelled", Event.cancelled_at >= now - CANCELLED_KEPT),
    )


def selected(selection: FeedSelection, now: Optional[datetime] = None) -> sa.Select:
    """The events a feed holds, as (id, sequence, updated_at), oldest first."""
    now = now or utcnow()
    stmt = sa.select(Event.id, Event.sequence, Event.updated_at).where(_in_feeds(now))
    if selection.event_id is not None:
        stmt = sa.select(Event.id, Event.sequence, Event.updated_at).where(Event.id == selection.event_id)
    if selection.agency_id is not None:
        stmt = stmt.where(Event.agency_id == selection.agency_id)
    if selection.kind is not None:
        stmt = stmt.where(Event.kind == selection.kind)
    if selection.level is not None:
        stmt = stmt.where(Event.level == selection.level)
    if selection.topic_id is not None:
        stmt = stmt.where(Event.topics.any(Topic.id == selection.topic_id))
    return stmt.order_by(Event.starts_at, Event.id).limit(MAX_FEED_EVENTS)


def _site_host() -> str:
    return external_url("site.home").split("//", 1)[-1].split("/", 1)[0]


def event_uid(event: Event) -> str:
    """The event's calendar UID: ``event-<id>@<host>`` for one listed here; the UID its own server gives it
    for one received from another server, so a calendar holding both sees one event."""
    if event.is_remote and event.import_uid:
        return event.import_uid
    return f"event-{event.id}@{_site_host()}"


def feed_event(event: Event) -> ical.FeedEvent:
    """An event as calendars see it."""
    tz = ZoneInfo(event.time_zone)
    if event.all_day:
        start: Any = event.starts_at.astimezone(tz).date()
        end: Any = (event.ends_at.astimezone(tz) - timedelta(days=1)).date()
        time_zone = None
    else:
        start, end, time_zone = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz), event.time_zone
    place = ", ".join(p for p in (event.venue_name, event.venue_address) if p) or event.online_url
    description = markdown_to_text(event.description)
    if event.online_url and event.venue_name:
        description = f"{description}\n\nOnline: {event.online_url}".strip()
    repeat = None
    skipped: tuple = ()
    if event.repeat:
        repeat = ical.Repeat(freq=event.repeat.upper(), interval=event.repeat_interval, until=event.repeat_until,
                             monthly_by=event.repeat_monthly_by)
        skipped = tuple(
            s.starts_at.astimezone(tz).date() if event.all_day else s.starts_at.astimezone(tz) for s in event.skipped
        )
    master = ical.FeedEvent(
        uid=event_uid(event),
        summary=event.title,
        description=description,
        url=external_url("events.event", slug=event.slug),
        start=start,
        end=end,
        time_zone=time_zone,
        created=event.created_at,
        last_modified=event.updated_at,
        sequence=event.sequence,
        status={"scheduled": "CONFIRMED", "postponed": "TENTATIVE", "cancelled": "CANCELLED"}[event.status],
        status_reason=event.status_reason,
        location=place,
        geo=(event.latitude, event.longitude) if event.latitude is not None and event.longitude is not None else None,
        categories=(KINDS[event.kind], *(t.name for t in event.topics)),
        organizer_name=event.agency.name,
        organizer_email=event.contact_email or None,
        repeat=repeat,
        skipped=skipped,
    )
    if not (event.repeat and event.changes):
        return master
    return dataclasses.replace(master, overrides=tuple(_changed_date(master, change, tz, event.all_day) for change in event.changes))


def _changed_date(master: ical.FeedEvent, change: Any, tz: ZoneInfo, all_day: bool) -> ical.FeedEvent:
    """One moved or called-off date, as calendars see it: the series' VEVENT with a RECURRENCE-ID."""
    original, start, end = (change.original_start.astimezone(tz), change.starts_at.astimezone(tz), change.ends_at.astimezone(tz))
    if all_day:
        original, start, end = original.date(), start.date(), (end - timedelta(days=1)).date()
    return dataclasses.replace(
        master, start=start, end=end, recurrence_id=original, repeat=None, skipped=(), overrides=(),
        status="CANCELLED" if change.cancelled else master.status,
        status_reason=change.note if change.cancelled else master.status_reason,
        description=master.description if change.cancelled or not change.note else f"{change.note}\n\n{master.description}".strip(),
    )


def _fragment_key(event_id: int, sequence: int, updated_at: datetime) -> str:
    return f"ical:{event_id}:{sequence}:{updated_at.timestamp():.6f}"


#: This worker's own copy of the VEVENTs it has read or built, by the same keys: a key names one state of
#: one event, so a kept fragment is never stale, only unused. Bounded; the oldest go first.
_local: "OrderedDict[str, tuple[bytes, tuple[str, ...]]]" = OrderedDict()
LOCAL_FRAGMENTS = 20_000


def _remember(key: str, value: tuple[bytes, tuple[str, ...]]) -> None:
    _local[key] = value
    while len(_local) > LOCAL_FRAGMENTS:
        _local.popitem(last=False)


def fragments(rows: Iterable[sa.Row]) -> tuple[list[bytes], set[str]]:
    """Each event's VEVENT, from this worker's copy, the shared cache, or built and kept in both; and the
    time zones they use."""
    rows = list(rows)
    keys = [_fragment_key(r.id, r.sequence, r.updated_at) for r in rows]
    found: dict[str, tuple[bytes, tuple[str, ...]]] = {k: _local[k] for k in keys if k in _local}
    wanted = [k for k in keys if k not in found]
    if wanted:
        try:
            for key, value in zip(wanted, cache.get_many(*wanted)):
                if value is not None:
                    found[key] = value
                    _remember(key, value)
        except Exception:  # noqa: BLE001 - without the cache, every fragment is built
            pass
    missing = [r.id for r, key in zip(rows, keys) if key not in found]
    if missing:
        events = db.session.scalars(
            sa.select(Event).where(Event.id.in_(missing))
            .options(so.joinedload(Event.agency), so.selectinload(Event.topics), so.selectinload(Event.skipped),
                     so.selectinload(Event.changes))
        )
        fresh = {}
        for event in events:
            item = feed_event(event)
            key = _fragment_key(event.id, event.sequence, event.updated_at)
            fresh[key] = found[key] = (ical.event_fragment(item), tuple(sorted(ical.zones_of(item))))
            _remember(key, fresh[key])
        try:
            cache.set_many(fresh, timeout=FRAGMENT_SECONDS)
        except Exception:  # noqa: BLE001
            pass
    out: list[bytes] = []
    zones: set[str] = set()
    for key in keys:
        fragment, used = found[key]
        out.append(fragment)
        zones.update(used)
    return out, zones


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str
    last_modified: Optional[datetime]


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: Optional[datetime]


def _get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception:  # noqa: BLE001 - without the cache, the feed is built from the database
        return None


def _feed_from(name: str, rows: list[sa.Row], extra: Iterable[tuple[bytes, set[str]]] = ()) -> Feed:
    parts, zones = fragments(rows)
    for fragment, used in extra:
        parts.append(fragment)
        zones.update(used)
    body = ical.calendar_bytes(name, parts, zones, refresh=REFRESH)
    newest = max((r.updated_at for r in rows), default=None)
    return Feed(body=body, etag=hashlib.blake2b(body, digest_size=16).hexdigest(), last_modified=newest)


def _feed_key(name: str, selection: FeedSelection, now: datetime) -> Optional[str]:
    """The key a feed is kept under: its name and selection, the site's content version (moved on by every
    commit that changes an event, in any worker) and the hour (the 90-day window moves with the clock)."""
    version = content_version()
    if version is None:
        return None
    described = repr((name, selection, version, now.strftime("%Y%m%d%H"))).encode()
    return "icalfeed:" + hashlib.blake2b(described, digest_size=20).hexdigest()


class FeedSource:
    """One feed, asked for by one request: its validators cost one cache read while nothing changed; its
    bytes are built (from kept VEVENTs) only when they are wanted and not kept."""

    def __init__(self, name: str, selection: FeedSelection) -> None:
        self.name, self.selection = name, selection
        self.now = utcnow().replace(minute=0, second=0, microsecond=0)
        self.key = _feed_key(name, selection, self.now)
        self._feed: Optional[Feed] = None

    def validators(self) -> Validators:
        kept = _get(self.key + ":validators") if self.key else None
        if kept is not None:
            return Validators(*kept)
        feed = self.feed()
        return Validators(feed.etag, feed.last_modified)

    def feed(self) -> Feed:
        if self._feed is not None:
            return self._feed
        kept = _get(self.key + ":body") if self.key else None
        if kept is not None:
            self._feed = Feed(*kept)
            return self._feed
        rows = list(db.session.execute(selected(self.selection, self.now)))
        # One event's own feed carries its session board's scheduled sessions too.
        extra = session_fragments(sa.select(BoardSession).where(BoardSession.event_id == self.selection.event_id)) \
            if self.selection.event_id is not None else []
        self._feed = _feed_from(self.name, rows, extra)
        if self.key:
            try:
                cache.set_many({self.key + ":body": (self._feed.body, self._feed.etag, self._feed.last_modified),
                                self.key + ":validators": (self._feed.etag, self._feed.last_modified)}, timeout=FEED_SECONDS)
            except Exception:  # noqa: BLE001
                pass
        return self._feed


def build_feed(name: str, selection: FeedSelection) -> Feed:
    """The feed's bytes, a strong ETag over them and the newest change as Last-Modified."""
    return FeedSource(name, selection).feed()


def personal_rows(user_id: int) -> sa.Select:
    """The events a person is going to or waiting for, for their own feed."""
    now = utcnow()
    return (
        sa.select(Event.id, Event.sequence, Event.updated_at)
        .join(Registration, Registration.event_id == Event.id)
        .where(Registration.user_id == user_id, Registration.status.in_(("going", "waitlist")), _in_feeds(now))
        .order_by(Event.starts_at, Event.id)
        .limit(MAX_FEED_EVENTS)
    )


def slot_fragments(user_id: int) -> list[tuple[bytes, set[str]]]:
    """The surgery slots a person booked or hosts, each a VEVENT of its own."""
    slots = db.session.scalars(
        sa.select(SurgerySlot).options(so.joinedload(SurgerySlot.event).joinedload(Event.agency))
        .where(sa.or_(SurgerySlot.booked_by_id == user_id, sa.and_(SurgerySlot.host_id == user_id, SurgerySlot.booked_by_id.is_not(None))),
               SurgerySlot.ends_at >= utcnow() - WINDOW_BACK)
        .order_by(SurgerySlot.starts_at)
    )
    out = []
    for slot in slots:
        event = slot.event
        tz = ZoneInfo(event.time_zone)
        item = ical.FeedEvent(
            uid=f"surgery-slot-{slot.id}-{slot.booked_by_id}@{_site_host()}",
            summary=f"Surgery slot: {event.title}",
            description=f"Your one-to-one slot at {event.title}.\n\n{slot.note}".strip(),
            url=external_url("events.event", slug=event.slug),
            start=slot.starts_at.astimezone(tz), end=slot.ends_at.astimezone(tz), time_zone=event.time_zone,
            created=slot.booked_at or event.created_at, last_modified=max(slot.booked_at or event.updated_at, event.updated_at),
            sequence=event.sequence,
            status="CANCELLED" if event.is_cancelled else "CONFIRMED",
            status_reason=event.status_reason if event.is_cancelled else "",
            location=", ".join(p for p in (event.venue_name, event.venue_address) if p) or event.online_url,
            organizer_name=event.agency.name, organizer_email=event.contact_email or None,
        )
        out.append((ical.event_fragment(item), ical.zones_of(item)))
    return out


def session_fragments(sessions: sa.Select) -> list[tuple[bytes, set[str]]]:
    """Board sessions that have a room and a time, each a VEVENT of its own."""
    chosen = db.session.scalars(
        sessions.where(BoardSession.slot_id.is_not(None), BoardSession.room_id.is_not(None))
        .options(so.joinedload(BoardSession.slot), so.joinedload(BoardSession.room), so.joinedload(BoardSession.host))
        .order_by(BoardSession.id)
    ).all()
    events = {e.id: e for e in db.session.scalars(sa.select(Event).options(so.joinedload(Event.agency))
                                                   .where(Event.id.in_({s.event_id for s in chosen})))} if chosen else {}
    out = []
    for session in chosen:
        event = events[session.event_id]
        tz = ZoneInfo(event.time_zone)
        item = ical.FeedEvent(
            uid=f"board-session-{session.id}@{_site_host()}",
            summary=f"{session.title} ({session.room.name})",
            description="\n\n".join(p for p in (session.summary, f"Hosted by {session.host.display_name}." if session.host else "",
                                                 f"A session at {event.title}.") if p),
            url=external_url("board.board", slug=event.slug),
            start=session.slot.starts_at.astimezone(tz), end=session.slot.ends_at.astimezone(tz), time_zone=event.time_zone,
            created=session.created_at, last_modified=max(session.updated_at, event.updated_at),
            # Grows with every change to the session (its room, time or words) or to the event.
            sequence=event.sequence + int((session.updated_at - session.created_at).total_seconds()),
            status="CANCELLED" if event.is_cancelled else "CONFIRMED",
            status_reason=event.status_reason if event.is_cancelled else "",
            location=", ".join(p for p in (session.room.name, event.venue_name, event.venue_address) if p),
            organizer_name=event.agency.name, organizer_email=event.contact_email or None,
        )
        out.append((ical.event_fragment(item), ical.zones_of(item)))
    return out


def build_personal_feed(name: str, user_id: int) -> Feed:
    """A person's own feed: their registrations, surgery slots and the board sessions they marked."""
    rows = list(db.session.execute(personal_rows(user_id)))
    starred = sa.select(BoardSession).where(BoardSession.id.in_(
        sa.select(session_interest.c.session_id).where(session_interest.c.user_id == user_id)))
    return _feed_from(name, rows, slot_fragments(user_id) + session_fragments(starred))
