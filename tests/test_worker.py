"""The worker with its queue's storage down: it backs off, and says so in one line per attempt."""

from __future__ import annotations

import logging
import threading

from cop import create_app
from cop.worker import OneLineStorageErrors, PatientScheduler, create_consumer
from tests.conftest import environ_for_tests


def app_with_redis_down(tmp_path):
    environ = environ_for_tests(f"sqlite:///{tmp_path / 'w.sqlite3'}", REDIS_URL="redis://127.0.0.1:1/0", COP_TASKS_IMMEDIATE="0")
    return create_app({"ENVIRON": environ, "INSTANCE_PATH": str(tmp_path)})


def test_a_worker_backs_off_and_logs_one_line_per_failed_attempt(tmp_path, caplog):
    from cop.extensions import tasks

    app_with_redis_down(tmp_path)
    consumer = create_consumer(tasks, workers=1)
    worker = consumer._create_worker()
    worker.stop_flag = threading.Event()
    worker.stop_flag.set()  # waits return at once; the delays they would have waited are what is checked
    caplog.handler.addFilter(OneLineStorageErrors())
    caplog.set_level(logging.WARNING)
    delays = []
    for _ in range(8):
        delays.append(worker.delay)
        worker.loop()
    assert delays == sorted(delays) and delays[-1] > delays[0] * 10, f"waits should grow: {delays}"
    records = [r for r in caplog.records if r.name.startswith("huey.consumer")]
    assert len(records) == 8
    assert all(r.exc_info is None and "ConnectionError" in r.getMessage() for r in records)


def test_the_scheduler_waits_longer_after_each_failure(tmp_path, caplog):
    from cop.extensions import tasks

    app_with_redis_down(tmp_path)
    stop = threading.Event()
    stop.set()
    scheduler = PatientScheduler(huey=tasks, stop_flag=stop, interval=1, periodic=True)
    caplog.set_level(logging.WARNING)
    waits = []
    for _ in range(4):
        scheduler.resume_at = 0  # as if each wait had passed
        scheduler.loop()
        waits.append(scheduler.wait)
    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert len([r for r in caplog.records if "not answering" in r.getMessage()]) == 4
    assert all(r.exc_info is None for r in caplog.records)
