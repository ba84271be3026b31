"""Registration, verification, sign-in, reset and password change, through the pages."""

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from cop.accounts.models import User
from tests.conftest import PASSWORD

NEW_PASSWORD = "lantern-orchard-velvet-81"


def link_in(message) -> str:
    """The path of the first link in an outbox message."""
    match = re.search(r"http://cop\.test(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def count_users(app) -> int:
    from cop.extensions import db

    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(User.id)))


def register(client, email="jo@example.org", password=NEW_PASSWORD, confirm=None, name="Jo Bloggs"):
    return client.post(
        "/auth/register",
        data={"display_name": name, "email": email, "password": password, "confirm": confirm or password},
    )


def test_register_verify_and_sign_in(app, client, outbox, make_agency):
    make_agency("leeds", domains=["leeds.example"])
    response = register(client, email="Jo@Leeds.example")
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)

    # Not verified yet: sign-in is refused with a way to get a new link.
    response = client.post("/auth/login", data={"email": "jo@leeds.example", "password": NEW_PASSWORD})
    assert response.status_code == 400
    assert "Confirm your email address first" in response.get_data(as_text=True)

    [message] = outbox()
    assert message.recipient == "jo@leeds.example"
    assert message.status == "stored"
    response = client.get(link_in(message))
    assert response.status_code == 302
    response = client.get(response.location)
    assert "you are now a member of Leeds" in response.get_data(as_text=True)

    response = client.post("/auth/login", data={"email": "jo@leeds.example", "password": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200


@pytest.mark.parametrize(
    "fields, status, message",
    [
        ({"password": "short-pw", "confirm": "short-pw"}, 400, "12 to 128 characters"),
        ({"password": "Password1234", "confirm": "Password1234"}, 400, "most commonly used"),
        ({"password": "aaaaaaaaaaaaaaaa", "confirm": "aaaaaaaaaaaaaaaa"}, 400, "too easy to guess"),
        ({"confirm": "lantern-orchard-velvet-82"}, 400, "The passwords do not match"),
        ({"email": "not-an-address"}, 400, "Enter an email address in the correct format"),
        ({"display_name": ""}, 400, "Enter the name other members will see"),
    ],
)
def test_register_bad_input_stores_nothing(app, client, outbox, fields, status, message):
    data = {"display_name": "Jo", "email": "jo@example.org", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, **fields}
    response = client.post("/auth/register", data=data)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page
    assert "govuk-error-summary" in page
    assert count_users(app) == 0
    assert outbox() == []


def test_registering_an_address_with_an_account_answers_as_for_a_new_one(app, client, make_user, outbox):
    make_user("jo@example.org", name="Jo Existing")
    existing = register(client, email="JO@example.org")
    fresh = register(client, email="someone.new@example.org", name="Jo Bloggs")
    assert existing.status_code == fresh.status_code == 200
    # The page is the same but for the address it names.
    assert existing.get_data(as_text=True).replace("jo@example.org", "X") == fresh.get_data(as_text=True).replace(
        "someone.new@example.org", "X"
    )
    assert count_users(app) == 2
    to_owner, to_newcomer = outbox()
    assert to_owner.recipient == "jo@example.org" and to_owner.subject == "You already have an account on cop"
    assert "Jo Existing" in to_owner.body and "http://cop.test/auth/reset" in to_owner.body
    assert to_newcomer.subject == "Confirm your email address for cop"


def test_registering_an_unconfirmed_address_again_sends_a_new_link(app, client, outbox):
    register(client)
    register(client, password="another-lantern-velvet-82")
    first, second = outbox()
    assert first.subject == second.subject == "Confirm your email address for cop"
    assert count_users(app) == 1


def test_one_address_registered_many_times_at_once_makes_one_account(app, outbox):
    from concurrent.futures import ThreadPoolExecutor

    app.config["MAIL_FORM_RATE_LIMIT"] = "100 per minute"

    def attempt(_: int) -> int:
        return register(app.test_client(), email="race@example.org").status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(8)))
    assert statuses == [200] * 8
    assert count_users(app) == 1
    assert len(outbox()) == 8, "the first gets a confirmation link, the others the same again"


def test_password_may_be_long(client, app):
    long_password = "correct horse battery staple " * 4  # 116 characters
    assert register(client, password=long_password).status_code == 200
    assert count_users(app) == 1


