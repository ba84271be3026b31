"""Case studies in the JSON API: the list with the page's filters, one case study, a new draft, and changes.

The same services as the pages, so the same rules: a write token of a member of an agency drafts; its
authors and reviewers change it; the workflow's steps are taken through ``status``.
"""

from __future__ import annotations

from typing import Any, Optional

import sqlalchemy as sa
from flask import abort, url_for

from cop.api.core import PREFIX, ListArgs, caller, error_responses, page_of, page_size, paged, refusal, token_required
from cop.api.core import Blueprint as ApiBlueprint
from cop.cache import public_page
from cop.casestudies import finding, schemas, services
from cop.casestudies.models import LICENCES, SECTION_NAMES, CaseStudy
from cop.errors import ServiceError
from cop.extensions import db
from cop.text.markdown import render_markdown
from cop.text.models import Topic
from cop.urls import external_url


def _named(thing: Any) -> Optional[dict[str, str]]:
    return {"slug": thing.slug, "name": thing.name} if thing is not None else None


def summary_json(case_study: CaseStudy) -> dict[str, Any]:
    """A case study as the list shows it."""
    return {
        "slug": case_study.slug,
        "url": external_url("casestudies.case_study", slug=case_study.slug),
        "title": case_study.title,
        "summary": case_study.summary,
        "status": case_study.status,
        "agency": {"slug": case_study.agency.slug, "name": case_study.agency.name, "country": case_study.agency.country},
        "service_area": _named(case_study.service_area),
        "modes": case_study.mode_keys,
        "channels": [_named(t) for t in case_study.channels],
        "skills": [_named(t) for t in case_study.skills],
        "level": case_study.level,
        "published_at": case_study.published_at,
        "updated_at": case_study.updated_at,
    }


def case_study_json(case_study: CaseStudy, actor: Any) -> dict[str, Any]:
    """The whole case study; the reviewer's comments only for its authors and reviewers."""
    name, url = LICENCES[case_study.licence]
    sections = {name_: getattr(case_study, name_) for name_ in SECTION_NAMES}
    return {
        **summary_json(case_study),
        "authors": [
            {"id": a.id, "display_name": a.display_name, "url": external_url("accounts.person", user_id=a.id)}
            for a in case_study.authors
        ],
        "started_on": case_study.started_on,
        "ended_on": case_study.ended_on,
        "sections": sections,
        "sections_html": {key: str(render_markdown(text)) for key, text in sections.items() if text},
        "links": case_study.links,
        "licence": {"key": case_study.licence, "name": name, "url": url},
        "revision": case_study.revision,
        "archived_at": case_study.archived_at,
        "review_comment": case_study.review_comment if services.can_edit(actor, case_study) or services.can_review(actor, case_study) else None,
    }


def _topic_ids(slugs: Optional[list[str]], channel: bool, field: str) -> Optional[list[int]]:
    if slugs is None:
        return None
    wanted = set(slugs)
    group = Topic.group == "channel" if channel else Topic.group != "channel"
    found = dict(db.session.execute(sa.select(Topic.slug, Topic.id).where(Topic.slug.in_(wanted), group)).all()) if wanted else {}
    unknown = sorted(wanted - found.keys())
    if unknown:
        kind = "channel" if channel else "skill"
        raise ServiceError(f"Unknown {kind}: {', '.join(unknown)}.", field=field)
    return list(found.values())


def input_from(data: dict[str, Any], case_study: Optional[CaseStudy] = None) -> services.CaseStudyInput:
    """A service input from a validated API body: only what the body holds is changed."""
    channel_ids = _topic_ids(data.get("channels"), True, "channels")
    skill_ids = _topic_ids(data.get("skills"), False, "skills")
    if channel_ids is None and skill_ids is None:
        topic_ids = None
    else:
        current = case_study.topics if case_study is not None else []
        if channel_ids is None:
            channel_ids = [t.id for t in current if t.group == "channel"]
        if skill_ids is None:
            skill_ids = [t.id for t in current if t.group != "channel"]
        topic_ids = channel_ids + skill_ids
    dates_given = "started_on" in data or "ended_on" in data
    started = data.get("started_on", case_study.started_on if case_study else None)
    ended = data.get("ended_on", case_study.ended_on if case_study else None)
    return services.CaseStudyInput(
        title=data.get("title"),
        summary=data.get("summary"),
        service_area=(data["service_area"] or "") if "service_area" in data else None,
        modes=data.get("modes"),
        topic_ids=topic_ids,
        level=(data["level"] or "") if "level" in data else None,
        started_on=started,
        ended_on=ended,
        set_dates=dates_given,
        sections={k: v for k, v in (data.get("sections") or {}).items() if v is not None},
        links=data.get("links"),
        licence=data.get("licence"),
        author_ids=data.get("authors"),
    )


