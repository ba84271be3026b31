"""Federation in real Chromium: a visitor finds the handle to follow an agency from Mastodon; the agency's admin
follows (or fails to follow) agencies elsewhere and approves followers by hand; what another server published is
read here with its origin; a site admin blocks a server and unblocks it. axe-core checks every page, and nothing
leaves the machine."""

from __future__ import annotations

import re
import socket
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import open_sign_in, sign_in

pytestmark = pytest.mark.browser

REMOTE_ACTOR = "https://mobilizon.example/@digital_team"
REMOTE_AGENCY = "digital_team@mobilizon.example"
ARTICLE = "https://mobilizon.example/articles/flood-alerts"
ARTICLE_TITLE = "Flood alerts by text message"
EVENT = "https://mobilizon.example/events/6c8d1e"
EVENT_TITLE = "Govcamp North"
# Loopback in every form a URL gives it; anything else a page asks for is refused and remembered.
OFF_MACHINE = re.compile(r"^(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost|\[::1\])[:/])[a-z]+://")


def stay_on_this_machine(page: Page) -> list[str]:
    """Refuse every request the page's browser context makes off the machine; the list of those refused."""
    refused: list[str] = []

    def refuse(route) -> None:
        refused.append(route.request.url)
        route.abort()

    page.context.route(OFF_MACHINE, refuse)
    return refused


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def expect_field_error(page: Page, label: str, message: str) -> None:
    """The error summary has focus and names the problem, linked to the field, which shows it too."""
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error: "))
    link = summary.get_by_role("link", name=re.compile(re.escape(message)))
    expect(link).to_be_visible()
    control = page.get_by_label(label)
    expect(link).to_have_attribute("href", f"#{control.get_attribute('id')}")
    expect(control).to_have_accessible_description(re.compile(re.escape(message)))


def test_an_agency_is_found_from_mastodon_and_its_admin_follows_and_approves_followers(page: Page, other_browser, axe_check,
                                                                                      leeds, leeds_admin, base_url):
    handle = f"{leeds.slug}@{urlsplit(base_url).netloc}"

    # ------------------------------------------------------------ a visitor finds the handle
    visitor = other_browser()
    refused = stay_on_this_machine(visitor)
    visitor.goto(f"/agencies/{leeds.slug}")
    section = visitor.get_by_role("heading", name="Follow from another server", level=2)
    expect(section).to_be_visible()
    expect(visitor.get_by_text(handle, exact=True)).to_be_visible()
    axe_check(visitor)
    visitor.get_by_role("link", name=f"Following {leeds.name} from other servers").click()
    expect(visitor).to_have_url(re.compile(rf"/agencies/{leeds.slug}/federation$"))
    expect(visitor.get_by_role("heading", name="On other servers", level=1)).to_be_visible()
    expect(visitor.get_by_text(handle, exact=True)).to_be_visible()
    expect(visitor.get_by_text(f"{base_url}/agencies/{leeds.slug}")).to_be_visible()
    # A visitor sees the counts, not the admin's forms.
    expect(visitor.get_by_role("button", name="Follow")).to_have_count(0)
    expect(visitor.get_by_label("Approve each new follower by hand")).to_have_count(0)
    axe_check(visitor)

    # ------------------------------------------------------------ its admin tries to follow an agency elsewhere
    refused += stay_on_this_machine(page)
    open_sign_in(page, axe_check)
    sign_in(page, leeds_admin, axe_check)
    page.goto(f"/agencies/{leeds.slug}/federation")
    expect(page.get_by_role("heading", name="Followers (0)", level=2)).to_be_visible()
    expect(page.get_by_text(f"{leeds.name} does not follow anyone on another server yet.")).to_be_visible()
    axe_check(page)
    field = "Handle or address of the agency to follow"

    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/federation/follow")) as posted:
        page.get_by_role("button", name="Follow", exact=True).click()
    assert posted.value.status == 400
    expect_field_error(page, field, "Enter the handle of the agency to follow, like lambeth@cop.example.")
    axe_check(page)

    page.get_by_label(field).fill("lambeth at cop.example")
    page.get_by_role("button", name="Follow", exact=True).click()
    expect_field_error(page, field, "That is not a handle.")
    # What was typed stays, to be corrected.
    expect(page.get_by_label(field)).to_have_value("lambeth at cop.example")
    axe_check(page)

    # A server on this machine that answers nothing: this site does not fetch from private addresses.
    nowhere = f"127.0.0.1:{closed_port()}"
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/federation/follow")) as posted:
        page.get_by_label(field).fill(f"@lambeth@{nowhere}")
        page.get_by_role("button", name="Follow", exact=True).click()
    assert 400 <= posted.value.status < 500
    expect_field_error(page, field, f"{nowhere} could not be asked about lambeth@{nowhere}")
    expect(page.locator(".govuk-error-summary")).to_contain_text("private or local network")
    expect(page.get_by_text(f"{leeds.name} does not follow anyone on another server yet.")).to_be_visible()
    axe_check(page)

    # ------------------------------------------------------------ followers are approved by hand from now on
    approval = page.get_by_label("Approve each new follower by hand")
    expect(approval).not_to_be_checked()
    expect(approval).to_have_accessible_description(re.compile("every server that asks to follow is accepted at once"))
    approval.check()
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/agencies/{leeds.slug}/federation$"))
    expect(page.get_by_text(f"{leeds.name} now approves each new follower by hand.")).to_be_visible()
    expect(page.get_by_label("Approve each new follower by hand")).to_be_checked()
    axe_check(page)
    page.reload()
    expect(page.get_by_label("Approve each new follower by hand")).to_be_checked()
    axe_check(page)

    assert refused == [], "a page asked for something off this machine"
    assert axe_check.unchecked() == []


