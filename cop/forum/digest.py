"""The daily digest: one mail to each member who wants it, of the forum notices they have not read since the last."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import render_template

from cop.accounts.models import User
from cop.clock import utcnow
from cop.extensions import db
from cop.forum import services
from cop.forum.models import Member
from cop.mail.services import send_mail
from cop.notifications.models import Notification
from cop.urls import external_url

log = logging.getLogger(__name__)

#: The notices a digest gathers: replies, new threads and mentions.
DIGEST_KINDS = (services.REPLY, services.NEW_THREAD, services.MENTION)
#: The most notices one digest lists.
MAX_ITEMS = 50


def send_digests() -> int:
    """Mail each member with digests on the unread forum notices of the last day (since their last digest); how many went."""
    now = utcnow()
    sent = 0
    members = db.session.execute(
        sa.select(Member, User).join(User, User.id == Member.user_id)
        .where(Member.wants_digest.is_(True), User.is_active.is_(True), User.email_verified_at.is_not(None))
    ).all()
    for member, user in members:
        since = max(member.last_digest_at or now - timedelta(days=1), now - timedelta(days=1))
        notices = list(db.session.scalars(
            sa.select(Notification).where(
                Notification.user_id == user.id, Notification.kind.in_(DIGEST_KINDS), Notification.read_at.is_(None),
                Notification.created_at > since,
            ).order_by(Notification.created_at).limit(MAX_ITEMS)
        ))
        member.last_digest_at = now
        if not notices:
            continue
        body = render_template(
            "forum/mail/digest.txt", user=user, notices=notices,
            links={n.id: external_url("notifications.open_notice", notice_id=n.id) for n in notices},
            settings=external_url("forum.digest_settings"),
        )
        send_mail(user.email, f"What is new in the forum: {len(notices)} notice{'s' if len(notices) != 1 else ''}", body)
        sent += 1
    db.session.flush()
    log.info("sent %s forum digests", sent)
    return sent
