"""Delivering activities in the background: signed POSTs, retried with a growing wait for up to a day.

Each delivery is claimed before it is sent (queued -> sending, one UPDATE), so two workers given the same
delivery never both send it. What the other server refuses for good (a 4xx other than 408 and 429) fails at
once; what might work later (no answer, 5xx, 408, 429) waits and is tried again, until the delivery is a day
old: then it fails and stays, with its last error, in the site admins' list of failed deliveries.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from huey import crontab

from cop.accounts.services import require_site_admin
from cop.clock import utcnow
from cop.errors import NotFound, ServiceError
from cop.extensions import db, enqueue_after_commit, tasks
from cop.federation import blocks, client, keys, uris
from cop.federation.models import Delivery

log = logging.getLogger(__name__)

#: The waits after the first, second, ... failed attempt; the last repeats.
BACKOFF = (
    timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
    timedelta(hours=2), timedelta(hours=6), timedelta(hours=12),
)
#: A delivery still failing this long after it was queued fails for good.
GIVE_UP_AFTER = timedelta(days=1)
#: A delivery "sending" this long was claimed by a worker that stopped (a crash, a restart) mid-way.
CLAIM_TIMEOUT = timedelta(minutes=10)
#: A delivery still queued this long after it was due was lost by the queue (a restart, Redis down).
STALE_AFTER = timedelta(seconds=30)
#: The most deliveries one sweep queues again; the next minute's sweep takes the rest.
SWEEP_BATCH = 1000
#: Statuses the other server will answer the same way however often it is asked again.
RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})
#: The longest error text kept.
MAX_ERROR_LENGTH = 1000


def retry_wait(attempts: int) -> timedelta:
    """How long after its n-th failed attempt a delivery is tried again."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def is_permanent_refusal(status: int) -> bool:
    """True when asking again cannot help: the server refused this request as such (4xx, but not 408 or 429)."""
    return 400 <= status < 500 and status not in RETRYABLE_CLIENT_ERRORS


def _claim(delivery_id: int) -> bool:
    """Take a due, queued delivery for this worker, atomically: two workers at once never both send it."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == "queued",
            sa.or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now + timedelta(seconds=5)),
        )
        .values(status="sending", claimed_at=now, attempts=Delivery.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return claimed == 1


def _signing_key(agency: Any) -> tuple[str, str]:
    """The key id and private key an activity is signed with: its agency's, or the instance actor's."""
    if agency is None:
        return uris.key_id(uris.instance_actor_uri()), keys.instance_key().private_key_pem
    return uris.key_id(uris.agency_actor_uri(agency.slug)), keys.agency_key(agency).private_key_pem


def send_delivery(delivery_id: int) -> str:
    """Send one queued delivery, once however many times this runs; its status afterwards."""
    if not _claim(delivery_id):
        delivery = db.session.get(Delivery, delivery_id)
        return delivery.status if delivery is not None else "missing"
    delivery = db.session.get(Delivery, delivery_id)
    if blocks.is_blocked(delivery.domain):
        _finish(delivery, "failed", None, "The server is blocked here.")
        return delivery.status
    activity = delivery.activity
    try:
        key_id, private_key_pem = _signing_key(activity.agency)
        status = client.post_activity(delivery.inbox, activity.payload, key_id=key_id, private_key_pem=private_key_pem)
    except client.FederationError as error:
        _failed_attempt(delivery, getattr(error, "status", None), str(error))
        return delivery.status
    if 200 <= status < 300:
        _finish(delivery, "delivered", status, "")
        log.info("delivered %s to %s (%s)", activity.uri, delivery.inbox, status)
    elif is_permanent_refusal(status):
        _finish(delivery, "failed", status, f"The server refused it ({status}).")
        log.warning("%s refused %s with %s; not trying again", delivery.inbox, activity.uri, status)
    else:
        _failed_attempt(delivery, status, f"The server answered {status}.")
    return delivery.status


def _finish(delivery: Delivery, status: str, http_status: int | None, error: str) -> None:
    delivery.status = status
    delivery.last_status = http_status
    delivery.last_error = error[:MAX_ERROR_LENGTH]
    delivery.claimed_at = None
    if status == "delivered":
        delivery.delivered_at = utcnow()
        delivery.next_attempt_at = None
    db.session.commit()


def _failed_attempt(delivery: Delivery, http_status: int | None, error: str) -> None:
    """An attempt that may work later: wait and try again, unless the delivery has been failing for a day."""
    now = utcnow()
    deadline = delivery.created_at + GIVE_UP_AFTER
    if now >= deadline:
        _finish(delivery, "failed", http_status, error)
        log.error("delivery %s to %s failed for good after %s attempts: %s", delivery.id, delivery.inbox, delivery.attempts, error)
        return
    delivery.status = "queued"
    delivery.last_status = http_status
    delivery.last_error = error[:MAX_ERROR_LENGTH]
    delivery.claimed_at = None
    # The last try falls on the deadline rather than past it, so a delivery is tried for a day and no longer.
    delivery.next_attempt_at = min(now + retry_wait(delivery.attempts), deadline)
    db.session.commit()
    log.info("delivery %s to %s: attempt %s failed (%s); next at %s", delivery.id, delivery.inbox, delivery.attempts, error,
             delivery.next_attempt_at.isoformat())


def queue_due_deliveries() -> int:
    """Release claims of stopped workers and queue every delivery that is due; how many were queued."""
    now = utcnow()
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.status == "sending", Delivery.claimed_at < now - CLAIM_TIMEOUT)
        .values(status="queued", claimed_at=None, next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    # A first attempt is queued when its row commits; one still waiting a little later was lost on the way.
    stmt = (
        sa.select(Delivery.id)
        .where(
            Delivery.status == "queued",
            sa.or_(
                Delivery.next_attempt_at <= now,
                sa.and_(Delivery.next_attempt_at.is_(None), Delivery.created_at <= now - STALE_AFTER),
            ),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(SWEEP_BATCH)
    )
    ids = list(db.session.scalars(stmt))
    db.session.commit()  # the released claims stand; the tasks (eager in tests) use their own sessions
    for delivery_id in ids:
        deliver(delivery_id)
    if ids:
        log.info("queued %s due deliveries", len(ids))
    return len(ids)


def retry_delivery(actor: Any, delivery_id: int) -> Delivery:
    """Put a failed delivery back in the queue, with a fresh day of retries (site admins)."""
    require_site_admin(actor)
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("There is no such delivery.")
    if delivery.status != "failed":
        raise ServiceError("Only a failed delivery can be tried again; this one is not failed.")
    if blocks.is_blocked(delivery.domain):
        raise ServiceError(f"{delivery.domain} is blocked. Unblock it first to send to it.")
    delivery.status = "queued"
    delivery.attempts = 0
    delivery.next_attempt_at = None
    delivery.claimed_at = None
    # The day of retries counts from now.
    delivery.created_at = utcnow()
    db.session.flush()
    enqueue_after_commit(deliver, delivery.id)
    log.info("user %s queued delivery %s to %s again", getattr(actor, "id", None), delivery.id, delivery.inbox)
    return delivery


@tasks.app_task()
def deliver(delivery_id: int) -> str:
    """Send one delivery (see send_delivery)."""
    return send_delivery(delivery_id)


@tasks.app_periodic_task(crontab(minute="*"))
def sweep_deliveries() -> int:
    """Every minute: retries that are due, deliveries the queue lost, and claims of workers that stopped."""
    return queue_due_deliveries()
