"""Mentoring: newcomers' requests, the pairs a mentor declined, mentorships, and programmes (cohorts)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.agencies.models import Agency
from cop.clock import UTCDateTime, utcnow
from cop.extensions import db
from cop.text.models import Topic

if TYPE_CHECKING:
    from cop.accounts.models import User

#: How a newcomer wants to meet, and how a mentor offers to.
FORMATS = {"either": "Online or in person", "online": "Online", "in_person": "In person"}
#: Where a newcomer wants their mentor to work.
AGENCY_PREFERENCES = {"either": "Any agency", "other": "Another agency", "own": "My own agency"}
#: A request: looking (suggestions shown), asked of one mentor, matched, or withdrawn by the newcomer.
REQUEST_STATUSES = {
    "open": "Choosing a mentor",
    "asked": "Waiting for the mentor's answer",
    "matched": "Matched",
    "withdrawn": "Withdrawn",
}
#: Requests a newcomer can have only one of at a time.
LIVE_REQUEST = ("open", "asked")
MENTORSHIP_STATUSES = {"active": "Active", "ended": "Ended"}
#: How often the pair checks in, in days (0: no schedule).
CHECK_IN_EVERY = {0: "No set schedule", 7: "Every week", 14: "Every two weeks", 28: "Every four weeks"}
PROGRAMME_STATUSES = {
    "draft": "Choosing people",
    "computing": "Computing",
    "computed": "Ready to review",
    "published": "Published",
}
MAX_GOALS_LENGTH = 2000
MAX_REASON_LENGTH = 1000
MAX_NOTE_LENGTH = 5000

request_skills = sa.Table(
    "mentor_request_skills",
    db.metadata,
    sa.Column("request_id", sa.ForeignKey("mentor_requests.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class MentorRequest(db.Model):
    """What a newcomer wants help with; while it is live, suggestions are made for it."""

    __tablename__ = "mentor_requests"
    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'asked', 'matched', 'withdrawn')", name="status_known"),
        sa.CheckConstraint("format IN ('either', 'online', 'in_person')", name="format_known"),
        sa.CheckConstraint("agency_preference IN ('either', 'other', 'own')", name="agency_preference_known"),
        # One live request per newcomer: a second submission finds the first.
        sa.Index(
            "uq_mentor_requests_live", "newcomer_id", unique=True,
            sqlite_where=sa.text("status IN ('open', 'asked')"), postgresql_where=sa.text("status IN ('open', 'asked')"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    newcomer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    goals: so.Mapped[str] = so.mapped_column(sa.Text)
    format: so.Mapped[str] = so.mapped_column(sa.String(10), default="either")
    agency_preference: so.Mapped[str] = so.mapped_column(sa.String(10), default="either")
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="open")
    #: The mentor asked, while the request waits for their answer.
    mentor_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    asked_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: The mentor it was last withdrawn from, who may still open it and is told it was withdrawn.
    withdrawn_from_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The case study that led the newcomer to its author, when one did.
    case_study_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("case_studies.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    newcomer: so.Mapped[User] = so.relationship(foreign_keys=[newcomer_id])
    mentor: so.Mapped[Optional[User]] = so.relationship(foreign_keys=[mentor_id])
    skills: so.Mapped[list[Topic]] = so.relationship(secondary=request_skills, order_by=Topic.name)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_REQUEST


class MentorDecline(db.Model):
    """A mentor said no to a newcomer: that pair is never suggested again."""

    __tablename__ = "mentor_declines"
    __table_args__ = (sa.UniqueConstraint("newcomer_id", "mentor_id", name="uq_mentor_declines_pair"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    newcomer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    mentor_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    request_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("mentor_requests.id", ondelete="SET NULL"))
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


class Mentorship(db.Model):
    """A mentor and a newcomer working together, from acceptance to its end."""

    __tablename__ = "mentorships"
    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'ended')", name="status_known"),
        sa.CheckConstraint("check_in_days >= 0", name="check_in_days_not_negative"),
        sa.CheckConstraint("mentor_id <> newcomer_id", name="not_self"),
        sa.Index(
            "uq_mentorships_active_pair", "mentor_id", "newcomer_id", unique=True,
            sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    mentor_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    newcomer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    request_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("mentor_requests.id", ondelete="SET NULL"))
    programme_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("mentoring_programmes.id", ondelete="SET NULL"), index=True
    )
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="active")
    #: What the pair agreed to work on (Markdown).
    goals: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    check_in_days: so.Mapped[int] = so.mapped_column(default=14)
    next_check_in_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime(), index=True)
    #: The check-in the last reminder was for, so the periodic task reminds once per check-in.
    reminded_for: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    started_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    ended_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    ended_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    end_reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    mentor: so.Mapped[User] = so.relationship(foreign_keys=[mentor_id])
    newcomer: so.Mapped[User] = so.relationship(foreign_keys=[newcomer_id])
    ended_by: so.Mapped[Optional[User]] = so.relationship(foreign_keys=[ended_by_id])

    def involves(self, user: Any) -> bool:
        return user is not None and getattr(user, "id", None) in (self.mentor_id, self.newcomer_id)

    def other(self, user: Any) -> User:
        return self.newcomer if user.id == self.mentor_id else self.mentor


class MentorshipNote(db.Model):
    """A note the pair keeps; nobody else reads it, admins included."""

    __tablename__ = "mentorship_notes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    mentorship_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mentorships.id", ondelete="CASCADE"), index=True)
    author_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    author: so.Mapped[Optional[User]] = so.relationship()


class MentorshipFeedback(db.Model):
    """How one side found a mentorship that ended: 1 to 5, and a comment."""

    __tablename__ = "mentorship_feedback"
    __table_args__ = (sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_in_range"),)

    mentorship_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mentorships.id", ondelete="CASCADE"), primary_key=True)
    author_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    rating: so.Mapped[int]
    comment: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    author: so.Mapped[User] = so.relationship()


programme_members = sa.Table(
    "mentoring_programme_members",
    db.metadata,
    sa.Column("programme_id", sa.ForeignKey("mentoring_programmes.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    sa.Column("role", sa.String(10), nullable=False),
    sa.CheckConstraint("role IN ('newcomer', 'mentor')", name="role_known"),
)


class Programme(db.Model):
    """A cohort: newcomers and mentors an admin chose, matched all at once."""

    __tablename__ = "mentoring_programmes"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'computing', 'computed', 'published')", name="status_known"),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress_in_range"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(120))
    #: The agency whose admins run it; None for a site-wide programme.
    agency_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="draft")
    #: Ask for a stable matching (no newcomer and mentor who would both rather have each other).
    stable: so.Mapped[bool] = so.mapped_column(default=False)
    progress: so.Mapped[int] = so.mapped_column(default=0)
    progress_note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    #: cop.matching.assignment.Report.to_dict() of the last computation.
    report: so.Mapped[Optional[dict[str, Any]]] = so.mapped_column(sa.JSON)
    error: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    computed_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    published_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    agency: so.Mapped[Optional[Agency]] = so.relationship()
    created_by: so.Mapped[Optional[User]] = so.relationship()


class ProgrammeMatch(db.Model):
    """A newcomer of a programme and the mentor the computation (or the admin) gave them."""

    __tablename__ = "mentoring_programme_matches"
    __table_args__ = (sa.UniqueConstraint("programme_id", "newcomer_id", name="uq_programme_matches_newcomer"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    programme_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("mentoring_programmes.id", ondelete="CASCADE"))
    newcomer_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    #: None: nobody could take them within every mentor's capacity.
    mentor_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    similarity: so.Mapped[Optional[float]] = so.mapped_column(sa.Float)
    by_hand: so.Mapped[bool] = so.mapped_column(default=False)

    newcomer: so.Mapped[User] = so.relationship(foreign_keys=[newcomer_id])
    mentor: so.Mapped[Optional[User]] = so.relationship(foreign_keys=[mentor_id])


class MatchingState(db.Model):
    """One row: a version stamp that moves on in the same transaction as any change to a mentor's profile,
    so every process knows when its suggestion index is out of date."""

    __tablename__ = "matching_state"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    version: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)
