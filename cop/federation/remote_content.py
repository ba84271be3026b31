"""What other servers publish, kept here: remote actors as Agency rows, Articles as case studies, Events as events.

Everything here is read from documents another server wrote, so every value is checked and cut to its column:
strings lose NUL bytes (PostgreSQL refuses them), HTML is sanitised or turned into text, times are parsed
without trusting their form, numbers are kept only within the ranges the tables' CHECK constraints allow.
A remote item is stored as published and indexed for search, but no content signal is sent: federation
listens to those, and what came from elsewhere is never sent on again.

Services add and flush; the caller (the inbox task) commits once.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Optional
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cop.agencies.models import MAX_DESCRIPTION_LENGTH as MAX_AGENCY_DESCRIPTION
from cop.agencies.models import Agency
from cop.casestudies.models import MAX_SUMMARY_LENGTH, MAX_TITLE_LENGTH, CaseStudy
from cop.casestudies.services import index_case_study
from cop.clock import utcnow
from cop.errors import PermissionDenied, ServiceError
from cop.events.models import KINDS, MAX_DESCRIPTION_LENGTH as MAX_EVENT_DESCRIPTION, Event
from cop.events.models import MAX_TITLE_LENGTH as MAX_EVENT_TITLE
from cop.events.models import SEARCH_KIND as EVENT_SEARCH_KIND
from cop.casestudies.models import SEARCH_KIND as CASE_STUDY_SEARCH_KIND
from cop.events.services import calendar_view, index_event
from cop.extensions import db, insert_unless_present
from cop.federation import uris
from cop.federation.models import MAX_URI_LENGTH, RemoteActor
from cop.text import search
from cop.text.markdown import html_to_text, sanitise_html, strip_html
from cop.text.models import Topic
from cop.text.places import time_zone_names
from cop.text.slugs import slugify

log = logging.getLogger(__name__)

#: Agency.slug's length.
MAX_AGENCY_SLUG = 80
#: CaseStudy.slug's and Event.slug's length.
MAX_CONTENT_SLUG = 100
#: The most of a remote article's HTML kept; a server that sends more is cut, then sanitised.
MAX_REMOTE_CONTENT = 200_000
#: The most hashtags read from one object.
MAX_TAGS = 50
#: An event without an end (or one that ends before it starts) is taken to last this long.
DEFAULT_EVENT_LENGTH = timedelta(hours=1)
#: Event.capacity is a 32-bit integer on PostgreSQL.
MAX_CAPACITY = 2**31 - 1
#: Mobilizon's categories, as they map to the kinds of event here; a kind's own name maps to itself.
CATEGORY_KINDS = {
    "NETWORKING": "meetup",
    "MEETING": "meetup",
    "COMMUNITY": "meetup",
    "BUSINESS": "meetup",
    "LEARNING": "workshop",
    "FAMILY_EDUCATION": "course",
    "SCIENCE_TECH": "meetup",
    **{kind.upper(): kind for kind in KINDS},
}
DEFAULT_KIND = "meetup"
_USERNAME_UNSAFE = re.compile(r"[^a-z0-9._-]+")
_HOST_UNSAFE = re.compile(r"[^a-z0-9.:-]+")


# ---------------------------------------------------------------- reading what others wrote


def _text(value: Any) -> str:
    """A string from a document, without NUL bytes; "" for anything that is not a string."""
    return value.replace("\x00", "") if isinstance(value, str) else ""


def _line(value: Any, limit: int) -> str:
    """One line of plain text (HTML taken out, spaces collapsed), cut to ``limit``."""
    return " ".join(strip_html(_text(value)).split())[:limit]


def _web_address(value: Any, limit: int = MAX_URI_LENGTH) -> str:
    """An http(s) address that fits its column, or ""."""
    text = _text(value).strip()
    parts = urlsplit(text) if text else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or len(text) > limit:
        return ""
    if any(c.isspace() or c in '<>"' for c in text):
        return ""
    return text


def _link_of(value: Any, limit: int = MAX_URI_LENGTH) -> str:
    """The first web address in an ActivityStreams ``url``: a string, a Link, or a list of either (text/html first)."""
    candidates = value if isinstance(value, list) else [value]
    found = []
    for item in candidates[:20]:
        if isinstance(item, dict):
            href = _web_address(item.get("href"), limit)
            if href:
                found.append((0 if _text(item.get("mediaType")) in ("text/html", "") else 1, href))
        else:
            href = _web_address(item, limit)
            if href:
                found.append((0, href))
    return min(found, key=lambda pair: pair[0])[1] if found else ""


def parse_time(value: Any, zone: Optional[ZoneInfo] = None) -> Optional[datetime]:
    """An aware datetime (UTC) from an ISO 8601 string; a time without an offset is read in ``zone`` (else UTC).
    None for anything that is not such a time."""
    text = _text(value).strip()
    if not text or len(text) > 64:
        return None
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


def _object_id(actor: RemoteActor, obj: Any) -> str:
    """The object's id, checked: an http(s) URL on the actor's own server."""
    if not isinstance(obj, dict):
        raise ServiceError("The object is not a JSON object.", field="object")
    uri = _web_address(obj.get("id"))
    if not uri:
        raise ServiceError("The object has no id, or its id is not a web address.", field="id")
    if (urlsplit(uri).hostname or "") != (urlsplit(actor.uri).hostname or ""):
        raise ServiceError(f"The object {uri} is not on {actor.domain}, the server of the actor that sent it.", field="id")
    return uri


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _topics_from(obj: dict[str, Any]) -> list[Topic]:
    """The topics here whose names match the object's Hashtags (one query)."""
    tags = obj.get("tag")
    tags = tags if isinstance(tags, list) else [tags]
    # A hashtag has no spaces or hyphens (#SocialMedia): topics are matched by their slug without hyphens.
    words = set()
    for tag in tags[:MAX_TAGS]:
        if isinstance(tag, dict) and tag.get("type") == "Hashtag":
            word = slugify(_text(tag.get("name")).lstrip("#")[:200]).replace("-", "")
            if word:
                words.add(word)
    if not words:
        return []
    return list(db.session.scalars(
        sa.select(Topic).where(sa.func.replace(Topic.slug, "-", "").in_(words), Topic.retired_at.is_(None))
        .order_by(Topic.name)
    ))


