"""Mentoring in the JSON API: the signed-in newcomer's suggestions with their reasons, making a request,
asking a mentor, and the mentor's answer. The same services as the pages, so the same rules."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort

from cop.accounts.models import User
from cop.api.core import PREFIX, caller, commit_or_refuse, error_responses, person_json, refusal, token_required
from cop.api.core import Blueprint as ApiBlueprint
from cop.errors import ServiceError
from cop.extensions import db
from cop.matching import schemas, services
from cop.matching.models import MentorRequest
from cop.text.models import Topic
from cop.urls import external_url

FIELD_NAMES = {"skill_ids": "skills", "mentor_id": "mentor"}

bp = ApiBlueprint("mentoring_api", __name__, url_prefix=f"{PREFIX}/mentoring", description="Mentoring: suggestions, requests and answers.")
_errors = error_responses(bp, {
    404: "No such request, or none of the caller's.",
    409: "That does not fit the request as it stands (withdrawn, answered, the mentor full or declined before).",
})


def _refused(error: ServiceError) -> ServiceError:
    return refusal(error, FIELD_NAMES)


def request_json(found: MentorRequest) -> dict[str, Any]:
    return {
        "id": found.id, "status": found.status, "goals": found.goals, "skills": [t.slug for t in found.skills],
        "format": found.format, "agency_preference": found.agency_preference,
        "mentor": person_json(found.mentor) if found.status == "asked" else None, "created_at": found.created_at,
    }


def _suggestion_json(suggestion: Any, mentors: dict[int, Any]) -> dict[str, Any]:
    return {
        "mentor": person_json(mentors[suggestion.mentor_id]), "score": suggestion.score, "similarity": suggestion.similarity,
        "shared_skills": list(suggestion.shared_skills), "shared_interests": list(suggestion.shared_interests),
        "words": list(suggestion.words),
        "preferences": [{"name": p.name, "met": p.met, "detail": p.detail} for p in suggestion.preferences],
    }


def _visible(request_id: int) -> MentorRequest:
    found = services.request_visible_to(caller(), request_id)
    if found is None:
        abort(404, "No request of yours has that id.")
    return found


@bp.route("/suggestions")
@token_required("read")
@bp.response(200, schemas.SuggestionsOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 404)
def suggestions():
    """The mentors who suit the caller's live request best, with the reasons for each."""
    found = services.live_request(caller())
    if found is None:
        abort(404, "You have no request for a mentor: make one with POST /api/v1/mentoring/requests.")
    shown = services.suggested(found) if found.status == "open" else services.Suggested([], {}, {}, {})
    return {"request": request_json(found), "suggestions": [_suggestion_json(s, shown.mentors) for s in shown.suggestions]}


@bp.route("/requests", methods=["POST"])
@token_required("write")
@bp.arguments(schemas.RequestIn)
@bp.response(201, schemas.RequestOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 409, 422)
def create_request(data: dict[str, Any]):
    """Ask for a mentor (sending it twice gives the one request); with ``mentor``, it goes to them first."""
    slugs = list(dict.fromkeys(data["skills"]))
    topics = list(db.session.scalars(sa.select(Topic).where(Topic.slug.in_(slugs))))
    if len(topics) != len(slugs):
        raise _refused(ServiceError("Choose skills from the taxonomy.", field="skill_ids"))
    mentor = None
    if data.get("mentor") is not None:
        mentor = db.session.get(User, data["mentor"])
        if mentor is None:
            raise _refused(ServiceError("No mentor has that id.", field="mentor_id"))
    form = services.RequestInput(goals=data["goals"], skill_ids=[t.id for t in topics], format=data["format"],
                                 agency_preference=data["agency_preference"])
    found = commit_or_refuse(lambda: services.create_request(caller(), form, mentor=mentor), FIELD_NAMES)
    return request_json(found), 201


@bp.route("/requests/<int:request_id>")
@token_required("read")
@bp.response(200, schemas.RequestOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 404)
def get_request(request_id: int):
    """A request the caller made or was asked to answer."""
    return request_json(_visible(request_id))


@bp.route("/requests/<int:request_id>/ask", methods=["POST"])
@token_required("write")
@bp.arguments(schemas.AskIn)
@bp.response(200, schemas.RequestOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 409, 422)
def ask(data: dict[str, Any], request_id: int):
    """Ask one mentor; refused when they have just filled their places (the message names the next suggestion)."""
    found = _visible(request_id)
    mentor = db.session.get(User, data["mentor"])
    if mentor is None:
        raise _refused(ServiceError("No mentor has that id.", field="mentor_id"))
    return request_json(commit_or_refuse(lambda: services.ask(caller(), found, mentor), FIELD_NAMES))


@bp.route("/requests/<int:request_id>/accept", methods=["POST"])
@token_required("write")
@bp.response(200, schemas.MentorshipOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 409)
def accept(request_id: int):
    """The mentor asked accepts, within their capacity; the mentorship starts."""
    found = _visible(request_id)
    mentorship = commit_or_refuse(lambda: services.accept(caller(), found), FIELD_NAMES)
    return {"id": mentorship.id, "status": mentorship.status, "mentor": person_json(mentorship.mentor),
            "newcomer": person_json(mentorship.newcomer), "started_at": mentorship.started_at,
            "url": external_url("matching.mentorship", mentorship_id=mentorship.id)}


@bp.route("/requests/<int:request_id>/decline", methods=["POST"])
@token_required("write")
@bp.arguments(schemas.DeclineIn)
@bp.response(200, schemas.RequestOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 409, 422)
def decline(data: dict[str, Any], request_id: int):
    """The mentor asked declines, with a reason the newcomer reads; the pair is never suggested again."""
    found = _visible(request_id)
    return request_json(commit_or_refuse(lambda: services.decline(caller(), found, data["reason"]), FIELD_NAMES))
