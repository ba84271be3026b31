"""Personal API tokens: a member's key to the JSON API, stored only as a hash."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import User
from cop.clock import UTCDateTime, utcnow
from cop.extensions import db

#: What a token may do: read, or read and write.
SCOPES = {"read": "Read", "write": "Read and write"}


class ApiToken(db.Model):
    """A named key a member made for a script or an app; shown to them once, revoked at will."""

    __tablename__ = "api_tokens"
    __table_args__ = (sa.CheckConstraint("scope IN ('read', 'write')", name="scope_known"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80))
    #: A key of SCOPES; write includes read.
    scope: so.Mapped[str] = so.mapped_column(sa.String(10), default="read")
    #: SHA-256 of the secret; the secret itself is never stored.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: The secret's first characters, so its owner can tell their tokens apart.
    prefix: so.Mapped[str] = so.mapped_column(sa.String(12))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    revoked_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    user: so.Mapped[User] = so.relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def allows(self, scope: str) -> bool:
        """Whether this token may do what needs ``scope``."""
        return scope == "read" or self.scope == "write"

    @staticmethod
    def hash(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()
