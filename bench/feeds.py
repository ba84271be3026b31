"""The speed budget for calendar feeds: 2,000 upcoming events from 500 agencies.

python -m bench.feeds [--database-url postgresql://…] [--rounds 3] [--seconds 3] [--scale 1]

Measured side by side in one run under gunicorn (2 workers):
- a full request of the feed of every event, and a 304 revalidation of it, each as a ratio to /livez
  (targets: the 304 within 1.3 × /livez);
- the same feed's bytes served from memory by a route that only the benchmark's app has
  (bench/feeds_app.py), and the full request as a ratio to it (target: within 2 ×);
- building the whole feed from scratch with icalendar, in this process (cold generation);
- the first request for the feed after one event changed, over HTTP, as a ratio to that build
  (target: within 0.2 ×, since only the changed event's VEVENT is built again).
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.runner import app_for, arguments, database, drive, environment, free_port, gunicorn, machine, migrate

EVENTS = 2_000
AGENCIES = 500
KINDS = ("unconference", "barcamp", "surgery", "course", "workshop", "webinar", "meetup")
ZONES = ("Europe/London", "Australia/Sydney", "Australia/Perth", "Pacific/Auckland", "America/Toronto")
FEED = "/events/calendar.ics"


def build(app, scale: float) -> None:
    """Agencies through their service; an organiser per agency; events in bulk as the events service writes them."""
    from argon2 import PasswordHasher

    from cop.accounts.models import User
    from cop.agencies.models import Agency
    from cop.agencies.services import create_agency
    from cop.clock import utcnow
    from cop.events.models import Event
    from cop.events.services import index_event
    from cop.extensions import db
    from cop.text.models import Topic

    rng = random.Random(7)
    agency_count = max(int(AGENCIES * scale), 2)
    for i in range(agency_count):
        create_agency(None, f"agency-{i:03}", f"Council {i:03}", ("GB", "AU", "NZ", "CA")[i % 4], "local", domains=[f"agency{i:03}.example"])
    db.session.commit()
    agencies = list(db.session.scalars(sa.select(Agency).order_by(Agency.id)))
    topics = list(db.session.scalars(sa.select(Topic)))
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("not used to sign in")
    now = utcnow()
    organisers = [User(email=f"organiser@{a.domains[0].domain}", display_name=f"Organiser {a.slug}", password_hash=password_hash,
                       email_verified_at=now, agency=a, level="303") for a in agencies]
    db.session.add_all(organisers)
    db.session.commit()
    total = max(int(EVENTS * scale), 20)
    for start in range(0, total, 500):
        batch = []
        for i in range(start, min(start + 500, total)):
            agency = agencies[i % len(agencies)]
            begins = (now + timedelta(days=rng.randint(1, 365), hours=rng.randint(0, 23))).replace(minute=0, second=0, microsecond=0)
            kind = KINDS[i % len(KINDS)]
            repeat = "monthly" if kind == "surgery" and i % 2 else None
            ends = begins + timedelta(hours=rng.randint(1, 8))
            event = Event(
                slug=f"event-{i:05}", title=f"{kind.title()} {i:05} on {rng.choice(topics).name}", kind=kind,
                level=rng.choice(("101", "202", "303")) if kind == "course" else None, agency_id=agency.id,
                description=f"A {kind} for **digital** people in the public sector. Bring questions about {rng.choice(topics).name}.",
                contact_email=f"events@{agency.domains[0].domain}", starts_at=begins, ends_at=ends, time_zone=rng.choice(ZONES),
                all_day=False, repeat=repeat, repeat_interval=1, repeat_monthly_by="weekday",
                repeat_until=(begins + timedelta(days=300)).date() if repeat else None,
                series_ends_at=(begins + timedelta(days=300) + (ends - begins)) if repeat else ends,
                venue_name=f"Civic Centre {i:05}", venue_address=f"{i} High Street", online_url="", capacity=rng.choice((None, 30, 100)),
                going_count=0, currency="GBP", payment_details="", registration_open=True, status="scheduled", status_reason="",
                sequence=0, created_at=now, updated_at=now, created_by_id=organisers[i % len(organisers)].id,
                topics=rng.sample(topics, 2),
            )
            batch.append(event)
        db.session.add_all(batch)
        db.session.flush()
        for event in batch:
            event.agency = agencies[(event.agency_id - agencies[0].id) % len(agencies)]
            index_event(event)
        db.session.commit()


def from_scratch(app) -> tuple[float, bytes]:
    """Seconds to build the whole feed with icalendar, nothing kept: every VEVENT and VTIMEZONE made afresh."""
    from cop.events import feeds, ical
    from cop.extensions import db

    rows = list(db.session.execute(feeds.selected(feeds.FeedSelection())))
    ical.vtimezone_bytes.cache_clear()
    started = time.perf_counter()
    events = db.session.scalars(
        sa.select(feeds.Event).where(feeds.Event.id.in_([r.id for r in rows]))
        .options(sa.orm.joinedload(feeds.Event.agency), sa.orm.selectinload(feeds.Event.topics), sa.orm.selectinload(feeds.Event.skipped))
    ).all()
    by_id = {e.id: e for e in events}
    parts, zones = [], set()
    for row in rows:
        item = feeds.feed_event(by_id[row.id])
        parts.append(ical.event_fragment(item))
        zones |= ical.zones_of(item)
    body = ical.calendar_bytes("bench", parts, zones)
    return time.perf_counter() - started, body


def change_one(app, number: int) -> None:
    """One event changes, as an organiser's edit would change it."""
    from cop.clock import utcnow
    from cop.events.models import Event
    from cop.extensions import db

    count = db.session.scalar(sa.select(sa.func.count(Event.id)))
    event = db.session.scalar(sa.select(Event).order_by(Event.id).offset(number % count).limit(1))
    event.venue_name = f"Town Hall {number}"
    event.sequence += 1
    event.updated_at = utcnow()
    db.session.commit()