def seed_remote_content(app) -> dict[str, str]:
    """An agency on another server with a case study and an event, stored as its inbox would store them; their slugs."""
    from cop.extensions import db
    from cop.federation import remote_content
    from cop.federation.models import RemoteActor

    soon = (datetime.now(timezone.utc) + timedelta(days=20)).replace(hour=9, minute=0, second=0, microsecond=0)
    with app.app_context():
        actor = RemoteActor(
            uri=REMOTE_ACTOR, domain="mobilizon.example", actor_type="Group", preferred_username="digital_team",
            name="Digital Team", summary="<p>We run <b>digital</b> services for the county.</p>", url=REMOTE_ACTOR,
            inbox=f"{REMOTE_ACTOR}/inbox", shared_inbox="https://mobilizon.example/inbox", key_id=f"{REMOTE_ACTOR}#main-key",
            public_key_pem="",
        )
        db.session.add(actor)
        db.session.flush()
        agency = remote_content.ensure_remote_agency(actor)
        case_study = remote_content.store_case_study(actor, {
            "id": ARTICLE, "type": "Article", "name": ARTICLE_TITLE, "url": ARTICLE, "attributedTo": REMOTE_ACTOR,
            "summary": "<p>How a council warned 40,000 households.</p>",
            "content": "<h2>The challenge</h2><p>Rivers rose <em>fast</em>; sirens reached nobody in the hills.</p>",
            "published": "2025-03-01T09:00:00Z",
        })
        event = remote_content.store_event(actor, {
            "id": EVENT, "type": "Event", "name": EVENT_TITLE, "url": EVENT, "attributedTo": REMOTE_ACTOR,
            "content": "<p>An <strong>unconference</strong> for people in public service.</p>", "mediaType": "text/html",
            "startTime": soon.isoformat(), "endTime": (soon + timedelta(hours=7)).isoformat(), "timezone": "Europe/London",
            "category": "NETWORKING", "uid": "6c8d1e@mobilizon.example", "joinMode": "free", "isOnline": False,
            "location": {"type": "Place", "name": "Civic Hall", "address": {"type": "PostalAddress",
                         "streetAddress": "1 Park Row", "addressLocality": "Leeds", "addressCountry": "GB"}},
        })
        db.session.commit()
        slugs = {"agency": agency.slug, "case_study": case_study.slug, "event": event.slug}
        db.session.remove()
    return slugs


