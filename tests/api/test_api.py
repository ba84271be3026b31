"""The JSON API: tokens and scopes, JSON errors with the right status, limits, and the OpenAPI document."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from tests.api.openapi import assert_matches_openapi, document


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_the_document_is_valid_openapi_3_1_and_lists_the_endpoints(client):
    spec = document(client)
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    assert {"/api/v1/me", "/api/v1/case-studies", "/api/v1/case-studies/{slug}"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    post = spec["paths"]["/api/v1/case-studies"]["post"]
    assert "title" in spec["components"]["schemas"]["CaseStudyCreate"]["required"]
    assert post["security"] == [{"bearerAuth": []}]


def test_me_answers_for_the_token_and_matches_the_document(client, make_user, make_token):
    response = client.get("/api/v1/me", headers=bearer(make_token(make_user(name="Ada"), "read")))
    assert response.status_code == 200 and response.get_json()["scope"] == "read"
    assert_matches_openapi(client, response, "/api/v1/me")


@pytest.mark.parametrize(
    ("header", "code"),
    [(None, None), ("Bearer", "invalid_request"), ("Basic dXNlcjpwYXNz", "invalid_request"), ("Bearer cop_unknown", "invalid_token"),
     ("Bearer " + "x" * 5000, "invalid_token")],
)
def test_without_a_working_token_the_answer_is_401_json(client, header, code):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401 and response.is_json
    body = response.get_json()
    assert body["error"]["status"] == 401 and body["fields"] == {}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    if code:
        assert f'error="{code}"' in response.headers["WWW-Authenticate"]
    assert_matches_openapi(client, response, "/api/v1/me")


def test_a_signed_in_browser_is_not_an_api_client(client, make_user, sign_in):
    sign_in(make_user(agency=None))
    response = client.post("/api/v1/case-studies", json={"title": "From a cookie"})
    assert response.status_code == 401


def test_malformed_bodies_are_400_and_wrong_types_422_naming_the_field(client, make_agency, make_user, make_token):
    make_agency("leeds", domains=["leeds.example"])
    secret = make_token(make_user("w@leeds.example", agency="leeds"))
    sent = client.post("/api/v1/case-studies", data="{not json", headers={**bearer(secret), "Content-Type": "application/json"})
    assert sent.status_code == 400 and sent.get_json()["error"]["message"] == "The body is not valid JSON."
    sent = client.post("/api/v1/case-studies", data=json.dumps([1, 2]), headers={**bearer(secret), "Content-Type": "application/json"})
    assert sent.status_code == 400 and "JSON object" in sent.get_json()["error"]["message"]
    sent = client.post("/api/v1/case-studies", data="title=x", headers={**bearer(secret), "Content-Type": "application/x-www-form-urlencoded"})
    assert sent.status_code == 400
    sent = client.post("/api/v1/case-studies", json={"title": 7, "level": "404", "sections": {"results": []}, "authors": ["me"], "colour": "red"},
                       headers=bearer(secret))
    assert sent.status_code == 422
    assert set(sent.get_json()["fields"]) == {"title", "level", "sections.results", "authors.0", "colour"}
    assert_matches_openapi(client, sent, "/api/v1/case-studies", "post")


def test_a_body_over_one_mebibyte_is_413(client, make_user, make_token):
    secret = make_token(make_user())
    sent = client.post("/api/v1/case-studies", data=json.dumps({"title": "x" * (1024 * 1024)}),
                       headers={**bearer(secret), "Content-Type": "application/json"})
    assert sent.status_code == 413 and sent.is_json


def test_unknown_addresses_and_methods_are_json(client):
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.get_json()["error"]["status"] == 404
    wrong = client.delete("/api/v1/case-studies")
    assert wrong.status_code == 405 and wrong.is_json


def test_requests_are_limited_per_token(app, client, make_user, make_token):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    first, second = make_token(make_user("a@example.org"), "read"), make_token(make_user("b@example.org"), "read")
    statuses = [client.get("/api/v1/me", headers=bearer(first)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/me", headers=bearer(first))
    assert limited.is_json and "Retry-After" in limited.headers
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200


def test_the_docs_page_renders_the_document(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "GET /api/v1/case-studies/{slug}" in page and "PATCH /api/v1/case-studies/{slug}" in page
    assert "/account/tokens" in page and "https://" not in page.split("<main", 1)[1].split("</main>", 1)[0]
