"""What each verified activity does here, by its type: follows, their answers, remote content and actor changes.

Every handler can run twice on the same activity and leave the same rows (the inbox stores an activity once,
but a task may be run again after a crash). A handler returns "processed" or "ignored" (nothing here for it
to do: a Follow of an agency that is not ours, content from an actor nobody here follows); the inbox item
keeps the outcome. Services add and flush; the task commits.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Optional

import sqlalchemy as sa

from cop.agencies.models import Agency
from cop.casestudies.models import CaseStudy
from cop.clock import utcnow
from cop.events.models import Event
from cop.extensions import db
from cop.federation import client, followers, remote_content, uris
from cop.federation.models import Following, InboxItem, RemoteActor

log = logging.getLogger(__name__)

#: Objects that arrive as case studies and events.
CONTENT_TYPES = frozenset({"Article", "Event"})
#: Object types an actor's own document has: an Update of one of these is the actor changing its profile.
ACTOR_TYPES = frozenset({"Person", "Group", "Organization", "Service", "Application"})
#: The activity types handled here; anything else is accepted with 202 and let go.
HANDLED_TYPES = frozenset({"Follow", "Undo", "Accept", "Reject", "Create", "Update", "Delete"})

PROCESSED, IGNORED = "processed", "ignored"


def _id_of(value: Any) -> Optional[str]:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _object_type(activity: dict[str, Any]) -> Optional[str]:
    obj = activity.get("object")
    kind = obj.get("type") if isinstance(obj, dict) else None
    return kind if isinstance(kind, str) else None


def is_handled(activity: dict[str, Any]) -> bool:
    """True for an activity this site does something with, judged from the activity alone (worth storing)."""
    kind = activity.get("type")
    if kind not in HANDLED_TYPES:
        return False
    if kind == "Create":
        return _object_type(activity) in CONTENT_TYPES
    if kind == "Update":
        return _object_type(activity) in CONTENT_TYPES | ACTOR_TYPES
    if kind == "Undo":
        # An Undo names its object by id (a Follow we cannot tell from here) or writes it out.
        return isinstance(activity.get("object"), str) or _object_type(activity) == "Follow"
    return _id_of(activity.get("object")) is not None


# ---------------------------------------------------------------- who is who


def _sender(item: InboxItem) -> RemoteActor:
    """The actor that signed the activity, stored when the inbox verified it."""
    actor = db.session.scalar(sa.select(RemoteActor).where(RemoteActor.uri == item.actor_uri))
    return actor if actor is not None else client.get_actor(item.actor_uri)


def local_agency_for(actor_uri: Optional[str]) -> Optional[Agency]:
    """The local agency an actor id on this site names (``{base}/agencies/<slug>``); None for any other id."""
    prefix = uris.agency_actor_uri("")
    if not actor_uri or not actor_uri.startswith(prefix):
        return None
    slug = actor_uri[len(prefix):]
    if not slug or "/" in slug or "?" in slug or "#" in slug:
        return None
    return db.session.scalar(sa.select(Agency).where(Agency.slug == slug, Agency.remote_actor_id.is_(None)))


def is_followed(actor: RemoteActor) -> bool:
    """True when some local agency follows the actor and the actor has accepted."""
    return db.session.scalar(
        sa.select(sa.literal(True)).where(Following.remote_actor_id == actor.id, Following.state == "accepted").limit(1)
    ) is not None


# ---------------------------------------------------------------- handlers


def _follow(actor: RemoteActor, activity: dict[str, Any]) -> str:
    agency = local_agency_for(_id_of(activity.get("object")))
    if agency is None:
        return IGNORED
    followers.record_follow(agency, actor, activity)
    return PROCESSED


def _undo(actor: RemoteActor, activity: dict[str, Any]) -> str:
    undone = activity.get("object")
    if isinstance(undone, dict):
        if undone.get("type") != "Follow" or _id_of(undone.get("actor")) != actor.uri:
            return IGNORED
        agency = local_agency_for(_id_of(undone.get("object")))
        return PROCESSED if followers.forget_follow(actor, _id_of(undone), agency) else IGNORED
    return PROCESSED if followers.forget_follow(actor, _id_of(undone)) else IGNORED


def _answer_to_our_follow(actor: RemoteActor, activity: dict[str, Any]) -> Optional[Following]:
    """The Following an Accept or Reject answers: by the Follow's id, or by who followed whom when written out."""
    answered = activity.get("object")
    stmt = sa.select(Following).where(Following.remote_actor_id == actor.id)
    found = None
    follow_uri = _id_of(answered)
    if follow_uri:
        found = db.session.scalars(stmt.where(Following.follow_uri == follow_uri)).one_or_none()
    if found is None and isinstance(answered, dict) and _id_of(answered.get("object")) == actor.uri:
        agency = local_agency_for(_id_of(answered.get("actor")))
        if agency is not None:
            found = db.session.scalars(stmt.where(Following.agency_id == agency.id)).one_or_none()
    return found


