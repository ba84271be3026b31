"""Remote actors following this site's agencies: recording their Follows and answering them.

An agency that does not approve followers by hand accepts every Follow at once; one that does keeps it
pending until an agency admin (or a site admin) approves or rejects it. Every answer carries the whole
Follow it answers, as Mastodon expects. Services add and flush; the caller commits once.
"""

from __future__ import annotations

import logging
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import User
from cop.agencies.models import Agency
from cop.agencies.services import can_manage_agency
from cop.clock import utcnow
from cop.errors import Conflict, NotFound, PermissionDenied
from cop.extensions import db, insert_unless_present
from cop.federation import activities, outgoing, uris
from cop.federation.models import FOLLOW_STATES, Follower, RemoteActor

log = logging.getLogger(__name__)


def followers_of(agency: Agency, state: Optional[str] = None) -> list[Follower]:
    """An agency's followers, newest first, each with its remote actor loaded; only those in ``state`` when given."""
    if state is not None and state not in FOLLOW_STATES:
        raise ValueError(f"unknown follow state {state!r}")
    stmt = (
        sa.select(Follower)
        .where(Follower.agency_id == agency.id)
        .options(so.joinedload(Follower.remote_actor))
        .order_by(Follower.created_at.desc(), Follower.id.desc())
    )
    if state is not None:
        stmt = stmt.where(Follower.state == state)
    return list(db.session.scalars(stmt))


def _send_answer(follower: Follower, kind: str) -> None:
    """Send the follower an Accept or a Reject carrying their Follow, to their own inbox."""
    actor_uri = uris.agency_actor_uri(follower.agency.slug)
    build = activities.accept if kind == "Accept" else activities.reject
    outgoing.send_activity(follower.agency, build(actor_uri, follower.follow_activity), [follower.remote_actor.inbox], public=False)


def record_follow(agency: Agency, remote_actor: RemoteActor, follow: dict[str, Any]) -> Follower:
    """Take a Follow of a local agency: accepted and answered at once, or pending when the agency approves by hand.

    A Follow from someone already following is answered again (their server may have lost the Accept).
    """
    insert_unless_present(
        Follower,
        {"agency_id": agency.id, "remote_actor_id": remote_actor.id, "follow_uri": follow["id"],
         "follow_activity": follow, "state": "pending"},
        "agency_id", "remote_actor_id",
    )
    follower = db.session.scalars(
        sa.select(Follower).where(Follower.agency_id == agency.id, Follower.remote_actor_id == remote_actor.id)
    ).one()
    follower.follow_uri = follow["id"]
    follower.follow_activity = follow
    if follower.state == "accepted" or not agency.approves_followers:
        if follower.state != "accepted":
            follower.state, follower.decided_at = "accepted", utcnow()
        db.session.flush()
        _send_answer(follower, "Accept")
        log.info("%s now follows %s (accepted)", remote_actor.uri, agency.slug)
    else:
        follower.state = "pending"
        db.session.flush()
        log.info("%s asks to follow %s (waiting for approval)", remote_actor.uri, agency.slug)
    return follower


def forget_follow(remote_actor: RemoteActor, follow_uri: Optional[str], agency: Optional[Agency] = None) -> bool:
    """Remove the Follower a Follow made (Undo): found by the Follow's id, or else by the agency it followed."""
    stmt = sa.select(Follower).where(Follower.remote_actor_id == remote_actor.id)
    follower = None
    if follow_uri:
        follower = db.session.scalars(stmt.where(Follower.follow_uri == follow_uri)).one_or_none()
    if follower is None and agency is not None:
        follower = db.session.scalars(stmt.where(Follower.agency_id == agency.id)).one_or_none()
    if follower is None:
        return False
    log.info("%s no longer follows %s", remote_actor.uri, follower.agency.slug)
    db.session.delete(follower)
    db.session.flush()
    return True


def _follower_to_decide(actor: Optional[User], follower_id: int) -> Follower:
    follower = db.session.get(Follower, follower_id)
    if follower is None:
        raise NotFound("That follower is not there any more.")
    if not can_manage_agency(actor, follower.agency):
        raise PermissionDenied(f"Only admins of {follower.agency.name} can decide who follows it.")
    return follower


def _who(actor: Optional[User]) -> str:
    return f"user {actor.id}" if actor is not None else "the command line"


def approve_follower(actor: Optional[User], follower_id: int) -> Follower:
    """Accept a pending follower and send them an Accept; one already accepted stays as it is."""
    follower = _follower_to_decide(actor, follower_id)
    if follower.state == "accepted":
        return follower
    follower.state, follower.decided_at = "accepted", utcnow()
    db.session.flush()
    _send_answer(follower, "Accept")
    log.info("%s approved %s as a follower of %s", _who(actor), follower.remote_actor.uri, follower.agency.slug)
    return follower


def reject_follower(actor: Optional[User], follower_id: int) -> None:
    """Refuse a pending follower: send them a Reject and forget their Follow."""
    follower = _follower_to_decide(actor, follower_id)
    if follower.state == "accepted":
        raise Conflict(f"{follower.remote_actor.handle} already follows {follower.agency.name}; remove them instead.")
    _send_answer(follower, "Reject")
    log.info("%s rejected %s as a follower of %s", _who(actor), follower.remote_actor.uri, follower.agency.slug)
    db.session.delete(follower)
    db.session.flush()


def remove_follower(actor: Optional[User], follower_id: int) -> None:
    """Stop someone following: send them a Reject (as Mastodon does to remove a follower) and forget their Follow."""
    follower = _follower_to_decide(actor, follower_id)
    _send_answer(follower, "Reject")
    log.info("%s removed %s from the followers of %s", _who(actor), follower.remote_actor.uri, follower.agency.slug)
    db.session.delete(follower)
    db.session.flush()
