"""Queue mail, deliver it, and list the outbox for site admins."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from cop.clock import utcnow
from cop.errors import PermissionDenied
from cop.extensions import db, enqueue_after_commit
from cop.mail.models import OutboxMessage

log = logging.getLogger(__name__)

#: Attempts before a message is marked failed; the task queue retries with backoff in between.
MAX_ATTEMPTS = 6


def send_mail(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Put a message in the outbox and have the worker deliver it once this transaction commits."""
    from cop.mail.tasks import deliver_message

    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    enqueue_after_commit(deliver_message, message.id)
    log.info("queued mail %s to %s: %s", message.id, recipient, subject)
    return message


def _smtp_send(message: OutboxMessage) -> None:
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = f"<outbox-{message.id}@{config['COP_BASE_URL'].split('://')[-1].split('/')[0]}>"
    email.set_content(message.body)
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def deliver(message_id: int) -> str:
    """Deliver one queued message; safe to run twice. Returns the message's status afterwards."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        log.warning("mail %s vanished before delivery", message_id)
        return "missing"
    if message.status != "queued":
        return message.status
    message.attempts += 1
    if not current_app.config["MAIL_SERVER"]:
        message.status = "stored"
        message.delivered_at = utcnow()
        db.session.commit()
        return message.status
    try:
        _smtp_send(message)
    except (OSError, smtplib.SMTPException) as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"
        if message.attempts >= MAX_ATTEMPTS:
            message.status = "failed"
            log.error("mail %s failed for good after %s attempts: %s", message.id, message.attempts, exc)
        db.session.commit()
        if message.status == "failed":
            return message.status
        raise
    message.status = "sent"
    message.delivered_at = utcnow()
    # Once handed to a real mail server, tokens in the body are nobody else's business.
    message.body = ""
    db.session.commit()
    log.info("mail %s sent to %s", message.id, message.recipient)
    return message.status


def requeue_stale(older_than: timedelta) -> int:
    """Queue again every message still waiting after ``older_than``: the queue may have lost it.

    Delivery is idempotent, so a message queued twice is still sent once.
    """
    from cop.mail.tasks import deliver_message

    cutoff = utcnow() - older_than
    stale = list(
        db.session.scalars(
            sa.select(OutboxMessage.id).where(OutboxMessage.status == "queued", OutboxMessage.created_at < cutoff)
        )
    )
    db.session.rollback()  # end the read before the tasks (eager in tests) use their own sessions
    for message_id in stale:
        deliver_message(message_id)
    if stale:
        log.warning("queued %s stale mail message(s) again", len(stale))
    return len(stale)


def outbox_page(actor: Any, page: int, per_page: int, status: str | None = None):
    """A page of the outbox, newest first, for site admins."""
    if not getattr(actor, "is_site_admin", False):
        raise PermissionDenied("Only site admins can read the outbox.")
    stmt = sa.select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def outbox_message(actor: Any, message_id: int) -> OutboxMessage | None:
    """One outbox message, for site admins."""
    if not getattr(actor, "is_site_admin", False):
        raise PermissionDenied("Only site admins can read the outbox.")
    return db.session.get(OutboxMessage, message_id)
