"""Asking for a mentor: the request, its suggestions, asking one mentor, and their answer.

A mentor's places are taken by one conditional UPDATE of ``users.mentees_count`` (below their capacity,
not paused), so two acceptances at the same moment can never take a mentor past their capacity, on
SQLite or PostgreSQL; ending a mentorship gives the place back.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import User, listed, mentoring
from cop.accounts.services import is_signed_in
from cop.agencies.models import Agency
from cop.clock import utcnow
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.extensions import db
from cop.matching.engine import Suggestion
from cop.matching.index import (
    SuggestionInputs, cards_at, declined_by, mentor_index, request_with_inputs, seeker_for, suggestion_inputs,
)
from cop.matching.models import AGENCY_PREFERENCES, FORMATS, LIVE_REQUEST, MAX_GOALS_LENGTH, MAX_REASON_LENGTH, MentorDecline, MentorRequest, Mentorship
from cop.notifications.services import notify, register_kind
from cop.text.markdown import strip_html
from cop.text.services import topics_by_ids
from cop.urls import site_path

log = logging.getLogger(__name__)

ASKED = register_kind("mentoring_request", "Someone asks you to mentor them, or withdraws their request").name
ANSWERED = register_kind("mentoring_answer", "A mentor accepts or declines your request").name

#: How many suggestions a newcomer is shown.
SUGGESTIONS = 5


@dataclass
class RequestInput:
    """What a newcomer asks for."""

    goals: str
    skill_ids: list[int] = field(default_factory=list)
    format: str = "either"
    agency_preference: str = "either"


def live_request(user: Any) -> Optional[MentorRequest]:
    """The newcomer's request that is still looking for (or waiting on) a mentor."""
    if not is_signed_in(user):
        return None
    return db.session.scalar(_live_request_query(), {"newcomer_id": user.id})


@functools.cache
def _live_request_query() -> sa.Select:
    """Built once: the mentoring pages ask on every visit."""
    return sa.select(MentorRequest).where(MentorRequest.newcomer_id == sa.bindparam("newcomer_id"), MentorRequest.status.in_(LIVE_REQUEST))


def _clean_goals(goals: str) -> str:
    goals = strip_html(goals or "").strip()
    if not goals:
        raise ServiceError("Say what you want to achieve with a mentor.", field="goals")
    if len(goals) > MAX_GOALS_LENGTH:
        raise ServiceError(f"Keep what you want to achieve to {MAX_GOALS_LENGTH:,} characters or fewer.", field="goals")
    return goals


def _check(data: RequestInput) -> tuple[str, list]:
    problems: dict[str, str] = {}
    try:
        goals = _clean_goals(data.goals)
    except ServiceError as error:
        problems["goals"], goals = error.message, ""
    skills = topics_by_ids(data.skill_ids)
    if not data.skill_ids:
        problems["skill_ids"] = "Choose at least one skill you want help with."
    elif len(skills) != len(set(data.skill_ids)) or any(topic.is_retired for topic in skills):
        problems["skill_ids"] = "Choose skills from the list."
    if data.format not in FORMATS:
        problems["format"] = "Choose how you would like to meet."
    if data.agency_preference not in AGENCY_PREFERENCES:
        problems["agency_preference"] = "Choose where your mentor may work."
    if problems:
        first = next(iter(problems))
        raise ServiceError(problems[first], field=first, fields=problems)
    return goals, skills


def create_request(actor: Any, data: RequestInput, mentor: Optional[User] = None, case_study_id: Optional[int] = None) -> MentorRequest:
    """A newcomer's request; sending it twice gives the one request. With ``mentor``, it is asked of them first."""
    if not is_signed_in(actor):
        raise PermissionDenied("Sign in to ask for a mentor.")
    goals, skills = _check(data)
    existing = live_request(actor)
    if existing is not None:
        if mentor is not None and existing.status == "open":
            ask(actor, existing, mentor)
        return existing
    request = MentorRequest(
        newcomer_id=actor.id, goals=goals, format=data.format, agency_preference=data.agency_preference, status="open",
        skills=skills, case_study_id=case_study_id,
    )
    db.session.add(request)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        # The same request sent twice at once: the other one was stored first.
        existing = live_request(actor)
        if existing is None:
            raise
        return existing
    log.info("user %s asked for a mentor (request %s)", actor.id, request.id)
    if mentor is not None:
        ask(actor, request, mentor)
    return request


