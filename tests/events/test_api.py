"""Events in the JSON API: the list, one event, listing, changing and cancelling one, places and slot booking."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from cop.extensions import db as _db
from tests.api.openapi import assert_matches_openapi
from tests.events.conftest import soon

BODY = {
    "title": "Webinar: writing for social", "kind": "webinar", "time_zone": "Australia/Sydney",
    "online_url": "https://meet.example/writing", "capacity": 2, "topics": ["video"],
}


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def when(days: int, hour: int) -> str:
    return soon(days=days, hour=hour).isoformat()


def event_id(app, slug: str) -> int:
    from cop.events.services import event_by_slug

    with app.app_context():
        return event_by_slug(slug).id


def test_the_list_and_one_event_match_the_document(app, client, crowd, make_event):
    make_event()
    make_event("Course 101", kind="course", level="101")
    listing = client.get("/api/v1/events")
    assert listing.status_code == 200
    assert_matches_openapi(client, listing, "/api/v1/events")
    assert [e["title"] for e in listing.get_json()["items"]] == ["LocalGovCamp North", "Course 101"]
    assert [e["title"] for e in client.get("/api/v1/events?kind=course&level=101").get_json()["items"]] == ["Course 101"]
    assert client.get("/api/v1/events?agency=york").get_json()["items"] == []
    one = client.get(f"/api/v1/events/{listing.get_json()['items'][0]['id']}")
    assert_matches_openapi(client, one, "/api/v1/events/{event_id}")
    body = one.get_json()
    assert body["starts_at"].endswith(("+00:00", "+01:00")) and body["time_zone"] == "Europe/London"
    assert body["calendar_url"] == "http://cop.test/events/localgovcamp-north/calendar.ics"
    assert client.get("/api/v1/events/999999").status_code == 404
    assert client.get("/api/v1/events?kind=party").status_code == 422
    bad = client.get("/api/v1/events?from=2030-02-01&to=2030-01-01")
    assert bad.status_code == 422 and "to" in bad.get_json()["fields"]


def test_a_write_token_lists_changes_and_cancels_an_event(app, client, crowd, make_token):
    secret = make_token(crowd.organiser)
    created = client.post("/api/v1/events", json={**BODY, "starts": when(10, 19), "ends": when(10, 20)}, headers=bearer(secret))
    assert created.status_code == 201, created.get_json()
    assert_matches_openapi(client, created, "/api/v1/events", "post")
    made = created.get_json()
    assert made["starts_at"].endswith(("+10:00", "+11:00")) and made["places_left"] == 2 and made["topics"][0]["slug"] == "video"
    path = f"/api/v1/events/{made['id']}"
    assert created.headers["Location"].endswith(path)
    changed = client.patch(path, json={"venue_name": "Sydney Town Hall"}, headers=bearer(secret))
    assert changed.status_code == 200 and changed.get_json()["sequence"] == 1
    postponed = client.patch(path, json={"status": "postponed"}, headers=bearer(secret))
    assert postponed.status_code == 422 and "status_reason" in postponed.get_json()["fields"]
    outsider = client.patch(path, json={"title": "Mine"}, headers=bearer(make_token(crowd.outsider)))
    assert outsider.status_code == 403
    reader = client.patch(path, json={"title": "Mine"}, headers=bearer(make_token(crowd.organiser, "read")))
    assert reader.status_code == 403
    cancelled = client.delete(f"{path}?reason=Speaker+unwell", headers=bearer(secret))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["status_reason"] == "Speaker unwell"
    assert client.delete(path, headers=bearer(secret)).status_code == 409
    assert b"Cancelled: Webinar" in client.get("/events/calendar.ics").data


def test_bad_bodies_name_their_fields_and_store_nothing(app, client, crowd, make_token):
    from cop.events.models import Event

    secret = make_token(crowd.organiser)
    cases = [
        ({**BODY, "starts": when(10, 20), "ends": when(10, 19)}, "ends"),
        ({**BODY, "time_zone": "Moon/Base", "starts": when(10, 19), "ends": when(10, 20)}, "time_zone"),
        ({**BODY, "capacity": -1, "starts": when(10, 19), "ends": when(10, 20)}, "capacity"),
        ({**BODY, "capacity": 2**70, "starts": when(10, 19), "ends": when(10, 20)}, "capacity"),
        ({**BODY, "price": "lots", "starts": when(10, 19), "ends": when(10, 20)}, "price"),
        ({**BODY, "topics": ["no-such-topic"], "starts": when(10, 19), "ends": when(10, 20)}, "topics"),
        ({**BODY, "surprise": 1, "starts": when(10, 19), "ends": when(10, 20)}, "surprise"),
    ]
    for body, field in cases:
        response = client.post("/api/v1/events", json=body, headers=bearer(secret))
        assert response.status_code == 422 and field in response.get_json()["fields"], (field, response.get_json())
    nul = client.post("/api/v1/events", json={**BODY, "title": "Bad\u0000", "starts": when(10, 19), "ends": when(10, 20)}, headers=bearer(secret))
    assert nul.status_code == 400
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


def test_places_and_the_waiting_list_through_the_api(app, client, crowd, make_event, make_token):
    slug = make_event(capacity=1, capacity_given=True)
    path = f"/api/v1/events/{event_id(app, slug)}/registration"
    first = client.put(path, headers=bearer(make_token(crowd.member)))
    assert first.status_code == 200 and first.get_json()["status"] == "going"
    second = client.put(path, headers=bearer(make_token(crowd.outsider)))
    assert second.get_json()["status"] == "waitlist"
    again = client.put(path, headers=bearer(make_token(crowd.outsider)))
    assert again.status_code == 409 and "waiting list" in again.get_json()["error"]["message"]
    assert client.delete(path, headers=bearer(make_token(crowd.member))).status_code == 204
    assert client.get(f"/api/v1/events/{event_id(app, slug)}").get_json()["going"] == 1
    assert client.put(path, headers=bearer(make_token(crowd.member, "read"))).status_code == 403
    assert client.put(path).status_code == 401


def test_booking_a_slot_through_the_api(app, client, crowd, make_event, make_token):
    from cop.events import registrations, services

    slug = make_event("Surgery", kind="surgery")
    with app.app_context():
        event = services.event_by_slug(slug)
        from cop.accounts.models import User

        made = registrations.add_slots(_db.session.get(User, crowd.organiser), event, event.starts_at + timedelta(hours=1), 20, 2)
        _db.session.commit()
        slot_id, event_pk = made[0].id, event.id
    path = f"/api/v1/events/{event_pk}/slots/{slot_id}/booking"
    booked = client.put(path, json={"note": "Our TikTok"}, headers=bearer(make_token(crowd.member)))
    assert booked.status_code == 200 and booked.get_json()["booked_by_you"]
    twice = client.put(path, json={"note": "Me too"}, headers=bearer(make_token(crowd.outsider)))
    assert twice.status_code == 409
    empty = client.put(path, json={"note": ""}, headers=bearer(make_token(crowd.outsider)))
    assert empty.status_code == 422 and "note" in empty.get_json()["fields"]
    listed = client.get(f"/api/v1/events/{event_pk}/slots", headers=bearer(make_token(crowd.outsider, "read"))).get_json()
    assert [s["booked"] for s in listed] == [True, False] and not listed[0]["booked_by_you"]
    assert client.put(f"/api/v1/events/{event_pk}/slots/999999/booking", json={"note": "x"}, headers=bearer(make_token(crowd.member))).status_code == 404
