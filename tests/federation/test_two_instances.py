"""Two instances on their own loopback ports, each with its own database: an agency on the second follows one on the
first, and what the first publishes, changes, cancels and withdraws reaches the second's lists, search and calendar
feed; after an unfollow nothing more arrives. Everything goes over HTTP, through the instances' own servers."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import datetime, timedelta

import icalendar
import pytest
import requests

from tests.conftest import REDIS_URL, TEST_DATABASE_URL, create_postgres_database, drop_postgres_database
from tests.federation.instances import Instance, free_port, instances

CASE_STUDY = {
    "summary": "A broadcast list for road closures.",
    "service_area": "transport-and-roads",
    "modes": ["broadcast"],
    "level": "202",
    "sections": {"challenge": "Closures surprised drivers.", "approach": "A WhatsApp broadcast list.",
                 "results": "4,000 subscribers.", "lessons": "Keep it short."},
}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """Lambeth on the first instance, Leeds on the second (started once for this module's tests)."""
    tmp_path = tmp_path_factory.mktemp("instances")
    urls = [create_postgres_database("cop_fed"), create_postgres_database("cop_fed")] if TEST_DATABASE_URL else None
    try:
        with instances(tmp_path, ("lambeth", "leeds"), database_urls=urls, redis_url=REDIS_URL) as running:
            yield running
    finally:
        for url in urls or ():
            drop_postgres_database(url)


def _ok(response, status: int = 200, instance: Instance | None = None):
    assert response.status_code == status, (
        f"{response.request.method} {response.url} answered {response.status_code}: {response.text[:2000]}"
        + (f"\n--- {instance.name}'s log ---\n{instance.log_tail()}" if instance else "")
    )
    return response


def publish_case_study(origin: Instance, title: str) -> str:
    created = _ok(origin.api("POST", "/case-studies", json={"title": title, **CASE_STUDY}), 201, origin).json()
    _ok(origin.api("PATCH", f"/case-studies/{created['slug']}", json={"status": "in_review"}), 200, origin)
    _ok(origin.api("PATCH", f"/case-studies/{created['slug']}", json={"status": "published"}), 200, origin)
    return created["slug"]


def feed_events(instance: Instance) -> dict[str, icalendar.Event]:
    """The instance's public calendar feed, by UID."""
    response = _ok(instance.get("/events/calendar.ics"), 200, instance)
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(component["UID"]): component for component in calendar.walk("VEVENT")}


