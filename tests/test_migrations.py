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


#: The tables 0020 creates.
FEDERATION_TABLES = {"federation_actor_keys", "federation_remote_actors", "federation_followers", "federation_following",
                     "federation_activities", "federation_deliveries", "federation_inbox", "federation_blocked_domains"}
#: The columns 0020 adds to tables that were already there.
FEDERATION_COLUMNS = {"agencies": {"remote_actor_id", "approves_followers"},
                      "case_studies": {"remote_uri", "remote_url", "remote_content"},
                      "events": {"remote_uri", "remote_url"}}
#: What was stored before federation, and must be exactly as it was after 0020 goes down.
KEPT_ABOVE_0019 = (*KEPT_ABOVE_0001, "case_studies", "case_study_topics", "events", "event_topics", "search_entries")


def test_federation_upgrades_a_populated_database_and_goes_down_leaving_only_what_was_there(migrating_app):
    """0020 gives agencies, case studies and events already here the local defaults; remote actors, follows,
    deliveries and remote content can be stored at once; going down removes federation's tables and columns and
    the remote agencies, case studies and events (with their search entries), and leaves everything else as it was."""
    from cop.agencies.models import Agency
    from cop.casestudies.models import CaseStudy
    from cop.clock import utcnow
    from cop.events.models import Event
    from cop.federation import remote_content
    from cop.federation.models import Activity, Delivery, Follower, Following, RemoteActor
    from cop.text.models import Topic

    migrate_to("0019")
    home_id, writer_id = home_and_writer()
    now = utcnow()
    with db.engine.connect() as conn:
        area_id = conn.execute(sa.text("SELECT id FROM service_areas ORDER BY id LIMIT 1")).scalar_one()
        topic_id = conn.execute(sa.text("SELECT id FROM topics ORDER BY id LIMIT 1")).scalar_one()
    case_study_id = insert("case_studies", slug="floods", title="Floods", summary="A crisis channel.", agency_id=home_id,
                           service_area_id=area_id, level="303", challenge="Floods.", approach="A channel.",
                           results="Fewer calls.", lessons="Start early.", differently="", resources="", links=[],
                           licence="CC-BY-4.0", status="published", review_comment="", revision=1,
                           created_by_id=writer_id, reviewed_by_id=writer_id, created_at=now, updated_at=now,
                           submitted_at=now, published_at=now)
    insert("case_study_topics", case_study_id=case_study_id, topic_id=topic_id)
    event_id = insert("events", slug="surgery", title="Social media surgery", description="Bring your phone.",
                      kind="surgery", agency_id=home_id, contact_email="", starts_at=now + timedelta(days=7),
                      ends_at=now + timedelta(days=7, hours=2), time_zone="Europe/London", all_day=False,
                      repeat_interval=1, repeat_monthly_by="weekday", series_ends_at=now + timedelta(days=7, hours=2),
                      venue_name="Town hall", venue_address="1 High Street", online_url="", going_count=0,
                      currency="GBP", payment_details="", registration_open=True, status="scheduled",
                      status_reason="", sequence=0, created_by_id=writer_id, created_at=now, updated_at=now)
    insert("event_topics", event_id=event_id, topic_id=topic_id)
    insert("agency_domains", agency_id=home_id, domain="home.example")
    newcomer_id = insert("users", email="n@home.example", display_name="Nia Newcomer", password_hash="x", email_verified_at=now,
                         site_role="member", is_active=True, job_title="Officer", bio="", level="101", region="",
                         time_zone="UTC", open_to_mentoring=False, mentoring_capacity=0, is_agency_admin=False,
                         created_at=now, updated_at=now, mentoring_format="either", mentoring_paused=False, mentees_count=0)
    insert("join_requests", user_id=newcomer_id, agency_id=home_id, status="pending", message="I started here.", created_at=now)
    for kind, object_id, title in (("case_study", case_study_id, "Floods"), ("event", event_id, "Social media surgery")):
        insert("search_entries", kind=kind, object_id=object_id, title=title, body="", updated_at=now)
    before = snapshot(KEPT_ABOVE_0019)
    empty = [table for table, found in before.items() if not found]
    assert not empty, f"the test data should fill every table it checks; empty: {empty}"

    migrate_to("head")
    home, case_study, event = db.session.get(Agency, home_id), db.session.get(CaseStudy, case_study_id), db.session.get(Event, event_id)
    assert (home.approves_followers, home.remote_actor_id, home.is_remote) == (False, None, False)
    assert (case_study.remote_uri, case_study.remote_url, case_study.remote_content) == (None, "", "")
    assert (event.remote_uri, event.remote_url) == (None, "")

    origin = "https://cop.example.org"
    remote = RemoteActor(uri=f"{origin}/agencies/bristol", domain="cop.example.org", actor_type="Group",
                         preferred_username="bristol", name="Bristol City Council", inbox=f"{origin}/agencies/bristol/inbox",
                         shared_inbox=f"{origin}/inbox")
    fan = RemoteActor(uri="https://mastodon.example/users/fan", domain="mastodon.example", inbox="https://mastodon.example/users/fan/inbox")
    db.session.add_all([remote, fan])
    db.session.flush()
    follow = {"id": "https://mastodon.example/follows/1", "type": "Follow", "actor": fan.uri, "object": "http://cop.test/agencies/home"}
    sent = Activity(uri="http://cop.test/activities/1", agency_id=home_id, activity_type="Create",
                    object_uri="http://cop.test/case-studies/floods", payload={"type": "Create"})
    db.session.add_all([
        Follower(agency_id=home_id, remote_actor_id=fan.id, follow_uri=follow["id"], follow_activity=follow, state="accepted"),
        Following(agency_id=home_id, remote_actor_id=remote.id, follow_uri="http://cop.test/activities/0", state="accepted"),
        sent, Delivery(activity=sent, inbox=fan.inbox, domain=fan.domain, status="failed", attempts=9, last_error="Timed out."),
    ])
    home.approves_followers = True
    remote_case_study = remote_content.store_case_study(remote, {
        "id": f"{origin}/case-studies/bins", "type": "Article", "name": "Bin days on Mastodon", "summary": "<p>Bins.</p>",
        "content": "<h2>Challenge</h2><p>Missed bins.</p>", "published": "2026-11-01T09:00:00Z",
        "tag": [{"type": "Hashtag", "name": "#" + db.session.get(Topic, topic_id).name.replace(" ", "")}],
    })
    remote_event = remote_content.store_event(remote, {
        "id": f"{origin}/events/camp", "type": "Event", "name": "Bristol BarCamp", "content": "<p>Pitch a session.</p>",
        "startTime": "2027-03-06T09:00:00+00:00", "endTime": "2027-03-06T17:00:00+00:00", "timezone": "Europe/London",
        "category": "NETWORKING", "ical:uid": f"{origin}/events/camp",
    })
    db.session.commit()
    remote_agency_id = remote_case_study.agency_id
    assert db.session.get(Agency, remote_agency_id).is_remote and remote_event.agency_id == remote_agency_id
    assert {(r["kind"], r["object_id"]) for r in rows("search_entries")} >= {("case_study", remote_case_study.id), ("event", remote_event.id)}
    assert rows("case_study_topics") != before["case_study_topics"], "the remote case study should have a topic to lose"
    assert all(rows(table) for table in FEDERATION_TABLES - {"federation_actor_keys", "federation_inbox", "federation_blocked_domains"})

    migrate_to("0019", down=True)
    assert table_names().isdisjoint(FEDERATION_TABLES)
    inspector = sa.inspect(db.engine)
    for table, added in FEDERATION_COLUMNS.items():
        assert {c["name"] for c in inspector.get_columns(table)}.isdisjoint(added), f"{table} kept federation's columns"
    assert snapshot(KEPT_ABOVE_0019) == before

    migrate_to("head")
    assert FEDERATION_TABLES <= table_names() and rows("federation_remote_actors") == []
    assert db.session.get(Agency, home_id).approves_followers is False
