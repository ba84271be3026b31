"""The forum in real Chromium: a site admin opens a category, a new member's thread waits for a moderator, who
approves it; another member flags a reply, a moderator hides it from the queue, its author is told and appeals,
and the public log shows every action with its reason (the appeal's words stay private until it is decided).
axe-core checks every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import open_sign_in, sign_in

pytestmark = pytest.mark.browser

CATEGORY = "Monitoring and analytics"
TITLE = "Which dashboard do your directors actually read?"
REPLY = "We send a one-page summary every Monday instead of a dashboard link."


def test_a_post_waits_is_approved_flagged_hidden_appealed_and_logged(page: Page, other_browser, axe_check, site_admin,
                                                                       leeds_writer, leeds_admin):
    # ------------------------------------------------------------ a site admin opens a category
    moderator = other_browser()
    open_sign_in(moderator, axe_check)
    sign_in(moderator, site_admin, axe_check)
    moderator.goto("/admin")
    axe_check(moderator)
    moderator.goto("/admin/forum/categories")
    axe_check(moderator)
    moderator.get_by_role("button", name="Add the category").click()
    summary = moderator.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    axe_check(moderator)
    moderator.get_by_label("Name").fill(CATEGORY)
    moderator.get_by_label("What it is for").fill("Social listening, measuring engagement, and reports leaders trust.")
    moderator.get_by_label("Everyone").check()
    moderator.get_by_role("button", name="Add the category").click()
    expect(moderator.get_by_text(f"The category {CATEGORY} is made.")).to_be_visible()
    axe_check(moderator)

    # ------------------------------------------------------------ a new member starts a thread; it waits
    open_sign_in(page, axe_check)
    sign_in(page, leeds_writer, axe_check)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Forum").click()
    expect(page.get_by_role("heading", name="Forum", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name=CATEGORY).first.click()
    axe_check(page)
    page.get_by_role("link", name="Start a thread").click()
    axe_check(page)
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Your post").fill("<script>alert('hi')</script>")
    page.get_by_role("button", name="Start the thread").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("cannot hold script")
    axe_check(page)
    page.get_by_label("Your post").fill("Ours go unread. What do you send **upwards**, and how often?")
    page.get_by_role("button", name="Start the thread").click()
    expect(page.get_by_text("Your thread waits for a moderator")).to_be_visible()
    axe_check(page)
    thread_url = page.url

    # Nobody else sees it yet.
    visitor = other_browser()
    assert visitor.goto(thread_url).status == 404
    axe_check(visitor)

    # ------------------------------------------------------------ the moderator approves it from the queue
    moderator.get_by_role("link", name="Moderation", exact=True).click()
    expect(moderator.get_by_role("heading", name="Moderation", level=1)).to_be_visible()
    axe_check(moderator)
    waiting = moderator.locator(".cop-queue-item").filter(has_text=TITLE)
    waiting.get_by_label("Action").select_option("approve")
    waiting.get_by_role("button", name="Do it").click()
    expect(moderator.get_by_text("The post is approved and shown.")).to_be_visible()
    axe_check(moderator)
    visitor.goto(thread_url)
    expect(visitor.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    axe_check(visitor)

    # ------------------------------------------------------------ the member replies; another member flags the reply
    page.goto(thread_url)
    page.get_by_label("Your reply").fill(REPLY)
    page.get_by_role("button", name="Post reply").click()
    expect(page.get_by_text("Your reply waits for a moderator")).to_be_visible()
    axe_check(page)
    moderator.goto("/forum/moderation")
    waiting_reply = moderator.locator(".cop-queue-item").filter(has_text=REPLY)
    waiting_reply.get_by_label("Action").select_option("approve")
    waiting_reply.get_by_role("button", name="Do it").click()
    expect(moderator.get_by_text("The post is approved and shown.")).to_be_visible()

    flagger = other_browser()
    open_sign_in(flagger, axe_check)
    sign_in(flagger, leeds_admin, axe_check)
    flagger.goto(thread_url)
    axe_check(flagger)
    flagger.get_by_role("link", name="Flag post 2").click()
    axe_check(flagger)
    flagger.get_by_role("button", name="Flag the post").click()
    expect(flagger.locator(".govuk-error-summary")).to_contain_text("Choose why you flag the post.")
    axe_check(flagger)
    flagger.get_by_label("Off-topic").check()
    flagger.get_by_label("Anything the moderators should know").fill("This is about newsletters, not dashboards.")
    flagger.get_by_role("button", name="Flag the post").click()
    expect(flagger.get_by_text("Thank you. The moderators will look at the post.")).to_be_visible()
    expect(flagger.get_by_text("You flagged this post")).to_be_visible()
    axe_check(flagger)

    # ------------------------------------------------------------ the moderator hides it, with a reason
    moderator.goto("/forum/moderation")
    flagged = moderator.locator(".cop-queue-item").filter(has_text="This is about newsletters")
    expect(flagged).to_be_visible()
    axe_check(moderator)
    flagged.get_by_label("Action").select_option("hide")
    flagged.get_by_label("Reason").select_option("off_topic")
    flagged.get_by_label("Note to the member").fill("Please start a thread about newsletters.")
    flagged.get_by_role("button", name="Do it").click()
    expect(moderator.get_by_text("The post is hidden; its author is told why.")).to_be_visible()
    axe_check(moderator)
    visitor.goto(thread_url)
    expect(visitor.get_by_text(REPLY)).to_have_count(0)

    # ------------------------------------------------------------ its author is told, and appeals once
    page.goto("/notifications")
    axe_check(page)
    page.get_by_role("link", name=re.compile(r"^Hid a post: .*You can appeal")).click()
    expect(page.get_by_role("heading", name="Hid a post", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_label("Why should this be undone?").fill("It answers the question: the summary replaced the dashboard.")
    page.get_by_role("button", name="Send the appeal").click()
    expect(page.get_by_text("Your appeal is sent.")).to_be_visible()
    expect(page.get_by_text("Waiting for a moderator other than the one who acted.")).to_be_visible()
    expect(page.get_by_role("button", name="Send the appeal")).to_have_count(0)
    axe_check(page)

    # The moderator who hid it does not decide the appeal.
    moderator.goto("/forum/moderation")
    expect(moderator.get_by_text("No appeals wait for you.")).to_be_visible()

    # ------------------------------------------------------------ the public log shows it all, to anyone
    visitor.goto("/forum/moderation-log")
    expect(visitor.get_by_role("heading", name="Moderation log", level=1)).to_be_visible()
    entries = visitor.get_by_role("listitem").filter(has_text=TITLE)
    expect(entries.filter(has_text="Hid a post")).to_have_count(1)
    expect(entries.filter(has_text="Hid a post")).to_contain_text("Reason: Off-topic")
    expect(entries.filter(has_text="Approved a post")).to_have_count(2)
    axe_check(visitor)
    entries.filter(has_text="Hid a post").get_by_role("link").first.click()
    expect(visitor.get_by_role("heading", name="Hid a post", level=1)).to_be_visible()
    expect(visitor.get_by_text("Please start a thread about newsletters.")).to_be_visible()
    # The appeal is between the member and the moderators until it is decided.
    expect(visitor.get_by_text("the summary replaced the dashboard")).to_have_count(0)
    axe_check(visitor)
