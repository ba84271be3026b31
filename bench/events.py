"""The speed budget for the events pages: 2,000 upcoming events from 500 agencies (bench.feeds's data).

python -m bench.events [--database-url postgresql://…] [--rounds 3] [--seconds 3] [--scale 1]

Target: the events list, a filtered list and one event within 5 × /livez, on SQLite and PostgreSQL, as
visitors and as a signed-in member, with SQL statements per request constant in the rows shown (tests hold
that part: tests/events/test_queries.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from bench import feeds
from bench.runner import Page, arguments, run


def build(app, scale: float) -> list[Page]:
    """bench.feeds's agencies, organisers and events; the pages to measure."""
    from cop.accounts.models import User
    from cop.events.models import Event
    from cop.extensions import db

    feeds.build(app, scale)
    count = db.session.scalar(sa.select(sa.func.count(Event.id)))
    one = db.session.scalar(sa.select(Event.slug).where(Event.kind == "course").order_by(Event.id).offset(count // 20).limit(1))
    member = db.session.scalar(sa.select(User.email).order_by(User.id).offset(1).limit(1))
    return [
        Page("events", "/events"),
        Page("courses at 202", "/events?kind=course&level=202"),
        Page("one event", f"/events/{one}"),
        Page("events", "/events", signed_in_as=member),
        Page("courses at 202", "/events?kind=course&level=202", signed_in_as=member),
        Page("one event", f"/events/{one}", signed_in_as=member),
    ]


if __name__ == "__main__":
    run("Events at 2,000 upcoming from 500 agencies", build, arguments(__doc__.splitlines()[0]))
