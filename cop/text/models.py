"""The shared taxonomy of practice."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects.postgresql import TSVECTOR

from cop.cache import watch
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


class SearchEntry(db.Model):
    """One searchable thing (a case study, a post…), kept in step with it by its domain's services.

    On SQLite the words are indexed by an FTS5 table over these rows (``search_fts``, kept in step by
    triggers); on PostgreSQL by ``document``, a weighted tsvector with a GIN index. See cop.text.search.
    """

    __tablename__ = "search_entries"
    __table_args__ = (
        sa.UniqueConstraint("kind", "object_id", name="uq_search_entries_kind_object"),
        sa.Index("ix_search_entries_document", "document", postgresql_using="gin"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: What the entry is, such as "case_study"; with object_id it names the thing.
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    object_id: so.Mapped[int]
    title: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    body: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: PostgreSQL only: the title (weight A) and body (weight B) as a tsvector. Unused on SQLite.
    document: so.Mapped[Optional[str]] = so.mapped_column(TSVECTOR().with_variant(sa.Text(), "sqlite"))
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


watch(Topic)
