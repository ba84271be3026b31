"""Moderation: the queue, flags, what moderators do to posts, threads, categories and members, and due process.

Every action is a row of the public log (ModerationAction) written in the same transaction as the change, and
the member it touches is told, with the reason, and may appeal it once; a different moderator decides the appeal,
and an appeal's decision is final. Services add and flush; the caller commits once.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from cop.accounts.models import User
from cop.accounts.services import is_signed_in
from cop.clock import utcnow
from cop.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.extensions import db
from cop.forum import access, services, standing
from cop.forum.models import (
    ACTION_KINDS, ACTION_REASONS, FLAG_REASONS, MAX_APPEAL_LENGTH, MAX_REASON_NOTE_LENGTH, SLOW_MODE_CHOICES, TRUST_LEVELS,
    WATCHED_WORD_ACTIONS, Appeal, Category, Flag, ModerationAction, Post, PostRevision, Thread, WatchedWord,
)
from cop.notifications.services import notify, register_kind
from cop.urls import site_path

log = logging.getLogger(__name__)

ACTED = register_kind("forum_moderation", "A moderator acts on your forum post or account, or decides your appeal").name
APPEALED = register_kind("forum_appeal", "A member appeals a forum moderator's action", mail_by_default=False).name

#: Actions that undo another, and so cannot themselves be appealed by the member they favour.
_APPEAL_DECISIONS = ("appeal_upheld", "appeal_denied")
#: The longest suspension or silence a moderator can set at once, in days.
MAX_RESTRICTION_DAYS = 3650


def _reason(reason: str, note: str, allowed: dict[str, str] = ACTION_REASONS) -> tuple[str, str]:
    note = (note or "").strip()
    if reason not in allowed:
        raise ServiceError("Choose a reason.", field="reason")
    if len(note) > MAX_REASON_NOTE_LENGTH:
        raise ServiceError(f"The note must be {MAX_REASON_NOTE_LENGTH} characters or fewer.", field="note")
    if reason == "other" and not note:
        raise ServiceError("Say what the reason is: the member is shown it.", field="note")
    return reason, note


def record_action(moderator: Any, kind: str, target: Optional[User], reason: str, note: str = "", post: Optional[Post] = None,
                  thread: Optional[Thread] = None, category: Optional[Category] = None, detail: str = "", previous: str = "",
                  appeal_of: Optional[ModerationAction] = None) -> ModerationAction:
    """Log an action and tell the member it touched, with the reason and how to appeal."""
    if post is not None and thread is None:
        thread = post.thread
    if thread is not None and category is None:
        category = thread.category
    action = ModerationAction(
        kind=kind, moderator_id=moderator.id if is_signed_in(moderator) else None,
        target_user_id=target.id if target is not None else None, post_id=post.id if post else None,
        thread_id=thread.id if thread else None, category_id=category.id if category else None,
        reason=reason, note=note, detail=detail[:200], previous=previous[:200], appeal_of_id=appeal_of.id if appeal_of else None,
    )
    db.session.add(action)
    db.session.flush()
    if target is not None and (not is_signed_in(moderator) or target.id != moderator.id):
        words = ACTION_REASONS.get(reason, reason)
        title = f"{ACTION_KINDS[kind]}: {words.lower() if reason != 'other' else note}"
        if kind not in _APPEAL_DECISIONS:
            title += ". You can appeal"
        notify(target, ACTED, title[:300], site_path("forum.log_entry", action_id=action.id))
    log.info("forum action %s: %s by %s on user %s post %s thread %s (%s)", action.id, kind,
             action.moderator_id, action.target_user_id, action.post_id, action.thread_id, reason)
    return action


def _add_once(row: Any, message: str) -> None:
    """Add a row that a unique index allows once; the loser of two requests racing to add it is told so (a Conflict)."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except sa.exc.IntegrityError as error:
        raise Conflict(message) from error


def _resolve_flags(post: Post, resolution: str) -> None:
    db.session.execute(
        sa.update(Flag).where(Flag.post_id == post.id, Flag.resolved_at.is_(None)).values(resolved_at=utcnow(), resolution=resolution)
    )
    post.open_flag_weight = 0