#: Which API field each service field's message belongs to.
FIELD_NAMES = {"topic_ids": "channels", "author_ids": "authors", "comment": "review_comment", **{n: f"sections.{n}" for n in SECTION_NAMES}}


# ---------------------------------------------------------------- endpoints

bp = ApiBlueprint("casestudies_api", __name__, url_prefix=f"{PREFIX}/case-studies", description="Case studies.")
_errors = error_responses(bp, {
    404: "No such case study, or one its owner may not see.",
    409: "That step does not fit where the case study is in its workflow.",
})


def _found(slug: str, actor: Any) -> CaseStudy:
    case_study = services.readable_case_study(actor, slug)
    if case_study is None:
        abort(404, "No case study has that address, or it is not published.")
    return case_study


def _refused(error: ServiceError) -> ServiceError:
    return refusal(error, FIELD_NAMES)


@bp.route("")
@public_page
@bp.arguments(schemas.CaseStudyQuery, location="query", as_kwargs=True)
@bp.arguments(ListArgs, location="query", as_kwargs=True)
@bp.response(200, page_of(schemas.CaseStudySummary))
@_errors(422)
def list_case_studies(page: int = 1, per_page: Optional[int] = None, **filters: Any):
    """Published case studies, filtered and searched as on the list page, newest (or most relevant) first."""
    chosen = finding.Filters.from_args(filters)
    pagination = finding.case_studies_page(chosen, page, page_size(per_page))
    if pagination.page > 1 and pagination.page > pagination.pages:
        abort(404, "There is no such page of case studies.")
    body, headers = paged(pagination, [summary_json(c) for c in pagination.items], {**chosen.as_args(), "per_page": per_page})
    return body, 200, headers


@bp.route("/<slug>")
@public_page
@bp.response(200, schemas.CaseStudyOut)
@_errors(404)
def get_case_study(slug: str):
    """One case study: anyone reads a published one; its authors and reviewers read it at every step."""
    actor = caller()
    return case_study_json(_found(slug, actor), actor)


@bp.route("", methods=["POST"])
@token_required("write")
@bp.arguments(schemas.CaseStudyCreate)
@bp.response(201, schemas.CaseStudyOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 409, 413, 422)
def create_case_study(data: dict[str, Any]):
    """Start a draft for your agency (a write token of a member of an agency)."""
    actor = caller()
    try:
        case_study = services.create_case_study(actor, input_from(data))
    except ServiceError as error:
        db.session.rollback()
        raise _refused(error) from error
    db.session.commit()
    location = url_for("casestudies_api.get_case_study", slug=case_study.slug)
    return case_study_json(case_study, actor), 201, {"Location": location}


@bp.route("/<slug>", methods=["PATCH"])
@token_required("write")
@bp.arguments(schemas.CaseStudyPatch)
@bp.response(200, schemas.CaseStudyOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 409, 413, 422)
def update_case_study(data: dict[str, Any], slug: str):
    """Change fields, take a workflow step with status, or both; the answer is the whole case study."""
    actor = caller()
    case_study = _found(slug, actor)
    status = data.pop("status", None)
    comment = data.pop("review_comment", "")
    note = data.pop("note", "")
    try:
        if data:
            services.update_case_study(actor, case_study, input_from(data, case_study), note=note)
        if status:
            services.change_status(actor, case_study, status, comment)
    except ServiceError as error:
        db.session.rollback()
        raise _refused(error) from error
    db.session.commit()
    return case_study_json(services.get_case_study(slug), actor)
