"""Case study lists and pages issue the same statements whether they show few case studies or many."""

from __future__ import annotations

import pytest

from tests.test_queries import queries_for


@pytest.mark.parametrize(
    "path",
    ["/case-studies", "/case-studies?q=twitter", "/case-studies?channel=facebook&level=101", "/case-studies/feed.atom",
     "/", "/agencies/leeds", "/people/{writer}", "/case-studies/study-0-on-twitter", "/case-studies/yours"],
)
def test_the_same_statements_for_few_or_many_case_studies(app, client, cast, sign_in, make_case_study, path):
    import sqlalchemy as sa

    from cop.extensions import db
    from cop.text.models import Topic

    with app.app_context():
        topics = list(db.session.scalars(sa.select(Topic.id).where(Topic.slug.in_(["facebook", "video", "x-twitter"]))))
    sign_in(cast.admin)
    path = path.format(writer=cast.writer)

    def add(start: int, stop: int) -> None:
        for number in range(start, stop):
            make_case_study(f"Study {number} on Twitter", topic_ids=topics, author_ids=[cast.writer, cast.colleague])
            make_case_study(f"Waiting {number}", status="in_review")

    add(0, 2)
    client.get(path)  # the filters' choices are read once a minute per process, not on every request
    few = queries_for(app, client, path)
    add(2, 15)
    many = queries_for(app, client, path)
    assert many == few, f"{path}: {few} statements with few case studies, {many} with many"
