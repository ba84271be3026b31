"""Agencies, the email domains they own, and requests to join one."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.cache import watch
from cop.clock import UTCDateTime, utcnow
from cop.extensions import db

if TYPE_CHECKING:
    from cop.accounts.models import User

#: Levels of government an agency can sit at.
GOVERNMENT_LEVELS = {"local": "Local", "regional": "State or regional", "national": "National"}
#: Longest agency description, in characters.
MAX_DESCRIPTION_LENGTH = 5000


class Agency(db.Model):
    """A council, department or agency whose people share their practice here."""

    __tablename__ = "agencies"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: ISO 3166-1 alpha-2 code.
    country: so.Mapped[str] = so.mapped_column(sa.String(2))
    #: A key of GOVERNMENT_LEVELS.
    level: so.Mapped[str] = so.mapped_column(sa.String(20))
    website: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    #: Set for an agency on another server that this site follows (cop.federation): its case studies and events
    #: arrive here. Nobody here belongs to it or manages it; deleting the remote actor deletes it and what it sent.
    remote_actor_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("federation_remote_actors.id", ondelete="CASCADE"), unique=True
    )
    #: When on, followers from other servers wait for an agency admin's approval; otherwise they are accepted.
    approves_followers: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

    domains: so.Mapped[list["AgencyDomain"]] = so.relationship(
        back_populates="agency", cascade="all, delete-orphan", order_by="AgencyDomain.domain"
    )

    @property
    def is_remote(self) -> bool:
        """An agency on another server, known here through federation."""
        return self.remote_actor_id is not None

    @property
    def origin(self) -> str:
        """The host of the server a remote agency lives on (its website there); "" for an agency here."""
        return urlsplit(self.website).netloc.lower() if self.is_remote else ""

    def __repr__(self) -> str:
        return f"<Agency {self.slug}>"


class AgencyDomain(db.Model):
    """An email domain an agency owns: verified addresses on it join the agency at once."""

    __tablename__ = "agency_domains"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    #: Lower-case, without "@"; unique across agencies.
    domain: so.Mapped[str] = so.mapped_column(sa.String(253), unique=True)

    agency: so.Mapped[Agency] = so.relationship(back_populates="domains")


class JoinRequest(db.Model):
    """Someone asks to become a member of an agency whose email domains they are not on."""

    __tablename__ = "join_requests"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    #: pending, approved, declined or withdrawn.
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="pending")
    message: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    decided_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    decided_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    user: so.Mapped["User"] = so.relationship(foreign_keys=[user_id])
    agency: so.Mapped[Agency] = so.relationship()
    decided_by: so.Mapped[Optional["User"]] = so.relationship(foreign_keys=[decided_by_id])


watch(Agency, AgencyDomain)
