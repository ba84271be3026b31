"""The app as a whole: configuration, storage settings, security headers, error pages."""

import pytest
import sqlalchemy as sa

from cop import create_app
from cop.config import ConfigError, database_url, load_config
from cop.extensions import db as _db
from cop.urls import is_safe_next


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    with pytest.raises(ConfigError, match="COP_SECRET_KEY"):
        load_config(str(tmp_path), {"COP_ENV": "production"})
    with pytest.raises(ConfigError, match="COP_SECRET_KEY"):
        load_config(str(tmp_path), {})  # production is the default


def test_production_refuses_to_start_without_a_contact_address(tmp_path):
    with pytest.raises(ConfigError, match="COP_CONTACT_EMAIL"):
        load_config(str(tmp_path), {"COP_ENV": "production", "COP_SECRET_KEY": "s" * 40})
    with pytest.raises(ConfigError, match="COP_CONTACT_EMAIL must be an email address"):
        load_config(str(tmp_path), {"COP_ENV": "production", "COP_SECRET_KEY": "s" * 40, "COP_CONTACT_EMAIL": "nobody"})
    config = load_config(str(tmp_path), {"COP_ENV": "production", "COP_SECRET_KEY": "s" * 40, "COP_CONTACT_EMAIL": "team@cop.example"})
    assert config["COP_CONTACT_EMAIL"] == "team@cop.example"


def test_accessibility_statement_names_the_configured_contact(app, client):
    app.config["COP_CONTACT_EMAIL"] = "access@council.example"
    page = client.get("/accessibility").get_data(as_text=True)
    assert 'href="mailto:access@council.example"' in page
    assert "cop.invalid" not in page


def test_matching_weights_come_from_the_environment_and_nonsense_is_refused(tmp_path):
    base = {"COP_ENV": "development"}
    assert load_config(str(tmp_path), base)["COP_MATCHING_WEIGHTS"] == {}
    config = load_config(str(tmp_path), {**base, "COP_MATCHING_WEIGHTS": "agency=0.2, time_zone=0"})
    assert config["COP_MATCHING_WEIGHTS"] == {"agency": 0.2, "time_zone": 0.0}
    for raw, words in (("colour=1", "may set skills"), ("agency=lots", "agency must be a number"),
                       ("format=-1", "from 0 to 10"), ("country=nan", "from 0 to 10"),
                       ("skills=0,interests=0,text=0", "cannot all be 0")):
        with pytest.raises(ConfigError, match=words):
            load_config(str(tmp_path), {**base, "COP_MATCHING_WEIGHTS": raw})


def test_unknown_environment_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="COP_ENV"):
        load_config(str(tmp_path), {"COP_ENV": "staging", "COP_SECRET_KEY": "x"})


def test_development_keeps_one_secret_in_the_instance_folder(tmp_path):
    first = load_config(str(tmp_path), {"COP_ENV": "development"})["SECRET_KEY"]
    second = load_config(str(tmp_path), {"COP_ENV": "development"})["SECRET_KEY"]
    assert first == second and len(first) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_everything_written_lives_in_the_instance_folder(tmp_path):
    config = load_config(str(tmp_path / "one"), {"COP_ENV": "development"})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'one' / 'cop.sqlite3'}"
    assert config["TASKS_SQLITE_PATH"] == str(tmp_path / "one" / "tasks.sqlite3")


def test_instance_path_comes_from_the_environment(tmp_path):
    app = create_app({"ENVIRON": {"COP_ENV": "development", "COP_INSTANCE_PATH": str(tmp_path / "side")}})
    assert app.instance_path == str(tmp_path / "side")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("/side/cop.sqlite3")
    assert not app.debug


def test_postgres_urls_use_psycopg3():
    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:///x") == "sqlite:///x"


