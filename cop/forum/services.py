"""The forum: categories, threads and replies, edits, watching, what each member has read, and search.

Services add and flush; the caller (route, API, command or task) commits once. A post that is shown (at once,
or when a moderator approves it) is counted, indexed for search, and told to the people watching and mentioned,
all in the same transaction (``post_shown``). Moderators' actions are in cop.forum.moderation, weekly topics in
cop.forum.weekly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import User
from cop.accounts.services import is_signed_in
from cop.clock import utcnow
from cop.errors import NotFound, PermissionDenied, ServiceError
from cop.extensions import db, insert_unless_present
from cop.forum import access, standing, writing
from cop.forum.models import (
    MAX_REASON_NOTE_LENGTH, VISIBILITIES, Category, CategoryWatch, Flag, Post, PostRevision, Thread, ThreadRead, ThreadWatch,
)
from cop.notifications.services import notify, register_kind
from cop.text import search
from cop.text.markdown import markdown_to_text
from cop.text.slugs import slugify
from cop.urls import site_path

log = logging.getLogger(__name__)

SEARCH_KIND = "forum_post"
REPLY = register_kind("forum_reply", "Someone replies in a forum thread you watch", mail_by_default=False).name
NEW_THREAD = register_kind("forum_thread", "A new thread starts in a forum category you watch", mail_by_default=False).name
MENTION = register_kind("forum_mention", "Someone mentions you in the forum").name
QUEUE = register_kind("forum_queue", "A forum post waits for you as a moderator", mail_by_default=False).name


# ---------------------------------------------------------------- categories


@dataclass(frozen=True)
class CategoryInput:
    """What a site admin says about a category."""

    name: str
    description: str = ""
    visibility: str = "public"
    agency_id: Optional[int] = None
    position: int = 0


def _category_fields(data: CategoryInput) -> dict[str, Any]:
    name = " ".join((data.name or "").split())
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Enter the category's name."
    elif len(name) > 100:
        errors["name"] = "The name must be 100 characters or fewer."
    if len(data.description or "") > 2000:
        errors["description"] = "The description must be 2,000 characters or fewer."
    if data.visibility not in VISIBILITIES:
        errors["visibility"] = "Choose who sees the category."
    agency_id = data.agency_id if data.visibility == "agency" else None
    if data.visibility == "agency":
        from cop.agencies.models import Agency

        if data.agency_id is None or db.session.get(Agency, data.agency_id) is None:
            errors["agency_id"] = "Choose the agency whose members alone see it."
    if not -1000 <= (data.position or 0) <= 1000:
        errors["position"] = "The position must be a number from -1000 to 1000."
    if errors:
        first = next(iter(errors))
        raise ServiceError(errors[first], field=first, fields=errors)
    return {"name": name, "description": (data.description or "").strip(), "visibility": data.visibility,
            "agency_id": agency_id, "position": data.position or 0}


def create_category(actor: Any, data: CategoryInput) -> Category:
    """A new category (site admins)."""
    from cop.accounts.services import require_site_admin

    require_site_admin(actor)
    fields = _category_fields(data)
    base = slugify(fields["name"]) or "category"
    slug, n = base, 1
    while db.session.scalar(sa.select(Category.id).where(Category.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    category = Category(slug=slug, slow_mode_seconds=0, thread_count=0, post_count=0, **fields)
    db.session.add(category)
    db.session.flush()
    log.info("user %s made forum category %s", actor.id, slug)
    return category


def update_category(actor: Any, category: Category, data: CategoryInput) -> Category:
    """Change a category's name, description, place or who sees it (site admins)."""
    from cop.accounts.services import require_site_admin

    require_site_admin(actor)
    for key, value in _category_fields(data).items():
        setattr(category, key, value)
    db.session.flush()
    return category


def categories_for(actor: Any) -> list[Category]:
    """The categories this person may see, in their order."""
    return list(db.session.scalars(
        sa.select(Category).where(access.visible_categories(actor)).order_by(Category.position, Category.name)
    ))


def get_category(actor: Any, slug: str) -> Category:
    """The category, when the actor may see it; NotFound otherwise (a private category does not show it exists)."""
    category = db.session.scalar(sa.select(Category).where(Category.slug == slug))
    if category is None or not access.can_see_category(actor, category):
        raise NotFound("There is no such category, or you cannot see it.")
    return category


