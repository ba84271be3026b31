"""Weekly topics: a moderator schedules threads that open one a week, so a group works through a course together.

A scheduled thread exists from the start but nobody but its moderators sees it before its date
(cop.forum.access.thread_is_open); the periodic task opens it: counts it in, indexes it, tells the watchers.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.clock import utcnow
from cop.errors import ServiceError
from cop.extensions import db
from cop.forum import access, writing
from cop.forum.models import Category, Post, Thread
from cop.forum.services import index_for_search, next_number, refresh_counts, tell_category_watchers

log = logging.getLogger(__name__)

MAX_SCHEDULED = 26


def schedule_topics(actor: Any, category: Category, titles: list[str], first_day: Optional[date], intro: str,
                    hour: int = 9) -> list[Thread]:
    """Threads that open one a week from ``first_day`` (at ``hour`` UTC), so a group works through a course's topics."""
    access.require_moderator(actor, category)
    titles = [" ".join(t.split()) for t in titles if t and t.strip()]
    if not titles:
        raise ServiceError("Enter at least one topic, one per line.", field="titles")
    if len(titles) > MAX_SCHEDULED:
        raise ServiceError(f"Schedule at most {MAX_SCHEDULED} topics at once.", field="titles")
    for title in titles:
        writing.check_title(title)
    if first_day is None:
        raise ServiceError("Enter the date the first topic opens.", field="first_day")
    if first_day < utcnow().date():
        raise ServiceError("The first topic must open today or later.", field="first_day")
    intro = writing.check_body(intro, None)
    made = []
    for week, title in enumerate(titles):
        opens = datetime.combine(first_day + timedelta(weeks=week), time(hour), tzinfo=timezone.utc)
        thread = Thread(category_id=category.id, author_id=actor.id, title=title, state="visible", locked=False, pinned=False,
                        slow_mode_seconds=0, posts_made=0, post_count=0, last_number=0, last_post_at=opens, opens_at=opens)
        thread.category = category
        db.session.add(thread)
        db.session.flush()
        post = Post(thread_id=thread.id, number=next_number(thread), author_id=actor.id, body=intro, state="visible",
                    body_html=writing.render_post(intro, {}), created_at=opens, open_flag_weight=0)
        db.session.add(post)
        db.session.flush()
        made.append(thread)
    log.info("user %s scheduled %s weekly topics in %s", actor.id, len(made), category.slug)
    return made


def open_scheduled_topics() -> int:
    """Topics whose date has come: counted in, made findable, and told to the category's watchers (once each)."""
    due = list(db.session.scalars(
        sa.select(Thread).where(Thread.opens_at.is_not(None), Thread.opens_at <= utcnow(), Thread.announced_at.is_(None))
        .options(so.joinedload(Thread.category))
    ))
    for thread in due:
        thread.announced_at = utcnow()
        first = db.session.scalar(sa.select(Post).where(Post.thread_id == thread.id).order_by(Post.number).limit(1))
        if first is not None and first.state == "visible":
            refresh_counts(thread)
            index_for_search(first)
            tell_category_watchers(thread, first)
    return len(due)


def scheduled_topics(actor: Any, category: Category) -> list[Thread]:
    """The topics not yet open, soonest first: their moderators see them."""
    if not access.can_moderate(actor, category):
        return []
    return list(db.session.scalars(
        sa.select(Thread).where(Thread.category_id == category.id, Thread.opens_at > utcnow()).order_by(Thread.opens_at)
    ))
