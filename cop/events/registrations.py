"""Places at events: going, the waiting list and its promotions, surgery slots, and what attendees are told.

A place is taken by one conditional UPDATE of the event's count (``going_count < capacity``) and a slot by
one conditional UPDATE of the slot (``booked_by_id IS NULL``), so two requests at the same moment can
never both take the last place or the same slot, on SQLite or PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import User
from cop.accounts.services import is_signed_in
from cop.clock import utcnow
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.events.models import Event, Registration, SurgerySlot
from cop.events.services import can_manage, is_over, refuse_if_remote, require_manager
from cop.extensions import db
from cop.notifications.services import notify, register_kind
from cop.urls import site_path

log = logging.getLogger(__name__)

PLACES = register_kind("event_place", "Your place at an event: confirmed, on the waiting list, or given to you").name
EVENT_NEWS = register_kind("event_news", "An event you registered for is postponed or cancelled").name
REMINDERS = register_kind("event_reminder", "A reminder the day before an event you registered for").name
BOOKINGS = register_kind("surgery_booking", "A surgery slot is booked with you, or you booked one").name

MAX_NOTE_LENGTH = 1000
MAX_SLOTS = 60


def _event_link(event: Event) -> str:
    return site_path("events.event", slug=event.slug)


def calendar_attachment(event: Event) -> list[dict[str, str]]:
    """The event as an .ics file for a mail, as its feed has it (so a calendar that imports it updates the same entry)."""
    from cop.events import feeds, ical

    body = ical.event_ics(feeds.feed_event(event), event.title).decode()
    return [{"filename": f"{event.slug}.ics", "content_type": "text/calendar", "content": body}]


def registration_of(user: Any, event: Event) -> Optional[Registration]:
    """This person's registration at an event, whatever its status."""
    if not is_signed_in(user):
        return None
    return db.session.scalar(sa.select(Registration).where(Registration.event_id == event.id, Registration.user_id == user.id))


def _require_open(event: Event) -> None:
    if event.is_remote:
        raise PermissionDenied(f"{event.title} is listed on {event.origin}: register there.")
    if event.is_cancelled:
        raise Conflict(f"{event.title} is cancelled, so it takes no registrations.")
    if is_over(event):
        raise Conflict(f"{event.title} has ended.")
    if not event.registration_open:
        raise Conflict(f"Registration for {event.title} is closed. Write to the organisers if you hoped to come.")


