"""Extensions, created unbound and bound to an app in create_app."""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

log = logging.getLogger(__name__)


class Base(so.DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
talisman = Talisman()


class AppTasks(Huey):
    """Huey whose storage is chosen per app, and whose tasks run inside an app context.

    SqliteHuey in the instance folder by default, RedisHuey when REDIS_URL is set,
    and eager (immediate) execution when TASKS_IMMEDIATE is on, as in tests.
    """

    def __init__(self) -> None:
        # No result store: tasks record their outcome in the database, where admins can see it.
        super().__init__("cop", results=False, immediate=True, storage_class=MemoryStorage)
        self.flask_app: Flask | None = None

    def init_app(self, app: Flask) -> None:
        self.flask_app = app
        if app.config["REDIS_URL"]:
            self.storage_class = RedisStorage
            self.storage_kwargs = {"url": app.config["REDIS_URL"]}
        else:
            self.storage_class = SqliteStorage
            self.storage_kwargs = {"filename": app.config["TASKS_SQLITE_PATH"]}
        self._immediate = bool(app.config["TASKS_IMMEDIATE"])
        self.storage = self.create_storage()
        app.extensions["tasks"] = self

    def _in_app_context(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def in_context(*args: Any, **kwargs: Any) -> Any:
            if self.flask_app is None:
                raise RuntimeError("The task queue is not bound to an app")
            with self.flask_app.app_context():
                return func(*args, **kwargs)

        return in_context

    def app_task(self, **options: Any) -> Callable:
        """Like ``task()``, but the body runs in the bound app's context."""
        return lambda func: self.task(**options)(self._in_app_context(func))

    def app_periodic_task(self, schedule: Callable, **options: Any) -> Callable:
        """Like ``periodic_task()``, but the body runs in the bound app's context."""
        return lambda func: self.periodic_task(schedule, **options)(self._in_app_context(func))


tasks = AppTasks()


def task_name(task: Any) -> str:
    """A task's own name for the log: huey's wrapper carries it on the task class it made."""
    task_class = getattr(task, "task_class", None)
    return getattr(task_class, "__name__", None) or getattr(task, "__name__", None) or repr(task)


def enqueue_after_commit(task: Callable, *args: Any) -> None:
    """Queue a task once the current transaction commits, never before, never on rollback.

    A task that ran before the commit would not see the rows it was queued for.
    """
    db.session.info.setdefault("after_commit", []).append((task, args))


@sa.event.listens_for(so.Session, "after_commit")
def _run_after_commit(session: so.Session) -> None:
    if session.in_nested_transaction():
        # Releasing a SAVEPOINT fires after_commit too; the transaction, and its locks, are still open.
        return
    pending = session.info.pop("after_commit", [])
    for task, args in pending:
        try:
            task(*args)
        except Exception:  # noqa: BLE001 - the rows are committed; a sweep queues them again
            log.exception("could not queue %s%r; the periodic sweep will queue it again", task_name(task), args)


@sa.event.listens_for(so.Session, "after_soft_rollback")
def _drop_after_rollback(session: so.Session, previous_transaction: Any) -> None:
    if previous_transaction.nested:
        return  # only a SAVEPOINT was rolled back: what came before it still commits
    session.info.pop("after_commit", None)


def insert_unless_present(model: type, values: dict[str, Any], *unique_columns: str) -> bool:
    """INSERT a row unless one with the same unique columns exists; True when this call inserted it.

    One statement (ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike), so two requests racing to
    insert the same row never meet a unique-index error: one inserts, the other is told it did not.
    Column defaults apply as for any insert.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=list(unique_columns))
    # A row comes back only when one was inserted: rowcount cannot tell, as PostgreSQL reports -1 for it here.
    return db.session.execute(statement.returning(sa.literal_column("1"))).first() is not None


#: PRAGMAs every SQLite connection gets; checked once at start by check_sqlite_pragmas.
SQLITE_PRAGMAS = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000}


@sa.event.listens_for(sa.Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection, whichever engine made it."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    for name, value in SQLITE_PRAGMAS.items():
        cursor.execute(f"PRAGMA {name}={value}")
    cursor.close()


def check_sqlite_pragmas() -> None:
    """Refuse to start on an SQLite connection that did not take the PRAGMAs."""
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect() as conn:
        found = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in SQLITE_PRAGMAS}
    expected = dict(SQLITE_PRAGMAS)
    if db.engine.url.database in (None, "", ":memory:"):
        expected["journal_mode"] = "memory"
    if {k: str(v).lower() for k, v in found.items()} != {k: str(v).lower() for k, v in expected.items()}:
        raise RuntimeError(f"SQLite settings not applied: expected {expected}, found {found}")
