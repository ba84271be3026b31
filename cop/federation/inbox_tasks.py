"""Processing what arrived in the inboxes, in the background: one task per activity, and a sweep for any left behind."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from huey import crontab

from cop.clock import utcnow
from cop.errors import ServiceError
from cop.extensions import db, enqueue_after_commit, tasks
from cop.federation import processing
from cop.federation.client import FederationError
from cop.federation.models import InboxItem

log = logging.getLogger(__name__)

#: An item queued longer than this was lost on its way to the queue (a crash between commit and enqueue).
STALE_AFTER = timedelta(minutes=10)
#: The longest error message kept on an item.
MAX_ERROR_LENGTH = 2000


def _reason(error: Exception) -> str:
    """What went wrong, in words an admin can act on."""
    if isinstance(error, ServiceError):
        return error.message
    if isinstance(error, FederationError):
        return str(error)
    text = str(error).strip()
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


@tasks.app_task(retries=0)
def process_inbox_item(item_id: int) -> str:
    """Process one received activity once; the item keeps the outcome (processed, ignored, or failed and why)."""
    # Locked on PostgreSQL so two workers given the same item do not both act on it.
    item = db.session.scalar(
        sa.select(InboxItem).where(InboxItem.id == item_id, InboxItem.status == "queued").with_for_update()
    )
    if item is None:
        db.session.rollback()
        return "gone"
    activity_uri = item.activity_uri
    try:
        outcome = processing.process(item)
    except Exception as error:  # noqa: BLE001 - any failure is kept on the item for admins, not lost
        db.session.rollback()
        reason = _reason(error)
        log.warning("inbox item %s (%s) failed: %s", item_id, activity_uri, reason, exc_info=not isinstance(error, (ServiceError, FederationError)))
        failed = db.session.get(InboxItem, item_id)
        if failed is not None:
            failed.status, failed.error, failed.processed_at = "failed", reason[:MAX_ERROR_LENGTH], utcnow()
        db.session.commit()
        return "failed"
    item = db.session.get(InboxItem, item_id)
    if item is not None:
        item.status, item.processed_at = outcome, utcnow()
    db.session.commit()
    log.info("inbox item %s (%s): %s", item_id, activity_uri, outcome)
    return outcome


@tasks.app_periodic_task(crontab(minute="*/5"))
def requeue_stale_inbox_items() -> int:
    """Every five minutes, queue again the items still waiting long after they arrived."""
    stale = list(db.session.scalars(
        sa.select(InboxItem.id).where(InboxItem.status == "queued", InboxItem.received_at < utcnow() - STALE_AFTER)
        .order_by(InboxItem.id).limit(500)
    ))
    for item_id in stale:
        enqueue_after_commit(process_inbox_item, item_id)
    db.session.commit()
    return len(stale)
