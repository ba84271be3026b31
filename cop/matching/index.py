"""The suggestion index: mentors' profiles as the engine reads them, built once per process and rebuilt
only when a mentor's profile has changed since.

The version stamp is one row (``matching_state``) that moves on in the same transaction as any change
to what the index holds (a mentor's level, skills, interests, words, agency, country, zone, format,
or whether they mentor at all), so every worker sees a change on its next suggestion. What changes
by the minute (a mentor reaching capacity, pausing, declining someone) is not in the index: it is read
fresh for each suggestion and passed to the engine as a mask.
"""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import User, listed, mentoring, unavailable_mentor, user_interests, user_skills
from cop.agencies.models import Agency
from cop.database import json_rows
from cop.extensions import db
from cop.matching.engine import MentorIndex, MentorProfile, Seeker, Weights
from cop.matching.models import MatchingState, MentorDecline, MentorRequest, request_skills
from cop.text.models import Topic

log = logging.getLogger(__name__)

#: The User attributes the index is built from, and a suggestion shows; a change to any of them moves the
#: version on, as does a change to an agency's name (a suggestion shows it).
INDEXED = frozenset({
    "level", "job_title", "bio", "agency_id", "country", "time_zone", "open_to_mentoring", "mentoring_capacity",
    "mentoring_format", "skills", "interests", "is_active", "email_verified_at", "display_name",
})

_lock = threading.Lock()


def current_version() -> int:
    return db.session.scalar(sa.select(MatchingState.version).where(MatchingState.id == 1)) or 0


def bump_version(connection: sa.Connection) -> None:
    """Move the stamp on (inside the caller's transaction)."""
    moved = connection.execute(
        sa.update(MatchingState.__table__).where(MatchingState.__table__.c.id == 1)
        .values(version=MatchingState.__table__.c.version + 1)
    ).rowcount
    if not moved:
        connection.execute(sa.insert(MatchingState.__table__).values(id=1, version=1))


@sa.event.listens_for(so.Session, "after_flush")
def _note_profile_changes(session: so.Session, _context: Any) -> None:
    if session.info.get("matching_bumped"):
        return
    changed = any(isinstance(obj, User) for obj in session.deleted) or any(
        isinstance(obj, Agency) and sa.inspect(obj).attrs.name.history.has_changes() for obj in session.dirty
    ) or any(
        isinstance(obj, User) and obj.open_to_mentoring for obj in session.new
    ) or any(
        isinstance(obj, User) and (obj.open_to_mentoring or _was_mentoring(obj)) and _indexed_change(obj)
        for obj in session.dirty
    )
    if changed:
        session.info["matching_bumped"] = True
        bump_version(session.connection())


def _was_mentoring(user: User) -> bool:
    history = sa.inspect(user).attrs.open_to_mentoring.history
    return any(history.deleted)


def _indexed_change(user: User) -> bool:
    state = sa.inspect(user)
    return any(state.attrs[name].history.has_changes() for name in INDEXED)


@sa.event.listens_for(so.Session, "after_commit")
def _forget(session: so.Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop("matching_bumped", None)


@sa.event.listens_for(so.Session, "after_soft_rollback")
def _forget_on_rollback(session: so.Session, previous: Any) -> None:
    # Even a SAVEPOINT's rollback may have undone the bump: bump again on the next change.
    session.info.pop("matching_bumped", None)


def _slugs(table: sa.Table, ids: Iterable[int]) -> dict[int, set[str]]:
    """Each person's topic slugs, in one query for every id (chunked for the database's parameter limit)."""
    ids = list(ids)
    found: dict[int, set[str]] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        rows = db.session.execute(
            sa.select(table.c.user_id, Topic.slug).join(Topic, Topic.id == table.c.topic_id).where(table.c.user_id.in_(chunk))
        )
        for user_id, slug in rows:
            found.setdefault(user_id, set()).add(slug)
    return found


def mentor_profiles() -> list[MentorProfile]:
    """Everyone the index offers: listed people open to mentoring, with a capacity."""
    rows = db.session.execute(
        sa.select(
            User.id, User.level, User.job_title, User.bio, User.agency_id, User.country, User.time_zone, User.mentoring_format
        ).where(listed(), mentoring()).order_by(User.id)
    ).all()
    ids = [row.id for row in rows]
    skills, interests = _slugs(user_skills, ids), _slugs(user_interests, ids)
    return [
        MentorProfile(
            id=row.id, level=row.level or "101", skills=frozenset(skills.get(row.id, ())),
            interests=frozenset(interests.get(row.id, ())), text=f"{row.job_title}\n{row.bio}", agency_id=row.agency_id,
            country=row.country, time_zone=row.time_zone or "UTC", format=row.mentoring_format or "either",
        )
        for row in rows
    ]


def weights() -> Weights:
    from flask import current_app

    return Weights(**current_app.config.get("COP_MATCHING_WEIGHTS", {}))


def mentor_index(version: Optional[int] = None) -> MentorIndex:
    """This app's index (one per process), rebuilt first when the stamp (read now, unless the caller has just
    read it) has moved on since it was built."""
    from flask import current_app

    version, chosen = current_version() if version is None else version, weights()
    with _lock:
        kept = current_app.extensions.get("matching.index")
        if kept is not None and kept[0] == (version, chosen):
            return kept[1]
    index = MentorIndex.build(mentor_profiles(), chosen, version=version)
    log.info("built the mentor index: %d mentors at version %d", len(index), version)
    with _lock:
        current_app.extensions["matching.index"] = ((version, chosen), index)
    return index


def cards_at(version: int) -> dict[int, Any]:
    """This process's mentor cards (what a suggestion shows of a mentor, filled in by the caller) at the index's
    version: everything a card shows is indexed, so a change to any of it moves the version on and empties
    them. At most one card per mentor. A caller still at an older version gets a dict of its own."""
    from flask import current_app

    with _lock:
        kept = current_app.extensions.get("matching.cards")
        if kept is None or kept[0] < version:
            kept = current_app.extensions["matching.cards"] = (version, {})
    return kept[1] if kept[0] == version else {}


def declined_by(newcomer_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(MentorDecline.mentor_id).where(MentorDecline.newcomer_id == newcomer_id)))


