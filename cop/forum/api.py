"""The forum in the JSON API: the categories the caller may see, threads (a list, and a new one), a thread with
its posts, and replying. The same services as the pages, so the same rules: what the caller may not see is a
404, a new member's post waits for a moderator (its ``state`` says ``pending``), and locks, slow mode, limits
and restrictions refuse as they do on the pages (403, or 429 with Retry-After)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cop.api.core import (
    PREFIX, ListArgs, caller, commit_or_refuse, error_responses, page_of, page_size, paged, person_json, refusal, token_required,
)
from cop.api.core import Blueprint as ApiBlueprint
from cop.cache import public_page
from cop.errors import ServiceError
from cop.extensions import db
from cop.forum import schemas, services
from cop.forum.models import Category, Post, Thread
from cop.urls import external_url
from cop.web import require_page

bp = ApiBlueprint("forum_api", __name__, url_prefix=f"{PREFIX}/forum", description="The forum: categories, threads, posts and replies.")
_errors = error_responses(bp, {
    403: "The token may only read; or the caller may not post here now (a locked thread, a suspension, a silence).",
    404: "No such category, thread or post, or none the caller may see.",
    429: "Too soon: slow mode, or the caller's posting limit. Retry-After says when to try again.",
})


def category_json(category: Category) -> dict[str, Any]:
    return {
        "slug": category.slug, "name": category.name, "description": category.description, "visibility": category.visibility,
        "agency": category.agency.slug if category.agency is not None else None, "slow_mode_seconds": category.slow_mode_seconds,
        "thread_count": category.thread_count, "post_count": category.post_count, "last_post_at": category.last_post_at,
        "url": external_url("forum.category", slug=category.slug),
    }


def thread_json(thread: Thread) -> dict[str, Any]:
    return {
        "id": thread.id, "title": thread.title, "category": thread.category.slug, "author": person_json(thread.author),
        "state": thread.state, "locked": thread.locked, "pinned": thread.pinned, "slow_mode_seconds": thread.slow_mode_seconds,
        "post_count": thread.post_count, "created_at": thread.created_at, "last_post_at": thread.last_post_at,
        "opens_at": thread.opens_at, "url": external_url("forum.thread", thread_id=thread.id),
    }


def post_json(post: Post) -> dict[str, Any]:
    return {
        "id": post.id, "thread": post.thread_id, "number": post.number, "author": person_json(post.author), "state": post.state,
        "body": post.body, "body_html": post.body_html, "quoted_post": post.quoted_post_id, "created_at": post.created_at,
        "edited_at": post.edited_at, "url": external_url("forum.post", post_id=post.id),
    }


def _found(call: Any, *args: Any) -> Any:
    """What a service finds for the caller; its NotFound is the API's 404."""
    try:
        return call(*args)
    except ServiceError as error:
        raise refusal(error, {}) from error


#: The services' field names as the API names them.
FIELD_NAMES = {"quoted_post_id": "quote"}


@bp.route("/categories")
@public_page(also=("forum",))
@bp.response(200, schemas.CategoriesOut)
@_errors(401)
def list_categories():
    """The categories the caller may see, in the forum's order: public ones without a token; members' and their
    agency's with one."""
    return {"items": [category_json(c) for c in services.categories_for(caller())]}


@bp.route("/threads")
@public_page(also=("forum",))
@bp.arguments(schemas.ThreadListArgs, location="query")
@bp.response(200, page_of(schemas.ThreadOut))
@_errors(401, 404, 422)
def list_threads(args: dict[str, Any]):
    """Threads shown, latest activity first; with ``category``, that category's, pinned first. Moderators' lists
    hold every thread of the categories they moderate; a member's own thread that waits for a moderator is
    read by its id."""
    who, per_page = caller(), page_size(args.get("per_page"))
    if args.get("category"):
        category = _found(services.get_category, who, args["category"])
        pagination = services.threads_page(who, category, args["page"], per_page)
    else:
        pagination = services.latest_threads_page(who, args["page"], per_page)
    require_page(pagination, "There is no such page of threads.")
    body, headers = paged(pagination, [thread_json(t) for t in pagination.items],
                          {"category": args.get("category"), "per_page": args.get("per_page")})
    return body, 200, headers


@bp.route("/threads", methods=["POST"])
@token_required("write")
@bp.arguments(schemas.ThreadIn)
@bp.response(201, schemas.CreatedThreadOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 422, 429)
def create_thread(data: dict[str, Any]):
    """Start a thread with its first post. A new member's waits for a moderator: ``state`` is ``pending`` and
    only they and the moderators see it until it is approved."""
    who = caller()
    category = _found(services.get_category, who, data["category"])
    thread = commit_or_refuse(lambda: services.create_thread(who, category, data["title"], data["body"]), FIELD_NAMES)
    first = db.session.scalars(sa.select(Post).where(Post.thread_id == thread.id).order_by(Post.number).limit(1)).one()
    return {**thread_json(thread), "post": post_json(first)}, 201


@bp.route("/threads/<int:thread_id>")
@public_page(also=("forum",))
@bp.arguments(ListArgs, location="query")
@bp.response(200, schemas.ThreadWithPostsOut)
@_errors(401, 404, 422)
def get_thread(args: dict[str, Any], thread_id: int):
    """A thread and one page of the posts the caller may read, in order."""
    who = caller()
    thread = _found(services.get_thread, who, thread_id)
    pagination = services.posts_page(who, thread, args["page"], page_size(args.get("per_page")))
    require_page(pagination, "There is no such page of this thread's posts.")
    body, headers = paged(pagination, [post_json(p) for p in pagination.items], {"per_page": args.get("per_page")})
    posts = body.pop("items")
    return {**thread_json(thread), **body, "posts": posts}, 200, headers


@bp.route("/threads/<int:thread_id>/posts", methods=["POST"])
@token_required("write")
@bp.arguments(schemas.PostIn)
@bp.response(201, schemas.PostOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 422, 429)
def reply(data: dict[str, Any], thread_id: int):
    """Reply in a thread; with ``quote``, the quoted post's words open the reply, as the page's Quote button does."""
    who = caller()
    thread = _found(services.get_thread, who, thread_id)
    body = data["body"]
    if data.get("quote") is not None:
        quoted, quotation = services.quote_for_reply(who, thread, data["quote"])
        if quoted is None:
            raise refusal(ServiceError("The post you quote is not in this thread.", field="quote"), {})
        body = f"{quotation.rstrip()}\n\n{body}" if body.strip() else body
    post = commit_or_refuse(lambda: services.reply(who, thread, body, quoted_post_id=data.get("quote")), FIELD_NAMES)
    return post_json(post), 201
