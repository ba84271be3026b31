"""Who may use each route: every rule, method and role in app.url_map against a declared policy.

A route without a row in POLICY fails here, so nobody adds a page without deciding who may see it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, url_for

from cop import create_app
from cop.extensions import db as _db
from tests.conftest import environ_for_tests

#: Who may use a route:
#: public — everyone, signed in or not;
#: member — anyone signed in;
#: agency_admin — admins of the agency in the URL, and site admins;
#: site_admin — site admins only;
#: owner — only the person the thing in the URL belongs to ("member" in the world); anyone else finds nothing there;
#: agency_member — anyone who belongs to an agency (case studies are written for one);
#: case_study_editor — the case study's authors ("member" in the world) and its agency's reviewers;
#: event_organiser — the event's organisers ("member" in the world), its agency's admins and site admins;
#: session_host — the host of a session on a board ("member" in the world), and no one else;
#: request_party — a mentoring request's newcomer ("member"), the mentor it is asked of ("other_agency_admin") and
#:   site admins; anyone else finds nothing there; request_newcomer — its newcomer only (the others who may read
#:   it are refused); request_mentor — the mentor asked only;
#: mentorship_pair — the mentor ("agency_admin") and the newcomer ("member") of a mentorship; nobody else, site
#:   admins included, finds it;
#: programme_runner — agency admins (of any agency) and site admins;
#: forum_moderator — moderators of the forum category in the URL (a public one: site moderators and site admins);
#: moderation_queue — anyone who moderates somewhere: site moderators, and agency admins (their agency's private category);
#: post_editor — a forum post's author ("member" in the world) and its category's moderators;
#: appeal_target — the member a moderation action touched ("member"); anyone else is refused;
#: token — API routes that need a personal token: a signed-in browser is no one to them (401 for every role).
#: signed_request — server-to-server routes (federation inboxes) that need an HTTP Signature: 401 for every role.
#: tests/api/test_token_scopes.py checks every API route by token scope (none, read, write) as well.
POLICY: dict[tuple[str, str], str] = {
    # site
    ("site.home", "GET"): "public",
    ("site.accessibility", "GET"): "public",
    ("site.health", "GET"): "public",
    ("site.livez", "GET"): "public",
    ("site.readyz", "GET"): "public",
    ("site.favicon", "GET"): "public",
    # Site admins administer the site; moderators (agency admins for their private category) reach moderation here.
    ("site.admin", "GET"): "moderation_queue",
    # sign-up, sign-in and passwords
    ("accounts.register", "GET"): "public",
    ("accounts.register", "POST"): "public",
    ("accounts.verify_email", "GET"): "public",
    ("accounts.resend_verification", "GET"): "public",
    ("accounts.resend_verification", "POST"): "public",
    ("accounts.login", "GET"): "public",
    ("accounts.login", "POST"): "public",
    ("accounts.logout", "POST"): "public",
    ("accounts.request_reset", "GET"): "public",
    ("accounts.request_reset", "POST"): "public",
    ("accounts.reset_password", "GET"): "public",
    ("accounts.reset_password", "POST"): "public",
    ("accounts.change_password", "GET"): "member",
    ("accounts.change_password", "POST"): "member",
    # profiles and people
    ("accounts.edit_profile", "GET"): "member",
    ("accounts.edit_profile", "POST"): "member",
    ("accounts.people", "GET"): "public",
    ("accounts.person", "GET"): "public",
    # agencies
    ("agencies.index", "GET"): "public",
    ("agencies.agency", "GET"): "public",
    ("agencies.new_agency", "GET"): "site_admin",
    ("agencies.new_agency", "POST"): "site_admin",
    ("agencies.edit_agency", "GET"): "agency_admin",
    ("agencies.edit_agency", "POST"): "agency_admin",
    ("agencies.join_agency", "POST"): "member",
    ("agencies.leave_agency", "POST"): "member",
    ("agencies.agency_requests", "GET"): "agency_admin",
    ("agencies.decide_request", "POST"): "agency_admin",
    ("agencies.set_member_admin", "POST"): "agency_admin",
    ("agencies.remove_member", "POST"): "agency_admin",
    # site admin
    ("accounts.admin_users", "GET"): "site_admin",
    ("accounts.admin_set_role", "POST"): "site_admin",
    ("text.admin_topics", "GET"): "site_admin",
    ("text.admin_topics", "POST"): "site_admin",
    ("text.admin_topic", "GET"): "site_admin",
    ("text.admin_topic", "POST"): "site_admin",
    ("text.retire_topic", "POST"): "site_admin",
    ("text.restore_topic", "POST"): "site_admin",
    ("mail.outbox", "GET"): "site_admin",
    # notifications: each person's own
    ("notifications.index", "GET"): "member",
    ("notifications.open_notice", "GET"): "owner",
    ("notifications.mark_all_read", "POST"): "member",
    ("notifications.settings", "GET"): "member",
    ("notifications.settings", "POST"): "member",
    ("mail.outbox_message", "GET"): "site_admin",
    # case studies ("home" in the world is published, written by "member", with two revisions)
    ("casestudies.index", "GET"): "public",
    ("casestudies.feed", "GET"): "public",
    ("casestudies.case_study", "GET"): "public",
    ("casestudies.print_view", "GET"): "public",
    ("casestudies.revisions_list", "GET"): "public",
    ("casestudies.revision", "GET"): "public",
    ("casestudies.changes", "GET"): "public",
    ("casestudies.yours", "GET"): "member",
    ("casestudies.new", "GET"): "agency_member",
    ("casestudies.new", "POST"): "agency_member",
    ("casestudies.edit", "GET"): "case_study_editor",
    ("casestudies.edit", "POST"): "case_study_editor",
    ("casestudies.submit", "POST"): "case_study_editor",
    ("casestudies.delete", "POST"): "case_study_editor",
    ("casestudies.publish", "POST"): "agency_admin",
    ("casestudies.return_to_authors", "POST"): "agency_admin",
    ("casestudies.archive", "POST"): "agency_admin",
    ("casestudies.restore", "POST"): "agency_admin",
    # events and calendars
    ("events.index", "GET"): "public",
    ("events.feed", "GET"): "public",
    ("events.event", "GET"): "public",
    ("events.event_feed", "GET"): "public",
    ("events.personal_feed", "GET"): "public",
    ("events.new", "GET"): "agency_member",
    ("events.new", "POST"): "agency_member",
    ("events.edit", "GET"): "event_organiser",
    ("events.edit", "POST"): "event_organiser",
    ("events.status", "GET"): "event_organiser",
    ("events.status", "POST"): "event_organiser",
    ("events.attendees", "GET"): "event_organiser",
    ("events.attendees_csv", "GET"): "event_organiser",
    ("events.add_slots", "POST"): "event_organiser",
    ("events.occurrence", "GET"): "event_organiser",
    ("events.occurrence", "POST"): "event_organiser",
    ("events.restore_occurrence", "POST"): "event_organiser",
    ("board.board", "GET"): "public",
    ("board.pitch", "POST"): "member",
    ("board.interest", "POST"): "member",
    ("board.add_room", "POST"): "event_organiser",
    ("board.add_time", "POST"): "event_organiser",
    ("board.schedule", "POST"): "event_organiser",
    ("board.place", "POST"): "event_organiser",
    ("board.notes", "POST"): "session_host",
    ("board.case_study", "POST"): "session_host",
    ("events.register", "POST"): "member",
    ("events.unregister", "POST"): "member",
    ("events.book_slot", "POST"): "member",
    ("events.cancel_slot", "POST"): "member",
    ("events.imports", "GET"): "agency_admin",
    ("events.imports", "POST"): "agency_admin",
    ("events.refresh_import", "POST"): "agency_admin",
    ("events.remove_import", "POST"): "agency_admin",
    ("events.calendar", "GET"): "member",
    ("events.calendar", "POST"): "member",
    # mentoring
    ("matching.index", "GET"): "public",
    ("matching.ask_for_mentor", "GET"): "member",
    ("matching.ask_for_mentor", "POST"): "member",
    ("matching.request", "GET"): "request_party",
    ("matching.edit_request", "GET"): "request_newcomer",
    ("matching.edit_request", "POST"): "request_newcomer",
    ("matching.ask", "POST"): "request_newcomer",
    ("matching.withdraw", "POST"): "request_newcomer",
    ("matching.accept", "POST"): "request_mentor",
    ("matching.decline", "POST"): "request_mentor",
    ("matching.mentorship", "GET"): "mentorship_pair",
    ("matching.set_goals", "POST"): "mentorship_pair",
    ("matching.add_note", "POST"): "mentorship_pair",
    ("matching.end", "POST"): "mentorship_pair",
    ("matching.feedback", "POST"): "mentorship_pair",
    ("matching.settings", "GET"): "member",
    ("matching.settings", "POST"): "member",
    ("matching.programmes_index", "GET"): "programme_runner",
    ("matching.new_programme", "GET"): "programme_runner",
    ("matching.new_programme", "POST"): "programme_runner",
    ("matching.programme", "GET"): "agency_admin",
    ("matching.programme_people", "GET"): "agency_admin",
    ("matching.programme_people", "POST"): "agency_admin",
    ("matching.compute_programme", "POST"): "agency_admin",
    ("matching.adjust_match", "POST"): "agency_admin",
    ("matching.publish_programme", "POST"): "agency_admin",
    # API tokens, and the JSON API
    ("api.tokens", "GET"): "member",
    ("api.tokens", "POST"): "member",
    ("api.revoke_token", "POST"): "owner",
    ("api.docs", "GET"): "public",
    ("api-docs.openapi_json", "GET"): "public",
    ("account_api.me", "GET"): "token",
    ("casestudies_api.list_case_studies", "GET"): "public",
    ("casestudies_api.get_case_study", "GET"): "public",
    ("casestudies_api.create_case_study", "POST"): "token",
    ("events_api.list_events", "GET"): "public",
    ("events_api.get_event", "GET"): "public",
    ("events_api.create_event", "POST"): "token",
    ("events_api.slots", "GET"): "token",
    ("forum_api.list_categories", "GET"): "public",
    ("forum_api.list_threads", "GET"): "public",
    ("forum_api.create_thread", "POST"): "token",
    ("forum_api.get_thread", "GET"): "public",
    ("forum_api.reply", "POST"): "token",
    ("mentoring_api.suggestions", "GET"): "token",
    ("mentoring_api.create_request", "POST"): "token",
    ("mentoring_api.get_request", "GET"): "token",
    ("mentoring_api.ask", "POST"): "token",
    ("mentoring_api.accept", "POST"): "token",
    ("mentoring_api.decline", "POST"): "token",
    # forum ("home" is a public category; its thread was started by "member", whose trust a moderator set and appealed)
    ("forum.index", "GET"): "public",
    ("forum.search", "GET"): "public",
    ("forum.category", "GET"): "public",
    ("forum.thread", "GET"): "public",
    ("forum.post", "GET"): "public",
    ("forum.new_thread", "GET"): "member",
    ("forum.new_thread", "POST"): "member",
    ("forum.watch_category", "POST"): "member",
    ("forum.reply", "GET"): "member",
    ("forum.reply", "POST"): "member",
    ("forum.watch_thread", "POST"): "member",
    ("forum.edit_post", "GET"): "post_editor",
    ("forum.edit_post", "POST"): "post_editor",
    ("forum.flag_post", "GET"): "member",
    ("forum.flag_post", "POST"): "member",
    ("forum.digest_settings", "GET"): "member",
    ("forum.digest_settings", "POST"): "member",
    ("forum.admin_categories", "GET"): "site_admin",
    ("forum.admin_categories", "POST"): "site_admin",
    ("forum.admin_category", "GET"): "site_admin",
    ("forum.admin_category", "POST"): "site_admin",
    ("forum.queue", "GET"): "moderation_queue",
    ("forum.moderate_post", "POST"): "forum_moderator",
    ("forum.post_history", "GET"): "forum_moderator",
    ("forum.moderate_thread", "POST"): "forum_moderator",
    ("forum.category_slow_mode", "POST"): "forum_moderator",
    ("forum.schedule_topics", "GET"): "forum_moderator",
    ("forum.schedule_topics", "POST"): "forum_moderator",
    ("forum.member", "GET"): "forum_moderator",
    ("forum.restrict_member", "POST"): "forum_moderator",
    ("forum.lift_member", "POST"): "forum_moderator",
    ("forum.set_member_trust", "POST"): "forum_moderator",
    ("forum.watched_words", "GET"): "forum_moderator",
    ("forum.watched_words", "POST"): "forum_moderator",
    ("forum.remove_watched_word", "POST"): "forum_moderator",
    ("forum.moderation_log", "GET"): "public",
    ("forum.log_entry", "GET"): "public",
    ("forum.log_export_csv", "GET"): "public",
    ("forum.log_export_json", "GET"): "public",
    ("forum.appeal", "POST"): "appeal_target",
    # The appeal is against the moderator's own action: another must decide it, and only site moderators decide
    # appeals on members' standing; so of the roles here, only the site admin may.
    ("forum.decide_appeal", "POST"): "site_admin",
    # federation: inbox (anyone may post, but only a request signed by a remote actor is read)
    ("federation.shared_inbox", "POST"): "signed_request",
    ("federation.instance_inbox", "POST"): "signed_request",
    ("federation.agency_inbox", "POST"): "signed_request",
    # federation: sending, following out, and their pages (everyone sees an agency's handle; its admins the rest)
    ("federation.agency_federation", "GET"): "public",
    ("federation.follow_remote", "POST"): "agency_admin",
    ("federation.unfollow_remote", "POST"): "agency_admin",
    ("federation.decide_follower", "POST"): "agency_admin",
    ("federation.follower_settings", "POST"): "agency_admin",
    ("federation.admin", "GET"): "site_admin",
    ("federation.retry_delivery", "POST"): "site_admin",
    ("federation.admin_blocks", "GET"): "site_admin",
    ("federation.admin_blocks", "POST"): "site_admin",
    ("federation.unblock", "POST"): "site_admin",
    ("federation.admin_inbox", "GET"): "site_admin",
    ("federation_api.list_following", "GET"): "token",
    ("federation_api.follow", "POST"): "token",
    # federation: documents and discovery (everything another server reads is public)
    ("federation.webfinger", "GET"): "public",
    ("federation.nodeinfo_links", "GET"): "public",
    ("federation.nodeinfo_2_1", "GET"): "public",
    ("federation.nodeinfo_2_0", "GET"): "public",
    ("federation.instance_actor", "GET"): "public",
    ("federation.instance_outbox", "GET"): "public",
    ("federation.outbox", "GET"): "public",
    ("federation.followers", "GET"): "public",
    ("federation.following", "GET"): "public",
    ("federation.activity", "GET"): "public",
}

#: The people a test can be: "agency_admin" and "member" are members of agency "home", the one in every URL;
#: the "other_agency_" pair are members of "away". An admin of another agency is here because a check that forgot
#: *which* agency someone administers would let them through, and only that role can show it.
ROLES = ("anonymous", "member", "other_agency_member", "agency_admin", "other_agency_admin", "moderator", "site_admin")

#: What each role should meet at each level of the policy.
EXPECTED: dict[str, dict[str, str]] = {
    "public": dict.fromkeys(ROLES, "allowed"),
    "member": {"anonymous": "login", **dict.fromkeys(ROLES[1:], "allowed")},
    "agency_admin": {
        "anonymous": "login",
        "member": "denied",
        "other_agency_member": "denied",
        "agency_admin": "allowed",
        "other_agency_admin": "denied",
        "moderator": "denied",
        "site_admin": "allowed",
    },
    "site_admin": {"anonymous": "login", **dict.fromkeys(ROLES[1:], "denied"), "site_admin": "allowed"},
    "owner": {"anonymous": "login", **dict.fromkeys(ROLES[1:], "missing"), "member": "allowed"},
    "token": dict.fromkeys(ROLES, "unauthorised"),
    "signed_request": dict.fromkeys(ROLES, "unauthorised"),
    "agency_member": {"anonymous": "login", **dict.fromkeys(ROLES[1:], "allowed"), "moderator": "denied", "site_admin": "denied"},
    "case_study_editor": {
        "anonymous": "login",
        "member": "allowed",
        "other_agency_member": "denied",
        "agency_admin": "allowed",
        "other_agency_admin": "denied",
        "moderator": "denied",
        "site_admin": "allowed",
    },
}
EXPECTED["event_organiser"] = EXPECTED["case_study_editor"]
_party = {"anonymous": "login", **dict.fromkeys(ROLES[1:], "missing")}
EXPECTED["request_party"] = {**_party, "member": "allowed", "other_agency_admin": "allowed", "site_admin": "allowed"}
EXPECTED["request_newcomer"] = {**_party, "member": "allowed", "other_agency_admin": "denied", "site_admin": "denied"}
EXPECTED["request_mentor"] = {**_party, "member": "denied", "other_agency_admin": "allowed", "site_admin": "denied"}
EXPECTED["mentorship_pair"] = {**_party, "member": "allowed", "agency_admin": "allowed"}
EXPECTED["programme_runner"] = {
    "anonymous": "login", **dict.fromkeys(ROLES[1:], "denied"), "agency_admin": "allowed", "other_agency_admin": "allowed",
    "site_admin": "allowed",
}
EXPECTED["forum_moderator"] = {"anonymous": "login", **dict.fromkeys(ROLES[1:], "denied"), "moderator": "allowed", "site_admin": "allowed"}
EXPECTED["moderation_queue"] = {**EXPECTED["programme_runner"], "moderator": "allowed"}
EXPECTED["post_editor"] = {**EXPECTED["forum_moderator"], "member": "allowed"}
EXPECTED["appeal_target"] = {"anonymous": "login", **dict.fromkeys(ROLES[1:], "denied"), "member": "allowed"}
EXPECTED["session_host"] = {"anonymous": "login", **dict.fromkeys(ROLES[1:], "denied"), "member": "allowed"}

#: Methods the policy speaks for; HEAD and OPTIONS follow GET and Flask.
METHODS = ("GET", "POST")


def routes_of(app: Flask) -> list[tuple[str, str]]:
    """Every (endpoint, method) the app serves, static files aside."""
    return sorted(
        {
            (rule.endpoint, method)
            for rule in app.url_map.iter_rules()
            if rule.endpoint != "static"
            for method in METHODS
            if method in (rule.methods or ())
        }
    )


def _routes_at_collection() -> list[tuple[str, str]]:
    """Read url_map from a throwaway app, so each combination can be its own test."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"ENVIRON": environ_for_tests("sqlite://"), "INSTANCE_PATH": instance})
        routes = routes_of(app)
        with app.app_context():
            _db.engine.dispose()
    return routes


