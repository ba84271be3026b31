"""This site's agencies following agencies (or any actor) on other servers, by handle or actor URL.

A follow is sent at once and waits for the other side's Accept (the inbox marks it accepted). An unfollow
sends Undo and forgets the follow; what already arrived from that actor stays here, as Mastodon keeps it,
until its origin deletes it.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.agencies.services import require_agency_manager
from cop.errors import Conflict, NotFound, ServiceError
from cop.extensions import db, insert_unless_present
from cop.federation import activities, blocks, client, followers, outgoing, uris
from cop.federation.models import MAX_URI_LENGTH, Follower, Following, RemoteActor

log = logging.getLogger(__name__)

#: slug@host (an optional leading @), as Mastodon and this site write handles; host may carry a port.
HANDLE = re.compile(r"^@?(?P<user>[^@\s/]+)@(?P<host>[A-Za-z0-9.-]+(?::\d{1,5})?)$")
HANDLE_HINT = "Enter a handle like lambeth@cop.example or @name@mastodon.social, or the address of its actor."


def handle_host(handle: str) -> str:
    """The server a handle or actor URL names, lower-case (port kept); ServiceError on the field "handle" when neither."""
    handle = (handle or "").strip()
    if not handle:
        raise ServiceError(f"Enter the handle of the agency to follow. {HANDLE_HINT}", field="handle")
    if len(handle) > MAX_URI_LENGTH:
        raise ServiceError(f"That is too long to be a handle. {HANDLE_HINT}", field="handle")
    if handle.lower().startswith(("http://", "https://")):
        host = urlsplit(handle).netloc.lower()
    else:
        match = HANDLE.match(handle)
        host = match.group("host").lower() if match else ""
    if not host or "@" in host:
        raise ServiceError(f"That is not a handle. {HANDLE_HINT}", field="handle")
    return host


def _refuse_unreachable_target(actor_uri: str) -> None:
    if uris.is_local(actor_uri):
        raise ServiceError("That agency is on this site: follow it here, from its own page.", field="handle")
    domain = urlsplit(actor_uri).netloc.lower()
    if blocks.is_blocked(domain):
        raise ServiceError(f"{domain} is blocked on this site, so its agencies cannot be followed.", field="handle")


def follow_remote(actor_user: Any, agency: Any, handle: str) -> Following:
    """An agency here follows an actor on another server; the Follow is sent after commit (agency and site admins)."""
    # A remote agency is managed on its own server: require_agency_manager refuses it.
    require_agency_manager(actor_user, agency)
    host = handle_host(handle)
    if host == uris.host():
        raise ServiceError("That agency is on this site: follow it here, from its own page.", field="handle")
    if blocks.is_blocked(host):
        raise ServiceError(f"{host} is blocked on this site, so its agencies cannot be followed.", field="handle")
    try:
        actor_uri = client.resolve_handle(handle.strip())
        _refuse_unreachable_target(actor_uri)
        remote = client.get_actor(actor_uri)
    except client.FederationError as error:
        raise ServiceError(str(error), field="handle") from error
    if remote.uri == uris.agency_actor_uri(agency.slug):
        raise ServiceError(f"{agency.name} cannot follow itself.", field="handle")

    payload = activities.follow(uris.agency_actor_uri(agency.slug), remote.uri)
    inserted = insert_unless_present(
        Following,
        {"agency_id": agency.id, "remote_actor_id": remote.id, "follow_uri": payload["id"], "state": "pending",
         "created_by_id": getattr(actor_user, "id", None)},
        "agency_id", "remote_actor_id",
    )
    if not inserted:
        raise Conflict(f"{agency.name} already follows {remote.handle}.", field="handle")
    following = db.session.scalars(
        sa.select(Following).where(Following.agency_id == agency.id, Following.remote_actor_id == remote.id)
    ).one()
    # What the followed actor publishes lands under an agency of its own here.
    from cop.federation.remote_content import ensure_remote_agency

    ensure_remote_agency(remote)
    outgoing.send_activity(agency, payload, [remote.inbox], public=False)
    log.info("user %s: %s follows %s", getattr(actor_user, "id", None), agency.slug, remote.uri)
    return following


def unfollow(actor_user: Any, following: Following) -> None:
    """Stop following: Undo of the Follow is sent and the follow forgotten; content already received stays."""
    agency = following.agency
    require_agency_manager(actor_user, agency)
    remote = following.remote_actor
    actor_uri = uris.agency_actor_uri(agency.slug)
    sent = outgoing.activity_for(following.follow_uri)
    follow = sent.payload if sent is not None else activities.follow(actor_uri, remote.uri, activity_id=following.follow_uri)
    outgoing.send_activity(agency, activities.undo(actor_uri, follow), [remote.inbox], public=False)
    db.session.delete(following)
    db.session.flush()
    log.info("user %s: %s no longer follows %s", getattr(actor_user, "id", None), agency.slug, remote.uri)


def _following_stmt(agency: Any) -> sa.Select:
    return (
        sa.select(Following)
        .where(Following.agency_id == agency.id)
        .options(so.joinedload(Following.remote_actor))
        .order_by(Following.created_at.desc(), Following.id.desc())
    )


def following_of(agency: Any) -> list[Following]:
    """Whom an agency follows, with each actor, newest first: one query."""
    return list(db.session.scalars(_following_stmt(agency)))


def following_page(agency: Any, page: int, per_page: int) -> Any:
    """A page of whom an agency follows, with each actor, newest first."""
    return db.paginate(_following_stmt(agency), page=page, per_page=per_page, error_out=False)


def get_following(agency: Any, following_id: Optional[int]) -> Following:
    """One of the agency's follows by its id; NotFound when it has none such."""
    following = db.session.get(Following, following_id) if following_id else None
    if following is None or following.agency_id != agency.id:
        raise NotFound("The agency does not follow that (any more).")
    return following


