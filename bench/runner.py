"""The benchmark runner every benchmark shares.

It builds an instance folder (SQLite, or a fresh PostgreSQL database with --database-url), migrates it
with Alembic, fills it through the app's own models and services, serves it with gunicorn (2 workers)
on a loopback port, and drives load with wrk, one URL at a time, interleaving the URLs over several
rounds so that a slow moment of the machine lands on all of them alike. Each URL's median requests per
second is printed beside its ratio to /livez measured on the same server in the same run, and the
SQL statements one request issues (counted in-process, with the Flask test client, on the same data).
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import logging
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
#: wrk's settings: one thread and four connections leave the two gunicorn workers the rest of a 2-core machine.
WRK_THREADS = 1
WRK_CONNECTIONS = 4


@dataclass
class Page:
    """One URL to measure, and optionally the statement behind it, to EXPLAIN on PostgreSQL."""

    label: str
    path: str
    #: Builds (inside an app context) the page's main query, for EXPLAIN; None when there is nothing to explain.
    main_query: Optional[Callable[[], sa.Select]] = None
    #: For EXPLAIN: a selective page must use an index rather than read every row of this table.
    selective_on: Optional[str] = None
    #: The email address of a person to be signed in as: their pages are made for them, never kept.
    signed_in_as: Optional[str] = None


@dataclass
class Result:
    page: Page
    rates: list[float] = field(default_factory=list)
    statements: Optional[int] = None
    #: The session cookie the page is asked for with, when it is signed in.
    cookie: Optional[str] = None

    @property
    def median(self) -> float:
        return statistics.median(self.rates) if self.rates else 0.0


def arguments(description: str) -> argparse.Namespace:
    """The options every benchmark takes."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL") or None,
                        help="a PostgreSQL server to run on (a fresh database is made there and dropped after); SQLite by default")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every URL, interleaved")
    parser.add_argument("--seconds", type=int, default=3, help="how long wrk drives each URL in each round")
    parser.add_argument("--scale", type=float, default=1.0, help="a fraction of the full data set, for a quick look")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def database(server_url: Optional[str], folder: Path) -> Iterator[str]:
    """A fresh, empty database: an SQLite file in the instance folder, or a new database on the PostgreSQL server."""
    if not server_url:
        yield f"sqlite:///{folder / 'cop.sqlite3'}"
        return
    from cop.config import database_url

    server = sa.make_url(database_url(server_url))
    name = f"cop_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def environment(folder: Path, url: str, port: int) -> dict[str, str]:
    """What the served app (and the migrations) run with: production settings on this machine."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("COP_", "FLASK_"))}
    env.update({
        "COP_ENV": "production",
        "COP_SECRET_KEY": secrets.token_urlsafe(32),
        "COP_CONTACT_EMAIL": "bench@cop.example",
        "COP_BASE_URL": f"http://127.0.0.1:{port}",
        "COP_INSTANCE_PATH": str(folder),
        "DATABASE_URL": url,
        "REDIS_URL": "",
        "PYTHONPATH": str(ROOT),
        # wrk is one client asking thousands of times a minute; the API's per-client limit would answer 429.
        "COP_API_RATE_LIMIT": "1000000 per minute",
    })
    return env


def migrate(env: dict[str, str]) -> None:
    """flask db upgrade on the benchmark's database; its log is shown only if it fails."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"flask db upgrade failed:\n{done.stdout}{done.stderr}")


