"""Event lists and pages issue the same statements whether they show few events or many."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.events.conftest import soon
from tests.test_queries import queries_for


@pytest.mark.parametrize("path", ["/events", "/events?kind=course", "/api/v1/events", "/events/calendar.ics", "/events/course-0"])
def test_the_same_statements_for_few_or_many_events(app, client, crowd, sign_in, make_event, path):
    from cop.extensions import db
    from cop.text.models import Topic

    with app.app_context():
        topics = list(db.session.scalars(sa.select(Topic.id).where(Topic.slug.in_(["facebook", "video"]))))
    # Signed in: a kept page would take no statements at all, and this is about making one.
    sign_in(crowd.member)

    def add(start: int, stop: int) -> None:
        for number in range(start, stop):
            make_event(f"Course {number}", kind="course", level="202", topic_ids=topics, starts=soon(days=10 + number),
                       ends=soon(days=10 + number, hour=16))

    add(0, 2)
    if not path.endswith(".ics"):
        client.get(path)  # a feed is measured as it is built: with events it has not seen, as after a change
    few = queries_for(app, client, path)
    add(2, 15)
    many = queries_for(app, client, path)
    assert few > 0 and many == few, f"{path}: {few} statements with few events, {many} with many"