# ---------------------------------------------------------------- remote agencies


def _agency_slug(actor: RemoteActor) -> str:
    """``user@host``, lower-case and safe in a URL path, within the column; unlike any slug made here (no "@")."""
    username = _USERNAME_UNSAFE.sub("-", _text(actor.preferred_username).lower()).strip("-.") or (
        _USERNAME_UNSAFE.sub("-", urlsplit(actor.uri).path.rstrip("/").rsplit("/", 1)[-1].lower()).strip("-.") or "actor"
    )
    host = _HOST_UNSAFE.sub("-", _text(actor.domain).lower())[: MAX_AGENCY_SLUG - 10] or "remote"
    return f"{username[: MAX_AGENCY_SLUG - len(host) - 1]}@{host}"


def _free_agency_slug(actor: RemoteActor) -> str:
    """The actor's slug, or (when another agency has it) one made unique with a hash of the actor's id."""
    slug = _agency_slug(actor)
    if db.session.scalar(sa.select(Agency.id).where(Agency.slug == slug)) is None:
        return slug
    username, host = slug.rsplit("@", 1)
    suffix = "-" + _short_hash(actor.uri)
    return f"{username[: MAX_AGENCY_SLUG - len(host) - 1 - len(suffix)]}{suffix}@{host}"


def _agency_fields(actor: RemoteActor) -> dict[str, str]:
    """Name, description and website of a remote actor's agency, from what it says of itself."""
    name = _line(actor.name, 200) or _line(actor.handle, 200) or actor.domain[:200]
    # The page links to where the actor lives; its own page when that is on its server, else its id.
    website = _web_address(actor.url, 300)
    if not website or (urlsplit(website).hostname or "") != (urlsplit(actor.uri).hostname or ""):
        website = _web_address(actor.uri, 300) or f"{urlsplit(actor.uri).scheme or 'https'}://{actor.domain}"[:300]
    return {
        "name": name,
        "description": html_to_text(_text(actor.summary))[:MAX_AGENCY_DESCRIPTION],
        "website": website,
    }


