"""Forum work in the background: weekly topics that open, and the daily digest."""

from __future__ import annotations

import logging

from huey import crontab

from cop.extensions import db, tasks
from cop.forum import digest, weekly

log = logging.getLogger(__name__)


@tasks.app_periodic_task(crontab(minute="*/15"))
def open_weekly_topics() -> int:
    """Every quarter hour, count in and announce the scheduled topics whose date has come."""
    opened = weekly.open_scheduled_topics()
    db.session.commit()
    return opened


@tasks.app_periodic_task(crontab(minute="30", hour="7"))
def send_digests() -> int:
    """Each morning, mail every member who wants it what is new in what they watch."""
    sent = digest.send_digests()
    db.session.commit()
    return sent
