"""The session board of a BarCamp or unconference: pitches, interest, rooms and times, and the grid.

The scheduler places the most-wanted sessions first, each in the free room and time where it clashes
least with what is already placed at that time (counted as people interested in both), no host in two
places at once, larger rooms first when clashes tie. Sessions the organiser placed by hand stay put.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Optional
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.services import is_signed_in
from cop.clock import utcnow
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.events.models import BoardRoom, BoardSession, BoardSlot, Event
from cop.events.services import can_manage, is_over, refuse_if_remote, require_manager, to_utc
from cop.extensions import db
from cop.text.markdown import strip_html

#: The kinds of event that have a session board.
BOARD_KINDS = ("barcamp", "unconference")
MAX_ROOMS = 30
MAX_SLOTS = 30


def has_board(event: Event) -> bool:
    """BarCamps and unconferences listed here have a session board; one from another server has its own there."""
    return event.kind in BOARD_KINDS and not event.is_remote


def _require_board(event: Event) -> None:
    refuse_if_remote(event)
    if not has_board(event):
        raise Conflict("Only BarCamps and unconferences have a session board.")
    if event.is_cancelled:
        raise Conflict(f"{event.title} is cancelled.")


def pitch(actor: Any, event: Event, title: str, summary: str) -> BoardSession:
    """Anyone signed in pitches a session they will host."""
    if not is_signed_in(actor):
        raise PermissionDenied("Sign in to pitch a session.")
    _require_board(event)
    if is_over(event):
        raise Conflict(f"{event.title} has ended.")
    title = " ".join(strip_html(title or "").split())
    if not title:
        raise ServiceError("Give your session a title.", field="title")
    if len(title) > 150:
        raise ServiceError("The title must be 150 characters or fewer.", field="title")
    summary = " ".join(strip_html(summary or "").split())
    if len(summary) > 1000:
        raise ServiceError("Keep the summary to 1,000 characters or fewer.", field="summary")
    session = BoardSession(event_id=event.id, title=title, summary=summary, host_id=actor.id, pinned=False, notes="",
                           created_at=utcnow(), updated_at=utcnow())
    session.interested = [actor]
    db.session.add(session)
    db.session.flush()
    return session


def toggle_interest(actor: Any, session: BoardSession) -> bool:
    """Mark interest in a session, or take it back; True when now interested."""
    if not is_signed_in(actor):
        raise PermissionDenied("Sign in to mark your interest.")
    if any(person.id == actor.id for person in session.interested):
        session.interested = [p for p in session.interested if p.id != actor.id]
        interested = False
    else:
        session.interested.append(actor)
        interested = True
    session.updated_at = utcnow()
    db.session.flush()
    return interested


def add_room(actor: Any, event: Event, name: str, capacity: Optional[int]) -> BoardRoom:
    require_manager(actor, event)
    _require_board(event)
    name = " ".join(strip_html(name or "").split())[:100]
    if not name:
        raise ServiceError("Name the room.", field="name")
    if capacity is None or not 1 <= capacity <= 10_000:
        raise ServiceError("A room holds from 1 to 10,000 people.", field="capacity")
    if len(rooms_of(event)) >= MAX_ROOMS:
        raise Conflict(f"A board has at most {MAX_ROOMS} rooms.")
    room = BoardRoom(event_id=event.id, name=name, capacity=capacity)
    db.session.add(room)
    db.session.flush()
    return room


def add_slot(actor: Any, event: Event, starts: Optional[datetime], ends: Optional[datetime]) -> BoardSlot:
    """A time on the board, given as wall-clock times in the event's zone."""
    require_manager(actor, event)
    _require_board(event)
    if starts is None or ends is None:
        raise ServiceError("Enter when the time starts and ends.", field="starts")
    tz = ZoneInfo(event.time_zone)
    start, end = to_utc(starts, tz, "starts"), to_utc(ends, tz, "ends")
    if end <= start:
        raise ServiceError("A time must end after it starts.", field="ends")
    if len(slots_of(event)) >= MAX_SLOTS:
        raise Conflict(f"A board has at most {MAX_SLOTS} times.")
    slot = BoardSlot(event_id=event.id, starts_at=start, ends_at=end)
    db.session.add(slot)
    db.session.flush()
    return slot


def rooms_of(event: Event) -> list[BoardRoom]:
    return list(db.session.scalars(sa.select(BoardRoom).where(BoardRoom.event_id == event.id).order_by(BoardRoom.capacity.desc(), BoardRoom.id)))


def slots_of(event: Event) -> list[BoardSlot]:
    return list(db.session.scalars(sa.select(BoardSlot).where(BoardSlot.event_id == event.id).order_by(BoardSlot.starts_at, BoardSlot.id)))


def sessions_of(event: Event) -> list[BoardSession]:
    """Every pitched session, most wanted first, with who is interested."""
    sessions = list(db.session.scalars(
        sa.select(BoardSession).where(BoardSession.event_id == event.id)
        .options(so.selectinload(BoardSession.interested), so.joinedload(BoardSession.host))
    ).unique())
    return sorted(sessions, key=lambda s: (-len(s.interested), s.id))


def _interested(session: BoardSession) -> set[int]:
    return {p.id for p in session.interested}


