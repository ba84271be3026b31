"""The forum: categories, threads, posts and their history, who watches and has read what, members' standing,
flags, watched words, moderators' actions (the public log) and appeals against them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.agencies.models import Agency
from cop.cache import watch
from cop.clock import UTCDateTime, utcnow
from cop.extensions import db

if TYPE_CHECKING:
    from cop.accounts.models import User

#: Who sees a category: everyone, anyone signed in, or the members of one agency.
VISIBILITIES = {"public": "Everyone", "members": "Members only", "agency": "Members of one agency only"}
#: A post (or a thread, by its first post): shown, waiting in the moderation queue, hidden, or rejected.
POST_STATES = {"visible": "Shown", "pending": "Waiting for a moderator", "hidden": "Hidden", "rejected": "Rejected"}
#: Why a post is flagged.
FLAG_REASONS = {
    "spam": "Spam or advertising",
    "abusive": "Abusive or harassing",
    "off_topic": "Off-topic",
    "illegal": "Breaks the law (defamation, personal data, contempt)",
    "other": "Something else (say what)",
}
#: Reasons a moderator's action can give: the flag reasons, and the forum's own.
ACTION_REASONS = {
    **FLAG_REASONS,
    "new_member": "A new member's first posts wait for a moderator",
    "watched_word": "It uses a watched word",
    "community_flags": "Members the forum trusts flagged it",
    "guidelines": "Against the community guidelines",
    "heated": "The discussion grew heated",
    "duplicate": "It repeats another thread",
    "wrong_place": "It belongs in another category",
    "accepted": "It meets the guidelines",
    "appeal": "An appeal",
}
#: What a moderator (or the forum itself) can do; each is a row in the public log.
ACTION_KINDS = {
    "approve": "Approved a post",
    "reject": "Rejected a post",
    "hide": "Hid a post",
    "restore": "Restored a post",
    "edit": "Edited a post",
    "lock": "Locked a thread",
    "unlock": "Unlocked a thread",
    "pin": "Pinned a thread",
    "unpin": "Unpinned a thread",
    "move": "Moved a thread",
    "slow_mode": "Set slow mode",
    "suspend": "Suspended a member",
    "silence": "Silenced a member",
    "lift": "Lifted a member's suspension or silence",
    "trust": "Set a member's trust level",
    "dismiss_flags": "Dismissed flags on a post",
    "appeal_upheld": "Upheld an appeal",
    "appeal_denied": "Turned down an appeal",
}
#: Trust levels, lowest first. A new member's first posts wait for a moderator and may hold few links.
TRUST_LEVELS = {0: "New", 1: "Basic", 2: "Member", 3: "Trusted"}
#: What a watched word does to a post that uses it.
WATCHED_WORD_ACTIONS = {"block": "Refuse the post", "hold": "Hold it for a moderator", "flag": "Flag it for review"}
#: Slow mode choices: seconds between one member's posts (0: off).
SLOW_MODE_CHOICES = {0: "Off", 60: "1 minute", 300: "5 minutes", 900: "15 minutes", 3600: "1 hour", 86400: "1 day"}

MAX_TITLE_LENGTH = 200
MAX_POST_LENGTH = 50_000
MAX_REASON_NOTE_LENGTH = 1000
MAX_APPEAL_LENGTH = 5000


class Category(db.Model):
    """A place for threads on one subject, seen by everyone, by members, or by one agency's members."""

    __tablename__ = "forum_categories"
    __table_args__ = (
        sa.CheckConstraint("visibility IN ('public', 'members', 'agency')", name="visibility_known"),
        sa.CheckConstraint("(visibility = 'agency') = (agency_id IS NOT NULL)", name="agency_when_private"),
        sa.CheckConstraint("slow_mode_seconds >= 0", name="slow_mode_positive"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    description: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: Order on the forum's front page, lowest first.
    position: so.Mapped[int] = so.mapped_column(default=0)
    #: A key of VISIBILITIES.
    visibility: so.Mapped[str] = so.mapped_column(sa.String(10), default="public")
    #: The agency whose members alone see it, for visibility "agency"; its admins moderate it.
    agency_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True)
    #: Seconds a member waits between posts anywhere in the category (0: off).
    slow_mode_seconds: so.Mapped[int] = so.mapped_column(default=0)
    #: Shown threads and posts, kept by the services so the front page counts nothing.
    thread_count: so.Mapped[int] = so.mapped_column(default=0)
    post_count: so.Mapped[int] = so.mapped_column(default=0)
    last_post_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    agency: so.Mapped[Optional[Agency]] = so.relationship()


class Thread(db.Model):
    """A conversation in a category: its first post and the replies."""

    __tablename__ = "forum_threads"
    __table_args__ = (
        sa.CheckConstraint("state IN ('visible', 'pending', 'hidden', 'rejected')", name="state_known"),
        sa.CheckConstraint("slow_mode_seconds >= 0", name="slow_mode_positive"),
        # A category's page: pinned first, then the latest activity.
        sa.Index("ix_forum_threads_listing", "category_id", "state", "pinned", "last_post_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    category_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forum_categories.id", ondelete="CASCADE"))
    author_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(MAX_TITLE_LENGTH))
    #: The first post's state: a thread whose first post waits, waits with it.
    state: so.Mapped[str] = so.mapped_column(sa.String(10), default="visible")
    locked: so.Mapped[bool] = so.mapped_column(default=False)
    pinned: so.Mapped[bool] = so.mapped_column(default=False)
    slow_mode_seconds: so.Mapped[int] = so.mapped_column(default=0)
    #: A weekly topic opens on this date; until then only moderators see it. None: open from the start.
    opens_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime(), index=True)
    #: When the category's watchers were told a scheduled topic opened.
    announced_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: The last number given to a post here; each post takes the next by one UPDATE, so two replies never share one.
    posts_made: so.Mapped[int] = so.mapped_column(default=0)
    #: Shown posts (the first included), and the number and time of the last of them.
    post_count: so.Mapped[int] = so.mapped_column(default=0)
    last_number: so.Mapped[int] = so.mapped_column(default=0)
    last_post_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    category: so.Mapped[Category] = so.relationship()
    author: so.Mapped[Optional["User"]] = so.relationship()