def _set_post_state(post: Post, state: str) -> None:
    """Change a post's state, and its thread's when it is the first post, keeping counts and search in step."""
    was = post.state
    post.state = state
    if post.number == 1 and post.thread.state != state:
        post.thread.state = state
    db.session.flush()
    if state == "visible" and was != "visible":
        services.post_shown(post, announce=was == "pending")
        if post.number == 1 and was == "pending":
            services.tell_category_watchers(post.thread, post)
    elif was == "visible" and state != "visible":
        services.post_withdrawn(post)
    else:
        services.refresh_counts(post.thread)


def _moderating(actor: Any, post: Post) -> Thread:
    thread = post.thread
    access.require_moderator(actor, thread.category)
    return thread


def approve(actor: Any, post: Post, note: str = "") -> ModerationAction:
    """Show a post that waited in the queue."""
    _moderating(actor, post)
    if post.state != "pending":
        raise Conflict("That post is not waiting for a moderator.")
    _set_post_state(post, "visible")
    _resolve_flags(post, "dismissed")
    return record_action(actor, "approve", post.author, "accepted", note, post=post)


def reject(actor: Any, post: Post, reason: str, note: str = "") -> ModerationAction:
    """Turn down a post that waited in the queue; its author is told why."""
    _moderating(actor, post)
    if post.state != "pending":
        raise Conflict("That post is not waiting for a moderator.")
    reason, note = _reason(reason, note)
    _set_post_state(post, "rejected")
    _resolve_flags(post, "upheld")
    return record_action(actor, "reject", post.author, reason, note, post=post)


def hide(actor: Any, post: Post, reason: str, note: str = "") -> ModerationAction:
    """Hide a shown post (or one that the flags hid until now); its author is told why."""
    _moderating(actor, post)
    if post.state == "hidden" and post.open_flag_weight == 0:
        raise Conflict("That post is hidden already.")
    if post.state in ("rejected",):
        raise Conflict("That post was rejected: it is not shown.")
    reason, note = _reason(reason, note)
    if post.state != "hidden":
        _set_post_state(post, "hidden")
    _resolve_flags(post, "upheld")
    return record_action(actor, "hide", post.author, reason, note, post=post)


def restore(actor: Any, post: Post, note: str = "") -> ModerationAction:
    """Show a hidden post again."""
    _moderating(actor, post)
    if post.state != "hidden":
        raise Conflict("That post is not hidden.")
    _set_post_state(post, "visible")
    _resolve_flags(post, "dismissed")
    return record_action(actor, "restore", post.author, "accepted", note, post=post)


def dismiss_flags(actor: Any, post: Post, note: str = "") -> ModerationAction:
    """Decide a flagged post is fine: the flags close, and a post the flags hid is shown again."""
    _moderating(actor, post)
    open_flags = db.session.scalar(sa.select(sa.func.count(Flag.id)).where(Flag.post_id == post.id, Flag.resolved_at.is_(None)))
    if not open_flags:
        raise Conflict("That post has no flags waiting.")
    if post.state == "hidden":
        _set_post_state(post, "visible")
    _resolve_flags(post, "dismissed")
    return record_action(actor, "dismiss_flags", post.author, "accepted", note, post=post)


# ---------------------------------------------------------------- threads and categories


def set_locked(actor: Any, thread: Thread, locked: bool, reason: str = "heated", note: str = "") -> ModerationAction:
    """Lock a thread (nobody replies) or unlock it."""
    access.require_moderator(actor, thread.category)
    if thread.locked == locked:
        raise Conflict("That thread is locked already." if locked else "That thread is not locked.")
    reason, note = _reason(reason, note) if locked else ("accepted", (note or "").strip()[:MAX_REASON_NOTE_LENGTH])
    thread.locked = locked
    db.session.flush()
    return record_action(actor, "lock" if locked else "unlock", thread.author, reason, note, thread=thread)


def set_pinned(actor: Any, thread: Thread, pinned: bool, note: str = "") -> ModerationAction:
    """Pin a thread to the top of its category, or unpin it."""
    access.require_moderator(actor, thread.category)
    if thread.pinned == pinned:
        raise Conflict("That thread is pinned already." if pinned else "That thread is not pinned.")
    thread.pinned = pinned
    db.session.flush()
    return record_action(actor, "pin" if pinned else "unpin", None, "accepted", (note or "").strip()[:MAX_REASON_NOTE_LENGTH], thread=thread)


