"""The command line: clear output, non-zero exit and a clear message on bad input."""

import sqlalchemy as sa

from cop.accounts.models import User
from cop.agencies.models import Agency
from cop.demo import PEOPLE_COUNT


def count(app, model):
    from cop.extensions import db

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(model.id)))


def test_create_agency(runner, app):
    result = runner.invoke(args=["create-agency", "leeds", "--name", "Leeds City Council", "--domain", "leeds.example", "--country", "GB", "--level", "local"])
    assert result.exit_code == 0, result.output
    assert "Created agency leeds" in result.output and "leeds.example" in result.output
    result = runner.invoke(args=["create-agency", "leeds", "--name", "Again"])
    assert result.exit_code == 1
    assert "already an agency" in result.output
    result = runner.invoke(args=["create-agency", "Bad Slug", "--name", "X"])
    assert result.exit_code == 1 and "lower-case" in result.output
    result = runner.invoke(args=["create-agency", "other", "--name", "X", "--country", "ZZ"])
    assert result.exit_code == 1 and "not a country code" in result.output
    assert count(app, Agency) == 1


def test_create_user(runner, app):
    runner.invoke(args=["create-agency", "leeds", "--name", "Leeds"])
    result = runner.invoke(args=["create-user", "boss@leeds.example", "--password", "lantern-orchard-velvet-81", "--role", "agency_admin", "--agency", "leeds", "--name", "Boss"])
    assert result.exit_code == 0, result.output
    assert "Created agency admin boss@leeds.example" in result.output
    with app.app_context():
        from cop.extensions import db

        user = db.session.scalar(sa.select(User))
        assert user.is_verified and user.is_agency_admin and user.agency.slug == "leeds"

    bad = [
        (["create-user", "x@example.org", "--password", "lantern-orchard-velvet-81", "--agency", "atlantis"], "no agency"),
        (["create-user", "x@example.org", "--password", "password1234"], "most commonly used"),
        (["create-user", "x@example.org", "--password", "short"], "at least 12"),
        (["create-user", "not-an-email", "--password", "lantern-orchard-velvet-81"], "correct format"),
        (["create-user", "boss@leeds.example", "--password", "lantern-orchard-velvet-81"], "already exists"),
        (["create-user", "x@example.org", "--password", "lantern-orchard-velvet-81", "--role", "agency_admin"], "needs an agency"),
    ]
    for args, message in bad:
        result = runner.invoke(args=args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (args, result.output)
    assert count(app, User) == 1


def federation_rows(app) -> dict[str, int]:
    """How many rows each federation table holds, and how many remote agencies, case studies and events there are."""
    from cop.casestudies.models import CaseStudy
    from cop.events.models import Event
    from cop.extensions import db
    from cop.federation import models

    with app.app_context():
        found = {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (models.ActorKey, models.RemoteActor, models.Follower, models.Following, models.Activity,
                               models.Delivery, models.InboxItem)}
        for name, column in (("remote agencies", Agency.remote_actor_id), ("remote case studies", CaseStudy.remote_uri),
                             ("remote events", Event.remote_uri)):
            found[name] = db.session.scalar(sa.select(sa.func.count()).where(column.is_not(None)))
    return found


def test_seed_demo_is_idempotent(runner, app):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "admin@cop.example" in result.output and "password for each" in result.output
    assert "3 case studies and events from another server added" in result.output
    agencies, people, federation = count(app, Agency), count(app, User), federation_rows(app)
    assert agencies == 12 + 1 and people == PEOPLE_COUNT, "twelve agencies here and one on another instance"
    assert federation["remote agencies"] == 1 and federation["remote case studies"] == 2 and federation["remote events"] == 1
    with app.app_context():
        from cop.extensions import db

        levels = set(db.session.scalars(sa.select(User.level)))
        mentors = db.session.scalar(sa.select(sa.func.count(User.id)).where(User.mentoring_capacity > 0))
        countries = set(db.session.scalars(sa.select(Agency.country)))
    assert levels == {"101", "202", "303", None} and mentors >= 10 and {"GB", "AU"} <= countries
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "0 agencies and 0 people added" in result.output and "0 case studies added" in result.output
    assert "0 case studies and events from another server added" in result.output
    assert (count(app, Agency), count(app, User), federation_rows(app)) == (agencies, people, federation)


def test_seed_demo_adds_a_library_of_case_studies_in_every_state(runner, app, client):
    from cop.casestudies.models import CaseStudy, CaseStudyRevision

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        from cop.extensions import db

        local = CaseStudy.remote_uri.is_(None)
        statuses = dict(db.session.execute(sa.select(CaseStudy.status, sa.func.count()).where(local).group_by(CaseStudy.status)).all())
        agencies = db.session.scalar(sa.select(sa.func.count(sa.distinct(CaseStudy.agency_id))).where(local))
        revisions = db.session.scalar(sa.select(sa.func.count(CaseStudyRevision.id)))
    assert statuses["published"] >= 40 and statuses["draft"] >= 2 and statuses["in_review"] == 1 and statuses["returned"] == 1
    assert agencies == 12 and revisions == statuses["published"]
    page = client.get("/case-studies?q=flood").get_data(as_text=True)
    assert "A crisis channel during the winter floods" in page.replace("<mark>", "").replace("</mark>", "")
    assert client.get("/case-studies/our-first-twitter-account-bin-collection-days").status_code == 200


def test_seed_demo_adds_events_of_every_kind_across_time_zones(runner, app, client):
    from cop.events.models import Event, SurgerySlot
    from cop.mail.models import OutboxMessage

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "10 events and" in result.output
    with app.app_context():
        from cop.extensions import db

        events = list(db.session.scalars(sa.select(Event)))
        assert {e.kind for e in events} == {"unconference", "barcamp", "surgery", "course", "webinar", "meetup", "workshop"}
        assert {e.level for e in events if e.kind == "course"} == {"101", "202", "303"}
        assert {"Europe/London", "Australia/Sydney", "Australia/Perth"} <= {e.time_zone for e in events}
        assert sorted(e.status for e in events if e.status != "scheduled") == ["cancelled", "postponed"]
        surgery = next(e for e in events if e.kind == "surgery")
        assert surgery.repeat == "monthly" and db.session.scalar(sa.select(sa.func.count(SurgerySlot.id))) == 6
        from cop.events.models import BoardSession

        camp = next(e for e in events if e.kind == "unconference")
        placed = db.session.scalars(sa.select(BoardSession).where(BoardSession.event_id == camp.id)).all()
        assert len(placed) == 7 and all(s.room_id and s.slot_id for s in placed)
        course_303 = next(e for e in events if e.level == "303")
        assert [p.level for p in course_303.prerequisites] == ["202"]
        # Seeding tells no one anything by mail.
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert b"Monthly social media surgery" in client.get("/events/calendar.ics").data


def test_demo_staff_are_not_listed_as_practitioners_and_everyone_else_is(runner, app, client):
    runner.invoke(args=["seed-demo"])
    with app.app_context():
        from cop.extensions import db

        staff = list(db.session.scalars(sa.select(User).where(User.site_role != "member")))
        unlisted = db.session.scalar(sa.select(sa.func.count(User.id)).where(sa.or_(User.level.is_(None), User.job_title == "")))
        assert {u.email for u in staff} == {"admin@cop.example", "moderator@cop.example"}
        for user in staff:
            assert (user.level, user.job_title, user.skills, user.mentoring_capacity) == (None, "", [], 0)
    assert unlisted == 2, "every demo practitioner says what they do"
    page = client.get("/people").get_data(as_text=True)
    assert f"{PEOPLE_COUNT - 2} people" in page
    assert "Admin</a>" not in page and "Moderator</a>" not in page
    home = client.get("/").get_data(as_text=True)
    assert f"{PEOPLE_COUNT - 2} practitioners" in home


def test_demo_sign_ins_work(runner, app, client):
    runner.invoke(args=["seed-demo"])
    from cop.demo import DEMO_PASSWORD

    response = client.post("/auth/login", data={"email": "admin@cop.example", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get("/admin").status_code == 200


def test_worker_refuses_in_eager_mode(runner):
    result = runner.invoke(args=["worker"])
    assert result.exit_code == 1
    assert "no worker is needed" in result.output


def test_a_command_on_an_empty_database_says_to_upgrade(tmp_path):
    from cop import create_app
    from tests.conftest import environ_for_tests

    app = create_app({"ENVIRON": environ_for_tests(f"sqlite:///{tmp_path / 'empty.sqlite3'}"), "INSTANCE_PATH": str(tmp_path)})
    for args in (["create-agency", "leeds", "--name", "Leeds"], ["seed-demo"], ["create-user", "a@b.example", "--password", "x"], ["worker"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 1, (args, result.output)
        assert "is not up to date" in result.output and "Run: flask --app wsgi db upgrade" in result.output
        assert "Traceback" not in result.output


def test_a_command_with_the_database_unreachable_says_so_in_one_line(tmp_path):
    from cop import create_app
    from tests.conftest import environ_for_tests

    app = create_app({"ENVIRON": environ_for_tests("postgresql+psycopg://postgres@127.0.0.1:1/cop"), "INSTANCE_PATH": str(tmp_path)})
    result = app.test_cli_runner().invoke(args=["create-agency", "leeds", "--name", "Leeds"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: Cannot reach PostgreSQL at 127.0.0.1:1/cop: ") and result.output.count("\n") == 1


def test_db_upgrade_with_the_database_unreachable_is_one_line_and_status_1(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "COP_ENV": "development", "COP_INSTANCE_PATH": str(tmp_path),
           "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/cop", "REDIS_URL": ""}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Cannot reach PostgreSQL at 127.0.0.1:1/cop: "), result.stderr


def test_the_web_app_starts_with_the_database_down_and_says_so(tmp_path, caplog):
    import logging

    from cop import create_app
    from cop.site.probes import report_unreachable
    from tests.conftest import environ_for_tests

    app = create_app({"ENVIRON": environ_for_tests("postgresql+psycopg://postgres@127.0.0.1:1/cop"), "INSTANCE_PATH": str(tmp_path)})
    caplog.set_level(logging.WARNING)
    failures = report_unreachable(app)
    assert [f.split()[0] for f in failures] == ["database"]
    [record] = [r for r in caplog.records if r.name == "cop.site.probes" and "starting without" in r.getMessage()]
    assert "/readyz answers 503" in record.getMessage()
    assert app.test_client().get("/readyz").status_code == 503


def test_seed_demo_adds_mentoring_with_a_programme_ready_to_compute(runner, app):
    from cop.matching.models import MentorRequest, Mentorship, MentorshipFeedback, Programme
    from cop.notifications.models import Notification

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "4 mentorships added" in result.output
    with app.app_context():
        from cop.extensions import db

        requests = dict(db.session.execute(sa.select(MentorRequest.status, sa.func.count()).group_by(MentorRequest.status)).all())
        mentorships = dict(db.session.execute(sa.select(Mentorship.status, sa.func.count()).group_by(Mentorship.status)).all())
        assert requests["open"] == 3 and mentorships == {"active": 3, "ended": 1}
        assert db.session.scalar(sa.select(sa.func.count(MentorshipFeedback.rating))) == 2
        programme = db.session.scalar(sa.select(Programme))
        assert programme.status == "draft" and programme.name == "Spring cohort: 101 to 202"
        # The pairs were told in the site, as the services tell them; nobody was mailed.
        assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.kind == "mentoring_answer")) >= 4
    assert runner.invoke(args=["seed-demo"]).output.count("0 mentorships added") == 1


def test_seed_demo_adds_a_forum_with_work_for_the_moderators(runner, app):
    from cop.forum.models import Appeal, Category, Flag, ModerationAction, Post, Thread

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0 and "10 forum threads added" in result.output
    with app.app_context():
        from cop.extensions import db

        visibilities = set(db.session.scalars(sa.select(Category.visibility)))
        assert visibilities == {"public", "members", "agency"}
        assert db.session.scalar(sa.select(sa.func.count(Post.id)).where(Post.state == "pending")) == 1
        assert db.session.scalar(sa.select(sa.func.count(Flag.id)).where(Flag.resolved_at.is_(None))) >= 1
        assert db.session.scalar(sa.select(sa.func.count(Appeal.id)).where(Appeal.decided_at.is_(None))) == 1
        assert {"hide", "lock", "pin", "trust"} <= set(db.session.scalars(sa.select(ModerationAction.kind)))
        assert db.session.scalar(sa.select(sa.func.count(Thread.id)).where(Thread.opens_at.is_not(None))) == 5
    assert "0 forum threads added" in runner.invoke(args=["seed-demo"]).output


def test_seed_demo_shows_federation_without_the_network(runner, app, client, monkeypatch):
    """Leeds follows an agency on another instance whose case studies and event are here, and has a follower waiting
    for approval; the Ministry has a Mastodon follower, a delivery to whom failed for good; seeding contacts no
    server, leaves nothing to send and makes no key."""
    from cop import outbound
    from cop.casestudies.models import CaseStudy
    from cop.demo import DEMO_PASSWORD
    from cop.events.models import Event
    from cop.federation.models import Delivery

    def no_network(*args, **kwargs):
        raise AssertionError(f"the demo tried to reach another server: {args}")

    monkeypatch.setattr(outbound, "fetch", no_network)
    monkeypatch.setattr(outbound, "post", no_network)
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    federation = federation_rows(app)
    assert federation["federation_actor_keys"] == 0 and federation["federation_inbox"] == 0
    assert (federation["federation_remote_actors"], federation["federation_followers"], federation["federation_following"]) == (3, 2, 1)
    with app.app_context():
        from cop.extensions import db

        assert set(db.session.scalars(sa.select(Delivery.status))) == {"delivered", "failed"}, "nothing waits to be sent"
        leeds = db.session.scalar(sa.select(Agency).where(Agency.slug == "leeds-city-council"))
        assert leeds.approves_followers
        remote_case_study = db.session.scalar(sa.select(CaseStudy).where(CaseStudy.remote_uri.is_not(None)).order_by(CaseStudy.id))
        remote_event = db.session.scalar(sa.select(Event).where(Event.remote_uri.is_not(None)))
        assert remote_case_study.topics and remote_event.venue_name == "City Hall" and remote_event.kind == "meetup"
        case_study_path, event_path = f"/case-studies/{remote_case_study.slug}", f"/events/{remote_event.slug}"

    assert "cop.example.org" in client.get(case_study_path).get_data(as_text=True)
    assert client.get(event_path).status_code == 200
    found = client.get("/case-studies?q=clean+air").get_data(as_text=True).replace("<mark>", "").replace("</mark>", "")
    assert "Clean Air Zone: answering questions before they were asked" in found

    assert client.post("/auth/login", data={"email": "priya.shah@leeds.example", "password": DEMO_PASSWORD}).status_code == 302
    page = client.get("/agencies/leeds-city-council/federation").get_data(as_text=True)
    assert "ravi@social.example" in page and "bristol-city-council@cop.example.org" in page
    admin = app.test_client()
    assert admin.post("/auth/login", data={"email": "admin@cop.example", "password": DEMO_PASSWORD}).status_code == 302
    page = admin.get("/admin/federation").get_data(as_text=True)
    assert "Deliveries that failed (1)" in page and "mastodon.example could not be reached" in page
    assert "jo@mastodon.example" in admin.get("/agencies/mhclg/federation").get_data(as_text=True)
