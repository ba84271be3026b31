"""How the app uses its database connections, beyond what SQLAlchemy does by default: on PostgreSQL, reads
outside a transaction until the first write, and result descriptions made only when read; on both databases, a
ping only for a connection that has been idle, and rows brought as JSON inside another statement."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles


def reads_only(context: Any) -> bool:
    """A SELECT built with SQLAlchemy that locks nothing. Anything else (DML, DDL, a SAVEPOINT, SELECT ... FOR
    UPDATE, text() and driver SQL, which could be anything) may write or lock."""
    statement = getattr(getattr(context, "compiled", None), "statement", None)
    return bool(getattr(statement, "is_select", False)) and getattr(statement, "_for_update_arg", None) is None


def read_outside_transactions(engine: sa.Engine) -> None:
    """The app's PostgreSQL connections read in autocommit until their first write, as SQLite's already do
    (pysqlite opens a transaction before the first INSERT, UPDATE or DELETE, not before a SELECT).

    A page that only reads then costs its statements and nothing more: no BEGIN, no COMMIT or ROLLBACK, each a
    round trip; and psycopg keeps its prepared statements, which it forgets on every rollback. Under READ
    COMMITTED, PostgreSQL's default and ours, each statement reads its own snapshot inside a transaction as
    outside one, so reads before the first write see what they would have seen in it. Every write and every
    lock is in the one transaction that the request (command, task) commits or rolls back. A connection given
    an isolation level of its own (as Alembic's autocommit blocks are) is left as SQLAlchemy set it."""
    if engine.dialect.name != "postgresql":
        return
    sa.event.listen(engine, "connect", _autocommit)
    sa.event.listen(engine, "checkin", _autocommit)  # after the pool's reset: any transaction is over
    sa.event.listen(engine, "before_cursor_execute", _begin_before_the_first_write)


def _autocommit(dbapi_connection: Any, connection_record: Any) -> None:
    if dbapi_connection is not None and not dbapi_connection.closed and not dbapi_connection.autocommit:
        dbapi_connection.autocommit = True


def _begin_before_the_first_write(connection: sa.Connection, cursor: Any, statement: str, parameters: Any,
                                  context: Any, executemany: bool) -> None:
    if cursor.connection.autocommit and not reads_only(context) \
            and "isolation_level" not in connection.get_execution_options():
        cursor.connection.autocommit = False  # psycopg sends BEGIN before this statement


def ping_when_idle(engine: sa.Engine, seconds: float) -> None:
    """A connection that has waited in the pool for more than ``seconds`` is pinged (a round trip) before it is
    used, and replaced if the server has closed it (a restart, an idle timeout on the way). One used within the
    last ``seconds`` is given out as it is, where pool_pre_ping would ping it on every request too: if the
    server went away in those seconds, the request that finds out fails once, and SQLAlchemy then replaces every
    connection of the pool."""

    def idle_from_now(dbapi_connection: Any, connection_record: Any) -> None:
        connection_record.info["cop.idle_since"] = time.monotonic()

    def ping_if_idle(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
        if time.monotonic() - connection_record.info.get("cop.idle_since", 0.0) <= seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise sa.exc.DisconnectionError("the database closed this connection while it was idle") from error

    sa.event.listen(engine, "connect", idle_from_now)
    sa.event.listen(engine, "checkin", idle_from_now)
    sa.event.listen(engine, "checkout", ping_if_idle)


def describe_lazily(engine: sa.Engine) -> None:
    """psycopg makes a Column object for every column of every result when its cursor's description is read, and
    SQLAlchemy reads it for every statement, though for a statement it has run before it only asks whether there
    is one (it keeps what the columns are with the compiled statement). On a page of three statements that was
    a twentieth of the worker's time. The app's PostgreSQL cursors make them when they are first read."""
    if engine.dialect.name != "postgresql":
        return
    cursor_class = _lazily_described_cursor()

    def use_it(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.cursor_factory = cursor_class

    sa.event.listen(engine, "connect", use_it)


@functools.cache
def _lazily_described_cursor() -> type:
    """psycopg's Cursor, whose description is a LazyDescription (psycopg is imported only on PostgreSQL)."""
    import psycopg
    from psycopg.pq import ExecStatus

    with_rows = {ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, getattr(ExecStatus, "TUPLES_CHUNK", ExecStatus.TUPLES_OK)}

    class Cursor(psycopg.Cursor):
        @property
        def description(self) -> Optional[LazyDescription]:  # type: ignore[override]
            # psycopg's test of whether there is a description, without making its columns.
            result = self.pgresult
            if result and (result.nfields or result.status in with_rows):
                return LazyDescription(self, result)
            return None

    return Cursor


class LazyDescription(Sequence):
    """A cursor's description (DB-API: a sequence of 7-item column descriptions), made by psycopg when first read,
    from the result it was given for."""

    def __init__(self, cursor: Any, result: Any) -> None:
        self._cursor, self._result, self._columns = cursor, result, None

    def _made(self) -> list:
        if self._columns is None:
            if self._cursor.pgresult is not self._result:
                raise RuntimeError("a cursor's description was read after the cursor moved on to another result")
            import psycopg

            self._columns = psycopg.Cursor.description.fget(self._cursor)
        return self._columns

    def __len__(self) -> int:
        return self._result.nfields

    def __getitem__(self, index: Any) -> Any:
        return self._made()[index]


class json_rows(sa.sql.functions.FunctionElement):
    """An aggregate of the rows it runs over, each as a JSON array of the columns given, in one JSON array (None
    when there are none): for rows a page needs beside another statement's, in the same round trip. Written for
    each database when compiled (json_agg on PostgreSQL, json_group_array on SQLite), so a query using it is built
    once for both. Times come as ISO 8601 text (read them with cop.clock.from_json)."""

    type = sa.JSON()
    inherit_cache = True


@compiles(json_rows, "postgresql")
def _json_rows_on_postgresql(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_agg(json_build_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows)
def _json_rows_on_sqlite(element: json_rows, compiler: Any, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"
