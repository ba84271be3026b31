"""Mentoring in real Chromium: a practitioner offers to mentor on their profile, a newcomer asks and sees why each
suggestion suits them, the mentor accepts, they agree goals, and the mentorship ends with feedback. axe-core
checks every page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import open_sign_in, sign_in

pytestmark = pytest.mark.browser


def test_a_newcomer_is_matched_agrees_goals_and_ends_with_feedback(page: Page, other_browser, axe_check, leeds_writer, leeds_admin):
    # ------------------------------------------------------------ the mentor says so on their profile
    mentor = other_browser()
    open_sign_in(mentor, axe_check)
    sign_in(mentor, leeds_admin, axe_check)
    mentor.goto("/profile")
    axe_check(mentor)
    mentor.get_by_label("I am open to mentoring").check()
    mentor.get_by_label("How many people could you mentor at once?").fill("2")
    mentor.get_by_role("group", name="Skills you can share").get_by_label("Video", exact=True).check()
    mentor.get_by_role("button", name="Save").click()
    expect(mentor.locator(".govuk-notification-banner--success")).to_be_visible()
    axe_check(mentor)

    # ------------------------------------------------------------ the newcomer asks, and sees the reasons
    open_sign_in(page, axe_check)
    sign_in(page, leeds_writer, axe_check)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Mentoring").click()
    expect(page.get_by_role("heading", name="Mentoring", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="Ask for a mentor").click()
    axe_check(page)
    page.get_by_role("button", name="See my suggestions").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Choose at least one skill you want help with.")
    axe_check(page)
    page.get_by_label("What do you want to achieve?").fill("Film short videos about our libraries on a phone.")
    page.get_by_role("group", name="Skills you want help with").get_by_label("Video", exact=True).check()
    page.get_by_role("button", name="See my suggestions").click()
    expect(page.get_by_role("heading", name="Mentors who suit you")).to_be_visible()
    expect(page.get_by_text("Skills you both named: Video")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name=f"Ask {leeds_admin.name}").click()
    expect(page.get_by_text(f"Your request is with {leeds_admin.name}.")).to_be_visible()
    axe_check(page)

    # ------------------------------------------------------------ the mentor accepts and writes down the goals
    mentor.goto("/mentoring/")
    axe_check(mentor)
    mentor.get_by_role("link", name=f"{leeds_writer.name} asks you to mentor them").click()
    axe_check(mentor)
    mentor.get_by_role("button", name="Accept").click()
    expect(mentor.get_by_text(f"You are now mentoring {leeds_writer.name}.")).to_be_visible()
    axe_check(mentor)
    mentor.get_by_label("The goals you agreed").fill("Three library videos by March.")
    mentor.get_by_label("Every week").check()
    mentor.get_by_role("button", name="Save goals and check-ins").click()
    expect(mentor.get_by_text("Your goals and check-ins are saved.")).to_be_visible()
    axe_check(mentor)

    # ------------------------------------------------------------ the newcomer sees them, ends it, and says how it went
    page.goto("/mentoring/")
    page.get_by_role("link", name=f"Mentored by {leeds_admin.name}").click()
    expect(page.get_by_role("paragraph").filter(has_text="Three library videos by March.")).to_be_visible()
    axe_check(page)
    page.get_by_label("Why is it ending?").fill("We made the videos.")
    page.get_by_role("button", name="End the mentorship").click()
    expect(page.get_by_text("The mentorship has ended.")).to_be_visible()
    axe_check(page)
    page.get_by_label("5: excellent").check()
    page.get_by_label("Comment (optional)").fill("Practical and kind.")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_text(f"{leeds_writer.name}: 5 out of 5")).to_be_visible()
    axe_check(page)