ROUTES = _routes_at_collection()


@dataclass
class World:
    """The ids of everything a URL can point at, and of the person behind each role."""

    people: dict[str, int]
    request_id: int
    message_id: int
    topic_id: int
    notice_id: int
    token_id: int
    slot_id: int
    calendar_secret: str
    event_id: int
    import_id: int
    session_id: int
    mentor_request_id: int
    mentorship_id: int
    programme_id: int
    forum: dict[str, int]


#: One app for the whole matrix; every row lays the world down afresh (tests.conftest.world_once).
pytestmark = pytest.mark.one_app


@pytest.fixture()
def world(app, make_agency, make_user, world_once) -> World:
    """The world of build_world, in this test's database."""
    return world_once(lambda: build_world(app, make_agency, make_user))


def build_world(app, make_agency, make_user) -> World:
    """Agency "home" with an admin and a member, "away" with an admin and a member, a moderator, a site admin,
    a pending request from away's member to join home, one outbox message, and the objects every route needs."""
    from cop.agencies.models import JoinRequest
    from cop.mail.models import OutboxMessage
    from cop.notifications.models import Notification
    from cop.text.models import Topic

    home_id = make_agency("home", domains=["home.example"])
    make_agency("away", domains=["away.example"])
    people = {
        "agency_admin": make_user("admin@home.example", name="Hana Admin", role="agency_admin", agency="home"),
        "member": make_user("member@home.example", name="Hugo Member", agency="home"),
        "other_agency_member": make_user("member@away.example", name="Ada Away", agency="away"),
        "other_agency_admin": make_user("admin@away.example", name="Abe Away", role="agency_admin", agency="away"),
        "moderator": make_user("moderator@example.org", name="Mo Derator", role="moderator"),
        "site_admin": make_user("admin@example.org", name="Sid Admin", role="site_admin"),
    }
    with app.app_context():
        request = JoinRequest(user_id=people["other_agency_member"], agency_id=home_id, message="Let me in")
        message = OutboxMessage(recipient="member@home.example", subject="Hello", body="A message.")
        _db.session.add_all([request, message])
        _db.session.commit()
        topic_id = _db.session.scalar(sa.select(Topic.id).order_by(Topic.id).limit(1))
        notice = Notification(user_id=people["member"], kind="join_decision", title="Hello", link="/")
        _db.session.add(notice)
        _db.session.commit()
        _published_case_study(people)
        _public_activity(home_id)
        from cop.accounts.models import User
        from cop.api.services import create_token

        token, _secret = create_token(_db.session.get(User, people["member"]), "Script", "read")
        _db.session.commit()
        slot_id, calendar_secret, event_id = _surgery(people)
        import_id = _calendar_import(people)
        session_id = _session_board(people)
        mentor_request_id, mentorship_id, programme_id = _mentoring(people)
        forum = _forum(people)
        return World(forum=forum, mentor_request_id=mentor_request_id, mentorship_id=mentorship_id, programme_id=programme_id, people=people, request_id=request.id, message_id=message.id, topic_id=topic_id, notice_id=notice.id,
                     token_id=token.id, slot_id=slot_id, calendar_secret=calendar_secret, event_id=event_id, import_id=import_id,
                     session_id=session_id)


