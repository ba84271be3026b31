"""Activities this site sends: each is stored once (the outbox) with one delivery per inbox, sent after commit.

Deliveries go once per inbox, and an inbox is a server's shared inbox whenever it has one, so an activity
for a thousand followers on fifty servers is fifty requests. A delivery is unique per (activity, inbox):
sending the same activity again adds nothing and sends nothing twice.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable, Optional
from urllib.parse import urlsplit

import sqlalchemy as sa

from cop.extensions import db, enqueue_after_commit, insert_unless_present
from cop.federation import blocks
from cop.federation.models import Activity, Delivery, Follower, RemoteActor
from cop.federation.tasks import deliver

log = logging.getLogger(__name__)


def inbox_domain(inbox: str) -> str:
    """An inbox's host as blocks and the admins' lists name it: lower-case, with its port when it has one."""
    return urlsplit(inbox).netloc.lower()


def _object_uri(payload: dict[str, Any]) -> str:
    """The id of what an activity is about: its object, or the object's id when the object is written out."""
    target = payload.get("object")
    if isinstance(target, dict):
        target = target.get("id")
    return target if isinstance(target, str) else ""


def send_activity(agency: Any, payload: dict[str, Any], inboxes: Iterable[str], *, public: bool = True) -> Activity:
    """Store an activity from ``agency`` (None: the instance actor) and queue it for each inbox, after commit.

    Inboxes on blocked servers get nothing; an inbox listed twice, or an activity sent again, gets one delivery.
    """
    agency_id = agency.id if agency is not None else None
    insert_unless_present(
        Activity,
        {"uri": payload["id"], "agency_id": agency_id, "activity_type": str(payload.get("type", "")),
         "object_uri": _object_uri(payload), "payload": payload, "public": public},
        "uri",
    )
    activity = db.session.scalars(sa.select(Activity).where(Activity.uri == payload["id"])).one()

    blocked: dict[str, bool] = {}
    added: list[str] = []
    for inbox in dict.fromkeys(inboxes):
        domain = inbox_domain(inbox)
        if not domain:
            continue
        if domain not in blocked:
            blocked[domain] = blocks.is_blocked(domain)
        if blocked[domain]:
            continue
        values = {"activity_id": activity.id, "inbox": inbox, "domain": domain, "status": "queued"}
        if insert_unless_present(Delivery, values, "activity_id", "inbox"):
            added.append(inbox)
    if added:
        new_ids = db.session.scalars(
            sa.select(Delivery.id).where(Delivery.activity_id == activity.id, Delivery.inbox.in_(added)).order_by(Delivery.id)
        )
        for delivery_id in new_ids:
            enqueue_after_commit(deliver, delivery_id)
    log.info("%s %s queued for %s inbox(es)", activity.activity_type, activity.uri, len(added))
    return activity


def follower_inboxes(agency: Any) -> list[str]:
    """Where an agency's accepted followers take deliveries: each server's shared inbox once, or each actor's inbox."""
    inbox = sa.func.coalesce(sa.func.nullif(RemoteActor.shared_inbox, ""), RemoteActor.inbox)
    stmt = (
        sa.select(inbox)
        .join(Follower, Follower.remote_actor_id == RemoteActor.id)
        .where(Follower.agency_id == agency.id, Follower.state == "accepted")
        .distinct()
        .order_by(inbox)
    )
    return list(db.session.scalars(stmt))


def activity_for(uri: str) -> Optional[Activity]:
    """The activity this site sent with that id, if any."""
    return db.session.scalars(sa.select(Activity).where(Activity.uri == uri)).one_or_none()