def find_following(agency: Any, handle: str) -> Following:
    """One of the agency's follows by the handle or actor URL it was made with; NotFound when it has none such."""
    handle = (handle or "").strip()
    condition: Any
    if handle.lower().startswith(("http://", "https://")):
        condition = RemoteActor.uri == handle
    else:
        match = HANDLE.match(handle)
        if match is None:
            raise ServiceError(f"That is not a handle. {HANDLE_HINT}", field="handle")
        condition = sa.and_(sa.func.lower(RemoteActor.preferred_username) == match.group("user").lower(),
                            RemoteActor.domain == match.group("host").lower())
    following = db.session.scalars(
        sa.select(Following).join(Following.remote_actor).where(Following.agency_id == agency.id, condition)
        .options(so.contains_eager(Following.remote_actor))
    ).first()
    if following is None:
        raise NotFound(f"{agency.name} does not follow {handle}.")
    return following


def set_approves_followers(actor_user: Any, agency: Any, approves: bool) -> list[Follower]:
    """Whether the agency approves each new follower by hand (agency and site admins). Turned off, those waiting
    are approved now, as they would have been had they asked after; returns them."""
    require_agency_manager(actor_user, agency)
    agency.approves_followers = bool(approves)
    approved: list[Follower] = []
    if not approves:
        approved = [followers.approve_follower(actor_user, waiting.id) for waiting in followers.followers_of(agency, "pending")]
    db.session.flush()
    log.info("user %s: %s approves followers by hand: %s", getattr(actor_user, "id", None), agency.slug, agency.approves_followers)
    return approved


#: What an agency's admins may do with a follower, and the service that does it.
FOLLOWER_DECISIONS = {"approve": followers.approve_follower, "refuse": followers.reject_follower, "remove": followers.remove_follower}


def decide_follower(actor_user: Any, agency: Any, follower_id: Optional[int], decision: str) -> Follower:
    """Approve, refuse or remove one of the agency's followers (agency and site admins); the follower as it was."""
    require_agency_manager(actor_user, agency)
    follower = db.session.get(Follower, follower_id) if follower_id else None
    if follower is None or follower.agency_id != agency.id:
        raise NotFound("That follower is not there any more.")
    if decision not in FOLLOWER_DECISIONS:
        raise ServiceError("Choose whether to approve, refuse or remove the follower.", field="decision")
    FOLLOWER_DECISIONS[decision](actor_user, follower.id)
    return follower


def followers_page(agency: Any, page: int, per_page: int, state: str) -> Any:
    """A page of an agency's followers in one state, each with its actor, newest first."""
    stmt = (
        sa.select(Follower)
        .where(Follower.agency_id == agency.id, Follower.state == state)
        .options(so.joinedload(Follower.remote_actor))
        .order_by(Follower.created_at.desc(), Follower.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def counts(agency: Any) -> dict[str, int]:
    """How many follow the agency (accepted), wait for approval, and whom it follows: one query."""
    accepted = sa.select(sa.func.count()).where(Follower.agency_id == agency.id, Follower.state == "accepted").scalar_subquery()
    pending = sa.select(sa.func.count()).where(Follower.agency_id == agency.id, Follower.state == "pending").scalar_subquery()
    follows = sa.select(sa.func.count()).where(Following.agency_id == agency.id).scalar_subquery()
    row = db.session.execute(sa.select(accepted, pending, follows)).one()
    return {"followers": row[0], "pending": row[1], "following": row[2]}
