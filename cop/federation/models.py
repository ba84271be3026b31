"""Federation's rows: actors' keys, remote actors, who follows whom, activities sent and received, blocks.

Remote agencies are Agency rows with ``remote_actor_id`` set (as Mastodon keeps remote accounts beside local
ones), and what they publish arrives as CaseStudy and Event rows with ``remote_uri`` set, so every list,
search and calendar feed includes them without knowing about federation.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.clock import UTCDateTime, utcnow
from cop.extensions import db

if TYPE_CHECKING:
    from cop.agencies.models import Agency

#: The longest actor, object or activity URI kept.
MAX_URI_LENGTH = 2000
#: A follow, either way: pending until the other side accepts; rejected when it refuses.
FOLLOW_STATES = {"pending": "Waiting for approval", "accepted": "Following", "rejected": "Refused"}
#: An outgoing delivery to one inbox: queued, sending (a worker holds it), delivered, or failed for good.
DELIVERY_STATUSES = {"queued": "Waiting", "sending": "Being sent", "delivered": "Delivered", "failed": "Failed"}
#: An activity received: queued for the worker, processed, ignored (a type or object not handled), or failed.
INBOX_STATUSES = {"queued": "Waiting", "processed": "Processed", "ignored": "Ignored", "failed": "Failed"}


class ActorKey(db.Model):
    """The RSA key pair of one of this site's actors: an agency, or the instance actor (no agency)."""

    __tablename__ = "federation_actor_keys"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: "instance", or "agency:<id>": unique, so two processes making the same key race to one row.
    owner: so.Mapped[str] = so.mapped_column(sa.String(40), unique=True)
    agency_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"))
    public_key_pem: so.Mapped[str] = so.mapped_column(sa.Text)
    #: PKCS#8 PEM. Kept in the database (as Mastodon does) so every worker and host signs with the same key.
    private_key_pem: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


class RemoteActor(db.Model):
    """An actor on another server (an agency on another instance, a Mastodon account), as last fetched."""

    __tablename__ = "federation_remote_actors"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: The actor's id: the URL its document is served from.
    uri: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH), unique=True)
    #: Lower-case host (with the port when not the default), for blocks and for sharing inboxes.
    domain: so.Mapped[str] = so.mapped_column(sa.String(253), index=True)
    #: Person, Group, Service, Application or Organization.
    actor_type: so.Mapped[str] = so.mapped_column(sa.String(30), default="Person")
    preferred_username: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    name: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    #: Sanitised HTML.
    summary: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: The actor's page for people.
    url: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH), default="")
    icon_url: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH), default="")
    inbox: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH))
    #: endpoints.sharedInbox, when the server has one: deliveries to its actors go there once.
    shared_inbox: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH), default="")
    outbox: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH), default="")
    followers_url: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH), default="")
    #: publicKey.id and publicKeyPem; a key that no longer verifies is fetched again once before refusing.
    key_id: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH), default="", index=True)
    public_key_pem: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    fetched_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    @property
    def handle(self) -> str:
        """user@host, as people write it."""
        return f"{self.preferred_username}@{self.domain}" if self.preferred_username else self.uri

    @property
    def delivery_inbox(self) -> str:
        """Where to deliver to this actor: its server's shared inbox when it has one."""
        return self.shared_inbox or self.inbox

    def __repr__(self) -> str:
        return f"<RemoteActor {self.uri}>"


class Follower(db.Model):
    """A remote actor following one of this site's agencies."""

    __tablename__ = "federation_followers"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "remote_actor_id", name="uq_federation_followers_agency_actor"),
        sa.CheckConstraint("state IN ('pending', 'accepted', 'rejected')", name="state_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    remote_actor_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("federation_remote_actors.id", ondelete="CASCADE"), index=True
    )
    #: The id of the Follow they sent, and the whole Follow, which an Accept carries back.
    follow_uri: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH))
    follow_activity: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)
    #: A key of FOLLOW_STATES.
    state: so.Mapped[str] = so.mapped_column(sa.String(20), default="pending")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    decided_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    agency: so.Mapped["Agency"] = so.relationship()
    remote_actor: so.Mapped[RemoteActor] = so.relationship()