@dataclass
class ThreadRow:
    """A thread as a category's page lists it, with what is new to the reader."""

    thread: Thread
    #: Posts the reader has not read (None: never opened, or not signed in).
    unread: Optional[int]
    never_read: bool


def threads_page(actor: Any, category: Category, page: int, per_page: int):
    """A page of a category's threads: pinned first, then the latest activity; each with its unread count.

    Moderators' list holds every thread; a member's holds the threads shown (read in the listing index's
    order), and their own threads still waiting are in ``waiting_threads``."""
    moderator = access.can_moderate(actor, category)
    shown = sa.true() if moderator else sa.and_(Thread.state == "visible", access.thread_opened())
    stmt = (
        sa.select(Thread)
        .where(Thread.category_id == category.id, shown)
        .options(so.joinedload(Thread.author))
        .order_by(Thread.pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc())
    )
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    reads = _reads(actor, [t.id for t in pagination.items])
    pagination.rows = [
        ThreadRow(t, (max(t.last_number - reads[t.id], 0) if t.id in reads else None), is_signed_in(actor) and t.id not in reads)
        for t in pagination.items
    ]
    return pagination


def waiting_threads(actor: Any, category: Category) -> list[Thread]:
    """The member's own threads in the category that wait for a moderator (moderators see them in the list)."""
    if not is_signed_in(actor) or access.can_moderate(actor, category):
        return []
    return list(db.session.scalars(
        sa.select(Thread).where(Thread.author_id == actor.id, Thread.category_id == category.id, Thread.state == "pending")
        .order_by(Thread.created_at.desc())
    ))


