"""Finding events: the list's filters, one page of it, and the subscribe links of a feed."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Mapping, Optional
from urllib.parse import quote, urlencode

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import LEVELS
from cop.agencies.models import Agency
from cop.clock import utcnow
from cop.events.feeds import FeedSelection
from cop.events.models import KINDS, Event
from cop.extensions import db
from cop.text.models import Topic


@dataclass(frozen=True)
class Filters:
    """What the list (and its feed) is narrowed to; unknown values are dropped, never an error."""

    agency: str = ""
    kind: str = ""
    level: str = ""
    topic: str = ""
    past: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "Filters":
        kind = args.get("kind", "") if args.get("kind", "") in KINDS else ""
        level = args.get("level", "") if args.get("level", "") in LEVELS else ""
        return cls(
            agency=args.get("agency", "")[:100], kind=kind, level=level, topic=args.get("topic", "")[:100],
            past="1" if args.get("past") == "1" else "",
        )

    def as_args(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    def feed_args(self) -> dict[str, str]:
        return {k: v for k, v in self.as_args().items() if k != "past"}


def _agency_id(slug: str) -> Optional[int]:
    return db.session.scalar(sa.select(Agency.id).where(Agency.slug == slug)) if slug else None


def _topic_id(slug: str) -> Optional[int]:
    return db.session.scalar(sa.select(Topic.id).where(Topic.slug == slug)) if slug else None


def events_page(filters: Filters, page: int, per_page: int, since: Optional[datetime] = None, until: Optional[datetime] = None):
    """A page of events: upcoming soonest first (a series while it runs), or past ones latest first; or
    those between ``since`` (ending after it) and ``until`` (starting before it), soonest first."""
    now = utcnow()
    stmt = sa.select(Event).options(so.joinedload(Event.agency), so.selectinload(Event.topics), so.selectinload(Event.skipped))
    if since is not None or until is not None:
        if since is not None:
            stmt = stmt.where(Event.series_ends_at >= since)
        if until is not None:
            stmt = stmt.where(Event.starts_at < until)
        stmt = stmt.order_by(Event.starts_at, Event.id)
    elif filters.past:
        stmt = stmt.where(Event.series_ends_at < now).order_by(Event.starts_at.desc(), Event.id.desc())
    else:
        stmt = stmt.where(Event.series_ends_at >= now, Event.status != "cancelled").order_by(Event.starts_at, Event.id)
    if filters.agency:
        stmt = stmt.where(Event.agency_id == (_agency_id(filters.agency) or 0))
    if filters.kind:
        stmt = stmt.where(Event.kind == filters.kind)
    if filters.level:
        stmt = stmt.where(Event.level == filters.level)
    if filters.topic:
        stmt = stmt.where(Event.topics.any(Topic.id == (_topic_id(filters.topic) or 0)))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def upcoming(agency_id: Optional[int], count: int) -> list[Event]:
    """The next events (of one agency, or of all), soonest first, for other pages' sections."""
    stmt = sa.select(Event).options(so.joinedload(Event.agency)).where(Event.series_ends_at >= utcnow(), Event.status != "cancelled")
    if agency_id is not None:
        stmt = stmt.where(Event.agency_id == agency_id)
    return list(db.session.scalars(stmt.order_by(Event.starts_at, Event.id).limit(count)))


def feed_selection(filters: Filters) -> FeedSelection:
    """The feed that matches the list's filters."""
    # An agency or topic that does not exist selects nothing, as the list shows nothing for it.
    return FeedSelection(
        agency_id=(_agency_id(filters.agency) or 0) if filters.agency else None, kind=filters.kind or None,
        topic_id=(_topic_id(filters.topic) or 0) if filters.topic else None, level=filters.level or None,
    )


def describe(filters: Filters) -> list[str]:
    """Words for the filters, for titles: "BarCamp", "202", the agency's name."""
    words = []
    if filters.kind:
        words.append(KINDS[filters.kind])
    if filters.level:
        words.append(filters.level)
    if filters.agency:
        name = db.session.scalar(sa.select(Agency.name).where(Agency.slug == filters.agency))
        words.append(name or filters.agency)
    if filters.topic:
        name = db.session.scalar(sa.select(Topic.name).where(Topic.slug == filters.topic))
        words.append(name or filters.topic)
    return words


@dataclass(frozen=True)
class SubscribeLinks:
    """The ways to add a feed to a calendar app."""

    https: str
    webcal: str
    google: str
    outlook: str


def subscribe_links(feed_url: str, name: str) -> SubscribeLinks:
    """webcal:// for Apple Calendar and Thunderbird, Google's and Outlook's add-by-address pages, and the plain address."""
    webcal = "webcal://" + feed_url.split("://", 1)[1]
    return SubscribeLinks(
        https=feed_url,
        webcal=webcal,
        google="https://calendar.google.com/calendar/render?" + urlencode({"cid": webcal}),
        outlook="https://outlook.live.com/calendar/0/addfromweb?" + urlencode({"url": feed_url, "name": name}, quote_via=quote),
    )


def options() -> dict[str, Any]:
    """What the filters offer."""
    return {
        "kinds": list(KINDS.items()),
        "levels": list(LEVELS.items()),
        "agencies": list(db.session.execute(sa.select(Agency.slug, Agency.name).order_by(Agency.name))),
        "topics": list(db.session.execute(sa.select(Topic.slug, Topic.name).where(Topic.retired_at.is_(None)).order_by(Topic.name))),
    }
