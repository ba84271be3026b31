"""Calendars an agency subscribes to: the worker polls each, adds and updates its events by UID, and marks
those that left it as cancelled. A calendar that is broken, too big or unreachable is reported to the
agency's admins and changes nothing already here."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta
from typing import Any, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from cop.accounts.models import User
from cop.agencies.services import refuse_if_remote
from cop.clock import utcnow
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.events.importing import ImportedEvent, ImportProblem, parse_calendar
from cop.events.models import KINDS, CalendarImport, Event
from cop.events.services import _series_end, _unique_slug, index_event
from cop.extensions import db
from cop.notifications.services import notify, register_kind
from cop.outbound import OutboundError, fetch
from cop.signals import event_cancelled, event_changed, event_published, send_after_commit
from cop.text import search
from cop.text.markdown import strip_html
from cop.urls import site_path

log = logging.getLogger(__name__)

PROBLEMS = register_kind("calendar_import", "A calendar your agency imports could not be read").name

#: The largest calendar read; a bigger one is refused while it streams.
MAX_CALENDAR_BYTES = 5 * 1024 * 1024
#: Polling bounds, whatever the calendar asks for.
MIN_REFRESH = timedelta(minutes=15)
MAX_REFRESH = timedelta(days=1)
DEFAULT_REFRESH = timedelta(hours=6)
#: After a failure, the next poll waits this long (doubling while it keeps failing, up to MAX_REFRESH).
RETRY_AFTER = timedelta(minutes=30)
MAX_IMPORTS_PER_AGENCY = 10
_URL = re.compile(r"^(https?|webcal)://[^\s<>\"]+$", re.IGNORECASE)


def can_manage_imports(actor: Any, agency_id: int) -> bool:
    """An agency's admins (and site admins) choose the calendars it imports."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return False
    return actor.is_site_admin or (actor.agency_id == agency_id and actor.is_agency_admin)


def imports_of(agency_id: int) -> list[CalendarImport]:
    """An agency's calendar subscriptions, oldest first."""
    return list(db.session.scalars(sa.select(CalendarImport).where(CalendarImport.agency_id == agency_id).order_by(CalendarImport.id)))


def add_import(actor: Any, agency: Any, url: str) -> CalendarImport:
    """Subscribe the agency to another calendar's address; the first poll is due at once."""
    refuse_if_remote(agency)
    if not can_manage_imports(actor, agency.id):
        raise PermissionDenied(f"Only admins of {agency.name} can choose the calendars it imports.")
    url = (url or "").strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://"):]
    if not _URL.match(url) or len(url) > 500:
        raise ServiceError("Enter the calendar's address, starting with https:// or webcal:// and usually ending .ics.", field="url")
    if db.session.scalar(sa.select(sa.func.count(CalendarImport.id)).where(CalendarImport.agency_id == agency.id)) >= MAX_IMPORTS_PER_AGENCY:
        raise Conflict(f"An agency imports at most {MAX_IMPORTS_PER_AGENCY} calendars. Remove one first.")
    if db.session.scalar(sa.select(CalendarImport.id).where(CalendarImport.agency_id == agency.id, CalendarImport.url == url)):
        raise Conflict(f"{agency.name} imports this calendar already.", field="url")
    subscription = CalendarImport(agency_id=agency.id, url=url, created_by_id=actor.id, next_poll_at=utcnow(), etag="",
                                  last_modified="", last_error="", last_warnings=[], name="", refresh_seconds=int(DEFAULT_REFRESH.total_seconds()))
    db.session.add(subscription)
    db.session.flush()
    return subscription


def remove_import(actor: Any, subscription: CalendarImport) -> None:
    """Stop importing a calendar; the events it brought stay, no longer updated."""
    if not can_manage_imports(actor, subscription.agency_id):
        raise PermissionDenied("Only the agency's admins can stop importing a calendar.")
    db.session.delete(subscription)
    db.session.flush()


#: A claimed poll is due again after this, should the worker that claimed it stop before finishing.
CLAIM = timedelta(minutes=10)


def claim_due_imports(now: Optional[datetime] = None) -> list[int]:
    """The subscriptions whose next poll is due, each claimed (its next poll put off) so it is queued once."""
    now = now or utcnow()
    due = list(db.session.scalars(sa.select(CalendarImport.id).where(CalendarImport.next_poll_at <= now).limit(100)))
    if due:
        db.session.execute(sa.update(CalendarImport).where(CalendarImport.id.in_(due)).values(next_poll_at=now + CLAIM))
    return due


