"""The forum in the JSON API: the pages' rules, answered in the API's shape and matching the OpenAPI document."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.extensions import db as _db
from tests.api.openapi import assert_matches_openapi, document


@pytest.fixture()
def world(app, world, make_token):
    """The forum's world (tests/forum/conftest.py), with the first post of its public thread and tokens for each person."""
    with app.app_context():
        world["first_post"] = thread_first_post(world["thread"])
    world["tokens"] = {key: make_token(world[key], "write") for key in ("member", "away", "mod")}
    world["read_token"] = make_token(world["member"], "read")
    return world


def thread_first_post(thread_id: int) -> int:
    from cop.forum.models import Post

    return _db.session.scalar(sa.select(Post.id).where(Post.thread_id == thread_id, Post.number == 1))


def bearer(world, key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['tokens'][key]}"}


def test_categories_are_those_the_caller_may_see(client, world):
    anonymous = client.get("/api/v1/forum/categories")
    assert [c["slug"] for c in anonymous.get_json()["items"]] == ["getting-started"]
    assert_matches_openapi(client, anonymous, "/api/v1/forum/categories")
    member = client.get("/api/v1/forum/categories", headers=bearer(world, "member"))
    assert {c["slug"] for c in member.get_json()["items"]} == {"getting-started", "home-only"}
    assert next(c for c in member.get_json()["items"] if c["slug"] == "home-only")["agency"] == "home"
    away = client.get("/api/v1/forum/categories", headers=bearer(world, "away"))
    assert [c["slug"] for c in away.get_json()["items"]] == ["getting-started"]


def test_thread_lists_keep_private_categories_hidden(client, world):
    everything = client.get("/api/v1/forum/threads", headers=bearer(world, "away"))
    assert [t["id"] for t in everything.get_json()["items"]] == [world["thread"]]
    assert_matches_openapi(client, everything, "/api/v1/forum/threads")
    mine = client.get("/api/v1/forum/threads", headers=bearer(world, "member")).get_json()
    assert {t["id"] for t in mine["items"]} == {world["thread"], world["inside"]}
    # Asking for a private category one cannot see is the 404 of a category that does not exist.
    hidden = client.get("/api/v1/forum/threads?category=home-only", headers=bearer(world, "away"))
    assert hidden.status_code == 404
    assert_matches_openapi(client, hidden, "/api/v1/forum/threads")
    assert client.get("/api/v1/forum/threads?category=no-such").status_code == 404
    inside = client.get("/api/v1/forum/threads?category=home-only", headers=bearer(world, "member")).get_json()
    assert [t["id"] for t in inside["items"]] == [world["inside"]] and inside["total"] == 1
    bad = client.get("/api/v1/forum/threads?per_page=1000")
    assert bad.status_code == 422 and "per_page" in bad.get_json()["fields"]


def test_a_thread_with_its_posts_pages_and_hides_what_the_caller_may_not_read(app, client, world):
    from cop.accounts.models import User
    from cop.forum import moderation, services

    with app.test_request_context():
        mod = _db.session.get(User, world["mod"])
        thread = services.get_thread(mod, world["thread"])
        for n in range(3):
            services.reply(mod, thread, f"Reply number {n}.")
        hidden = services.reply(mod, thread, "This one is hidden.")
        moderation.hide(mod, hidden, "off_topic", "")
        _db.session.commit()
    page = client.get(f"/api/v1/forum/threads/{world['thread']}?per_page=2")
    assert page.status_code == 200
    assert_matches_openapi(client, page, "/api/v1/forum/threads/{thread_id}")
    body = page.get_json()
    assert body["title"] == "Welcome to the forum" and body["total"] == 4 and [p["number"] for p in body["posts"]] == [1, 2]
    assert body["posts"][0]["body_html"].startswith("<p>Say <strong>hello</strong>")
    assert body["next"].endswith("page=2") and page.headers["Link"].startswith("<")
    last = client.get(body["next"]).get_json()
    assert [p["number"] for p in last["posts"]] == [3, 4] and last["next"] is None
    # The moderator sees the hidden post, and its state.
    moderated = client.get(f"/api/v1/forum/threads/{world['thread']}?per_page=10", headers=bearer(world, "mod")).get_json()
    assert [p["state"] for p in moderated["posts"]][-1] == "hidden"
    assert client.get(f"/api/v1/forum/threads/{world['inside']}", headers=bearer(world, "away")).status_code == 404
    assert client.get(f"/api/v1/forum/threads/{world['inside']}").status_code == 404
    assert client.get("/api/v1/forum/threads/999999").status_code == 404


