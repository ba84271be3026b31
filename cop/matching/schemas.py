"""The JSON shapes of mentoring in the API."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from cop.api.core import Person
from cop.matching.models import AGENCY_PREFERENCES, FORMATS, MAX_GOALS_LENGTH, MAX_REASON_LENGTH, REQUEST_STATUSES

_SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use a slug: lower-case letters, digits and hyphens.")


class PreferenceOut(Schema):
    name = fields.String(required=True)
    met = fields.Boolean(required=True)
    detail = fields.String(required=True)


class SuggestionOut(Schema):
    mentor = fields.Nested(Person, required=True)
    score = fields.Float(required=True)
    similarity = fields.Float(required=True)
    shared_skills = fields.List(fields.String(), required=True)
    shared_interests = fields.List(fields.String(), required=True)
    words = fields.List(fields.String(), required=True, metadata={"description": "Words of the goals that drove the match."})
    preferences = fields.List(fields.Nested(PreferenceOut), required=True)


class RequestOut(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(list(REQUEST_STATUSES)))
    goals = fields.String(required=True)
    skills = fields.List(fields.String(), required=True, metadata={"description": "Topics' slugs."})
    format = fields.String(required=True)
    agency_preference = fields.String(required=True)
    mentor = fields.Nested(Person, allow_none=True, metadata={"description": "The mentor asked, while it waits for their answer."})
    created_at = fields.DateTime(required=True)


class SuggestionsOut(Schema):
    request = fields.Nested(RequestOut, required=True)
    suggestions = fields.List(fields.Nested(SuggestionOut), required=True)


class RequestIn(Schema):
    class Meta:
        unknown = RAISE

    goals = fields.String(required=True, validate=validate.Length(min=1, max=MAX_GOALS_LENGTH))
    skills = fields.List(fields.String(validate=_SLUG), required=True, validate=validate.Length(min=1, error="Choose at least one skill."),
                         metadata={"description": "Topics' slugs: the skills wanted."})
    format = fields.String(load_default="either", validate=validate.OneOf(list(FORMATS)))
    agency_preference = fields.String(load_default="either", validate=validate.OneOf(list(AGENCY_PREFERENCES)))
    mentor = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=2**31 - 1),
                            metadata={"description": "A mentor to ask first."})


class AskIn(Schema):
    class Meta:
        unknown = RAISE

    mentor = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))


class DeclineIn(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(required=True, validate=validate.Length(min=1, max=MAX_REASON_LENGTH))


class MentorshipOut(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    mentor = fields.Nested(Person, required=True)
    newcomer = fields.Nested(Person, required=True)
    started_at = fields.DateTime(required=True)
    url = fields.String(required=True)
