"""Personal API tokens: made, listed, revoked, and checked on each API request.

Services add and flush; the caller commits once.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import User
from cop.api.models import SCOPES, ApiToken
from cop.clock import utcnow
from cop.errors import ServiceError
from cop.extensions import db

log = logging.getLogger(__name__)

#: Every secret starts with this, so a leaked one is easy to recognise (and to search code for).
SECRET_PREFIX = "cop_"
MAX_NAME_LENGTH = 80
#: Last use is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def create_token(user: User, name: str, scope: str) -> tuple[ApiToken, str]:
    """A new token for the person; the secret is returned once and never stored."""
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Enter a name for the token, such as the script that will use it.", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise ServiceError(f"The name must be {MAX_NAME_LENGTH} characters or fewer.", field="name")
    if scope not in SCOPES:
        raise ServiceError("Choose what the token may do: read, or read and write.", field="scope")
    if not user.is_active or not user.is_verified:
        raise ServiceError("Confirm your email address before making API tokens.")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, scope=scope, token_hash=ApiToken.hash(secret), prefix=secret[:10])
    db.session.add(token)
    db.session.flush()
    log.info("user %s made API token %s (%s)", user.id, token.id, scope)
    return token, secret


def tokens_for(user: Any) -> list[ApiToken]:
    """The person's tokens, working ones first, newest first."""
    return list(
        db.session.scalars(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(user: Any, token_id: int) -> Optional[ApiToken]:
    """Revoke one of the person's own tokens; None when they have no such token (so others learn nothing)."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        log.info("user %s revoked API token %s", user.id, token.id)
    return token


def authenticate(secret: str) -> Optional[ApiToken]:
    """The working token with this secret, its owner loaded and its last use noted; None for anything else."""
    if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(secret)).options(so.joinedload(ApiToken.user))
    )
    if token is None or token.is_revoked or not token.user.is_active or not token.user.is_verified:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.flush()
    return token