def _take_place(event: Event) -> bool:
    """One place, if there is one left: True when this request took it."""
    taken = db.session.execute(
        sa.update(Event)
        .where(Event.id == event.id, sa.or_(Event.capacity.is_(None), Event.going_count < Event.capacity))
        .values(going_count=Event.going_count + 1)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(event, ["going_count"])
    return taken


def _give_back_place(event: Event) -> None:
    db.session.execute(
        sa.update(Event).where(Event.id == event.id, Event.going_count > 0)
        .values(going_count=Event.going_count - 1).execution_options(synchronize_session=False)
    )
    db.session.refresh(event, ["going_count"])


def register(actor: Any, event: Event) -> Registration:
    """A place at the event for this person, or a place on its waiting list when it is full."""
    if not is_signed_in(actor):
        raise PermissionDenied("Sign in to register for an event.")
    _require_open(event)
    existing = registration_of(actor, event)
    if existing is not None and existing.status != "cancelled":
        where = "have a place" if existing.status == "going" else "are on the waiting list"
        raise Conflict(f"You already {where} at {event.title}.")
    status = "going" if _take_place(event) else "waitlist"
    now = utcnow()
    if existing is None:
        existing = Registration(event_id=event.id, user_id=actor.id, status=status, created_at=now, updated_at=now)
        db.session.add(existing)
    else:
        existing.status, existing.updated_at, existing.reminded_at = status, now, None
    db.session.flush()
    if status == "going":
        notify(actor, PLACES, f"Your place at {event.title} is confirmed", _event_link(event), attachments=calendar_attachment(event))
    else:
        notify(actor, PLACES, f"{event.title} is full: you are on the waiting list", _event_link(event))
    log.info("user %s registered for event %s: %s", actor.id, event.slug, status)
    return existing


def cancel_registration(actor: Any, event: Event) -> Optional[Registration]:
    """Give up a place (the first on the waiting list is given it) or leave the waiting list."""
    existing = registration_of(actor, event)
    if existing is None or existing.status == "cancelled":
        raise Conflict(f"You are not registered for {event.title}.")
    was_going = existing.status == "going"
    existing.status, existing.updated_at = "cancelled", utcnow()
    db.session.flush()
    promoted = None
    if was_going:
        _give_back_place(event)
        promoted = promote_from_waitlist(event)
    log.info("user %s gave up their registration for event %s", actor.id, event.slug)
    return promoted


def promote_from_waitlist(event: Event) -> Optional[Registration]:
    """Give a free place to the longest waiting, if there is a free place and someone waiting."""
    if event.is_cancelled or is_over(event):
        return None
    first = db.session.scalar(
        sa.select(Registration).where(Registration.event_id == event.id, Registration.status == "waitlist")
        .order_by(Registration.updated_at, Registration.id).limit(1)
        .with_for_update(skip_locked=True)
    )
    if first is None or not _take_place(event):
        return None
    first.status, first.updated_at = "going", utcnow()
    db.session.flush()
    notify(first.user, PLACES, f"A place came free at {event.title}: it is yours", _event_link(event),
           attachments=calendar_attachment(event))
    return first


def tell_registered(event: Event, title: str, reason: str) -> int:
    """Tell everyone going or waiting about a change to the event; how many were told."""
    people = list(db.session.scalars(
        sa.select(User).join(Registration, Registration.user_id == User.id)
        .where(Registration.event_id == event.id, Registration.status.in_(("going", "waitlist")))
    ))
    body = f"{title}\n\n{reason}\n\n" if reason else f"{title}\n\n"
    # The .ics as it now stands (cancelled, say), so a calendar that added it from the mail updates its entry.
    attachment = calendar_attachment(event) if people else []
    for person in people:
        notify(person, EVENT_NEWS, title, _event_link(event), mail_body=body + "Details: " + _event_link(event), attachments=attachment)
    return len(people)


@dataclass(frozen=True)
class Attendee:
    name: str
    email: str
    agency: str
    status: str
    registered_at: datetime


def attendees(actor: Any, event: Event) -> list[Attendee]:
    """Who is going and who is waiting, in order: for the event's organisers only."""
    require_manager(actor, event)
    rows = db.session.scalars(
        sa.select(Registration).options(so.joinedload(Registration.user).joinedload(User.agency))
        .where(Registration.event_id == event.id, Registration.status.in_(("going", "waitlist")))
        .order_by(Registration.status, Registration.updated_at, Registration.id)
    )
    return [
        Attendee(r.user.display_name, r.user.email, r.user.agency.name if r.user.agency else "", r.status, r.updated_at)
        for r in rows
    ]


def attendees_csv(actor: Any, event: Event) -> str:
    """The attendee list as CSV, for a sign-in sheet or the organiser's own tools."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name", "Email", "Agency", "Status", "Registered (UTC)"])
    for person in attendees(actor, event):
        # A leading =, +, - or @ would be run as a formula by a spreadsheet.
        cells = [person.name, person.email, person.agency]
        writer.writerow([("'" + c) if c[:1] in ("=", "+", "-", "@") else c for c in cells]
                        + [person.status, person.registered_at.strftime("%Y-%m-%d %H:%M")])
    return out.getvalue()


# ---------------------------------------------------------------- surgery slots


def add_slots(actor: Any, event: Event, starts_at: datetime, minutes: int, count: int, host: Optional[User] = None) -> list[SurgerySlot]:
    """The host offers ``count`` back-to-back slots of ``minutes`` each from ``starts_at`` (UTC)."""
    require_manager(actor, event)
    if event.kind != "surgery":
        raise ServiceError("Only surgeries have bookable slots.")
    if not 5 <= minutes <= 240:
        raise ServiceError("A slot lasts from 5 to 240 minutes.", field="minutes")
    if not 1 <= count <= MAX_SLOTS:
        raise ServiceError(f"Offer from 1 to {MAX_SLOTS} slots at a time.", field="count")
    taken = set(db.session.scalars(sa.select(SurgerySlot.starts_at).where(SurgerySlot.event_id == event.id)))
    slots = []
    for number in range(count):
        start = starts_at + timedelta(minutes=minutes * number)
        if start in taken:
            continue
        slot = SurgerySlot(event_id=event.id, host_id=(host or actor).id, starts_at=start, ends_at=start + timedelta(minutes=minutes), note="")
        db.session.add(slot)
        slots.append(slot)
    if not slots:
        raise Conflict("Those slots are offered already.", field="starts")
    db.session.flush()
    return slots


def slots_for(event: Event) -> list[SurgerySlot]:
    """A surgery's slots, soonest first, with who booked each."""
    return list(db.session.scalars(
        sa.select(SurgerySlot).options(so.joinedload(SurgerySlot.booked_by), so.joinedload(SurgerySlot.host))
        .where(SurgerySlot.event_id == event.id).order_by(SurgerySlot.starts_at)
    ))


def book_slot(actor: Any, slot: SurgerySlot, note: str) -> SurgerySlot:
    """A newcomer books a free slot with a note of what they want help with."""
    if not is_signed_in(actor):
        raise PermissionDenied("Sign in to book a slot.")
    event = slot.event
    refuse_if_remote(event)
    if event.is_cancelled:
        raise Conflict(f"{event.title} is cancelled.")
    if slot.starts_at <= utcnow():
        raise Conflict("This slot has passed. Choose a later one.")
    note = " ".join((note or "").split())
    if not note:
        raise ServiceError("Say in a line or two what you would like help with, so the host can prepare.", field="note")
    if len(note) > MAX_NOTE_LENGTH:
        raise ServiceError(f"Keep the note to {MAX_NOTE_LENGTH} characters or fewer.", field="note")
    if slot.host_id == actor.id:
        raise Conflict("You are hosting this slot.")
    booked = db.session.execute(
        sa.update(SurgerySlot).where(SurgerySlot.id == slot.id, SurgerySlot.booked_by_id.is_(None))
        .values(booked_by_id=actor.id, booked_at=utcnow(), note=note).execution_options(synchronize_session=False)
    ).rowcount == 1
    if not booked:
        raise Conflict("Someone booked this slot a moment ago. Choose another.")
    db.session.refresh(slot)
    link = _event_link(event)
    when = slot.starts_at.strftime("%-d %B %H:%M UTC")
    notify(actor, BOOKINGS, f"You booked a slot at {event.title}, {when}", link)
    if slot.host is not None:
        notify(slot.host, BOOKINGS, f"{actor.display_name} booked your slot at {event.title}, {when}", link)
    return slot


def cancel_booking(actor: Any, slot: SurgerySlot) -> None:
    """The newcomer, the host or an organiser frees a booked slot."""
    if slot.booked_by_id is None:
        raise Conflict("This slot is not booked.")
    if not is_signed_in(actor) or (actor.id not in (slot.booked_by_id, slot.host_id) and not can_manage(actor, slot.event)):
        raise PermissionDenied("Only the person who booked this slot, its host or the organisers can cancel it.")
    booked_by = slot.booked_by
    slot.booked_by_id, slot.booked_at, slot.note = None, None, ""
    db.session.flush()
    if booked_by is not None and booked_by.id != actor.id:
        notify(booked_by, BOOKINGS, f"Your slot at {slot.event.title} was cancelled", _event_link(slot.event))


# ---------------------------------------------------------------- reminders


def send_reminders(now: Optional[datetime] = None) -> int:
    """Remind everyone going to an event that starts within the next day, once; how many were reminded."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Registration).join(Event, Event.id == Registration.event_id)
        .options(so.joinedload(Registration.user), so.joinedload(Registration.event))
        .where(Registration.status == "going", Registration.reminded_at.is_(None), Event.status != "cancelled",
               Event.starts_at > now, Event.starts_at <= now + timedelta(days=1))
    ).all()
    for registration in due:
        event = registration.event
        notify(registration.user, REMINDERS, f"Tomorrow: {event.title}", _event_link(event))
        registration.reminded_at = now
    db.session.flush()
    return len(due)
