"""What domains announce (blinker, which Flask itself uses); other domains listen without being imported.

Two ways to announce. ``signal.send(...)`` runs receivers at once, in the sender's transaction: they add
and flush, and the sender's caller commits (``email_verified``). ``send_after_commit`` waits until the
transaction that made the change commits, and sends nothing if it rolls back: receivers then see the
change as stored, in a transaction of their own that is committed after them, so a receiver that fails
never undoes the change it heard about (the content signals: federation and feeds listen to those).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from blinker import Namespace, Signal
from flask import current_app, has_app_context

from cop.extensions import db

log = logging.getLogger(__name__)

signals = Namespace()

#: A person confirmed their email address. Sender: the User. Sent at once.
email_verified = signals.signal("email-verified")

#: A case study became public: first published, or restored from the archive. Sender: the CaseStudy.
case_study_published = signals.signal("case-study-published")
#: A published case study was edited (a new revision). Sender: the CaseStudy.
case_study_updated = signals.signal("case-study-updated")
#: A published case study was archived: it leaves listings, its address stays. Sender: the CaseStudy.
case_study_archived = signals.signal("case-study-archived")

#: An event was listed. Sender: the Event.
event_published = signals.signal("event-published")
#: An event changed (times, place, details, postponed or back on). Sender: the Event.
event_changed = signals.signal("event-changed")
#: An event was cancelled: it stays in feeds, cancelled, for 30 days. Sender: the Event.
event_cancelled = signals.signal("event-cancelled")

_PENDING = "signals_after_commit"


def send_after_commit(signal: Signal, model: type, object_id: int, **kwargs: Any) -> None:
    """Send ``signal`` with the object of ``model`` whose id is ``object_id``, once this transaction commits."""
    db.session.info.setdefault(_PENDING, []).append((signal, model, object_id, kwargs))


@sa.event.listens_for(so.Session, "after_commit")
def _send_after_commit(session: so.Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the transaction is still open
    pending = session.info.pop(_PENDING, [])
    if not pending or not has_app_context():
        return
    app = current_app._get_current_object()
    for signal, model, object_id, kwargs in pending:
        # A new app context is a new session: receivers read the committed rows and commit their own work.
        with app.app_context():
            try:
                sender = db.session.get(model, object_id)
                if sender is not None:
                    signal.send(sender, **kwargs)
                db.session.commit()
            except Exception:  # noqa: BLE001 - the change is committed; a receiver's failure must not hide that
                db.session.rollback()
                log.exception("a receiver of %s for %s %s failed", signal.name, model.__name__, object_id)


@sa.event.listens_for(so.Session, "after_soft_rollback")
def _drop_after_rollback(session: so.Session, previous_transaction: Any) -> None:
    if previous_transaction.nested:
        return  # only a SAVEPOINT was rolled back: what came before it still commits
    session.info.pop(_PENDING, None)
