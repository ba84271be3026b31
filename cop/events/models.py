"""Events: unconferences, BarCamps, surgeries, courses and more, with places, repeats and registrations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.agencies.models import Agency
from cop.cache import watch
from cop.clock import UTCDateTime, utcnow
from cop.extensions import db
from cop.text.models import Topic

if TYPE_CHECKING:
    from cop.accounts.models import User

#: The kinds of event, and what pages call them.
KINDS = {
    "unconference": "Unconference",
    "barcamp": "BarCamp",
    "surgery": "Social media surgery",
    "course": "Course",
    "workshop": "Workshop",
    "webinar": "Webinar",
    "meetup": "Meetup",
}
#: Where an event stands; a cancelled or postponed one says why.
STATUSES = {"scheduled": "Scheduled", "postponed": "Postponed", "cancelled": "Cancelled"}
#: How an event repeats: (value, label).
REPEATS = {"weekly": "Every week", "monthly": "Every month"}
#: A monthly event falls on the same weekday of the month (the second Tuesday) or the same date.
MONTHLY_BY = {"weekday": "On the same weekday (such as the second Tuesday)", "day": "On the same date"}
#: A registration: a place, a place on the waiting list, or given up.
REGISTRATION_STATUSES = {"going": "Going", "waitlist": "On the waiting list", "cancelled": "Cancelled"}
#: Currencies a price may be in (ISO 4217).
CURRENCIES = {"GBP": "£", "AUD": "A$", "NZD": "NZ$", "CAD": "C$", "EUR": "€", "USD": "US$"}
#: What events are indexed as in the search service.
SEARCH_KIND = "event"
MAX_TITLE_LENGTH = 150
MAX_DESCRIPTION_LENGTH = 20_000

event_topics = sa.Table(
    "event_topics",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)
event_organisers = sa.Table(
    "event_organisers",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)
#: A course's prerequisites: the courses someone should have done first.
course_prerequisites = sa.Table(
    "course_prerequisites",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("prerequisite_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
)


class Event(db.Model):
    """Something people come to, in person or online, once or repeating."""

    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('unconference', 'barcamp', 'surgery', 'course', 'workshop', 'webinar', 'meetup')", name="kind_known"
        ),
        sa.CheckConstraint("status IN ('scheduled', 'postponed', 'cancelled')", name="status_known"),
        sa.CheckConstraint("level IS NULL OR level IN ('101', '202', '303')", name="level_known"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("going_count >= 0", name="going_count_not_negative"),
        sa.CheckConstraint("repeat IS NULL OR repeat IN ('weekly', 'monthly')", name="repeat_known"),
        sa.Index("ix_events_agency_starts", "agency_id", "starts_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Made from the title when the event is listed and never changed, so its address (and its UID) lasts.
    slug: so.Mapped[str] = so.mapped_column(sa.String(100), unique=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(MAX_TITLE_LENGTH))
    #: Markdown, stored without HTML tags.
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: A key of KINDS.
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: Courses only: 101, 202 or 303.
    level: so.Mapped[Optional[str]] = so.mapped_column(sa.String(3))
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"))
    #: Where people write with questions; the organisers' own addresses are never shown.
    contact_email: so.Mapped[str] = so.mapped_column(sa.String(254), default="")

    #: The first occurrence's start and end, in UTC; an all-day event runs from midnight of its first day to
    #: midnight after its last, in its time zone.
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), index=True)
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    #: The IANA zone the event's times are given in (for an online event, the organiser's).
    time_zone: so.Mapped[str] = so.mapped_column(sa.String(64))
    all_day: so.Mapped[bool] = so.mapped_column(default=False)
    #: "weekly", "monthly" or None; the series repeats every ``repeat_interval`` weeks or months.
    repeat: so.Mapped[Optional[str]] = so.mapped_column(sa.String(10))
    repeat_interval: so.Mapped[int] = so.mapped_column(default=1)
    #: A key of MONTHLY_BY, for monthly series.
    repeat_monthly_by: so.Mapped[str] = so.mapped_column(sa.String(10), default="weekday")
    #: The last day (in the event's zone) an occurrence may start on; None repeats for a year.
    repeat_until: so.Mapped[Optional[date]] = so.mapped_column(sa.Date)
    #: When the last occurrence ends (ends_at for a single event): lists and feeds select by it.
    series_ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())

    venue_name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    venue_address: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    latitude: so.Mapped[Optional[float]] = so.mapped_column(sa.Float)
    longitude: so.Mapped[Optional[float]] = so.mapped_column(sa.Float)
    online_url: so.Mapped[str] = so.mapped_column(sa.String(500), default="")

    #: Places; None is no limit. Those past it go on the waiting list.
    capacity: so.Mapped[Optional[int]] = so.mapped_column()
    #: People going, kept beside the registrations so a place is taken by one atomic UPDATE.
    going_count: so.Mapped[int] = so.mapped_column(default=0)
    #: None is free.
    price: so.Mapped[Optional[Decimal]] = so.mapped_column(sa.Numeric(10, 2))
    currency: so.Mapped[str] = so.mapped_column(sa.String(3), default="GBP")
    #: How to pay (an invoice, a purchase order); the site takes no payment.
    payment_details: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    registration_open: so.Mapped[bool] = so.mapped_column(default=True)

    #: A key of STATUSES, and why, when it is not scheduled.
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="scheduled")
    status_reason: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    #: Grows with every change a calendar should show (times, place, status, title): calendars' SEQUENCE.
    sequence: so.Mapped[int] = so.mapped_column(default=0)

    #: Where an imported event came from (its calendar subscription) and its UID there; None for events listed here.
    import_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("calendar_imports.id", ondelete="SET NULL"), index=True)
    import_uid: so.Mapped[Optional[str]] = so.mapped_column(sa.String(500))
    #: An event another server listed (its agency is remote): the object's id there and its page there. Its
    #: calendar UID there is kept in ``import_uid``, so feeds here give it the same UID.
    remote_uri: so.Mapped[Optional[str]] = so.mapped_column(sa.String(2000), unique=True)
    remote_url: so.Mapped[str] = so.mapped_column(sa.String(2000), default="", server_default="")

    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: The last change a subscriber would see: calendars' LAST-MODIFIED and DTSTAMP.
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    cancelled_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    agency: so.Mapped[Agency] = so.relationship()
    topics: so.Mapped[list[Topic]] = so.relationship(secondary=event_topics, order_by=Topic.name)
    organisers: so.Mapped[list["User"]] = so.relationship(secondary=event_organisers, order_by="User.display_name")
    prerequisites: so.Mapped[list["Event"]] = so.relationship(
        secondary=course_prerequisites,
        primaryjoin=lambda: Event.id == course_prerequisites.c.event_id,
        secondaryjoin=lambda: Event.id == course_prerequisites.c.prerequisite_id,
        order_by=lambda: Event.starts_at,
    )
    skipped: so.Mapped[list["SkippedDate"]] = so.relationship(cascade="all, delete-orphan", order_by="SkippedDate.starts_at")
    changes: so.Mapped[list["OccurrenceChange"]] = so.relationship(cascade="all, delete-orphan", order_by="OccurrenceChange.original_start")
    created_by: so.Mapped[Optional["User"]] = so.relationship(foreign_keys=[created_by_id])
    source: so.Mapped[Optional["CalendarImport"]] = so.relationship()

    @property
    def local_start(self) -> datetime:
        """The first start in the event's own zone."""
        return self.starts_at.astimezone(ZoneInfo(self.time_zone))

    @property
    def is_remote(self) -> bool:
        """Listed on another server and received through federation: read here, changed there."""
        return self.remote_uri is not None

    @property
    def origin(self) -> str:
        """The host of the server a remote event came from; "" for one listed here."""
        return urlsplit(self.remote_uri).netloc.lower() if self.remote_uri else ""

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def places_left(self) -> Optional[int]:
        return None if self.capacity is None else max(self.capacity - self.going_count, 0)

    @property
    def is_free(self) -> bool:
        return self.price is None or self.price == 0

    def __repr__(self) -> str:
        return f"<Event {self.slug} {self.status}>"


