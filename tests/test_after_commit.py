"""Work queued for after a commit waits for the real commit: a SAVEPOINT's release or rollback is not one."""

from __future__ import annotations

import sqlalchemy as sa

from cop.extensions import db as _db
from cop.extensions import enqueue_after_commit


def test_queued_work_waits_for_the_outer_commit_and_survives_a_savepoint_rollback(app):
    ran: list[str] = []
    with app.app_context():
        _db.session.execute(sa.text("SELECT 1"))
        enqueue_after_commit(ran.append, "first")
        with _db.session.begin_nested():
            _db.session.execute(sa.text("SELECT 1"))
        assert ran == []
        nested = _db.session.begin_nested()
        nested.rollback()
        assert ran == []
        _db.session.commit()
        assert ran == ["first"]
        _db.session.execute(sa.text("SELECT 1"))
        enqueue_after_commit(ran.append, "second")
        _db.session.rollback()
        _db.session.commit()
        assert ran == ["first"]
