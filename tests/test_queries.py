"""Lists are paginated and never issue a query per row."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from cop.extensions import db as _db


@contextmanager
def counting_queries(app):
    with app.app_context():
        engine = _db.engine
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def queries_for(app, client, path: str) -> int:
    """The statements one request for the page issues when it is made afresh (nothing kept in the page cache)."""
    from cop.cache import content_changed

    with app.app_context():
        content_changed()
    with counting_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("path", ["/people", "/agencies", "/", "/agencies/a0", "/admin/users", "/admin/outbox", "/notifications"])
def test_lists_take_the_same_number_of_queries_for_few_or_many_rows(app, client, make_agency, make_user, as_user, path):
    from cop.accounts.models import User
    from cop.mail.services import send_mail
    from cop.notifications.services import notify
    from cop.text.models import Topic

    admin_id = as_user("site_admin")

    def add(start: int, stop: int) -> None:
        with app.app_context():
            topics = list(_db.session.scalars(sa.select(Topic).limit(3)))
        for i in range(start, stop):
            make_agency(f"a{i}")
            user_id = make_user(f"p{i}@example.org", agency="a0")
            with app.app_context():
                _db.session.get(User, user_id).skills = topics
                send_mail(f"p{i}@example.org", "Hello", "Body")
                notify(_db.session.get(User, admin_id), "join_decision", f"Notice {i}", "/")
                _db.session.commit()

    add(0, 2)
    few = queries_for(app, client, path)
    add(2, 15)
    many = queries_for(app, client, path)
    assert many == few, f"{path}: {few} queries with few rows, {many} with many"
