"""Mail delivery in the background."""

from __future__ import annotations

from datetime import timedelta

from huey import crontab

from cop.extensions import tasks
from cop.mail import services

#: A message still queued this long after it was due was lost by the queue (a restart, Redis down).
STALE_AFTER = timedelta(seconds=30)


@tasks.app_task(retries=services.MAX_ATTEMPTS - 1, retry_delay=services.RETRY_DELAY, retry_backoff=2)
def deliver_message(message_id: int) -> str:
    """Deliver one outbox message, retried with backoff while the SMTP server refuses."""
    return services.deliver(message_id)


@tasks.app_periodic_task(crontab(minute="*"))
def requeue_stale_mail() -> int:
    """Every minute, queue again any message the queue lost: a lost message waits a minute or so, not ten."""
    return services.requeue_stale(STALE_AFTER)
