"""Mentoring work in the background: check-in reminders, and computing large programmes."""

from __future__ import annotations

import logging

from huey import crontab

from cop.extensions import db, tasks
from cop.matching import mentorships, programmes
from cop.matching.models import Programme

log = logging.getLogger(__name__)


@tasks.app_periodic_task(crontab(minute="5", hour="*"))
def remind_check_ins() -> int:
    """Every hour, remind both sides of each check-in due within a day (once per check-in)."""
    reminded = mentorships.send_check_in_reminders()
    db.session.commit()
    return reminded


@tasks.app_task(retries=0)
def compute_programme(programme_id: int) -> str:
    """Compute one programme, committing its progress as it goes so that its page can show it."""
    programme = db.session.get(Programme, programme_id)
    if programme is None or programme.status != "computing":
        return "nothing to do"

    def progress(share: float, note: str) -> None:
        programme.progress, programme.progress_note = min(max(int(share * 100), 0), 99), note[:200]
        db.session.commit()

    try:
        progress(0.05, "Ranking each newcomer's candidates")
        programmes.compute(programme, progress=progress)
    except Exception as exc:  # noqa: BLE001 - the admin is shown that it failed, and may try again
        db.session.rollback()
        log.exception("programme %s could not be computed", programme_id)
        programme = db.session.get(Programme, programme_id)
        programme.status, programme.error = "draft", f"The computation failed ({type(exc).__name__}). Try again."
    db.session.commit()
    return programme.status
