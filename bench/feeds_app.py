"""The app as gunicorn serves it, plus one route that exists only in the feeds benchmark: the feed's bytes,
kept in this worker's memory the first time, served with the same headers. It is what the real feed
is compared with: the cost of serving those bytes at all."""

from __future__ import annotations

from flask import Response

from wsgi import app

_kept: dict[str, bytes] = {}


@app.route("/bench/feed-from-memory")
def feed_from_memory() -> Response:
    if "feed" not in _kept:
        with app.test_client() as client:
            _kept["feed"] = client.get("/events/calendar.ics").data
    return Response(_kept["feed"], headers={"Content-Type": "text/calendar; charset=utf-8", "Cache-Control": "public, max-age=300"})
