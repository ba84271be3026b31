"""A person's own calendar feed: the secret address that holds their registrations and surgery slots."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, Optional

import sqlalchemy as sa

from cop.accounts.models import User
from cop.errors import PermissionDenied
from cop.events.models import CalendarToken
from cop.extensions import db

#: 32 random bytes: 256 bits, URL-safe.
TOKEN_BYTES = 32


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def has_calendar(user: Any) -> bool:
    """Whether this person has a feed address (its secret was shown when it was made)."""
    return db.session.scalar(sa.select(sa.exists().where(CalendarToken.user_id == user.id)))


def reset_calendar_token(user: Any) -> str:
    """A new secret for this person's feed; the old address stops working at once. Only its hash is kept."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to have a calendar feed of your own.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    existing = db.session.scalar(sa.select(CalendarToken).where(CalendarToken.user_id == user.id))
    if existing is None:
        db.session.add(CalendarToken(user_id=user.id, token_hash=_hash(token)))
    else:
        existing.token_hash = _hash(token)
    db.session.flush()
    return token


def user_for_calendar_token(token: str) -> Optional[User]:
    """The active person whose feed this secret opens, or None (an old, reset or made-up secret)."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(User).join(CalendarToken, CalendarToken.user_id == User.id)
        .where(CalendarToken.token_hash == _hash(token), User.is_active.is_(True))
    )
