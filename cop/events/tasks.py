"""Event work in the background: the day-before reminders."""

from __future__ import annotations

from huey import crontab

from cop.events import imports, registrations
from cop.extensions import db, enqueue_after_commit, tasks


@tasks.app_periodic_task(crontab(minute="*/15"))
def remind_attendees() -> int:
    """Every quarter of an hour, remind those going to an event that starts within a day (once each)."""
    reminded = registrations.send_reminders()
    db.session.commit()
    return reminded


@tasks.app_task(retries=0)
def poll_calendar(import_id: int) -> str:
    """Read one subscribed calendar; a failure is recorded on it and it is tried again later, by the schedule."""
    outcome = imports.poll(import_id)
    db.session.commit()
    return outcome


@tasks.app_periodic_task(crontab(minute="*"))
def poll_due_calendars() -> int:
    """Every minute, queue a poll of each subscribed calendar that is due."""
    due = imports.claim_due_imports()
    for import_id in due:
        enqueue_after_commit(poll_calendar, import_id)
    db.session.commit()
    return len(due)
