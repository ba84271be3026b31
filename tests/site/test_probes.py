"""The probes: /livez touches nothing; /readyz (and /healthz) names what does not answer."""

from __future__ import annotations

import sqlalchemy as sa

from cop import create_app
from cop.extensions import db as _db
from tests.conftest import environ_for_tests


def test_livez_answers_without_touching_the_database_or_the_session(app, client):
    statements = []
    with app.app_context():
        engine = _db.engine
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    response = client.get("/livez")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok\n"
    assert statements == []
    assert "Set-Cookie" not in response.headers
    assert "X-RateLimit-Limit" not in response.headers


def test_readyz_and_healthz_report_each_check(client):
    for path in ("/readyz", "/healthz"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.json["status"] == "ok"
        assert response.json["checks"]["database"] == "ok" and response.json["checks"]["task_queue"] == "ok"


def test_readyz_says_which_service_is_down(tmp_path):
    # PostgreSQL where nothing listens, and Redis where nothing listens.
    environ = environ_for_tests("postgresql+psycopg://postgres@127.0.0.1:1/nothing", REDIS_URL="redis://127.0.0.1:1/0")
    app = create_app({"ENVIRON": environ, "INSTANCE_PATH": str(tmp_path)})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.json
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("failed")
    assert body["checks"]["redis"].startswith("failed")
    assert app.test_client().get("/livez").status_code == 200, "the process itself is alive"


def test_the_favicon_is_the_site_s_own_image(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    body = response.get_data()
    assert body[:4] == b"\x00\x00\x01\x00" and b"\x89PNG" in body
    assert "max-age=604800" in response.headers["Cache-Control"]
    page = client.get("/").get_data(as_text=True)
    assert 'rel="icon" href="/favicon.ico"' in page and "favicon.svg" in page
