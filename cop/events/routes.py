"""Event pages: the list and its calendar feeds, each event, listing and changing one, places and slots."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Optional
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.http import is_resource_modified

from cop.cache import public_page
from cop.clock import utcnow
from cop.errors import ServiceError
from cop.events import board, calendars, feeds, finding, forms, occurrences, registrations, services
from cop.events import imports as event_imports
from cop.events.models import KINDS, MONTHLY_BY, REGISTRATION_STATUSES, REPEATS, STATUSES, CalendarImport, Event, SurgerySlot
from cop.extensions import db
from cop.forms import EmptyForm
from cop.text.markdown import render_markdown
from cop.text.places import time_zone_names
from cop.urls import external_url
from cop.web import act_and_redirect, add_page_section, as_choices, attach_error, list_title, page_number, render_around_shared, render_form, require_page

bp = Blueprint("events", __name__, template_folder="templates")

CALENDAR_TYPE = "text/calendar; charset=utf-8"


def _actor() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _event_or_404(slug: str) -> Event:
    event = services.event_by_slug(slug)
    if event is None:
        abort(404, description="There is no event at this address.")
    return event


def _calendar_response(feed: feeds.Feed | feeds.FeedSource, filename: str) -> Response:
    """A feed with its validators; 304 when the client holds these bytes, decided before they are built
    or read. Never compressed: Outlook cannot read a compressed feed."""
    validators = feed.validators() if isinstance(feed, feeds.FeedSource) else feed
    headers = {"Content-Type": CALENDAR_TYPE, "Cache-Control": "public, max-age=300",
               "Content-Disposition": f'inline; filename="{filename}"'}
    if not is_resource_modified(request.environ, etag=validators.etag, last_modified=validators.last_modified):
        response = Response(status=304, headers=headers)
    else:
        body = feed.feed().body if isinstance(feed, feeds.FeedSource) else feed.body
        response = Response(body, headers=headers)
    response.set_etag(validators.etag)
    if validators.last_modified is not None:
        response.last_modified = validators.last_modified
    return response


# ---------------------------------------------------------------- the list and its feeds


@bp.route("/events")
@public_page
def index():
    return render_around_shared(
        "events/index.html", "events.listing", "events/_listing.html", _listing, keep=("title", "feed_url", "filtered", "past"),
        can_list=current_user.is_authenticated and current_user.agency_id is not None,
    )


def _listing() -> dict[str, Any]:
    """The events, their filters and subscribe links, as everyone sees them."""
    filters = finding.Filters.from_args(request.args)
    pagination = require_page(finding.events_page(filters, page_number(), current_app.config["COP_PER_PAGE"]))
    described = finding.describe(filters)
    feed_url = external_url("events.feed", **filters.feed_args())
    name = " — ".join([f"{current_app.config['COP_SITE_NAME']}: events", *described])
    return {
        "title": list_title("Past events" if filters.past else "Events", pagination.page, described, pagination.total),
        "pagination": pagination,
        "filters": filters,
        "filtered": bool(filters.feed_args()),
        "past": filters.past,
        "args": filters.as_args(),
        "options": finding.options(),
        "kinds": KINDS,
        "feed_url": feed_url,
        "links": finding.subscribe_links(feed_url, name),
    }


@bp.route("/events/calendar.ics")
def feed():
    filters = finding.Filters.from_args(request.args)
    name = " — ".join([f"{current_app.config['COP_SITE_NAME']}: events", *finding.describe(filters)])
    return _calendar_response(feeds.FeedSource(name, finding.feed_selection(filters)), "events.ics")


# ---------------------------------------------------------------- one event


def _when(event: Event) -> dict[str, Any]:
    tz = ZoneInfo(event.time_zone)
    return {"start": event.starts_at.astimezone(tz), "end": event.ends_at.astimezone(tz), "last_day": (event.ends_at.astimezone(tz) - timedelta(days=1))}


def _occurrences(event: Event, count: int = 6) -> list[occurrences.Occurrence]:
    if not event.repeat:
        return []
    now = utcnow()
    return occurrences.dates(event, now, now + timedelta(days=400))[:count]


@bp.route("/events/<slug>")
@public_page
def event(slug: str):
    event = _event_or_404(slug)
    actor = _actor()
    feed_url = external_url("events.event_feed", slug=event.slug)
    manager = services.can_manage(actor, event)
    # A surgery from another server books its slots there.
    has_slots = event.kind == "surgery" and not event.is_remote
    slots = registrations.slots_for(event) if has_slots else []
    return render_template(
        "events/event.html",
        event=event,
        when=_when(event),
        description_html=render_markdown(event.description),
        occurrences=_occurrences(event),
        kinds=KINDS, statuses=STATUSES, repeats=REPEATS, monthly_by=MONTHLY_BY,
        price=services.price_label(event),
        over=services.is_over(event),
        registration=registrations.registration_of(actor, event),
        registration_words=REGISTRATION_STATUSES,
        manager=manager,
        can_import=event_imports.can_manage_imports(actor, event.agency_id),
        has_board=board.has_board(event),
        has_slots=has_slots,
        slots=slots,
        feed_url=feed_url,
        links=finding.subscribe_links(feed_url, event.title),
        # Forms (and the CSRF token in the session they bring) only for someone who can use them.
        form=EmptyForm(formdata=None) if actor else None,
        # One form a slot, each with its own field ids, so each label names its own box.
        booking_forms={slot.id: forms.BookingForm(formdata=None, prefix=f"slot-{slot.id}") for slot in slots} if actor else {},
        slots_form=forms.SlotsForm(formdata=None) if manager and event.kind == "surgery" else None,
        now=utcnow(),
    )


@bp.route("/events/<slug>/calendar.ics")
def event_feed(slug: str):
    event = _event_or_404(slug)
    return _calendar_response(feeds.FeedSource(event.title, feeds.FeedSelection(event_id=event.id)), f"{event.slug}.ics")


# ---------------------------------------------------------------- one date of a repeating event


def _day_or_404(event: Event, day: str) -> Any:
    try:
        when = date.fromisoformat(day)
    except ValueError:
        abort(404)
    found = occurrences.occurrence_on(event, when)
    if found is None:
        abort(404, description=f"{event.title} has no date on {day}.")
    return found


@bp.route("/events/<slug>/dates/<day>", methods=["GET", "POST"])
@login_required
def occurrence(slug: str, day: str):
    event = _event_or_404(slug)
    if not services.can_manage(_actor(), event):
        abort(403)
    found = _day_or_404(event, day)
    form = forms.OccurrenceForm()
    if request.method == "GET":
        form.starts.data, form.ends.data = found.start.replace(tzinfo=None), found.end.replace(tzinfo=None)
        form.cancelled.data, form.note.data = found.cancelled, found.note
    if form.validate_on_submit():
        try:
            occurrences.change_occurrence(_actor(), event, found.day, form.starts.data, form.ends.data, bool(form.cancelled.data),
                                          form.note.data or "")
        except ServiceError as error:
            db.session.rollback()
            return render_form("events/occurrence.html", form, attach_error(form, error), event=_event_or_404(slug), found=found,
                               restore_form=EmptyForm(formdata=None))
        db.session.commit()
        flash("That date is changed; everyone registered was told.", "success")
        return redirect(url_for("events.event", slug=slug))
    return render_form("events/occurrence.html", form, event=event, found=found, restore_form=EmptyForm(formdata=None))


@bp.route("/events/<slug>/dates/<day>/restore", methods=["POST"])
@login_required
def restore_occurrence(slug: str, day: str):
    event = _event_or_404(slug)
    if not services.can_manage(_actor(), event):
        abort(403)
    found = _day_or_404(event, day)
    return act_and_redirect(EmptyForm(), lambda: occurrences.restore_occurrence(_actor(), event, found.day),
                            lambda _none: "That date is back as the series has it.", url_for("events.event", slug=slug))


# ---------------------------------------------------------------- listing and changing


def _form(event: Optional[Event]) -> forms.EventForm:
    from cop.text.services import list_topics

    form = forms.EventForm(obj=event if request.method == "GET" else None)
    form.time_zone.choices = as_choices((z, z) for z in time_zone_names())
    kept = {t.id for t in event.topics} if event else set()
    form.topics.choices = as_choices((t.id, t.name) for t in list_topics(include_retired=True) if not t.is_retired or t.id in kept)
    courses = db.session.execute(db.select(Event.slug, Event.title).where(Event.kind == "course", Event.status != "cancelled").order_by(Event.title))
    form.prerequisites.choices = as_choices((s, t) for s, t in courses if event is None or s != event.slug)
    if request.method == "GET":
        if event is None:
            form.time_zone.data = getattr(current_user, "time_zone", None) or "Europe/London"
            form.contact_email.data = ""
            form.repeat_interval.data = "1"
        else:
            tz = ZoneInfo(event.time_zone)
            start, end = event.starts_at.astimezone(tz), event.ends_at.astimezone(tz)
            form.starts.data, form.ends.data = start.replace(tzinfo=None), end.replace(tzinfo=None)
            form.start_date.data, form.end_date.data = start.date(), (end - timedelta(days=1)).date()
            form.topics.data = [t.id for t in event.topics]
            form.prerequisites.data = [p.slug for p in event.prerequisites]
            form.capacity.data = "" if event.capacity is None else str(event.capacity)
            form.price.data = "" if event.is_free else f"{event.price:.2f}"
            form.latitude.data = "" if event.latitude is None else str(event.latitude)
            form.longitude.data = "" if event.longitude is None else str(event.longitude)
            form.repeat.data = event.repeat or ""
            form.repeat_interval.data = str(event.repeat_interval)
            form.skipped_dates.data = "\n".join(s.starts_at.astimezone(tz).date().isoformat() for s in event.skipped)
    return form


def _input(form: forms.EventForm) -> services.EventInput:
    errors: dict[str, str] = {}
    try:
        skipped = form.skipped_days()
    except ValueError as error:
        skipped, errors["skipped_dates"] = [], str(error)
    all_day = bool(form.all_day.data)
    return services.EventInput(
        title=form.title.data or "", description=form.description.data or "", kind=form.kind.data,
        level=form.level.data or "", time_zone=form.time_zone.data or "", all_day=all_day,
        starts=None if all_day else form.starts.data, ends=None if all_day else form.ends.data,
        start_date=form.start_date.data if all_day else None, end_date=form.end_date.data if all_day else None,
        venue_name=form.venue_name.data or "", venue_address=form.venue_address.data or "",
        latitude=form.latitude.number, longitude=form.longitude.number, coordinates_given=True,
        online_url=form.online_url.data or "", capacity=form.capacity.number, capacity_given=True,
        price=form.price.data or "", currency=form.currency.data, payment_details=form.payment_details.data or "",
        registration_open=bool(form.registration_open.data), contact_email=form.contact_email.data or "",
        topic_ids=list(form.topics.data or []), prerequisite_slugs=list(form.prerequisites.data or []),
        repeat=form.repeat.data or None, repeat_interval=form.repeat_interval.number,
        repeat_monthly_by=form.repeat_monthly_by.data or "weekday", repeat_until=form.repeat_until.data,
        skipped_dates=skipped, repeat_given=True, errors=errors,
    )


def _render(form: forms.EventForm, event: Optional[Event], error: Any = None):
    return render_form("events/form.html", form, error, event=event, agency=event.agency if event else current_user.agency)


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def new():
    actor = _actor()
    services.require_organiser(actor)
    form = _form(None)
    if form.validate_on_submit():
        try:
            event = services.create_event(actor, _input(form))
        except ServiceError as error:
            db.session.rollback()
            return _render(form, None, attach_error(form, error))
        db.session.commit()
        flash("Your event is listed.", "success")
        return redirect(url_for("events.event", slug=event.slug))
    return _render(form, None)


@bp.route("/events/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    actor = _actor()
    event = _event_or_404(slug)
    if not services.can_manage(actor, event):
        abort(403)
    form = _form(event)
    if form.validate_on_submit():
        try:
            services.update_event(actor, event, _input(form))
        except ServiceError as error:
            db.session.rollback()
            return _render(form, _event_or_404(slug), attach_error(form, error))
        db.session.commit()
        flash("Your changes were saved. Subscribed calendars show them when they next refresh.", "success")
        return redirect(url_for("events.event", slug=event.slug))
    return _render(form, event)


@bp.route("/events/<slug>/status", methods=["GET", "POST"])
@login_required
def status(slug: str):
    actor = _actor()
    event = _event_or_404(slug)
    if not services.can_manage(actor, event):
        abort(403)
    form = forms.StatusForm()
    if form.validate_on_submit():
        try:
            services.change_status(actor, event, form.status.data, form.reason.data or "")
        except ServiceError as error:
            db.session.rollback()
            return render_form("events/status.html", form, attach_error(form, error), event=_event_or_404(slug))
        db.session.commit()
        flash({"cancelled": "The event is cancelled; everyone registered was told.",
               "postponed": "The event is postponed; everyone registered was told.",
               "scheduled": "The event is back on."}[form.status.data], "success")
        return redirect(url_for("events.event", slug=slug))
    return render_form("events/status.html", form, event=event)


# ---------------------------------------------------------------- places


@bp.route("/events/<slug>/register", methods=["POST"])
@login_required
def register(slug: str):
    event = _event_or_404(slug)
    return act_and_redirect(
        EmptyForm(), lambda: registrations.register(_actor(), event),
        lambda registration: "Your place is confirmed. It is in your calendar feed too." if registration.status == "going"
        else "The event is full, so you are on the waiting list. We will tell you if a place comes free.",
        url_for("events.event", slug=slug),
    )


@bp.route("/events/<slug>/unregister", methods=["POST"])
@login_required
def unregister(slug: str):
    event = _event_or_404(slug)
    return act_and_redirect(
        EmptyForm(), lambda: registrations.cancel_registration(_actor(), event),
        lambda _promoted: "You are no longer registered.", url_for("events.event", slug=slug),
    )


@bp.route("/events/<slug>/attendees")
@login_required
def attendees(slug: str):
    event = _event_or_404(slug)
    if not services.can_manage(_actor(), event):
        abort(403)
    return render_template("events/attendees.html", event=event, attendees=registrations.attendees(_actor(), event),
                           statuses=REGISTRATION_STATUSES)


@bp.route("/events/<slug>/attendees.csv")
@login_required
def attendees_csv(slug: str):
    event = _event_or_404(slug)
    if not services.can_manage(_actor(), event):
        abort(403)
    body = registrations.attendees_csv(_actor(), event)
    return Response(body, headers={"Content-Type": "text/csv; charset=utf-8",
                                   "Content-Disposition": f'attachment; filename="{event.slug}-attendees.csv"'})


# ---------------------------------------------------------------- surgery slots


def _slot_or_404(event: Event, slot_id: int) -> SurgerySlot:
    slot = db.session.get(SurgerySlot, slot_id)
    if slot is None or slot.event_id != event.id:
        abort(404)
    return slot


@bp.route("/events/<slug>/slots", methods=["POST"])
@login_required
def add_slots(slug: str):
    event = _event_or_404(slug)
    if not services.can_manage(_actor(), event):
        abort(403)
    form = forms.SlotsForm()
    if form.validate_on_submit() and form.starts.data is not None:
        try:
            starts = services.to_utc(form.starts.data, ZoneInfo(event.time_zone), "starts")
            made = registrations.add_slots(_actor(), event, starts, form.minutes.data, form.count.data)
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("events.event", slug=slug, _anchor="slots"))
        db.session.commit()
        flash(f"{len(made)} slots are open for booking.", "success")
    else:
        flash(next(iter(form.errors.values()), ["Enter when the first slot starts."])[0], "error")
    return redirect(url_for("events.event", slug=slug, _anchor="slots"))


@bp.route("/events/<slug>/slots/<int:slot_id>/book", methods=["POST"])
@login_required
def book_slot(slug: str, slot_id: int):
    event = _event_or_404(slug)
    slot = _slot_or_404(event, slot_id)
    form = forms.BookingForm(prefix=f"slot-{slot_id}")

    return act_and_redirect(
        form, lambda: registrations.book_slot(_actor(), slot, form.note.data or ""),
        lambda _slot: "Your slot is booked. The host can see your note.", url_for("events.event", slug=slug, _anchor="slots"),
    )


@bp.route("/events/<slug>/slots/<int:slot_id>/cancel", methods=["POST"])
@login_required
def cancel_slot(slug: str, slot_id: int):
    event = _event_or_404(slug)
    slot = _slot_or_404(event, slot_id)

    return act_and_redirect(
        EmptyForm(), lambda: registrations.cancel_booking(_actor(), slot),
        lambda _none: "The booking is cancelled and the slot is free again.", url_for("events.event", slug=slug, _anchor="slots"),
    )


# ---------------------------------------------------------------- calendars an agency imports


def _agency_or_404(slug: str) -> Any:
    from cop.agencies.services import get_agency

    agency = get_agency(slug)
    if agency is None:
        abort(404)
    return agency


def _import_or_404(agency: Any, import_id: int) -> CalendarImport:
    subscription = db.session.get(CalendarImport, import_id)
    if subscription is None or subscription.agency_id != agency.id:
        abort(404)
    return subscription


@bp.route("/agencies/<slug>/calendars", methods=["GET", "POST"])
@login_required
def imports(slug: str):
    agency = _agency_or_404(slug)
    if not event_imports.can_manage_imports(_actor(), agency.id):
        abort(403)
    form = forms.ImportForm()
    if form.validate_on_submit():
        try:
            event_imports.add_import(_actor(), agency, form.url.data)
        except ServiceError as error:
            db.session.rollback()
            return render_form("events/imports.html", form, attach_error(form, error), agency=agency,
                               subscriptions=event_imports.imports_of(agency.id), button_form=EmptyForm(formdata=None))
        db.session.commit()
        flash("The calendar is added. Its events appear here within a minute or two.", "success")
        return redirect(url_for("events.imports", slug=slug))
    return render_form("events/imports.html", form, agency=agency, subscriptions=event_imports.imports_of(agency.id),
                       button_form=EmptyForm(formdata=None))


@bp.route("/agencies/<slug>/calendars/<int:import_id>/refresh", methods=["POST"])
@login_required
def refresh_import(slug: str, import_id: int):
    agency = _agency_or_404(slug)
    subscription = _import_or_404(agency, import_id)
    return act_and_redirect(EmptyForm(), lambda: event_imports.poll_soon(_actor(), subscription),
                            lambda _none: "It will be read again within a minute.", url_for("events.imports", slug=slug))


@bp.route("/agencies/<slug>/calendars/<int:import_id>/remove", methods=["POST"])
@login_required
def remove_import(slug: str, import_id: int):
    agency = _agency_or_404(slug)
    subscription = _import_or_404(agency, import_id)
    return act_and_redirect(EmptyForm(), lambda: event_imports.remove_import(_actor(), subscription),
                            lambda _none: "The calendar is no longer imported. The events it brought stay.",
                            url_for("events.imports", slug=slug))


# ---------------------------------------------------------------- a person's own feed


@bp.route("/account/calendar", methods=["GET", "POST"])
@login_required
def calendar():
    form = EmptyForm()
    token = None
    if form.validate_on_submit():
        token = calendars.reset_calendar_token(_actor())
        db.session.commit()
    links = None
    if token:
        url = external_url("events.personal_feed", secret=token)
        links = finding.subscribe_links(url, f"{current_app.config['COP_SITE_NAME']}: my events")
    return render_template("events/calendar.html", form=form, links=links, has_calendar=calendars.has_calendar(_actor()))


@bp.route("/calendar/<secret>.ics")
def personal_feed(secret: str):
    person = calendars.user_for_calendar_token(secret)
    if person is None:
        abort(404, description="There is no calendar at this address. Its owner may have reset it.")
    feed = feeds.build_personal_feed(f"{current_app.config['COP_SITE_NAME']}: {person.display_name}'s events", person.id)
    response = _calendar_response(feed, "my-events.ics")
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


# ---------------------------------------------------------------- sections of other domains' pages

#: How many upcoming events the home and agency pages list.
SECTION_LENGTH = 5


def _home_section(_nothing: Any) -> Markup:
    return Markup(render_template("events/_section.html", heading="Coming up", items=finding.upcoming(None, SECTION_LENGTH),
                                  show_agency=True, link=url_for("events.index"), link_text="All events"))


def _agency_section(agency: Any) -> Markup:
    return Markup(render_template("events/_section.html", heading="Events", items=finding.upcoming(agency.id, SECTION_LENGTH),
                                  show_agency=False, link=url_for("events.index", agency=agency.slug), link_text=f"All events by {agency.name}",
                                  imports_link=url_for("events.imports", slug=agency.slug)
                                  if event_imports.can_manage_imports(_actor(), agency.id) else None))


add_page_section("home", _home_section)
add_page_section("agency", _agency_section)