def update_request(actor: Any, request: MentorRequest, data: RequestInput) -> MentorRequest:
    """Change a request that is still choosing a mentor."""
    _require_newcomer(actor, request)
    if request.status != "open":
        raise Conflict("Withdraw the request from the mentor you asked before you change it.")
    request.goals, request.skills = _check(data)
    request.format, request.agency_preference = data.format, data.agency_preference
    db.session.flush()
    return request


def _require_newcomer(actor: Any, request: MentorRequest) -> None:
    if not is_signed_in(actor) or actor.id != request.newcomer_id:
        raise PermissionDenied("Only the person who asked can do that.")


def can_see_request(actor: Any, request: MentorRequest) -> bool:
    """The newcomer, the mentor it is asked of, and programme admins of the site."""
    if not is_signed_in(actor):
        return False
    return actor.id in (request.newcomer_id, request.mentor_id, request.withdrawn_from_id) or actor.is_site_admin


@functools.cache
def _request_query() -> sa.Select:
    return sa.select(MentorRequest).where(MentorRequest.id == sa.bindparam("request_id"))


def request_visible_to(actor: Any, request_id: int) -> Optional[MentorRequest]:
    """The request with this id when the actor may see it (can_see_request), else None. A statement built once:
    Session.get builds its own on every call."""
    found = db.session.scalar(_request_query(), {"request_id": request_id})
    return found if found is not None and can_see_request(actor, found) else None


def request_page_of(actor: Any, request_id: int) -> tuple[Optional[MentorRequest], Optional[SuggestionInputs]]:
    """``request_visible_to``, with what its suggestions are made from when the actor made it (see ``suggested``),
    in the same statement."""
    if not is_signed_in(actor):
        return None, None
    found, inputs = request_with_inputs(request_id, actor.id)
    if found is None or not can_see_request(actor, found):
        return None, None
    return found, inputs


