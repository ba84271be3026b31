"""Signed, expiring links for email verification and password reset."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cop.errors import ServiceError

VERIFY = "cop.verify-email"
RESET = "cop.reset-password"


class TokenExpired(ServiceError):
    """The link was genuine but is too old."""


class TokenInvalid(ServiceError):
    """The link was altered, cut short, or already used."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose)


def password_fingerprint(password_hash: str) -> str:
    """A short keyed digest of the current hash: a reset link dies when the password changes."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:20]


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    """Sign a payload for one purpose."""
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    """The payload of a token, or TokenExpired / TokenInvalid with a message for the person."""
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenExpired("This link has expired.") from exc
    except BadSignature as exc:
        raise TokenInvalid("This link is not valid. Check that you copied the whole link from the email.") from exc
    if not isinstance(payload, dict):
        raise TokenInvalid("This link is not valid.")
    return payload
