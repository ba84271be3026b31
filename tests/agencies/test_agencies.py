"""Agencies: their pages, joining one, and what their admins do."""

import pytest
import sqlalchemy as sa

from cop.accounts import services as accounts
from cop.accounts.models import User
from cop.agencies import services
from cop.agencies.models import Agency, AgencyDomain, JoinRequest
from cop.errors import Conflict, PermissionDenied


def test_unknown_agency_is_404(client):
    response = client.get("/agencies/nowhere")
    assert response.status_code == 404
    assert "There is no agency at this address" in response.get_data(as_text=True)


def test_join_at_once_when_email_is_on_the_domain(client, db, make_agency, make_user, sign_in):
    make_agency("leeds", domains=["leeds.example"])
    user_id = make_user("jo@leeds.example")
    sign_in(user_id)
    response = client.post("/agencies/leeds/join", data={})
    assert response.status_code == 302
    assert db.session.get(User, user_id).agency.slug == "leeds"


def test_join_request_approved_by_agency_admin(app, client, db, make_agency, make_user, sign_in, outbox):
    make_agency("leeds", domains=["leeds.example"])
    admin_id = make_user("boss@leeds.example", role="agency_admin", agency="leeds")
    user_id = make_user("jo@gmail.example", name="Jo")
    sign_in(user_id)
    response = client.post("/agencies/leeds/join", data={"message": "I started last week"})
    assert response.status_code == 302
    assert db.session.get(User, user_id).agency is None
    [mail] = outbox()
    assert mail.recipient == "boss@leeds.example" and "I started last week" in mail.body

    # Asking twice is refused with a message on the agency's page (after a redirect, so a reload
    # sends nothing again), and stores nothing new.
    response = client.post("/agencies/leeds/join", data={}, follow_redirects=True)
    assert response.request.path == "/agencies/leeds"
    page = response.get_data(as_text=True)
    assert "govuk-error-summary" in page and "already asked" in page
    assert db.session.scalar(sa.select(sa.func.count(JoinRequest.id))) == 1

    request_id = db.session.scalar(sa.select(JoinRequest.id))
    # The person asking cannot approve themselves.
    assert client.post(f"/agencies/leeds/requests/{request_id}", data={"decision": "approve"}).status_code == 403

    sign_in(admin_id)
    assert "Jo" in client.get("/agencies/leeds/requests").get_data(as_text=True)
    response = client.post(f"/agencies/leeds/requests/{request_id}", data={"decision": "approve"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user_id).agency.slug == "leeds"
    assert outbox()[-1].recipient == "jo@gmail.example"
    response = client.post(f"/agencies/leeds/requests/{request_id}", data={"decision": "decline"}, follow_redirects=True)
    assert response.request.path == "/agencies/leeds/requests"
    assert "That request was already approved." in response.get_data(as_text=True)


def test_join_unknown_agency_is_404(client, as_user):
    as_user("member")
    response = client.post("/agencies/atlantis/join", data={})
    assert response.status_code == 404


def test_agency_admin_cannot_claim_a_domain_they_are_not_on(client, db, make_agency, make_user, sign_in):
    make_agency("leeds", domains=["leeds.example"])
    admin_id = make_user("boss@leeds.example", role="agency_admin", agency="leeds")
    sign_in(admin_id)
    data = {"name": "Leeds", "country": "GB", "level": "local", "website": "", "description": "", "domains": "leeds.example\ngov.example"}
    response = client.post("/agencies/leeds/edit", data=data)
    assert response.status_code == 403
    assert "You can only add gov.example if your own verified email address is on it" in response.get_data(as_text=True)
    db.session.expire_all()
    assert [d.domain for d in db.session.scalar(sa.select(Agency)).domains] == ["leeds.example"]

    data["domains"] = "leeds.example\nnot a domain"
    response = client.post("/agencies/leeds/edit", data=data)
    assert response.status_code == 400
    assert "is not an email domain" in response.get_data(as_text=True)


def test_domain_belongs_to_one_agency(app, db, make_agency):
    make_agency("leeds", domains=["leeds.example"])
    with pytest.raises(Conflict):
        services.create_agency(None, "leeds-two", "Leeds Two", "GB", "local", domains=["LEEDS.example"])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(AgencyDomain.id))) == 1


def test_roles_are_checked_in_services(db, make_agency, make_user):
    make_agency("leeds")
    make_agency("york")
    member = db.session.get(User, make_user())
    york_admin = db.session.get(User, make_user(role="agency_admin", agency="york"))
    moderator = db.session.get(User, make_user(role="moderator"))
    leeds = services.get_agency("leeds")
    for actor in (member, york_admin, moderator):
        with pytest.raises(PermissionDenied):
            services.create_agency(actor, "new", "New", "GB", "local")
        with pytest.raises(PermissionDenied):
            services.update_agency(actor, leeds, "Leeds", "GB", "local", "", "", [])
        with pytest.raises(PermissionDenied):
            accounts.set_site_role(actor, member.id, "site_admin")