#: The id (a UUID) of home's public activity, which /activities/<uuid> serves.
ACTIVITY_ID = "7d3c1f1e-0b5a-4f0e-9a53-2f6a1e1c0f11"


def _public_activity(agency_id: int) -> None:
    """A Create that agency "home" sent, in its outbox."""
    from cop.federation.models import Activity

    uri = f"http://cop.test/activities/{ACTIVITY_ID}"
    payload = {"id": uri, "type": "Create", "actor": "http://cop.test/agencies/home", "object": "http://cop.test/case-studies/home"}
    _db.session.add(Activity(uri=uri, agency_id=agency_id, activity_type="Create", object_uri=payload["object"], payload=payload))
    _db.session.commit()


def _mentoring(people: dict[str, int]) -> tuple[int, int, int]:
    """Home's member asked away's admin to mentor them (waiting for the answer), is mentored by home's admin, and is
    a newcomer in home's programme."""
    from cop.accounts.models import User
    from cop.matching import programmes, services
    from cop.text.models import Topic

    member, home_admin, away_admin = (_db.session.get(User, people[r]) for r in ("member", "agency_admin", "other_agency_admin"))
    for mentor in (home_admin, away_admin):
        mentor.level, mentor.open_to_mentoring, mentor.mentoring_capacity = "303", True, 3
    _db.session.flush()
    skill = _db.session.scalar(sa.select(Topic).order_by(Topic.id).limit(1))
    first = services.create_request(member, services.RequestInput(goals="Learn video.", skill_ids=[skill.id]), mentor=home_admin)
    mentorship = services.accept(home_admin, first)
    request = services.create_request(member, services.RequestInput(goals="Learn more.", skill_ids=[skill.id]), mentor=away_admin)
    programme = programmes.create_programme(home_admin, "Home cohort")
    programmes.set_members(home_admin, programme, [member.id], [away_admin.id])
    _db.session.commit()
    return request.id, mentorship.id, programme.id