def latest_threads_page(actor: Any, page: int, per_page: int):
    """A page of the threads shown in every category the actor may see, latest activity first; every thread
    (waiting and scheduled ones too) of the categories the actor moderates."""
    shown = sa.and_(Thread.state == "visible", access.thread_opened())
    stmt = (
        sa.select(Thread)
        .join(Category, Thread.category_id == Category.id)
        .where(access.visible_categories(actor), sa.or_(shown, access.moderated_categories(actor)))
        .options(so.contains_eager(Thread.category), so.joinedload(Thread.author))
        .order_by(Thread.last_post_at.desc(), Thread.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _reads(actor: Any, thread_ids: list[int]) -> dict[int, int]:
    if not is_signed_in(actor) or not thread_ids:
        return {}
    return dict(db.session.execute(
        sa.select(ThreadRead.thread_id, ThreadRead.last_read_number)
        .where(ThreadRead.user_id == actor.id, ThreadRead.thread_id.in_(thread_ids))
    ).all())


# ---------------------------------------------------------------- threads and posts


def get_thread(actor: Any, thread_id: int) -> Thread:
    """The thread, when the actor may see it; NotFound otherwise."""
    thread = db.session.get(Thread, thread_id, options=[so.joinedload(Thread.category)])
    return access.require_thread(actor, thread)


def get_post(actor: Any, post_id: int) -> Post:
    """A post the actor may read; NotFound otherwise."""
    post = db.session.get(Post, post_id, options=[so.joinedload(Post.thread).joinedload(Thread.category)])
    if post is None:
        raise NotFound("There is no such post, or you cannot see it.")
    thread = access.require_thread(actor, post.thread)
    if not access.can_read_post(actor, post, access.can_moderate(actor, thread.category)):
        raise NotFound("There is no such post, or you cannot see it.")
    return post


def posts_page(actor: Any, thread: Thread, page: int, per_page: int):
    """A page of a thread's posts in order, those the actor may read, each with its author and their agency."""
    moderator = access.can_moderate(actor, thread.category)
    stmt = (
        sa.select(Post)
        .where(Post.thread_id == thread.id, access.visible_posts(actor, moderator))
        .options(so.joinedload(Post.author).joinedload(User.agency))
        .order_by(Post.number)
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def page_of_post(actor: Any, post: Post, per_page: int) -> int:
    """The page of its thread a post is on, as the actor sees the thread."""
    moderator = access.can_moderate(actor, post.thread.category)
    before = db.session.scalar(
        sa.select(sa.func.count(Post.id)).where(
            Post.thread_id == post.thread_id, Post.number < post.number, access.visible_posts(actor, moderator)
        )
    ) or 0
    return before // per_page + 1


def last_read(actor: Any, thread: Thread) -> int:
    """The number of the last post the reader had read before this visit (0: none)."""
    if not is_signed_in(actor):
        return 0
    return db.session.scalar(
        sa.select(ThreadRead.last_read_number).where(ThreadRead.user_id == actor.id, ThreadRead.thread_id == thread.id)
    ) or 0


def mark_read(actor: Any, thread: Thread, up_to: int) -> None:
    """Remember that the reader has read a thread up to a post's number (never moving back)."""
    if not is_signed_in(actor) or up_to <= 0:
        return
    if not insert_unless_present(ThreadRead, {"user_id": actor.id, "thread_id": thread.id, "last_read_number": up_to}, "user_id", "thread_id"):
        db.session.execute(
            sa.update(ThreadRead)
            .where(ThreadRead.user_id == actor.id, ThreadRead.thread_id == thread.id, ThreadRead.last_read_number < up_to)
            .values(last_read_number=up_to)
        )


def _slow_mode_wait(actor: Any, thread: Thread) -> int:
    """Seconds the member must still wait before posting here, by the thread's or its category's slow mode."""
    waits = []
    for seconds, scope in ((thread.slow_mode_seconds, Post.thread_id == thread.id),
                           (thread.category.slow_mode_seconds, Thread.category_id == thread.category_id)):
        if not seconds:
            continue
        last = db.session.scalar(
            sa.select(sa.func.max(Post.created_at)).join(Thread, Post.thread_id == Thread.id)
            .where(Post.author_id == actor.id, scope, Post.created_at > utcnow() - timedelta(seconds=seconds))
        )
        if last is not None:
            waits.append(seconds - int((utcnow() - _aware(last)).total_seconds()))
    return max(waits, default=0)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _require_may_write(actor: Any, thread: Optional[Thread], category: Category) -> bool:
    """Every check before a post is taken; True when the actor moderates here (and so skips the queue and limits)."""
    from cop.errors import TooSoon

    if not is_signed_in(actor):
        raise PermissionDenied("Sign in to post.")
    if not actor.is_verified:
        raise PermissionDenied("Confirm your email address before you post: we sent you a link.")
    moderator = access.can_moderate(actor, category)
    standing.require_may_post(actor)
    if thread is not None and thread.locked and not moderator:
        raise PermissionDenied("This thread is locked: nobody can reply to it.")
    if thread is not None and not moderator:
        wait = _slow_mode_wait(actor, thread)
        if wait > 0:
            minutes = (wait + 59) // 60
            raise TooSoon(
                f"Slow mode is on here: you can post again in {minutes} minute{'s' if minutes != 1 else ''}.",
                retry_after=wait, field="body",
            )
    if not moderator:
        standing.check_posting_rate(actor)
    return moderator


def next_number(thread: Thread) -> int:
    """The number of a new post in the thread, taken by one UPDATE so that two replies at once never share one."""
    return db.session.execute(
        sa.update(Thread).where(Thread.id == thread.id).values(posts_made=Thread.posts_made + 1).returning(Thread.posts_made)
    ).scalar_one()


def _new_post(actor: Any, thread: Thread, body: str, moderator: bool, title: str = "", quoted: Optional[Post] = None) -> Post:
    """Check the words, number the post, and show it or hold it; the shared part of a new thread and a reply."""
    body = writing.check_body(body, None if moderator else standing.links_allowed(actor))
    action, word = (None, None) if moderator else writing.watched_word_action(title, body)
    if action == "block":
        raise ServiceError(f"Your post uses “{word}”, which this forum does not allow. Change it and post again.", field="body")
    held = action == "hold" or (not moderator and standing.must_wait_for_moderator(actor))
    number = next_number(thread)
    post = Post(
        thread_id=thread.id, number=number, author_id=actor.id, body=body, state="pending" if held else "visible",
        quoted_post_id=quoted.id if quoted is not None else None, open_flag_weight=0,
    )
    post.body_html = writing.render_post(body, writing.people_mentioned(writing.mentioned_handles(body)))
    db.session.add(post)
    db.session.flush()
    db.session.refresh(thread, ["posts_made"])
    standing.member_row(actor)
    watch_thread(actor, thread)
    if held:
        _tell_moderators_of_queue(post, thread, "a watched word" if action == "hold" else "a new member's post")
    else:
        post_shown(post)
    if action == "flag":
        from cop.forum.moderation import flag_by_forum

        flag_by_forum(post, word)
    return post


def create_thread(actor: Any, category: Category, title: str, body: str) -> Thread:
    """Start a thread with its first post; a new member's waits for a moderator, and the thread with it."""
    if not access.can_see_category(actor, category):
        raise NotFound("There is no such category, or you cannot see it.")
    moderator = _require_may_write(actor, None, category)
    title = writing.check_title(title)
    thread = Thread(category_id=category.id, author_id=actor.id, title=title, state="visible", locked=False, pinned=False,
                    slow_mode_seconds=0, posts_made=0, post_count=0, last_number=0, last_post_at=utcnow())
    thread.category = category
    db.session.add(thread)
    db.session.flush()
    post = _new_post(actor, thread, body, moderator, title=title)
    if post.state == "pending":
        thread.state = "pending"
    db.session.flush()
    if post.state == "visible":
        tell_category_watchers(thread, post)
    log.info("user %s started forum thread %s in %s (%s)", actor.id, thread.id, category.slug, post.state)
    return thread


def reply(actor: Any, thread: Thread, body: str, quoted_post_id: Optional[int] = None) -> Post:
    """Reply in a thread, quoting a post of it when asked; refused when locked, in slow mode, or the member restricted."""
    access.require_thread(actor, thread)
    moderator = _require_may_write(actor, thread, thread.category)
    if thread.state != "visible" and not moderator:
        raise PermissionDenied("This thread waits for a moderator: replies open once it is shown.")
    quoted = None
    if quoted_post_id is not None:
        quoted = db.session.get(Post, quoted_post_id)
        if quoted is None or quoted.thread_id != thread.id or not access.can_read_post(actor, quoted, moderator):
            raise ServiceError("The post you quote is not in this thread.", field="body")
    post = _new_post(actor, thread, body, moderator, quoted=quoted)
    log.info("user %s replied in forum thread %s (post %s, %s)", actor.id, thread.id, post.id, post.state)
    return post


def quote_for_reply(actor: Any, thread: Thread, post_id: int) -> tuple[Optional[Post], str]:
    """The post to quote and the Markdown that starts a reply with it; (None, "") when the actor may not read it."""
    post = db.session.get(Post, post_id)
    if post is None or post.thread_id != thread.id or not access.can_read_post(actor, post, access.can_moderate(actor, thread.category)):
        return None, ""
    name = post.author.display_name if post.author is not None else "Someone"
    return post, writing.quotation(name, post.body)


def edit_post(actor: Any, post: Post, body: str, reason: str = "") -> Post:
    """Change a post's words, keeping what it said before. Its author may; a moderator may, with a reason they log."""
    thread = access.require_thread(actor, post.thread)
    moderator = access.can_moderate(actor, thread.category)
    own = is_signed_in(actor) and actor.id == post.author_id
    if not own and not moderator:
        raise PermissionDenied("Only the author or a moderator can edit this post.")
    if own and not moderator:
        standing.require_may_post(actor)
        if post.state in ("hidden", "rejected"):
            raise PermissionDenied("A moderator hid this post: appeal from your notices rather than edit it.")
    reason = (reason or "").strip()
    if not own and not reason:
        raise ServiceError("Say why you edit someone else's post: they are told.", field="reason")
    if len(reason) > MAX_REASON_NOTE_LENGTH:
        raise ServiceError(f"The reason must be {MAX_REASON_NOTE_LENGTH} characters or fewer.", field="reason")
    body = writing.check_body(body, None if moderator else standing.links_allowed(actor))
    if body == post.body:
        raise ServiceError("The post says that already: change something, or go back.", field="body")
    if not moderator:
        action, word = writing.watched_word_action(body)
        if action == "block":
            raise ServiceError(f"Your post uses “{word}”, which this forum does not allow. Change it and post again.", field="body")
    db.session.add(PostRevision(post_id=post.id, body=post.body, editor_id=actor.id, reason=reason if not own else ""))
    post.body = body
    post.body_html = writing.render_post(body, writing.people_mentioned(writing.mentioned_handles(body)))
    post.edited_at = utcnow()
    db.session.flush()
    if post.state == "visible":
        index_for_search(post)
    if not own:
        from cop.forum.moderation import record_action

        record_action(actor, "edit", post.author, reason="guidelines", note=reason, post=post)
    return post


def revisions_of(actor: Any, post: Post) -> list[PostRevision]:
    """Every earlier version of a post, newest first: moderators only."""
    access.require_moderator(actor, post.thread.category)
    return list(db.session.scalars(
        sa.select(PostRevision).where(PostRevision.post_id == post.id).options(so.joinedload(PostRevision.editor))
        .order_by(PostRevision.created_at.desc(), PostRevision.id.desc())
    ))


# ---------------------------------------------------------------- what a shown post sets going


def refresh_counts(thread: Thread) -> None:
    """Count a thread's shown posts again, and its category's shown threads and posts (after any change of state)."""
    db.session.flush()
    count, last_number, last_at = db.session.execute(
        sa.select(sa.func.count(Post.id), sa.func.max(Post.number), sa.func.max(Post.created_at))
        .where(Post.thread_id == thread.id, Post.state == "visible")
    ).one()
    thread.post_count, thread.last_number = count, last_number or 0
    thread.last_post_at = last_at or thread.created_at
    db.session.flush()
    refresh_category_counts(thread.category_id)


def refresh_category_counts(category_id: int) -> None:
    """A category's shown threads, their shown posts, and its latest post."""
    threads, posts, last = db.session.execute(
        sa.select(sa.func.count(Thread.id), sa.func.sum(Thread.post_count), sa.func.max(Thread.last_post_at))
        .where(Thread.category_id == category_id, Thread.state == "visible")
    ).one()
    category = db.session.get(Category, category_id)
    category.thread_count, category.post_count, category.last_post_at = threads, posts or 0, last
    db.session.flush()


def index_for_search(post: Post) -> None:
    search.index_document(SEARCH_KIND, post.id, post.thread.title, markdown_to_text(post.body))


def post_shown(post: Post, announce: bool = True) -> None:
    """A post is now shown: count it, make it findable, grow its author's trust, and tell watchers and the mentioned."""
    thread = post.thread
    refresh_counts(thread)
    index_for_search(post)
    if post.author is not None:
        member = standing.member_row(post.author)
        member.approved_posts += 1
        standing.grow_trust(member, post.author.created_at)
    if announce:
        _tell_watchers(post)
        _tell_mentioned(post)


def post_withdrawn(post: Post) -> None:
    """A post is no longer shown: count it out and stop it being found."""
    refresh_counts(post.thread)
    search.remove_document(SEARCH_KIND, post.id)


def _post_link(post: Post) -> str:
    return site_path("forum.post", post_id=post.id)


def _can_be_told(user: User, thread: Thread) -> bool:
    return user.is_active and access.can_see_category(user, thread.category)


def _tell_watchers(post: Post) -> None:
    thread = post.thread
    watchers = db.session.scalars(
        sa.select(User).join(ThreadWatch, ThreadWatch.user_id == User.id)
        .where(ThreadWatch.thread_id == thread.id, User.id != post.author_id)
    )
    name = post.author.display_name if post.author else "Someone"
    for user in watchers:
        if post.number > 1 and _can_be_told(user, thread):
            notify(user, REPLY, f"{name} replied in “{thread.title}”", _post_link(post))


def tell_category_watchers(thread: Thread, post: Post) -> None:
    """A thread is shown: the category's watchers who may see it are told."""
    watchers = db.session.scalars(
        sa.select(User).join(CategoryWatch, CategoryWatch.user_id == User.id)
        .where(CategoryWatch.category_id == thread.category_id, User.id != thread.author_id)
    )
    for user in watchers:
        if _can_be_told(user, thread):
            notify(user, NEW_THREAD, f"New in {thread.category.name}: “{thread.title}”", _post_link(post))


def _tell_mentioned(post: Post) -> None:
    people = writing.people_mentioned(writing.mentioned_handles(post.body))
    name = post.author.display_name if post.author else "Someone"
    for user in people.values():
        if user.id != post.author_id and _can_be_told(user, post.thread):
            notify(user, MENTION, f"{name} mentioned you in “{post.thread.title}”", _post_link(post))


def _tell_moderators_of_queue(post: Post, thread: Thread, why: str) -> None:
    """Moderators of the category hear that a post waits (agency admins for a private category, else site moderators)."""
    if thread.category.visibility == "agency":
        who = sa.or_(User.site_role.in_(("moderator", "site_admin")),
                     sa.and_(User.is_agency_admin.is_(True), User.agency_id == thread.category.agency_id))
    else:
        who = User.site_role.in_(("moderator", "site_admin"))
    for user in db.session.scalars(sa.select(User).where(who, User.is_active.is_(True)).limit(50)):
        notify(user, QUEUE, f"A post waits in the moderation queue ({why}): “{thread.title}”", site_path("forum.queue"))


# ---------------------------------------------------------------- watching


def watch_thread(actor: Any, thread: Thread) -> None:
    """Be told of new replies in a thread."""
    insert_unless_present(ThreadWatch, {"user_id": actor.id, "thread_id": thread.id}, "user_id", "thread_id")


def unwatch_thread(actor: Any, thread: Thread) -> None:
    """Stop being told of a thread's replies."""
    db.session.execute(sa.delete(ThreadWatch).where(ThreadWatch.user_id == actor.id, ThreadWatch.thread_id == thread.id))


def watch_category(actor: Any, category: Category) -> None:
    """Be told of new threads in a category."""
    insert_unless_present(CategoryWatch, {"user_id": actor.id, "category_id": category.id}, "user_id", "category_id")


def unwatch_category(actor: Any, category: Category) -> None:
    """Stop being told of a category's new threads."""
    db.session.execute(sa.delete(CategoryWatch).where(CategoryWatch.user_id == actor.id, CategoryWatch.category_id == category.id))


def watches_thread(actor: Any, thread: Thread) -> bool:
    return is_signed_in(actor) and db.session.get(ThreadWatch, (actor.id, thread.id)) is not None


def watches_category(actor: Any, category: Category) -> bool:
    return is_signed_in(actor) and db.session.get(CategoryWatch, (actor.id, category.id)) is not None


def flagged_by(actor: Any, post_ids: list[int]) -> set[int]:
    """Which of these posts the actor has flagged already."""
    if not is_signed_in(actor) or not post_ids:
        return set()
    return set(db.session.scalars(sa.select(Flag.post_id).where(Flag.flagger_id == actor.id, Flag.post_id.in_(post_ids))))


# ---------------------------------------------------------------- search


def search_page(actor: Any, query: str, page: int, per_page: int):
    """Shown posts matching the words, in categories the actor may see, best first, each with its highlighted extract."""
    found = search.matching(SEARCH_KIND, query)
    if found is None:
        return None
    now = utcnow()

    def readable(stmt: sa.Select, matches: sa.Subquery) -> sa.Select:
        return (
            stmt.join(matches, matches.c.object_id == Post.id)
            .join(Thread, Post.thread_id == Thread.id)
            .join(Category, Thread.category_id == Category.id)
            .where(Post.state == "visible", Thread.state == "visible", access.visible_categories(actor),
                   sa.or_(Thread.opens_at.is_(None), Thread.opens_at <= now))
        )

    stmt = (
        readable(sa.select(Post), found)
        .options(so.contains_eager(Post.thread).contains_eager(Thread.category), so.joinedload(Post.author))
        .order_by(found.c.relevance.desc(), Post.id.desc())
    )
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=False)
    # Counted without scoring each match: the ranking is only needed for the page shown.
    pagination.total = db.session.scalar(readable(sa.select(sa.func.count(Post.id)), search.matching(SEARCH_KIND, query, ranked=False)))
    pagination.snippets = search.snippets(SEARCH_KIND, query, [p.id for p in pagination.items])
    return pagination