def move_thread(actor: Any, thread: Thread, category: Category, reason: str = "wrong_place", note: str = "") -> ModerationAction:
    """Move a thread to another category; the moderator must moderate both."""
    access.require_moderator(actor, thread.category)
    access.require_moderator(actor, category)
    if category.id == thread.category_id:
        raise ServiceError("The thread is in that category already.", field="category_id")
    reason, note = _reason(reason, note)
    old = thread.category
    thread.category_id, thread.category = category.id, category
    db.session.flush()
    services.refresh_category_counts(old.id)
    services.refresh_category_counts(category.id)
    return record_action(actor, "move", thread.author, reason, note, thread=thread, category=category,
                         detail=f"from {old.name} to {category.name}", previous=str(old.id))


def _slow_detail(seconds: int) -> str:
    return SLOW_MODE_CHOICES.get(seconds, f"{seconds} seconds")


def set_slow_mode(actor: Any, seconds: int, thread: Optional[Thread] = None, category: Optional[Category] = None,
                  note: str = "") -> ModerationAction:
    """One post per member per interval in a thread or a whole category (0 turns it off)."""
    where = thread.category if thread is not None else category
    access.require_moderator(actor, where)
    if seconds not in SLOW_MODE_CHOICES:
        raise ServiceError("Choose how long members wait between posts.", field="seconds")
    target = thread if thread is not None else category
    if target.slow_mode_seconds == seconds:
        raise Conflict("Slow mode is set to that already.")
    previous = target.slow_mode_seconds
    target.slow_mode_seconds = seconds
    db.session.flush()
    return record_action(actor, "slow_mode", None, "heated" if seconds else "accepted", (note or "").strip()[:MAX_REASON_NOTE_LENGTH],
                         thread=thread, category=category if thread is None else None,
                         detail=f"slow mode {_slow_detail(seconds).lower()}", previous=str(previous))


# ---------------------------------------------------------------- members


def restrict(actor: Any, user: User, kind: str, reason: str, note: str = "", days: Optional[int] = None) -> ModerationAction:
    """Suspend a member for some days (no posting or flagging), or silence them (no posting) for some days or until lifted."""
    access.require_site_moderator(actor)
    if kind not in ("suspend", "silence"):
        raise ServiceError("Choose to suspend or to silence.", field="kind")
    if user.id == actor.id:
        raise PermissionDenied("You cannot suspend or silence yourself.")
    if user.is_moderator:
        raise PermissionDenied("A moderator's standing is for a site admin to change, through their role.")
    if kind == "suspend" and not days:
        raise ServiceError("Say for how many days the suspension lasts.", field="days")
    if days is not None and not 1 <= days <= MAX_RESTRICTION_DAYS:
        raise ServiceError(f"Enter a number of days from 1 to {MAX_RESTRICTION_DAYS}.", field="days")
    reason, note = _reason(reason, note)
    member = standing.member_row(user)
    until = utcnow() + (timedelta(days=days) if days else standing.UNTIL_LIFTED)
    if kind == "suspend":
        member.suspended_until = until
    else:
        member.silenced_until = until
    member.restriction_reason = note or ACTION_REASONS[reason]
    db.session.flush()
    detail = f"for {days} day{'s' if days != 1 else ''}, until {until:%-d %B %Y}" if days else "until lifted"
    return record_action(actor, kind, user, reason, note, detail=detail)


def lift(actor: Any, user: User, note: str = "") -> ModerationAction:
    """End a member's suspension or silence."""
    access.require_site_moderator(actor)
    member = standing.member_for(user)
    if member is None or standing.restriction(user) is None:
        raise Conflict("That member is neither suspended nor silenced.")
    member.suspended_until = member.silenced_until = None
    member.restriction_reason = ""
    db.session.flush()
    return record_action(actor, "lift", user, "accepted", (note or "").strip()[:MAX_REASON_NOTE_LENGTH])


def set_trust(actor: Any, user: User, level: int, note: str = "") -> ModerationAction:
    """Set a member's trust level by hand: it no longer grows on its own."""
    access.require_site_moderator(actor)
    if level not in TRUST_LEVELS:
        raise ServiceError("Choose a trust level.", field="level")
    member = standing.member_row(user)
    if member.trust_level == level and member.trust_set_by_moderator:
        raise Conflict("That member has that trust level already.")
    previous = member.trust_level
    member.trust_level, member.trust_set_by_moderator = level, True
    db.session.flush()
    return record_action(actor, "trust", user, "accepted", (note or "").strip()[:MAX_REASON_NOTE_LENGTH],
                         detail=f"from {TRUST_LEVELS[previous]} to {TRUST_LEVELS[level]}", previous=str(previous))