def test_sqlite_connections_get_wal_foreign_keys_and_busy_timeout(tmp_path):
    """Checked on an SQLite app even when the suite runs on PostgreSQL."""
    app = create_app({"ENVIRON": {"COP_ENV": "testing", "COP_SECRET_KEY": "x",
                                  "DATABASE_URL": f"sqlite:///{tmp_path / 'pragmas.sqlite3'}"},
                      "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        with _db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        _db.engine.dispose()


def test_start_refuses_sqlite_without_its_settings(tmp_path):
    from cop.extensions import _sqlite_pragmas

    sa.event.remove(sa.Engine, "connect", _sqlite_pragmas)
    try:
        with pytest.raises(RuntimeError, match="SQLite settings not applied"):
            create_app({"ENVIRON": {"COP_ENV": "testing", "COP_SECRET_KEY": "x",
                                    "DATABASE_URL": f"sqlite:///{tmp_path / 'bad.sqlite3'}"},
                        "INSTANCE_PATH": str(tmp_path)})
    finally:
        sa.event.listen(sa.Engine, "connect", _sqlite_pragmas)


def test_security_headers_on_every_response(client):
    for path in ("/", "/auth/login", "/does-not-exist"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        assert "Strict-Transport-Security" not in response.headers  # not outside production


def test_production_sends_hsts_and_secure_cookies(tmp_path):
    app = create_app({"ENVIRON": {"COP_ENV": "production", "COP_SECRET_KEY": "s" * 40, "COP_CONTACT_EMAIL": "team@cop.example",
                                  "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}"},
                      "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    with app.app_context():
        _db.create_all()
    response = app.test_client().get("/accessibility", base_url="https://cop.test")
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    with app.app_context():
        _db.engine.dispose()


def test_friendly_error_pages_and_json_errors(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    response = client.get("/nowhere", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json["error"]["status"] == 404
    response = client.post("/")
    assert response.status_code == 405


def test_forbidden_page(client, as_user):
    as_user("member")
    response = client.get("/admin/outbox")
    assert response.status_code == 403
    assert "Only site admins" in response.get_data(as_text=True)


def test_server_error_page_rolls_back(app, client, monkeypatch):
    import cop.site.routes as site_routes

    def broken(limit):
        raise RuntimeError("boom")

    monkeypatch.setattr(site_routes.accounts, "newest_people", broken)
    response = client.get("/")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.get_data(as_text=True)
    assert "boom" not in response.get_data(as_text=True)


def test_health_check(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["checks"]["database"] == "ok"


def test_home_page_for_newcomers(client, make_agency, make_user):
    make_agency("leeds", name="Leeds City Council")
    make_user(name="Jo Bloggs", agency="leeds")
    page = client.get("/").get_data(as_text=True)
    assert "community of practice" in page
    assert "Leeds City Council" in page and "Jo Bloggs" in page
    assert 'href="/agencies"' in page and 'href="/people"' in page


def test_accessibility_statement(client):
    response = client.get("/accessibility")
    assert response.status_code == 200
    assert "WCAG 2.2" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/", "/people?page=2", "/agencies/leeds"])
def test_safe_next_targets(target):
    assert is_safe_next(target)


@pytest.mark.parametrize("target", ["", None, "//evil.example", "https://evil.example", "/\\evil", "javascript:x", "/\x00"])
def test_unsafe_next_targets(target):
    assert not is_safe_next(target)


def test_header_marks_the_current_section(client, as_user):
    page = client.get("/agencies").get_data(as_text=True)
    assert 'href="/agencies" aria-current="page"' in page
    assert 'href="/people" aria-current="page"' not in page
    user_id = as_user("site_admin")
    page = client.get(f"/people/{user_id}").get_data(as_text=True)
    assert f'href="/people/{user_id}" aria-current="page"' in page  # "Your profile", not "People"
    assert 'href="/people" aria-current="page"' not in page
    assert 'href="/admin" aria-current="page"' in client.get("/admin/outbox").get_data(as_text=True)


def test_header_links_follow_the_path_the_site_is_served_under(client):
    mounted = client.get("/agencies", base_url="http://localhost/cop").get_data(as_text=True)
    assert 'href="/cop/agencies" aria-current="page"' in mounted and 'href="/cop/people"' in mounted
    assert 'href="/cop/auth/login"' in mounted
    # The layout's own links too: the stylesheet, the script, the home and accessibility pages.
    for link in ('href="/cop/static/css/app.css"', 'src="/cop/static/js/app.mjs"', 'href="/cop/"', 'href="/cop/accessibility"'):
        assert link in mounted
    at_root = client.get("/agencies").get_data(as_text=True)
    assert 'href="/agencies" aria-current="page"' in at_root and 'href="/cop/' not in at_root
    assert 'href="/static/css/app.css"' in at_root


def test_a_new_secret_key_ends_sessions_signed_with_the_old_unless_it_is_a_fallback(app, client, as_user):
    as_user("member")
    assert "Sign out" in client.get("/").get_data(as_text=True)
    old = app.secret_key
    app.config["SECRET_KEY"] = "a-new-secret-key-for-this-test"
    assert "Sign out" not in client.get("/accessibility").get_data(as_text=True)
    app.config["SECRET_KEY_FALLBACKS"] = [old]
    assert "Sign out" in client.get("/accessibility").get_data(as_text=True)


def test_the_form_token_is_flask_wtf_s_and_follows_a_new_secret_key(app, monkeypatch):
    import hashlib
    import time

    from flask import g
    from flask_wtf.csrf import generate_csrf, validate_csrf

    from cop.sessions import csrf_token

    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.5)
    with app.test_request_context():
        ours = csrf_token()
        assert csrf_token() is ours and g.csrf_token == ours  # once a request, where Flask-WTF keeps it
        g.pop("csrf_token")
        assert generate_csrf() == ours
        validate_csrf(ours)
        secret = ours.split(".")[0]
    app.config["SECRET_KEY"] = "a-new-secret-key-for-this-test"
    with app.test_request_context():
        from flask import session

        session["csrf_token"] = hashlib.sha1(b"another session").hexdigest()
        made = csrf_token()
        assert made.split(".")[0] != secret
        validate_csrf(made)
        g.pop("csrf_token")
        assert generate_csrf() == made
        # A secret that zlib would shorten (never one Flask-WTF makes) gives another token, which is as good.
        g.pop("csrf_token")
        session["csrf_token"] = "0" * 40
        validate_csrf(csrf_token())


def test_pages_promise_only_what_exists(client, as_user):
    """No page promises what is not there: the phrases that once announced features still to come are gone."""
    import html

    pages = [client.get("/accessibility").get_data(as_text=True)]
    as_user("site_admin")
    pages += [client.get(path).get_data(as_text=True) for path in ("/admin/topics", "/profile", "/")]
    text = html.unescape(" ".join(pages)).lower()
    for promise in ("mentoring session", "case studies and events will", "events and mentoring", "posts"):
        assert promise not in text, f"a page promises {promise!r}"
