"""The JSON shapes of events in the API: what requests may hold (validated) and what responses hold."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from cop.accounts.models import LEVELS
from cop.events.models import CURRENCIES, KINDS, MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH, MONTHLY_BY, REGISTRATION_STATUSES, REPEATS, STATUSES

_SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use a slug: lower-case letters, digits and hyphens.")


class EventRef(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)


class Venue(Schema):
    name = fields.String(required=True)
    address = fields.String(required=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)


class EventPrice(Schema):
    free = fields.Boolean(required=True)
    amount = fields.String(allow_none=True, metadata={"description": "A decimal amount, such as \"25.00\"; null when free."})
    currency = fields.String(required=True)
    how_to_pay = fields.String(required=True)


class EventRepeat(Schema):
    every = fields.String(required=True, validate=validate.OneOf(list(REPEATS)))
    interval = fields.Integer(required=True)
    monthly_by = fields.String(required=True, validate=validate.OneOf(list(MONTHLY_BY)))
    until = fields.Date(required=True)
    skipped = fields.List(fields.Date(), required=True, metadata={"description": "Dates (in the event's zone) it does not happen."})


class EventSummary(Schema):
    """An event as lists show it."""

    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    url = fields.Url(required=True, metadata={"description": "Its page."})
    calendar_url = fields.Url(required=True, metadata={"description": "Its iCalendar feed."})
    title = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    level = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(list(STATUSES)))
    status_reason = fields.String(required=True)
    agency = fields.Nested(EventRef, required=True)
    time_zone = fields.String(required=True)
    all_day = fields.Boolean(required=True)
    starts_at = fields.DateTime(required=True, metadata={"description": "The first start, with its offset in the event's zone."})
    ends_at = fields.DateTime(required=True)
    repeat = fields.Nested(EventRepeat, allow_none=True)
    venue = fields.Nested(Venue, allow_none=True)
    online_url = fields.String(allow_none=True)
    topics = fields.List(fields.Nested(EventRef), required=True)
    updated_at = fields.DateTime(required=True)


class EventOut(EventSummary):
    """The whole event."""

    description = fields.String(required=True, metadata={"description": "Markdown."})
    description_html = fields.String(required=True)
    capacity = fields.Integer(allow_none=True)
    going = fields.Integer(required=True)
    places_left = fields.Integer(allow_none=True)
    price = fields.Nested(EventPrice, required=True)
    registration_open = fields.Boolean(required=True)
    contact_email = fields.String(allow_none=True)
    prerequisites = fields.List(fields.Nested(EventRef), required=True)
    sequence = fields.Integer(required=True, metadata={"description": "Grows with every change calendars show."})


class EventWrite(Schema):
    """What a write may hold: any field left out keeps its value."""

    class Meta:
        unknown = RAISE

    title = fields.String(validate=validate.Length(min=1, max=MAX_TITLE_LENGTH, error=f"A title is 1 to {MAX_TITLE_LENGTH} characters."))
    description = fields.String(validate=validate.Length(max=MAX_DESCRIPTION_LENGTH, error=f"{MAX_DESCRIPTION_LENGTH:,} characters or fewer."))
    kind = fields.String(validate=validate.OneOf(list(KINDS), error="Use one of: " + ", ".join(KINDS)))
    level = fields.String(allow_none=True, validate=validate.OneOf(list(LEVELS), error="Use 101, 202 or 303."))
    time_zone = fields.String(validate=validate.Length(max=64), metadata={"description": "An IANA zone, such as Europe/London."})
    all_day = fields.Boolean()
    starts = fields.NaiveDateTime(metadata={"description": "Local wall-clock time in time_zone, such as 2026-12-01T10:00:00."})
    ends = fields.NaiveDateTime()
    start_date = fields.Date(metadata={"description": "All-day events: the first day."})
    end_date = fields.Date(metadata={"description": "All-day events: the last day, inclusive."})
    venue_name = fields.String(validate=validate.Length(max=200))
    venue_address = fields.String(validate=validate.Length(max=500))
    latitude = fields.Float(allow_none=True, allow_nan=False)
    longitude = fields.Float(allow_none=True, allow_nan=False)
    online_url = fields.String(validate=validate.Length(max=500))
    capacity = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=100_000, error="From 0 to 100,000, or null for no limit."))
    price = fields.String(allow_none=True, validate=validate.Regexp(r"^\d{1,5}(\.\d{1,2})?$", error="An amount such as \"25\" or \"25.50\", or null when free."),
                          metadata={"description": "A decimal amount as a string; null or \"0\" when free."})
    currency = fields.String(validate=validate.OneOf(list(CURRENCIES), error="Use one of: " + ", ".join(CURRENCIES)))
    how_to_pay = fields.String(validate=validate.Length(max=500))
    registration_open = fields.Boolean()
    contact_email = fields.String(validate=validate.Length(max=254))
    topics = fields.List(fields.String(validate=_SLUG), metadata={"description": "Topics' slugs."})
    prerequisites = fields.List(fields.String(validate=_SLUG), metadata={"description": "Courses' slugs."})
    repeat = fields.String(allow_none=True, validate=validate.OneOf(list(REPEATS), error="Use weekly or monthly, or null."))
    repeat_interval = fields.Integer(strict=True, validate=validate.Range(min=1, max=12, error="From 1 to 12."))
    repeat_monthly_by = fields.String(validate=validate.OneOf(list(MONTHLY_BY)))
    repeat_until = fields.Date(allow_none=True)
    skipped = fields.List(fields.Date(), validate=validate.Length(max=100, error="At most 100 dates."))


class EventCreate(EventWrite):
    """A new event, for the caller's agency."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TITLE_LENGTH, error=f"A title is 1 to {MAX_TITLE_LENGTH} characters."))
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS), error="Use one of: " + ", ".join(KINDS)))
    time_zone = fields.String(required=True, validate=validate.Length(max=64))