# ---------------------------------------------------------------- flags


def flag_post(actor: Any, post: Post, reason: str, note: str = "") -> Flag:
    """Report a post to the moderators; enough flags from trusted members hide it until a moderator decides."""
    if not is_signed_in(actor):
        raise PermissionDenied("Sign in to flag a post.")
    thread = access.require_thread(actor, post.thread)
    if not access.can_read_post(actor, post, access.can_moderate(actor, thread.category)):
        raise NotFound("There is no such post, or you cannot see it.")
    if post.author_id == actor.id:
        raise ServiceError("You cannot flag your own post. Edit it instead.", field="reason")
    if post.state != "visible":
        raise Conflict("That post is not shown: there is nothing to flag.")
    if reason not in FLAG_REASONS:
        raise ServiceError("Choose why you flag the post.", field="reason")
    note = (note or "").strip()
    if reason == "other" and not note:
        raise ServiceError("Say what is wrong with the post.", field="note")
    if len(note) > MAX_REASON_NOTE_LENGTH:
        raise ServiceError(f"The note must be {MAX_REASON_NOTE_LENGTH} characters or fewer.", field="note")
    if db.session.scalar(sa.select(Flag.id).where(Flag.post_id == post.id, Flag.flagger_id == actor.id)) is not None:
        raise Conflict("You have flagged this post already. The moderators will look at it.")
    standing.require_may_flag(actor)
    standing.check_flagging_rate(actor)
    counts = standing.flag_counts(actor)
    flag = Flag(post_id=post.id, flagger_id=actor.id, reason=reason, note=note, counts=counts)
    _add_once(flag, "You have flagged this post already. The moderators will look at it.")
    if counts:
        post.open_flag_weight += 1
    db.session.flush()
    if counts and post.open_flag_weight >= max(current_app.config.get("COP_FORUM_FLAGS_TO_HIDE", 3), 1):
        _set_post_state(post, "hidden")
        record_action(None, "hide", post.author, "community_flags", "", post=post,
                      detail=f"{post.open_flag_weight} flags from trusted members; a moderator will decide")
    log.info("user %s flagged post %s (%s)", actor.id, post.id, reason)
    return flag


def flag_by_forum(post: Post, word: Optional[str]) -> Flag:
    """The forum's own flag on a post that uses a watched word set to flag."""
    flag = Flag(post_id=post.id, flagger_id=None, reason="other", note=f"Uses the watched word “{word}”", counts=False)
    db.session.add(flag)
    db.session.flush()
    return flag


# ---------------------------------------------------------------- the queue


def pending_posts(actor: Any, limit: int = 50) -> list[Post]:
    """Posts waiting for a moderator, oldest first, in the categories the actor moderates."""
    return list(db.session.scalars(
        sa.select(Post).join(Thread, Post.thread_id == Thread.id).join(Category, Thread.category_id == Category.id)
        .where(Post.state == "pending", access.moderated_categories(actor))
        .options(so.contains_eager(Post.thread).contains_eager(Thread.category), so.joinedload(Post.author))
        .order_by(Post.created_at, Post.id).limit(limit)
    ))


def flagged_posts(actor: Any, limit: int = 50) -> list[tuple[Post, list[Flag]]]:
    """Posts with flags not yet decided, most flagged first, in the categories the actor moderates, with their flags."""
    open_flags = (
        sa.select(Flag.post_id, sa.func.count(Flag.id).label("n"), sa.func.min(Flag.created_at).label("first"))
        .where(Flag.resolved_at.is_(None)).group_by(Flag.post_id).subquery()
    )
    posts = list(db.session.scalars(
        sa.select(Post).join(open_flags, open_flags.c.post_id == Post.id)
        .join(Thread, Post.thread_id == Thread.id).join(Category, Thread.category_id == Category.id)
        .where(access.moderated_categories(actor))
        .options(so.contains_eager(Post.thread).contains_eager(Thread.category), so.joinedload(Post.author))
        .order_by(open_flags.c.n.desc(), open_flags.c.first).limit(limit)
    ))
    flags: dict[int, list[Flag]] = {p.id: [] for p in posts}
    if posts:
        for flag in db.session.scalars(
            sa.select(Flag).where(Flag.post_id.in_(flags), Flag.resolved_at.is_(None)).options(so.joinedload(Flag.flagger))
            .order_by(Flag.created_at)
        ):
            flags[flag.post_id].append(flag)
    return [(p, flags[p.id]) for p in posts]


