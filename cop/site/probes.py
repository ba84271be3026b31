"""Readiness checks for load balancers and orchestrators: is each service the app needs answering?"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as CheckTimeout
from typing import Callable

import sqlalchemy as sa
from flask import Flask, current_app

from cop.extensions import db, tasks

log = logging.getLogger(__name__)

#: How long one check may take before it counts as failed, in seconds.
CHECK_TIMEOUT = 2.0


def _database() -> None:
    with db.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))


def _redis() -> None:
    import redis

    client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=CHECK_TIMEOUT, socket_timeout=CHECK_TIMEOUT)
    try:
        client.ping()
    finally:
        client.close()


def _task_queue() -> None:
    # Counting the queue reads the queue's own storage: SQLite in the instance folder, or Redis.
    tasks.storage.queue_size()


def _checks(app: Flask) -> dict[str, Callable[[], None]]:
    checks = {"database": _database, "task_queue": _task_queue}
    if app.config["REDIS_URL"]:
        checks["redis"] = _redis
    return checks


def describe_database(url: sa.URL) -> str:
    """Where the database is, for a message: host and port (or the SQLite file), never a password."""
    if url.get_backend_name() == "sqlite":
        return f"the SQLite file {url.database}"
    return f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def reason(exc: BaseException) -> str:
    """The first line of what the driver said, without SQLAlchemy's background links."""
    original = getattr(exc, "orig", None) or exc
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


def report_unreachable(app: Flask) -> list[str]:
    """At the web app's start: one warning line for each service that does not answer (it keeps serving)."""
    with app.app_context():
        ready, checks = readiness()
    failures = [f"{name} {result}" for name, result in checks.items() if result != "ok"]
    for failure in failures:
        log.warning("starting without %s; /readyz answers 503 until it answers", failure)
    return failures


def readiness() -> tuple[bool, dict[str, str]]:
    """Run every check at once, each bounded by CHECK_TIMEOUT: (all ok, name -> "ok" or what went wrong)."""
    app = current_app._get_current_object()
    checks = _checks(app)

    def run(check: Callable[[], None]) -> str:
        with app.app_context():
            try:
                check()
            except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
                return f"failed: {type(exc).__name__}: {reason(exc)}"[:200]
            finally:
                db.session.remove()
        return "ok"

    results: dict[str, str] = {}
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    futures = {name: pool.submit(run, check) for name, check in checks.items()}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=CHECK_TIMEOUT)
        except CheckTimeout:
            results[name] = f"failed: no answer within {CHECK_TIMEOUT:g} s"
    # A check stuck past its time is left to finish on its own; the answer does not wait for it.
    pool.shutdown(wait=False)
    ready = all(result == "ok" for result in results.values())
    if not ready:
        log.warning("not ready: %s", ", ".join(f"{name} {result}" for name, result in results.items() if result != "ok"))
    return ready, results