def suggestions(request: MentorRequest, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """The mentors who suit this request best, with the reasons, leaving out those who cannot take it."""
    return suggested(request, limit).suggestions


class Suggested(NamedTuple):
    """A request's suggestions, as a page or the API shows them."""

    suggestions: list[Suggestion]
    #: What each suggestion shows of its mentor (mentor_cards), by mentor id.
    mentors: dict[int, sa.Row]
    #: The newcomer's interests and the request's skills they were made from: names by slug.
    interests: dict[str, str]
    skills: dict[str, str]


def suggested(request: MentorRequest, limit: int = SUGGESTIONS, inputs: Optional[SuggestionInputs] = None) -> Suggested:
    """``suggestions``, with what is shown of each mentor and the topics they were made from: one statement
    besides the index's (none when the caller has the ``inputs`` already), whatever the number of mentors, and one
    more for mentors not yet shown at this index."""
    newcomer = request.newcomer
    inputs = inputs or suggestion_inputs(newcomer.id, request.id)
    unavailable = inputs.unavailable | ({request.mentor_id} if request.mentor_id else set())
    found = mentor_index(inputs.version).suggest_kept(
        seeker_for(newcomer, request, (inputs.interests, inputs.skills)), limit=limit, unavailable=unavailable,
        declined=inputs.declined,
    )
    return Suggested(found, mentor_cards([s.mentor_id for s in found], inputs.version), inputs.interests, inputs.skills)


@functools.cache
def _mentor_cards_query() -> sa.Select:
    return (sa.select(User.id, User.display_name, User.job_title, User.level, Agency.name.label("agency_name"))
            .outerjoin(Agency, Agency.id == User.agency_id).where(User.id.in_(sa.bindparam("ids", expanding=True))))


def mentor_cards(ids: list[int], version: int) -> dict[int, sa.Row]:
    """What a suggestion shows of each mentor (id, display_name, job_title, level, agency_name) as plain rows:
    kept by the process at the index's version (cards_at), so only mentors not yet shown at it cost a statement,
    one for them all."""
    kept = cards_at(version)
    missing = [mentor_id for mentor_id in ids if mentor_id not in kept]
    if missing:
        kept.update((row.id, row) for row in db.session.execute(_mentor_cards_query(), {"ids": missing}))
    return {mentor_id: kept[mentor_id] for mentor_id in ids if mentor_id in kept}


def _has_room(mentor: User) -> bool:
    db.session.refresh(mentor, ["mentees_count", "mentoring_paused", "mentoring_capacity", "open_to_mentoring"])
    return mentor.open_to_mentoring and not mentor.mentoring_paused and mentor.mentees_count < mentor.mentoring_capacity


def _refuse_full(request: MentorRequest, mentor: User) -> None:
    following = suggestions(request, limit=1)
    after = ""
    if following:
        nxt = db.session.get(User, following[0].mentor_id)
        after = f" {nxt.display_name} is the next best match for you." if nxt else ""
    raise Conflict(f"{mentor.display_name} has no room for another mentee just now.{after}", field="mentor")


def ask(actor: Any, request: MentorRequest, mentor: User) -> MentorRequest:
    """Ask one mentor; they hear of it and answer. Refused when they have just filled up or said no before."""
    _require_newcomer(actor, request)
    if request.status != "open":
        if request.status == "asked" and request.mentor_id == mentor.id:
            return request
        raise Conflict("This request is already with a mentor: withdraw it from them first.")
    if mentor.id == actor.id:
        raise ServiceError("You cannot mentor yourself.", field="mentor")
    if not db.session.scalar(sa.select(sa.literal(True)).where(User.id == mentor.id, listed(), mentoring())):
        raise ServiceError(f"{mentor.display_name} is not mentoring at the moment.", field="mentor")
    if mentor.id in declined_by(actor.id):
        raise Conflict(f"{mentor.display_name} has already declined to mentor you.", field="mentor")
    if actor.level and mentor.level and mentor.level <= actor.level:
        raise ServiceError(f"{mentor.display_name} is not further along than you: ask someone at a later level.", field="mentor")
    if not _has_room(mentor):
        _refuse_full(request, mentor)
    request.status, request.mentor_id, request.asked_at = "asked", mentor.id, utcnow()
    db.session.flush()
    notify(mentor, ASKED, f"{actor.display_name} asks you to mentor them", site_path("matching.request", request_id=request.id))
    log.info("user %s asked mentor %s (request %s)", actor.id, mentor.id, request.id)
    return request


def withdraw(actor: Any, request: MentorRequest) -> MentorRequest:
    """The newcomer withdraws: from the mentor they asked (the request goes back to choosing), or altogether."""
    _require_newcomer(actor, request)
    if request.status == "asked":
        mentor = request.mentor
        request.withdrawn_from_id = request.mentor_id
        request.status, request.mentor_id, request.asked_at = "open", None, None
        db.session.flush()
        if mentor is not None:
            notify(mentor, ASKED, f"{actor.display_name} withdrew their request", site_path("matching.index"))
        return request
    if request.status == "open":
        request.status = "withdrawn"
        db.session.flush()
        return request
    raise Conflict("This request has already been answered.")


def _require_asked_mentor(actor: Any, request: MentorRequest) -> None:
    if is_signed_in(actor) and actor.id == request.withdrawn_from_id and actor.id != request.mentor_id:
        raise Conflict("The newcomer withdrew this request.")
    if not is_signed_in(actor) or actor.id != request.mentor_id:
        raise PermissionDenied("Only the mentor it was asked of can answer this request.")
    if request.status != "asked":
        raise Conflict("This request is no longer waiting for an answer.")


def take_place(mentor_id: int) -> bool:
    """One of the mentor's places, if they have one and are not paused: True when this call took it."""
    return db.session.execute(
        sa.update(User)
        .where(
            User.id == mentor_id, User.open_to_mentoring.is_(True), User.mentoring_paused.is_(False),
            User.mentees_count < User.mentoring_capacity,
        )
        .values(mentees_count=User.mentees_count + 1)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def give_back_place(mentor_id: int) -> None:
    db.session.execute(
        sa.update(User).where(User.id == mentor_id, User.mentees_count > 0)
        .values(mentees_count=User.mentees_count - 1).execution_options(synchronize_session=False)
    )


def start_mentorship(mentor: User, newcomer: User, request: Optional[MentorRequest] = None, programme_id: Optional[int] = None) -> Mentorship:
    """A mentorship, once a place is taken; the first check-in is two weeks on."""
    from datetime import timedelta

    now = utcnow()
    mentorship = Mentorship(
        mentor_id=mentor.id, newcomer_id=newcomer.id, request_id=request.id if request else None, programme_id=programme_id,
        status="active", check_in_days=14, next_check_in_at=now + timedelta(days=14), started_at=now,
    )
    db.session.add(mentorship)
    db.session.flush()
    return mentorship


def accept(actor: Any, request: MentorRequest) -> Mentorship:
    """The mentor takes the newcomer on, within their capacity."""
    _require_asked_mentor(actor, request)
    if not take_place(actor.id):
        raise Conflict("You have no room for another mentee: end or finish a mentorship, or raise your capacity, first.")
    db.session.refresh(actor, ["mentees_count"])
    mentorship = start_mentorship(actor, request.newcomer, request)
    request.status = "matched"
    db.session.flush()
    link = site_path("matching.mentorship", mentorship_id=mentorship.id)
    notify(request.newcomer, ANSWERED, f"{actor.display_name} will mentor you", link)
    log.info("mentor %s accepted request %s (mentorship %s)", actor.id, request.id, mentorship.id)
    return mentorship


def decline(actor: Any, request: MentorRequest, reason: str) -> MentorRequest:
    """The mentor says no, with a reason the newcomer reads; the pair is never suggested again."""
    _require_asked_mentor(actor, request)
    reason = strip_html(reason or "").strip()
    if not reason:
        raise ServiceError("Say why, so that they can ask the right person next.", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ServiceError(f"Keep the reason to {MAX_REASON_LENGTH:,} characters or fewer.", field="reason")
    db.session.add(MentorDecline(newcomer_id=request.newcomer_id, mentor_id=actor.id, request_id=request.id, reason=reason))
    request.status, request.mentor_id, request.asked_at = "open", None, None
    db.session.flush()
    following = suggestions(request, limit=1)
    nxt = db.session.get(User, following[0].mentor_id) if following else None
    title = f"{actor.display_name} cannot mentor you: {reason}"
    body = (
        f"{actor.display_name} cannot mentor you just now. They said: {reason}\n\n"
        + (f"{nxt.display_name} is the next best match for you; see your suggestions to ask them." if nxt else
           "See your suggestions to ask someone else.")
    )
    notify(request.newcomer, ANSWERED, title, site_path("matching.request", request_id=request.id), mail_body=body)
    log.info("mentor %s declined request %s", actor.id, request.id)
    return request


def set_paused(actor: Any, paused: bool) -> User:
    """A mentor pauses (offered to nobody new; their mentees stay) or resumes."""
    if not is_signed_in(actor):
        raise PermissionDenied("Sign in first.")
    if not actor.open_to_mentoring:
        raise Conflict("Say on your profile that you are open to mentoring first.")
    actor.mentoring_paused = paused
    db.session.flush()
    return actor


def set_format(actor: Any, fmt: str) -> User:
    if not is_signed_in(actor):
        raise PermissionDenied("Sign in first.")
    if fmt not in FORMATS:
        raise ServiceError("Choose how you mentor.", field="format")
    actor.mentoring_format = fmt
    db.session.flush()
    return actor
