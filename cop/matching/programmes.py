"""Programmes (cohorts): an admin chooses newcomers and mentors, the site computes the assignment that
matches the most of them with the highest total similarity within every mentor's capacity, the admin
reviews the report, adjusts by hand and publishes, and everyone matched is told."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

import numpy as np
import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import User, listed, mentoring
from cop.accounts.services import is_signed_in
from cop.agencies.models import Agency
from cop.clock import utcnow
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.extensions import db
from cop.matching import assignment
from cop.matching.index import mentor_index, seeker_for
from cop.matching.models import LIVE_REQUEST, MentorDecline, MentorRequest, Programme, ProgrammeMatch, programme_members
from cop.matching.services import start_mentorship, take_place
from cop.notifications.services import notify, register_kind
from cop.urls import site_path

log = logging.getLogger(__name__)

MATCHED = register_kind("programme_match", "You are matched in a mentoring programme").name

MAX_NAME_LENGTH = 120
#: Candidates per newcomer the assignment chooses among.
CANDIDATES = assignment.DEFAULT_K
#: A programme at most this big is computed at once; a larger one in the task queue.
COMPUTE_AT_ONCE = 200


def can_run_programmes(actor: Any) -> bool:
    return is_signed_in(actor) and (actor.is_site_admin or (actor.is_agency_admin and actor.agency_id is not None))


def can_run(actor: Any, programme: Programme) -> bool:
    if not is_signed_in(actor):
        return False
    if actor.is_site_admin:
        return True
    return programme.agency_id is not None and actor.is_agency_admin and actor.agency_id == programme.agency_id


def _require(actor: Any, programme: Programme) -> None:
    if not can_run(actor, programme):
        raise PermissionDenied("Only the programme's agency admins and site admins can do that.")


def visible_programmes(actor: Any) -> list[Programme]:
    stmt = sa.select(Programme).options(so.selectinload(Programme.agency)).order_by(Programme.created_at.desc(), Programme.id.desc())
    if not actor.is_site_admin:
        stmt = stmt.where(Programme.agency_id == actor.agency_id)
    return list(db.session.scalars(stmt))


def create_programme(actor: Any, name: str, stable: bool = False, agency: Optional[Agency] = None) -> Programme:
    """A programme of the admin's agency (agency admins) or of any agency or the whole site (site admins)."""
    if not can_run_programmes(actor):
        raise PermissionDenied("Only agency admins and site admins run mentoring programmes.")
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Name the programme.", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise ServiceError(f"Keep the name to {MAX_NAME_LENGTH} characters or fewer.", field="name")
    if not actor.is_site_admin:
        agency = actor.agency
    programme = Programme(name=name, stable=stable, agency_id=agency.id if agency else None, created_by_id=actor.id, status="draft")
    db.session.add(programme)
    db.session.flush()
    log.info("user %s created mentoring programme %s", actor.id, programme.id)
    return programme


def members(programme: Programme, role: str) -> list[User]:
    return list(db.session.scalars(
        sa.select(User).join(programme_members, programme_members.c.user_id == User.id)
        .where(programme_members.c.programme_id == programme.id, programme_members.c.role == role)
        .options(so.selectinload(User.agency)).order_by(User.display_name, User.id)
    ))


def newcomer_choices(programme: Programme) -> sa.Select:
    """People who may join as newcomers: listed, not yet at 303; of the programme's agency when it has one."""
    stmt = sa.select(User).where(listed(), User.level != "303")
    if programme.agency_id is not None:
        stmt = stmt.where(User.agency_id == programme.agency_id)
    return stmt.order_by(User.display_name, User.id)


def mentor_choices(programme: Programme) -> sa.Select:
    """People who may join as mentors: listed and open to mentoring, from any agency."""
    return sa.select(User).where(listed(), mentoring()).order_by(User.display_name, User.id)