def schedule(actor: Any, event: Event) -> int:
    """Fill the grid (see the module's notes); sessions placed by hand stay. How many sessions are placed."""
    require_manager(actor, event)
    _require_board(event)
    rooms, slots = rooms_of(event), slots_of(event)
    if not rooms or not slots:
        raise Conflict("Add at least one room and one time before filling the grid.")
    sessions = sessions_of(event)
    for session in sessions:
        if not session.pinned:
            session.room_id = session.slot_id = None
    db.session.flush()
    placed: dict[tuple[int, int], BoardSession] = {(s.slot_id, s.room_id): s for s in sessions if s.pinned and s.room_id and s.slot_id}
    hosts_at: dict[int, set[int]] = {}
    for (slot_id, _room_id), session in placed.items():
        if session.host_id:
            hosts_at.setdefault(slot_id, set()).add(session.host_id)
    for session in sessions:
        if session.pinned and session.room_id and session.slot_id:
            continue
        best = None
        for slot in slots:
            if session.host_id and session.host_id in hosts_at.get(slot.id, set()):
                continue
            clash = sum(len(_interested(session) & _interested(other)) for (slot_id, _r), other in placed.items() if slot_id == slot.id)
            for rank, room in enumerate(rooms):
                if (slot.id, room.id) in placed:
                    continue
                key = (clash, rank, slot.starts_at)
                if best is None or key < best[0]:
                    best = (key, slot, room)
                break  # the largest free room of this time is the one to weigh
        if best is None:
            continue
        _key, slot, room = best
        session.slot_id, session.room_id = slot.id, room.id
        placed[(slot.id, room.id)] = session
        if session.host_id:
            hosts_at.setdefault(slot.id, set()).add(session.host_id)
    db.session.flush()
    return len(placed)


def place(actor: Any, session: BoardSession, room: Optional[BoardRoom], slot: Optional[BoardSlot]) -> None:
    """The organiser puts a session in a room and time by hand (or takes it off the grid); it stays there."""
    event = db.session.get(Event, session.event_id)
    require_manager(actor, event)
    if (room is None) != (slot is None):
        raise ServiceError("Choose both a room and a time, or neither to take it off the grid.", field="room")
    if room is not None and (room.event_id != event.id or slot.event_id != event.id):
        raise ServiceError("Choose a room and a time of this event.", field="room")
    if room is not None:
        taken = db.session.scalar(sa.select(BoardSession).where(BoardSession.room_id == room.id, BoardSession.slot_id == slot.id,
                                                                 BoardSession.id != session.id))
        if taken is not None:
            raise Conflict(f"{room.name} already has “{taken.title}” then.", field="room")
        busy = db.session.scalar(sa.select(BoardSession.id).where(BoardSession.slot_id == slot.id, BoardSession.host_id == session.host_id,
                                                                   BoardSession.id != session.id)) if session.host_id else None
        if busy is not None:
            raise Conflict("Its host is running another session then.", field="slot")
    session.room_id, session.slot_id = (room.id, slot.id) if room is not None else (None, None)
    session.pinned = room is not None
    session.updated_at = utcnow()
    db.session.flush()


@dataclass(frozen=True)
class Grid:
    rooms: list[BoardRoom]
    slots: list[BoardSlot]
    cells: dict[tuple[int, int], BoardSession]
    unplaced: list[BoardSession]


def grid(event: Event) -> Grid:
    """The board as a page shows it: rooms across, times down, and what is not placed yet."""
    sessions = sessions_of(event)
    cells = {(s.slot_id, s.room_id): s for s in sessions if s.slot_id and s.room_id}
    return Grid(rooms_of(event), slots_of(event), cells, [s for s in sessions if not (s.slot_id and s.room_id)])


def add_notes(actor: Any, session: BoardSession, notes: str) -> None:
    """After the event, the host writes what happened (Markdown)."""
    if not is_signed_in(actor) or actor.id != session.host_id:
        raise PermissionDenied("Only the session's host can write its notes.")
    event = db.session.get(Event, session.event_id)
    if event.starts_at > utcnow():
        raise Conflict("Notes are written once the event has begun.")
    notes = strip_html(notes or "").strip()
    if len(notes) > 20_000:
        raise ServiceError("Keep the notes to 20,000 characters or fewer.", field="notes")
    session.notes = notes
    session.updated_at = utcnow()
    db.session.flush()


def notes_to_case_study(actor: Any, session: BoardSession) -> Any:
    """The host turns their session's notes into a draft case study for their agency."""
    from cop.casestudies import services as casestudies

    if not is_signed_in(actor) or actor.id != session.host_id:
        raise PermissionDenied("Only the session's host can turn its notes into a case study.")
    if not session.notes:
        raise Conflict("Write the session's notes first.")
    event = db.session.get(Event, session.event_id)
    data = casestudies.CaseStudyInput(
        title=session.title, summary=(session.summary or f"A session at {event.title}.")[:300],
        sections={"approach": session.notes, "challenge": session.summary},
    )
    return casestudies.create_case_study(actor, data)


def can_organise(actor: Any, event: Event) -> bool:
    return can_manage(actor, event)
