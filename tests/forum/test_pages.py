"""The forum's pages through the test client: reading, writing, flagging, moderating, appealing, the log and its export."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from cop.extensions import db as _db


def _post_ids(app, thread_id):
    from cop.forum.models import Post

    with app.app_context():
        return list(_db.session.execute(sa.select(Post.id, Post.state).where(Post.thread_id == thread_id).order_by(Post.number)))


def test_everyone_reads_public_pages_and_only_the_agency_its_private_category(app, client, sign_in, world):
    assert b"Getting started" in client.get("/forum/").data and b"Home only" not in client.get("/forum/").data
    page = client.get(f"/forum/threads/{world['thread']}")
    assert page.status_code == 200 and b"<strong>hello</strong>" in page.data
    assert client.get("/forum/getting-started/").status_code == 200
    assert client.get("/forum/home-only/").status_code == 404
    assert client.get(f"/forum/threads/{world['inside']}").status_code == 404
    sign_in(world["away"])
    assert client.get("/forum/home-only/").status_code == 404
    assert client.get(f"/forum/threads/{world['inside']}/reply").status_code == 404
    assert client.post(f"/forum/threads/{world['inside']}/reply", data={"body": "Let me in"}).status_code == 404
    sign_in(world["member"])
    assert b"Our secret plans" in client.get("/forum/home-only/").data


def test_a_new_members_post_waits_then_a_moderator_approves_it(app, client, sign_in, world):
    sign_in(world["member"])
    response = client.post(f"/forum/threads/{world['thread']}/reply", data={"body": "Hello from Hugo"}, follow_redirects=True)
    assert b"waits for a moderator" in response.data and b"Hello from Hugo" in response.data
    anonymous = app.test_client()
    assert b"Hello from Hugo" not in anonymous.get(f"/forum/threads/{world['thread']}").data
    post_id = _post_ids(app, world["thread"])[-1][0]
    sign_in(world["mod"])
    queue = client.get("/forum/moderation")
    assert queue.status_code == 200 and b"Hello from Hugo" in queue.data
    client.post(f"/forum/posts/{post_id}/moderate", data={"action": "approve", "reason": "guidelines", "next": "/forum/moderation"})
    assert b"Hello from Hugo" in anonymous.get(f"/forum/threads/{world['thread']}").data
    log = anonymous.get("/forum/moderation-log")
    assert b"Approved a post" in log.data and b"Mo Derator" not in log.data


def test_a_new_members_waiting_thread_is_listed_for_them_and_their_moderators_only(app, client, sign_in, world):
    sign_in(world["member"])
    client.post("/forum/getting-started/new", data={"title": "Is anyone on Nextdoor?", "body": "Asking for a colleague."})
    mine = client.get("/forum/getting-started/").get_data(as_text=True)
    assert "Your threads waiting for a moderator" in mine and "Is anyone on Nextdoor?" in mine
    sign_in(world["away"])
    assert "Is anyone on Nextdoor?" not in client.get("/forum/getting-started/").get_data(as_text=True)
    sign_in(world["mod"])
    theirs = client.get("/forum/getting-started/").get_data(as_text=True)
    assert "Is anyone on Nextdoor?" in theirs and "Waiting for a moderator" in theirs
    assert "Your threads waiting" not in theirs


def test_quote_edit_flag_and_watch(app, client, sign_in, world):
    from cop.forum.models import Flag, PostRevision

    first = _post_ids(app, world["thread"])[0][0]
    sign_in(world["member"])
    quoted = client.get(f"/forum/threads/{world['thread']}/reply?quote={first}")
    assert b"@MoDerator wrote:" in quoted.data and b"&gt; Say **hello**." in quoted.data
    assert client.get(f"/forum/posts/{first}/edit").status_code == 403
    assert client.post(f"/forum/posts/{first}/flag", data={"reason": "spam"}).status_code == 302
    assert client.post(f"/forum/posts/{first}/flag", data={"reason": "spam"}).status_code == 409
    assert client.post(f"/forum/posts/{first}/flag", data={}).status_code == 400
    assert client.post(f"/forum/threads/{world['thread']}/watch", data={"watch": "1"}).status_code == 302
    assert b"Stop watching this thread" in client.get(f"/forum/threads/{world['thread']}").data
    sign_in(world["mod"])
    assert client.post(f"/forum/posts/{first}/flag", data={"reason": "spam"}).status_code == 400, "nobody flags their own post"
    assert client.post(f"/forum/posts/{first}/edit", data={"body": "Say hello, please."}).status_code == 302
    with app.app_context():
        assert _db.session.scalar(sa.select(PostRevision.body)) == "Say **hello**."
        assert _db.session.scalar(sa.select(sa.func.count(Flag.id))) == 1
    assert b"Say **hello**." in client.get(f"/forum/posts/{first}/history").data


def test_bad_input_gets_a_clear_message_the_right_status_and_stores_nothing(app, client, sign_in, world):
    from cop.accounts.models import User
    from cop.forum import moderation
    from cop.forum.models import Thread

    sign_in(world["member"])
    before = len(_post_ids(app, world["thread"]))
    for body, status, words in (("", 400, b"Write something"), ("x" * 50_001, 400, b"50,000"),
                                ("<script>alert(1)</script>", 400, b"cannot hold script")):
        response = client.post(f"/forum/threads/{world['thread']}/reply", data={"body": body})
        assert response.status_code == status and words in response.data
    with app.test_request_context():
        mod = _db.session.get(User, world["mod"])
        thread = _db.session.get(Thread, world["thread"])
        moderation.set_slow_mode(mod, 300, thread=thread)
        _db.session.commit()
        moderation.set_trust(mod, _db.session.get(User, world["member"]), 1)
        _db.session.commit()
    assert client.post(f"/forum/threads/{world['thread']}/reply", data={"body": "First"}).status_code == 302
    slow = client.post(f"/forum/threads/{world['thread']}/reply", data={"body": "Second"})
    assert slow.status_code == 429 and b"Slow mode" in slow.data and slow.headers["Retry-After"]
    with app.test_request_context():
        moderation.set_locked(_db.session.get(User, world["mod"]), _db.session.get(Thread, world["thread"]), True)
        moderation.restrict(_db.session.get(User, world["mod"]), _db.session.get(User, world["member"]), "suspend", "abusive", days=2)
        _db.session.commit()
    locked = client.post(f"/forum/threads/{world['thread']}/reply", data={"body": "Third"})
    assert locked.status_code == 403
    suspended = client.post("/forum/getting-started/new", data={"title": "New", "body": "Text"})
    assert suspended.status_code == 403 and b"suspended" in suspended.data
    assert len(_post_ids(app, world["thread"])) == before + 1


def test_moderators_act_only_in_their_scope(app, client, sign_in, world, make_user):
    first = _post_ids(app, world["thread"])[0][0]
    inside_first = _post_ids(app, world["inside"])[0][0]
    home_admin = make_user("ha@home.example", name="Hana Admin", role="agency_admin", agency="home")
    sign_in(home_admin)
    assert client.get("/forum/moderation").status_code == 200
    assert client.post(f"/forum/posts/{first}/moderate", data={"action": "hide", "reason": "spam"}).status_code == 403
    assert client.post(f"/forum/posts/{inside_first}/moderate", data={"action": "hide", "reason": "spam"}).status_code == 302
    assert client.get(f"/forum/members/{world['member']}").status_code == 403
    sign_in(world["member"])
    assert client.post(f"/forum/threads/{world['thread']}/moderate", data={"action": "lock"}).status_code == 403


def test_an_appeal_from_the_page_is_decided_by_another_moderator_and_shown_in_the_log(app, client, sign_in, world):
    from cop.accounts.models import User
    from cop.forum import moderation
    from cop.forum.models import Appeal, ModerationAction

    with app.test_request_context():
        mod, member = _db.session.get(User, world["mod"]), _db.session.get(User, world["member"])
        action = moderation.restrict(mod, member, "silence", "abusive", "Cool off")
        _db.session.commit()
        action_id = action.id
    sign_in(world["member"])
    page = client.get(f"/forum/moderation-log/{action_id}")
    assert b"Send the appeal" in page.data
    assert client.post(f"/forum/moderation-log/{action_id}/appeal", data={"statement": ""}).status_code == 400
    assert client.post(f"/forum/moderation-log/{action_id}/appeal", data={"statement": "I was provoked."}).status_code == 302
    assert client.post(f"/forum/moderation-log/{action_id}/appeal", data={"statement": "Again"}).status_code == 409
    with app.app_context():
        appeal_id = _db.session.scalar(sa.select(Appeal.id))
    sign_in(world["mod"])
    assert client.post(f"/forum/appeals/{appeal_id}/decide", data={"outcome": "uphold"}).status_code == 403
    sign_in(world["mod2"])
    assert client.post(f"/forum/appeals/{appeal_id}/decide", data={"outcome": "uphold", "note": "Fair"}).status_code == 302
    with app.app_context():
        decision = _db.session.scalar(sa.select(ModerationAction).where(ModerationAction.kind == "appeal_upheld"))
        decision_id = decision.id
    sign_in(world["member"])
    assert client.post(f"/forum/moderation-log/{decision_id}/appeal", data={"statement": "More"}).status_code == 409
    assert client.post(f"/forum/threads/{world['thread']}/reply", data={"body": "Back again"}).status_code == 302


def test_the_log_hides_private_titles_names_moderators_when_set_and_exports(app, client, sign_in, world):
    from cop.accounts.models import User
    from cop.forum import moderation
    from cop.forum.models import Thread

    with app.test_request_context():
        mod = _db.session.get(User, world["mod"])
        moderation.set_locked(mod, _db.session.get(Thread, world["inside"]), True, "heated")
        moderation.set_pinned(mod, _db.session.get(Thread, world["thread"]), True)
        _db.session.commit()
    log = client.get("/forum/moderation-log").data
    assert b"Our secret plans" not in log and b"a category you cannot see" in log and b"Welcome to the forum" in log
    app.config["COP_FORUM_NAME_MODERATORS"] = True
    assert b"By Mo Derator" in app.test_client().get("/forum/moderation-log?kind=pin").data
    report = json.loads(client.get("/forum/moderation-log/export.json").data)
    assert report["by_kind"] == {"lock": 1, "pin": 1} and report["total"] == 2
    assert all(row["thread"] != "Our secret plans" for row in report["actions"])
    csv = client.get("/forum/moderation-log/export.csv")
    assert csv.headers["Content-Type"].startswith("text/csv") and b"lock,heated,1" in csv.data
    bad = client.get("/forum/moderation-log/export.json?start=2026-12-31&end=2026-01-01")
    assert bad.status_code == 400 and b"on or before" in bad.data
    assert client.get("/forum/moderation-log/export.csv?start=not-a-date").status_code == 400


def test_search_finds_what_the_reader_may_see(app, client, sign_in, world):
    assert b"Welcome to the forum" in client.get("/forum/search?q=hello").data
    assert b"Our secret plans" not in client.get("/forum/search?q=home").data
    sign_in(world["member"])
    assert b"Our secret plans" in client.get("/forum/search?q=home").data
    # The results are kept for each audience: a member of another agency asking the same is never given them.
    sign_in(world["away"])
    assert b"Our secret plans" not in client.get("/forum/search?q=home").data
    # And a post is found as soon as it is shown.
    sign_in(world["mod"])
    client.post(f"/forum/threads/{world['thread']}/reply", data={"body": "Our home page moved."})
    sign_in(world["away"])
    found = client.get("/forum/search?q=home").get_data(as_text=True)
    assert "page moved" in found, found[found.find("<main"):]


def test_site_admins_make_categories_and_see_moderation_on_admin(app, client, sign_in, world):
    sign_in(world["admin"])
    assert client.post("/admin/forum/categories", data={"name": "", "visibility": "public"}).status_code == 400
    assert client.post("/admin/forum/categories", data={"name": "Strategy", "visibility": "agency"}).status_code == 400
    assert client.post("/admin/forum/categories", data={"name": "Strategy", "visibility": "members"}).status_code == 302
    assert b"Strategy" in client.get("/forum/").data
    assert b"Strategy" not in app.test_client().get("/forum/").data
    sign_in(world["mod"])
    admin = client.get("/admin")
    assert admin.status_code == 200 and b"moderation queue" in admin.data and b"People and roles" not in admin.data
    assert b'href="/forum/moderation"' in client.get("/forum/").data
