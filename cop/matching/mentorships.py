"""An active mentorship: agreed goals, a check-in schedule with reminders, private notes, an end and feedback."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import User
from cop.agencies.models import Agency
from cop.clock import from_json, utcnow
from cop.database import json_rows
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.extensions import db
from cop.matching.models import CHECK_IN_EVERY, MAX_GOALS_LENGTH, MAX_NOTE_LENGTH, MAX_REASON_LENGTH, Mentorship, MentorshipFeedback, MentorshipNote
from cop.matching.services import give_back_place
from cop.notifications.services import notify, register_kind
from cop.text.markdown import strip_html
from cop.urls import site_path

log = logging.getLogger(__name__)

NEWS = register_kind("mentorship_news", "Your mentorship: goals agreed, a note added, or it ended").name
CHECK_INS = register_kind("mentorship_check_in", "A reminder the day before a mentoring check-in").name

MAX_COMMENT_LENGTH = 2000


@dataclass(frozen=True)
class NoteShown:
    """A note as the mentorship's page shows it."""

    id: int
    author: Optional[User]
    body: str
    created_at: datetime


@functools.cache
def _pair_query(with_notes: bool) -> sa.Select:
    """Built once for each use (pages and actions on a mentorship all run it): the mentorship when the actor is
    one of the pair, with the other of the two and their agency (the actor is loaded already: the sign-in brings
    them), and for its page the notes, as JSON in the same statement."""
    actor = sa.bindparam("actor_id")
    other = so.aliased(User)
    columns: list[Any] = [Mentorship, other]
    options: list[Any] = [so.joinedload(other.agency)]
    if with_notes:
        note = MentorshipNote
        columns.append(sa.select(json_rows(note.id, note.author_id, note.body, note.created_at))
                       .where(note.mentorship_id == Mentorship.id).scalar_subquery())
        # The page shows the other person's name and agency, and nothing else of either.
        options = [so.load_only(other.display_name, other.agency_id),
                   so.joinedload(other.agency).load_only(Agency.name)]
    return (
        sa.select(*columns)
        .join(other, other.id == sa.case((Mentorship.mentor_id == actor, Mentorship.newcomer_id), else_=Mentorship.mentor_id))
        .where(Mentorship.id == sa.bindparam("mentorship_id"), sa.or_(Mentorship.mentor_id == actor, Mentorship.newcomer_id == actor))
        .options(*options)
    )


def _pair_row(actor: Any, mentorship_id: int, with_notes: bool) -> Optional[sa.Row]:
    if not getattr(actor, "id", None):
        return None
    row = db.session.execute(_pair_query(with_notes), {"mentorship_id": mentorship_id, "actor_id": actor.id}).first()
    if row is None:
        return None
    # Both of the pair on the mentorship, held there (the session keeps an object only while it is referred to).
    # The actor is the session's own (found in its identity map, with no statement, when the sign-in loaded them).
    mentorship, other = row[0], row[1]
    mine, theirs = ("mentor", "newcomer") if mentorship.mentor_id == actor.id else ("newcomer", "mentor")
    so.attributes.set_committed_value(mentorship, mine, db.session.get(User, actor.id))
    so.attributes.set_committed_value(mentorship, theirs, other)
    return row


def visible_to(actor: Any, mentorship_id: int) -> Optional[Mentorship]:
    """The mentorship when the actor is one of the pair; None (a 404 for anyone else, admins included). Both of
    the pair, and the other's agency, come with it: every page and action on it names the other side."""
    row = _pair_row(actor, mentorship_id, with_notes=False)
    return row[0] if row is not None else None


def page_of(actor: Any, mentorship_id: int) -> Optional[tuple[Mentorship, list[NoteShown]]]:
    """``visible_to``, with the pair's notes, newest first, in the same statement."""
    row = _pair_row(actor, mentorship_id, with_notes=True)
    if row is None:
        return None
    mentorship = row[0]
    pair = {mentorship.mentor_id: mentorship.mentor, mentorship.newcomer_id: mentorship.newcomer}
    notes = [NoteShown(note_id, pair.get(author_id), body, from_json(created_at))
             for note_id, author_id, body, created_at in row[2] or ()]
    notes.sort(key=lambda note: (note.created_at, note.id), reverse=True)
    return mentorship, notes


def _require_pair(actor: Any, mentorship: Mentorship) -> None:
    if not mentorship.involves(actor):
        raise PermissionDenied("Only the mentor and their mentee can do that.")


def _require_active(mentorship: Mentorship) -> None:
    if mentorship.status != "active":
        raise Conflict("This mentorship has ended.")


def _link(mentorship: Mentorship) -> str:
    return site_path("matching.mentorship", mentorship_id=mentorship.id)


def _tell_other(actor: User, mentorship: Mentorship, kind: str, title: str) -> None:
    notify(mentorship.other(actor), kind, title, _link(mentorship))


