"""Mail delivery in the background."""

from __future__ import annotations

from cop.extensions import tasks
from cop.mail import services


@tasks.app_task(retries=services.MAX_ATTEMPTS - 1, retry_delay=30, retry_backoff=2)
def deliver_message(message_id: int) -> str:
    """Deliver one outbox message, retried with backoff while the SMTP server refuses."""
    return services.deliver(message_id)
