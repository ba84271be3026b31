"""Blocked domains: who may block, what a block covers, and the follows it ends."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.accounts.models import User
from cop.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.extensions import db
from cop.federation import blocks
from cop.federation.models import BlockedDomain, Follower, RemoteActor


@pytest.fixture()
def admin(app, make_user):
    return make_user(role="site_admin")


def block(app, user_id, domain: str, reason: str = "") -> str:
    with app.app_context():
        made = blocks.block_domain(db.session.get(User, user_id) if user_id else None, domain, reason)
        db.session.commit()
        return made.domain


def test_a_site_admin_blocks_a_domain_and_its_subdomains(app, admin) -> None:
    assert block(app, admin, "Spam.Example", "Harassment") == "spam.example"
    with app.app_context():
        for blocked in ["spam.example", "SPAM.example", "social.spam.example", "https://a.b.spam.example:8443/users/x",
                        "spam.example:8080", "spam.example."]:
            assert blocks.is_blocked(blocked), blocked
        for allowed in ["example", "notspam.example", "spam.example.org", "https://other.example/spam.example", ""]:
            assert not blocks.is_blocked(allowed), allowed
        (stored,) = blocks.blocked_domains()
        assert (stored.domain, stored.reason, stored.created_by_id) == ("spam.example", "Harassment", admin)


@pytest.mark.parametrize(("given", "stored"), [
    ("https://Social.Example.org/@someone", "social.example.org"),
    ("social.example.org:8443", "social.example.org"),
    ("bücher.example", "xn--bcher-kva.example"),
    ("  example.net  ", "example.net"),
    ("192.0.2.7", "192.0.2.7"),
])
def test_what_is_blocked_is_the_host_idna_encoded_and_lower_case(app, admin, given: str, stored: str) -> None:
    assert block(app, admin, given) == stored
    with app.app_context():
        assert blocks.is_blocked(f"https://{given.strip().split('://')[-1].split('/')[0]}/x")


def test_unicode_hosts_are_matched_in_either_spelling(app, admin) -> None:
    block(app, admin, "xn--bcher-kva.example")
    with app.app_context():
        assert blocks.is_blocked("https://www.bücher.example/actor")


@pytest.mark.parametrize("given", ["", "   ", "https://", "not a domain", "-bad-.example", "a..example", "x" * 64 + ".example", "under_score.example"])
def test_an_empty_or_invalid_domain_is_refused_on_its_field(app, admin, given: str) -> None:
    with pytest.raises(ServiceError) as caught:
        block(app, admin, given)
    assert caught.value.field == "domain"
    with app.app_context():
        assert blocks.blocked_domains() == []


def test_blocking_twice_or_inside_a_blocked_domain_is_a_conflict(app, admin) -> None:
    block(app, admin, "spam.example")
    with pytest.raises(Conflict, match="spam.example is already blocked"):
        block(app, admin, "https://SPAM.example/")
    with pytest.raises(Conflict, match="already blocked, as part of spam.example"):
        block(app, admin, "social.spam.example")
    with app.app_context():
        assert [b.domain for b in blocks.blocked_domains()] == ["spam.example"]


def test_an_overlong_reason_is_refused(app, admin) -> None:
    with pytest.raises(ServiceError) as caught:
        block(app, admin, "spam.example", "x" * 501)
    assert caught.value.field == "reason"


@pytest.mark.parametrize("role", ["member", "moderator", "agency_admin"])
def test_only_site_admins_block_and_unblock(app, make_user, admin, role: str) -> None:
    someone = make_user(role=role)
    with pytest.raises(PermissionDenied):
        block(app, someone, "spam.example")
    block(app, admin, "spam.example")
    with app.app_context():
        block_id = blocks.blocked_domains()[0].id
        with pytest.raises(PermissionDenied):
            blocks.unblock_domain(db.session.get(User, someone), block_id)
        assert blocks.is_blocked("spam.example")


@pytest.mark.parametrize("host", ["a_b.spam.example", "https://xn--a.spam.example/actor", "x" * 64 + ".spam.example"])
def test_a_host_no_domain_can_be_is_still_covered_by_the_block_above_it(app, admin, host: str) -> None:
    block(app, admin, "spam.example")
    with app.app_context():
        assert blocks.is_blocked(host)
        assert not blocks.is_blocked(host.replace("spam.example", "fine.example"))


def test_the_command_line_may_block(app) -> None:
    assert block(app, None, "spam.example") == "spam.example"


def test_unblocking_lifts_the_block(app, admin) -> None:
    block(app, admin, "spam.example")
    with app.app_context():
        block_id = blocks.blocked_domains()[0].id
        assert blocks.unblock_domain(db.session.get(User, admin), block_id) == "spam.example"
        db.session.commit()
        assert not blocks.is_blocked("spam.example")
        with pytest.raises(NotFound):
            blocks.unblock_domain(db.session.get(User, admin), block_id)


def test_blocking_removes_the_followers_on_that_domain_only(app, admin, make_agency) -> None:
    agency_id = make_agency("leeds")
    with app.app_context():
        for index, domain in enumerate(["spam.example", "social.spam.example:8443", "spam.example:8080", "fine.example", "notspam.example"]):
            actor = RemoteActor(uri=f"https://{domain}/users/{index}", domain=domain, inbox=f"https://{domain}/inbox")
            db.session.add(actor)
            db.session.flush()
            db.session.add(Follower(agency_id=agency_id, remote_actor_id=actor.id, follow_uri=f"https://{domain}/f/{index}",
                                    follow_activity={}, state="accepted"))
        db.session.commit()
    block(app, admin, "spam.example")
    with app.app_context():
        left = db.session.scalars(sa.select(RemoteActor.domain).join(Follower, Follower.remote_actor_id == RemoteActor.id)).all()
        assert sorted(left) == ["fine.example", "notspam.example"]
        # The actors themselves stay known; only their follows end.
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RemoteActor)) == 5
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BlockedDomain)) == 1
