"""The JSON shapes of the forum in the API."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from cop.api.core import ListArgs, Person
from cop.forum.models import MAX_POST_LENGTH, MAX_TITLE_LENGTH, POST_STATES, VISIBILITIES

_SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use a category's slug: lower-case letters, digits and hyphens.")
_ID = validate.Range(min=1, max=2**31 - 1, error="Give the id of a post in this thread.")


class CategoryOut(Schema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    visibility = fields.String(required=True, validate=validate.OneOf(list(VISIBILITIES)),
                               metadata={"description": "public, members (signed-in members), or agency (one agency's members)."})
    agency = fields.String(allow_none=True, required=True, metadata={"description": "The agency's slug, for an agency's category."})
    slow_mode_seconds = fields.Integer(required=True, metadata={"description": "0, or how long each member waits between posts."})
    thread_count = fields.Integer(required=True)
    post_count = fields.Integer(required=True)
    last_post_at = fields.DateTime(allow_none=True, required=True)
    url = fields.String(required=True)


class CategoriesOut(Schema):
    items = fields.List(fields.Nested(CategoryOut), required=True)


class ThreadOut(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    category = fields.String(required=True, metadata={"description": "The category's slug."})
    author = fields.Nested(Person, allow_none=True, required=True, metadata={"description": "null once the account is gone."})
    state = fields.String(required=True, metadata={"description": "visible, or pending while its first post waits for a moderator."})
    locked = fields.Boolean(required=True)
    pinned = fields.Boolean(required=True)
    slow_mode_seconds = fields.Integer(required=True)
    post_count = fields.Integer(required=True, metadata={"description": "The posts shown."})
    created_at = fields.DateTime(required=True)
    last_post_at = fields.DateTime(required=True)
    opens_at = fields.DateTime(allow_none=True, required=True, metadata={"description": "A weekly topic's opening (its moderators see it before)."})
    url = fields.String(required=True)


class PostOut(Schema):
    id = fields.Integer(required=True)
    thread = fields.Integer(required=True)
    number = fields.Integer(required=True, metadata={"description": "Its place in the thread, from 1."})
    author = fields.Nested(Person, allow_none=True, required=True)
    state = fields.String(required=True, validate=validate.OneOf(list(POST_STATES)),
                          metadata={"description": "Others than visible reach only the post's author and its moderators."})
    body = fields.String(required=True, metadata={"description": "Markdown."})
    body_html = fields.String(required=True, metadata={"description": "The Markdown rendered and sanitised, mentions linked."})
    quoted_post = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    edited_at = fields.DateTime(allow_none=True, required=True)
    url = fields.String(required=True)


class ThreadWithPostsOut(ThreadOut):
    posts = fields.List(fields.Nested(PostOut), required=True, metadata={"description": "One page of the thread's posts, in order."})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, metadata={"description": "The posts the caller may read."})
    next = fields.String(allow_none=True, required=True)


class ThreadListArgs(ListArgs):
    category = fields.String(validate=_SLUG, metadata={"description": "Only this category's threads, pinned first."})


class ThreadIn(Schema):
    class Meta:
        unknown = RAISE

    category = fields.String(required=True, validate=_SLUG)
    title = fields.String(required=True, metadata={"description": f"At most {MAX_TITLE_LENGTH} characters."})
    body = fields.String(required=True, metadata={"description": f"Markdown, at most {MAX_POST_LENGTH:,} characters once trimmed."})


class PostIn(Schema):
    class Meta:
        unknown = RAISE

    body = fields.String(required=True, metadata={"description": f"Markdown, at most {MAX_POST_LENGTH:,} characters once trimmed."})
    quote = fields.Integer(load_default=None, allow_none=True, validate=_ID,
                           metadata={"description": "The id of a post of this thread to quote at the start of the reply."})


class CreatedThreadOut(ThreadOut):
    post = fields.Nested(PostOut, required=True, metadata={"description": "The first post."})
