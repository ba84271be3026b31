"""The app's connections (cop.database): a request's transaction starts at its first write (or lock), on both
databases, and everything from it on commits or rolls back as one; a connection is pinged only after it has been
idle; on PostgreSQL a result's description is made when it is read, and reads as psycopg's own."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.agencies.models import Agency
from cop.extensions import db as _db
from cop.extensions import enqueue_after_commit
from cop.signals import case_study_published, send_after_commit


def in_transaction() -> bool:
    """Whether the session's connection is inside a transaction, as the driver sees it."""
    driver = _db.session.connection().connection.driver_connection
    if _db.engine.dialect.name == "postgresql":
        import psycopg

        return driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    return driver.in_transaction


def agency(slug: str) -> Agency:
    return Agency(slug=slug, name=slug.title(), country="GB", level="local")


@pytest.fixture()
def routes(app):
    """Routes that do one thing each with the session; none of them commits unless its name says so."""
    ran: list[str] = []

    def read_and_say_where() -> str:
        _db.session.scalar(sa.select(sa.func.count(Agency.id)))
        return "in a transaction" if in_transaction() else "outside a transaction"

    @app.route("/_test/read")
    def read():
        _db.session.get(Agency, 1)
        return read_and_say_where()

    @app.route("/_test/write-then-read")
    def write_then_read():
        _db.session.add(agency("flushed"))
        _db.session.flush()
        return read_and_say_where()

    @app.route("/_test/commit-then-read")
    def commit_then_read():
        _db.session.add(agency("committed"))
        _db.session.commit()
        return read_and_say_where()

    @app.route("/_test/flush")
    def flush():
        _db.session.scalar(sa.select(sa.func.count(Agency.id)))
        _db.session.add(agency("flushed"))
        _db.session.flush()
        return "flushed, not committed"

    @app.route("/_test/text")
    def text():
        _db.session.scalar(sa.select(sa.func.count(Agency.id)))
        _db.session.execute(sa.text("UPDATE agencies SET name = 'Changed'"))
        return "updated by hand"

    @app.route("/_test/queued")
    def queued():
        _db.session.add(agency("queued"))
        enqueue_after_commit(ran.append, "task")
        send_after_commit(case_study_published, Agency, 1)
        return "queued"

    @app.route("/_test/two-writes")
    def two_writes():
        _db.session.add(agency("first"))
        _db.session.flush()
        _db.session.scalar(sa.select(sa.func.count(Agency.id)))
        _db.session.add(agency("leeds"))  # taken: the unique slug refuses it
        _db.session.flush()
        return "unreachable"

    return ran


def agency_slugs(app) -> list[str]:
    with app.app_context():
        return list(_db.session.scalars(sa.select(Agency.slug).order_by(Agency.slug)))


def test_reading_opens_no_transaction(client, routes):
    assert client.get("/_test/read").text == "outside a transaction"


def test_the_first_write_opens_one_that_later_reads_are_in(client, routes):
    assert client.get("/_test/write-then-read").text == "in a transaction"


def test_after_a_commit_reads_are_outside_a_transaction_again(app, client, routes):
    assert client.get("/_test/commit-then-read").text == "outside a transaction"
    assert agency_slugs(app) == ["committed"]


@pytest.mark.parametrize("path", ["/_test/flush", "/_test/text", "/_test/queued"])
def test_what_a_request_wrote_without_committing_is_rolled_back(app, client, make_agency, routes, path):
    make_agency("leeds")
    assert client.get(path).status_code == 200
    assert agency_slugs(app) == ["leeds"] and routes == []
    with app.app_context():
        assert _db.session.scalar(sa.select(Agency.name)) == "Leeds"


def test_a_failure_after_a_write_undoes_the_write(app, client, make_agency, routes):
    make_agency("leeds")
    assert client.get("/_test/two-writes").status_code == 500
    assert agency_slugs(app) == ["leeds"]


def test_select_for_update_holds_its_lock_until_the_transaction_ends(app, make_agency):
    leeds = make_agency("leeds")
    with app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no row locks")
        _db.session.scalar(sa.select(Agency).where(Agency.id == leeds).with_for_update())
        assert in_transaction()
        with _db.engine.connect() as other:
            with pytest.raises(sa.exc.OperationalError, match="could not obtain lock"):
                other.execute(sa.select(Agency.id).where(Agency.id == leeds).with_for_update(nowait=True))
            other.rollback()
        _db.session.rollback()
        with _db.engine.connect() as other:
            assert other.scalar(sa.select(Agency.id).where(Agency.id == leeds).with_for_update(nowait=True)) == leeds


def test_prepared_statements_outlive_requests_on_postgresql(app, client, routes):
    with app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are psycopg's, on PostgreSQL")
    for _ in range(8):
        client.get("/_test/read")
    with app.app_context():
        assert _db.session.scalar(sa.text("SELECT count(*) FROM pg_prepared_statements")) > 0


@pytest.fixture()
def pings(app, monkeypatch):
    """The pings the app's engine sends, counted."""
    with app.app_context():
        dialect = _db.engine.dialect
    sent: list[int] = []
    real = dialect.do_ping

    def counted(dbapi_connection):
        sent.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return sent


def idle_for(app, seconds: float) -> None:
    """Make every connection in the app's pool look idle for this long."""
    with app.app_context():
        pool = _db.engine.pool
    for record in list(pool._pool.queue):
        record.info["cop.idle_since"] -= seconds


def test_a_connection_used_moments_ago_is_not_pinged_and_an_idle_one_is(app, client, routes, pings):
    client.get("/_test/read")
    client.get("/_test/read")
    assert pings == []
    idle_for(app, app.config["DATABASE_PING_AFTER_IDLE"] + 1)
    assert client.get("/_test/read").status_code == 200
    assert pings == [1]


def test_an_idle_connection_the_server_closed_is_replaced(app, client, routes):
    with app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("an SQLite file has no server to close a connection")
    assert client.get("/_test/read").status_code == 200  # the pool now holds a connection
    with app.app_context():
        url = _db.engine.url
    killer = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with killer.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    killer.dispose()
    idle_for(app, app.config["DATABASE_PING_AFTER_IDLE"] + 1)
    assert client.get("/_test/read").text == "outside a transaction"


def test_a_description_is_made_when_read_and_reads_as_psycopgs(app):
    with app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("the lazy description is for psycopg's cursors")
        import psycopg

        driver = _db.session.connection().connection.driver_connection
        plain = psycopg.Cursor(driver)
        lazy = driver.cursor()
        query = "SELECT 1 AS one, 'two'::text AS two, now() AS three"
        plain.execute(query)
        lazy.execute(query)
        assert len(lazy.description) == 3
        assert [tuple(column) for column in lazy.description] == [tuple(column) for column in plain.description]
        assert [column.name for column in lazy.description] == ["one", "two", "three"]
        assert _db.session.execute(sa.text(query)).keys() == ["one", "two", "three"]
        unread = lazy.description
        lazy.execute("SET LOCAL statement_timeout = 0")
        assert lazy.description is None
        with pytest.raises(RuntimeError, match="moved on"):
            unread[0]
        _db.session.rollback()
