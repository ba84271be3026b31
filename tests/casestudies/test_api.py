"""Case studies through the JSON API: the same filters, rules and workflow as the pages, answered as documented."""

from __future__ import annotations

import pytest

from tests.api.openapi import assert_matches_openapi
from tests.casestudies.conftest import COMPLETE

BODY = {
    "title": "Road closures on WhatsApp",
    "summary": "A broadcast list for closures.",
    "service_area": "transport-and-roads",
    "modes": ["broadcast"],
    "channels": ["whatsapp"],
    "skills": ["crisis-and-emergency-communications"],
    "level": "202",
    "started_on": "2025-01-06",
    "sections": {"challenge": "Closures surprised drivers.", "approach": "A list.", "results": "4,000 subscribers.", "lessons": "Keep it short."},
    "links": [{"title": "Sign up", "url": "https://example.org/whatsapp"}],
}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_the_list_has_the_page_filters_pages_and_a_next_link(app, client, make_case_study):
    app.config["COP_PER_PAGE"] = 2
    for number in range(3):
        make_case_study(f"Bins {number}")
    make_case_study("Library Instagram", service_area="libraries")
    first = client.get("/api/v1/case-studies?service_area=waste-and-recycling")
    body = first.get_json()
    assert first.status_code == 200 and body["total"] == 3 and len(body["items"]) == 2
    assert body["next"].endswith("/api/v1/case-studies?service_area=waste-and-recycling&page=2") and 'rel="next"' in first.headers["Link"]
    assert_matches_openapi(client, first, "/api/v1/case-studies")
    last = client.get(body["next"]).get_json()
    assert last["next"] is None and len(last["items"]) == 1
    only = client.get("/api/v1/case-studies?q=instagram").get_json()
    assert [item["slug"] for item in only["items"]] == ["library-instagram"]
    assert client.get("/api/v1/case-studies?page=9").status_code == 404
    bad = client.get("/api/v1/case-studies?page=abc&per_page=1000")
    assert bad.status_code == 422 and set(bad.get_json()["fields"]) == {"page", "per_page"}


def test_one_case_study_and_what_is_hidden(client, cast, make_case_study, make_token):
    slug = make_case_study()
    response = client.get(f"/api/v1/case-studies/{slug}")
    body = response.get_json()
    assert response.status_code == 200 and body["sections"]["results"] == COMPLETE["sections"]["results"]
    assert body["sections_html"]["challenge"] == "<p>Residents rang us about <strong>missed bins</strong>.</p>\n"
    assert body["review_comment"] is None and body["licence"]["key"] == "cc-by-4.0"
    assert_matches_openapi(client, response, "/api/v1/case-studies/{slug}")
    draft = make_case_study("Unfinished", status="draft")
    assert client.get(f"/api/v1/case-studies/{draft}").status_code == 404
    assert client.get(f"/api/v1/case-studies/{draft}", headers=bearer(make_token(cast.outsider, "read"))).status_code == 404
    assert client.get(f"/api/v1/case-studies/{draft}", headers=bearer(make_token(cast.writer, "read"))).status_code == 200
    missing = client.get("/api/v1/case-studies/no-such-thing")
    assert missing.status_code == 404
    assert_matches_openapi(client, missing, "/api/v1/case-studies/{slug}")


def test_a_write_token_drafts_and_a_read_token_may_not(client, cast, make_token):
    read = client.post("/api/v1/case-studies", json=BODY, headers=bearer(make_token(cast.writer, "read")))
    assert read.status_code == 403 and 'error="insufficient_scope"' in read.headers["WWW-Authenticate"]
    assert client.post("/api/v1/case-studies", json=BODY).status_code == 401
    made = client.post("/api/v1/case-studies", json=BODY, headers=bearer(make_token(cast.writer)))
    assert made.status_code == 201 and made.headers["Location"] == "/api/v1/case-studies/road-closures-on-whatsapp"
    body = made.get_json()
    assert body["status"] == "draft" and body["channels"] == [{"slug": "whatsapp", "name": "WhatsApp"}]
    assert body["authors"][0]["display_name"] == "Wendy Writer" and body["started_on"] == "2025-01-06"
    assert_matches_openapi(client, made, "/api/v1/case-studies", "post")
    again = client.post("/api/v1/case-studies", json=BODY, headers=bearer(make_token(cast.writer)))
    assert again.get_json()["slug"] == "road-closures-on-whatsapp-2"


