"""The session cookie, and the form (CSRF) token it holds the secret of, each signed with a serializer made once
rather than for every request.

Flask's SecureCookieSessionInterface makes a new URLSafeTimedSerializer each time it opens or saves a session,
which is every request that sends a cookie; Flask-WTF's generate_csrf makes one for every token, which is every
signed-in page (its header's sign-out form). A serializer holds only the keys, salt and serializer, so each is
kept here for as long as its keys are the same (a changed SECRET_KEY or SECRET_KEY_FALLBACKS makes a new one).
"""

from __future__ import annotations

import functools
import hashlib
import os
from typing import Any, Optional

from flask import Flask, current_app, g, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._kept: Optional[tuple[Any, Optional[URLSafeTimedSerializer]]] = None

    def get_signing_serializer(self, app: Flask) -> Optional[URLSafeTimedSerializer]:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._kept
        if kept is None or kept[0] != keys:
            kept = self._kept = (keys, super().get_signing_serializer(app))
        return kept[1]


class _FormTokenSerializer(URLSafeTimedSerializer):
    """Flask-WTF's token serializer, which does not try zlib on the payload. A token's payload is the session's 40
    random hexadecimal digits in quotes, which zlib does not shorten, so itsdangerous threw the attempt away: the
    token is the same without it, and setting zlib up was a third of what a token cost. (A payload zlib would
    shorten gives another token here, which CSRFProtect accepts as well.)"""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


@functools.lru_cache(maxsize=4)
def _token_serializer(key: Any) -> URLSafeTimedSerializer:
    """Kept while the key is the same (a few keys at most: one app, or a test's apps)."""
    return _FormTokenSerializer(key, salt="wtf-csrf-token")


def csrf_token() -> str:
    """The request's CSRF token, as flask_wtf.csrf.generate_csrf makes it (the same token, which CSRFProtect checks,
    kept under the same name in g, from the same secret in the session), with the serializer kept while the key is
    the same. Flask-WTF's own stays in templates as csrf_token(); the site's forms use csrf() (cop.form_markup)."""
    config = current_app.config
    name = config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"
    token = g.get(name)
    if token is None:
        secret = session.get(name)
        if not isinstance(secret, str):
            secret = session[name] = hashlib.sha1(os.urandom(64)).hexdigest()
        token = _token_serializer(config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key).dumps(secret)
        setattr(g, name, token)
    return token
