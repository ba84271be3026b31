"""A newcomer's first visit, in real Chromium: register, confirm, profile, agency. axe-core checks every page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Account

pytestmark = pytest.mark.browser

NEWCOMER = Account("Jo Bloggs", "jo.bloggs@example.org", "lantern-orchard-velvet-81")
BIO = (
    "I run **resident consultations** across West Yorkshire.\n\n- online surveys\n- community workshops\n\n"
    "## What I have learnt\n\nStart with the [residents' panel](https://example.org/panel)."
)


def sign_in(page: Page, account: Account, axe_check, lands_on: str = r"/$") -> None:
    """Sign in through the real form on the current sign-in page; the page it leads to greets them."""
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password", exact=True).fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {account.name}.")).to_be_visible()
    expect(page).to_have_url(re.compile(lands_on))
    axe_check(page)


def open_sign_in(page: Page, axe_check) -> None:
    """Open the sign-in page in a fresh browser."""
    page.goto("/auth/login")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    axe_check(page)


def fill_registration(page: Page, confirm: str) -> None:
    """Fill the registration form as the newcomer, with the given confirmation."""
    page.get_by_label("Your name").fill(NEWCOMER.name)
    page.get_by_label("Email address").fill(NEWCOMER.email)
    page.get_by_label("Password", exact=True).fill(NEWCOMER.password)
    page.get_by_label("Confirm password").fill(confirm)


def test_newcomer_registers_confirms_edits_profile_and_joins_an_agency(
    page: Page, other_browser, axe_check, site_admin, leeds_admin, leeds, screenshot_dir
):
    # ------------------------------------------------------------ register
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_role("navigation", name="Account").get_by_role("link", name="Register").click()
    expect(page).to_have_url(re.compile(r"/auth/register$"))
    expect(page.get_by_role("heading", name="Create an account", level=1)).to_be_visible()
    axe_check(page)

    # A slip first: the confirmation does not match.
    fill_registration(page, confirm=NEWCOMER.password + "x")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/auth/register")) as posted:
        page.get_by_role("button", name="Create account").click()
    assert posted.value.status == 400
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    summary_link = summary.get_by_role("link", name="The passwords do not match.")
    expect(summary_link).to_be_visible()
    confirm_id = page.get_by_label("Confirm password").get_attribute("id")
    expect(summary_link).to_have_attribute("href", f"#{confirm_id}")
    # The message also sits by the field itself, and is part of its accessible description.
    expect(page.get_by_label("Confirm password")).to_have_accessible_description(re.compile("The passwords do not match."))
    axe_check(page)
    summary_link.click()
    expect(page.get_by_label("Confirm password")).to_be_focused()

    fill_registration(page, confirm=NEWCOMER.password)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email", level=1)).to_be_visible()
    expect(page.get_by_text(NEWCOMER.email)).to_be_visible()
    axe_check(page)

    # ------------------------------------------------------------ a site admin finds the link in the outbox
    admin = other_browser()
    open_sign_in(admin, axe_check)
    sign_in(admin, site_admin, axe_check)
    admin.goto("/admin/outbox")
    expect(admin.get_by_role("heading", name="Outbox", level=1)).to_be_visible()
    axe_check(admin)
    row = admin.get_by_role("listitem").filter(has_text=NEWCOMER.email)
    row.get_by_role("link", name=re.compile("Confirm your email address")).click()
    expect(admin.get_by_role("heading", name=re.compile("Confirm your email address"), level=1)).to_be_visible()
    expect(admin.get_by_text(NEWCOMER.email)).to_be_visible()
    axe_check(admin)
    verify_link = admin.get_by_role("link", name=re.compile(r"auth.verify.")).get_attribute("href")
    assert verify_link and verify_link.startswith(page.url.split("/auth/")[0])

    # ------------------------------------------------------------ the newcomer follows it and signs in
    page.goto(verify_link)
    expect(page).to_have_url(re.compile(r"/auth/login\?next=/profile$"))
    expect(page.get_by_text("Your email address is confirmed. Sign in to continue.")).to_be_visible()
    axe_check(page)

    # ------------------------------------------------------------ onboarding: signing in leads to the profile
    sign_in(page, NEWCOMER, axe_check, lands_on=r"/profile$")
    expect(page.get_by_role("heading", name="Edit your profile", level=1)).to_be_visible()
    missing = page.locator(".govuk-inset-text")
    expect(missing).to_contain_text("Your profile is missing")
    expect(missing.get_by_role("listitem")).to_have_text(
        ["your job title", "your experience level", "skills you can share", "what you want to learn"]
    )
    expect(missing).to_contain_text("you are not listed on People")

    page.get_by_label("Job title").fill("Digital engagement officer")
    page.get_by_label("About you").fill(BIO)
    page.get_by_role("group", name="Experience level").get_by_label("202: practising").check()
    skills = page.get_by_role("group", name="Skills you can share")
    skills.get_by_label("Consultation", exact=True).check()
    skills.get_by_label("Video", exact=True).check()
    page.get_by_role("group", name="What you want to learn").get_by_label("Mastodon", exact=True).check()
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("I am open to mentoring").check()
    capacity = page.get_by_label("How many people could you mentor at once?")
    capacity.fill("11")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/profile")) as posted:
        page.get_by_role("button", name="Save profile").click()
    assert posted.value.status == 400
    expect(page).to_have_title(re.compile(r"^Error: "))
    summary_link = page.get_by_role("alert").get_by_role("link", name="Enter a number from 0 to 10.")
    expect(summary_link).to_have_attribute("href", f"#{capacity.get_attribute('id')}")
    expect(capacity).to_have_accessible_description(re.compile("Enter a number from 0 to 10."))
    # What was typed is kept, so only the mistake needs fixing.
    expect(page.get_by_label("Job title")).to_have_value("Digital engagement officer")
    expect(skills.get_by_label("Video", exact=True)).to_be_checked()
    axe_check(page)

    capacity.fill("2")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile has been saved.")).to_be_visible()
    expect(page.get_by_role("heading", name=NEWCOMER.name, level=1)).to_be_visible()
    expect(page.get_by_text("Digital engagement officer")).to_be_visible()
    expect(page.locator(".cop-prose strong")).to_have_text("resident consultations")
    expect(page.locator(".cop-prose").get_by_role("listitem")).to_have_text(["online surveys", "community workshops"])
    # Members' headings sit below the page's own, and their links look like every other link.
    member_heading = page.locator(".cop-prose h4")
    expect(member_heading).to_have_text("What I have learnt")
    page_heading_size = page.get_by_role("heading", name="About", level=2).evaluate("h => parseFloat(getComputedStyle(h).fontSize)")
    assert member_heading.evaluate("h => parseFloat(getComputedStyle(h).fontSize)") < page_heading_size
    site_link_colour = page.get_by_role("link", name="Edit your profile").evaluate("a => getComputedStyle(a).color")
    expect(page.locator(".cop-prose a")).to_have_css("color", site_link_colour)
    expect(page.get_by_text("202: practising")).to_be_visible()
    expect(page.get_by_text("United Kingdom")).to_be_visible()
    expect(page.get_by_text("Europe/London")).to_be_visible()
    expect(page.get_by_text("Open to mentoring up to 2 people")).to_be_visible()
    expect(page.get_by_role("link", name="Consultation", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Video", exact=True)).to_be_visible()
    axe_check(page)
    page.screenshot(path=str(screenshot_dir / "cop-journey-profile.png"), full_page=True)

    # ------------------------------------------------------------ ask to join an agency
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Agencies").click()
    expect(page.get_by_role("heading", name="Agencies", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name=leeds.name).click()
    expect(page.get_by_role("heading", name=leeds.name, level=1)).to_be_visible()
    axe_check(page)
    page.get_by_label("Tell the agency's admins who you are (optional)").fill(
        "I work with the Leeds engagement team on consultations."
    )
    page.get_by_role("button", name="Ask to join").click()
    expect(page.get_by_text(f"You have asked to join {leeds.name}.")).to_be_visible()
    expect(page.get_by_text(f"You asked to join {leeds.name}. Its admins will decide")).to_be_visible()
    expect(page.get_by_role("button", name="Ask to join")).to_have_count(0)
    axe_check(page)

    # ------------------------------------------------------------ the agency's admin approves
    agency_admin = other_browser()
    open_sign_in(agency_admin, axe_check)
    sign_in(agency_admin, leeds_admin, axe_check)
    agency_admin.goto(f"/agencies/{leeds.slug}")
    expect(agency_admin.get_by_role("heading", name=leeds.name, level=1)).to_be_visible()
    axe_check(agency_admin)
    agency_admin.get_by_role("link", name=re.compile(r"Members and requests \(1 waiting\)")).click()
    expect(agency_admin.get_by_role("heading", name="Members and requests", level=1)).to_be_visible()
    axe_check(agency_admin)
    request_card = agency_admin.locator(".govuk-summary-card").filter(
        has=agency_admin.get_by_role("heading", name=NEWCOMER.name)
    )
    expect(request_card.get_by_text("I work with the Leeds engagement team on consultations.")).to_be_visible()
    request_card.get_by_role("button", name="Approve").click()
    expect(agency_admin.get_by_text(f"{NEWCOMER.name}'s request was approved.")).to_be_visible()
    expect(agency_admin.get_by_text("Nobody is waiting.")).to_be_visible()
    expect(agency_admin.locator(".govuk-summary-list__row").filter(has_text=NEWCOMER.name)).to_be_visible()
    axe_check(agency_admin)

    # ------------------------------------------------------------ the newcomer is now a member of Leeds
    page.reload()
    expect(page.get_by_text(f"You are a member of {leeds.name}")).to_be_visible()
    people = page.get_by_role("heading", name="People", level=2).locator("xpath=following-sibling::ul[1]")
    expect(people.get_by_role("link", name=NEWCOMER.name)).to_be_visible()
    expect(people).to_contain_text("Digital engagement officer")
    axe_check(page)
    page.screenshot(path=str(screenshot_dir / "cop-journey-agency.png"), full_page=True)

    # ------------------------------------------------------------ nothing was left unchecked
    assert axe_check.unchecked() == [], f"pages visited but not checked by axe-core: {axe_check.unchecked()}"
    visited_paths = {urlsplit(url).path for url in axe_check.visited()}
    assert {
        "/", "/auth/register", "/auth/login", "/admin/outbox", "/profile", "/agencies",
        f"/agencies/{leeds.slug}", f"/agencies/{leeds.slug}/requests",
    } <= visited_paths, visited_paths