def _accept(actor: RemoteActor, activity: dict[str, Any]) -> str:
    return _decide_following(actor, activity, "accepted")


def _reject(actor: RemoteActor, activity: dict[str, Any]) -> str:
    return _decide_following(actor, activity, "rejected")


def _decide_following(actor: RemoteActor, activity: dict[str, Any], state: str) -> str:
    following = _answer_to_our_follow(actor, activity)
    if following is None:
        return IGNORED
    if following.state != state:
        following.state, following.decided_at = state, utcnow()
        db.session.flush()
        log.info("%s %s the follow from %s", actor.uri, state, following.agency.slug)
    return PROCESSED


def _create_or_update(actor: RemoteActor, activity: dict[str, Any]) -> str:
    obj = activity.get("object")
    kind = _object_type(activity)
    if kind in ACTOR_TYPES:
        return _update_actor(actor, activity)
    if not isinstance(obj, dict) or kind not in CONTENT_TYPES:
        return IGNORED
    if not is_followed(actor):
        return IGNORED
    # An Update of something not stored yet stores it, as Mastodon does: a Create may have been missed.
    if kind == "Article":
        remote_content.store_case_study(actor, obj)
    else:
        remote_content.store_event(actor, obj)
    return PROCESSED


def _update_actor(actor: RemoteActor, activity: dict[str, Any]) -> str:
    if activity.get("type") != "Update" or _id_of(activity.get("object")) != actor.uri:
        return IGNORED
    # The document is fetched again rather than taken from the activity: the fetch is what checks it.
    refreshed = client.get_actor(actor.uri, refresh=True)
    remote_content.refresh_remote_agency(refreshed)
    return PROCESSED


def _delete(actor: RemoteActor, activity: dict[str, Any]) -> str:
    object_uri = _id_of(activity.get("object"))
    if object_uri is None:
        return IGNORED
    if object_uri == actor.uri:
        return _forget_actor(actor)
    # A deletion is honoured whether or not anyone still follows: what it removes must not linger.
    removed = remote_content.delete_object(actor, object_uri)
    return IGNORED if removed is False else PROCESSED


def _forget_actor(actor: RemoteActor) -> str:
    """Remove a remote actor that deleted itself, with everything it sent and every follow either way."""
    log.info("%s deleted itself; removing it and all it sent", actor.uri)
    # Each item goes through remote_content so that it leaves search too; the rest goes with the actor's row
    # (its agency, follows both ways: ON DELETE CASCADE).
    for model in (CaseStudy, Event):
        sent = db.session.scalars(
            sa.select(model.remote_uri).join(Agency, Agency.id == model.agency_id)
            .where(Agency.remote_actor_id == actor.id, model.remote_uri.is_not(None))
        ).all()
        for object_uri in sent:
            remote_content.delete_object(actor, object_uri)
    db.session.execute(sa.delete(RemoteActor).where(RemoteActor.id == actor.id))
    db.session.expire_all()
    return PROCESSED


HANDLERS: dict[str, Callable[[RemoteActor, dict[str, Any]], str]] = {
    "Follow": _follow,
    "Undo": _undo,
    "Accept": _accept,
    "Reject": _reject,
    "Create": _create_or_update,
    "Update": _create_or_update,
    "Delete": _delete,
}


def process(item: InboxItem) -> str:
    """Do what a stored activity says; "processed" or "ignored". Errors propagate for the task to record."""
    handler = HANDLERS.get(item.activity_type)
    if handler is None:
        return IGNORED
    return handler(_sender(item), item.payload)