def _forum(people: dict[str, int]) -> dict[str, int]:
    """Category "home" (public) with home's member's thread, approved by the moderator; the moderator set the member's
    trust, and the member appealed that; a watched word."""
    from cop.accounts.models import User
    from cop.forum import moderation, services

    member, moderator, admin = (_db.session.get(User, people[r]) for r in ("member", "moderator", "site_admin"))
    category = services.create_category(admin, services.CategoryInput(name="Home"))
    thread = services.create_thread(member, category, "Hello", "Our first question.")
    post = _db.session.scalar(sa.select(moderation.Post).where(moderation.Post.thread_id == thread.id))
    moderation.approve(moderator, post)
    action = moderation.set_trust(moderator, member, 1, "Known to us")
    appeal = moderation.appeal(member, action, "I would like trust 2.")
    word = moderation.add_watched_word(moderator, "spamword", "block")
    _db.session.commit()
    return {"thread_id": thread.id, "post_id": post.id, "action_id": action.id, "appeal_id": appeal.id, "word_id": word.id}


def _session_board(people: dict[str, int]) -> int:
    """Event "home-camp": a BarCamp organised by home's member, with a session they pitched."""
    from datetime import datetime

    from cop.accounts.models import User
    from cop.events import board, services

    organiser = _db.session.get(User, people["member"])
    start = (datetime.now() + timedelta(days=10)).replace(hour=9, minute=0, second=0, microsecond=0)
    camp = services.create_event(organiser, services.EventInput(
        title="Home camp", kind="barcamp", time_zone="Europe/London", starts=start, ends=start + timedelta(hours=8),
        venue_name="Home hall",
    ))
    session = board.pitch(organiser, camp, "Open data for beginners", "")
    _db.session.commit()
    return session.id