class CalendarImport(db.Model):
    """Another calendar's .ics address an agency subscribes to: the worker polls it and keeps its events here."""

    __tablename__ = "calendar_imports"
    __table_args__ = (sa.UniqueConstraint("agency_id", "url", name="uq_calendar_imports_agency_url"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    url: so.Mapped[str] = so.mapped_column(sa.String(500))
    #: The calendar's own name, once read.
    name: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: The validators the source last sent, sent back so an unchanged calendar answers 304.
    etag: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    last_modified: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    #: How often to poll: the calendar's REFRESH-INTERVAL, within bounds.
    refresh_seconds: so.Mapped[int] = so.mapped_column(default=3600)
    next_poll_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow, index=True)
    last_polled_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    last_success_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: What went wrong at the last poll, for the agency's admins; empty after a good one.
    last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: Readable warnings from the last good poll (events skipped, UIDs made up).
    last_warnings: so.Mapped[list[str]] = so.mapped_column(sa.JSON, default=list)
    events_count: so.Mapped[int] = so.mapped_column(default=0)

    agency: so.Mapped[Agency] = so.relationship()


class SkippedDate(db.Model):
    """An occurrence of a repeating event that does not happen (a bank holiday, the summer break)."""

    __tablename__ = "event_skipped_dates"
    __table_args__ = (sa.UniqueConstraint("event_id", "starts_at", name="uq_event_skipped_dates_event_start"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    #: The start the occurrence would have had, in UTC.
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())


class OccurrenceChange(db.Model):
    """One date of a repeating event moved or called off (the rest of the series as it was)."""

    __tablename__ = "event_occurrence_changes"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "original_start", name="uq_event_occurrence_changes_event_start"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    #: The start the series gives this occurrence, in UTC: calendars' RECURRENCE-ID.
    original_start: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    cancelled: so.Mapped[bool] = so.mapped_column(default=False)
    #: Why, shown to attendees and in calendars.
    note: so.Mapped[str] = so.mapped_column(sa.String(500), default="")


class Registration(db.Model):
    """Someone's place at an event, or their place on its waiting list (first come, first promoted)."""

    __tablename__ = "event_registrations"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "user_id", name="uq_event_registrations_event_user"),
        sa.CheckConstraint("status IN ('going', 'waitlist', 'cancelled')", name="status_known"),
        sa.Index("ix_event_registrations_event_status", "event_id", "status", "id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: A key of REGISTRATION_STATUSES.
    status: so.Mapped[str] = so.mapped_column(sa.String(10))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: When the day-before reminder went, so it goes once.
    reminded_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    event: so.Mapped[Event] = so.relationship()
    user: so.Mapped["User"] = so.relationship()


class SurgerySlot(db.Model):
    """A one-to-one slot a surgery's host offers; one newcomer books it, with a note of what they need."""

    __tablename__ = "surgery_slots"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "starts_at", name="uq_surgery_slots_event_start"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    host_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    #: Taken by one atomic UPDATE ... WHERE booked_by_id IS NULL, so two requests can never both book it.
    booked_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    booked_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    note: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")

    event: so.Mapped[Event] = so.relationship()
    host: so.Mapped[Optional["User"]] = so.relationship(foreign_keys=[host_id])
    booked_by: so.Mapped[Optional["User"]] = so.relationship(foreign_keys=[booked_by_id])


class CalendarToken(db.Model):
    """The secret in a person's own calendar feed address; only its hash is kept, and resetting replaces it."""

    __tablename__ = "calendar_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


# Lists read upcoming events soonest first; the feed's window starts 90 days back.
sa.Index("ix_events_series_ends", Event.series_ends_at, Event.starts_at)
sa.Index("uq_events_import_uid", Event.import_id, Event.import_uid, unique=True)

# Registrations show on no public page (the number going is on the event).
watch(Event, SkippedDate, OccurrenceChange, SurgerySlot, CalendarImport)


class BoardRoom(db.Model):
    """A room on a BarCamp's or unconference's session board."""

    __tablename__ = "board_rooms"
    __table_args__ = (sa.CheckConstraint("capacity > 0", name="capacity_positive"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    capacity: so.Mapped[int] = so.mapped_column()


class BoardSlot(db.Model):
    """A time on the session board, in UTC."""

    __tablename__ = "board_slots"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    starts_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())
    ends_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime())


session_interest = sa.Table(
    "board_session_interest",
    db.metadata,
    sa.Column("session_id", sa.ForeignKey("board_sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class BoardSession(db.Model):
    """A session someone pitches; others mark interest; the scheduler (or the organiser) gives it a room and a time."""

    __tablename__ = "board_sessions"
    # One session a room a time; NULLs (not yet placed) never clash.
    __table_args__ = (sa.UniqueConstraint("room_id", "slot_id", name="uq_board_sessions_room_slot"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    event_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(150))
    summary: so.Mapped[str] = so.mapped_column(sa.String(1000), default="")
    host_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    room_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("board_rooms.id", ondelete="SET NULL"))
    slot_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("board_slots.id", ondelete="SET NULL"))
    #: Placed by the organiser's hand: the scheduler leaves it where it is.
    pinned: so.Mapped[bool] = so.mapped_column(default=False)
    #: What happened, written by the host after the event (Markdown).
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    host: so.Mapped[Optional["User"]] = so.relationship()
    room: so.Mapped[Optional[BoardRoom]] = so.relationship()
    slot: so.Mapped[Optional[BoardSlot]] = so.relationship()
    interested: so.Mapped[list["User"]] = so.relationship(secondary=session_interest)


watch(BoardRoom, BoardSlot, BoardSession)