class EventPatch(EventWrite):
    """Changes to fields, a change of status, or both."""

    status = fields.String(validate=validate.OneOf(list(STATUSES), error="Use scheduled, postponed or cancelled."))
    status_reason = fields.String(validate=validate.Length(max=500), metadata={"description": "Required to postpone or cancel: attendees see it."})

    @validates_schema
    def _reason_with_status(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("status") in ("postponed", "cancelled") and not (data.get("status_reason") or "").strip():
            raise ValidationError("Say why: attendees are shown it.", field_name="status_reason")


class CancelArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    reason = fields.String(load_default="", validate=validate.Length(max=500), metadata={"description": "Shown to attendees."})


class EventQuery(Schema):
    """The list's filters."""

    class Meta:
        unknown = EXCLUDE

    agency = fields.String(load_default="")
    kind = fields.String(load_default="", validate=validate.OneOf(["", *KINDS], error="Use one of: " + ", ".join(KINDS)))
    level = fields.String(load_default="", validate=validate.OneOf(["", *LEVELS], error="Use 101, 202 or 303."))
    tag = fields.String(load_default="", metadata={"description": "A topic's slug."})
    from_ = fields.Date(data_key="from", load_default=None, metadata={"description": "Events ending on or after this day."})
    to = fields.Date(load_default=None, metadata={"description": "Events starting on or before this day."})


class RegistrationOut(Schema):
    status = fields.String(required=True, validate=validate.OneOf(list(REGISTRATION_STATUSES)))
    event = fields.Integer(required=True)
    updated_at = fields.DateTime(required=True)


class BookingIn(Schema):
    class Meta:
        unknown = RAISE

    note = fields.String(required=True, validate=validate.Length(min=1, max=1000, error="1 to 1,000 characters."),
                         metadata={"description": "What you would like help with."})


class SlotOut(Schema):
    id = fields.Integer(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    booked = fields.Boolean(required=True)
    booked_by_you = fields.Boolean(required=True)
