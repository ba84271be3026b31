"""Rate limits count across worker processes without Redis, and never take the site down when Redis does."""

from __future__ import annotations

import logging
import multiprocessing
import time

from cop import create_app
from cop.ratelimits import SqliteCounterStorage
from tests.conftest import PASSWORD, environ_for_tests


def _count_up(path: str, times: int) -> None:
    storage = SqliteCounterStorage(f"cop+sqlite://{path}")
    for _ in range(times):
        storage.incr("login:jo", 60)


def test_worker_processes_share_one_count(tmp_path):
    path = str(tmp_path / "ratelimits.sqlite3")
    workers = [multiprocessing.get_context("fork").Process(target=_count_up, args=(path, 50)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert SqliteCounterStorage(f"cop+sqlite://{path}").get("login:jo") == 200


def test_a_window_starts_again_when_it_ends(tmp_path):
    storage = SqliteCounterStorage(f"cop+sqlite://{tmp_path / 'r.sqlite3'}")
    assert storage.incr("k", 1) == 1 and storage.incr("k", 1) == 2
    assert storage.get_expiry("k") > time.time()
    time.sleep(1.1)
    assert storage.get("k") == 0
    assert storage.incr("k", 1) == 1, "a new window"
    storage.clear("k")
    assert storage.get("k") == 0 and storage.check()


def test_sign_in_is_limited_across_apps_sharing_an_instance_folder(tmp_path, make_user, app):
    make_user("jo@example.org")
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    statuses = [app.test_client().post("/auth/login", data={"email": "jo@example.org", "password": "wrong-password-1"}).status_code for _ in range(5)]
    assert statuses[:3] == [400, 400, 400] and statuses[3:] == [429, 429]
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("cop+sqlite://") or app.config["REDIS_URL"]


def test_sign_in_register_and_reset_work_with_redis_down(tmp_path, caplog):
    from cop.extensions import db as _db

    environ = environ_for_tests(f"sqlite:///{tmp_path / 'down.sqlite3'}", REDIS_URL="redis://127.0.0.1:1/0", COP_TASKS_IMMEDIATE="1")
    app = create_app({"ENVIRON": environ, "INSTANCE_PATH": str(tmp_path), "WTF_CSRF_ENABLED": False})
    with app.app_context():
        _db.create_all()
    client = app.test_client()
    caplog.set_level(logging.WARNING)
    try:
        for _ in range(3):
            response = client.post("/auth/login", data={"email": "jo@example.org", "password": PASSWORD})
            assert response.status_code == 400, response.status_code
        assert client.post("/auth/reset", data={"email": "jo@example.org"}).status_code == 200
    finally:
        with app.app_context():
            _db.engine.dispose()
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert not tracebacks, "a dead rate-limit store is a warning, not a traceback per request"
