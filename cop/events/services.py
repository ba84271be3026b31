"""Events: who may list and change them, what an event must say, and its status.

Services add and flush; the caller (route, API, command or task) commits once. The content signals
(event_published, event_changed, event_cancelled) go out only after that commit; feeds and federation
listen to them.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from cop.accounts.models import LEVELS, User
from cop.accounts.services import is_signed_in
from cop.agencies.models import Agency
from cop.clock import utcnow
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.events.models import (
    CURRENCIES,
    KINDS,
    MAX_DESCRIPTION_LENGTH,
    MAX_TITLE_LENGTH,
    MONTHLY_BY,
    REPEATS,
    SEARCH_KIND,
    Event,
    SkippedDate,
)
from cop.extensions import db
from cop.signals import event_cancelled, event_changed, event_published, send_after_commit
from cop.text import search
from cop.text.markdown import strip_html
from cop.text.models import Topic
from cop.text.places import time_zone_names
from cop.text.slugs import slugify

log = logging.getLogger(__name__)

#: How long a series with no end date repeats.
DEFAULT_SERIES_LENGTH = timedelta(days=365)
#: The longest a series may run, so a feed never holds thousands of occurrences of one event.
MAX_SERIES_LENGTH = timedelta(days=3 * 365)
MAX_SKIPPED_DATES = 100
_URL = re.compile(r"^https?://[^\s<>\"]+$", re.IGNORECASE)


# ---------------------------------------------------------------- who may do what


def require_organiser(actor: Any) -> Agency:
    """The agency a person lists events for: they must be a member of one."""
    if not is_signed_in(actor):
        raise PermissionDenied("Sign in to list an event.")
    if actor.agency is None:
        raise PermissionDenied("Events are listed by an agency. Join your agency first, from its page.")
    return actor.agency


def refuse_if_remote(event: Event) -> None:
    """An event another server listed is read here and changed (and registered for) only there."""
    if event.is_remote:
        raise PermissionDenied(f"This event is listed on {event.origin}; it can only be changed there.")


def can_manage(actor: Any, event: Event) -> bool:
    """Its organisers, the agency's admins and site admins change an event and see who is coming; nobody
    here manages an event another server listed."""
    if not is_signed_in(actor) or event.is_remote:
        return False
    if actor.is_site_admin:
        return True
    if actor.agency_id == event.agency_id and actor.is_agency_admin:
        return True
    return any(organiser.id == actor.id for organiser in event.organisers)


def require_manager(actor: Any, event: Event) -> None:
    """Raise PermissionDenied unless the actor manages the event."""
    refuse_if_remote(event)
    if not can_manage(actor, event):
        raise PermissionDenied(f"Only the organisers of {event.title} (and admins of {event.agency.name}) can change it.")


# ---------------------------------------------------------------- what an event says


@dataclass
class EventInput:
    """What a form or the API sends; None leaves a field as it is when changing an event."""

    title: Optional[str] = None
    description: Optional[str] = None
    kind: Optional[str] = None
    level: Optional[str] = None
    time_zone: Optional[str] = None
    all_day: Optional[bool] = None
    #: Local wall-clock times in time_zone (all_day False).
    starts: Optional[datetime] = None
    ends: Optional[datetime] = None
    #: The first and last days (all_day True), inclusive.
    start_date: Optional[date] = None
    end_date: Optional[date] = None
    venue_name: Optional[str] = None
    venue_address: Optional[str] = None
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    online_url: Optional[str] = None
    capacity: Optional[int] = None
    #: True when capacity was given (None then means no limit).
    capacity_given: bool = False
    price: Optional[str] = None
    currency: Optional[str] = None
    payment_details: Optional[str] = None
    registration_open: Optional[bool] = None
    contact_email: Optional[str] = None
    topic_ids: Optional[list[int]] = None
    prerequisite_slugs: Optional[list[str]] = None
    repeat: Optional[str] = None
    repeat_interval: Optional[int] = None
    repeat_monthly_by: Optional[str] = None
    repeat_until: Optional[date] = None
    #: Local dates of a series' occurrences that do not happen.
    skipped_dates: Optional[list[date]] = None
    coordinates_given: bool = False
    repeat_given: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def _text(value: str, limit: int) -> str:
    return " ".join(strip_html(value).split())[:limit]


def zone(name: str) -> ZoneInfo:
    """The IANA zone of this name, or a clear refusal."""
    if name not in time_zone_names():
        raise ServiceError(f"{name!r} is not a time zone we know. Choose one from the list, such as Europe/London.", field="time_zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ServiceError(f"{name!r} is not a time zone we know.", field="time_zone") from error


def to_utc(local: datetime, tz: ZoneInfo, field_name: str) -> datetime:
    """A wall-clock time in a zone, in UTC; a time the clocks skip over is refused, not guessed."""
    aware = local.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(ZoneInfo("UTC")).astimezone(tz)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ServiceError(
            f"{local:%-d %B %Y %H:%M} does not happen in {tz.key}: the clocks go forward then. Choose another time.",
            field=field_name,
        )
    return aware.astimezone(ZoneInfo("UTC"))


def _apply_times(event: Event, data: EventInput, errors: dict[str, str]) -> None:
    tz_name = data.time_zone if data.time_zone is not None else event.time_zone
    if not tz_name:
        errors["time_zone"] = "Choose the time zone the event's times are in."
        return
    try:
        tz = zone(tz_name)
    except ServiceError as error:
        errors["time_zone"] = error.message
        return
    all_day = data.all_day if data.all_day is not None else bool(event.all_day)
    touched = any(v is not None for v in (data.starts, data.ends, data.start_date, data.end_date, data.time_zone, data.all_day))
    if not touched and event.starts_at is not None:
        return
    if all_day:
        first = data.start_date or (event.starts_at.astimezone(tz).date() if event.starts_at else None)
        last = data.end_date or first
        if first is None:
            errors["start_date"] = "Enter the day the event starts."
            return
        if last < first:
            errors["end_date"] = "The last day must be on or after the first day."
            return
        starts_at = to_utc(datetime.combine(first, time()), tz, "start_date")
        ends_at = to_utc(datetime.combine(last + timedelta(days=1), time()), tz, "end_date")
    else:
        if data.starts is None or data.ends is None:
            if event.starts_at is None or data.starts is not None or data.ends is not None:
                if data.starts is None:
                    errors["starts"] = "Enter when the event starts."
                if data.ends is None:
                    errors["ends"] = "Enter when the event ends."
                return
        local_start = data.starts or event.starts_at.astimezone(tz).replace(tzinfo=None)
        local_end = data.ends or event.ends_at.astimezone(tz).replace(tzinfo=None)
        try:
            starts_at = to_utc(local_start, tz, "starts")
            ends_at = to_utc(local_end, tz, "ends")
        except ServiceError as error:
            errors[error.field or "starts"] = error.message
            return
        if ends_at <= starts_at:
            errors["ends"] = "The event must end after it starts."
            return
        if ends_at - starts_at > timedelta(days=31):
            errors["ends"] = "An event can last at most 31 days. List a longer programme as a repeating event."
            return
    event.time_zone, event.all_day, event.starts_at, event.ends_at = tz_name, all_day, starts_at, ends_at


def _apply_repeat(event: Event, data: EventInput, errors: dict[str, str]) -> None:
    if not data.repeat_given:
        return
    if data.repeat and data.repeat not in REPEATS:
        errors["repeat"] = "Choose how often the event repeats."
        return
    event.repeat = data.repeat or None
    if not event.repeat:
        event.repeat_until, event.repeat_interval = None, 1
        event.skipped = []
        return
    interval = data.repeat_interval or 1
    if not 1 <= interval <= 12:
        errors["repeat_interval"] = "Repeat every 1 to 12 weeks or months."
        return
    event.repeat_interval = interval
    if data.repeat_monthly_by is not None:
        if data.repeat_monthly_by not in MONTHLY_BY:
            errors["repeat_monthly_by"] = "Choose whether it falls on the same weekday or the same date each month."
            return
        event.repeat_monthly_by = data.repeat_monthly_by
    if event.starts_at is None:
        return
    first_day = event.starts_at.astimezone(ZoneInfo(event.time_zone)).date()
    until = data.repeat_until or first_day + DEFAULT_SERIES_LENGTH
    if until < first_day:
        errors["repeat_until"] = "The series must end on or after its first day."
        return
    if until - first_day > MAX_SERIES_LENGTH:
        errors["repeat_until"] = "A series can run for at most three years. List the years after as a new series."
        return
    event.repeat_until = until
    if data.skipped_dates is not None:
        if len(data.skipped_dates) > MAX_SKIPPED_DATES:
            errors["skipped_dates"] = f"Skip at most {MAX_SKIPPED_DATES} dates."
            return
        tz = ZoneInfo(event.time_zone)
        local_start = event.starts_at.astimezone(tz)
        wanted = {to_utc(datetime.combine(day, local_start.time()), tz, "skipped_dates") for day in set(data.skipped_dates)}
        event.skipped = [s for s in event.skipped if s.starts_at in wanted] + [
            SkippedDate(starts_at=start) for start in sorted(wanted - {s.starts_at for s in event.skipped})
        ]


def _series_end(event: Event) -> datetime:
    if not event.repeat or event.repeat_until is None:
        return event.ends_at
    tz = ZoneInfo(event.time_zone)
    last_start = datetime.combine(event.repeat_until, event.starts_at.astimezone(tz).time(), tzinfo=tz)
    return (last_start + (event.ends_at - event.starts_at)).astimezone(ZoneInfo("UTC"))


def _apply(actor: Any, event: Event, data: EventInput) -> bool:
    """Copy what was sent onto the event; True when something a calendar shows changed."""
    errors: dict[str, str] = dict(data.errors)
    before = calendar_view(event)
    if data.title is not None:
        title = _text(data.title, MAX_TITLE_LENGTH + 1)
        if not title:
            errors["title"] = "Enter a title."
        elif len(title) > MAX_TITLE_LENGTH:
            errors["title"] = f"The title must be {MAX_TITLE_LENGTH} characters or fewer."
        else:
            event.title = title
    if data.description is not None:
        if len(data.description) > MAX_DESCRIPTION_LENGTH:
            errors["description"] = f"The description must be {MAX_DESCRIPTION_LENGTH:,} characters or fewer."
        else:
            event.description = strip_html(data.description).strip()
    if data.kind is not None:
        if data.kind not in KINDS:
            errors["kind"] = "Choose what kind of event this is."
        else:
            event.kind = data.kind
    if data.level is not None or data.kind is not None:
        level = data.level if data.level is not None else event.level
        if event.kind == "course":
            if level not in LEVELS:
                errors["level"] = "Choose the course's level: 101, 202 or 303."
            else:
                event.level = level
        else:
            event.level = None
    _apply_times(event, data, errors)
    for name, limit in (("venue_name", 200), ("venue_address", 500), ("payment_details", 500)):
        value = getattr(data, name)
        if value is not None:
            setattr(event, name, " ".join(strip_html(value).split())[:limit])
    if data.online_url is not None:
        url = data.online_url.strip()
        if url and (not _URL.match(url) or len(url) > 500):
            errors["online_url"] = "Enter the online link as a web address starting with https://."
        else:
            event.online_url = url
    if data.coordinates_given:
        lat, lon = data.latitude, data.longitude
        if (lat is None) != (lon is None):
            errors["latitude"] = "Enter both the latitude and the longitude, or neither."
        elif lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
            errors["latitude"] = "Latitude is between -90 and 90, longitude between -180 and 180."
        else:
            event.latitude, event.longitude = lat, lon
    if data.capacity_given:
        if data.capacity is not None and not 0 <= data.capacity <= 100_000:
            errors["capacity"] = "Capacity is a number of places from 0 to 100,000, or empty for no limit."
        else:
            event.capacity = data.capacity
    if data.price is not None:
        raw = data.price.strip().lstrip("£$€")
        if not raw or raw in ("0", "0.00"):
            event.price = None
        else:
            try:
                price = Decimal(raw.replace(",", ""))
            except InvalidOperation:
                price = None
            if price is None or not price.is_finite() or price < 0 or price >= 100_000 or price.as_tuple().exponent < -2:
                errors["price"] = "Enter the price as an amount such as 25 or 25.50, or leave it empty if the event is free."
            else:
                event.price = price
    if data.currency is not None:
        if data.currency not in CURRENCIES:
            errors["currency"] = "Choose a currency from the list."
        else:
            event.currency = data.currency
    if data.registration_open is not None:
        event.registration_open = data.registration_open
    if data.contact_email is not None:
        email = data.contact_email.strip()
        if email and (len(email) > 254 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email)):
            errors["contact_email"] = "Enter the contact address as an email address, like name@example.org."
        else:
            event.contact_email = email
    if data.topic_ids is not None:
        topics = list(db.session.scalars(sa.select(Topic).where(Topic.id.in_(set(data.topic_ids)), Topic.retired_at.is_(None))))
        if len(topics) != len(set(data.topic_ids)):
            errors["topics"] = "Choose topics from the list."
        else:
            event.topics = sorted(topics, key=lambda t: t.name)
    if data.prerequisite_slugs is not None:
        wanted = set(data.prerequisite_slugs)
        found = list(db.session.scalars(sa.select(Event).where(Event.slug.in_(wanted), Event.kind == "course"))) if wanted else []
        if len(found) != len(wanted) or any(f is event for f in found):
            errors["prerequisites"] = "Prerequisites are other courses listed here."
        else:
            event.prerequisites = found
    if event.kind != "course":
        event.prerequisites = []
    _apply_repeat(event, data, errors)
    if errors:
        first = next(iter(errors))
        raise ServiceError(errors[first], field=first, fields=errors)
    if not (event.venue_name or event.venue_address or event.online_url):
        raise ServiceError("Say where the event is: a venue, an online link, or both.", field="venue_name")
    event.series_ends_at = _series_end(event)
    return calendar_view(event) != before


def calendar_view(event: Event) -> tuple:
    """What a subscribed calendar shows of an event: a change to any of it raises SEQUENCE."""
    return (
        event.title, event.description, event.starts_at, event.ends_at, event.time_zone, event.all_day, event.venue_name,
        event.venue_address, event.online_url, event.latitude, event.longitude, event.status, event.status_reason,
        event.repeat, event.repeat_interval, event.repeat_monthly_by, event.repeat_until,
        tuple(s.starts_at for s in event.skipped), tuple(t.id for t in event.topics),
    )


def _unique_slug(title: str) -> str:
    base = slugify(title, max_length=90) or "event"
    taken = set(db.session.scalars(sa.select(Event.slug).where(sa.or_(Event.slug == base, Event.slug.like(f"{base}-%")))))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def index_event(event: Event) -> None:
    """Make an event findable, or refresh what the search index holds of it."""
    body = "\n".join([event.description, event.agency.name, event.venue_name, event.venue_address, KINDS[event.kind]]
                     + [t.name for t in event.topics])
    search.index_document(SEARCH_KIND, event.id, event.title, body)


def create_event(actor: Any, data: EventInput) -> Event:
    """A member lists an event for their agency; they are its first organiser."""
    agency = require_organiser(actor)
    if data.title is None or not _text(data.title, MAX_TITLE_LENGTH):
        data.errors.setdefault("title", "Enter a title.")
    if data.kind is None:
        data.errors.setdefault("kind", "Choose what kind of event this is.")
    event = Event(agency=agency, agency_id=agency.id, created_by_id=actor.id, status="scheduled", sequence=0,
                  going_count=0, repeat_interval=1, repeat_monthly_by="weekday", currency="GBP", registration_open=True,
                  description="", venue_name="", venue_address="", online_url="", payment_details="", contact_email="",
                  status_reason="")
    event.organisers = [actor]
    data.repeat_given = True
    _apply(actor, event, data)
    event.slug = _unique_slug(event.title)
    db.session.add(event)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as error:
        raise Conflict("Another event with this title was listed at the same moment. Send it again.", field="title") from error
    index_event(event)
    log.info("user %s listed event %s for %s", actor.id, event.slug, agency.slug)
    send_after_commit(event_published, Event, event.id)
    return event


def update_event(actor: Any, event: Event, data: EventInput) -> Event:
    """Its organisers change an event; calendars see a higher SEQUENCE when something they show changed."""
    require_manager(actor, event)
    if event.is_cancelled:
        raise Conflict("A cancelled event cannot be changed. List it again if it is back on.")
    changed = _apply(actor, event, data)
    if changed:
        event.sequence += 1
        event.updated_at = utcnow()
    db.session.flush()
    index_event(event)
    send_after_commit(event_changed, Event, event.id)
    return event


def set_organisers(actor: Any, event: Event, user_ids: Iterable[int]) -> None:
    """Its organisers share the work with other members of the agency."""
    require_manager(actor, event)
    wanted = set(user_ids)
    people = list(db.session.scalars(sa.select(User).where(User.id.in_(wanted), User.agency_id == event.agency_id, User.is_active.is_(True))))
    if len(people) != len(wanted) or not people:
        raise ServiceError(f"Organisers are members of {event.agency.name}; an event has at least one.", field="organisers")
    event.organisers = people


def change_status(actor: Any, event: Event, status: str, reason: str = "") -> Event:
    """Postpone, cancel or put back on an event; attendees are shown the reason."""
    from cop.events.registrations import tell_registered

    require_manager(actor, event)
    reason = " ".join(strip_html(reason or "").split())[:500]
    if status not in ("scheduled", "postponed", "cancelled"):
        raise ServiceError("Choose scheduled, postponed or cancelled.", field="status")
    if event.is_cancelled:
        raise Conflict("This event is already cancelled. List it again if it is back on.")
    if status == event.status:
        raise Conflict(f"This event is already {status}.")
    if status in ("postponed", "cancelled") and not reason:
        raise ServiceError(f"Say why the event is {status}: attendees are shown it.", field="reason")
    event.status, event.status_reason = status, reason if status != "scheduled" else ""
    event.sequence += 1
    event.updated_at = utcnow()
    if status == "cancelled":
        event.cancelled_at = event.updated_at
        tell_registered(event, f"Cancelled: {event.title}", reason)
        send_after_commit(event_cancelled, Event, event.id)
    else:
        if status == "postponed":
            tell_registered(event, f"Postponed: {event.title}", reason)
        send_after_commit(event_changed, Event, event.id)
    if status == "cancelled":
        search.remove_document(SEARCH_KIND, event.id)
    else:
        index_event(event)
    log.info("user %s set event %s to %s", actor.id, event.slug, status)
    db.session.flush()
    return event


def event_by_slug(slug: str) -> Optional[Event]:
    """An event by its address."""
    return db.session.scalar(sa.select(Event).where(Event.slug == slug))


def is_over(event: Event, now: Optional[datetime] = None) -> bool:
    """Whether the event (its last occurrence, for a series) has ended."""
    return event.series_ends_at <= (now or utcnow())


def price_label(event: Event) -> str:
    """"Free", or the amount in its currency."""
    if event.is_free:
        return "Free"
    return f"{CURRENCIES.get(event.currency, event.currency + ' ')}{event.price:,.2f}".replace(".00", "")
