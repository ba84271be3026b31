"""The shared taxonomy of practice."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.clock import UTCDateTime, utcnow
from cop.extensions import db


class Topic(db.Model):
    """A skill or interest that profiles, case studies and events are tagged with."""

    __tablename__ = "topics"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    #: "practice" or "channel" (see cop.text.taxonomy.GROUPS).
    group: so.Mapped[str] = so.mapped_column(sa.String(20), default="practice")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: When site admins stopped offering it; it stays on whatever already has it.
    retired_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def __repr__(self) -> str:
        return f"<Topic {self.slug}>"