class Following(db.Model):
    """One of this site's agencies following a remote actor: what that actor publishes arrives here."""

    __tablename__ = "federation_following"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "remote_actor_id", name="uq_federation_following_agency_actor"),
        sa.CheckConstraint("state IN ('pending', 'accepted', 'rejected')", name="state_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    remote_actor_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("federation_remote_actors.id", ondelete="CASCADE"), index=True
    )
    #: The id of the Follow this site sent; the remote side's Accept or Reject names it.
    follow_uri: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH), unique=True)
    #: A key of FOLLOW_STATES.
    state: so.Mapped[str] = so.mapped_column(sa.String(20), default="pending")
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    decided_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    agency: so.Mapped["Agency"] = so.relationship()
    remote_actor: so.Mapped[RemoteActor] = so.relationship()


class Activity(db.Model):
    """An activity one of this site's actors sent (Create, Update, Delete, Follow, Undo, Accept): the outbox."""

    __tablename__ = "federation_activities"
    __table_args__ = (sa.Index("ix_federation_activities_agency_newest", "agency_id", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Its id, a URL on this site; unique.
    uri: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH), unique=True)
    #: The sending agency; None for the instance actor.
    agency_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"))
    activity_type: so.Mapped[str] = so.mapped_column(sa.String(30))
    #: The id of the object it is about.
    object_uri: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH), default="", index=True)
    #: The whole activity as sent.
    payload: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)
    #: Public activities (Create, Update, Delete of content) are listed in the outbox; follows and accepts are not.
    public: so.Mapped[bool] = so.mapped_column(default=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    agency: so.Mapped[Optional["Agency"]] = so.relationship()


class Delivery(db.Model):
    """One activity on its way to one inbox: once per (activity, inbox), retried with backoff, kept when it fails."""

    __tablename__ = "federation_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("activity_id", "inbox", name="uq_federation_deliveries_activity_inbox"),
        sa.CheckConstraint("status IN ('queued', 'sending', 'delivered', 'failed')", name="status_known"),
        sa.Index("ix_federation_deliveries_status_due", "status", "next_attempt_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    activity_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("federation_activities.id", ondelete="CASCADE"), index=True)
    inbox: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH))
    #: The inbox's host, for blocks and the admins' list.
    domain: so.Mapped[str] = so.mapped_column(sa.String(253), index=True)
    #: A key of DELIVERY_STATUSES.
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="queued")
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    last_status: so.Mapped[Optional[int]] = so.mapped_column()
    last_error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    next_attempt_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: When a worker took it ("sending"); a claim this old is released by the sweep.
    claimed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    delivered_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    activity: so.Mapped[Activity] = so.relationship()


class InboxItem(db.Model):
    """An activity another server posted here, verified and waiting to be (or already) processed."""

    __tablename__ = "federation_inbox"
    __table_args__ = (
        sa.CheckConstraint("status IN ('queued', 'processed', 'ignored', 'failed')", name="status_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: The activity's id; unique, so one delivered twice is processed once.
    activity_uri: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH), unique=True)
    activity_type: so.Mapped[str] = so.mapped_column(sa.String(30))
    #: The actor whose key signed the POST.
    actor_uri: so.Mapped[str] = so.mapped_column(sa.String(MAX_URI_LENGTH), index=True)
    #: The local agency whose inbox it came to; None for the shared inbox.
    agency_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"))
    payload: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)
    #: A key of INBOX_STATUSES.
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="queued", index=True)
    error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    received_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    processed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())


class BlockedDomain(db.Model):
    """A server site admins block: nothing is accepted from it or sent to it."""

    __tablename__ = "federation_blocked_domains"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Lower-case host; blocking a domain blocks its subdomains too.
    domain: so.Mapped[str] = so.mapped_column(sa.String(253), unique=True)
    reason: so.Mapped[str] = so.mapped_column(sa.String(500), default="")
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