def pending_appeals(actor: Any, limit: int = 50) -> list[Appeal]:
    """Appeals waiting for a decision that the actor may make: in their scope, and not against their own action."""
    stmt = (
        sa.select(Appeal).join(ModerationAction, Appeal.action_id == ModerationAction.id)
        .outerjoin(Category, ModerationAction.category_id == Category.id)
        .where(Appeal.decided_at.is_(None))
        .options(so.contains_eager(Appeal.action), so.joinedload(Appeal.appellant))
        .order_by(Appeal.created_at).limit(limit)
    )
    if not access.is_site_moderator(actor):
        stmt = stmt.where(ModerationAction.category_id.is_not(None), access.moderated_categories(actor))
    appeals = list(db.session.scalars(stmt))
    return [a for a in appeals if a.action.moderator_id != actor.id]


# ---------------------------------------------------------------- appeals


def get_action(action_id: int) -> ModerationAction:
    action = db.session.get(ModerationAction, action_id)
    if action is None:
        raise NotFound("There is no such entry in the moderation log.")
    return action


def can_appeal(actor: Any, action: ModerationAction) -> bool:
    """The member an action touched may appeal it, once; nobody appeals an appeal's decision or an approval."""
    return (
        is_signed_in(actor) and action.target_user_id == actor.id and action.kind not in _APPEAL_DECISIONS
        and action.kind not in ("approve", "restore", "unlock", "lift", "dismiss_flags")
        and db.session.scalar(sa.select(Appeal.id).where(Appeal.action_id == action.id)) is None
    )


def appeal(actor: Any, action: ModerationAction, statement: str) -> Appeal:
    """Ask for an action to be looked at again by another moderator."""
    if not is_signed_in(actor) or action.target_user_id != actor.id:
        raise PermissionDenied("Only the member this action touched can appeal it.")
    if action.kind in _APPEAL_DECISIONS:
        raise Conflict("This is the decision on an appeal, and it is final: it cannot be appealed.")
    if action.kind in ("approve", "restore", "unlock", "lift", "dismiss_flags"):
        raise Conflict("This action was in your favour: there is nothing to appeal.")
    if db.session.scalar(sa.select(Appeal.id).where(Appeal.action_id == action.id)) is not None:
        raise Conflict("You have appealed this action already. Each action can be appealed once.")
    statement = (statement or "").strip()
    if not statement:
        raise ServiceError("Say why the action should be undone.", field="statement")
    if len(statement) > MAX_APPEAL_LENGTH:
        raise ServiceError(f"An appeal must be {MAX_APPEAL_LENGTH:,} characters or fewer.", field="statement")
    found = Appeal(action_id=action.id, appellant_id=actor.id, statement=statement)
    _add_once(found, "You have appealed this action already. Each action can be appealed once.")
    for moderator in db.session.scalars(
        sa.select(User).where(User.site_role.in_(("moderator", "site_admin")), User.is_active.is_(True),
                              User.id != (action.moderator_id or 0)).limit(50)
    ):
        notify(moderator, APPEALED, f"{actor.display_name} appeals: {ACTION_KINDS[action.kind].lower()}", site_path("forum.queue"))
    log.info("user %s appealed forum action %s", actor.id, action.id)
    return found


def _undo(actor: Any, action: ModerationAction) -> None:
    """Put right what an upheld appeal's action did."""
    post, thread = action.post, action.thread
    if action.kind in ("hide", "reject") and post is not None and post.state in ("hidden", "rejected"):
        _set_post_state(post, "visible")
        _resolve_flags(post, "dismissed")
    elif action.kind == "edit" and post is not None:
        original = db.session.scalar(sa.select(PostRevision).where(PostRevision.post_id == post.id, PostRevision.created_at <= action.created_at)
                                     .order_by(PostRevision.created_at.desc(), PostRevision.id.desc()).limit(1))
        if original is not None:
            from cop.forum import writing

            db.session.add(PostRevision(post_id=post.id, body=post.body, editor_id=actor.id, reason="Appeal upheld: the edit undone"))
            post.body = original.body
            post.body_html = writing.render_post(post.body, writing.people_mentioned(writing.mentioned_handles(post.body)))
            post.edited_at = utcnow()
    elif action.kind in ("suspend", "silence") and action.target_user is not None:
        member = standing.member_row(action.target_user)
        member.suspended_until = member.silenced_until = None
        member.restriction_reason = ""
    elif action.kind == "lock" and thread is not None:
        thread.locked = False
    elif action.kind == "move" and thread is not None and action.previous.isdigit():
        back = db.session.get(Category, int(action.previous))
        if back is not None:
            current = thread.category_id
            thread.category_id, thread.category = back.id, back
            db.session.flush()
            services.refresh_category_counts(current)
            services.refresh_category_counts(back.id)
    elif action.kind == "trust" and action.target_user is not None and action.previous.isdigit():
        member = standing.member_row(action.target_user)
        member.trust_level = int(action.previous)
    elif action.kind == "slow_mode" and action.previous.isdigit():
        target = thread if thread is not None else action.category
        if target is not None:
            target.slow_mode_seconds = int(action.previous)
    db.session.flush()