def test_what_another_server_published_is_read_here_with_its_origin(page: Page, axe_check, live_flask_app):
    slugs = seed_remote_content(live_flask_app)
    assert slugs["agency"] == REMOTE_AGENCY
    refused = stay_on_this_machine(page)

    # ------------------------------------------------------------ the case study, listed and read
    page.goto("/case-studies")
    listed = page.get_by_role("link", name=ARTICLE_TITLE)
    expect(listed).to_be_visible()
    expect(page.get_by_text("Digital Team on mobilizon.example")).to_be_visible()
    axe_check(page)
    listed.click()
    expect(page.get_by_role("heading", name=ARTICLE_TITLE, level=1)).to_be_visible()
    origin = page.get_by_text("Published by Digital Team on mobilizon.example.")
    expect(origin).to_be_visible()
    expect(origin).to_contain_text("can only be changed there")
    expect(page.get_by_role("link", name="Read the original on mobilizon.example")).to_have_attribute("href", ARTICLE)
    expect(page.get_by_text("sirens reached nobody in the hills")).to_be_visible()
    axe_check(page)

    # ------------------------------------------------------------ the event: registration happens on its server
    page.goto("/events")
    listed = page.get_by_role("listitem").filter(has=page.get_by_role("link", name=EVENT_TITLE))
    expect(listed).to_contain_text("Digital Team on mobilizon.example")
    axe_check(page)
    listed.get_by_role("link", name=EVENT_TITLE).click()
    expect(page).to_have_url(re.compile(rf"/events/{re.escape(slugs['event'])}$"))
    expect(page.get_by_role("heading", name=EVENT_TITLE, level=1)).to_be_visible()
    expect(page.get_by_text("Listed by Digital Team on mobilizon.example")).to_be_visible()
    expect(page.get_by_role("link", name="See it on mobilizon.example")).to_have_attribute("href", EVENT)
    expect(page.get_by_role("link", name="Register on mobilizon.example")).to_have_attribute("href", EVENT)
    expect(page.get_by_role("button", name=re.compile("^(Register|Join the waiting list)$"))).to_have_count(0)
    axe_check(page)

    # ------------------------------------------------------------ the agency, which lives elsewhere
    page.get_by_role("link", name="Digital Team").first.click()
    expect(page).to_have_url(re.compile(rf"/agencies/{re.escape(REMOTE_AGENCY)}$"))
    expect(page.get_by_role("heading", name="Digital Team", level=1)).to_be_visible()
    expect(page.get_by_text("On mobilizon.example", exact=True)).to_be_visible()
    expect(page.get_by_text("Digital Team lives on mobilizon.example, another server this site federates with.")).to_be_visible()
    expect(page.get_by_role("link", name="Digital Team on mobilizon.example")).to_have_attribute("href", REMOTE_ACTOR)
    # It is followed where it lives: no handle here, and no federation page of its own.
    expect(page.get_by_role("heading", name="Follow from another server")).to_have_count(0)
    axe_check(page)
    assert page.goto(f"/agencies/{REMOTE_AGENCY}/federation").status == 404
    axe_check(page)

    assert refused == [], "a page asked for something off this machine"
    assert axe_check.unchecked() == []


def test_a_site_admin_reads_deliveries_blocks_a_server_and_unblocks_it(page: Page, axe_check, site_admin):
    refused = stay_on_this_machine(page)
    open_sign_in(page, axe_check)
    sign_in(page, site_admin, axe_check)
    page.goto("/admin/federation")
    expect(page.get_by_role("heading", name="Federation", level=1)).to_be_visible()
    tabs = page.get_by_role("navigation", name="Federation administration")
    expect(tabs.get_by_role("link", name="Deliveries")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name=re.compile(r"^Deliveries that failed \(\d+\)$"), level=2)).to_be_visible()
    axe_check(page)

    tabs.get_by_role("link", name="Blocked servers").click()
    expect(page.get_by_role("heading", name="Blocked servers", level=1)).to_be_visible()
    expect(page.get_by_text("No server is blocked.")).to_be_visible()
    axe_check(page)

    # An empty domain first.
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/admin/federation/blocks")) as posted:
        page.get_by_role("button", name="Block it").click()
    assert posted.value.status == 400
    expect_field_error(page, "Domain to block", "Enter the domain to block, like spam.example.")
    axe_check(page)

    page.get_by_label("Domain to block").fill("Spam.Example")
    page.get_by_label("Why (optional)").fill("Sends the same advert to every inbox.")
    page.get_by_role("button", name="Block it").click()
    expect(page.get_by_text("spam.example is blocked: nothing is sent to it or accepted from it.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="spam.example")
    expect(row).to_contain_text("Sends the same advert to every inbox.")
    axe_check(page)

    row.get_by_role("button", name="Unblock spam.example").click()
    expect(page.get_by_text("spam.example is no longer blocked.")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="spam.example")).to_have_count(0)
    expect(page.get_by_text("No server is blocked.")).to_be_visible()
    axe_check(page)

    page.get_by_role("navigation", name="Federation administration").get_by_role("link", name="Received activities that failed").click()
    expect(page.get_by_role("heading", name="Received activities that failed", level=1)).to_be_visible()
    expect(page.get_by_text("Every activity received has been processed.")).to_be_visible()
    axe_check(page)

    assert refused == [], "a page asked for something off this machine"
    assert axe_check.unchecked() == []
