"""Fixtures: an app per test on SQLite (or on PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import contextvars
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit, urlunsplit

import jinja2
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask.testing import FlaskClient

from cop import create_app
from cop.extensions import db as _db
from cop.extensions import limiter

#: PostgreSQL server for the second CI run; unset means SQLite.
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")


def _redis_for_this_process(url: str) -> str:
    """Redis for the second CI run, a database of its own per test process (pytest-xdist): every test app
    resets the rate-limit counters, which would otherwise reset the other process's too."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{1 + int(worker[2:]) % 15}"))


#: Unset means memory rate limits and an SQLite queue.
REDIS_URL = _redis_for_this_process(os.environ.get("REDIS_URL", ""))
#: The password every fixture user has.
PASSWORD = "correct-horse-battery-staple-9"
#: One hash made with cheap argon2id parameters, reused for fixture users so tests stay quick.
FAST_HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail at once, rather than skip, when a configured service cannot be reached."""
    if TEST_DATABASE_URL:
        try:
            engine = sa.create_engine(TEST_DATABASE_URL)
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            engine.dispose()
        except Exception as exc:  # noqa: BLE001 - any failure means the run cannot go on
            raise pytest.UsageError(f"TEST_DATABASE_URL is set but PostgreSQL cannot be reached: {exc}") from exc
    if REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
        except Exception as exc:  # noqa: BLE001
            raise pytest.UsageError(f"REDIS_URL is set but Redis cannot be reached: {exc}") from exc


def build_schema() -> None:
    """The models' tables, marked as the newest migration (commands check the schema is current)."""
    import flask_migrate

    _db.create_all()
    flask_migrate.stamp(revision="head")


def _server_url(database: str) -> sa.URL:
    return sa.make_url(TEST_DATABASE_URL).set(database=database)


def create_postgres_database(prefix: str) -> str:
    """Create an empty, uniquely named database on the test server; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return _server_url(name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    """Drop a database made by create_postgres_database."""
    name = sa.make_url(url).database
    admin = sa.create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def environ_for_tests(database_url: str, **extra: str) -> dict[str, str]:
    """The environment a test app is built from: nothing leaks in from the shell but the services."""
    return {
        "COP_ENV": "testing",
        "COP_SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "COP_TASKS_IMMEDIATE": "1",
        "COP_BASE_URL": "http://cop.test",
        "COP_CONTACT_EMAIL": "team@cop.example",
        # Every test app keeps its pages apart, in Redis too.
        "COP_CACHE_PREFIX": f"cop-test-{uuid.uuid4().hex[:12]}",
        **extra,
    }


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """One database for the whole run on the PostgreSQL server, tables created once."""
    if not TEST_DATABASE_URL:
        yield None
        return
    url = create_postgres_database("cop_test")
    app = create_app({"ENVIRON": environ_for_tests(url), "INSTANCE_PATH": "/tmp/cop-test-session"})
    with app.app_context():
        build_schema()
        _db.engine.dispose()
    yield url
    drop_postgres_database(url)


class SharedTemplateCache(jinja2.BytecodeCache):
    """Compiled templates kept across the run's apps: every test has a fresh app, and compiling
    the same templates again for each was much of the run time. Jinja checks each entry against
    the template's source, so an edited template is compiled afresh."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedTemplateCache()


def _share_url_builders() -> None:
    """URL builders kept across the run's apps, as templates are: every test makes an app, and Werkzeug writes
    and compiles Python for each of its rules (two functions per rule, some two hundred rules), which was most of
    making an app. A builder depends only on the rule's parts and defaults, so two apps' same rule share one.
    Should Werkzeug rename the method, nothing is shared and each app compiles its own again."""
    from werkzeug.routing.rules import Rule

    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        return
    built: dict[tuple, Any] = {}

    def shared(rule: Rule, append_unknown: bool = True):
        defaults = tuple(sorted((str(k), repr(v)) for k, v in (rule.defaults or {}).items()))
        # The converters matter only for a default written into the URL, which the key holds as given.
        key = (tuple(rule._trace), defaults, append_unknown, tuple((name, type(c)) for name, c in rule._converters.items()))
        if key not in built:
            built[key] = compile_builder(rule, append_unknown)
        return built[key]

    Rule._compile_builder = shared  # type: ignore[method-assign]