def decide_appeal(actor: Any, found: Appeal, uphold: bool, note: str = "") -> ModerationAction:
    """A moderator other than the one who acted upholds the appeal (the action is undone) or turns it down."""
    action = found.action
    if action.category is not None:
        access.require_moderator(actor, action.category)
    else:
        access.require_site_moderator(actor)
    if action.moderator_id is not None and action.moderator_id == actor.id:
        raise PermissionDenied("Another moderator must decide an appeal against your own action.")
    if found.decided_at is not None:
        raise Conflict("That appeal has been decided.")
    note = (note or "").strip()
    if len(note) > MAX_REASON_NOTE_LENGTH:
        raise ServiceError(f"The note must be {MAX_REASON_NOTE_LENGTH} characters or fewer.", field="note")
    if not uphold and not note:
        raise ServiceError("Say why the appeal is turned down: the member is shown it.", field="note")
    if uphold:
        _undo(actor, action)
    found.decided_at, found.decided_by_id = utcnow(), actor.id
    found.outcome, found.decision_note = ("upheld" if uphold else "denied"), note
    db.session.flush()
    return record_action(actor, "appeal_upheld" if uphold else "appeal_denied", action.target_user, "appeal", note,
                         post=action.post, thread=action.thread, category=action.category,
                         detail=f"on: {ACTION_KINDS[action.kind].lower()}", appeal_of=action)


def appeal_for(action: ModerationAction) -> Optional[Appeal]:
    return db.session.scalar(sa.select(Appeal).where(Appeal.action_id == action.id))


# ---------------------------------------------------------------- watched words


def watched_words(actor: Any) -> list[WatchedWord]:
    access.require_site_moderator(actor)
    return list(db.session.scalars(sa.select(WatchedWord).order_by(WatchedWord.phrase)))


def add_watched_word(actor: Any, phrase: str, action: str) -> WatchedWord:
    """A word or phrase that blocks, holds or flags the posts that use it (site moderators)."""
    access.require_site_moderator(actor)
    phrase = " ".join((phrase or "").lower().split())
    if not phrase:
        raise ServiceError("Enter the word or phrase.", field="phrase")
    if len(phrase) > 100:
        raise ServiceError("A watched word must be 100 characters or fewer.", field="phrase")
    if action not in WATCHED_WORD_ACTIONS:
        raise ServiceError("Choose what the word does to a post.", field="action")
    if db.session.scalar(sa.select(WatchedWord.id).where(WatchedWord.phrase == phrase)) is not None:
        raise Conflict(f"“{phrase}” is watched already.", field="phrase")
    word = WatchedWord(phrase=phrase, action=action, created_by_id=actor.id)
    db.session.add(word)
    db.session.flush()
    log.info("user %s watches the word %r (%s)", actor.id, phrase, action)
    return word


def remove_watched_word(actor: Any, word_id: int) -> WatchedWord:
    access.require_site_moderator(actor)
    word = db.session.get(WatchedWord, word_id)
    if word is None:
        raise NotFound("That word is not watched.")
    db.session.delete(word)
    db.session.flush()
    return word


def member_standing(actor: Any, user: User) -> dict[str, Any]:
    """What a site moderator sees of a member: trust, posts, restriction, and the actions taken on them."""
    access.require_site_moderator(actor)
    member = standing.member_for(user)
    actions = list(db.session.scalars(
        sa.select(ModerationAction).where(ModerationAction.target_user_id == user.id)
        .order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc()).limit(50)
    ))
    return {"member": member, "trust": standing.trust_level(user), "restriction": standing.restriction(user), "actions": actions}
