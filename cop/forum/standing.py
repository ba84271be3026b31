"""A member's standing in the forum: trust that grows with approved posts and time, the limits each level of
trust sets on posting and flagging, and suspensions and silences with the reason the member is shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

import sqlalchemy as sa
from flask import current_app

from cop.clock import utcnow
from cop.errors import PermissionDenied, TooSoon
from cop.extensions import db
from cop.forum.models import Flag, Member, Post

#: Trust grows on its own to these levels: (level, posts shown, days since joining).
TRUST_STEPS = ((1, 3, 0), (2, 15, 14))
#: Level 3 (trusted) is given by a moderator.
#: Posts a member may write per hour, and flags they may raise per day, at each trust level.
POSTS_PER_HOUR = {0: 5, 1: 20, 2: 60, 3: 120}
FLAGS_PER_DAY = {0: 5, 1: 15, 2: 40, 3: 100}
#: From this level a member's flags count towards hiding a post before a moderator looks.
COUNTING_FLAGS_FROM = 2
#: "Silenced until lifted" is stored as a date this far ahead.
UNTIL_LIFTED = timedelta(days=365 * 100)


@dataclass(frozen=True)
class Restriction:
    """Why a member may not post just now, and until when."""

    kind: str  # "suspended" or "silenced"
    until: datetime
    reason: str

    @property
    def until_lifted(self) -> bool:
        return self.until - utcnow() > UNTIL_LIFTED / 2

    def message(self) -> str:
        when = "until a moderator lifts it" if self.until_lifted else f"until {self.until:%-d %B %Y, %H:%M} UTC"
        verb = "suspended from" if self.kind == "suspended" else "silenced in"
        reason = f" The reason: {self.reason}" if self.reason else ""
        return f"You are {verb} the forum {when}.{reason} You can appeal from your notices."


def member_for(user: Any) -> Optional[Member]:
    """The person's forum standing, or None before they first post or are acted on."""
    return db.session.get(Member, user.id)


def member_row(user: Any) -> Member:
    """The person's forum standing, made when they have none yet."""
    member = db.session.get(Member, user.id)
    if member is None:
        member = Member(user_id=user.id, trust_level=0, approved_posts=0, trust_set_by_moderator=False,
                        restriction_reason="", wants_digest=True)
        db.session.add(member)
        db.session.flush()
    return member


def trust_level(user: Any) -> int:
    """0 to 3; moderators are trusted."""
    if user.is_moderator:
        return 3
    member = member_for(user)
    return member.trust_level if member is not None else 0


def grow_trust(member: Member, joined_at: datetime) -> None:
    """Raise the level that the member's approved posts and time here have earned (never lower, never past a moderator's)."""
    if member.trust_set_by_moderator:
        return
    days = (utcnow() - joined_at).days
    for level, posts, since in TRUST_STEPS:
        if member.approved_posts >= posts and days >= since and member.trust_level < level:
            member.trust_level = level


def restriction(user: Any) -> Optional[Restriction]:
    """The suspension or silence in force on this person, if any."""
    member = member_for(user)
    if member is None:
        return None
    now = utcnow()
    if member.suspended_until is not None and member.suspended_until > now:
        return Restriction("suspended", member.suspended_until, member.restriction_reason)
    if member.silenced_until is not None and member.silenced_until > now:
        return Restriction("silenced", member.silenced_until, member.restriction_reason)
    return None


def require_may_post(user: Any) -> None:
    """Refuse a suspended or silenced member, with the reason and the end."""
    found = restriction(user)
    if found is not None:
        raise PermissionDenied(found.message())


def require_may_flag(user: Any) -> None:
    """A suspended member may not flag; a silenced one may."""
    found = restriction(user)
    if found is not None and found.kind == "suspended":
        raise PermissionDenied(found.message())


def _wait_message(what: str, count: int, per: str, seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return f"You have {what} {count} times in the last {per}, the most your trust level allows. Try again in {minutes} minute{'s' if minutes != 1 else ''}."


def _check_rate(user: Any, made_at: Any, by: Any, limits: dict[int, int], window: timedelta, what: str, per: str, field: str) -> None:
    """Refuse one more of something past the limit the member's trust level sets within ``window`` (moderators have none).

    The oldest of the last ``limit`` rows says when one leaves the window, and so when to try again.
    """
    if user.is_moderator:
        return
    limit = limits[trust_level(user)]
    since = utcnow() - window
    recent = list(db.session.scalars(
        sa.select(made_at).where(by == user.id, made_at > since).order_by(made_at.desc()).limit(limit)
    ))
    if len(recent) >= limit:
        wait = int((recent[-1] - since).total_seconds())
        raise TooSoon(_wait_message(what, limit, per, wait), retry_after=wait, field=field)


def check_posting_rate(user: Any) -> None:
    """Refuse a post past the hourly limit of the author's trust level."""
    _check_rate(user, Post.created_at, Post.author_id, POSTS_PER_HOUR, timedelta(hours=1), "posted", "hour", "body")


def check_flagging_rate(user: Any) -> None:
    """Refuse a flag past the daily limit of the member's trust level."""
    _check_rate(user, Flag.created_at, Flag.flagger_id, FLAGS_PER_DAY, timedelta(days=1), "flagged posts", "day", "reason")


def held_first_posts() -> int:
    """How many of a new member's first posts wait for a moderator."""
    return max(current_app.config.get("COP_FORUM_HELD_FIRST_POSTS", 3), 0)


def must_wait_for_moderator(user: Any) -> bool:
    """A new member's first posts wait in the queue; trust set by a moderator, or posts approved, end that."""
    if user.is_moderator:
        return False
    member = member_for(user)
    if member is None:
        return held_first_posts() > 0
    if member.trust_set_by_moderator and member.trust_level > 0:
        return False
    return member.trust_level == 0 and member.approved_posts < held_first_posts()


def links_allowed(user: Any) -> Optional[int]:
    """How many links a post may hold: few for a new member, any number once trusted a little."""
    if trust_level(user) > 0:
        return None
    return max(current_app.config.get("COP_FORUM_NEW_MEMBER_LINKS", 2), 0)


def flag_counts(user: Any) -> bool:
    """Whether this member's flags count towards hiding a post before a moderator decides."""
    return trust_level(user) >= COUNTING_FLAGS_FROM
