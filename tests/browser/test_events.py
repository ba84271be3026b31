"""An event's journey in real Chromium: listed through the form, slots offered, a place and a slot taken by
someone else, the subscribe links, and the personal feed that holds the slot. axe-core checks every page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import icalendar
import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_journeys import open_sign_in, sign_in

pytestmark = pytest.mark.browser

TITLE = "Evening social media surgery"


def test_an_event_is_listed_subscribed_to_and_a_slot_booked(page: Page, other_browser, axe_check, leeds_writer, leeds_admin):
    day = (datetime.now() + timedelta(days=21)).strftime("%Y-%m-%d")
    # ------------------------------------------------------------ a member lists a surgery
    open_sign_in(page, axe_check)
    sign_in(page, leeds_writer, axe_check)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Events").click()
    expect(page.get_by_role("heading", name="Events", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_role("link", name="List an event").click()
    expect(page.get_by_role("heading", name="List an event", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Social media surgery").check()
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Starts").fill(f"{day}T18:00")
    page.get_by_label("Ends").fill(f"{day}T17:00")
    page.get_by_role("button", name="List this event").click()
    # Ends before it starts, and no place given: the error summary says both, and nothing is listed.
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("The event must end after it starts.")
    axe_check(page)
    page.get_by_label("Ends").fill(f"{day}T20:00")
    page.get_by_label("Venue").fill("Leeds Central Library")
    page.get_by_role("button", name="List this event").click()
    expect(page.get_by_text("Your event is listed.")).to_be_visible()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    axe_check(page)
    event_url = page.url

    # ------------------------------------------------------------ its subscribe links, and slots for the surgery
    expect(page.get_by_role("link", name="Add to Google Calendar")).to_have_attribute("href", re.compile(r"^https://calendar\.google\.com/calendar/render\?cid=webcal"))
    expect(page.get_by_role("link", name="Subscribe in Apple Calendar or Thunderbird")).to_have_attribute("href", re.compile(r"^webcal://"))
    expect(page.get_by_role("link", name="Add to Outlook")).to_have_attribute("href", re.compile(r"^https://outlook\.live\.com/calendar/0/addfromweb\?url="))
    page.get_by_label("First slot starts").fill(f"{day}T18:00")
    page.get_by_label("Minutes each").fill("20")
    page.get_by_label("How many slots").fill("3")
    page.get_by_role("button", name="Offer these slots").click()
    expect(page.get_by_text("3 slots are open for booking.")).to_be_visible()
    axe_check(page)

    # ------------------------------------------------------------ someone else books a slot
    other = other_browser()
    open_sign_in(other, axe_check)
    sign_in(other, leeds_admin, axe_check)
    other.goto(event_url)
    axe_check(other)
    other.get_by_label("What would you like help with at 18:20?").fill("Setting up our library's Instagram")
    other.get_by_role("button", name="Book this slot 18:20").click()
    expect(other.get_by_text("Your slot is booked.")).to_be_visible()
    axe_check(other)

    # ------------------------------------------------------------ their own feed holds the slot
    other.goto("/account/calendar")
    axe_check(other)
    other.get_by_role("button", name="Make my feed address").click()
    expect(other.get_by_text("It is shown only now", exact=False)).to_be_visible()
    axe_check(other)
    address = other.get_by_label("Or copy the address into any calendar app").input_value()
    feed = other.request.get(address)
    assert feed.ok and feed.headers["content-type"] == "text/calendar; charset=utf-8"
    slots = [e for e in icalendar.Calendar.from_ical(feed.body()).walk("VEVENT") if str(e["SUMMARY"]).startswith("Surgery slot")]
    assert [e.decoded("DTSTART").strftime("%H:%M") for e in slots] == ["18:20"]

    # ------------------------------------------------------------ the host sees the booking
    page.reload()
    expect(page.get_by_text("booked by Lee Whitaker (Setting up our library's Instagram)")).to_be_visible()
    axe_check(page)


def test_a_session_is_pitched_and_starred_on_a_barcamp_board(page: Page, other_browser, axe_check, leeds_writer, leeds_admin):
    day = (datetime.now() + timedelta(days=30)).strftime("%Y-%m-%d")
    open_sign_in(page, axe_check)
    sign_in(page, leeds_writer, axe_check)
    page.goto("/events/new")
    page.get_by_label("Title").fill("BarCamp on the board")
    page.get_by_label("BarCamp").check()
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Starts").fill(f"{day}T09:00")
    page.get_by_label("Ends").fill(f"{day}T17:00")
    page.get_by_label("Venue").fill("The Tetley")
    page.get_by_role("button", name="List this event").click()
    expect(page.get_by_text("Your event is listed.")).to_be_visible()
    page.get_by_role("link", name="The session board").click()
    expect(page.get_by_role("heading", name="Session board", level=1)).to_be_visible()
    axe_check(page)
    page.get_by_label("Session title").fill("Open data for beginners")
    page.get_by_label("What it is about").fill("Where to start, and what to publish first.")
    page.get_by_role("button", name="Pitch it").click()
    expect(page.get_by_text("“Open data for beginners” is on the board.")).to_be_visible()
    axe_check(page)
    board_url = page.url

    other = other_browser()
    open_sign_in(other, axe_check)
    sign_in(other, leeds_admin, axe_check)
    other.goto(board_url)
    other.get_by_role("button", name="I'm interested Open data for beginners").click()
    expect(other.get_by_text("You are interested in “Open data for beginners”.")).to_be_visible()
    expect(other.get_by_text("2 interested")).to_be_visible()
    axe_check(other)
