"""The session cookie: Flask's signed cookie, with its signing serializer made once rather than for every request.

Flask's SecureCookieSessionInterface makes a new URLSafeTimedSerializer each time it opens or saves a session,
which is every request that sends a cookie. It holds only the keys, salt and serializer, so it is kept here
for as long as the keys are the same (a changed SECRET_KEY or SECRET_KEY_FALLBACKS makes a new one).
"""

from __future__ import annotations

from typing import Any, Optional

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class SessionInterface(SecureCookieSessionInterface):
    def __init__(self) -> None:
        self._kept: Optional[tuple[Any, Optional[URLSafeTimedSerializer]]] = None

    def get_signing_serializer(self, app: Flask) -> Optional[URLSafeTimedSerializer]:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._kept
        if kept is None or kept[0] != keys:
            kept = self._kept = (keys, super().get_signing_serializer(app))
        return kept[1]
