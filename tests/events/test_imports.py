"""Importing another calendar: added by an agency's admin, polled over loopback, events kept in step by UID,
and a broken, oversized or unreachable calendar reported without losing anything."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa

from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.extensions import db as _db
from tests.events.conftest import person


def calendar(*events: tuple[str, str, datetime], name: str = "Partner events") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//partner//EN", f"X-WR-CALNAME:{name}", "REFRESH-INTERVAL;VALUE=DURATION:PT2H"]
    for uid, summary, start in events:
        lines += ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}", f"DTSTAMP:{start:%Y%m%dT%H%M%SZ}",
                  f"DTSTART;TZID=Europe/London:{start:%Y%m%dT%H%M%S}", f"DTEND;TZID=Europe/London:{start + timedelta(hours=2):%Y%m%dT%H%M%S}",
                  "LOCATION:Partner Hall\\, Leeds", "END:VEVENT"]
    return ("\r\n".join(lines + ["END:VCALENDAR"]) + "\r\n").encode()


class Source:
    """What the loopback server answers: a body (or a status), and the conditional requests it was sent."""

    def __init__(self) -> None:
        self.body = b""
        self.status = 200
        self.etag = '"v1"'
        self.requests: list[dict[str, str]] = []


@pytest.fixture()
def source() -> Iterator[tuple[Source, str]]:
    state = Source()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            state.requests.append(dict(self.headers))
            if self.headers.get("If-None-Match") == state.etag and state.status == 200:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(state.status)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("ETag", state.etag)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}/partner.ics"
    server.shutdown()
    server.server_close()


def soon(days: int) -> datetime:
    return (datetime.now() + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)


def events_of(app) -> dict[str, tuple[str, str, int]]:
    from cop.events.models import Event

    with app.app_context():
        return {e.import_uid: (e.title, e.status, e.sequence) for e in _db.session.scalars(sa.select(Event).where(Event.import_id.is_not(None)))}


def subscribe(app, crowd, url: str) -> int:
    from cop.events import imports

    with app.app_context():
        admin = person(crowd.admin)
        subscription = imports.add_import(admin, admin.agency, url)
        _db.session.commit()
        return subscription.id


def poll(app, import_id: int) -> str:
    from cop.events import imports

    with app.app_context():
        outcome = imports.poll(import_id)
        _db.session.commit()
        return outcome


@pytest.fixture()
def loopback_app(app):
    app.config["COP_ALLOW_PRIVATE_ADDRESSES"] = True
    return app


def test_events_are_added_updated_and_cancelled_by_uid(loopback_app, crowd, source):
    app = loopback_app
    state, url = source
    state.body = calendar(("a@partner", "Digital drop-in", soon(5)), ("b@partner", "Open data day", soon(9)))
    import_id = subscribe(app, crowd, url)
    assert poll(app, import_id) == "updated"
    assert events_of(app) == {"a@partner": ("Digital drop-in", "scheduled", 0), "b@partner": ("Open data day", "scheduled", 0)}
    # Unchanged: the source's ETag goes back, and a 304 changes nothing.
    assert poll(app, import_id) == "unchanged" and state.requests[-1]["If-None-Match"] == '"v1"'
    state.etag = '"v2"'
    state.body = calendar(("a@partner", "Digital drop-in (moved)", soon(6)))
    assert poll(app, import_id) == "updated"
    found = events_of(app)
    assert found["a@partner"] == ("Digital drop-in (moved)", "scheduled", 1)
    assert found["b@partner"][1:] == ("cancelled", 1)
    with app.app_context():
        from cop.events.models import CalendarImport

        subscription = _db.session.get(CalendarImport, import_id)
        assert subscription.name == "Partner events" and subscription.refresh_seconds == 7200 and subscription.last_error == ""


@pytest.mark.parametrize(("status", "body", "words"), [
    (200, b"<html><body>Not found</body></html>", "web page"),
    (200, b"", "calendar"),
    (500, b"oops", "500"),
])
def test_a_broken_calendar_is_reported_and_loses_nothing(loopback_app, crowd, source, status, body, words):
    from cop.notifications.models import Notification

    app = loopback_app
    state, url = source
    state.body = calendar(("a@partner", "Digital drop-in", soon(5)))
    import_id = subscribe(app, crowd, url)
    poll(app, import_id)
    before = events_of(app)
    state.etag, state.status, state.body = '"v2"', status, body
    assert poll(app, import_id) == "failed"
    assert events_of(app) == before
    with app.app_context():
        from cop.events.models import CalendarImport

        subscription = _db.session.get(CalendarImport, import_id)
        assert words in subscription.last_error and subscription.next_poll_at > datetime.now().astimezone()
        told = _db.session.scalars(sa.select(Notification.title).where(Notification.kind == "calendar_import")).all()
        assert len(told) == 1 and words in told[0]
    poll(app, import_id)  # the same problem again is not told twice
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.kind == "calendar_import")) == 1


def test_an_oversized_calendar_is_refused_while_it_streams(loopback_app, crowd, source):
    app = loopback_app
    state, url = source
    state.body = b"BEGIN:VCALENDAR\r\n" + b"X-FILLER:" + b"x" * (6 * 1024 * 1024) + b"\r\nEND:VCALENDAR\r\n"
    import_id = subscribe(app, crowd, url)
    assert poll(app, import_id) == "failed"
    with app.app_context():
        from cop.events.models import CalendarImport

        assert "5" in _db.session.get(CalendarImport, import_id).last_error


def test_private_addresses_are_refused_unless_allowed(app, crowd, source):
    state, url = source
    state.body = calendar(("a@partner", "Digital drop-in", soon(5)))
    import_id = subscribe(app, crowd, url)
    assert poll(app, import_id) == "failed"
    assert state.requests == []  # refused before any connection was made
    assert events_of(app) == {}


def test_only_the_agency_s_admins_choose_its_calendars(app, crowd):
    from cop.events import imports

    with app.app_context():
        with pytest.raises(PermissionDenied):
            imports.add_import(person(crowd.member), person(crowd.member).agency, "https://example.org/a.ics")
        admin = person(crowd.admin)
        with pytest.raises(ServiceError, match="https://"):
            imports.add_import(admin, admin.agency, "file:///etc/passwd")
        made = imports.add_import(admin, admin.agency, "webcal://example.org/a.ics")
        assert made.url == "https://example.org/a.ics"
        with pytest.raises(Conflict, match="already"):
            imports.add_import(admin, admin.agency, "https://example.org/a.ics")


def test_the_imports_page_adds_and_lists_calendars(client, crowd, sign_in):
    sign_in(crowd.admin)
    page = client.get("/agencies/leeds/calendars")
    assert page.status_code == 200 and "Import a calendar" in page.get_data(as_text=True)
    refused = client.post("/agencies/leeds/calendars", data={"url": "not a url"})
    assert refused.status_code == 400 and "starting with https://" in refused.get_data(as_text=True)
    added = client.post("/agencies/leeds/calendars", data={"url": "https://example.org/events.ics"}, follow_redirects=True)
    assert "The calendar is added." in added.get_data(as_text=True) and "https://example.org/events.ics" in added.get_data(as_text=True)
    sign_in(crowd.member)
    assert client.get("/agencies/leeds/calendars").status_code == 403


CALENDARS = sorted((Path(__file__).parent / "calendars").glob("*.ics"))


@pytest.mark.parametrize("path", CALENDARS, ids=[p.name for p in CALENDARS])
def test_calendars_from_the_wild_import_or_are_refused_with_a_reason(path):
    from cop.events.importing import ImportProblem, parse_calendar

    try:
        parsed = parse_calendar(path.read_bytes())
    except ImportProblem as problem:
        assert str(problem) and "Traceback" not in str(problem)
        return
    for event in parsed.events:
        assert event.uid and (event.end >= event.start if type(event.start) is type(event.end) else True)


def test_events_removed_from_a_real_calendar_are_cancelled_not_deleted(loopback_app, crowd, source):
    app = loopback_app
    state, url = source
    folder = Path(__file__).parent / "calendars"
    state.body = (folder / "issue_526_calendar_with_events.ics").read_bytes()
    import_id = subscribe(app, crowd, url)
    assert poll(app, import_id) == "updated"
    before = events_of(app)
    state.etag, state.body = '"v2"', (folder / "issue_526_calendar_with_event_subset.ics").read_bytes()
    assert poll(app, import_id) == "updated"
    after = events_of(app)
    assert after.keys() == before.keys() and len(before) > 1
    cancelled = [uid for uid, (_title, status, _seq) in after.items() if status == "cancelled"]
    assert cancelled and len(cancelled) < len(after)


def test_an_event_that_cannot_be_read_this_time_is_left_as_it_was(loopback_app, crowd, source):
    app = loopback_app
    state, url = source
    state.body = calendar(("a@partner", "Digital drop-in", soon(5)), ("b@partner", "Open data day", soon(9)))
    import_id = subscribe(app, crowd, url)
    poll(app, import_id)
    state.etag = '"v2"'
    state.body = state.body.replace(f"DTSTART;TZID=Europe/London:{soon(9):%Y%m%dT%H%M%S}".encode(), b"DTSTART;TZID=Europe/London:20XX1340T990000")
    assert poll(app, import_id) == "updated"
    assert events_of(app)["b@partner"] == ("Open data day", "scheduled", 0)
    with app.app_context():
        from cop.events.models import CalendarImport

        assert any("Open data day" in w for w in _db.session.get(CalendarImport, import_id).last_warnings)
