"""The task queue's consumer, patient when its storage (Redis, or SQLite) stops answering.

Huey's consumer retried almost at once and logged a traceback each time; with Redis down that was
about four tracebacks a second. Here each failed attempt is one line in the log; the workers wait
longer after each failure (from half a second up to POLL_CEILING, which is also how long an idle
worker on the SQLite queue waits between looks), and the scheduler from 1 s up to a minute.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from huey.consumer import Consumer, Scheduler

log = logging.getLogger(__name__)

#: The scheduler's waits between attempts while the queue's storage does not answer, in seconds.
FIRST_WAIT = 1.0
LONGEST_WAIT = 60.0
#: A worker's longest wait, after failures or while the (non-blocking, SQLite) queue is empty: it bounds
#: how long newly queued mail can wait to be picked up.
POLL_CEILING = 10.0


class OneLineStorageErrors(logging.Filter):
    """Huey's "Error reading from queue" and friends as one line each, without a traceback.

    Errors inside a task keep their traceback: those are bugs to read, not an unreachable service.
    """

    MESSAGES = ("Error reading from queue", "Error reading schedule", "Error enqueueing")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("huey.consumer") and record.exc_info and record.getMessage().startswith(self.MESSAGES):
            error = record.exc_info[1]
            record.msg = f"{record.getMessage().rstrip('.')}: {type(error).__name__}: {error}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class PatientScheduler(Scheduler):
    """Huey's scheduler, which first asks the storage whether it answers and, while it does not, waits longer each time."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wait = 0.0
        self.resume_at = 0.0

    def loop(self, now: Any = None) -> None:
        remaining = self.resume_at - time.monotonic()
        if remaining > 0:
            self.stop_flag.wait(min(remaining, LONGEST_WAIT))
            self._next_loop = time.monotonic()
            return
        try:
            self.huey.storage.queue_size()
        except Exception as exc:  # noqa: BLE001 - any failure means the storage is not answering
            self.wait = min(max(self.wait * 2, FIRST_WAIT), LONGEST_WAIT)
            self.resume_at = time.monotonic() + self.wait
            log.warning("task queue storage not answering (%s: %s); the scheduler tries again in %.0f s", type(exc).__name__, exc, self.wait)
            return
        if self.wait:
            log.info("task queue storage answers again")
        self.wait = 0.0
        super().loop(now)


class PatientConsumer(Consumer):
    """The consumer cop's worker runs: workers back off up to POLL_CEILING, the scheduler up to a minute."""

    scheduler_class = PatientScheduler


def create_consumer(huey: Any, workers: int) -> PatientConsumer:
    """A consumer of the app's queue with thread workers, patient when its storage is down."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, OneLineStorageErrors) for f in handler.filters):
            handler.addFilter(OneLineStorageErrors())
    return PatientConsumer(
        huey, workers=workers, worker_type="thread", initial_delay=0.5, backoff=1.5, max_delay=POLL_CEILING
    )
