"""Migrations build exactly the models' schema, and going down and up again loses no data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from pprint import pformat

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from cop import create_app
from cop.extensions import db
from cop.text.search import is_managed_here
from cop.text.taxonomy import DEFAULT_TOPICS
from tests.conftest import TEST_DATABASE_URL, create_postgres_database, drop_postgres_database, environ_for_tests

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")

#: Tables that revision 0002 and everything before it create: they must survive 0003 going down and up.
KEPT_ABOVE_0002 = ("agencies", "agency_domains", "users", "join_requests", "topics", "user_skills", "user_interests")
#: Tables that revision 0001 creates: they must survive 0002 and 0003 going down and up.
KEPT_ABOVE_0001 = ("agencies", "agency_domains", "users", "join_requests")


@pytest.fixture()
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a fresh PostgreSQL database when TEST_DATABASE_URL is set."""
    if TEST_DATABASE_URL:
        url = create_postgres_database("cop_migrations")
        yield url
        drop_postgres_database(url)
    else:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"


@pytest.fixture()
def migrating_app(empty_database_url: str, tmp_path: Path):
    """An app on the empty database; nothing creates its tables but the migrations."""
    app = create_app({"ENVIRON": environ_for_tests(empty_database_url), "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        yield app
        release_connections()


def include_name(name, type_, parent_names) -> bool:
    """The same filter the migrations' env.py applies: SQLite's full-text tables are not in the models."""
    return not (type_ == "table" and is_managed_here(name))


def release_connections() -> None:
    """End the session and close pooled connections, so a migration never waits on (or locks against) them."""
    db.session.remove()
    db.engine.dispose()


def migrate_to(revision: str, *, down: bool = False) -> None:
    release_connections()
    if down:
        flask_migrate.downgrade(directory=MIGRATIONS, revision=revision)
    else:
        flask_migrate.upgrade(directory=MIGRATIONS, revision=revision)
    release_connections()


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def rows(table: str) -> list[dict]:
    """Every row of a table, as column → value, in primary-key order, read with plain SQL."""
    primary_key = [c.name for c in db.metadata.tables[table].primary_key.columns]
    order = ", ".join(f'"{name}"' for name in primary_key)
    with db.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.text(f'SELECT * FROM "{table}" ORDER BY {order}'))]


def insert(table: str, **values) -> int:
    """A row written with plain SQL to the table as the current revision has it (the models may have moved on)."""
    with db.engine.begin() as conn:
        reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
        return conn.execute(reflected.insert().values(**values)).inserted_primary_key[0]


def home_and_writer() -> tuple[int, int]:
    """An agency and its admin, as any revision from 0004 on stores them."""
    from cop.clock import utcnow

    now = utcnow()
    home = insert("agencies", slug="home", name="Home Council", country="GB", level="local", website="", description="",
                  created_at=now)
    writer = insert("users", email="w@home.example", display_name="Wen Writer", password_hash="x", email_verified_at=now,
                    site_role="member", is_active=True, job_title="Officer", bio="", level="202", region="", time_zone="UTC",
                    open_to_mentoring=False, mentoring_capacity=0, agency_id=home, is_agency_admin=True,
                    created_at=now, updated_at=now)
    return home, writer


def snapshot(tables: tuple[str, ...]) -> dict[str, list[dict]]:
    return {table: rows(table) for table in tables}


def topics_in_database() -> list[tuple[str, str]]:
    with db.engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(sa.text('SELECT name, "group" FROM topics')))


def test_upgrade_on_an_empty_database_builds_exactly_the_models(migrating_app):
    assert table_names() == set(), "the database should start empty"

    migrate_to("head")

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        diff = compare_metadata(context, db.metadata)
        current = context.get_current_heads()
    assert diff == [], (
        "The migrations do not build the schema the models describe; write a migration "
        f"(flask db migrate) for:\n{pformat(diff)}"
    )
    assert set(current) == set(ScriptDirectory(MIGRATIONS).get_heads())
    assert topics_in_database() == sorted(DEFAULT_TOPICS), "0002 should seed exactly the default taxonomy"


