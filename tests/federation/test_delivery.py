"""Delivering to a real inbox on a loopback port: signed, retried with a growing wait, failed for good after a day
or at once when refused, claimed so it is sent once, and tried again by a site admin."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from cop.clock import utcnow
from cop.errors import PermissionDenied, ServiceError
from cop.extensions import db
from cop.federation import outgoing, tasks
from cop.federation.models import Delivery
from tests.federation.sending import loopback_inbox


@pytest.fixture()
def home(app, make_agency):
    app.config["COP_ALLOW_PRIVATE_ADDRESSES"] = True
    return make_agency("home")


def _send(app, inbox: str) -> int:
    """Send one activity from agency "home" to ``inbox``; the delivery's id."""
    from cop.agencies.models import Agency

    with app.app_context():
        agency = db.session.scalars(sa.select(Agency).where(Agency.slug == "home")).one()
        payload = {"@context": "https://www.w3.org/ns/activitystreams", "id": "http://cop.test/activities/a1", "type": "Create",
                   "actor": "http://cop.test/agencies/home", "object": {"id": "http://cop.test/case-studies/x", "type": "Article"}}
        activity = outgoing.send_activity(agency, payload, [inbox])
        db.session.commit()
        return db.session.scalar(sa.select(Delivery.id).where(Delivery.activity_id == activity.id))


def _delivery(app, delivery_id: int) -> Delivery:
    with app.app_context():
        delivery = db.session.get(Delivery, delivery_id)
        db.session.expunge(delivery)
        return delivery


def test_a_delivery_is_posted_signed_by_its_agency_and_the_signature_verifies(app, home):
    from cop.agencies.models import Agency
    from cop.federation import keys
    from cop.federation.signatures import parse_signature_header, verify_request

    with loopback_inbox(202) as inbox:
        delivery_id = _send(app, inbox.url)
    [received] = inbox.received
    assert received.path == "/inbox" and b'"id":"http://cop.test/activities/a1"' in received.body.replace(b" ", b"")
    params = parse_signature_header(received.headers["Signature"])
    assert params.key_id == "http://cop.test/agencies/home#main-key"
    with app.app_context():
        public_pem = keys.agency_key(db.session.get(Agency, home)).public_key_pem
    verify_request("POST", urlsplit(inbox.url).path, received.headers, received.body, params, public_pem)
    delivery = _delivery(app, delivery_id)
    assert (delivery.status, delivery.last_status, delivery.attempts) == ("delivered", 202, 1)
    assert delivery.delivered_at is not None


def test_a_server_error_is_tried_again_later_and_after_a_day_the_delivery_fails_for_good(app, home, monkeypatch):
    with loopback_inbox(500) as inbox:
        delivery_id = _send(app, inbox.url)
        first = _delivery(app, delivery_id)
        assert (first.status, first.last_status, first.attempts) == ("queued", 500, 1)
        assert timedelta(seconds=50) < first.next_attempt_at - utcnow() <= timedelta(minutes=1)

        # Not due yet: the sweep leaves it.
        with app.app_context():
            assert tasks.queue_due_deliveries() == 0
        assert len(inbox.received) == 1

        # Two minutes on, it is due: tried again, and the wait grows.
        later = utcnow() + timedelta(minutes=2)
        monkeypatch.setattr(tasks, "utcnow", lambda: later)
        with app.app_context():
            assert tasks.queue_due_deliveries() == 1
        second = _delivery(app, delivery_id)
        assert (second.status, second.attempts) == ("queued", 2) and len(inbox.received) == 2
        assert second.next_attempt_at - later == tasks.retry_wait(2) == timedelta(minutes=5)

        # A day and more after it was queued, one more failure is the last.
        much_later = utcnow() + timedelta(days=1, hours=1)
        monkeypatch.setattr(tasks, "utcnow", lambda: much_later)
        with app.app_context():
            assert tasks.queue_due_deliveries() == 1
        dead = _delivery(app, delivery_id)
    assert (dead.status, dead.attempts, dead.last_status) == ("failed", 3, 500)
    assert "500" in dead.last_error and len(inbox.received) == 3


