"""Unreadable input (NUL bytes, bytes that are not UTF-8) and numbers past 64 bits never reach a route."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.accounts.models import User


@pytest.mark.parametrize(
    "path",
    [
        "/people?skill=%00",
        "/people?level=303%00",
        "/agencies?country=%00",
        "/agencies/%00",
        "/agencies/leeds%00",
        "/admin/users?q=%00",
        "/people?skill=%C3%28",  # percent-encoded bytes that are not UTF-8
        "/agencies?country=%FF",
    ],
)
def test_unreadable_addresses_are_refused_with_a_clear_400(client, as_user, path):
    as_user("site_admin")
    response = client.get(path)
    assert response.status_code == 400
    assert "We could not read what was sent" in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["display_name", "job_title", "bio", "region"])
def test_nul_in_any_form_field_is_refused_and_nothing_is_stored(client, db, as_user, field):
    user_id = as_user("member")
    data = {"display_name": "Jo", "job_title": "Officer", "bio": "Hi", "level": "202", "time_zone": "UTC",
            "mentoring_capacity": "0", "region": "North", field: "bad\x00value"}
    response = client.post("/profile", data=data)
    assert response.status_code == 400
    assert "not text" in response.get_data(as_text=True)
    assert db.session.get(User, user_id).display_name == "Test Person"


@pytest.mark.csrf
def test_raw_bytes_that_are_not_utf8_are_refused_before_the_csrf_check(client, outbox):
    body = b"display_name=Jo&email=jo%40example.org&password=abc\xff\xfe&confirm=abc\xff\xfe&csrf_token=x"
    response = client.post("/auth/register", data=body, content_type="application/x-www-form-urlencoded")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "We could not read what was sent" in page and "expired" not in page
    assert outbox() == []


def test_percent_encoded_bytes_that_are_not_utf8_never_become_an_email_address(app, client, outbox):
    body = b"display_name=Jo&email=jo%FF%40example.org&password=lantern-orchard-velvet-81&confirm=lantern-orchard-velvet-81"
    response = client.post("/auth/register", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    with app.app_context():
        from cop.extensions import db

        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    assert outbox() == []


@pytest.mark.parametrize(
    "path",
    [
        "/people/99999999999999999999",
        "/people/9223372036854775808",
        "/people/2147483648",
        "/admin/outbox/99999999999999999999",
        "/people?page=99999999999999999999",
        "/agencies?page=99999999999999999999",
        "/admin/users?page=99999999999999999999",
        "/admin/outbox?page=99999999999999999999",
        "/notifications?page=99999999999999999999",
        "/agencies/home?page=99999999999999999999",
    ],
)
def test_numbers_past_any_real_one_are_not_found(client, as_user, make_agency, path):
    make_agency("home")
    as_user("site_admin")
    assert client.get(path).status_code == 404


def test_the_largest_real_id_is_still_looked_up(client):
    assert client.get("/people/2147483647").status_code == 404  # looked up (on PostgreSQL too), and not there


@pytest.mark.parametrize("path", ["/people?page=2", "/agencies?page=3", "/admin/users?page=2", "/admin/outbox?page=2", "/notifications?page=2"])
def test_a_page_past_the_last_is_not_found(client, as_user, path):
    as_user("site_admin")
    assert client.get(path).status_code == 404


def test_page_one_of_an_empty_list_is_there(client, as_user):
    as_user("site_admin")
    for path in ("/people", "/agencies", "/admin/outbox", "/notifications"):
        assert client.get(path).status_code == 200


def test_nul_in_the_body_of_a_delete_is_refused_before_any_route_reads_it(client, as_user, make_token):
    secret = make_token(as_user("agency_admin"))
    response = client.delete("/api/v1/agencies/home/following", json={"handle": "york\u0000@cop.example"},
                             headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 400
    # Without the NUL the same request reaches the API, which has no such follow.
    response = client.delete("/api/v1/agencies/home/following", json={"handle": "york@cop.example"},
                             headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 404


def test_json_nested_past_the_parsers_recursion_limit_is_a_clear_400_not_a_server_error(client):
    response = client.post("/login", data=b"[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert "We could not read what was sent" in response.get_data(as_text=True)