def timed_get(url: str) -> tuple[float, bytes, str]:
    started = time.perf_counter()
    with urllib.request.urlopen(url) as response:
        body = response.read()
        etag = response.headers["ETag"]
    return time.perf_counter() - started, body, etag


def not_modified_status(url: str, etag: str) -> int:
    """The status a revalidation with this ETag gets (wrk's report does not tell a 304 from a 200)."""
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as answer:
        return answer.code


def main(options: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: make bench installs it (apt-get install wrk)")
    logging.basicConfig(level=logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="cop-bench-"))
    backend = "PostgreSQL" if options.database_url else "SQLite"
    try:
        with database(options.database_url, folder) as url:
            port = free_port()
            env = environment(folder, url, port)
            migrate(env)
            with app_for(env) as app:
                started = time.monotonic()
                build(app, options.scale)
                built = time.monotonic() - started
                cold = statistics.median(from_scratch(app)[0] for _ in range(3))
            print(f"\n## Calendar feeds at {max(int(EVENTS * options.scale), 20):,} upcoming events: {backend}\n")
            print(f"Data built in {built:.0f} s. Machine: {machine()}.\n")
            with gunicorn(env, port, folder / "gunicorn.log", app="bench.feeds_app:app") as base:
                _seconds, body, etag = timed_get(base + FEED)
                if not_modified_status(base + FEED, etag) != 304:
                    sys.exit("the feed did not answer 304 to its own ETag")
                urls = {"livez": ("/livez", ()), "feed": (FEED, ()), "304": (FEED, (f"If-None-Match: {etag}",)),
                        "memory": ("/bench/feed-from-memory", ())}
                for path, headers in urls.values():
                    drive(base + path, 1, headers=headers)
                rates: dict[str, list[float]] = {name: [] for name in urls}
                for _round in range(options.rounds):
                    for name, (path, headers) in urls.items():
                        rates[name].append(drive(base + path, options.seconds, headers=headers))
                after_change = []
                with app_for(env) as app:
                    for number in range(5):
                        change_one(app, number * 37)
                        seconds, changed, _etag = timed_get(base + FEED)
                        assert changed != body and f"Town Hall {number * 37}".encode() in changed
                        after_change.append(seconds)
                        body = changed
            median = {name: statistics.median(values) for name, values in rates.items()}
            change = statistics.median(after_change)
            rows = [
                ("liveness", "/livez", f"{median['livez']:.0f}", "1.0", ""),
                ("feed, unchanged", FEED, f"{median['feed']:.0f}", f"{median['livez'] / median['feed']:.1f}",
                 f"{median['memory'] / median['feed']:.2f} × the same bytes from memory ({median['memory']:.0f} req/s)"),
                ("feed, 304", f"{FEED} + If-None-Match", f"{median['304']:.0f}", f"{median['livez'] / median['304']:.2f}", ""),
            ]
            print("| request | URL | req/s | × /livez | note |")
            print("| --- | --- | --- | --- | --- |")
            for row in rows:
                print("| " + " | ".join(row) + " |")
            print(f"\nFeed size {len(body):,} bytes. Cold generation (every VEVENT and VTIMEZONE built with icalendar): "
                  f"{cold * 1000:.0f} ms. First request after one event changed: {change * 1000:.1f} ms, "
                  f"{change / cold:.3f} × the cold build.")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main(arguments(__doc__.splitlines()[0]))