def test_retries_never_go_past_a_day_from_the_first_attempt(app, home, monkeypatch):
    with loopback_inbox(503) as inbox:
        delivery_id = _send(app, inbox.url)
        created = _delivery(app, delivery_id).created_at
        attempted_at = []
        for _ in range(20):
            due = _delivery(app, delivery_id)
            if due.status != "queued":
                break
            attempted_at.append(due.next_attempt_at)
            monkeypatch.setattr(tasks, "utcnow", lambda when=due.next_attempt_at: when)
            with app.app_context():
                tasks.queue_due_deliveries()
    dead = _delivery(app, delivery_id)
    assert dead.status == "failed" and len(inbox.received) == dead.attempts == 8
    waits = [later - earlier for earlier, later in zip(attempted_at, attempted_at[1:])]
    assert waits[:5] == list(tasks.BACKOFF[1:6]), "the wait grows"
    # The last try falls on the deadline, a day after the delivery was queued, and not after it.
    assert attempted_at[-1] == created + tasks.GIVE_UP_AFTER


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_a_refusal_fails_at_once(app, home, status):
    with loopback_inbox(status) as inbox:
        delivery_id = _send(app, inbox.url)
    delivery = _delivery(app, delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("failed", 1, status)
    assert delivery.next_attempt_at is None


@pytest.mark.parametrize("status", [408, 429, 502])
def test_a_timeout_a_rate_limit_or_a_gateway_error_is_tried_again(app, home, status):
    with loopback_inbox(status, 202) as inbox:
        delivery_id = _send(app, inbox.url)
        assert _delivery(app, delivery_id).status == "queued"
        with app.app_context():
            db.session.execute(sa.update(Delivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
            db.session.commit()
            assert tasks.queue_due_deliveries() == 1
    delivery = _delivery(app, delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("delivered", 2, 202)


def test_an_unreachable_server_is_tried_again_with_the_reason_kept(app, home):
    with loopback_inbox() as inbox:
        closed = inbox.url
    delivery_id = _send(app, closed)
    delivery = _delivery(app, delivery_id)
    assert (delivery.status, delivery.attempts, delivery.last_status) == ("queued", 1, None)
    assert delivery.last_error


def test_a_delivery_is_claimed_once_and_a_stopped_workers_claim_is_released(app, home, monkeypatch):
    from cop.federation import client

    monkeypatch.setattr(client, "post_activity", lambda *a, **k: 500)
    delivery_id = _send(app, "https://a.example/inbox")
    with app.app_context():
        db.session.execute(sa.update(Delivery).values(next_attempt_at=None))
        db.session.commit()
        assert tasks._claim(delivery_id) is True
        assert tasks._claim(delivery_id) is False, "a second worker must not take it"
        assert tasks.send_delivery(delivery_id) == "sending", "what another worker holds is left alone"

        # Claimed five minutes ago: still that worker's.
        db.session.execute(sa.update(Delivery).values(claimed_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
        assert tasks.queue_due_deliveries() == 0
        # Claimed past the timeout: the worker stopped; the sweep releases and sends it.
        monkeypatch.setattr(client, "post_activity", lambda *a, **k: 202)
        db.session.execute(sa.update(Delivery).values(claimed_at=utcnow() - tasks.CLAIM_TIMEOUT - timedelta(minutes=1)))
        db.session.commit()
        assert tasks.queue_due_deliveries() == 1
    assert _delivery(app, delivery_id).status == "delivered"


def test_a_delivery_the_queue_lost_is_sent_by_the_sweep(app, home, monkeypatch):
    from cop.federation import client

    sent = []
    monkeypatch.setattr(client, "post_activity", lambda inbox, payload, **k: sent.append(inbox) or 202)
    monkeypatch.setattr(outgoing, "deliver", lambda delivery_id: None)  # the queue drops it
    delivery_id = _send(app, "https://a.example/inbox")
    monkeypatch.undo()
    monkeypatch.setattr(client, "post_activity", lambda inbox, payload, **k: sent.append(inbox) or 202)
    with app.app_context():
        assert tasks.queue_due_deliveries() == 0, "just queued: not lost yet"
        db.session.execute(sa.update(Delivery).values(created_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
        assert tasks.queue_due_deliveries() == 1
    assert sent == ["https://a.example/inbox"] and _delivery(app, delivery_id).status == "delivered"


def test_a_blocked_server_is_not_sent_what_was_queued_before_the_block(app, home, monkeypatch):
    from cop.federation import client
    from cop.federation.models import BlockedDomain

    monkeypatch.setattr(client, "post_activity", lambda *a, **k: 503)
    delivery_id = _send(app, "https://a.example/inbox")
    monkeypatch.setattr(client, "post_activity", lambda *a, **k: pytest.fail("sent to a blocked server"))
    with app.app_context():
        db.session.add(BlockedDomain(domain="a.example"))
        db.session.execute(sa.update(Delivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
        tasks.queue_due_deliveries()
    assert _delivery(app, delivery_id).status == "failed"


def test_a_site_admin_tries_a_failed_delivery_again(app, home, make_user, monkeypatch):
    from cop.accounts.models import User
    from cop.federation import client

    monkeypatch.setattr(client, "post_activity", lambda *a, **k: 410)
    delivery_id = _send(app, "https://a.example/inbox")
    admin_id, member_id = make_user(role="site_admin"), make_user()
    monkeypatch.setattr(client, "post_activity", lambda *a, **k: 202)
    with app.app_context():
        with pytest.raises(PermissionDenied):
            tasks.retry_delivery(db.session.get(User, member_id), delivery_id)
        tasks.retry_delivery(db.session.get(User, admin_id), delivery_id)
        db.session.commit()
        again = db.session.get(Delivery, delivery_id)
        assert (again.status, again.attempts, again.last_status) == ("delivered", 1, 202)
        with pytest.raises(ServiceError, match="Only a failed delivery"):
            tasks.retry_delivery(db.session.get(User, admin_id), delivery_id)
