"""A request's transaction that only read ends with COMMIT (psycopg keeps its prepared statements across a commit,
not across a rollback); anything else it did, or left waiting, is rolled back as before."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.agencies.models import Agency
from cop.extensions import db as _db
from cop.extensions import enqueue_after_commit
from cop.signals import case_study_published, send_after_commit


@pytest.fixture()
def ends(app):
    """How each request's transaction ended, in order: "commit" or "rollback"."""
    seen: list[str] = []
    with app.app_context():
        engine = _db.engine
    listeners = {"commit": lambda conn: seen.append("commit"), "rollback": lambda conn: seen.append("rollback")}
    for name, listener in listeners.items():
        sa.event.listen(engine, name, listener)
    yield seen
    for name, listener in listeners.items():
        sa.event.remove(engine, name, listener)


@pytest.fixture()
def routes(app):
    """Routes that do one thing each with the session and then return without committing."""
    ran: list[str] = []

    def agency(slug: str) -> Agency:
        return Agency(slug=slug, name=slug.title(), country="GB", level="local")

    @app.route("/_test/read")
    def read():
        return str(_db.session.scalar(sa.select(sa.func.count(Agency.id))))

    @app.route("/_test/flush")
    def flush():
        _db.session.add(agency("flushed"))
        _db.session.flush()
        return "flushed, not committed"

    @app.route("/_test/pending")
    def pending():
        _db.session.scalar(sa.select(sa.func.count(Agency.id)))
        _db.session.add(agency("pending"))
        return "added, not flushed"

    @app.route("/_test/text")
    def text():
        _db.session.scalar(sa.select(sa.func.count(Agency.id)))
        _db.session.execute(sa.text("UPDATE agencies SET name = 'Changed'"))
        return "updated by hand"

    @app.route("/_test/queued")
    def queued():
        _db.session.scalar(sa.select(sa.func.count(Agency.id)))
        enqueue_after_commit(ran.append, "task")
        return "queued"

    @app.route("/_test/signal")
    def signal():
        _db.session.scalar(sa.select(sa.func.count(Agency.id)))
        send_after_commit(case_study_published, Agency, 1)
        return "signal waiting"

    @app.route("/_test/failed")
    def failed():
        _db.session.add(agency("failed"))
        _db.session.flush()
        raise RuntimeError("the page broke")

    return ran


def agency_slugs(app) -> list[str]:
    with app.app_context():
        return list(_db.session.scalars(sa.select(Agency.slug).order_by(Agency.slug)))


def test_a_request_that_only_read_ends_with_a_commit(client, routes, ends):
    assert client.get("/_test/read").status_code == 200
    assert ends == ["commit"]


@pytest.mark.parametrize("path", ["/_test/flush", "/_test/pending", "/_test/text", "/_test/queued", "/_test/signal"])
def test_a_request_that_wrote_or_left_work_waiting_is_rolled_back(app, client, make_agency, routes, ends, path):
    make_agency("leeds")
    ends.clear()
    assert client.get(path).status_code == 200
    assert ends == ["rollback"]
    assert agency_slugs(app) == ["leeds"] and routes == []
    with app.app_context():
        assert _db.session.scalar(sa.select(Agency.name)) == "Leeds"


def test_a_request_that_broke_after_writing_is_rolled_back(app, client, routes, ends):
    assert client.get("/_test/failed").status_code == 500
    assert ends == ["rollback"] and agency_slugs(app) == []


def test_prepared_statements_outlive_requests_on_postgresql(app, client, routes):
    with app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("prepared statements are psycopg's, on PostgreSQL")
    for _ in range(8):
        client.get("/_test/read")
    with app.app_context():
        assert _db.session.scalar(sa.text("SELECT count(*) FROM pg_prepared_statements")) > 0