def test_a_new_members_thread_waits_for_a_moderator(app, client, world):
    made = client.post("/api/v1/forum/threads", headers=bearer(world, "member"),
                       json={"category": "getting-started", "title": "  How do you  measure reach? ", "body": "We post daily."})
    assert made.status_code == 201, made.get_json()
    assert_matches_openapi(client, made, "/api/v1/forum/threads", "post")
    body = made.get_json()
    assert body["title"] == "How do you measure reach?" and body["state"] == "pending" and body["post"]["state"] == "pending"
    # Nobody else sees it yet; its author does.
    assert client.get(f"/api/v1/forum/threads/{body['id']}", headers=bearer(world, "away")).status_code == 404
    assert client.get(f"/api/v1/forum/threads/{body['id']}", headers=bearer(world, "member")).status_code == 200
    assert body["id"] in {t["id"] for t in client.get("/api/v1/forum/threads", headers=bearer(world, "mod")).get_json()["items"]}


@pytest.mark.parametrize(("payload", "field", "words"), [
    ({"category": "getting-started", "title": "", "body": "Hello"}, "title", "Enter a title"),
    ({"category": "getting-started", "title": "Hi", "body": "   "}, "body", "Write something"),
    ({"category": "getting-started", "title": "Hi", "body": "x" * 50_001}, "body", "50,000 characters or fewer"),
    ({"category": "getting-started", "title": "Hi", "body": "<script>alert(1)</script>"}, "body", "cannot hold script"),
    ({"category": "getting-started", "title": "Hi"}, "body", "Missing data"),
    ({"category": "Not A Slug", "title": "Hi", "body": "Hello"}, "category", "slug"),
    ({"category": "getting-started", "title": "Hi", "body": "Hello", "pinned": True}, "pinned", "Unknown field"),
])
def test_a_bad_thread_is_refused_with_its_field_and_nothing_is_stored(app, client, world, payload, field, words):
    from cop.forum.models import Post, Thread

    with app.app_context():
        before = (_db.session.scalar(sa.select(sa.func.count(Thread.id))), _db.session.scalar(sa.select(sa.func.count(Post.id))))
    answer = client.post("/api/v1/forum/threads", headers=bearer(world, "member"), json=payload)
    assert answer.status_code == 422, answer.get_json()
    assert_matches_openapi(client, answer, "/api/v1/forum/threads", "post")
    assert words in answer.get_json()["fields"][field]
    with app.app_context():
        assert (_db.session.scalar(sa.select(sa.func.count(Thread.id))), _db.session.scalar(sa.select(sa.func.count(Post.id)))) == before


def test_posting_to_a_category_one_cannot_see_is_a_404_and_a_read_token_a_403(client, world):
    hidden = client.post("/api/v1/forum/threads", headers=bearer(world, "away"),
                         json={"category": "home-only", "title": "Let me in", "body": "Hello"})
    assert hidden.status_code == 404
    read_only = client.post("/api/v1/forum/threads", headers={"Authorization": f"Bearer {world['read_token']}"},
                            json={"category": "getting-started", "title": "Hi", "body": "Hello"})
    assert read_only.status_code == 403
    assert client.post("/api/v1/forum/threads", json={"category": "getting-started", "title": "Hi", "body": "Hello"}).status_code == 401


