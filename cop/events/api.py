"""Events in the JSON API: the list with the page's filters, one event, listing and changing one, cancelling it,
and the token owner's place and surgery slots. The same services as the pages, so the same rules."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, url_for

from cop.api.core import PREFIX, ListArgs, caller, error_responses, page_of, page_size, paged, refusal, token_required
from cop.api.core import Blueprint as ApiBlueprint
from cop.cache import public_page
from cop.errors import ServiceError
from cop.events import finding, registrations, schemas, services
from cop.events.models import Event, SurgerySlot
from cop.extensions import db
from cop.text.markdown import render_markdown
from cop.text.models import Topic
from cop.urls import external_url


def _named(thing: Any) -> dict[str, str]:
    return {"slug": thing.slug, "name": getattr(thing, "name", None) or getattr(thing, "title", "")}


def summary_json(event: Event) -> dict[str, Any]:
    """An event as the list shows it."""
    tz = ZoneInfo(event.time_zone)
    repeat = None
    if event.repeat:
        repeat = {"every": event.repeat, "interval": event.repeat_interval, "monthly_by": event.repeat_monthly_by,
                  "until": event.repeat_until, "skipped": [s.starts_at.astimezone(tz).date() for s in event.skipped]}
    venue = None
    if event.venue_name or event.venue_address:
        venue = {"name": event.venue_name, "address": event.venue_address, "latitude": event.latitude, "longitude": event.longitude}
    return {
        "id": event.id,
        "slug": event.slug,
        "url": external_url("events.event", slug=event.slug),
        "calendar_url": external_url("events.event_feed", slug=event.slug),
        "title": event.title,
        "kind": event.kind,
        "level": event.level,
        "status": event.status,
        "status_reason": event.status_reason,
        "agency": _named(event.agency),
        "time_zone": event.time_zone,
        "all_day": event.all_day,
        "starts_at": event.starts_at.astimezone(tz),
        "ends_at": event.ends_at.astimezone(tz),
        "repeat": repeat,
        "venue": venue,
        "online_url": event.online_url or None,
        "topics": [_named(t) for t in event.topics],
        "updated_at": event.updated_at,
    }


def event_json(event: Event) -> dict[str, Any]:
    """The whole event."""
    return {
        **summary_json(event),
        "description": event.description,
        "description_html": str(render_markdown(event.description)),
        "capacity": event.capacity,
        "going": event.going_count,
        "places_left": event.places_left,
        "price": {"free": event.is_free, "amount": None if event.is_free else f"{event.price:.2f}", "currency": event.currency,
                  "how_to_pay": event.payment_details},
        "registration_open": event.registration_open,
        "contact_email": event.contact_email or None,
        "prerequisites": [_named(p) for p in event.prerequisites],
        "sequence": event.sequence,
    }


def _topic_ids(slugs: Optional[list[str]]) -> Optional[list[int]]:
    if slugs is None:
        return None
    wanted = set(slugs)
    found = dict(db.session.execute(sa.select(Topic.slug, Topic.id).where(Topic.slug.in_(wanted))).all()) if wanted else {}
    unknown = sorted(wanted - found.keys())
    if unknown:
        raise ServiceError(f"Unknown topic: {', '.join(unknown)}.", field="topics")
    return list(found.values())


def input_from(data: dict[str, Any]) -> services.EventInput:
    """A service input from a validated API body: only what the body holds is changed."""
    price = data.get("price")
    return services.EventInput(
        title=data.get("title"), description=data.get("description"), kind=data.get("kind"),
        level=(data["level"] or "") if "level" in data else None, time_zone=data.get("time_zone"), all_day=data.get("all_day"),
        starts=data.get("starts"), ends=data.get("ends"), start_date=data.get("start_date"), end_date=data.get("end_date"),
        venue_name=data.get("venue_name"), venue_address=data.get("venue_address"),
        latitude=data.get("latitude"), longitude=data.get("longitude"),
        coordinates_given="latitude" in data or "longitude" in data,
        online_url=data.get("online_url"), capacity=data.get("capacity"), capacity_given="capacity" in data,
        price=("" if price is None else str(price)) if "price" in data else None, currency=data.get("currency"),
        payment_details=data.get("how_to_pay"), registration_open=data.get("registration_open"),
        contact_email=data.get("contact_email"), topic_ids=_topic_ids(data.get("topics")),
        prerequisite_slugs=data.get("prerequisites"),
        repeat=data.get("repeat"), repeat_interval=data.get("repeat_interval"), repeat_monthly_by=data.get("repeat_monthly_by"),
        repeat_until=data.get("repeat_until"), skipped_dates=data.get("skipped"),
        repeat_given=any(k in data for k in ("repeat", "repeat_interval", "repeat_monthly_by", "repeat_until", "skipped")),
    )


#: Which API field each service field's message belongs to.
FIELD_NAMES = {"topic_ids": "topics", "payment_details": "how_to_pay", "skipped_dates": "skipped", "reason": "status_reason"}


def _refused(error: ServiceError) -> ServiceError:
    return refusal(error, FIELD_NAMES)


bp = ApiBlueprint("events_api", __name__, url_prefix=f"{PREFIX}/events", description="Events, places and surgery slots.")
_errors = error_responses(bp, {
    404: "No such event or slot.",
    409: "That does not fit the event as it stands (cancelled, ended, full, already booked).",
})


def _found(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404, "No event has that id.")
    return event


def _day_start(day: Optional[date]) -> Optional[datetime]:
    return datetime.combine(day, time(), tzinfo=ZoneInfo("UTC")) if day else None


@bp.route("")
@public_page
@bp.arguments(schemas.EventQuery, location="query", as_kwargs=True)
@bp.arguments(ListArgs, location="query", as_kwargs=True)
@bp.response(200, page_of(schemas.EventSummary))
@_errors(422)
def list_events(page: int = 1, per_page: Optional[int] = None, from_: Optional[date] = None, to: Optional[date] = None, **filters: Any):
    """Events coming up (or between from and to), soonest first, filtered as on the list page."""
    if from_ and to and to < from_:
        raise _refused(ServiceError("to must be on or after from.", field="to"))
    chosen = finding.Filters(agency=filters.get("agency", ""), kind=filters.get("kind", ""), level=filters.get("level", ""),
                             topic=filters.get("tag", ""))
    until = _day_start(to) + timedelta(days=1) if to else None
    pagination = finding.events_page(chosen, page, page_size(per_page), since=_day_start(from_), until=until)
    if pagination.page > 1 and pagination.page > pagination.pages:
        abort(404, "There is no such page of events.")
    args = {**{k: v for k, v in filters.items() if v}, "from": from_, "to": to, "per_page": per_page}
    body, headers = paged(pagination, [summary_json(e) for e in pagination.items], args)
    return body, 200, headers


@bp.route("/<int:event_id>")
@public_page
@bp.response(200, schemas.EventOut)
@_errors(404)
def get_event(event_id: int):
    """One event, with its places and price."""
    return event_json(_found(event_id))


@bp.route("", methods=["POST"])
@token_required("write")
@bp.arguments(schemas.EventCreate)
@bp.response(201, schemas.EventOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 409, 413, 422)
def create_event(data: dict[str, Any]):
    """List an event for your agency (a write token of a member of an agency)."""
    try:
        event = services.create_event(caller(), input_from(data))
    except ServiceError as error:
        db.session.rollback()
        raise _refused(error) from error
    db.session.commit()
    return event_json(event), 201, {"Location": url_for("events_api.get_event", event_id=event.id)}


@bp.route("/<int:event_id>", methods=["PATCH"])
@token_required("write")
@bp.arguments(schemas.EventPatch)
@bp.response(200, schemas.EventOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 409, 413, 422)
def update_event(data: dict[str, Any], event_id: int):
    """Change fields, the status (postponed or cancelled, with status_reason; or scheduled), or both."""
    actor, event = caller(), _found(event_id)
    status = data.pop("status", None)
    reason = data.pop("status_reason", "")
    try:
        if data:
            services.update_event(actor, event, input_from(data))
        if status and status != event.status:
            services.change_status(actor, event, status, reason)
        elif status is None and not data:
            services.require_manager(actor, event)
    except ServiceError as error:
        db.session.rollback()
        raise _refused(error) from error
    db.session.commit()
    return event_json(_found(event_id))


@bp.route("/<int:event_id>", methods=["DELETE"])
@token_required("write")
@bp.arguments(schemas.CancelArgs, location="query", as_kwargs=True)
@bp.response(200, schemas.EventOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 409)
def cancel_event(event_id: int, reason: str = ""):
    """Cancel the event: it stays, marked cancelled, in feeds for 30 days, and everyone registered is told."""
    actor, event = caller(), _found(event_id)
    try:
        services.change_status(actor, event, "cancelled", reason or "Cancelled by the organisers.")
    except ServiceError as error:
        db.session.rollback()
        raise _refused(error) from error
    db.session.commit()
    return event_json(_found(event_id))


def _registration_json(registration: Any) -> dict[str, Any]:
    return {"status": registration.status, "event": registration.event_id, "updated_at": registration.updated_at}


@bp.route("/<int:event_id>/registration", methods=["PUT"])
@token_required("write")
@bp.response(200, schemas.RegistrationOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 409)
def register(event_id: int):
    """Take a place for the token's owner, or a place on the waiting list when the event is full."""
    event = _found(event_id)
    try:
        registration = registrations.register(caller(), event)
    except ServiceError as error:
        db.session.rollback()
        raise _refused(error) from error
    db.session.commit()
    return _registration_json(registration)


