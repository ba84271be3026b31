"""Notices: what each domain tells a person, and the mail that goes with it when they want it.

Domains register the kinds of notice they send (``register_kind``) when their services are imported,
and call ``notify``; the person chooses per kind whether an email comes too. Services add and flush;
the caller commits once, and the mail is queued only after that commit.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import render_template

from cop.accounts.models import User
from cop.clock import utcnow
from cop.errors import ServiceError
from cop.extensions import db
from cop.mail.services import send_mail
from cop.notifications.models import Notification, NotificationPreference
from cop.urls import external_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    """A kind of notice: what the settings page calls it, and whether it is mailed unless someone says not."""

    name: str
    label: str
    mail_by_default: bool = True


#: Every kind of notice, by name, in the order they were registered.
KINDS: dict[str, Kind] = {}


#: Set on the session (``without_mail``) while demo data is made: notices are kept, nobody is mailed.
QUIET = "notices_without_mail"


@contextmanager
def without_mail() -> Iterator[None]:
    """Notices made inside this block go by no mail: for demo data, made through the services as people would."""
    db.session.info[QUIET] = True
    try:
        yield
    finally:
        db.session.info.pop(QUIET, None)


def register_kind(name: str, label: str, mail_by_default: bool = True) -> Kind:
    """Declare a kind of notice a domain sends; the settings page lists it."""
    kind = Kind(name, label, mail_by_default)
    KINDS[name] = kind
    return kind


def wants_mail(user: User, kind: str) -> bool:
    """Whether this person gets this kind of notice by email too."""
    chosen = db.session.scalar(
        sa.select(NotificationPreference.by_mail).where(
            NotificationPreference.user_id == user.id, NotificationPreference.kind == kind
        )
    )
    return KINDS[kind].mail_by_default if chosen is None else chosen


def notify(
    user: User, kind: str, title: str, link: str, mail_subject: Optional[str] = None, mail_body: Optional[str] = None,
    attachments: Optional[list[dict[str, str]]] = None,
) -> Notification:
    """Tell someone something: a notice in the site, and an email when they want that kind by email.

    ``link`` is a path on this site; ``mail_body`` (plain text) replaces the standard email when the
    notice needs more words than its title; ``attachments`` go with the email (see ``send_mail``).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind of notice {kind!r}; register it with register_kind")
    notice = Notification(user_id=user.id, kind=kind, title=title[:300], link=link)
    db.session.add(notice)
    db.session.flush()
    if user.is_active and not db.session.info.get(QUIET) and wants_mail(user, kind):
        body = render_template(
            "notifications/mail/notice.txt",
            user=user,
            notice=notice,
            body=mail_body,
            link=external_url("notifications.open_notice", notice_id=notice.id),
            settings=external_url("notifications.settings"),
            kind=KINDS[kind],
        )
        send_mail(user.email, mail_subject or title, body, attachments)
    log.info("notice %s (%s) for user %s", notice.id, kind, user.id)
    return notice


def _unread_of(user_id: Any) -> sa.Select:
    return sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))


@functools.cache
def with_unread_count() -> Any:
    """A loader option for User: count their unread notices in the query that loads them (the sign-in's, once a
    request), so that the header's count costs no statement of its own. Built once: it is the same every time, and
    building it costs more than running it."""
    return so.with_expression(User.unread_notices, _unread_of(User.id).scalar_subquery())


def unread_count(user: Any) -> int:
    """How many notices this person has not read: as counted when they were loaded for this request, if they were."""
    counted = user.__dict__.get("unread_notices")
    if counted is not None:
        return counted
    return db.session.scalar(_unread_of(user.id)) or 0


def notices_page(user: User, page: int, per_page: int):
    """A page of one person's notices, newest first."""
    stmt = (
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def open_notice(user: User, notice_id: int) -> Optional[Notification]:
    """One of the person's own notices, marked read; None for anyone else's, so others learn nothing of it."""
    notice = db.session.get(Notification, notice_id)
    if notice is None or notice.user_id != user.id:
        return None
    if notice.read_at is None:
        notice.read_at = utcnow()
        db.session.flush()
    return notice


def mark_all_read(user: User) -> int:
    """Mark every unread notice of the person read; how many there were."""
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return result.rowcount


def mail_choices(user: User) -> dict[str, bool]:
    """For every kind of notice, whether the person gets it by email."""
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.by_mail).where(NotificationPreference.user_id == user.id)
        ).all()
    )
    return {name: chosen.get(name, kind.mail_by_default) for name, kind in KINDS.items()}


def set_mail_choices(user: User, by_mail: set[str]) -> None:
    """Save which kinds of notice the person wants by email: the kinds named, and no others."""
    unknown = by_mail - KINDS.keys()
    if unknown:
        raise ServiceError("Choose from the kinds of notice listed.", field="by_mail")
    existing = {
        pref.kind: pref
        for pref in db.session.scalars(sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id))
    }
    for name in KINDS:
        pref = existing.get(name)
        if pref is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=name, by_mail=name in by_mail))
        else:
            pref.by_mail = name in by_mail
    db.session.flush()
    log.info("user %s chose mail for %s", user.id, sorted(by_mail))