def test_an_agency_on_one_instance_follows_one_on_another_and_receives_what_it_publishes(pair):
    lambeth, leeds = pair

    # Leeds follows Lambeth by its handle; Lambeth accepts at once, so the follow is accepted by the time it answers.
    followed = _ok(leeds.api("POST", "/agencies/leeds/following", json={"handle": lambeth.handle}), 201, leeds).json()
    assert followed["handle"] == lambeth.handle
    listed = _ok(leeds.api("GET", "/agencies/leeds/following"), 200, leeds).json()
    assert [(f["handle"], f["state"]) for f in listed["items"]] == [(lambeth.handle, "accepted")], lambeth.log_tail()
    followers = _ok(lambeth.get("/agencies/lambeth/followers", headers={"Accept": "application/activity+json"})).json()
    assert followers["totalItems"] == 1

    # A case study published on Lambeth's instance is in Leeds's list and search, with its origin.
    slug = publish_case_study(lambeth, "Road closures on WhatsApp")
    listing = _ok(leeds.get("/case-studies")).text
    assert "Road closures on WhatsApp" in listing, leeds.log_tail()
    found = _ok(leeds.get("/case-studies", params={"q": "WhatsApp broadcast"})).text
    # Search marks the words it matched.
    assert "Road closures on <mark>WhatsApp</mark>" in found
    remote_slug = re.search(r'href="/case-studies/([^"/?]+)"[^>]*>\s*Road closures on WhatsApp', listing).group(1)
    page = _ok(leeds.get(f"/case-studies/{remote_slug}")).text
    assert f"{lambeth.base}/case-studies/{slug}" in page, "the page links back to the original"

    # An event listed there is in Leeds's calendar feed, with the UID it has at its origin.
    start = (datetime.now() + timedelta(days=14)).replace(hour=10, minute=0, second=0, microsecond=0)
    event = _ok(lambeth.api("POST", "/events", json={
        "title": "Social media surgery", "kind": "surgery", "time_zone": "Europe/London",
        "starts": start.isoformat(), "ends": (start + timedelta(hours=2)).isoformat(), "venue_name": "Lambeth library",
        "venue_address": "Brixton Oval, London SW2 1JQ",
    }), 201, lambeth).json()
    origin_events = feed_events(lambeth)
    [(uid, origin_copy)] = [(u, e) for u, e in origin_events.items() if str(e["SUMMARY"]) == "Social media surgery"]
    received = feed_events(leeds)
    assert uid in received, (list(received), leeds.log_tail())
    assert str(received[uid]["SUMMARY"]) == "Social media surgery"
    first_sequence = int(received[uid].get("SEQUENCE", 0))

    # A change to its times reaches Leeds with a greater SEQUENCE; a cancellation keeps it, cancelled.
    later = start + timedelta(hours=1)
    _ok(lambeth.api("PATCH", f"/events/{event['id']}", json={"starts": later.isoformat(), "ends": (later + timedelta(hours=2)).isoformat()}), 200, lambeth)
    changed = feed_events(leeds)[uid]
    assert int(changed.get("SEQUENCE", 0)) > first_sequence
    assert changed.decoded("DTSTART") != received[uid].decoded("DTSTART")
    _ok(lambeth.api("DELETE", f"/events/{event['id']}", params={"reason": "The library is closed."}), 200, lambeth)
    cancelled = feed_events(leeds)[uid]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled.get("SEQUENCE", 0)) > int(changed.get("SEQUENCE", 0))

    # Withdrawn at its origin (archived), it leaves Leeds.
    _ok(lambeth.api("PATCH", f"/case-studies/{slug}", json={"status": "archived"}), 200, lambeth)
    assert "Road closures on WhatsApp" not in _ok(leeds.get("/case-studies")).text
    assert leeds.get(f"/case-studies/{remote_slug}").status_code == 404

    # After an unfollow nothing more arrives.
    _ok(leeds.api("DELETE", "/agencies/leeds/following", json={"handle": lambeth.handle}), 204, leeds)
    followers = _ok(lambeth.get("/agencies/lambeth/followers", headers={"Accept": "application/activity+json"})).json()
    assert followers["totalItems"] == 0
    publish_case_study(lambeth, "Bin day reminders by text")
    assert "Bin day reminders by text" not in _ok(leeds.get("/case-studies")).text
    assert "Bin day reminders by text" in _ok(lambeth.get("/case-studies")).text


PASTURE = """
import sys
from fediverse_pasture.verify_actor import build_app

port = int(sys.argv[1])
build_app(False, f"127.0.0.1:{port}", False, 20).run(host="127.0.0.1", port=port)
"""


@pytest.fixture()
def pasture(tmp_path):
    """fediverse-pasture's actor verifier, an independent ActivityPub implementation (bovine), on a loopback port."""
    port = free_port()
    log = tmp_path / "pasture.log"
    with log.open("w") as out:
        # It writes its personas' keys into its working folder.
        process = subprocess.Popen([sys.executable, "-c", PASTURE, str(port)], cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/alice", timeout=2)
                break
            except requests.RequestException:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"fediverse-pasture did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_an_independent_implementation_reads_our_actor_and_only_signed_posts_reach_its_inbox(pair, pasture):
    lambeth, _leeds = pair
    actor = f"{lambeth.base}/agencies/lambeth"
    answer = requests.get(pasture, params={"actor_uri": actor}, headers={"Accept": "application/json"}, timeout=300)
    assert answer.status_code == 200, answer.text[:2000]
    result = answer.json()["result"]
    messages = answer.json()["messages"]
    assert result["webfinger"] is True, messages
    # alice and dean post without a signature: refused. bob and emily sign their posts; claire and frank also
    # require signed fetches of their own actors, so this instance's key fetches must be signed.
    for persona in ("alice", "dean"):
        assert result[persona] == {"get_actor": True, "post_inbox": False}, (persona, messages, lambeth.log_tail())
    for persona in ("bob", "claire", "emily", "frank"):
        assert result[persona] == {"get_actor": True, "post_inbox": True}, (persona, messages, lambeth.log_tail())
