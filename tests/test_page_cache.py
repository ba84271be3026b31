"""Public pages are kept for anonymous visitors, and never outlive a change to what they show."""

from __future__ import annotations

import logging

from cop import cache
from cop.extensions import db as _db
from tests.test_queries import counting_queries


def anonymous_get(app, path: str, **kwargs):
    """A GET with no cookies at all, as a visitor who never signed in; and the statements it took."""
    client = app.test_client(use_cookies=False)
    with counting_queries(app) as statements:
        response = client.get(path, **kwargs)
    return response, len(statements)


def test_an_anonymous_visitor_is_given_the_page_kept_from_the_last_one(app, make_agency):
    make_agency("leeds", name="Leeds City Council")
    first, made = anonymous_get(app, "/agencies")
    second, kept = anonymous_get(app, "/agencies")
    assert made > 0 and kept == 0
    assert first.data == second.data and b"Leeds City Council" in second.data
    assert second.headers["ETag"] == first.headers["ETag"]
    assert "Cookie" in second.headers["Vary"] and "Set-Cookie" not in second.headers
    # Headers every answer carries are added to a kept page as to any other.
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_a_change_is_shown_at_once_and_a_rollback_changes_nothing(app, make_agency):
    from cop.agencies.models import Agency

    make_agency("leeds", name="Leeds City Council")
    anonymous_get(app, "/agencies/leeds")
    with app.app_context():
        agency = _db.session.query(Agency).filter_by(slug="leeds").one()
        agency.name = "Leeds Council"
        _db.session.flush()
        _db.session.rollback()
    kept, statements = anonymous_get(app, "/agencies/leeds")
    assert statements == 0 and b"Leeds City Council" in kept.data
    with app.app_context():
        _db.session.query(Agency).filter_by(slug="leeds").one().name = "Leeds Council"
        _db.session.commit()
    fresh, statements = anonymous_get(app, "/agencies/leeds")
    assert statements > 0 and b"Leeds Council" in fresh.data and b"Leeds City Council" not in fresh.data


def test_signing_in_changes_nothing_a_page_shows_so_kept_pages_stay(app, make_user):
    from cop.accounts.models import User
    from cop.clock import utcnow

    user_id = make_user(name="Pat Person")
    anonymous_get(app, "/people")
    with app.app_context():
        _db.session.get(User, user_id).last_login_at = utcnow()
        _db.session.commit()
    assert anonymous_get(app, "/people")[1] == 0
    with app.app_context():
        _db.session.get(User, user_id).display_name = "Pat Renamed"
        _db.session.commit()
    response, statements = anonymous_get(app, "/people")
    assert statements > 0 and b"Pat Renamed" in response.data


def test_signed_in_people_always_get_a_page_made_for_them(app, client, make_agency, make_user, sign_in):
    make_agency("leeds", name="Leeds City Council")
    anonymous_get(app, "/agencies/leeds")
    sign_in(make_user(name="Sam Signed-In", agency="leeds"))
    with counting_queries(app) as statements:
        page = client.get("/agencies/leeds")
    assert statements and b"Sam Signed-In" in page.data and b"You are a member of Leeds City Council" in page.data
    assert b"You are a member" not in anonymous_get(app, "/agencies/leeds")[0].data
    # A bearer token is someone too, in the API.
    assert "Authorization" in anonymous_get(app, "/api/v1/case-studies")[0].headers["Vary"]


def test_a_page_that_touches_the_session_or_fails_is_not_kept(app, monkeypatch):
    from flask import session

    from cop.site import routes

    anonymous_get(app, "/agencies/nowhere")
    assert anonymous_get(app, "/agencies/nowhere")[1] > 0  # a 404 is made afresh each time

    original = routes._news

    def flashing():
        session["seen"] = True
        return original()

    monkeypatch.setattr(routes, "_news", flashing)
    first, _ = anonymous_get(app, "/")
    assert "Set-Cookie" in first.headers
    again, statements = anonymous_get(app, "/")
    # Neither the page nor its shared part is kept.
    assert statements > 2 and "Set-Cookie" in again.headers


