"""Personal API tokens: made at /account/tokens or on the command line, shown once, stored hashed, revoked."""

from __future__ import annotations

import hashlib
import re

import sqlalchemy as sa

from cop.extensions import db as _db


def tokens(app):
    from cop.api.models import ApiToken

    with app.app_context():
        return list(_db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)))


def test_a_member_makes_a_token_sees_it_once_and_it_is_stored_hashed(app, client, make_user, sign_in):
    user_id = make_user("pat@example.org")
    sign_in(user_id)
    response = client.post("/account/tokens", data={"name": "Intranet feed", "scope": "read"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="token-secret">(cop_[A-Za-z0-9_-]+)<', response.get_data(as_text=True)).group(1)
    [token] = tokens(app)
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest() and token.scope == "read"
    assert secret not in client.get("/account/tokens").get_data(as_text=True)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).get_json()["display_name"] == "Test Person"
    assert tokens(app)[0].last_used_at is not None


def test_a_token_needs_a_name_and_a_scope(client, make_user, sign_in):
    sign_in(make_user())
    page = client.post("/account/tokens", data={"name": "", "scope": "admin"})
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "Enter a name for the token" in text and "Choose what the token may do." in text


def test_revoking_stops_a_token_and_only_its_owner_can(app, client, make_user, sign_in, make_token):
    owner, other = make_user("o@example.org"), make_user("x@example.org")
    secret = make_token(owner, "read")
    token_id = tokens(app)[0].id
    sign_in(other)
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    sign_in(owner)
    assert client.post(f"/account/tokens/{token_id}/revoke").status_code == 302
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]
    assert "Revoked" in client.get("/account/tokens").get_data(as_text=True)


def test_the_command_line_prints_a_token(app, runner, make_user):
    make_user("cli@example.org")
    result = runner.invoke(args=["create-token", "cli@example.org", "--scope", "write", "--name", "Sync"])
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    assert re.fullmatch(r"cop_[A-Za-z0-9_-]{43}", secret)
    [token] = tokens(app)
    assert (token.name, token.scope) == ("Sync", "write")
    missing = runner.invoke(args=["create-token", "nobody@example.org"])
    assert missing.exit_code == 1 and "No account has the address nobody@example.org." in missing.output


def test_a_token_never_signs_in_a_page(client, make_user, make_token):
    secret = make_token(make_user())
    response = client.get("/profile", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_tokens_of_an_unconfirmed_or_deactivated_person_do_not_work(app, client, make_user, make_token):
    from cop.accounts.models import User

    user_id = make_user()
    secret = make_token(user_id)
    with app.app_context():
        _db.session.get(User, user_id).is_active = False
        _db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