@contextlib.contextmanager
def app_for(env: dict[str, str]):
    """The app in this process, on the benchmark's database, inside an app context."""
    from cop import create_app
    from cop.extensions import db

    app = create_app({"ENVIRON": env, "INSTANCE_PATH": env["COP_INSTANCE_PATH"]})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int, log: Path, app: str = "wsgi:app") -> Iterator[str]:
    """The app served by gunicorn with two workers, until the block ends."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start; see {log}:\n{log.read_text()[-2000:]}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


_RATE = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")


def parse_wrk(output: str) -> float:
    """Requests per second from wrk's report; an error if any answer was neither a success nor a redirect
    or 304 (wrk counts only those as errors)."""
    bad = _NON_2XX.search(output)
    if bad:
        raise RuntimeError(f"{bad.group(1)} answers were errors:\n{output}")
    match = _RATE.search(output)
    if not match:
        raise RuntimeError(f"wrk printed no rate:\n{output}")
    return float(match.group(1))


def drive(url: str, seconds: float, cookie: Optional[str] = None, headers: tuple[str, ...] = ()) -> float:
    """Requests per second wrk reaches against one URL (with a Cookie header, for a signed-in page; other headers)."""
    options = [part for header in ((f"Cookie: {cookie}",) if cookie else ()) + tuple(headers) for part in ("-H", header)]
    output = subprocess.run(
        ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{max(round(seconds), 1)}s", *options, url],
        capture_output=True, text=True, check=True,
    ).stdout
    return parse_wrk(output)


def client_like_wrk(app):
    """A test client that asks as wrk does: from 127.0.0.1, with no User-Agent and no cookie jar."""
    client = app.test_client(use_cookies=False)
    client.environ_base.pop("HTTP_USER_AGENT", None)
    return client


def session_cookie(app, email: str) -> str:
    """A Cookie header value that signs in as this person, as a browser holds it once it has shown a page: a
    sign-in of their own, as logging in makes, and the session as the app then rewrote it (Flask-Login's mark
    of the client and the form token). A cookie without them would be rewritten, and sent back, on every request."""
    from cop.accounts.models import User
    from cop.accounts.services import start_session
    from cop.extensions import db

    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is None:
        raise RuntimeError(f"no one has the address {email}")
    token = start_session(user, "bench")
    db.session.commit()
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = f"{name}={app.session_interface.get_signing_serializer(app).dumps({'_user_id': token, '_fresh': True})}"
    response = contextvars.Context().run(client_like_wrk(app).get, "/", headers={"Cookie": cookie})
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            cookie = header.split(";", 1)[0]
    return cookie


def count_statements(app, path: str, cookie: Optional[str] = None) -> int:
    """SQL statements one GET of a path issues, in-process, on the same database."""
    from cop.extensions import db

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    # No cookie jar: an anonymous page must be asked for as a visitor who never had a session.
    client = client_like_wrk(app)
    headers = {"Cookie": cookie} if cookie else {}
    # Each request in a context of its own, as under gunicorn: the caller's app context (and its g, where
    # Flask-Login keeps who is signed in, and its database session) must not carry over into the requests.
    def get():
        return contextvars.Context().run(client.get, path, headers=headers)

    get()  # warm: the first request may load what later ones find ready
    # What making the page takes, not giving a kept one: the count is of a page made afresh.
    from cop.cache import cache

    cache.clear()
    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = get()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code} {response.headers.get('Location', '')}".rstrip())
    if cookie and "Set-Cookie" in response.headers:
        # A browser would keep the new cookie; wrk sends the old one, and every answer would be made anew.
        raise RuntimeError(f"{path} rewrote the session of someone already signed in: {response.headers['Set-Cookie'][:80]}")
    return len(statements)


def explain(app, page: Page) -> tuple[str, bool]:
    """PostgreSQL's plans for a page's main query and for the count its pagination runs, and whether
    both avoid reading every row of the table a selective page selects from."""
    from cop.extensions import db

    statement = page.main_query()
    counted = sa.select(sa.func.count()).select_from(statement.limit(None).order_by(None).subquery())
    plans = []
    for label, query in (("rows", statement), ("count", counted)):
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        plans.append(f"-- {label}\n" + "\n".join(row[0] for row in db.session.execute(sa.text(f"EXPLAIN {compiled}"))))
    plan = "\n".join(plans)
    uses_index = page.selective_on is None or not re.search(rf"Seq Scan on {page.selective_on}\b", plan)
    return plan, uses_index


def machine() -> str:
    """This machine, for the report."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, IndexError, ValueError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    return f"{os.cpu_count()} cores ({cpu}){memory}, Python {sys.version.split()[0]}"


def table(results: list[Result], livez: float) -> str:
    """The report: URL, median requests per second, times slower than /livez, statements per request."""
    rows = [("page", "URL", "req/s", "× /livez", "SQL/request")]
    rows.append(("liveness", "/livez", f"{livez:.0f}", "1.0", "0"))
    for result in results:
        ratio = livez / result.median if result.median else float("inf")
        label = result.page.label + (" (signed in)" if result.page.signed_in_as else "")
        rows.append((label, result.page.path, f"{result.median:.0f}", f"{ratio:.1f}", str(result.statements)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |" for row in rows]
    lines.insert(1, "| " + " | ".join("-" * width for width in widths) + " |")
    return "\n".join(lines)


def run(title: str, build: Callable[[object, float], list[Page]], options: argparse.Namespace) -> list[Result]:
    """Build the data, serve it, measure every page against /livez, and print the report."""
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: make bench installs it (apt-get install wrk)")
    # The app logs each thing it does at INFO; building 10,000 rows would bury the report.
    logging.basicConfig(level=logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="cop-bench-"))
    backend = "PostgreSQL" if options.database_url else "SQLite"
    try:
        with database(options.database_url, folder) as url:
            port = free_port()
            env = environment(folder, url, port)
            started = time.monotonic()
            migrate(env)
            with app_for(env) as app:
                pages = build(app, options.scale)
                if options.database_url:
                    from cop.extensions import db

                    # As autovacuum would soon: the planner's statistics for the rows just written.
                    db.session.execute(sa.text("ANALYZE"))
                    db.session.commit()
                built = time.monotonic() - started
                results = []
                for page in pages:
                    cookie = session_cookie(app, page.signed_in_as) if page.signed_in_as else None
                    results.append(Result(page, statements=count_statements(app, page.path, cookie), cookie=cookie))
                plans = [(page, *explain(app, page)) for page in pages if options.database_url and page.main_query]
            print(f"\n## {title}: {backend}\n\nData built in {built:.0f} s. Machine: {machine()}.\n")
            livez_rates: list[float] = []
            with gunicorn(env, port, folder / "gunicorn.log") as base:
                drive(base + "/livez", 1)
                for result in results:
                    drive(base + result.page.path, 1, result.cookie)  # warm each worker's caches before anything counts
                for _round in range(options.rounds):
                    livez_rates.append(drive(base + "/livez", options.seconds))
                    for result in results:
                        result.rates.append(drive(base + result.page.path, options.seconds, result.cookie))
            livez = statistics.median(livez_rates)
            print(table(results, livez))
            failures = []
            for page, plan, uses_index in plans:
                print(f"\nEXPLAIN {page.path}{'' if uses_index else '  <-- reads every row of ' + str(page.selective_on)}\n{plan}")
                if not uses_index:
                    failures.append(page.path)
            if failures:
                print(f"\nThese selective pages read a whole table: {', '.join(failures)}")
            return results
    finally:
        shutil.rmtree(folder, ignore_errors=True)