def test_last_agency_admin_cannot_step_down(client, db, make_agency, make_user, sign_in):
    make_agency("leeds")
    admin_id = make_user(role="agency_admin", agency="leeds")
    sign_in(admin_id)
    response = client.post(f"/agencies/leeds/members/{admin_id}/admin", data={"make_admin": "no"})
    assert response.status_code == 302 and response.location.endswith("/agencies/leeds/requests")
    page = client.get(response.location).get_data(as_text=True)
    assert "govuk-error-summary" in page and "at least one admin" in page
    assert db.session.get(User, admin_id).is_agency_admin


def test_site_admin_creates_agency_with_bad_input_then_good(client, db, as_user):
    as_user("site_admin")
    bad = {"slug": "Leeds City", "name": "Leeds", "country": "GB", "level": "local", "domains": ""}
    response = client.post("/agencies/new", data=bad)
    assert response.status_code == 400
    assert "lower-case letters" in response.get_data(as_text=True)
    good = dict(bad, slug="leeds", domains="leeds.example, leeds2.example")
    assert client.post("/agencies/new", data=good).status_code == 302
    agency = services.get_agency("leeds")
    assert [d.domain for d in agency.domains] == ["leeds.example", "leeds2.example"]
    response = client.post("/agencies/new", data=good)
    assert response.status_code == 409


def test_agency_admin_manages_members(client, db, make_agency, make_user, sign_in):
    make_agency("leeds")
    admin_id = make_user(role="agency_admin", agency="leeds")
    member_id = make_user(name="Mo Member", agency="leeds")
    outsider_id = make_user(name="Out Sider")
    sign_in(admin_id)
    assert client.post(f"/agencies/leeds/members/{member_id}/admin", data={"make_admin": "yes"}).status_code == 302
    assert db.session.get(User, member_id).is_agency_admin
    response = client.post(f"/agencies/leeds/members/{outsider_id}/remove", data={}, follow_redirects=True)
    assert response.request.path == "/agencies/leeds/requests"
    assert "is not a member of this agency" in response.get_data(as_text=True)
    response = client.post(f"/agencies/leeds/members/{member_id}/remove", data={})
    assert response.status_code == 302
    db.session.expire_all()
    member = db.session.get(User, member_id)
    assert member.agency is None and not member.is_agency_admin


def test_agency_people_are_paginated(client, make_agency, make_user):
    make_agency("leeds", name="Leeds City Council")
    make_user(name="Ada Admin", role="agency_admin", agency="leeds")
    for i in range(22):
        make_user(name=f"Member {i:02}", agency="leeds")
    first = client.get("/agencies/leeds").get_data(as_text=True)
    assert "People (23)" in first
    assert "Ada Admin" in first and "Member 00" in first and "Member 21" not in first
    assert 'href="/agencies/leeds?page=2"' in first
    second = client.get("/agencies/leeds?page=2").get_data(as_text=True)
    assert "Member 21" in second and "Ada Admin" not in second


def test_agency_list_counts_active_people(client, make_agency, make_user):
    make_agency("leeds", name="Leeds City Council")
    make_agency("york", name="York Council")
    make_user(agency="leeds")
    make_user(agency="leeds")
    make_user(agency="leeds", is_active=False)
    page = client.get("/agencies").get_data(as_text=True)
    assert "2 agencies" in page
    leeds_row = page[page.index("Leeds City Council"):page.index("York Council")]
    assert "2 members." in leeds_row
    york_row = page[page.index("York Council"):]
    assert "0 members." in york_row


def test_every_refused_action_ends_on_a_page_that_reload_does_not_resend(client, db, make_agency, make_user, sign_in):
    """A refusal is shown on the page the button was on, reached by a redirect."""
    make_agency("leeds")
    member_id = make_user(agency="leeds")
    sign_in(member_id)
    response = client.post("/agencies/leeds/join", data={})
    assert response.status_code == 302 and response.location.endswith("/agencies/leeds")
    page = client.get(response.location).get_data(as_text=True)
    assert "You are already a member of Leeds." in page
    # Shown once: the next visit is clean.
    assert "already a member" not in client.get("/agencies/leeds").get_data(as_text=True)


def test_a_refused_role_change_returns_to_the_same_list(client, db, as_user, make_user):
    admin_id = as_user("site_admin")
    response = client.post(f"/admin/users/{admin_id}/role?next=/admin/users%3Fq%3Dsid", data={"role": "member"})
    assert response.status_code == 302 and response.location.endswith("/admin/users?q=sid")
    page = client.get(response.location).get_data(as_text=True)
    assert "You cannot remove your own site admin role" in page
    # Somewhere else entirely is never where it goes back to.
    response = client.post(f"/admin/users/{admin_id}/role?next=https://evil.example/", data={"role": "member"})
    assert response.location.endswith("/admin/users")


def test_an_agency_page_says_which_addresses_join_at_once(client, make_agency):
    make_agency("leeds", name="Leeds City Council", domains=["leeds.example", "leeds.gov.example", "leedslibraries.example"])
    make_agency("york", name="York Council")
    page = client.get("/agencies/leeds").get_data(as_text=True)
    assert (
        "ends in\n      <strong>@leeds.example</strong>, <strong>@leeds.gov.example</strong> or "
        "<strong>@leedslibraries.example</strong>\n      becomes a member of Leeds City Council at once."
    ) in page
    assert "has no email domains here yet" in client.get("/agencies/york").get_data(as_text=True)
