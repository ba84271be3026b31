"""Mentoring in the JSON API: suggestions with reasons, a request, asking, accepting and declining, and the errors."""

from __future__ import annotations


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_newcomer_asks_through_the_api_and_the_mentor_accepts(app, client, community, make_token):
    newcomer = _bearer(make_token(community.newcomer))
    assert client.get("/api/v1/mentoring/suggestions", headers=newcomer).status_code == 404
    made = client.post("/api/v1/mentoring/requests", headers=newcomer, json={
        "goals": "Film short videos for YouTube.", "skills": ["video"], "format": "online"})
    assert made.status_code == 201 and made.json["status"] == "open" and made.json["skills"] == ["video"]
    again = client.post("/api/v1/mentoring/requests", headers=newcomer, json={"goals": "Again.", "skills": ["video"]})
    assert again.json["id"] == made.json["id"]
    listed = client.get("/api/v1/mentoring/suggestions", headers=newcomer).json
    names = [s["mentor"]["name"] for s in listed["suggestions"]]
    # Carl shares nothing with the request: he is not offered at all.
    assert set(names) == {"Vera Video", "Yan York"}
    first = listed["suggestions"][0]
    assert "video" in first["shared_skills"] and {p["name"] for p in first["preferences"]} >= {"format"}
    asked = client.post(f"/api/v1/mentoring/requests/{made.json['id']}/ask", headers=newcomer, json={"mentor": community.video_mentor})
    assert asked.status_code == 200 and asked.json["status"] == "asked" and asked.json["mentor"]["id"] == community.video_mentor
    mentor = _bearer(make_token(community.video_mentor))
    assert client.post(f"/api/v1/mentoring/requests/{made.json['id']}/accept", headers=newcomer).status_code == 403
    accepted = client.post(f"/api/v1/mentoring/requests/{made.json['id']}/accept", headers=mentor)
    assert accepted.status_code == 200 and accepted.json["newcomer"]["id"] == community.newcomer
    assert client.post(f"/api/v1/mentoring/requests/{made.json['id']}/accept", headers=mentor).status_code == 409


def test_bad_input_gets_the_right_status(app, client, community, make_token):
    newcomer = _bearer(make_token(community.newcomer))
    no_skills = client.post("/api/v1/mentoring/requests", headers=newcomer, json={"goals": "Video.", "skills": []})
    assert no_skills.status_code == 422 and "skills" in no_skills.json["fields"]
    unknown = client.post("/api/v1/mentoring/requests", headers=newcomer, json={"goals": "Video.", "skills": ["no-such-skill"]})
    assert unknown.status_code == 422
    made = client.post("/api/v1/mentoring/requests", headers=newcomer, json={"goals": "Video.", "skills": ["video"]}).json
    huge = client.post(f"/api/v1/mentoring/requests/{made['id']}/ask", headers=newcomer, json={"mentor": 2**63})
    assert huge.status_code == 422
    nobody = client.post(f"/api/v1/mentoring/requests/{made['id']}/ask", headers=newcomer, json={"mentor": 999999})
    assert nobody.status_code == 422
    mentor = _bearer(make_token(community.video_mentor))
    assert client.get(f"/api/v1/mentoring/requests/{made['id']}", headers=mentor).status_code == 404
    read_only = _bearer(make_token(community.newcomer, "read"))
    assert client.post(f"/api/v1/mentoring/requests/{made['id']}/ask", headers=read_only, json={"mentor": community.video_mentor}).status_code == 403
    client.post(f"/api/v1/mentoring/requests/{made['id']}/ask", headers=newcomer, json={"mentor": community.video_mentor})
    no_reason = client.post(f"/api/v1/mentoring/requests/{made['id']}/decline", headers=mentor, json={})
    assert no_reason.status_code == 422
    declined = client.post(f"/api/v1/mentoring/requests/{made['id']}/decline", headers=mentor, json={"reason": "Full this term."})
    assert declined.status_code == 200 and declined.json["status"] == "open"
    names = [s["mentor"]["name"] for s in client.get("/api/v1/mentoring/suggestions", headers=newcomer).json["suggestions"]]
    assert "Vera Video" not in names