def ensure_remote_agency(remote_actor: RemoteActor) -> Agency:
    """The Agency row that stands for a remote actor here, made on first need; one per actor, race-safe."""
    agency = db.session.scalar(sa.select(Agency).where(Agency.remote_actor_id == remote_actor.id))
    if agency is not None:
        return agency
    fields = _agency_fields(remote_actor)
    for _attempt in range(3):
        slug = _free_agency_slug(remote_actor)
        try:
            with db.session.begin_nested():
                # A remote agency has no country or level of government here: its pages say where it lives instead.
                insert_unless_present(
                    Agency,
                    {"slug": slug, "country": "", "level": "", "remote_actor_id": remote_actor.id,
                     "approves_followers": False, "created_at": utcnow(), **fields},
                    "remote_actor_id",
                )
        except sa.exc.IntegrityError:
            continue  # another actor's agency took this slug a moment ago: choose again
        agency = db.session.scalar(sa.select(Agency).where(Agency.remote_actor_id == remote_actor.id))
        if agency is not None:
            log.info("agency %s stands for %s", agency.slug, remote_actor.uri)
            return agency
    raise ServiceError(f"No address could be found here for {remote_actor.handle}.", field="actor")


def refresh_remote_agency(remote_actor: RemoteActor) -> Optional[Agency]:
    """Bring a remote agency's name, description and website up to date after its actor changed; None if it
    has no agency here."""
    agency = db.session.scalar(sa.select(Agency).where(Agency.remote_actor_id == remote_actor.id))
    if agency is None:
        return None
    renamed = False
    for key, value in _agency_fields(remote_actor).items():
        renamed = renamed or (key == "name" and agency.name != value)
        setattr(agency, key, value)
    db.session.flush()
    if renamed:
        # The agency's name is part of what search finds its case studies and events by.
        for case_study in db.session.scalars(
            sa.select(CaseStudy).where(CaseStudy.agency_id == agency.id, CaseStudy.status == "published")
        ):
            index_case_study(case_study)
        for event in db.session.scalars(sa.select(Event).where(Event.agency_id == agency.id, Event.status != "cancelled")):
            index_event(event)
    log.info("refreshed agency %s from %s", agency.slug, remote_actor.uri)
    return agency


def _owned_by(actor: RemoteActor, agency_id: int) -> bool:
    return db.session.scalar(sa.select(Agency.remote_actor_id).where(Agency.id == agency_id)) == actor.id


# ---------------------------------------------------------------- case studies


def _content_slug(title: str, uri: str, model: type) -> str:
    """A slug from the title and a short stable hash of the object's id; numbered if even that is taken."""
    base = f"{slugify(title, max_length=MAX_CONTENT_SLUG - 12) or 'item'}-{_short_hash(uri)}"
    if db.session.scalar(sa.select(model.id).where(model.slug == base)) is None:
        return base
    number = 2
    while db.session.scalar(sa.select(model.id).where(model.slug == f"{base}-{number}")) is not None:
        number += 1
    return f"{base}-{number}"


def _title(obj: dict[str, Any], limit: int) -> str:
    """The object's name; for one without a name, the start of what it says."""
    title = _line(obj.get("name"), limit)
    if not title:
        title = " ".join(html_to_text(_text(obj.get("summary")) or _text(obj.get("content"))[:2000]).split())[:limit]
    return title or "Untitled"


def _stored(model: type, uri: str, actor: RemoteActor) -> Any:
    """The row already stored for this object id; refused when another actor's agency owns it."""
    row = db.session.scalar(sa.select(model).where(model.remote_uri == uri))
    if row is not None and not _owned_by(actor, row.agency_id):
        raise PermissionDenied(f"{uri} was published by another actor; {actor.handle} cannot change it.")
    return row