@dataclass(frozen=True)
class SuggestionInputs:
    """What one request's suggestions are made from, beside the index: read fresh for each, in one statement."""

    #: The newcomer's interests and the request's skills: topic names by slug.
    interests: dict[str, str]
    skills: dict[str, str]
    #: Mentors who take nobody new just now (paused, or every place taken), and those who declined this newcomer.
    unavailable: set[int]
    declined: set[int]
    #: The index's version stamp.
    version: int


_INTEREST, _SKILL, _UNAVAILABLE, _DECLINED, _VERSION = range(5)


@functools.cache
def _inputs_query() -> sa.CompoundSelect:
    """Built once. Every row is (kind, number, slug, name); each kind fills in what it has."""
    no_text = sa.cast(sa.null(), sa.String)

    def kind(value: int) -> sa.ColumnElement:
        return sa.literal_column(str(value))

    return sa.union_all(
        sa.select(kind(_INTEREST).label("kind"), Topic.id.label("number"), Topic.slug.label("slug"), Topic.name.label("name"))
        .join(user_interests, user_interests.c.topic_id == Topic.id).where(user_interests.c.user_id == sa.bindparam("newcomer_id")),
        sa.select(kind(_SKILL), Topic.id, Topic.slug, Topic.name)
        .join(request_skills, request_skills.c.topic_id == Topic.id).where(request_skills.c.request_id == sa.bindparam("request_id")),
        sa.select(kind(_UNAVAILABLE), User.id, no_text, no_text).where(unavailable_mentor()),
        sa.select(kind(_DECLINED), MentorDecline.mentor_id, no_text, no_text)
        .where(MentorDecline.newcomer_id == sa.bindparam("newcomer_id")),
        sa.select(kind(_VERSION), MatchingState.version, no_text, no_text).where(MatchingState.id == 1),
    )


def suggestion_inputs(newcomer_id: int, request_id: int) -> SuggestionInputs:
    """What a request's suggestions read fresh (see SuggestionInputs), in one statement."""
    return inputs_from(db.session.execute(_inputs_query(), {"newcomer_id": newcomer_id, "request_id": request_id}))


@functools.cache
def _request_with_inputs_query() -> sa.Select:
    """A request, with what its suggestions read fresh as JSON (parameters: request_id, newcomer_id)."""
    inputs = _inputs_query().subquery()
    return (sa.select(MentorRequest, sa.select(json_rows(*inputs.c)).scalar_subquery())
            .where(MentorRequest.id == sa.bindparam("request_id")))


def request_with_inputs(request_id: int, newcomer_id: int) -> tuple[Optional[MentorRequest], Optional[SuggestionInputs]]:
    """A request and, in the same statement, its suggestions' inputs as they would be if ``newcomer_id`` made it
    (None when they did not): a newcomer's page of suggestions is one statement besides the sign-in."""
    row = db.session.execute(_request_with_inputs_query(), {"request_id": request_id, "newcomer_id": newcomer_id}).first()
    if row is None:
        return None, None
    request, inputs = row
    return request, (inputs_from(inputs or ()) if request.newcomer_id == newcomer_id else None)


def inputs_from(rows: Iterable[Sequence[Any]]) -> SuggestionInputs:
    """SuggestionInputs from the inputs' rows of (kind, number, slug, name)."""
    found: dict[int, list] = {kind: [] for kind in range(5)}
    for kind, number, slug, name in rows:
        found[kind].append((number, slug, name))
    return SuggestionInputs(
        interests={slug: name for _, slug, name in found[_INTEREST]}, skills={slug: name for _, slug, name in found[_SKILL]},
        unavailable={number for number, _, _ in found[_UNAVAILABLE]}, declined={number for number, _, _ in found[_DECLINED]},
        version=next((number for number, _, _ in found[_VERSION]), 0),
    )


def seeker_for(newcomer: User, request: Optional[MentorRequest], topics: Optional[tuple[Iterable[str], Iterable[str]]] = None) -> Seeker:
    """A newcomer as the engine reads them: their request's goals and skills, or (in a programme, without a
    request) what their profile says they want to learn. ``topics``: their interests' and the request's skills'
    slugs, when the caller has them already (suggestion_inputs)."""
    interests = frozenset(topics[0] if topics else (topic.slug for topic in newcomer.interests))
    if request is not None:
        skills = frozenset(topics[1] if topics else (topic.slug for topic in request.skills))
        text, fmt, preference = request.goals, request.format, request.agency_preference
    else:
        skills, text, fmt, preference = interests, f"{newcomer.job_title}\n{newcomer.bio}", "either", "either"
    return Seeker(
        id=newcomer.id, level=newcomer.level, skills=skills, interests=interests, text=text, agency_id=newcomer.agency_id,
        country=newcomer.country, time_zone=newcomer.time_zone or "UTC", format=fmt, agency_preference=preference,
    )