def set_goals(actor: Any, mentorship: Mentorship, goals: str, check_in_days: int) -> Mentorship:
    """The pair's agreed goals and how often they check in; the next check-in moves to match."""
    _require_pair(actor, mentorship)
    _require_active(mentorship)
    goals = strip_html(goals or "").strip()
    if not goals:
        raise ServiceError("Write the goals you agreed.", field="goals")
    if len(goals) > MAX_GOALS_LENGTH:
        raise ServiceError(f"Keep the goals to {MAX_GOALS_LENGTH:,} characters or fewer.", field="goals")
    if check_in_days not in CHECK_IN_EVERY:
        raise ServiceError("Choose how often you check in.", field="check_in_days")
    mentorship.goals = goals
    if check_in_days != mentorship.check_in_days or mentorship.next_check_in_at is None:
        mentorship.check_in_days = check_in_days
        mentorship.next_check_in_at = utcnow() + timedelta(days=check_in_days) if check_in_days else None
        mentorship.reminded_for = None
    db.session.flush()
    _tell_other(actor, mentorship, NEWS, f"{actor.display_name} updated the goals of your mentorship")
    return mentorship


def add_note(actor: Any, mentorship: Mentorship, body: str) -> MentorshipNote:
    _require_pair(actor, mentorship)
    body = strip_html(body or "").strip()
    if not body:
        raise ServiceError("Write the note.", field="body")
    if len(body) > MAX_NOTE_LENGTH:
        raise ServiceError(f"Keep a note to {MAX_NOTE_LENGTH:,} characters or fewer.", field="body")
    note = MentorshipNote(mentorship_id=mentorship.id, author_id=actor.id, body=body)
    db.session.add(note)
    db.session.flush()
    _tell_other(actor, mentorship, NEWS, f"{actor.display_name} added a note to your mentorship")
    return note


def end(actor: Any, mentorship: Mentorship, reason: str) -> Mentorship:
    """Either side ends it, with a reason; the mentor's place is given back and both may leave feedback."""
    _require_pair(actor, mentorship)
    _require_active(mentorship)
    reason = strip_html(reason or "").strip()
    if not reason:
        raise ServiceError("Say why the mentorship ends.", field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ServiceError(f"Keep the reason to {MAX_REASON_LENGTH:,} characters or fewer.", field="reason")
    moved = db.session.execute(
        sa.update(Mentorship).where(Mentorship.id == mentorship.id, Mentorship.status == "active")
        .values(status="ended", ended_at=utcnow(), ended_by_id=actor.id, end_reason=reason, next_check_in_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise Conflict("This mentorship has already ended.")
    give_back_place(mentorship.mentor_id)
    db.session.refresh(mentorship)
    _tell_other(actor, mentorship, NEWS, f"{actor.display_name} ended your mentorship: {reason}")
    log.info("user %s ended mentorship %s", actor.id, mentorship.id)
    return mentorship


def feedback_of(mentorship: Mentorship) -> dict[int, MentorshipFeedback]:
    rows = db.session.scalars(sa.select(MentorshipFeedback).where(MentorshipFeedback.mentorship_id == mentorship.id))
    return {row.author_id: row for row in rows}


def give_feedback(actor: Any, mentorship: Mentorship, rating: Optional[int], comment: str) -> MentorshipFeedback:
    """Each side's rating (1 to 5) and comment, once the mentorship has ended; given once."""
    _require_pair(actor, mentorship)
    if mentorship.status != "ended":
        raise Conflict("Feedback is given once the mentorship has ended.")
    if rating is None or not 1 <= rating <= 5:
        raise ServiceError("Choose a rating from 1 to 5.", field="rating")
    comment = strip_html(comment or "").strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ServiceError(f"Keep the comment to {MAX_COMMENT_LENGTH:,} characters or fewer.", field="comment")
    if actor.id in feedback_of(mentorship):
        raise Conflict("You have already given your feedback on this mentorship.")
    row = MentorshipFeedback(mentorship_id=mentorship.id, author_id=actor.id, rating=rating, comment=comment)
    db.session.add(row)
    db.session.flush()
    return row


def send_check_in_reminders() -> int:
    """Remind both sides of each check-in due within a day, once per check-in; a check-in past is moved on to
    the next date in the schedule."""
    now = utcnow()
    due = list(db.session.scalars(
        sa.select(Mentorship).where(
            Mentorship.status == "active", Mentorship.next_check_in_at.is_not(None),
            Mentorship.next_check_in_at <= now + timedelta(days=1),
        ).options(so.selectinload(Mentorship.mentor), so.selectinload(Mentorship.newcomer))
    ))
    reminded = 0
    for mentorship in due:
        while mentorship.next_check_in_at < now and mentorship.check_in_days:
            mentorship.next_check_in_at += timedelta(days=mentorship.check_in_days)
        if mentorship.reminded_for == mentorship.next_check_in_at or mentorship.next_check_in_at > now + timedelta(days=1):
            continue
        mentorship.reminded_for = mentorship.next_check_in_at
        when = mentorship.next_check_in_at.strftime("%A %d %B")
        for person, other in ((mentorship.mentor, mentorship.newcomer), (mentorship.newcomer, mentorship.mentor)):
            notify(person, CHECK_INS, f"Check in with {other.display_name} by {when}", _link(mentorship))
        reminded += 1
    db.session.flush()
    return reminded
