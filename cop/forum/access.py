"""Who may see and who may moderate each part of the forum.

What a person may not see is answered as if it did not exist (cop.errors.NotFound, a 404), so a private
category never shows that it is there. A moderator acting where they may not is refused (PermissionDenied).
Site moderators and site admins moderate everywhere; an agency's admins moderate its private category only.
"""

from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa

from cop.accounts.services import is_signed_in
from cop.clock import utcnow
from cop.errors import NotFound, PermissionDenied
from cop.forum.models import Category, Post, Thread


def is_site_moderator(actor: Any) -> bool:
    """Site moderators and site admins: they moderate every category and every member's standing."""
    return is_signed_in(actor) and actor.is_moderator


def can_see_category(actor: Any, category: Category) -> bool:
    """Public categories are everyone's, members' categories anyone signed in; an agency's its members' and site moderators'."""
    if category.visibility == "public":
        return True
    if not is_signed_in(actor):
        return False
    if category.visibility == "members":
        return True
    return actor.agency_id == category.agency_id or actor.is_moderator


def visible_categories(actor: Any) -> sa.ColumnElement[bool]:
    """The condition can_see_category states, for a query over categories."""
    if not is_signed_in(actor):
        return Category.visibility == "public"
    if actor.is_moderator:
        return sa.true()
    allowed = [Category.visibility.in_(("public", "members"))]
    if actor.agency_id is not None:
        allowed.append(Category.agency_id == actor.agency_id)
    return sa.or_(*allowed)


def audience(actor: Any) -> str:
    """Who sees the same categories as this person: visitors, members, one agency's members, or site moderators."""
    if not is_signed_in(actor):
        return "public"
    if actor.is_moderator:
        return "moderators"
    return f"agency-{actor.agency_id}" if actor.agency_id is not None else "members"


def can_moderate(actor: Any, category: Category) -> bool:
    """Site moderators everywhere; an agency's admins in that agency's private category."""
    if not is_signed_in(actor):
        return False
    if actor.is_moderator:
        return True
    return category.visibility == "agency" and actor.is_agency_admin and actor.agency_id == category.agency_id


def moderates_anything(actor: Any) -> bool:
    """Whether the header and /admin offer this person the moderation pages."""
    return is_signed_in(actor) and (actor.is_moderator or (actor.is_agency_admin and actor.agency_id is not None))


def moderated_categories(actor: Any) -> sa.ColumnElement[bool]:
    """The condition can_moderate states, for a query over categories."""
    if not is_signed_in(actor):
        return sa.false()
    if actor.is_moderator:
        return sa.true()
    if actor.is_agency_admin and actor.agency_id is not None:
        return sa.and_(Category.visibility == "agency", Category.agency_id == actor.agency_id)
    return sa.false()


def require_moderator(actor: Any, category: Category) -> None:
    """Refuse a moderator's action outside the categories they moderate."""
    if not can_moderate(actor, category):
        raise PermissionDenied("Only the moderators of this category can do that.")


def require_site_moderator(actor: Any) -> None:
    """Refuse actions on members' standing (suspend, silence, trust) and on watched words to all but site moderators."""
    if not is_site_moderator(actor):
        raise PermissionDenied("Only site moderators can do that.")


def thread_is_open(thread: Thread) -> bool:
    """A scheduled weekly topic is not open until its date."""
    return thread.opens_at is None or thread.opens_at <= utcnow()


def can_see_thread(actor: Any, thread: Thread) -> bool:
    """Its category is visible, and it is shown and open; a waiting thread to its author; everything to its moderators."""
    if not can_see_category(actor, thread.category):
        return False
    if can_moderate(actor, thread.category):
        return True
    if not thread_is_open(thread):
        return False
    if thread.state == "visible":
        return True
    return thread.state == "pending" and is_signed_in(actor) and actor.id == thread.author_id


def thread_opened() -> sa.ColumnElement[bool]:
    """The condition thread_is_open states, for a query over threads."""
    return sa.or_(Thread.opens_at.is_(None), Thread.opens_at <= utcnow())


def can_read_post(actor: Any, post: Post, moderator: bool) -> bool:
    """Shown posts are everyone's who sees the thread; the others their author's and their moderators'."""
    if post.state == "visible" or moderator:
        return True
    return is_signed_in(actor) and actor.id == post.author_id


def visible_posts(actor: Any, moderator: bool) -> sa.ColumnElement[bool]:
    """The condition can_read_post states, for a query over one thread's posts."""
    if moderator:
        return sa.true()
    if is_signed_in(actor):
        return sa.or_(Post.state == "visible", Post.author_id == actor.id)
    return Post.state == "visible"


def require_thread(actor: Any, thread: Optional[Thread]) -> Thread:
    """The thread, when the actor may see it; NotFound otherwise."""
    if thread is None or not can_see_thread(actor, thread):
        raise NotFound("There is no such thread, or you cannot see it.")
    return thread
