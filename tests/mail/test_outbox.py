"""Mail: the outbox by default, SMTP when configured, retries, and the queue's own storage."""

import smtplib

import pytest
import sqlalchemy as sa

from cop.extensions import tasks
from cop.mail import services
from cop.mail.models import OutboxMessage


class FakeSMTP:
    """Stands in for smtplib.SMTP; records what would have been sent."""

    sent: list = []
    fail_with: Exception | None = None

    def __init__(self, host, port, timeout=None):
        self.host, self.port = host, port

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        if FakeSMTP.fail_with is not None:
            raise FakeSMTP.fail_with
        FakeSMTP.sent.append(message)


@pytest.fixture()
def fake_smtp(monkeypatch, app):
    FakeSMTP.sent = []
    FakeSMTP.fail_with = None
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app.config["MAIL_SERVER"] = "smtp.test"
    return FakeSMTP


def test_without_smtp_mail_is_kept_in_the_outbox(db, outbox):
    services.send_mail("jo@example.org", "Hello", "Body text")
    assert outbox() == []  # nothing is delivered before the transaction commits
    db.session.commit()
    [message] = outbox()
    assert (message.status, message.attempts, message.body) == ("stored", 1, "Body text")


def test_rollback_sends_nothing(db, outbox):
    services.send_mail("jo@example.org", "Hello", "Body text")
    db.session.rollback()
    db.session.commit()
    assert outbox() == []


def test_smtp_delivery_and_the_body_is_not_kept(db, outbox, fake_smtp):
    services.send_mail("jo@example.org", "Hello", "Secret link")
    db.session.commit()
    [message] = outbox()
    assert message.status == "sent" and message.body == ""
    [sent] = fake_smtp.sent
    assert sent["To"] == "jo@example.org" and "Secret link" in sent.get_content()


def make_due(db, message_id: int) -> None:
    """As if the backoff before a message's next attempt had passed."""
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == message_id).values(next_attempt_at=None))
    db.session.commit()


def test_smtp_failure_is_retried_then_kept_as_failed(db, outbox, fake_smtp):
    fake_smtp.fail_with = smtplib.SMTPServerDisconnected("connection lost")
    message = services.send_mail("jo@example.org", "Hello", "Body")
    db.session.commit()
    message_id = message.id
    # Each call is one attempt, as the worker makes it on each retry once the backoff has passed.
    for _attempt in range(2, services.MAX_ATTEMPTS):
        make_due(db, message_id)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            services.deliver(message_id)
    make_due(db, message_id)
    assert services.deliver(message_id) == "failed"
    [stored] = outbox()
    assert stored.status == "failed" and stored.attempts == services.MAX_ATTEMPTS
    assert "connection lost" in stored.last_error
    assert stored.body == "Body"  # kept so an admin can see what did not go
    # Running the task again changes nothing.
    assert services.deliver(message_id) == "failed"


def test_queue_round_trip_through_its_real_storage(app, db, outbox):
    """With the queue not eager, a message waits in SQLite (or Redis) until a worker runs it."""
    tasks._immediate = False
    tasks.storage = tasks.create_storage()
    tasks.flush()
    try:
        services.send_mail("jo@example.org", "Queued", "Body")
        db.session.commit()
        assert tasks.pending_count() == 1
        assert outbox()[0].status == "queued"
        task = tasks.dequeue()
        tasks.execute(task)
        assert outbox()[0].status == "stored"
        assert tasks.pending_count() == 0
    finally:
        tasks.flush()
        tasks._immediate = True
        tasks.storage = tasks.create_storage()


def test_queue_storage_follows_configuration(app):
    expected = "RedisStorage" if app.config["REDIS_URL"] else "SqliteStorage"
    assert tasks.storage_class.__name__ == expected
    if not app.config["REDIS_URL"]:
        assert tasks.storage_kwargs["filename"].startswith(app.instance_path)


def test_outbox_pages_are_for_site_admins(client, db, as_user):
    services.send_mail("jo@example.org", "Confirm your email", "Follow http://cop.test/auth/verify/abc")
    db.session.commit()
    as_user("site_admin")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Confirm your email" in page and "jo@example.org" in page
    message_id = db.session.scalar(sa.select(OutboxMessage.id))
    page = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert 'href="http://cop.test/auth/verify/abc"' in page
    assert client.get("/admin/outbox/9999").status_code == 404


def test_a_message_the_queue_lost_is_queued_again(db, outbox, monkeypatch):
    """If queueing fails after the commit, the row stays 'queued' and the sweep delivers it later."""
    from datetime import timedelta

    import cop.mail.tasks

    def queue_down(message_id):
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(cop.mail.tasks, "deliver_message", queue_down)
    services.send_mail("jo@example.org", "Hello", "Body")
    db.session.commit()  # the commit stands even though queueing failed
    [message] = outbox()
    assert message.status == "queued"

    monkeypatch.undo()
    assert services.requeue_stale(timedelta(minutes=10)) == 0  # too fresh to be called lost
    assert services.requeue_stale(timedelta(seconds=-1)) == 1
    assert outbox()[0].status == "stored"
    assert services.requeue_stale(timedelta(seconds=-1)) == 0