def test_downgrade_then_upgrade_keeps_every_row(migrating_app):
    from cop.accounts.models import User
    from cop.agencies.models import Agency, AgencyDomain, JoinRequest
    from cop.clock import utcnow
    from cop.mail.models import OutboxMessage
    from cop.text.models import Topic

    migrate_to("head")

    topics = list(db.session.scalars(sa.select(Topic).order_by(Topic.id)))
    now = utcnow()
    home = Agency(
        slug="home", name="Home Council", country="GB", level="local", website="https://home.example",
        description="We *serve* the town.", domains=[AgencyDomain(domain="home.example"), AgencyDomain(domain="home.gov.example")],
    )
    alice = User(
        email="alice@home.example", display_name="Alice Admin", password_hash="argon2-hash-a", email_verified_at=now,
        agency=home, is_agency_admin=True, job_title="Head of digital", bio="Ten years of **posts**.", level="303",
        country="GB", region="North", time_zone="Europe/London", open_to_mentoring=True, mentoring_capacity=3,
        last_login_at=now - timedelta(days=1), skills=topics[:3], interests=topics[-2:],
    )
    bob = User(
        email="bob@elsewhere.example", display_name="Bob Moderator", password_hash="argon2-hash-b", email_verified_at=now,
        site_role="moderator", level="202", skills=[topics[5]], interests=topics[:2],
    )
    db.session.add_all([
        home, alice, bob,
        JoinRequest(user=bob, agency=home, message="I work with them."),
        JoinRequest(user=bob, agency=home, status="declined", decided_at=now, decided_by=alice),
        OutboxMessage(recipient=bob.email, subject="Your request", body="It was declined."),
    ])
    db.session.commit()

    before = snapshot(KEPT_ABOVE_0002)
    empty = [table for table, found in before.items() if not found]
    assert not empty, f"the test data should fill every table it checks; empty: {empty}"

    migrate_to("0002", down=True)
    assert "outbox_messages" not in table_names(), "downgrading to 0002 should have removed 0003's table"
    migrate_to("head")
    after = snapshot(KEPT_ABOVE_0002)
    for table in KEPT_ABOVE_0002:
        assert after[table] == before[table], f"{table} changed going down to 0002 and up again"

    migrate_to("0001", down=True)
    assert table_names().isdisjoint({"topics", "user_skills", "user_interests"}), "downgrading to 0001 should have removed 0002's tables"
    migrate_to("head")
    # 0002's downgrade drops the taxonomy and everyone's skills and interests, and its upgrade seeds the taxonomy
    # afresh (new ids and timestamps), so only 0001's tables are compared here; the seed is checked by name.
    after = snapshot(KEPT_ABOVE_0001)
    for table in KEPT_ABOVE_0001:
        assert after[table] == before[table], f"{table} changed going down to 0001 and up again"
    assert topics_in_database() == sorted(DEFAULT_TOPICS)


def test_search_works_on_a_database_the_migrations_built(migrating_app):
    """The FTS5 table and its triggers (SQLite), or the tsvector and its GIN index (PostgreSQL), come from 0006."""
    from cop.text import search

    migrate_to("head")
    search.index_document("story", 1, "Floods", "Our crisis channel during the floods")
    search.index_document("story", 2, "Bins", "Missed bin collections")
    db.session.commit()
    search.index_document("story", 1, "Storms", "Our crisis channel during the storms")
    db.session.commit()
    hits = search.matching("story", "storms")
    assert list(db.session.scalars(sa.select(hits.c.object_id))) == [1]
    assert search.matching("story", "floods") is not None
    assert list(db.session.scalars(sa.select(search.matching("story", "floods").c.object_id))) == []


def test_case_studies_go_down_and_up_without_touching_what_came_before(migrating_app):
    """0010 seeds the service areas once; going down removes its tables and nothing else, and up again works."""
    from cop.accounts.models import User
    from cop.casestudies import services
    from cop.casestudies.models import DEFAULT_SERVICE_AREAS

    migrate_to("0009")
    home_and_writer()
    before = snapshot(KEPT_ABOVE_0001)

    migrate_to("head")
    with db.engine.connect() as conn:
        areas = sorted(name for (name,) in conn.execute(sa.text("SELECT name FROM service_areas")))
    assert areas == sorted(DEFAULT_SERVICE_AREAS)
    writer = db.session.scalar(sa.select(User))
    case_study = services.create_case_study(writer, services.CaseStudyInput(
        title="Floods", summary="A crisis channel.", service_area="emergency-management", modes=["broadcast"], level="303",
        sections={"challenge": "Floods.", "approach": "A channel.", "results": "Fewer calls.", "lessons": "Start early."},
    ), submit=True)
    services.publish_case_study(writer, case_study)
    db.session.commit()
    assert rows("case_study_revisions") and rows("case_study_modes")

    migrate_to("0009", down=True)
    assert table_names().isdisjoint({"case_studies", "service_areas", "case_study_revisions"})
    assert rows("search_entries") == [], "the search entries of case studies go with them"
    assert snapshot(KEPT_ABOVE_0001) == before
    migrate_to("head")
    assert len(rows("service_areas")) == len(DEFAULT_SERVICE_AREAS) and rows("case_studies") == []