def _add_new(row: Any, uri: str, actor: RemoteActor) -> Any:
    """Add a new case study or event for an object: the row itself, or, when the same object arrived twice at
    once and the other copy was kept, that stored copy (to be brought up to date instead)."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except sa.exc.IntegrityError:
        stored = _stored(type(row), uri, actor)
        if stored is None:
            raise
        return stored
    return row


def store_case_study(actor: RemoteActor, obj: dict[str, Any]) -> CaseStudy:
    """Keep an Article from a remote actor as a published case study of its agency (or bring it up to date)."""
    uri = _object_id(actor, obj)
    case_study = _stored(CaseStudy, uri, actor)
    now = utcnow()
    title = _title(obj, MAX_TITLE_LENGTH)
    published = parse_time(obj.get("published")) or (case_study.published_at if case_study else None) or now
    values = {
        "title": title,
        "summary": " ".join(html_to_text(_text(obj.get("summary"))).split())[:MAX_SUMMARY_LENGTH],
        "remote_url": _link_of(obj.get("url")) or uri,
        "remote_content": str(sanitise_html(_text(obj.get("content"))[:MAX_REMOTE_CONTENT])),
        "published_at": published,
        "updated_at": parse_time(obj.get("updated")) or published,
        "status": "published",
    }
    topics = _topics_from(obj)
    if case_study is None:
        agency = ensure_remote_agency(actor)
        case_study = CaseStudy(
            agency_id=agency.id, remote_uri=uri, slug=_content_slug(title, uri, CaseStudy), created_at=published,
            links=[], revision=0, review_comment="", challenge="", approach="", results="", lessons="",
            differently="", resources="", **values,
        )
        case_study.topics = topics
        kept = _add_new(case_study, uri, actor)
        if kept is case_study:
            index_case_study(case_study)
            log.info("stored case study %s from %s", case_study.slug, actor.uri)
            return case_study
        case_study = kept
    for key, value in values.items():
        setattr(case_study, key, value)
    case_study.archived_at = None
    case_study.topics = topics
    db.session.flush()
    index_case_study(case_study)
    log.info("updated case study %s from %s", case_study.slug, actor.uri)
    return case_study


# ---------------------------------------------------------------- events


def _kind(obj: dict[str, Any]) -> str:
    category = _text(obj.get("category")).strip().upper()
    return CATEGORY_KINDS.get(category, DEFAULT_KIND)


def _coordinate(value: Any, bound: float) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) and -bound <= number <= bound else None


def _place(obj: dict[str, Any]) -> dict[str, Any]:
    """Venue name, address and coordinates from the object's ``location`` (a Place, or a list holding one)."""
    location = obj.get("location")
    if isinstance(location, list):
        location = next((item for item in location if isinstance(item, dict)), None)
    if not isinstance(location, dict):
        return {"venue_name": "", "venue_address": "", "latitude": None, "longitude": None}
    address = location.get("address")
    if isinstance(address, dict):
        parts = [address.get(key) for key in
                 ("streetAddress", "addressLocality", "addressRegion", "postalCode", "addressCountry")]
        address_text = ", ".join(p for p in (_line(part, 500) for part in parts) if p)
    else:
        address_text = _line(address, 500)
    latitude, longitude = _coordinate(location.get("latitude"), 90), _coordinate(location.get("longitude"), 180)
    if latitude is None or longitude is None:
        latitude = longitude = None
    name = _line(location.get("name"), 200)
    if name and name == address_text[:200]:
        name = ""  # Mobilizon names a place by its address when it has no other name
    return {"venue_name": name, "venue_address": address_text[:500], "latitude": latitude, "longitude": longitude}


def _online_url(obj: dict[str, Any]) -> str:
    """The event's online address: a Link (or a PropertyValue holding an address) among its attachments, or
    its ``url`` when the event is online and names no other."""
    attachments = obj.get("attachment")
    attachments = attachments if isinstance(attachments, list) else [attachments]
    for item in attachments[:20]:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "Link":
            href = _web_address(item.get("href"), 500)
        elif item.get("type") == "PropertyValue":
            value = _text(item.get("value"))
            match = re.search(r'https?://[^\s<>"]+', value)
            href = _web_address(match.group(0), 500) if match else ""
        else:
            href = ""
        if href:
            return href
    if obj.get("isOnline") is True:
        return _link_of(obj.get("url"), 500)
    return ""


def _capacity(value: Any) -> Optional[int]:
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= MAX_CAPACITY else None


def _status(obj: dict[str, Any]) -> str:
    word = _text(obj.get("ical:status") or obj.get("status")).strip().upper()
    return {"CANCELLED": "cancelled", "TENTATIVE": "postponed"}.get(word, "scheduled")


