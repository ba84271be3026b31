"""The JSON shapes of federation in the API: an agency's follows of actors on other servers."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from cop.federation.models import FOLLOW_STATES, MAX_URI_LENGTH


class FollowingOut(Schema):
    handle = fields.String(required=True, metadata={"description": "user@host, or the actor's address when it has no name."})
    actor = fields.String(required=True, metadata={"description": "The actor's id (its address)."})
    name = fields.String(required=True)
    url = fields.String(required=True, metadata={"description": "The actor's page for people; empty when it has none."})
    state = fields.String(required=True, validate=validate.OneOf(list(FOLLOW_STATES)),
                          metadata={"description": "pending until the other server accepts; accepted; or rejected."})
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True, required=True)


class HandleIn(Schema):
    class Meta:
        unknown = RAISE

    handle = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_URI_LENGTH, error=f"Give a handle of 1 to {MAX_URI_LENGTH} characters."),
        metadata={"description": "slug@host, @name@host, or the actor's address."},
    )