_share_url_builders()


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, as in production.

    Flask reuses an app context that is already pushed (the ``db`` fixture pushes one), which
    would share ``g``, and so the signed-in user and the database session, between requests.
    """

    def open(self, *args: Any, **kwargs: Any):
        return contextvars.Context().run(super().open, *args, **kwargs)


def build_app(tmp_path: Path, postgres_url: str | None, create_schema: bool | None = None, **overrides: Any):
    """A configured app with an empty schema and the default taxonomy.

    On PostgreSQL the session's tables already exist; pass create_schema=True for a database of one's own.
    """
    from cop.casestudies.services import ensure_default_service_areas
    from cop.text.services import ensure_default_topics

    database_url = postgres_url or f"sqlite:///{tmp_path / 'test.sqlite3'}"
    if create_schema is None:
        create_schema = postgres_url is None
    config = {"ENVIRON": environ_for_tests(database_url), "INSTANCE_PATH": str(tmp_path / "instance"), "WTF_CSRF_ENABLED": False}
    config.update(overrides)
    from_template = create_schema and postgres_url is None
    if from_template:
        tmp_path.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sqlite_template(), tmp_path / "test.sqlite3")
    app = create_app(config)
    app.test_client_class = IsolatedClient
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    # One limiter serves every app in the process and keeps the first app's key prefix,
    # so counters (in Redis, when configured) would carry over between tests: start from zero.
    limiter.reset()
    if not from_template:
        with app.app_context():
            if create_schema:
                build_schema()
            ensure_default_topics()
            ensure_default_service_areas()
            _db.session.commit()
    return app


_TEMPLATE: list[Path] = []


def sqlite_template() -> Path:
    """An SQLite file holding the schema and the default taxonomy, made once per test process: each test on
    SQLite starts from a copy of it rather than creating some fifty tables again."""
    from cop.casestudies.services import ensure_default_service_areas
    from cop.text.services import ensure_default_topics

    if not _TEMPLATE:
        folder = Path(tempfile.mkdtemp(prefix="cop-test-schema-"))
        path = folder / "template.sqlite3"
        app = create_app({"ENVIRON": environ_for_tests(f"sqlite:///{path}"), "INSTANCE_PATH": str(folder / "instance")})
        with app.app_context():
            build_schema()
            ensure_default_topics()
            ensure_default_service_areas()
            _db.session.commit()
            # Everything into the main file, so that a copy of that file alone is the whole database.
            with _db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            _db.engine.dispose()
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


def _delete_every_row(conn: sa.Connection) -> None:
    """DELETE from every table, children first. On PostgreSQL in one round trip: the statements go as one string
    (psycopg sends a string without parameters as a simple query, which may hold several)."""
    tables = list(reversed(_db.metadata.sorted_tables))
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("; ".join(f'DELETE FROM "{table.name}"' for table in tables))
    else:
        for table in tables:
            conn.execute(table.delete())


def empty_database(app) -> None:
    """Remove every row (PostgreSQL) so the next test starts clean; drop connections."""
    with app.app_context():
        _db.session.remove()
        if _db.engine.dialect.name == "postgresql":
            # DELETE, and every sequence back to 1: a test leaves a few rows, and TRUNCATE of some fifty tables
            # costs about a third of a second each time where this costs a small part of that.
            with _db.engine.begin() as conn:
                _delete_every_row(conn)
                conn.execute(sa.text(
                    "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
                    "WHERE c.relkind = 'S' AND c.relnamespace = 'public'::regnamespace"
                ))
        _db.engine.dispose()


def copy_rows(app) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, read through the models' tables so that each value comes back as it went in."""
    with app.app_context():
        with _db.engine.connect() as conn:
            return {table.name: [dict(row._mapping) for row in conn.execute(table.select())] for table in _db.metadata.sorted_tables}


def put_rows(app, copied: dict[str, list[dict[str, Any]]]) -> None:
    """Make a test database hold exactly ``copied`` (from copy_rows), ids and sequences included: a world that
    took many service calls to build is laid down again in a few statements."""
    tables = _db.metadata.sorted_tables
    with app.app_context():
        _db.session.remove()
        with _db.engine.begin() as conn:
            _delete_every_row(conn)
            for table in tables:
                if copied.get(table.name):
                    conn.execute(table.insert(), copied[table.name])
            if conn.dialect.name == "postgresql":
                # Each sequence on from its table's highest id, all in one statement.
                moved = [f"setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM \"{table.name}\"))"
                         for table in tables
                         if "id" in table.c and copied.get(table.name) and isinstance(table.c.id.type, sa.Integer)]
                if moved:
                    conn.exec_driver_sql(f"SELECT {', '.join(moved)}")


@pytest.fixture(scope="module")
def _module_app(tmp_path_factory: pytest.TempPathFactory, postgres_url: str | None):
    app = build_app(tmp_path_factory.mktemp("module-app"), postgres_url)
    yield app
    empty_database(app)


@pytest.fixture()
def module_app(_module_app):
    """One app for a whole test module in each test process (the ``app`` of a module marked one_app), for a matrix
    of many small tests over the same world (world_once): making an app for each was most of such a matrix's time. Nothing an earlier test
    left is kept beside the database: no rate-limit counts, no kept pages, no mentor index or cards built from rows
    since gone. Its database is the test's to lay down."""
    from cop.cache import cache

    limiter.reset()
    with _module_app.app_context():
        cache.clear()
    _module_app.extensions.pop("matching.index", None)
    _module_app.extensions.pop("matching.cards", None)
    return _module_app


T = TypeVar("T")

