"""Queue mail, deliver it, and list the outbox for site admins."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from datetime import timedelta
from typing import Any, Optional

import sqlalchemy as sa
from flask import current_app

from cop.clock import utcnow
from cop.errors import PermissionDenied
from cop.extensions import db, enqueue_after_commit
from cop.mail.models import OutboxMessage

log = logging.getLogger(__name__)

#: Attempts before a message is marked failed; the task queue retries with backoff in between.
MAX_ATTEMPTS = 6


def send_mail(recipient: str, subject: str, body: str, attachments: Optional[list[dict[str, str]]] = None) -> OutboxMessage:
    """Put a message in the outbox and have the worker deliver it once this transaction commits.

    ``attachments`` are text files: {"filename", "content_type" (such as "text/calendar"), "content"}.
    """
    from cop.mail.tasks import deliver_message

    message = OutboxMessage(recipient=recipient, subject=subject, body=body, next_attempt_at=utcnow(), attachments=list(attachments or []))
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
    for attachment in message.attachments or []:
        maintype, _, subtype = attachment["content_type"].partition("/")
        params = {"method": "PUBLISH"} if attachment["content_type"] == "text/calendar" else {}
        if maintype == "text":
            email.add_attachment(attachment["content"], subtype=subtype, filename=attachment["filename"], params=params)
        else:
            email.add_attachment(attachment["content"].encode(), maintype=maintype, subtype=subtype, filename=attachment["filename"])
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


#: Waits before the task queue's retries, in seconds: RETRY_DELAY, then twice as long each time.
RETRY_DELAY = 30
#: A message "sending" this long was claimed by a worker that stopped (a crash, a restart) mid-way.
CLAIM_TIMEOUT = timedelta(minutes=10)


def retry_wait(attempts: int) -> timedelta:
    """How long after its n-th failed attempt a message is due again (what the task queue's backoff waits)."""
    return timedelta(seconds=RETRY_DELAY * 2 ** (attempts - 1))


def _claim(message_id: int) -> bool:
    """Take a due, queued message for this delivery, atomically: two deliveries at once never both send it."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.status == "queued",
            sa.or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now + timedelta(seconds=5)),
        )
        .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
    ).rowcount
    db.session.commit()
    return claimed == 1


def deliver(message_id: int) -> str:
    """Deliver one queued message, once, however many times this runs. Returns the message's status afterwards."""
    if not _claim(message_id):
        message = db.session.get(OutboxMessage, message_id)
        if message is None:
            log.warning("mail %s vanished before delivery", message_id)
            return "missing"
        return message.status
    message = db.session.get(OutboxMessage, message_id)
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
        else:
            message.status = "queued"
            message.next_attempt_at = utcnow() + retry_wait(message.attempts)
        db.session.commit()
        if message.status == "failed":
            return message.status
        raise
    message.status = "sent"
    message.delivered_at = utcnow()
    # Once handed to a real mail server, tokens in the body are nobody else's business.
    message.body = ""
    message.attachments = []
    db.session.commit()
    log.info("mail %s sent to %s", message.id, message.recipient)
    return message.status


def requeue_stale(overdue: timedelta) -> int:
    """Queue again every message the queue seems to have lost; how many.

    A message is lost when it has been due for longer than ``overdue`` (its first attempt, or the
    retry its backoff scheduled), or when the worker that claimed it stopped before finishing.
    Delivery claims each message, so one queued twice is still sent once.
    """
    from cop.mail.tasks import deliver_message

    now = utcnow()
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - CLAIM_TIMEOUT)
        .values(status="queued", next_attempt_at=now - overdue - timedelta(seconds=1))
    )
    due = sa.func.coalesce(OutboxMessage.next_attempt_at, OutboxMessage.created_at)
    stale = list(db.session.scalars(sa.select(OutboxMessage.id).where(OutboxMessage.status == "queued", due < now - overdue)))
    db.session.commit()  # the released claims stand; and the tasks (eager in tests) use their own sessions
    for message_id in stale:
        deliver_message(message_id)
    if stale:
        log.warning("queued %s lost mail message(s) again", len(stale))
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