def _event_values(actor: RemoteActor, obj: dict[str, Any], uri: str) -> dict[str, Any]:
    """What the object says, as the Event's columns; ServiceError when it has no readable start."""
    zone_name = _text(obj.get("timezone")).strip()
    if zone_name not in time_zone_names():
        zone_name = "UTC"
    zone = ZoneInfo(zone_name)
    starts_at = parse_time(obj.get("startTime"), zone)
    if starts_at is None:
        raise ServiceError("The event has no start time that can be read (ISO 8601).", field="startTime")
    ends_at = parse_time(obj.get("endTime"), zone)
    if ends_at is None or ends_at <= starts_at:
        try:
            ends_at = starts_at + DEFAULT_EVENT_LENGTH
        except OverflowError as error:
            raise ServiceError("The event's start time is out of range.", field="startTime") from error
    status = _status(obj)
    return {
        "title": _title(obj, MAX_EVENT_TITLE),
        "description": html_to_text(_text(obj.get("content"))[:MAX_REMOTE_CONTENT])[:MAX_EVENT_DESCRIPTION],
        "kind": _kind(obj),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "series_ends_at": ends_at,
        "time_zone": zone_name,
        "online_url": _online_url(obj),
        "capacity": _capacity(obj.get("maximumAttendeeCapacity")),
        "status": status,
        "status_reason": f"Cancelled on {actor.domain}."[:500] if status == "cancelled" else "",
        "remote_url": _link_of(obj.get("url")) or uri,
        **_place(obj),
    }


def store_event(actor: RemoteActor, obj: dict[str, Any]) -> Event:
    """Keep an Event from a remote actor as an event of its agency (or bring it up to date: SEQUENCE grows
    when anything a calendar shows changed)."""
    uri = _object_id(actor, obj)
    event = _stored(Event, uri, actor)
    values = _event_values(actor, obj, uri)
    topics = _topics_from(obj)
    now = utcnow()
    if event is None:
        agency = ensure_remote_agency(actor)
        uid = _calendar_uid(obj, uri)
        event = Event(
            agency_id=agency.id, remote_uri=uri, import_uid=uid, slug=_content_slug(values["title"], uri, Event),
            level=None, all_day=False, repeat=None, repeat_interval=1, repeat_monthly_by="weekday", repeat_until=None,
            going_count=0, price=None, currency="GBP", payment_details="", contact_email="", registration_open=False,
            sequence=0, created_at=parse_time(obj.get("published")) or now, updated_at=now,
            cancelled_at=now if values["status"] == "cancelled" else None, **values,
        )
        event.topics = topics
        kept = _add_new(event, uri, actor)
        if kept is event:
            _index(event)
            log.info("stored event %s from %s", event.slug, actor.uri)
            return event
        event = kept
    before = calendar_view(event)
    was_cancelled = event.is_cancelled
    for key, value in values.items():
        setattr(event, key, value)
    event.topics = topics
    if event.is_cancelled and not was_cancelled:
        event.cancelled_at = now
    elif not event.is_cancelled:
        event.cancelled_at = None
    if calendar_view(event) != before:
        event.sequence += 1
        event.updated_at = now
    db.session.flush()
    _index(event)
    log.info("updated event %s from %s (sequence %s)", event.slug, actor.uri, event.sequence)
    return event


def _calendar_uid(obj: dict[str, Any], uri: str) -> str:
    """The UID calendars know the event by at its origin; its id when it names none, or names one of this site's
    (which would make calendars take it for an event listed here)."""
    uid = _text(obj.get("ical:uid") or obj.get("uid")).strip()[:500]
    if not uid or uid.lower().endswith("@" + uris.host()):
        return uri[:500]
    return uid


def _index(event: Event) -> None:
    """Findable while it is on; a cancelled event leaves search, as one listed here does."""
    if event.is_cancelled:
        search.remove_document(EVENT_SEARCH_KIND, event.id)
    else:
        index_event(event)


# ---------------------------------------------------------------- deleting


def delete_object(actor: RemoteActor, object_uri: str) -> bool:
    """Remove the case study or event with this id that the actor's agency published here (and its search
    entry); False when there is none."""
    removed = False
    for model, kind in ((CaseStudy, CASE_STUDY_SEARCH_KIND), (Event, EVENT_SEARCH_KIND)):
        row = db.session.scalar(
            sa.select(model).join(Agency, Agency.id == model.agency_id)
            .where(model.remote_uri == _text(object_uri), Agency.remote_actor_id == actor.id)
        )
        if row is not None:
            search.remove_document(kind, row.id)
            db.session.delete(row)
            removed = True
            log.info("deleted %s %s at the request of %s", kind, row.slug, actor.uri)
    db.session.flush()
    return removed