def test_tampered_and_expired_verification_links(app, client, outbox, monkeypatch):
    register(client)
    path = link_in(outbox()[0])
    tampered = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    response = client.get(tampered)
    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)

    app.config["EMAIL_VERIFY_MAX_AGE"] = -1
    response = client.get(path)
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)
    with app.app_context():
        from cop.extensions import db

        assert db.session.scalar(sa.select(User.email_verified_at)) is None


def test_resend_verification(client, outbox):
    register(client)
    response = client.post("/auth/verify", data={"email": "jo@example.org"})
    assert response.status_code == 200
    assert len(outbox()) == 2
    # Unknown address: the same answer, no mail.
    client.post("/auth/verify", data={"email": "nobody@example.org"})
    assert len(outbox()) == 2


def test_wrong_password_and_unknown_email_say_the_same(client, make_user):
    make_user("jo@example.org")
    for email, password in (("jo@example.org", "not-the-password-1"), ("nobody@example.org", PASSWORD)):
        response = client.post("/auth/login", data={"email": email, "password": password})
        assert response.status_code == 400
        assert "The email address or password is not right" in response.get_data(as_text=True)


def test_sign_in_and_out(client, make_user):
    make_user("jo@example.org", name="Jo")
    response = client.post("/auth/login", data={"email": "jo@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert "Signed in as Jo" in client.get("/").get_data(as_text=True)
    client.post("/auth/logout")
    assert client.get("/profile").status_code == 302


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/people", "/people"),
        ("https://evil.example/steal", "/"),
        ("//evil.example/steal", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_goes_to_this_site(client, make_user, target, expected):
    make_user("jo@example.org")
    response = client.post("/auth/login", query_string={"next": target}, data={"email": "jo@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response.location == expected


def test_remember_me_cookie_is_bounded_and_protected(app, client, make_user):
    make_user("jo@example.org")
    response = client.post("/auth/login", data={"email": "jo@example.org", "password": PASSWORD, "remember": "y"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("cop_remember="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie
    assert app.config["REMEMBER_COOKIE_DURATION"] == timedelta(days=30)


def test_sign_in_is_rate_limited(client, make_user):
    make_user("jo@example.org")
    statuses = [
        client.post("/auth/login", data={"email": "jo@example.org", "password": f"wrong-password-{i}"}).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    # Even the right password is refused until the window passes.
    response = client.post("/auth/login", data={"email": "jo@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_forms_that_send_mail_are_rate_limited(client, make_user, outbox):
    make_user("jo@example.org")
    statuses = [client.post("/auth/reset", data={"email": "jo@example.org"}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert len(outbox()) == 5


def test_password_reset_is_single_use(app, client, make_user, outbox):
    make_user("jo@example.org")
    response = client.post("/auth/reset", data={"email": "jo@example.org"})
    assert response.status_code == 200
    client.post("/auth/reset", data={"email": "nobody@example.org"})  # same page, no mail
    [message] = outbox()
    path = link_in(message)

    response = client.post(path, data={"password": "short", "confirm": "short"})
    assert response.status_code == 400
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302

    response = client.get(path)
    assert response.status_code == 400
    assert "already been used" in response.get_data(as_text=True)
    assert client.post("/auth/login", data={"email": "jo@example.org", "password": PASSWORD}).status_code == 400
    assert client.post("/auth/login", data={"email": "jo@example.org", "password": NEW_PASSWORD}).status_code == 302


def test_password_reset_link_expires(app, client, make_user, outbox):
    make_user("jo@example.org")
    client.post("/auth/reset", data={"email": "jo@example.org"})
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    response = client.get(link_in(outbox()[0]))
    assert response.status_code == 400
    assert "This link has expired" in response.get_data(as_text=True)


def test_changing_password_ends_other_sessions(app, make_user):
    make_user("jo@example.org")
    here, elsewhere = app.test_client(), app.test_client()
    for c in (here, elsewhere):
        assert c.post("/auth/login", data={"email": "jo@example.org", "password": PASSWORD, "remember": "y"}).status_code == 302
    assert elsewhere.get("/profile").status_code == 200

    response = here.post("/auth/password", data={"current_password": "wrong-current-pw", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert "current password is not right" in response.get_data(as_text=True)

    response = here.post("/auth/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert here.get("/profile").status_code == 200
    # The other browser's session and its remember-me cookie both stop working.
    response = elsewhere.get("/profile")
    assert response.status_code == 302
    assert response.location.startswith("/auth/login")


def test_signing_out_ends_that_sign_in_for_good_even_for_copied_cookies(app, make_user):
    make_user("jo@example.org")
    browser, other_device = app.test_client(), app.test_client()
    browser.post("/auth/login", data={"email": "jo@example.org", "password": PASSWORD, "remember": "y"})
    other_device.post("/auth/login", data={"email": "jo@example.org", "password": PASSWORD})
    session_cookie, remember_cookie = browser.get_cookie("cop_session"), browser.get_cookie("cop_remember")
    assert session_cookie and remember_cookie

    assert browser.post("/auth/logout").status_code == 302
    for name, cookie in (("cop_session", session_cookie), ("cop_remember", remember_cookie)):
        thief = app.test_client()
        thief.set_cookie(name, cookie.value)
        response = thief.get("/profile")
        assert response.status_code == 302 and response.location.startswith("/auth/login"), f"a copied {name} still opens /profile"
    assert other_device.get("/profile").status_code == 200, "signing out on one browser leaves the others signed in"


def test_a_sign_in_keeps_only_a_hash_of_its_token(app, client, make_user):
    from cop.accounts.models import UserSession
    from cop.extensions import db

    make_user("jo@example.org")
    client.post("/auth/login", data={"email": "jo@example.org", "password": PASSWORD})
    with app.app_context():
        [sign_in] = db.session.scalars(sa.select(UserSession)).all()
        token = client.get_cookie("cop_session").value
        assert sign_in.token_hash not in token and len(sign_in.token_hash) == 64


@pytest.mark.csrf
def test_forms_refuse_posts_without_csrf_token(app, client, make_user):
    response = client.post("/auth/register", data={"display_name": "Jo", "email": "jo@example.org", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert "Your form had expired" in response.get_data(as_text=True)
    assert count_users(app) == 0


@pytest.mark.csrf
def test_a_form_posts_the_token_its_page_gave_and_a_changed_token_is_refused(app, client, make_user):
    page = client.get("/auth/register").get_data(as_text=True)
    tokens = re.findall(r'<input type="hidden" name="csrf_token" value="([^"]+)">', page)
    # A visitor has no sign-out form: the one token on the page is the register form's.
    assert len(tokens) == 1
    data = {"display_name": "Jo", "email": "jo@example.org", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    refused = client.post("/auth/register", data={**data, "csrf_token": tokens[0][:-2] + "xx"})
    assert refused.status_code == 400 and "Your form had expired" in refused.get_data(as_text=True)
    assert count_users(app) == 0
    accepted = client.post("/auth/register", data={**data, "csrf_token": tokens[0]})
    assert accepted.status_code == 200 and "Check your email" in accepted.get_data(as_text=True)
    assert count_users(app) == 1


def test_a_new_member_is_led_to_their_profile_with_a_time_zone_suggested(app, client, outbox, make_agency, make_user):
    make_agency("cardiff", name="Cardiff Council", domains=["cardiff.example"], country="GB")
    register(client, email="new@cardiff.example", name="Nia New")
    response = client.get(link_in(outbox()[0]))
    assert response.location.endswith("/auth/login?next=/profile")
    response = client.post(response.location, data={"email": "new@cardiff.example", "password": NEW_PASSWORD})
    assert response.location.endswith("/profile")
    page = html.unescape(client.get("/profile").get_data(as_text=True))
    assert "Your profile is missing" in page and "your job title" in page and "your experience level" in page
    assert "you are not listed on People" in page
    assert '<option value="Europe/London" selected>' in page
    assert "Suggested from Cardiff Council's country, United Kingdom." in page
    assert '<option value="GB" selected>' in page
    # Nobody sees an empty profile listed yet.
    assert "Nia New" not in client.get("/people").get_data(as_text=True)
    assert "Nia New" not in client.get("/").get_data(as_text=True)


def test_the_suggested_time_zone_follows_the_agency_s_members(app, client, make_agency, make_user, sign_in):
    make_agency("sydney", name="Sydney Council", country="AU")
    for _ in range(2):
        make_user(agency="sydney", time_zone="Australia/Sydney")
    make_user(agency="sydney", time_zone="Australia/Perth")
    newcomer = make_user(agency="sydney", level=None, job_title="")
    sign_in(newcomer)
    page = html.unescape(client.get("/profile").get_data(as_text=True))
    assert '<option value="Australia/Sydney" selected>' in page
    assert "most of Sydney Council's members use it" in page


def test_signing_in_with_a_filled_profile_goes_home(client, make_user):
    make_user("jo@example.org")
    response = client.post("/auth/login", data={"email": "jo@example.org", "password": PASSWORD})
    assert response.location.endswith("/")