def set_members(actor: Any, programme: Programme, newcomer_ids: Iterable[int], mentor_ids: Iterable[int]) -> Programme:
    """Who is in the programme; changing it sets aside any computed result."""
    _require(actor, programme)
    if programme.status in ("computing", "published"):
        raise Conflict("The programme's people cannot change while it is computed or once it is published.")
    newcomer_ids, mentor_ids = set(newcomer_ids), set(mentor_ids)
    if not newcomer_ids or not mentor_ids:
        raise ServiceError("Choose at least one newcomer and one mentor.", field="newcomer_ids" if not newcomer_ids else "mentor_ids")
    if newcomer_ids & mentor_ids:
        raise ServiceError("Someone cannot be a newcomer and a mentor in the same programme.", field="mentor_ids")
    allowed_newcomers = set(db.session.scalars(newcomer_choices(programme).with_only_columns(User.id).where(User.id.in_(newcomer_ids))))
    allowed_mentors = set(db.session.scalars(mentor_choices(programme).with_only_columns(User.id).where(User.id.in_(mentor_ids))))
    if allowed_newcomers != newcomer_ids:
        raise ServiceError("Choose newcomers from the list.", field="newcomer_ids")
    if allowed_mentors != mentor_ids:
        raise ServiceError("Choose mentors from the list.", field="mentor_ids")
    db.session.execute(sa.delete(programme_members).where(programme_members.c.programme_id == programme.id))
    db.session.execute(sa.insert(programme_members), [
        *({"programme_id": programme.id, "user_id": uid, "role": "newcomer"} for uid in sorted(newcomer_ids)),
        *({"programme_id": programme.id, "user_id": uid, "role": "mentor"} for uid in sorted(mentor_ids)),
    ])
    _clear_result(programme)
    programme.status = "draft"
    db.session.flush()
    return programme


def _clear_result(programme: Programme) -> None:
    db.session.execute(sa.delete(ProgrammeMatch).where(ProgrammeMatch.programme_id == programme.id))
    programme.report, programme.computed_at, programme.progress, programme.progress_note, programme.error = None, None, 0, "", ""


def start_computing(actor: Any, programme: Programme) -> bool:
    """Compute now (small programmes) or in the task queue (large ones): True when it was queued."""
    from cop.extensions import enqueue_after_commit
    from cop.matching import tasks

    _require(actor, programme)
    if programme.status == "published":
        raise Conflict("This programme is published.")
    if programme.status == "computing":
        raise Conflict("This programme is being computed.")
    newcomers = db.session.scalar(
        sa.select(sa.func.count()).select_from(programme_members)
        .where(programme_members.c.programme_id == programme.id, programme_members.c.role == "newcomer")
    )
    if not newcomers:
        raise Conflict("Choose the programme's newcomers and mentors first.")
    programme.status, programme.progress, programme.progress_note, programme.error = "computing", 0, "Waiting to start", ""
    db.session.flush()
    if newcomers <= COMPUTE_AT_ONCE:
        compute(programme)
        return False
    enqueue_after_commit(tasks.compute_programme, programme.id)
    return True


@dataclass
class Instance:
    """A programme as arrays: each newcomer's candidate mentors (positions in ``mentors``), scores, capacities."""

    newcomers: list[User]
    mentors: list[User]
    candidates: np.ndarray
    scores: np.ndarray
    capacities: np.ndarray
    seekers: list
    declined: dict[int, set[int]]

    def agencies(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.array([person.agency_id or -1 for person in self.newcomers]),
            np.array([person.agency_id or -1 for person in self.mentors]),
        )


def instance(programme: Programme) -> Instance:
    """Each newcomer's best candidates among the programme's mentors, by the engine's rules and scores."""
    newcomers, mentors = members(programme, "newcomer"), members(programme, "mentor")
    index = mentor_index()
    in_programme = {mentor.id for mentor in mentors}
    paused = {mentor.id for mentor in mentors if mentor.mentoring_paused}
    unavailable = (set(index.ids) - in_programme) | paused
    requests = {
        request.newcomer_id: request for request in db.session.scalars(
            sa.select(MentorRequest).where(
                MentorRequest.newcomer_id.in_([n.id for n in newcomers]), MentorRequest.status.in_(LIVE_REQUEST)
            ).options(so.selectinload(MentorRequest.skills))
        )
    }
    declined: dict[int, set[int]] = {}
    for newcomer_id, mentor_id in db.session.execute(
        sa.select(MentorDecline.newcomer_id, MentorDecline.mentor_id).where(MentorDecline.newcomer_id.in_([n.id for n in newcomers]))
    ):
        declined.setdefault(newcomer_id, set()).add(mentor_id)
    seekers = [seeker_for(newcomer, requests.get(newcomer.id)) for newcomer in newcomers]
    k = min(CANDIDATES, max(len(mentors), 1))
    ids, scores = index.candidate_ids(seekers, k, unavailable=unavailable, declined=declined)
    position = {mentor.id: i for i, mentor in enumerate(mentors)}
    candidates = np.array([[position.get(int(m), -1) for m in row] for row in ids.tolist()], dtype=np.int64).reshape(ids.shape)
    scores = np.where(candidates >= 0, scores, -np.inf)
    capacities = np.array([max(mentor.mentoring_capacity - mentor.mentees_count, 0) for mentor in mentors], dtype=np.int64)
    return Instance(newcomers, mentors, candidates, scores, capacities, seekers, declined)


