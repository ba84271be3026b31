"""The forum's pages issue the same statements for a few rows as for many."""

from __future__ import annotations

import pytest

from cop.extensions import db as _db
from tests.test_queries import queries_for


@pytest.mark.parametrize("signed_in", [False, True])
def test_thread_and_category_pages_take_the_same_queries_for_2_or_15_rows(app, client, make_agency, make_user, sign_in, signed_in):
    from cop.accounts.models import User
    from cop.forum import services

    make_agency("home")
    authors = [make_user(f"p{i}@home.example", name=f"Person {i}", agency="home") for i in range(15)]
    mod_id = make_user("mod@example.org", name="Mo Derator", role="moderator")
    admin_id = make_user("admin@example.org", name="Ad Min", role="site_admin")
    if signed_in:
        sign_in(authors[0])
    with app.test_request_context():
        mod = _db.session.get(User, mod_id)
        category = services.create_category(_db.session.get(User, admin_id), services.CategoryInput(name="Talk"))
        thread = services.create_thread(mod, category, "Many replies", "Start")
        _db.session.commit()
        ids = (category.slug, thread.id)

    def add(start, stop):
        with app.test_request_context():
            mod = _db.session.get(User, mod_id)
            thread = _db.session.get(services.Thread, ids[1])
            category = _db.session.get(services.Category, thread.category_id)
            for i in range(start, stop):
                services.reply(mod, thread, f"Reply {i} from @Person{i}")
                services.create_thread(mod, category, f"Thread {i}", "Body")
            _db.session.commit()

    add(0, 1)
    client.get(f"/forum/threads/{ids[1]}")  # a reader's first visit starts their read marker; later ones move it on
    add(1, 2)
    few = (queries_for(app, client, f"/forum/threads/{ids[1]}"), queries_for(app, client, f"/forum/{ids[0]}/"))
    add(2, 15)
    many = (queries_for(app, client, f"/forum/threads/{ids[1]}"), queries_for(app, client, f"/forum/{ids[0]}/"))
    assert many == few
    if signed_in:
        # Reading the same page again, with nothing new on it, moves no marker and writes nothing.
        assert queries_for(app, client, f"/forum/threads/{ids[1]}") < many[0]

