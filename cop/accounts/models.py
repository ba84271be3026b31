"""People: sign-in identity, roles and practitioner profiles."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.agencies.models import Agency
from cop.cache import watch
from cop.clock import UTCDateTime, utcnow
from cop.extensions import db
from cop.text.models import Topic

#: Site-wide roles, lowest first. Agency admin is held per agency (User.is_agency_admin).
SITE_ROLES = ("member", "moderator", "site_admin")
#: Every role a person can hold, for the CLI and the authorization policy.
ROLES = ("member", "agency_admin", "moderator", "site_admin")
#: Experience levels, as the training ladder names them.
LEVELS = {"101": "101: new to it", "202": "202: practising", "303": "303: advanced"}
MAX_MENTEES = 10
MAX_BIO_LENGTH = 5000


user_skills = sa.Table(
    "user_skills",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    # Indexed too: "people with this skill" starts from the topic.
    sa.Column("topic_id", sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)

user_interests = sa.Table(
    "user_interests",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True),
)


class User(db.Model):
    """A person: sign-in identity and practitioner profile."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("mentoring_capacity >= 0 AND mentoring_capacity <= 10", name="mentoring_capacity_range"),
        sa.CheckConstraint("level IN ('101', '202', '303')", name="level_known"),
        sa.CheckConstraint("site_role IN ('member', 'moderator', 'site_admin')", name="site_role_known"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Stored lower-case; unique.
    email: so.Mapped[str] = so.mapped_column(sa.String(254), unique=True)
    email_verified_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    #: A key of SITE_ROLES.
    site_role: so.Mapped[str] = so.mapped_column(sa.String(20), default="member")
    is_active: so.Mapped[bool] = so.mapped_column(default=True)

    display_name: so.Mapped[str] = so.mapped_column(sa.String(100))
    job_title: so.Mapped[str] = so.mapped_column(sa.String(120), default="")
    #: Markdown source; rendered with cop.text.markdown.render_markdown.
    bio: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: A key of LEVELS; None until the person says (staff accounts may never).
    level: so.Mapped[Optional[str]] = so.mapped_column(sa.String(3))
    #: ISO 3166-1 alpha-2 code.
    country: so.Mapped[Optional[str]] = so.mapped_column(sa.String(2))
    region: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    #: IANA time zone name.
    time_zone: so.Mapped[str] = so.mapped_column(sa.String(64), default="UTC")
    open_to_mentoring: so.Mapped[bool] = so.mapped_column(default=False)
    #: How many mentees at once, 0 to MAX_MENTEES.
    mentoring_capacity: so.Mapped[int] = so.mapped_column(default=0)
    #: How they mentor: "online", "in_person" or "either" (cop.matching.models.FORMATS).
    mentoring_format: so.Mapped[str] = so.mapped_column(sa.String(10), default="either", server_default="either")
    #: A mentor who pauses keeps their mentees and is offered to nobody new.
    mentoring_paused: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    #: Active mentorships they mentor; taken and given back by conditional UPDATEs (cop.matching.services).
    mentees_count: so.Mapped[int] = so.mapped_column(default=0, server_default="0")

    agency_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("agencies.id", ondelete="SET NULL"), index=True
    )
    #: Admin of the agency: approves joins and edits its page.
    is_agency_admin: so.Mapped[bool] = so.mapped_column(default=False)

    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    last_login_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    agency: so.Mapped[Optional[Agency]] = so.relationship(foreign_keys=[agency_id])
    skills: so.Mapped[list[Topic]] = so.relationship(secondary=user_skills, order_by=Topic.name)
    interests: so.Mapped[list[Topic]] = so.relationship(secondary=user_interests, order_by=Topic.name)

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    #: The sign-in this object was loaded for (a UserSession's token); not stored on the user.
    session_key = None
    #: Not stored: how many notices they have not read, counted in the query that loads them for a request
    #: (cop.notifications.services.with_unread_count); None when the query did not count.
    unread_notices: so.Mapped[Optional[int]] = so.query_expression()

    def get_id(self) -> Optional[str]:
        """Flask-Login keeps this in the session and the remember cookie: the sign-in's token, never the user's id."""
        return self.session_key

    @property
    def is_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_site_admin(self) -> bool:
        return self.site_role == "site_admin"

    @property
    def is_moderator(self) -> bool:
        return self.site_role in ("moderator", "site_admin")

    @property
    def role(self) -> str:
        """The highest role held, for display and policy tables."""
        if self.site_role != "member":
            return self.site_role
        return "agency_admin" if self.is_agency_admin and self.agency_id else "member"

    @property
    def describes_their_work(self) -> bool:
        """True once the profile says what they do (a job title and a level): only then are they listed."""
        return bool(self.job_title) and self.level is not None

    @property
    def email_domain(self) -> str:
        return self.email.rsplit("@", 1)[-1]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"



def listed() -> sa.ColumnElement[bool]:
    """People others can find: active, confirmed, and saying what they do (a job title and a level).

    Written with no bound values (the empty string is a literal) so that the databases see the same
    condition as the partial indexes below, and use them.
    """
    return sa.and_(
        User.is_active.is_(True),
        User.email_verified_at.is_not(None),
        User.job_title != sa.literal_column("''"),
        User.level.is_not(None),
    )


# The lists of people (by name, by level then name, newest first) read these and stop after a page,
# instead of sorting every person; their counts read the index alone.
def mentoring() -> sa.ColumnElement[bool]:
    """People open to mentoring with room for someone, written (like listed()) to match its partial index."""
    return sa.and_(User.open_to_mentoring.is_(True), User.mentoring_capacity > sa.literal_column("0"))


def unavailable_mentor() -> sa.ColumnElement[bool]:
    """Mentors who take nobody new just now (paused, or every place taken), written to match its partial index:
    few people, looked up on every page of suggestions."""
    return sa.and_(mentoring(), sa.or_(User.mentoring_paused.is_(True), User.mentees_count >= User.mentoring_capacity))


for _name, _columns, _where in (
    ("ix_users_unavailable_mentors", (User.id,), unavailable_mentor()),
    ("ix_users_listed_by_name", (User.display_name, User.id), listed()),
    ("ix_users_listed_by_level", (User.level, User.display_name, User.id), listed()),
    ("ix_users_listed_newest", (User.created_at, User.id), listed()),
    ("ix_users_listed_mentors", (User.level, User.display_name, User.id), sa.and_(listed(), mentoring())),
):
    sa.Index(_name, *_columns, sqlite_where=_where, postgresql_where=_where)


class UserSession(db.Model):
    """One sign-in on one browser. Signing out deletes it, so a copied cookie stops working at once."""

    __tablename__ = "user_sessions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: SHA-256 of the token in the session and remember cookies; the token itself is never stored.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    user_agent: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    user: so.Mapped[User] = so.relationship()

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


# Public pages show people's profiles; signing in changes nothing they show.
watch(User, ignoring=("last_login_at", "password_hash", "updated_at", "mentees_count", "mentoring_paused"))
