"""A request's transaction starts at its first write (or lock), on both databases: reads before it open none,
and everything from it on commits or rolls back as one."""

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

    @app.route("/_test/read")
    def read():
        _db.session.scalar(sa.select(sa.func.count(Agency.id)))
        _db.session.get(Agency, 1)
        return "in a transaction" if in_transaction() else "outside a transaction"

    @app.route("/_test/write-then-read")
    def write_then_read():
        _db.session.add(agency("flushed"))
        _db.session.flush()
        _db.session.scalar(sa.select(sa.func.count(Agency.id)))
        return "in a transaction" if in_transaction() else "outside a transaction"

    @app.route("/_test/commit-then-read")
    def commit_then_read():
        _db.session.add(agency("committed"))
        _db.session.commit()
        _db.session.scalar(sa.select(sa.func.count(Agency.id)))
        return "in a transaction" if in_transaction() else "outside a transaction"

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
