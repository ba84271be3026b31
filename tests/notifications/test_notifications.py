"""Notices in the site, the header's unread count, and each person's choice of which also come by email."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.accounts.models import User
from cop.notifications import services
from cop.notifications.models import Notification


@pytest.fixture()
def leeds(make_agency, make_user):
    make_agency("leeds", name="Leeds City Council")
    admin_id = make_user("boss@leeds.example", name="Bo Boss", role="agency_admin", agency="leeds")
    asker_id = make_user("jo@elsewhere.example", name="Jo Asker")
    return admin_id, asker_id


def test_a_join_request_reaches_the_admin_in_the_site_and_by_email(client, db, leeds, sign_in, outbox):
    admin_id, asker_id = leeds
    sign_in(asker_id)
    client.post("/agencies/leeds/join", data={"message": "New in comms"})
    [mail] = outbox()
    assert mail.recipient == "boss@leeds.example" and "New in comms" in mail.body
    assert "http://cop.test/account/notifications" in mail.body, "every notice email says how to stop it"

    sign_in(admin_id)
    home = client.get("/").get_data(as_text=True)
    assert '>1<span class="govuk-visually-hidden"> unread</span>' in home
    page = client.get("/notifications").get_data(as_text=True)
    assert "Jo Asker asks to join Leeds City Council" in page and "You have 1 unread notice." in page
    notice_id = db.session.scalar(sa.select(Notification.id))
    response = client.get(f"/notifications/{notice_id}")
    assert response.status_code == 302 and response.location == "/agencies/leeds/requests"
    db.session.expire_all()
    assert db.session.get(Notification, notice_id).is_read
    assert "unread</span>" not in client.get("/").get_data(as_text=True)


def test_a_notice_is_its_owner_s_alone(client, db, leeds, sign_in):
    admin_id, asker_id = leeds
    notice = services.notify(db.session.get(User, admin_id), "join_request", "Private", "/agencies/leeds/requests")
    db.session.commit()
    sign_in(asker_id)
    assert client.get(f"/notifications/{notice.id}").status_code == 404
    db.session.expire_all()
    assert not db.session.get(Notification, notice.id).is_read
    assert "Private" not in client.get("/notifications").get_data(as_text=True)


def test_choosing_no_email_keeps_the_notice_and_stops_the_mail(client, db, leeds, sign_in, outbox):
    admin_id, asker_id = leeds
    sign_in(admin_id)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Someone asks to join an agency you are an admin of" in page and "checked" in page
    response = client.post("/account/notifications", data={"by_mail": ["join_decision"]})
    assert response.status_code == 302
    assert services.mail_choices(db.session.get(User, admin_id))["join_request"] is False

    sign_in(asker_id)
    client.post("/agencies/leeds/join", data={})
    assert outbox() == []
    assert db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.user_id == admin_id)) == 1


def test_unknown_kinds_are_refused(client, db, as_user):
    user_id = as_user("member")
    response = client.post("/account/notifications", data={"by_mail": ["nonsense"]})
    assert response.status_code == 400 and "Choose from the kinds of notice listed." in response.get_data(as_text=True)
    with pytest.raises(ValueError):
        services.notify(db.session.get(User, user_id), "nonsense", "Hi", "/")


def test_mark_all_read(client, db, as_user):
    user_id = as_user("member")
    user = db.session.get(User, user_id)
    for i in range(3):
        services.notify(user, "join_decision", f"Notice {i}", "/")
    db.session.commit()
    response = client.post("/notifications/read", follow_redirects=True)
    assert "3 notices marked as read." in response.get_data(as_text=True)
    assert services.unread_count(user) == 0
    assert "You had no unread notices." in client.post("/notifications/read", follow_redirects=True).get_data(as_text=True)


def test_a_decision_reaches_the_person_who_asked(client, db, leeds, sign_in, outbox):
    admin_id, asker_id = leeds
    sign_in(asker_id)
    client.post("/agencies/leeds/join", data={})
    request_id = db.session.scalar(sa.text("SELECT id FROM join_requests"))
    sign_in(admin_id)
    client.post(f"/agencies/leeds/requests/{request_id}", data={"decision": "approve"})
    notice = db.session.scalar(sa.select(Notification).where(Notification.user_id == asker_id))
    assert notice.title == "Your request to join Leeds City Council was approved" and notice.link == "/agencies/leeds"
    assert "You are now a member." in outbox()[-1].body


def test_the_header_count_comes_with_the_sign_in_and_costs_no_statement_of_its_own(app, client, db, leeds, sign_in):
    from tests.test_queries import counting_queries

    admin_id, _asker_id = leeds
    admin = db.session.get(User, admin_id)
    for n in range(3):
        services.notify(admin, "join_request", f"Notice {n}", "/agencies/leeds/requests")
    db.session.commit()
    sign_in(admin_id)
    with counting_queries(app) as statements:
        home = client.get("/").get_data(as_text=True)
    assert '>3<span class="govuk-visually-hidden"> unread</span>' in home
    counts = [s for s in statements if "count(notifications.id)" in s]
    assert len(counts) == 1 and "user_sessions" in counts[0], "the count is a part of the sign-in's one query"

    # Read one: the next page counts afresh.
    client.get(f"/notifications/{db.session.scalar(sa.select(Notification.id).limit(1))}")
    assert '>2<span class="govuk-visually-hidden"> unread</span>' in client.get("/").get_data(as_text=True)