def poll_soon(actor: Any, subscription: CalendarImport) -> None:
    """An admin asks for a calendar to be read again now rather than at its next poll."""
    if not can_manage_imports(actor, subscription.agency_id):
        raise PermissionDenied("Only the agency's admins can refresh its calendars.")
    subscription.next_poll_at = utcnow()
    subscription.etag = subscription.last_modified = ""
    db.session.flush()


# ---------------------------------------------------------------- one poll


def _tell_admins(subscription: CalendarImport, problem: str) -> None:
    admins = db.session.scalars(sa.select(User).where(User.agency_id == subscription.agency_id, User.is_agency_admin.is_(True),
                                                      User.is_active.is_(True)))
    for admin in admins:
        notify(admin, PROBLEMS, f"The calendar at {subscription.url[:120]} could not be read: {problem}"[:300],
               site_path("events.imports", slug=subscription.agency.slug))


def _failed(subscription: CalendarImport, problem: str, now: datetime) -> None:
    """Record what went wrong (telling the admins when it is new) and try again later; change nothing else."""
    if subscription.last_error != problem:
        _tell_admins(subscription, problem)
    subscription.last_error = problem
    failing_for = now - (subscription.last_success_at or subscription.created_at)
    wait = min(max(RETRY_AFTER, failing_for / 4), MAX_REFRESH)
    subscription.next_poll_at = now + wait
    log.warning("calendar import %s (%s) failed: %s", subscription.id, subscription.url, problem)


def _zone_for(item: ImportedEvent, subscription: CalendarImport) -> str:
    from cop.text.places import time_zone_names

    if item.time_zone and item.time_zone in time_zone_names():
        return item.time_zone
    agency_zone = getattr(subscription.agency, "time_zone", None)
    return agency_zone if agency_zone in time_zone_names() else "UTC"


def _kind(item: ImportedEvent) -> str:
    words = " ".join([item.summary, *item.categories]).lower()
    for kind, label in KINDS.items():
        if kind in words.replace(" ", "") or label.lower() in words:
            return kind
    return "meetup"


def _apply(event: Event, item: ImportedEvent, subscription: CalendarImport) -> bool:
    """Copy a source event onto ours; True when something a calendar shows changed."""
    zone = _zone_for(item, subscription)
    tz = ZoneInfo(zone)
    if isinstance(item.start, datetime):
        starts = item.start.astimezone(tz)
        ends = item.end.astimezone(tz) if isinstance(item.end, datetime) else starts + timedelta(hours=1)
        all_day = False
    else:
        last = item.end if isinstance(item.end, date) and not isinstance(item.end, datetime) else item.start
        starts = datetime.combine(item.start, time(), tzinfo=tz)
        ends = datetime.combine(max(last, item.start) + timedelta(days=1), time(), tzinfo=tz)
        all_day = True
    if ends <= starts:
        ends = starts + timedelta(hours=1)
    status = {"CANCELLED": "cancelled", "TENTATIVE": "postponed"}.get(item.status, "scheduled")
    values = {
        "title": (" ".join(strip_html(item.summary).split()) or "Untitled event")[:150],
        "description": strip_html(item.description)[:20_000] + (f"\n\n{item.url}" if item.url and item.url not in item.description else ""),
        "starts_at": starts.astimezone(ZoneInfo("UTC")), "ends_at": ends.astimezone(ZoneInfo("UTC")), "time_zone": zone, "all_day": all_day,
        "venue_name": " ".join(strip_html(item.location).split())[:200] if not item.location.startswith("http") else "",
        "online_url": item.location[:500] if item.location.startswith(("http://", "https://")) else "",
        "status": status, "status_reason": "" if status == "scheduled" else f"As {subscription.name or 'the source calendar'} says.",
    }
    changed = any(getattr(event, name) != value for name, value in values.items())
    for name, value in values.items():
        setattr(event, name, value)
    if status == "cancelled" and event.cancelled_at is None:
        event.cancelled_at = utcnow()
    elif status != "cancelled":
        event.cancelled_at = None
    if not event.venue_name and not event.online_url:
        event.venue_name = "See the organiser's calendar"
    event.series_ends_at = _series_end(event)
    return changed