def test_the_sweep_runs_every_minute():
    from datetime import datetime

    from cop.extensions import tasks
    from cop.mail.tasks import requeue_stale_mail

    due = {type(task) for task in tasks.read_periodic(datetime(2026, 1, 1, 9, 7))}
    assert requeue_stale_mail.task_class in due


def test_a_message_waiting_for_its_retry_is_not_queued_again_early(db, outbox, fake_smtp):
    from datetime import timedelta

    fake_smtp.fail_with = smtplib.SMTPServerDisconnected("down")
    services.send_mail("jo@example.org", "Hello", "Body")
    db.session.commit()  # the first attempt fails; the retry is due in RETRY_DELAY seconds
    [message] = outbox()
    assert message.status == "queued" and message.next_attempt_at > message.created_at
    assert services.requeue_stale(timedelta(seconds=30)) == 0
    fake_smtp.fail_with = None
    assert services.deliver(message.id) == "queued", "too early: the retry is not due yet"
    assert fake_smtp.sent == []


def test_two_deliveries_at_once_send_once(app, db, outbox, fake_smtp, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    import cop.mail.tasks

    monkeypatch.setattr(cop.mail.tasks, "deliver_message", lambda message_id: None)  # queued, not yet run
    message = services.send_mail("jo@example.org", "Once", "Body")
    db.session.commit()
    message_id = message.id

    def deliver(_: int) -> str:
        with app.app_context():
            return services.deliver(message_id)

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(deliver, range(4)))
    assert len(fake_smtp.sent) == 1
    assert outcomes.count("sent") >= 1 and set(outcomes) <= {"sent", "sending"}


def test_a_claim_left_by_a_stopped_worker_is_released(db, outbox, monkeypatch):
    from datetime import timedelta

    import cop.mail.tasks
    from cop.clock import utcnow

    monkeypatch.setattr(cop.mail.tasks, "deliver_message", lambda message_id: None)
    services.send_mail("jo@example.org", "Hello", "Body")
    db.session.commit()
    db.session.execute(sa.update(OutboxMessage).values(status="sending", claimed_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    monkeypatch.undo()
    assert services.requeue_stale(timedelta(seconds=30)) == 0, "a worker may still be sending it"
    db.session.execute(sa.update(OutboxMessage).values(claimed_at=utcnow() - services.CLAIM_TIMEOUT - timedelta(minutes=1)))
    db.session.commit()
    assert services.requeue_stale(timedelta(seconds=30)) == 1
    assert outbox()[0].status == "stored"


def test_mail_is_rendered_outside_a_request(app, db, make_user, outbox):
    """Tasks and commands send mail with no request behind them."""
    from cop.accounts.models import User
    from cop.accounts.services import send_verification

    send_verification(db.session.get(User, make_user("jo@example.org", verified=False)))
    db.session.commit()
    [message] = outbox()
    assert "http://cop.test/auth/verify/" in message.body


def test_outbox_words_each_status_one_way_and_counts_in_plain_english(app, client, db, as_user):
    from cop.mail.models import STATUS_LABELS
    from cop.mail.services import send_mail

    as_user("site_admin")
    send_mail("one@example.org", "Only one", "Body")
    db.session.commit()
    listing = client.get("/admin/outbox").get_data(as_text=True)
    assert "1 message<" in listing and "1 messages" not in listing
    assert STATUS_LABELS["stored"] in listing and ">stored<" not in listing
    message_id = db.session.scalar(sa.select(OutboxMessage.id))
    page = client.get(f"/admin/outbox/{message_id}").get_data(as_text=True)
    assert STATUS_LABELS["stored"] in page, "the message page uses the list's word for its status"
    send_mail("two@example.org", "Another", "Body")
    db.session.commit()
    assert "2 messages" in client.get("/admin/outbox").get_data(as_text=True)
    assert "No messages with the status “Failed”." in client.get("/admin/outbox?status=failed").get_data(as_text=True)


def test_a_failed_queueing_is_logged_with_the_task_s_name(db, outbox, monkeypatch, caplog):
    def queue_down(task):
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(tasks, "enqueue", queue_down)
    services.send_mail("jo@example.org", "Hello", "Body")
    db.session.commit()
    [record] = [r for r in caplog.records if "could not queue" in r.getMessage()]
    assert record.getMessage().startswith("could not queue deliver_message(")


def test_text_attachments_go_with_the_mail_and_are_dropped_once_sent(db, outbox, fake_smtp):
    calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    services.send_mail("jo@example.org", "Your place", "See you there.",
                       [{"filename": "camp.ics", "content_type": "text/calendar", "content": calendar}])
    db.session.commit()
    [sent] = fake_smtp.sent
    [part] = list(sent.iter_attachments())
    assert part.get_content_type() == "text/calendar" and part.get_filename() == "camp.ics"
    assert part.get_param("method") == "PUBLISH" and part.get_content().replace("\n", "\r\n").startswith("BEGIN:VCALENDAR")
    [message] = outbox()
    assert message.status == "sent" and message.attachments == []