def _widener(data: Instance) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Given each programme mentor's price at the present optimum, every newcomer's best programme mentors by
    score minus price (the engine's scores, its rules applied), so that crowded topics find places elsewhere."""
    index = mentor_index()
    where = {int(mentor_id): n for n, mentor_id in enumerate(index.ids.tolist())}
    found = [(j, where[m.id]) for j, m in enumerate(data.mentors) if m.id in where]
    programme_positions = np.array([j for j, _ in found], dtype=np.int64)
    index_positions = np.array([n for _, n in found], dtype=np.int64)
    width = min(assignment.WIDEN_EDGES, programme_positions.size)

    def widen(prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        candidates = np.full((len(data.seekers), max(width, 1)), -1, dtype=np.int64)
        values = np.full(candidates.shape, -np.inf)
        if not width:
            return candidates, values
        for i, seeker in enumerate(data.seekers):
            scores = index.scores(seeker, declined=data.declined.get(seeker.id, ()))[index_positions]
            gain = scores - prices[programme_positions]
            best = np.argsort(-gain, kind="stable")[:width]
            best = best[np.isfinite(scores[best])]
            candidates[i, :best.size] = programme_positions[best]
            values[i, :best.size] = scores[best]
        return candidates, values

    return widen


def compute(programme: Programme, progress: Optional[Callable[[float, str], None]] = None) -> Programme:
    """Assign, report and store the matches; the programme is then ready to review."""
    data = instance(programme)
    if programme.stable:
        result = assignment.stable(data.candidates, data.scores, data.capacities, progress=progress)
    else:
        result = assignment.assign(data.candidates, data.scores, data.capacities, widen=_widener(data), progress=progress)
    newcomer_agencies, mentor_agencies = data.agencies()
    report = assignment.report(result, data.candidates, data.scores, data.capacities, newcomer_agencies, mentor_agencies)
    _clear_result(programme)
    similarity = result.similarity()
    rows = []
    for i, newcomer in enumerate(data.newcomers):
        j = int(result.pairs[i])
        rows.append({
            "programme_id": programme.id, "newcomer_id": newcomer.id, "mentor_id": data.mentors[j].id if j >= 0 else None,
            "similarity": float(similarity[i]) if j >= 0 else None, "by_hand": False,
        })
    if rows:
        db.session.execute(sa.insert(ProgrammeMatch), rows)
    programme.report = report.to_dict()
    programme.status, programme.progress, programme.progress_note, programme.computed_at = "computed", 100, "Done", utcnow()
    db.session.flush()
    log.info("programme %s computed: %d newcomers, %d mentors", programme.id, len(data.newcomers), len(data.mentors))
    return programme


def matches(programme: Programme) -> list[ProgrammeMatch]:
    return list(db.session.scalars(
        sa.select(ProgrammeMatch).where(ProgrammeMatch.programme_id == programme.id)
        .options(so.selectinload(ProgrammeMatch.newcomer), so.selectinload(ProgrammeMatch.mentor))
        .join(User, User.id == ProgrammeMatch.newcomer_id).order_by(User.display_name, User.id)
    ))


def adjust(actor: Any, programme: Programme, newcomer_id: int, mentor_id: Optional[int]) -> ProgrammeMatch:
    """Give a newcomer another mentor of the programme (or none), within the mentor's places; the report is redone."""
    _require(actor, programme)
    if programme.status != "computed":
        raise Conflict("Compute the programme before adjusting it." if programme.status != "published" else "This programme is published.")
    match = db.session.scalar(sa.select(ProgrammeMatch).where(ProgrammeMatch.programme_id == programme.id, ProgrammeMatch.newcomer_id == newcomer_id))
    if match is None:
        raise ServiceError("Choose a newcomer of this programme.", field="newcomer_id")
    data = instance(programme)
    position = {mentor.id: j for j, mentor in enumerate(data.mentors)}
    if mentor_id is not None:
        if mentor_id not in position:
            raise ServiceError("Choose a mentor of this programme.", field="mentor_id")
        mentor = data.mentors[position[mentor_id]]
        taken = db.session.scalar(sa.select(sa.func.count()).where(
            ProgrammeMatch.programme_id == programme.id, ProgrammeMatch.mentor_id == mentor_id, ProgrammeMatch.newcomer_id != newcomer_id
        ))
        if taken >= data.capacities[position[mentor_id]]:
            raise Conflict(f"{mentor.display_name} has no place left in this programme.", field="mentor_id")
        if db.session.scalar(sa.select(sa.literal(True)).where(MentorDecline.newcomer_id == newcomer_id, MentorDecline.mentor_id == mentor_id)):
            raise Conflict(f"{mentor.display_name} declined this newcomer before.", field="mentor_id")
        i = next(i for i, person in enumerate(data.newcomers) if person.id == newcomer_id)
        match.similarity = _exact_score(data, i, mentor)
    else:
        match.similarity = None
    match.mentor_id, match.by_hand = mentor_id, True
    db.session.flush()
    _redo_report(programme, data)
    return match


def _exact_score(data: Instance, i: int, mentor: User) -> Optional[float]:
    """The engine's similarity for a pair chosen by hand, which may lie outside the newcomer's candidates."""
    index = mentor_index()
    if mentor.id not in index.ids:
        return None
    scores = index.scores(seeker_for(data.newcomers[i], None))
    value = float(scores[list(index.ids).index(mentor.id)])
    return value if np.isfinite(value) else None


def _redo_report(programme: Programme, data: Instance) -> None:
    position = {mentor.id: j for j, mentor in enumerate(data.mentors)}
    stored = {m.newcomer_id: m for m in db.session.scalars(sa.select(ProgrammeMatch).where(ProgrammeMatch.programme_id == programme.id))}
    pairs = np.array([position.get(stored[n.id].mentor_id, -1) if n.id in stored else -1 for n in data.newcomers], dtype=np.int64)
    sims = np.array([stored[n.id].similarity or 0.0 if n.id in stored else 0.0 for n in data.newcomers])
    result = assignment.Assignment(pairs=pairs, scores=sims[pairs >= 0])
    newcomer_agencies, mentor_agencies = data.agencies()
    programme.report = assignment.report(result, data.candidates, data.scores, data.capacities, newcomer_agencies, mentor_agencies).to_dict()


def publish(actor: Any, programme: Programme) -> int:
    """Start every mentorship of the programme and tell each side; all or nothing. How many started."""
    _require(actor, programme)
    if programme.status != "computed":
        raise Conflict("Compute the programme before publishing it." if programme.status != "published" else "This programme is already published.")
    started = 0
    full: list[str] = []
    link_for: list[tuple[User, User, int]] = []
    for match in matches(programme):
        if match.mentor is None:
            continue
        if not take_place(match.mentor_id):
            full.append(match.mentor.display_name)
            continue
        request = db.session.scalar(
            sa.select(MentorRequest).where(MentorRequest.newcomer_id == match.newcomer_id, MentorRequest.status.in_(LIVE_REQUEST))
        )
        mentorship = start_mentorship(match.mentor, match.newcomer, request, programme_id=programme.id)
        if request is not None:
            request.status = "matched"
        link_for.append((match.mentor, match.newcomer, mentorship.id))
        started += 1
    if full:
        names = ", ".join(sorted(set(full)))
        raise Conflict(f"These mentors have filled their places since the programme was computed: {names}. Compute it again.")
    for mentor, newcomer, mentorship_id in link_for:
        link = site_path("matching.mentorship", mentorship_id=mentorship_id)
        notify(newcomer, MATCHED, f"{programme.name}: {mentor.display_name} will mentor you", link)
        notify(mentor, MATCHED, f"{programme.name}: you will mentor {newcomer.display_name}", link)
    programme.status, programme.published_at = "published", utcnow()
    db.session.flush()
    log.info("user %s published programme %s: %d mentorships", actor.id, programme.id, started)
    return started
