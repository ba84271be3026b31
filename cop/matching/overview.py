"""What /mentoring/ shows a signed-in person: their live request, the requests waiting for their answer when they
mentor, and their mentorships on either side, in one statement (each part as JSON rows beside the others)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import User
from cop.clock import from_json
from cop.database import json_rows
from cop.extensions import db
from cop.matching.models import LIVE_REQUEST, MentorRequest, Mentorship


@dataclass(frozen=True)
class LiveRequest:
    """The newcomer's request still looking for (or waiting on) a mentor."""

    id: int
    status: str
    #: The mentor asked, while it waits for their answer.
    mentor_name: Optional[str]


@dataclass(frozen=True)
class Waiting:
    """A request waiting for this mentor's answer."""

    id: int
    newcomer_name: str
    asked_at: Optional[datetime]


@dataclass(frozen=True)
class MentorshipLine:
    """One of their mentorships, as a line of the list."""

    id: int
    #: Whether the person is the mentor in it (or else the newcomer).
    mentoring: bool
    other_name: str
    status: str
    started_at: datetime
    next_check_in_at: Optional[datetime]
    ended_at: Optional[datetime]


@dataclass(frozen=True)
class Overview:
    live: Optional[LiveRequest]
    #: Oldest first; empty for someone not open to mentoring.
    waiting: list[Waiting]
    #: Each newest first.
    active: list[MentorshipLine]
    ended: list[MentorshipLine]


@functools.cache
def _query(mentor: bool) -> sa.Select:
    """Built once for newcomers and once for mentors (only a mentor is asked anything)."""
    person = sa.bindparam("user_id")
    asked, newcomer, other = so.aliased(User), so.aliased(User), so.aliased(User)
    live = (sa.select(json_rows(MentorRequest.id, MentorRequest.status, asked.display_name))
            .outerjoin(asked, asked.id == MentorRequest.mentor_id)
            .where(MentorRequest.newcomer_id == person, MentorRequest.status.in_(LIVE_REQUEST)))
    theirs = (sa.select(json_rows(Mentorship.id, Mentorship.mentor_id, other.display_name, Mentorship.status,
                                  Mentorship.started_at, Mentorship.next_check_in_at, Mentorship.ended_at))
              .join(other, other.id == sa.case((Mentorship.mentor_id == person, Mentorship.newcomer_id), else_=Mentorship.mentor_id))
              .where(sa.or_(Mentorship.mentor_id == person, Mentorship.newcomer_id == person)))
    columns = [live.scalar_subquery(), theirs.scalar_subquery()]
    if mentor:
        columns.append(sa.select(json_rows(MentorRequest.id, newcomer.display_name, MentorRequest.asked_at))
                       .join(newcomer, newcomer.id == MentorRequest.newcomer_id)
                       .where(MentorRequest.mentor_id == person, MentorRequest.status == "asked").scalar_subquery())
    return sa.select(*columns)


def _when(value: Optional[str]) -> Optional[datetime]:
    return from_json(value) if value else None


def of_person(user: Any) -> Overview:
    """The person's mentoring at a glance."""
    mentor = bool(user.open_to_mentoring)
    row = db.session.execute(_query(mentor), {"user_id": user.id}).one()
    live = next((LiveRequest(request_id, status, mentor_name) for request_id, status, mentor_name in row[0] or ()), None)
    lines = [MentorshipLine(mentorship_id, mentor_id == user.id, other_name, status, from_json(started_at),
                            _when(next_check_in_at), _when(ended_at))
             for mentorship_id, mentor_id, other_name, status, started_at, next_check_in_at, ended_at in row[1] or ()]
    lines.sort(key=lambda line: (line.started_at, line.id), reverse=True)
    waiting = [Waiting(request_id, newcomer_name, _when(asked_at))
               for request_id, newcomer_name, asked_at in ((row[2] or ()) if mentor else ())]
    waiting.sort(key=lambda item: (item.asked_at is None, item.asked_at or datetime.min, item.id))
    return Overview(live, waiting, [line for line in lines if line.status == "active"],
                    [line for line in lines if line.status == "ended"])
