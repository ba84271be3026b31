"""A case study's journey in real Chromium: drafted, sent for review, published by the agency's admin, the author
told, found through search and a filtered Atom feed, and printed on no more than two A4 pages. axe-core checks every page."""

from __future__ import annotations

import re

import feedparser
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import open_sign_in, sign_in

pytestmark = pytest.mark.browser

TITLE = "Answering bin questions on Facebook out of hours"


def pdf_pages(pdf: bytes) -> int:
    """How many pages a PDF has: its page objects, not the page tree."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def test_a_case_study_is_drafted_reviewed_published_found_and_printed(
    page: Page, other_browser, axe_check, leeds_writer, leeds_admin, leeds
):
    # ------------------------------------------------------------ the writer drafts
    open_sign_in(page, axe_check)
    sign_in(page, leeds_writer, axe_check)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Case studies").click()
    expect(page.get_by_role("heading", name="Case studies", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="Write a case study").click()
    expect(page.get_by_role("heading", name="Write a case study", level=1)).to_be_visible()
    axe_check(page)

    page.get_by_label("Title").fill(TITLE)
    page.get_by_role("button", name="Save and send for review").click()
    # Not ready for review: the error summary names every missing part, and nothing is saved.
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    for message in ("Enter a summary", "Choose the service area", "Choose at least one engagement mode",
                    "Write the section “The challenge”", "Write the section “Lessons learned”"):
        expect(summary).to_contain_text(message)
    axe_check(page)

    page.get_by_label("Summary").fill("We answered residents' questions about bin collections on Facebook in the evenings, and calls fell.")
    page.get_by_label("Service area").select_option(label="Waste and recycling")
    page.get_by_role("group", name="Engagement mode").get_by_label("Customer service").check()
    page.get_by_role("group", name="Channels").get_by_label("Facebook").check()
    page.get_by_label("202: practising").check()
    page.get_by_label("The challenge").fill("Residents rang about **missed bins** after the contact centre closed.")
    page.get_by_label("What we did").fill("- A rota of four officers\n- Saved replies for the ten commonest questions")
    page.get_by_label("Results", exact=True).fill("Evening calls about bins fell by 22% in three months.")
    page.get_by_label("Lessons learned").fill("Say when the page is staffed.")
    page.get_by_role("button", name="Save and send for review").click()
    expect(page.get_by_text("Your case study was sent for review.")).to_be_visible()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.get_by_text("waits for a reviewer")).to_be_visible()
    axe_check(page)
    case_study_url = page.url

    # ------------------------------------------------------------ the agency's admin publishes
    admin = other_browser()
    open_sign_in(admin, axe_check)
    sign_in(admin, leeds_admin, axe_check)
    admin.get_by_role("link", name=re.compile(r"^Notifications")).click()
    axe_check(admin)
    admin.get_by_role("link", name=re.compile(f"“{re.escape(TITLE)}” from Leeds City Council waits for your review")).click()
    expect(admin).to_have_url(case_study_url)
    axe_check(admin)
    admin.get_by_role("button", name="Publish").click()
    expect(admin.get_by_text("The case study is published.")).to_be_visible()
    axe_check(admin)

    # ------------------------------------------------------------ the author hears of it
    page.goto("/notifications")
    notice = page.get_by_role("link", name=f"“{TITLE}” is published")
    expect(notice).to_be_visible()
    axe_check(page)
    notice.click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    axe_check(page)

    # ------------------------------------------------------------ anyone finds it by search and a filtered feed
    reader = other_browser()
    reader.goto("/case-studies")
    axe_check(reader)
    reader.get_by_label("Search case studies").fill("bins facebook")
    reader.get_by_label("Service area").select_option(label="Waste and recycling")
    reader.get_by_role("button", name="Search and filter").click()
    expect(reader.get_by_role("status")).to_have_text("1 case study found")
    expect(reader.locator("mark").first).to_be_visible()
    axe_check(reader)
    feed_href = reader.locator('link[rel="alternate"][type="application/atom+xml"]').get_attribute("href")
    assert "service_area=waste-and-recycling" in feed_href and "q=bins" in feed_href
    feed = feedparser.parse(reader.request.get(feed_href).body())
    assert not feed.bozo and [entry.title for entry in feed.entries] == [TITLE]

    # ------------------------------------------------------------ and prints it on one or two A4 pages
    reader.get_by_role("link", name=TITLE).click()
    axe_check(reader)
    reader.get_by_role("link", name="Print or save as PDF").click()
    expect(reader.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    axe_check(reader)
    reader.emulate_media(media="print")
    pages = pdf_pages(reader.pdf(format="A4", print_background=False, prefer_css_page_size=True))
    assert 1 <= pages <= 2, f"the print view takes {pages} pages"

    assert axe_check.unchecked() == [], f"pages visited but not checked by axe-core: {axe_check.unchecked()}"