def test_replying_quotes_refuses_locked_threads_and_slow_mode(app, client, world):
    from cop.accounts.models import User
    from cop.forum import moderation, services
    from cop.forum.models import Post

    with app.test_request_context():
        moderation.set_trust(_db.session.get(User, world["admin"]), _db.session.get(User, world["member"]), 2)
        _db.session.commit()
    url = f"/api/v1/forum/threads/{world['thread']}/posts"
    made = client.post(url, headers=bearer(world, "member"), json={"body": "Hello from us.", "quote": world["first_post"]})
    assert made.status_code == 201, made.get_json()
    assert_matches_openapi(client, made, "/api/v1/forum/threads/{thread_id}/posts", "post")
    reply = made.get_json()
    assert reply["state"] == "visible" and reply["quoted_post"] == world["first_post"] and reply["number"] == 2
    assert reply["body"] == "@MoDerator wrote:\n\n> Say **hello**.\n\nHello from us."
    # Quoting a post of another thread names the field.
    with app.app_context():
        elsewhere = thread_first_post(world["inside"])
    wrong = client.post(url, headers=bearer(world, "member"), json={"body": "Hi", "quote": elsewhere})
    assert wrong.status_code == 422 and "quote" in wrong.get_json()["fields"]

    with app.test_request_context():
        mod = _db.session.get(User, world["mod"])
        services.get_thread(mod, world["thread"]).slow_mode_seconds = 600
        _db.session.commit()
    slow = client.post(url, headers=bearer(world, "member"), json={"body": "Again so soon."})
    assert slow.status_code == 429 and int(slow.headers["Retry-After"]) > 0
    assert_matches_openapi(client, slow, "/api/v1/forum/threads/{thread_id}/posts", "post")

    with app.test_request_context():
        mod = _db.session.get(User, world["mod"])
        thread = services.get_thread(mod, world["thread"])
        thread.slow_mode_seconds = 0
        moderation.set_locked(mod, thread, True)
        _db.session.commit()
    locked = client.post(url, headers=bearer(world, "member"), json={"body": "One more thing."})
    assert locked.status_code == 403 and "locked" in locked.get_json()["error"]["message"]
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count(Post.id)).where(Post.thread_id == world["thread"])) == 2
    assert client.post(f"/api/v1/forum/threads/{world['inside']}/posts", headers=bearer(world, "away"),
                       json={"body": "Hello"}).status_code == 404


def test_a_suspended_member_is_refused_with_the_reason(app, client, world):
    from cop.accounts.models import User
    from cop.forum import moderation

    with app.test_request_context():
        moderation.restrict(_db.session.get(User, world["mod"]), _db.session.get(User, world["member"]), "suspend",
                            "guidelines", "Personal attacks in three threads", days=3)
        _db.session.commit()
    refused = client.post(f"/api/v1/forum/threads/{world['thread']}/posts", headers=bearer(world, "member"), json={"body": "Hello"})
    assert refused.status_code == 403 and "Personal attacks" in refused.get_json()["error"]["message"]


def test_the_forum_is_in_the_openapi_document(client):
    paths = document(client)["paths"]
    assert {"/api/v1/forum/categories", "/api/v1/forum/threads", "/api/v1/forum/threads/{thread_id}",
            "/api/v1/forum/threads/{thread_id}/posts"} <= paths.keys()
    assert {"get", "post"} <= paths["/api/v1/forum/threads"].keys()


def test_a_page_past_the_last_is_a_404(client, world):
    assert client.get("/api/v1/forum/threads?page=2").status_code == 404
    assert client.get(f"/api/v1/forum/threads/{world['thread']}?page=2").status_code == 404
    assert client.get(f"/api/v1/forum/threads/{world['thread']}?page=1").status_code == 200


def test_a_kept_answer_for_visitors_is_never_given_to_a_token(client, world):
    assert [c["slug"] for c in client.get("/api/v1/forum/categories").get_json()["items"]] == ["getting-started"]
    member = client.get("/api/v1/forum/categories", headers=bearer(world, "member")).get_json()
    assert {c["slug"] for c in member["items"]} == {"getting-started", "home-only"}
    # A new post shows at once to visitors too: what is kept is kept for one version of the forum.
    client.post(f"/api/v1/forum/threads/{world['thread']}/posts", headers=bearer(world, "mod"), json={"body": "Fresh news."})
    posts = client.get(f"/api/v1/forum/threads/{world['thread']}").get_json()["posts"]
    assert posts[-1]["body"] == "Fresh news."
