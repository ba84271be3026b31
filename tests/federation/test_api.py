"""Following out through the JSON API: list, follow, unfollow, and every refusal, as the OpenAPI document says."""

from __future__ import annotations

import pytest

from cop.federation import client
from tests.api.openapi import assert_matches_openapi
from tests.federation.sending import PostRecorder, remote_actor

LAMBETH = "https://lambeth.example/agencies/lambeth"
PATH = "/api/v1/agencies/{slug}/following"


@pytest.fixture()
def remote(monkeypatch) -> PostRecorder:
    def resolve_handle(handle: str) -> str:
        if "lambeth" in handle:
            return LAMBETH
        raise client.FederationError("gone.example could not be reached.")

    posted = PostRecorder()
    monkeypatch.setattr(client, "resolve_handle", resolve_handle)
    monkeypatch.setattr(client, "get_actor", lambda uri, refresh=False: remote_actor(uri, username="lambeth"))
    monkeypatch.setattr(client, "post_activity", posted)
    return posted


@pytest.fixture()
def tokens(app, make_agency, make_user, make_token):
    make_agency("home", domains=["home.example"])
    admin = make_user("admin@home.example", role="agency_admin", agency="home")
    member = make_user("member@home.example", agency="home")
    return {"write": {"Authorization": f"Bearer {make_token(admin, 'write')}"},
            "read": {"Authorization": f"Bearer {make_token(admin, 'read')}"},
            "member": {"Authorization": f"Bearer {make_token(member, 'write')}"}}


def test_follow_list_and_unfollow(client, tokens, remote):
    url = "/api/v1/agencies/home/following"
    made = client.post(url, json={"handle": "lambeth@lambeth.example"}, headers=tokens["write"])
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["handle"] == "lambeth@lambeth.example" and made.get_json()["state"] == "pending"
    assert_matches_openapi(client, made, PATH, "post")

    listed = client.get(url, headers=tokens["read"])
    assert listed.status_code == 200
    assert [(f["handle"], f["actor"], f["state"]) for f in listed.get_json()["items"]] == [("lambeth@lambeth.example", LAMBETH, "pending")]
    assert_matches_openapi(client, listed, PATH)

    gone = client.delete(url, json={"handle": "@lambeth@lambeth.example"}, headers=tokens["write"])
    assert gone.status_code == 204
    assert client.get(url, headers=tokens["read"]).get_json()["items"] == []
    again = client.delete(url, json={"handle": "lambeth@lambeth.example"}, headers=tokens["write"])
    assert again.status_code == 404
    assert_matches_openapi(client, again, PATH, "delete")
    assert [p["payload"]["type"] for p in remote.posts] == ["Follow", "Undo"]


@pytest.mark.parametrize(("body", "status", "field"), [
    ({}, 422, "handle"),
    ({"handle": ""}, 422, "handle"),
    ({"handle": 7}, 422, "handle"),
    ({"handle": "no handle"}, 422, "handle"),
    ({"handle": "home@cop.test"}, 422, "handle"),
    ({"handle": "someone@gone.example"}, 422, "handle"),
    ({"handle": "lambeth@lambeth.example", "extra": 1}, 422, "extra"),
])
def test_a_bad_handle_is_a_422_on_its_field(client, tokens, remote, body, status, field):
    response = client.post("/api/v1/agencies/home/following", json=body, headers=tokens["write"])
    assert response.status_code == status and field in response.get_json()["fields"], response.get_json()
    assert_matches_openapi(client, response, PATH, "post")
    assert remote.posts == []


def test_following_twice_is_a_409(client, tokens, remote):
    url = "/api/v1/agencies/home/following"
    assert client.post(url, json={"handle": "lambeth@lambeth.example"}, headers=tokens["write"]).status_code == 201
    twice = client.post(url, json={"handle": LAMBETH}, headers=tokens["write"])
    assert twice.status_code == 409 and "already follows" in twice.get_json()["error"]["message"]
    assert_matches_openapi(client, twice, PATH, "post")


def test_refusals_who_and_where(client, tokens, remote):
    url = "/api/v1/agencies/home/following"
    body = {"handle": "lambeth@lambeth.example"}
    assert client.post(url, json=body).status_code == 401
    assert client.get(url).status_code == 401
    assert client.post(url, json=body, headers=tokens["read"]).status_code == 403
    not_manager = client.post(url, json=body, headers=tokens["member"])
    assert not_manager.status_code == 403
    assert_matches_openapi(client, not_manager, PATH, "post")
    assert client.delete(url, json=body, headers=tokens["member"]).status_code == 403
    missing = client.post("/api/v1/agencies/nowhere/following", json=body, headers=tokens["write"])
    assert missing.status_code == 404
    assert_matches_openapi(client, missing, PATH, "post")
    assert client.get("/api/v1/agencies/nowhere/following", headers=tokens["read"]).status_code == 404
    assert remote.posts == []


def test_the_document_describes_the_following_endpoints(client):
    from openapi_spec_validator import validate

    from tests.api.openapi import document

    spec = document(client)
    validate(spec)
    assert {"get", "post", "delete"} <= set(spec["paths"][PATH])