def _calendar_import(people: dict[str, int]) -> int:
    """Home imports another calendar (never fetched here: no worker runs in these tests' requests)."""
    from cop.accounts.models import User
    from cop.events import imports

    admin = _db.session.get(User, people["agency_admin"])
    subscription = imports.add_import(admin, admin.agency, "https://calendar.example/home.ics")
    _db.session.commit()
    return subscription.id


def _surgery(people: dict[str, int]) -> tuple[int, str, int]:
    """Event "home": a monthly surgery organised by home's member, with a slot; and the member's calendar secret."""
    from datetime import datetime, timedelta

    from cop.accounts.models import User
    from cop.events import calendars, registrations, services

    organiser = _db.session.get(User, people["member"])
    start = (datetime.now() + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
    event = services.create_event(organiser, services.EventInput(
        title="Home", kind="surgery", time_zone="Europe/London", starts=start, ends=start + timedelta(hours=2),
        venue_name="Home library", repeat="monthly", repeat_given=True,
    ))
    slot = registrations.add_slots(organiser, event, event.starts_at, 20, 1)[0]
    secret = calendars.reset_calendar_token(organiser)
    _db.session.commit()
    return slot.id, secret, event.id


def _published_case_study(people: dict[str, int]) -> None:
    """Case study "home": written by home's member, published by its admin, then edited (two revisions)."""
    from cop.accounts.models import User
    from cop.casestudies import services

    author, admin = _db.session.get(User, people["member"]), _db.session.get(User, people["agency_admin"])
    data = services.CaseStudyInput(
        title="Home", summary="What we did.", service_area="libraries", modes=["broadcast"], level="202",
        sections={"challenge": "A challenge.", "approach": "An approach.", "results": "Results.", "lessons": "Lessons."},
    )
    case_study = services.create_case_study(author, data, submit=True)
    services.publish_case_study(admin, case_study)
    services.update_case_study(author, case_study, services.CaseStudyInput(summary="What we did, and why."))
    _db.session.commit()


def url_arguments(world: World) -> dict[str, object]:
    """A real value for every URL argument a rule may have."""
    return {
        "slug": "home",
        "user_id": world.people["member"],
        "request_id": world.request_id,
        "message_id": world.message_id,
        "topic_id": world.topic_id,
        "notice_id": world.notice_id,
        "number": 1,
        "token_id": world.token_id,
        "slot_id": world.slot_id,
        "secret": world.calendar_secret,
        "event_id": world.event_id,
        "import_id": world.import_id,
        # The surgery's first date, a week from today (see _surgery).
        "day": (date.today() + timedelta(days=7)).isoformat(),
        "session_id": world.session_id,
        "mentorship_id": world.mentorship_id,
        "programme_id": world.programme_id,
        "newcomer_id": world.people["member"],
        **world.forum,
        # Any string: a bad token gets a clear 400 page, which is the page anyone may see.
        "token": "not-a-real-token",
        "activity_id": ACTIVITY_ID,
    }


def build_url(app: Flask, endpoint: str, method: str, world: World) -> str:
    """The URL of an endpoint, filled from the world; fails loudly on an argument it cannot fill."""
    rules = [rule for rule in app.url_map.iter_rules(endpoint) if method in (rule.methods or ())]
    if len(rules) != 1:
        pytest.fail(f"{endpoint} has {len(rules)} rules for {method}; this test builds one URL per endpoint, extend it")
    known = url_arguments(world)
    if endpoint.startswith("board."):
        # The session board is a BarCamp's: "home" is a surgery, which has none.
        known["slug"] = "home-camp"
    if endpoint.startswith(("matching.", "mentoring_api.")):
        known["request_id"] = world.mentor_request_id
    unknown = sorted(rules[0].arguments - known.keys())
    if unknown:
        pytest.fail(f"{rules[0].rule} has arguments {unknown} that url_arguments() cannot fill: add real values for them")
    with app.test_request_context():
        return url_for(endpoint, **{name: known[name] for name in rules[0].arguments})


def classify(response, login_path: str) -> str:
    """login, denied, missing or allowed; a server error fails the test at once."""
    if response.status_code >= 500:
        pytest.fail(f"{response.status_code} from {response.request.method} {response.request.path}:\n{response.get_data(as_text=True)}")
    if response.status_code in (302, 303) and urlsplit(response.headers.get("Location", "")).path == login_path:
        return "login"
    if response.status_code == 401:
        return "unauthorised"
    if response.status_code == 403:
        return "denied"
    if response.status_code == 404:
        return "missing"
    # 200, other redirects, and 400/409 refusals of an empty form all mean the route let the person in.
    return "allowed"


@pytest.mark.parametrize(
    ("endpoint", "method", "role"),
    [(endpoint, method, role) for endpoint, method in ROUTES for role in ROLES],
    ids=[f"{endpoint}-{method}-{role}" for endpoint, method in ROUTES for role in ROLES],
)
def test_route_obeys_policy(app, client, world, sign_in, endpoint, method, role):
    level = POLICY.get((endpoint, method))
    if level is None:
        pytest.fail(f"{method} {endpoint} has no row in POLICY: decide who may use it and add one")
    url = build_url(app, endpoint, method, world)
    if role != "anonymous":
        sign_in(world.people[role])
    with app.test_request_context():
        login_path = url_for("accounts.login")

    # An empty body: CSRF is off in the test app, so a POST reaches the route's own checks.
    response = client.open(url, method=method, data={} if method == "POST" else None)

    outcome = classify(response, login_path)
    expected = EXPECTED[level][role]
    if outcome == "missing" and expected != "missing":
        pytest.fail(f"{method} {url} answered 404 for {role}: every URL here is built from real objects")
    assert outcome == expected, (
        f"{method} {url} is {level!r} in POLICY, so {role} should meet {expected!r}, "
        f"but got {outcome!r} (status {response.status_code}, Location {response.headers.get('Location')!r})"
    )


def test_every_route_has_exactly_one_policy_row(app):
    served = set(routes_of(app))
    declared = set(POLICY)
    missing = sorted(served - declared)
    stale = sorted(declared - served)
    assert not missing and not stale, (
        f"routes without a row in POLICY: {missing}; rows in POLICY for routes that no longer exist: {stale}"
    )
    assert set(POLICY.values()) <= set(EXPECTED), "POLICY names a level EXPECTED does not know"


def test_world_roles_are_who_they_claim_to_be(app, world):
    """The matrix means nothing if the people in the world do not hold the roles they are named for."""
    from cop.accounts.models import User
    from cop.agencies.models import Agency

    with app.app_context():
        home = _db.session.scalar(sa.select(Agency).where(Agency.slug == "home"))
        users = {role: _db.session.get(User, user_id) for role, user_id in world.people.items()}
        assert users["agency_admin"].role == "agency_admin" and users["agency_admin"].agency_id == home.id
        assert users["member"].role == "member" and users["member"].agency_id == home.id
        assert users["other_agency_member"].role == "member" and users["other_agency_member"].agency.slug == "away"
        assert users["other_agency_admin"].role == "agency_admin" and users["other_agency_admin"].agency.slug == "away"
        assert users["moderator"].role == "moderator"
        assert users["site_admin"].role == "site_admin"