def poll(import_id: int, now: Optional[datetime] = None) -> str:
    """Read one subscribed calendar and bring its events up to date; what happened, in a few words."""
    now = now or utcnow()
    subscription = db.session.get(CalendarImport, import_id)
    if subscription is None:
        return "gone"
    subscription.last_polled_at = now
    headers = {"Accept": "text/calendar, */*;q=0.5"}
    if subscription.etag:
        headers["If-None-Match"] = subscription.etag
    if subscription.last_modified:
        headers["If-Modified-Since"] = subscription.last_modified
    try:
        answer = fetch(subscription.url, allow_private=current_app.config["COP_ALLOW_PRIVATE_ADDRESSES"], max_bytes=MAX_CALENDAR_BYTES,
                       timeout=20.0, headers=headers, user_agent=f"cop (+{current_app.config['COP_BASE_URL']})")
    except OutboundError as error:
        _failed(subscription, str(error), now)
        return "failed"
    if answer.status == 304:
        subscription.last_error, subscription.last_success_at = "", now
        subscription.next_poll_at = now + timedelta(seconds=subscription.refresh_seconds)
        return "unchanged"
    if not 200 <= answer.status < 300:
        _failed(subscription, f"the address answered {answer.status}", now)
        return "failed"
    try:
        calendar = parse_calendar(answer.body)
    except ImportProblem as problem:
        _failed(subscription, str(problem), now)
        return "failed"
    _merge(subscription, list(calendar.events), now, set(calendar.skipped_uids))
    subscription.name = (calendar.name or subscription.name)[:200]
    subscription.etag = (answer.headers.get("ETag") or "")[:500]
    subscription.last_modified = (answer.headers.get("Last-Modified") or "")[:100]
    refresh = calendar.refresh or DEFAULT_REFRESH
    subscription.refresh_seconds = int(min(max(refresh, MIN_REFRESH), MAX_REFRESH).total_seconds())
    subscription.next_poll_at = now + timedelta(seconds=subscription.refresh_seconds)
    subscription.last_error, subscription.last_success_at = "", now
    subscription.last_warnings = list(calendar.warnings)[:20]
    return "updated"


def _merge(subscription: CalendarImport, items: list[ImportedEvent], now: datetime, unreadable: set[str]) -> None:
    """Add new events, update changed ones and cancel those that left the calendar (kept, marked cancelled);
    an event the calendar still has but that could not be read this time is left as it was."""
    ours = {e.import_uid: e for e in db.session.scalars(sa.select(Event).where(Event.import_id == subscription.id))}
    seen = set()
    organiser = db.session.get(User, subscription.created_by_id) if subscription.created_by_id else None
    for item in items:
        uid = item.uid[:500]
        if uid in seen:
            continue
        seen.add(uid)
        event = ours.get(uid)
        if event is None:
            event = Event(agency_id=subscription.agency_id, import_id=subscription.id, import_uid=uid, kind=_kind(item),
                          created_by_id=subscription.created_by_id, sequence=0, going_count=0, repeat_interval=1,
                          repeat_monthly_by="weekday", currency="GBP", registration_open=False, contact_email="", payment_details="",
                          venue_address="", created_at=now, updated_at=now)
            event.agency = subscription.agency
            _apply(event, item, subscription)
            event.slug = _unique_slug(event.title)
            event.organisers = [organiser] if organiser is not None else []
            db.session.add(event)
            db.session.flush()
            index_event(event)
            send_after_commit(event_published, Event, event.id)
        elif _apply(event, item, subscription):
            event.sequence += 1
            event.updated_at = now
            db.session.flush()
            index_event(event)
            send_after_commit(event_cancelled if event.status == "cancelled" else event_changed, Event, event.id)
    for uid, event in ours.items():
        if uid not in seen and uid not in unreadable and event.status != "cancelled":
            event.status, event.status_reason = "cancelled", f"It is no longer in {subscription.name or 'the source calendar'}."
            event.cancelled_at = event.updated_at = now
            event.sequence += 1
            search.remove_document("event", event.id)
            send_after_commit(event_cancelled, Event, event.id)
    subscription.events_count = len(seen)
    db.session.flush()
