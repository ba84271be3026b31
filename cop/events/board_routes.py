"""The session board's pages: the grid, pitching and marking interest, rooms and times, filling the grid,
placing by hand, and a host's notes (which can become a draft case study)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from cop.cache import public_page
from cop.errors import ServiceError
from cop.events import board, forms, services
from cop.events.models import BoardRoom, BoardSession, BoardSlot, Event
from cop.extensions import db
from cop.forms import EmptyForm
from cop.web import act_and_redirect, as_choices

bp = Blueprint("board", __name__, template_folder="templates")


def _actor() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _board_or_404(slug: str) -> Event:
    event = services.event_by_slug(slug)
    if event is None or not board.has_board(event):
        abort(404, description="There is no session board at this address.")
    return event


def _session_or_404(event: Event, session_id: int) -> BoardSession:
    session = db.session.get(BoardSession, session_id)
    if session is None or session.event_id != event.id:
        abort(404)
    return session


def _back(slug: str) -> str:
    return url_for("board.board", slug=slug)


@bp.route("/events/<slug>/board", endpoint="board")
@public_page
def board_page(slug: str):
    event = _board_or_404(slug)
    actor = _actor()
    manager = board.can_organise(actor, event)
    grid = board.grid(event)
    place_forms = {}
    if manager:
        for session in grid.unplaced + list(grid.cells.values()):
            form = forms.PlaceForm(formdata=None, prefix=f"place-{session.id}")
            form.room.choices = as_choices([("", "Off the grid"), *((str(r.id), r.name) for r in grid.rooms)])
            form.slot.choices = as_choices([("", "Off the grid"), *((str(s.id), s.starts_at.strftime("%H:%M")) for s in grid.slots)])
            form.room.data, form.slot.data = str(session.room_id or ""), str(session.slot_id or "")
            place_forms[session.id] = form
    return render_template(
        "events/board.html", event=event, grid=grid, manager=manager, zone=event.local_start.tzinfo,
        actor_id=actor.id if actor else None,
        form=EmptyForm(formdata=None) if actor else None,
        pitch_form=forms.PitchForm(formdata=None) if actor else None,
        room_form=forms.RoomForm(formdata=None) if manager else None,
        time_form=forms.TimeForm(formdata=None) if manager else None,
        place_forms=place_forms,
        notes_forms={s.id: forms.NotesForm(formdata=None, prefix=f"notes-{s.id}", data={"notes": s.notes})
                     for s in grid.unplaced + list(grid.cells.values()) if actor and s.host_id == actor.id},
    )


@bp.route("/events/<slug>/board/pitch", methods=["POST"])
@login_required
def pitch(slug: str):
    event = _board_or_404(slug)
    form = forms.PitchForm()
    return act_and_redirect(form, lambda: board.pitch(_actor(), event, form.title.data, form.summary.data or ""),
                            lambda session: f"“{session.title}” is on the board. Others can now mark their interest.", _back(slug))


@bp.route("/events/<slug>/board/sessions/<int:session_id>/interest", methods=["POST"])
@login_required
def interest(slug: str, session_id: int):
    event = _board_or_404(slug)
    session = _session_or_404(event, session_id)
    return act_and_redirect(EmptyForm(), lambda: board.toggle_interest(_actor(), session),
                            lambda now: f"You are interested in “{session.title}”." if now else f"You are no longer marked as interested in “{session.title}”.",
                            _back(slug))


@bp.route("/events/<slug>/board/rooms", methods=["POST"])
@login_required
def add_room(slug: str):
    event = _board_or_404(slug)
    if not board.can_organise(_actor(), event):
        abort(403)
    form = forms.RoomForm()
    return act_and_redirect(form, lambda: board.add_room(_actor(), event, form.name.data, form.capacity.data),
                            lambda room: f"{room.name} is on the board.", _back(slug))


@bp.route("/events/<slug>/board/times", methods=["POST"])
@login_required
def add_time(slug: str):
    event = _board_or_404(slug)
    if not board.can_organise(_actor(), event):
        abort(403)
    form = forms.TimeForm()
    return act_and_redirect(form, lambda: board.add_slot(_actor(), event, form.starts.data, form.ends.data),
                            lambda _slot: "The time is on the board.", _back(slug))


@bp.route("/events/<slug>/board/schedule", methods=["POST"])
@login_required
def schedule(slug: str):
    event = _board_or_404(slug)
    if not board.can_organise(_actor(), event):
        abort(403)
    return act_and_redirect(EmptyForm(), lambda: board.schedule(_actor(), event),
                            lambda placed: f"The grid is filled: {placed} sessions have a room and a time.", _back(slug))


@bp.route("/events/<slug>/board/sessions/<int:session_id>/place", methods=["POST"])
@login_required
def place(slug: str, session_id: int):
    event = _board_or_404(slug)
    if not board.can_organise(_actor(), event):
        abort(403)
    session = _session_or_404(event, session_id)
    form = forms.PlaceForm(prefix=f"place-{session_id}")

    def act() -> None:
        room = db.session.get(BoardRoom, int(form.room.data)) if (form.room.data or "").isdigit() else None
        slot = db.session.get(BoardSlot, int(form.slot.data)) if (form.slot.data or "").isdigit() else None
        if (form.room.data and room is None) or (form.slot.data and slot is None):
            raise ServiceError("Choose a room and a time from the lists.", field="room")
        board.place(_actor(), session, room, slot)

    return act_and_redirect(form, act, lambda _none: f"“{session.title}” is placed.", _back(slug))


@bp.route("/events/<slug>/board/sessions/<int:session_id>/notes", methods=["POST"])
@login_required
def notes(slug: str, session_id: int):
    event = _board_or_404(slug)
    session = _session_or_404(event, session_id)
    form = forms.NotesForm(prefix=f"notes-{session_id}")
    return act_and_redirect(form, lambda: board.add_notes(_actor(), session, form.notes.data or ""),
                            lambda _none: "Your notes are saved.", _back(slug))


@bp.route("/events/<slug>/board/sessions/<int:session_id>/case-study", methods=["POST"])
@login_required
def case_study(slug: str, session_id: int):
    event = _board_or_404(slug)
    session = _session_or_404(event, session_id)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash("Something in the form was not right. Try again.", "error")
        return redirect(_back(slug))
    try:
        draft = board.notes_to_case_study(_actor(), session)
    except ServiceError as error:
        db.session.rollback()
        if error.status_code == 403:
            abort(403)
        flash(error.message, "error")
        return redirect(_back(slug))
    db.session.commit()
    flash("A draft case study is made from your notes. Add what it still needs, then send it for review.", "success")
    return redirect(url_for("casestudies.edit", slug=draft.slug))
