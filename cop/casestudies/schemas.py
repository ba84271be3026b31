"""The JSON shapes of case studies in the API: what requests may hold (validated) and what responses hold.

The OpenAPI document is generated from these same schemas, so the two cannot drift.
"""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema

from cop.accounts.models import LEVELS
from cop.casestudies.models import (
    ENGAGEMENT_MODES,
    LICENCES,
    MAX_LINKS,
    MAX_SECTION_LENGTH,
    MAX_SUMMARY_LENGTH,
    MAX_TITLE_LENGTH,
    SECTION_NAMES,
    STATUSES,
)
from cop.casestudies.finding import SORTS

_SLUG = validate.Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use a slug: lower-case letters, digits and hyphens.")


class Named(Schema):
    slug = fields.String(required=True, metadata={"description": "Stable identifier, used in filters."})
    name = fields.String(required=True)


class AgencyRef(Named):
    country = fields.String(required=True, metadata={"description": "ISO 3166-1 alpha-2 code."})


class AuthorRef(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    url = fields.Url(required=True, metadata={"description": "The author's profile page."})


class Link(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(load_default="", validate=validate.Length(max=200, error="A link's title is 200 characters or fewer."))
    url = fields.Url(required=True, schemes={"http", "https"}, error_messages={"invalid": "Give a full web address starting with https://"})


class Licence(Schema):
    key = fields.String(required=True, validate=validate.OneOf(list(LICENCES)))
    name = fields.String(required=True)
    url = fields.String(allow_none=True)


def _sections_schema(load: bool) -> type[Schema]:
    attrs: dict[str, Any] = {
        name: fields.String(
            load_default=None if load else "",
            allow_none=load,
            validate=validate.Length(max=MAX_SECTION_LENGTH, error=f"Each section is {MAX_SECTION_LENGTH:,} characters or fewer."),
            metadata={"description": "Markdown."},
        )
        for name in SECTION_NAMES
    }
    if load:
        attrs["Meta"] = type("Meta", (), {"unknown": RAISE})
    return Schema.from_dict(attrs, name="SectionsInput" if load else "Sections")


class CaseStudySummary(Schema):
    """A case study as lists show it."""

    slug = fields.String(required=True)
    url = fields.Url(required=True, metadata={"description": "Its page."})
    title = fields.String(required=True)
    summary = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(list(STATUSES)))
    agency = fields.Nested(AgencyRef, required=True)
    service_area = fields.Nested(Named, allow_none=True)
    modes = fields.List(fields.String(validate=validate.OneOf(list(ENGAGEMENT_MODES))), required=True)
    channels = fields.List(fields.Nested(Named), required=True)
    skills = fields.List(fields.Nested(Named), required=True)
    level = fields.String(allow_none=True, validate=validate.OneOf(list(LEVELS)))
    published_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime(required=True)


class CaseStudyOut(CaseStudySummary):
    """The whole case study."""

    authors = fields.List(fields.Nested(AuthorRef), required=True)
    started_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    sections = fields.Nested(_sections_schema(load=False), required=True, metadata={"description": "The story, in Markdown."})
    sections_html = fields.Dict(
        keys=fields.String(), values=fields.String(), required=True,
        metadata={"description": "Each section that has words, rendered to sanitised HTML."},
    )
    links = fields.List(fields.Nested(Link), required=True)
    licence = fields.Nested(Licence, required=True)
    revision = fields.Integer(required=True, metadata={"description": "The number of the newest published revision (0 before)."})
    archived_at = fields.DateTime(allow_none=True)
    review_comment = fields.String(
        allow_none=True, metadata={"description": "The reviewer's comments on a returned case study; only its authors and reviewers see it."}
    )


class CaseStudyWrite(Schema):
    """What a write may hold: any field left out keeps its value."""

    class Meta:
        unknown = RAISE

    title = fields.String(validate=validate.Length(min=1, max=MAX_TITLE_LENGTH, error=f"A title is 1 to {MAX_TITLE_LENGTH} characters."))
    summary = fields.String(validate=validate.Length(max=MAX_SUMMARY_LENGTH, error=f"The summary is {MAX_SUMMARY_LENGTH} characters or fewer."))
    service_area = fields.String(allow_none=True, validate=_SLUG, metadata={"description": "A service area's slug."})
    modes = fields.List(
        fields.String(validate=validate.OneOf(list(ENGAGEMENT_MODES), error="Use one of: " + ", ".join(ENGAGEMENT_MODES))),
    )
    channels = fields.List(fields.String(validate=_SLUG), metadata={"description": "Channel topics' slugs."})
    skills = fields.List(fields.String(validate=_SLUG), metadata={"description": "Practice topics' slugs."})
    level = fields.String(allow_none=True, validate=validate.OneOf(list(LEVELS), error="Use 101, 202 or 303."))
    started_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    sections = fields.Nested(_sections_schema(load=True))
    links = fields.List(fields.Nested(Link), validate=validate.Length(max=MAX_LINKS, error=f"At most {MAX_LINKS} links."))
    licence = fields.String(validate=validate.OneOf(list(LICENCES), error="Use one of: " + ", ".join(LICENCES)))
    authors = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=2**31 - 1, error="Not a known person's id.")),
        metadata={"description": "Authors' user ids: members of the agency."},
    )


class CaseStudyCreate(CaseStudyWrite):
    """A new draft, for the caller's agency; it needs a title."""

    title = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_TITLE_LENGTH, error=f"A title is 1 to {MAX_TITLE_LENGTH} characters."),
    )


class CaseStudyPatch(CaseStudyWrite):
    """Changes to fields, a step in the workflow, or both."""

    status = fields.String(
        validate=validate.OneOf(["in_review", "published", "returned", "archived"], error="Use in_review, published, returned or archived."),
        metadata={"description": "Move it by the workflow's own steps: in_review (its authors), published, returned or archived (its reviewers)."},
    )
    review_comment = fields.String(
        validate=validate.Length(max=2000, error="Comments are 2,000 characters or fewer."),
        metadata={"description": "Required with status returned: what the authors should change."},
    )
    note = fields.String(validate=validate.Length(max=200, error="200 characters or fewer."), metadata={"description": "What changed (a published case study's revision note)."})

    @validates_schema
    def _comment_with_return(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("status") == "returned" and not (data.get("review_comment") or "").strip():
            raise ValidationError("Say what the authors should change.", field_name="review_comment")


class CaseStudyQuery(Schema):
    """The list's filters, as the page has them."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default="", metadata={"description": 'Words, "phrases" and prefix* terms.'})
    agency = fields.String(load_default="")
    country = fields.String(load_default="")
    service_area = fields.String(load_default="")
    mode = fields.String(load_default="")
    channel = fields.String(load_default="")
    skill = fields.String(load_default="")
    level = fields.String(load_default="")
    author = fields.String(load_default="", metadata={"description": "A user id."})
    sort = fields.String(load_default="", validate=validate.OneOf(["", *SORTS]))
