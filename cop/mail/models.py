"""The outbox: every message the site sends."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.clock import UTCDateTime, utcnow
from cop.extensions import db

#: queued: waiting for the worker; sending: a worker has it now; stored: kept in the outbox only
#: (no SMTP configured); sent: handed to the SMTP server; failed: retries exhausted, see last_error.
MESSAGE_STATUSES = ("queued", "sending", "stored", "sent", "failed")
#: What each status is called wherever a person reads it: the list, its filters and the message page.
STATUS_LABELS = {
    "queued": "Waiting to send",
    "sending": "Being sent",
    "stored": "Kept here, not sent",
    "sent": "Sent",
    "failed": "Failed",
}


class OutboxMessage(db.Model):
    """One email, from the moment it is queued until it is delivered or finally fails."""

    __tablename__ = "outbox_messages"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    recipient: so.Mapped[str] = so.mapped_column(sa.String(254), index=True)
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="queued", index=True)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow, index=True)
    delivered_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: When the next attempt is due: at once for a new message, after the backoff for a retry.
    next_attempt_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: When a worker took it to send ("sending"); a claim this old is released by the sweep.
    claimed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: Text files sent with it: [{"filename": "event.ics", "content_type": "text/calendar", "content": "..."}].
    attachments: so.Mapped[list[dict[str, str]]] = so.mapped_column(sa.JSON, default=list, server_default="[]")