class Post(db.Model):
    """What one member wrote in a thread, in Markdown, with the safe HTML it renders to."""

    __tablename__ = "forum_posts"
    __table_args__ = (
        sa.CheckConstraint("state IN ('visible', 'pending', 'hidden', 'rejected')", name="state_known"),
        sa.UniqueConstraint("thread_id", "number", name="uq_forum_posts_number"),
        # The posting limits and slow mode count a member's recent posts.
        sa.Index("ix_forum_posts_author_recent", "author_id", "created_at"),
        sa.Index("ix_forum_posts_queue", "state", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    thread_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forum_threads.id", ondelete="CASCADE"))
    #: 1 for the thread's first post, then in the order they were written.
    number: so.Mapped[int] = so.mapped_column()
    author_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    #: body rendered by cop.text.markdown (mentions linked), kept so that a page of posts renders nothing.
    body_html: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    state: so.Mapped[str] = so.mapped_column(sa.String(10), default="visible")
    #: The post this one quotes, when it does.
    quoted_post_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("forum_posts.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    edited_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: Flags not yet decided, from members trusted enough to count (see moderation.FLAGS_TO_HIDE).
    open_flag_weight: so.Mapped[int] = so.mapped_column(default=0)

    thread: so.Mapped[Thread] = so.relationship()
    author: so.Mapped[Optional["User"]] = so.relationship(foreign_keys=[author_id])


class PostRevision(db.Model):
    """What a post said before an edit: the original is never lost, and moderators see every version."""

    __tablename__ = "forum_post_revisions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    post_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    #: The body before this edit.
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    editor_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: A moderator's reason; empty when the author edited.
    reason: so.Mapped[str] = so.mapped_column(sa.String(MAX_REASON_NOTE_LENGTH), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    editor: so.Mapped[Optional["User"]] = so.relationship()


class ThreadWatch(db.Model):
    """A member is told of new posts in a thread."""

    __tablename__ = "forum_thread_watches"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    thread_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True, index=True)


class CategoryWatch(db.Model):
    """A member is told of new threads in a category."""

    __tablename__ = "forum_category_watches"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    category_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forum_categories.id", ondelete="CASCADE"), primary_key=True, index=True)


class ThreadRead(db.Model):
    """How far a member has read a thread: posts numbered above it are new to them."""

    __tablename__ = "forum_thread_reads"

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    thread_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forum_threads.id", ondelete="CASCADE"), primary_key=True)
    last_read_number: so.Mapped[int] = so.mapped_column(default=0)


class Member(db.Model):
    """A person's standing in the forum: trust, what they have had approved, and any suspension or silence."""

    __tablename__ = "forum_members"
    __table_args__ = (sa.CheckConstraint("trust_level BETWEEN 0 AND 3", name="trust_level_known"),)

    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    #: A key of TRUST_LEVELS: grown by the services from approved posts and time, unless a moderator set it.
    trust_level: so.Mapped[int] = so.mapped_column(default=0)
    trust_set_by_moderator: so.Mapped[bool] = so.mapped_column(default=False)
    #: Posts shown, whether at once or after a moderator approved them.
    approved_posts: so.Mapped[int] = so.mapped_column(default=0)
    #: Until when they may not post or flag; None: not suspended.
    suspended_until: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: Silenced: may read but not post, until this time (far in the future for "until lifted").
    silenced_until: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: The reason they are shown while suspended or silenced.
    restriction_reason: so.Mapped[str] = so.mapped_column(sa.String(MAX_REASON_NOTE_LENGTH), default="")
    #: A daily mail of what is new in what they watch.
    wants_digest: so.Mapped[bool] = so.mapped_column(default=True)
    last_digest_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())

    user: so.Mapped["User"] = so.relationship()


class Flag(db.Model):
    """A member's report that a post breaks the guidelines, waiting for a moderator's review."""

    __tablename__ = "forum_flags"
    __table_args__ = (
        sa.CheckConstraint("reason IN ('spam', 'abusive', 'off_topic', 'illegal', 'other')", name="reason_known"),
        # Once per member and post; the forum's own flags (watched words) have no member.
        sa.UniqueConstraint("post_id", "flagger_id", name="uq_forum_flags_once"),
        sa.Index("ix_forum_flags_open", "resolved_at", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    post_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forum_posts.id", ondelete="CASCADE"), index=True)
    #: None when the forum flagged it itself (a watched word).
    flagger_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: so.Mapped[str] = so.mapped_column(sa.String(10))
    note: so.Mapped[str] = so.mapped_column(sa.String(MAX_REASON_NOTE_LENGTH), default="")
    #: Whether it counts towards hiding the post before a moderator decides (from a trusted member).
    counts: so.Mapped[bool] = so.mapped_column(default=False)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: "upheld" (the post was hidden or rejected) or "dismissed".
    resolution: so.Mapped[Optional[str]] = so.mapped_column(sa.String(10))

    post: so.Mapped[Post] = so.relationship()
    flagger: so.Mapped[Optional["User"]] = so.relationship()


class WatchedWord(db.Model):
    """A word or phrase that blocks a post, holds it for review, or flags it."""

    __tablename__ = "forum_watched_words"
    __table_args__ = (sa.CheckConstraint("action IN ('block', 'hold', 'flag')", name="action_known"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Lower case; matched as whole words.
    phrase: so.Mapped[str] = so.mapped_column(sa.String(100), unique=True)
    action: so.Mapped[str] = so.mapped_column(sa.String(5))
    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)


class ModerationAction(db.Model):
    """One thing a moderator (or the forum itself) did to a post, thread, category or member: the public log."""

    __tablename__ = "forum_moderation_actions"
    __table_args__ = (sa.Index("ix_forum_actions_time", "created_at", "id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: A key of ACTION_KINDS.
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: None when the forum acted itself (a new member's post held, community flags, a watched word).
    moderator_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: The member whose content or account it touched: they are told, and may appeal.
    target_user_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    post_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("forum_posts.id", ondelete="SET NULL"))
    thread_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("forum_threads.id", ondelete="SET NULL"))
    #: The category it happened in (for a move: where the thread went), which decides who may read the target.
    category_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("forum_categories.id", ondelete="SET NULL"))
    #: A key of ACTION_REASONS.
    reason: so.Mapped[str] = so.mapped_column(sa.String(20))
    #: The moderator's words to the member.
    note: so.Mapped[str] = so.mapped_column(sa.String(MAX_REASON_NOTE_LENGTH), default="")
    #: What changed, in words: "until 9 December 2026", "from Strategy", "trust 1 to 3", "5 minutes".
    detail: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    #: What undoing it needs (the category a thread came from, the trust level before), read by appeals.
    previous: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    #: The action an appeal decision answers.
    appeal_of_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("forum_moderation_actions.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    moderator: so.Mapped[Optional["User"]] = so.relationship(foreign_keys=[moderator_id])
    target_user: so.Mapped[Optional["User"]] = so.relationship(foreign_keys=[target_user_id])
    post: so.Mapped[Optional[Post]] = so.relationship()
    thread: so.Mapped[Optional[Thread]] = so.relationship()
    category: so.Mapped[Optional[Category]] = so.relationship()


class Appeal(db.Model):
    """A member asks for a moderator's action to be looked at again: once per action, by another moderator."""

    __tablename__ = "forum_appeals"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    action_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forum_moderation_actions.id", ondelete="CASCADE"), unique=True)
    appellant_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    statement: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    decided_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    decided_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: "upheld" (the action was undone) or "denied".
    outcome: so.Mapped[Optional[str]] = so.mapped_column(sa.String(10))
    #: The deciding moderator's words to the member.
    decision_note: so.Mapped[str] = so.mapped_column(sa.String(MAX_REASON_NOTE_LENGTH), default="")

    action: so.Mapped[ModerationAction] = so.relationship()
    appellant: so.Mapped[Optional["User"]] = so.relationship(foreign_keys=[appellant_id])
    decided_by: so.Mapped[Optional["User"]] = so.relationship(foreign_keys=[decided_by_id])


# Forum pages anonymous visitors see are kept under the forum's own scope, so a new post makes only them afresh.
watch(Category, Thread, PostRevision, ModerationAction, Appeal, scope="forum")
watch(Post, ignoring=("open_flag_weight",), scope="forum")
