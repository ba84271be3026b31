"""What the public federation documents are read from: local agencies, the outbox, followers and following,
stored activities, and the usage NodeInfo reports. Reads only; nothing here writes but the keys it makes."""

from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import User, UserSession
from cop.agencies.models import Agency
from cop.casestudies.models import CaseStudy
from cop.clock import utcnow
from cop.events.models import Event
from cop.extensions import db
from cop.federation import uris
from cop.federation.models import Activity, Follower, Following, RemoteActor

#: Items on one page of an outbox, followers or following collection.
COLLECTION_PAGE_SIZE = 20
#: What an account handle looks like: the part before the host, then the host (with a port when it has one).
_ACCOUNT = re.compile(r"^@?(?P<user>[^@\s/:]+)@(?P<host>[^@\s/]+)$")


class MalformedResource(ValueError):
    """A WebFinger resource that is neither acct:user@host nor an http(s) URL."""


@dataclass(frozen=True)
class Wanted:
    """What a WebFinger resource asks for: an agency by slug, or the instance actor."""

    slug: Optional[str] = None
    instance: bool = False


def resource_wanted(resource: str) -> Optional[Wanted]:
    """What a WebFinger resource names on this site; None when it names something on another host.

    Raises MalformedResource for anything that is not an account (``acct:slug@host``) or a URL.
    """
    resource = resource.strip()
    if resource.lower().startswith(("https://", "http://")):
        parts = urlsplit(resource)
        ours = urlsplit(uris.base_url())
        if (parts.scheme.lower(), parts.netloc.lower()) != (ours.scheme, ours.netloc.lower()) or parts.query:
            return None
        path = parts.path.rstrip("/")
        if path == urlsplit(uris.instance_actor_uri()).path:
            return Wanted(instance=True)
        prefix = urlsplit(uris.agency_actor_uri("")).path
        slug = path[len(prefix):] if path.startswith(prefix) else ""
        return Wanted(slug=slug) if slug and "/" not in slug else None
    account = resource[5:] if resource.lower().startswith("acct:") else resource
    found = _ACCOUNT.match(account)
    if found is None:
        raise MalformedResource(resource)
    if found["host"].lower() != uris.host():
        return None
    if found["user"].lower() == uris.host():
        return Wanted(instance=True)
    return Wanted(slug=found["user"].lower())


def local_agency(slug: str) -> Optional[Agency]:
    """An agency of this site (not one known here through federation) by slug."""
    agency = db.session.scalar(sa.select(Agency).where(Agency.slug == slug))
    return agency if agency is not None and not agency.is_remote else None


def software_version() -> str:
    """This software's version, from its installed package metadata."""
    try:
        return importlib.metadata.version("cop")
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


@dataclass(frozen=True)
class Usage:
    """The numbers NodeInfo reports."""

    users: int
    active_month: int
    active_halfyear: int
    local_posts: int


def usage() -> Usage:
    """People with a confirmed, active account; those who signed in or used the site in the last 30 and 180 days;
    and the case studies published and events listed here (not those received from other servers)."""
    now = utcnow()

    def active_since(days: int) -> sa.ColumnElement[int]:
        since = now - timedelta(days=days)
        seen = sa.select(UserSession.id).where(UserSession.user_id == User.id, UserSession.last_seen_at >= since).exists()
        return sa.func.count().filter(sa.or_(User.last_login_at >= since, seen))

    people = db.session.execute(
        sa.select(sa.func.count(), active_since(30), active_since(180))
        .select_from(User)
        .where(User.is_active.is_(True), User.email_verified_at.is_not(None))
    ).one()
    case_studies = db.session.scalar(
        sa.select(sa.func.count()).select_from(CaseStudy).where(CaseStudy.status == "published", CaseStudy.remote_uri.is_(None))
    )
    events = db.session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.remote_uri.is_(None)))
    return Usage(users=people[0], active_month=people[1], active_halfyear=people[2], local_posts=(case_studies or 0) + (events or 0))


@dataclass(frozen=True)
class CollectionPage:
    """One page of a collection, newest first, and how many pages the whole has."""

    items: list[Any]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // COLLECTION_PAGE_SIZE))


def _page(count: sa.Select, items: sa.Select, page: Optional[int]) -> Optional[CollectionPage]:
    """The total, and the page's items when a page is asked for; None when the page is past the last."""
    total = db.session.scalar(count) or 0
    if page is None:
        return CollectionPage(items=[], total=total, page=0)
    result = CollectionPage(items=[], total=total, page=page)
    if page > result.pages:
        return None
    rows = db.session.scalars(items.limit(COLLECTION_PAGE_SIZE).offset((page - 1) * COLLECTION_PAGE_SIZE))
    return CollectionPage(items=list(rows), total=total, page=page)


def outbox_page(agency: Agency, page: Optional[int]) -> Optional[CollectionPage]:
    """The agency's public activities (their payloads), newest first; only the total when ``page`` is None."""
    mine = sa.and_(Activity.agency_id == agency.id, Activity.public.is_(True))
    return _page(
        sa.select(sa.func.count()).select_from(Activity).where(mine),
        sa.select(Activity.payload).where(mine).order_by(Activity.id.desc()),
        page,
    )


def followers_page(agency: Agency, page: Optional[int]) -> Optional[CollectionPage]:
    """The actor ids of the agency's accepted followers, newest first; only the total when ``page`` is None."""
    accepted = sa.and_(Follower.agency_id == agency.id, Follower.state == "accepted")
    return _page(
        sa.select(sa.func.count()).select_from(Follower).where(accepted),
        sa.select(RemoteActor.uri).join(Follower, Follower.remote_actor_id == RemoteActor.id)
        .where(accepted).order_by(Follower.id.desc()),
        page,
    )


def following_page(agency: Agency, page: Optional[int]) -> Optional[CollectionPage]:
    """The actor ids the agency follows and that accepted, newest first; only the total when ``page`` is None."""
    accepted = sa.and_(Following.agency_id == agency.id, Following.state == "accepted")
    return _page(
        sa.select(sa.func.count()).select_from(Following).where(accepted),
        sa.select(RemoteActor.uri).join(Following, Following.remote_actor_id == RemoteActor.id)
        .where(accepted).order_by(Following.id.desc()),
        page,
    )


def public_activity(uri: str) -> Optional[Activity]:
    """A public activity this site sent, by its id."""
    return db.session.scalar(sa.select(Activity).where(Activity.uri == uri, Activity.public.is_(True)))


def local_case_study(slug: str) -> Optional[CaseStudy]:
    """A case study written here, with what its Article shows; None for one received from another server."""
    case_study = db.session.scalar(
        sa.select(CaseStudy)
        .where(CaseStudy.slug == slug)
        .options(so.joinedload(CaseStudy.agency), so.joinedload(CaseStudy.service_area), so.selectinload(CaseStudy.topics))
    )
    return case_study if case_study is not None and not case_study.is_remote and not case_study.agency.is_remote else None


def local_event(slug: str) -> Optional[Event]:
    """An event listed here, with what its Event shows; None for one received from another server."""
    event = db.session.scalar(
        sa.select(Event).where(Event.slug == slug).options(so.joinedload(Event.agency), so.selectinload(Event.topics))
    )
    return event if event is not None and not event.is_remote and not event.agency.is_remote else None