@bp.route("/<int:event_id>/registration", methods=["DELETE"])
@token_required("write")
@bp.response(204)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 409)
def unregister(event_id: int):
    """Give up the token owner's place (the first waiting gets it) or leave the waiting list."""
    event = _found(event_id)
    try:
        registrations.cancel_registration(caller(), event)
    except ServiceError as error:
        db.session.rollback()
        raise _refused(error) from error
    db.session.commit()
    return "", 204


@bp.route("/<int:event_id>/slots")
@token_required("read")
@bp.response(200, schemas.SlotOut(many=True))
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 404)
def slots(event_id: int):
    """A surgery's one-to-one slots, and which are free."""
    event, actor = _found(event_id), caller()
    return [
        {"id": s.id, "starts_at": s.starts_at, "ends_at": s.ends_at, "booked": s.booked_by_id is not None,
         "booked_by_you": s.booked_by_id == actor.id}
        for s in registrations.slots_for(event)
    ]


@bp.route("/<int:event_id>/slots/<int:slot_id>/booking", methods=["PUT"])
@token_required("write")
@bp.arguments(schemas.BookingIn)
@bp.response(200, schemas.SlotOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 409, 413, 422)
def book(data: dict[str, Any], event_id: int, slot_id: int):
    """Book a free slot for the token's owner, with a note of what they want help with."""
    event = _found(event_id)
    slot = db.session.get(SurgerySlot, slot_id)
    if slot is None or slot.event_id != event.id:
        abort(404, "This event has no slot with that id.")
    try:
        registrations.book_slot(caller(), slot, data["note"])
    except ServiceError as error:
        db.session.rollback()
        raise _refused(error) from error
    db.session.commit()
    return {"id": slot.id, "starts_at": slot.starts_at, "ends_at": slot.ends_at, "booked": True, "booked_by_you": True}