def test_refusals_name_the_field(client, cast, make_token):
    secret = make_token(cast.writer)
    for body, field in (
        ({**BODY, "service_area": "nowhere"}, "service_area"),
        ({**BODY, "channels": ["video"]}, "channels"),  # a skill is not a channel
        ({**BODY, "authors": [cast.outsider]}, "authors"),
        ({**BODY, "summary": "x" * 301}, "summary"),
        ({**BODY, "ended_on": "2024-01-01"}, "ended_on"),
    ):
        response = client.post("/api/v1/case-studies", json=body, headers=bearer(secret))
        assert response.status_code == 422 and field in response.get_json()["fields"], (field, response.get_json())
    nobody = client.post("/api/v1/case-studies", json=BODY, headers=bearer(make_token(cast.moderator)))
    assert nobody.status_code == 403


def test_patch_changes_fields_and_walks_the_workflow_by_its_rules(client, cast, make_case_study, make_token):
    writer, admin, outsider = make_token(cast.writer), make_token(cast.admin), make_token(cast.outsider)
    slug = make_case_study(status="draft", summary="")
    url = f"/api/v1/case-studies/{slug}"
    incomplete = client.patch(url, json={"status": "in_review"}, headers=bearer(writer))
    assert incomplete.status_code == 422 and "summary" in incomplete.get_json()["fields"]
    assert client.patch(url, json={"summary": "Mine"}, headers=bearer(outsider)).status_code == 404
    sent = client.patch(url, json={"summary": "Calls fell.", "status": "in_review"}, headers=bearer(writer))
    assert sent.status_code == 200 and sent.get_json()["status"] == "in_review"
    assert_matches_openapi(client, sent, "/api/v1/case-studies/{slug}", "patch")
    assert client.patch(url, json={"status": "published"}, headers=bearer(writer)).status_code == 403
    no_reason = client.patch(url, json={"status": "returned"}, headers=bearer(admin))
    assert no_reason.status_code == 422 and "review_comment" in no_reason.get_json()["fields"]
    returned = client.patch(url, json={"status": "returned", "review_comment": "Add figures."}, headers=bearer(admin))
    assert returned.get_json()["review_comment"] == "Add figures."
    client.patch(url, json={"status": "in_review"}, headers=bearer(writer))
    published = client.patch(url, json={"status": "published"}, headers=bearer(admin)).get_json()
    assert published["status"] == "published" and published["revision"] == 1
    conflict = client.patch(url, json={"status": "in_review"}, headers=bearer(writer))
    assert conflict.status_code == 409
    edited = client.patch(url, json={"sections": {"results": "Calls fell by a fifth."}, "note": "Figures"}, headers=bearer(writer)).get_json()
    assert edited["revision"] == 2 and edited["sections"]["results"] == "Calls fell by a fifth."
    assert client.patch(url, json={"status": "archived"}, headers=bearer(admin)).get_json()["status"] == "archived"
    assert client.patch(url, json={"status": "published"}, headers=bearer(admin)).get_json()["status"] == "published"


def test_a_failed_patch_leaves_nothing_half_written(app, client, cast, make_case_study, make_token):
    slug = make_case_study(status="in_review")
    response = client.patch(f"/api/v1/case-studies/{slug}", json={"title": "New title", "status": "published"},
                            headers=bearer(make_token(cast.writer)))
    assert response.status_code == 403
    assert client.get(f"/api/v1/case-studies/{slug}", headers=bearer(make_token(cast.writer, "read"))).get_json()["title"] == "Bin collections on Twitter"


@pytest.mark.parametrize("path", ["/api/v1/case-studies", "/api/v1/case-studies?q=twitter&level=101"])
def test_the_api_list_takes_the_same_statements_for_few_or_many(app, client, cast, make_case_study, path):
    from tests.test_queries import queries_for

    make_case_study("Study 0 on Twitter")
    make_case_study("Study 1 on Twitter")
    few = queries_for(app, client, path)
    for number in range(2, 15):
        make_case_study(f"Study {number} on Twitter")
    assert queries_for(app, client, path) == few


def test_nul_bytes_and_numbers_past_64_bits_are_refused_not_stored(client, cast, make_token):
    secret = make_token(cast.writer)
    nul = client.post("/api/v1/case-studies", json={**BODY, "title": "Bins\u0000"}, headers=bearer(secret))
    assert nul.status_code == 400 and nul.is_json
    nested = client.post("/api/v1/case-studies", json={**BODY, "sections": {"results": "a\u0000b"}}, headers=bearer(secret))
    assert nested.status_code == 400
    huge = client.post("/api/v1/case-studies", json={**BODY, "authors": [2**70]}, headers=bearer(secret))
    assert huge.status_code == 422 and "authors.0" in huge.get_json()["fields"]
    assert client.get("/api/v1/case-studies/road-closures-on-whatsapp", headers=bearer(secret)).status_code == 404