#: The tables 0017 creates.
MENTORING_TABLES = {"matching_state", "mentor_requests", "mentor_request_skills", "mentor_declines", "mentorships",
                    "mentorship_notes", "mentorship_feedback", "mentoring_programmes", "mentoring_programme_members",
                    "mentoring_programme_matches"}


def test_mentoring_upgrades_a_populated_database_and_goes_down_without_touching_the_rest(migrating_app):
    """0017 gives everyone already here the mentoring defaults; going down removes its tables and columns only."""
    from cop.accounts.models import User
    from cop.clock import utcnow
    from cop.matching import mentorships, services
    from cop.text.models import Topic

    migrate_to("0016")
    _home, writer_id = home_and_writer()
    now = utcnow()
    mentor_id = insert("users", email="m@away.example", display_name="Mo Mentor", password_hash="x", email_verified_at=now,
                       site_role="member", is_active=True, job_title="Head of digital", bio="Video and live streams.",
                       level="303", region="", time_zone="UTC", open_to_mentoring=True, mentoring_capacity=2,
                       is_agency_admin=False, created_at=now, updated_at=now)

    migrate_to("head")
    mentor, writer = db.session.get(User, mentor_id), db.session.get(User, writer_id)
    assert (mentor.mentoring_format, mentor.mentoring_paused, mentor.mentees_count) == ("either", False, 0)
    assert rows("matching_state") == [{"id": 1, "version": 0}]
    skill = db.session.scalar(sa.select(Topic).order_by(Topic.id).limit(1))
    request = services.create_request(writer, services.RequestInput(goals="Learn video.", skill_ids=[skill.id]), mentor=mentor)
    mentorship = services.accept(mentor, request)
    mentorships.add_note(mentor, mentorship, "First call went well.")
    db.session.commit()
    assert db.session.get(User, mentor_id).mentees_count == 1
    added = {"mentoring_format", "mentoring_paused", "mentees_count"}
    before = snapshot(KEPT_ABOVE_0001)
    before["users"] = [{k: v for k, v in row.items() if k not in added} for row in before["users"]]
    # Federation (0020) adds a column to agencies, which going down to 0016 takes away too.
    before["agencies"] = [{k: v for k, v in row.items() if k not in ("remote_actor_id", "approves_followers")} for row in before["agencies"]]

    migrate_to("0016", down=True)
    assert table_names().isdisjoint(MENTORING_TABLES)
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("users")}
    assert columns.isdisjoint(added)
    assert snapshot(KEPT_ABOVE_0001) == before
    migrate_to("head")
    assert MENTORING_TABLES <= table_names() and rows("mentorships") == []


#: The tables 0019 creates.
FORUM_TABLES = {"forum_categories", "forum_threads", "forum_posts", "forum_post_revisions", "forum_thread_watches",
                "forum_category_watches", "forum_thread_reads", "forum_members", "forum_flags", "forum_watched_words",
                "forum_moderation_actions", "forum_appeals"}


def test_forum_upgrades_a_populated_database_and_goes_down_without_touching_the_rest(migrating_app):
    """0019 adds the forum beside what is stored; a thread, a flag and an appeal can be written at once; going down
    removes the forum's tables (and its search entries) and nothing else."""
    from flask import current_app

    from cop.accounts.models import User
    from cop.forum import moderation, services

    from cop.clock import utcnow

    migrate_to("0018")
    _home, writer_id = home_and_writer()
    now = utcnow()
    admin_id = insert("users", email="admin@example.org", display_name="Ada Admin", password_hash="x", email_verified_at=now,
                      site_role="site_admin", is_active=True, job_title="", bio="", region="", time_zone="UTC",
                      open_to_mentoring=False, mentoring_capacity=0, is_agency_admin=False, created_at=now, updated_at=now,
                      mentoring_format="either", mentoring_paused=False, mentees_count=0)
    before = snapshot(KEPT_ABOVE_0001)
    migrate_to("head")
    admin, writer = db.session.get(User, admin_id), db.session.get(User, writer_id)
    with current_app.test_request_context():
        category = services.create_category(admin, services.CategoryInput(name="Getting started"))
        thread = services.create_thread(admin, category, "First steps", "Where do I start?")
        services.reply(writer, thread, "With the 101 course.")
        action = moderation.set_locked(admin, thread, True, "heated")
    db.session.commit()
    assert len(rows("forum_posts")) == 2 and len(rows("forum_moderation_actions")) == 1 and action.id

    migrate_to("0018", down=True)
    assert table_names().isdisjoint(FORUM_TABLES)
    assert [r for r in rows("search_entries") if r["kind"] == "forum_post"] == []
    assert snapshot(KEPT_ABOVE_0001) == before
    migrate_to("head")
    assert FORUM_TABLES <= table_names() and rows("forum_threads") == []