#: Each module's world, as world_once first built it in this test process, with a copy of every row it left.
_WORLDS: dict[str, tuple[Any, dict[str, list[dict[str, Any]]]]] = {}


@pytest.fixture()
def world_once(app, request: pytest.FixtureRequest) -> Callable[[Callable[[], T]], T]:
    """world_once(build): what ``build()`` returns, with the rows it left. Built through the services the first time
    in this test process for this module, and laid down again from a copy of its rows every later time."""

    def once(build: Callable[[], T]) -> T:
        key = request.module.__name__
        if key in _WORLDS:
            world, copied = _WORLDS[key]
            put_rows(app, copied)
            return world
        world = build()
        _WORLDS[key] = (world, copy_rows(app))
        return world

    return once


@pytest.fixture()
def app(tmp_path: Path, postgres_url: str | None, request: pytest.FixtureRequest):
    """A fresh app and database for one test. Mark a test with @pytest.mark.csrf to keep CSRF on, and a module of
    many small tests over one world with ``pytestmark = pytest.mark.one_app`` to share module_app instead."""
    if request.node.get_closest_marker("one_app"):
        yield request.getfixturevalue("module_app")
        return
    overrides: dict[str, Any] = {}
    if request.node.get_closest_marker("csrf"):
        overrides["WTF_CSRF_ENABLED"] = True
    app = build_app(tmp_path, postgres_url, **overrides)
    yield app
    empty_database(app)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


@pytest.fixture()
def db(app):
    """The database, inside an app context."""
    with app.app_context():
        yield _db
        _db.session.remove()


@pytest.fixture()
def make_agency(app) -> Callable[..., Any]:
    """Create and commit an agency: make_agency("leeds", domains=["leeds.example"])."""
    from cop.agencies.models import Agency, AgencyDomain

    def make(slug: str = "leeds", name: str | None = None, domains: tuple[str, ...] | list[str] = (), country: str = "GB", level: str = "local"):
        with app.app_context():
            agency = Agency(
                slug=slug, name=name or slug.replace("-", " ").title(), country=country, level=level,
                domains=[AgencyDomain(domain=d) for d in domains],
            )
            _db.session.add(agency)
            _db.session.commit()
            return agency.id

    return make


@pytest.fixture()
def make_user(app) -> Callable[..., Any]:
    """Create and commit a verified practitioner; returns its id. Password is PASSWORD."""
    from cop.accounts.models import User
    from cop.agencies.models import Agency
    from cop.clock import utcnow

    def make(email: str | None = None, *, name: str = "Test Person", role: str = "member", agency: str | None = None,
             verified: bool = True, **fields: Any) -> int:
        # A practitioner whose profile says what they do, so lists show them; pass job_title="" or level=None for one that does not.
        fields.setdefault("job_title", "Digital officer")
        fields.setdefault("level", "202")
        with app.app_context():
            agency_obj = _db.session.scalar(sa.select(Agency).where(Agency.slug == agency)) if agency else None
            user = User(
                email=email or f"user-{uuid.uuid4().hex[:8]}@example.org",
                display_name=name,
                password_hash=FAST_HASH,
                email_verified_at=utcnow() if verified else None,
                site_role=role if role in ("member", "moderator", "site_admin") else "member",
                agency=agency_obj,
                is_agency_admin=role == "agency_admin",
                **fields,
            )
            _db.session.add(user)
            _db.session.commit()
            return user.id

    return make


@pytest.fixture()
def sign_in(app, client) -> Callable[[int], None]:
    """Sign the test client in as a user id: a sign-in of their own, in the session as Flask-Login keeps it."""
    from cop.accounts.models import User

    def sign(user_id: int) -> None:
        from cop.accounts.services import start_session

        with app.app_context():
            token = start_session(_db.session.get(User, user_id), "tests")
            _db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True

    return sign


@pytest.fixture()
def as_user(make_user, make_agency, sign_in) -> Callable[[str], int]:
    """Sign in as a new user with a role: as_user("agency_admin") joins agency "home"."""

    def become(role: str) -> int:
        agency = None
        if role == "agency_admin":
            agency = "home"
            make_agency("home", domains=["home.example"])
        user_id = make_user(role=role, agency=agency)
        sign_in(user_id)
        return user_id

    return become


@pytest.fixture()
def make_token(app) -> Callable[..., str]:
    """A personal API token for a user id: make_token(user_id, "write") returns the secret to send."""
    from cop.accounts.models import User
    from cop.api.services import create_token

    def make(user_id: int, scope: str = "write", name: str = "Tests") -> str:
        with app.app_context():
            _token, secret = create_token(_db.session.get(User, user_id), name, scope)
            _db.session.commit()
            return secret

    return make


@pytest.fixture()
def outbox(app) -> Callable[[], list]:
    """Every outbox message so far, oldest first."""
    from cop.mail.models import OutboxMessage

    def read() -> list:
        with app.app_context():
            messages = list(_db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))
            _db.session.expunge_all()
            return messages

    return read
