"""Whole instances of cop for federation tests: each its own database, instance folder and gunicorn on a loopback
port, set up through its own command line (migrations, an agency, its admin, a write token), and driven over HTTP
as another server or a person's script would."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import requests

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct-horse-battery-staple-9"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Instance:
    """One running instance: its address, its agency and a write token of that agency's admin."""

    name: str
    base: str
    agency: str
    token: str
    folder: Path
    log: Path

    @property
    def host(self) -> str:
        return self.base.split("://", 1)[1]

    @property
    def handle(self) -> str:
        return f"{self.agency}@{self.host}"

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.base}/api/v1{path}", headers=headers, timeout=60, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(f"{self.base}{path}", timeout=60, **kwargs)

    def log_tail(self) -> str:
        return self.log.read_text()[-4000:] if self.log.exists() else ""


def _environment(folder: Path, database_url: str, port: int, redis_url: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("COP_", "FLASK_", "PYTEST_"))}
    env.update({
        "COP_ENV": "testing",
        "COP_SECRET_KEY": secrets.token_urlsafe(32),
        "COP_CONTACT_EMAIL": "team@cop.example",
        "COP_BASE_URL": f"http://127.0.0.1:{port}",
        "COP_INSTANCE_PATH": str(folder),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        # Each instance keeps its own pages and counters when both share one Redis.
        "COP_CACHE_PREFIX": f"cop-fed-{uuid.uuid4().hex[:10]}",
        "COP_RATELIMIT_PREFIX": f"cop-fed-{uuid.uuid4().hex[:10]}",
        # Work runs as soon as its transaction commits, in the request that made it: a delivery is made before
        # the answer to the request that caused it, so the test needs no waiting.
        "COP_TASKS_IMMEDIATE": "1",
        # Both instances are on this machine's loopback address.
        "COP_ALLOW_PRIVATE_ADDRESSES": "1",
        "PYTHONPATH": str(ROOT),
    })
    return env


def _flask(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(process: subprocess.Popen, what: str) -> str:
    output, _ = process.communicate(timeout=180)
    if process.returncode:
        raise RuntimeError(f"{what} failed:\n{output}")
    return output


@contextlib.contextmanager
def instances(tmp_path: Path, agencies: tuple[str, ...], database_urls: Optional[list[str]] = None,
              redis_url: str = "") -> Iterator[list[Instance]]:
    """Start one instance per agency slug, side by side, and stop them all when the block ends."""
    plans = []
    for index, slug in enumerate(agencies):
        folder = tmp_path / f"instance-{slug}"
        folder.mkdir(parents=True)
        port = free_port()
        url = database_urls[index] if database_urls else f"sqlite:///{folder / 'cop.sqlite3'}"
        plans.append((slug, folder, port, _environment(folder, url, port, redis_url)))

    # Set-up of each instance runs beside the others': migrations first, then its agency, admin and token.
    for process, slug in [(_flask(env, "db", "upgrade"), slug) for slug, _f, _p, env in plans]:
        _finish(process, f"flask db upgrade ({slug})")
    for process, slug in [(_flask(env, "create-agency", slug, "--name", f"{slug.title()} Council"), slug)
                          for slug, _f, _p, env in plans]:
        _finish(process, f"create-agency {slug}")
    for process, slug in [(_flask(env, "create-user", f"admin@{slug}.example", "--password", PASSWORD, "--name",
                                  f"{slug.title()} Admin", "--role", "agency_admin", "--agency", slug), slug)
                          for slug, _f, _p, env in plans]:
        _finish(process, f"create-user ({slug})")
    tokens = [_finish(_flask(env, "create-token", f"admin@{slug}.example", "--scope", "write"), "create-token").strip().splitlines()[-1]
              for slug, _f, _p, env in plans]

    processes: list[subprocess.Popen] = []
    running: list[Instance] = []
    try:
        for (slug, folder, port, env), token in zip(plans, tokens):
            log = folder / "gunicorn.log"
            with log.open("w") as out:
                # Threads: a delivery from one instance makes the other fetch the sender's actor while the sender's
                # request is still open, so each instance must answer several requests at once.
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "--workers", "1", "--worker-class", "gthread", "--threads", "8",
                     "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120", "wsgi:app"],
                    cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                ))
            running.append(Instance(name=slug, base=f"http://127.0.0.1:{port}", agency=slug, token=token, folder=folder, log=log))
        for instance, process in zip(running, processes):
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(f"{instance.base}/livez", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{instance.name} did not start:\n{instance.log_tail()}")
                time.sleep(0.2)
        yield running
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