def test_a_visitor_holding_the_page_is_told_it_has_not_changed(app, make_agency):
    make_agency("leeds")
    first, _ = anonymous_get(app, "/case-studies/feed.atom")
    again, statements = anonymous_get(app, "/case-studies/feed.atom", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and statements == 0


def test_a_lost_version_never_brings_back_older_pages(app, make_agency):
    from cop.agencies.models import Agency

    make_agency("leeds", name="Leeds City Council")
    anonymous_get(app, "/agencies")
    with app.app_context():
        old_version = cache.cache.get(cache.VERSION_KEY)
        _db.session.query(Agency).filter_by(slug="leeds").one().name = "Leeds Council"
        _db.session.commit()
        # The store forgets the version (evicted, or Redis restarted without its data) ...
        cache.cache.delete(cache.VERSION_KEY)
        new_version = cache.cache.get(cache.VERSION_KEY)
    assert new_version is None and old_version
    response, statements = anonymous_get(app, "/agencies")
    # ... and the next page is made afresh under a version never used before.
    assert statements > 0 and b"Leeds Council" in response.data
    with app.app_context():
        assert cache.cache.get(cache.VERSION_KEY) not in (None, old_version)


def test_pages_are_made_afresh_when_the_store_does_not_answer(app, make_agency, monkeypatch, caplog):
    make_agency("leeds", name="Leeds City Council")

    def broken(*args, **kwargs):
        raise ConnectionError("the cache is down")

    with app.app_context():
        monkeypatch.setattr(cache.cache, "get", broken)
        monkeypatch.setattr(cache.cache, "set", broken)
    caplog.set_level(logging.WARNING, logger="cop.cache")
    for _ in range(3):
        response, statements = anonymous_get(app, "/agencies")
        assert response.status_code == 200 and statements > 0 and b"Leeds City Council" in response.data
    assert len([r for r in caplog.records if r.name == "cop.cache"]) == 1


def test_the_page_cache_can_be_turned_off(tmp_path, postgres_url):
    from tests.conftest import build_app, empty_database, environ_for_tests

    database = postgres_url or f"sqlite:///{tmp_path / 'off.sqlite3'}"
    app = build_app(tmp_path, postgres_url, ENVIRON=environ_for_tests(database, COP_PAGE_CACHE_SECONDS="0"))
    try:
        assert app.config["COP_PAGE_CACHE_SECONDS"] == 0
        anonymous_get(app, "/agencies")
        assert anonymous_get(app, "/agencies")[1] > 0
    finally:
        empty_database(app)


def test_a_forum_post_makes_only_forum_pages_afresh_and_a_site_change_makes_them_afresh_too(app, make_agency, make_user):
    """Forum pages are kept under the forum's scope as well as the site's: people post all day, and each post must
    not make every case study and agency page afresh; a change to the site (a person's name) reaches forum pages."""
    from cop.accounts.models import User
    from cop.forum import services

    make_agency("leeds", name="Leeds City Council")
    admin_id = make_user(role="site_admin", name="Ada Admin")
    with app.test_request_context():
        admin = _db.session.get(User, admin_id)
        category = services.create_category(admin, services.CategoryInput(name="Getting started"))
        thread = services.create_thread(admin, category, "First steps", "Where to begin.")
        _db.session.commit()
        thread_id = thread.id
    path = f"/forum/threads/{thread_id}"
    anonymous_get(app, "/agencies")
    anonymous_get(app, path)
    with app.test_request_context():
        services.reply(_db.session.get(User, admin_id), _db.session.get(services.Thread, thread_id), "Start with the 101.")
        _db.session.commit()
    assert anonymous_get(app, "/agencies")[1] == 0, "a forum post should leave site pages kept"
    fresh, statements = anonymous_get(app, path)
    assert statements > 0 and b"Start with the 101." in fresh.data
    assert anonymous_get(app, path)[1] == 0
    with app.app_context():
        _db.session.get(User, admin_id).display_name = "Ada Lovelace"
        _db.session.commit()
    fresh, statements = anonymous_get(app, path)
    assert statements > 0 and b"Ada Lovelace" in fresh.data
