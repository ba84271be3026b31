"""Every page reflows at 320 CSS pixels (WCAG 2.2, 1.4.10) with no console errors, checked by axe-core."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Account

pytestmark = pytest.mark.browser

PUBLIC = ["/", "/people", "/agencies", "/case-studies", "/events", "/api/v1/docs", "/accessibility", "/auth/login", "/auth/register"]
LEEDS_ADMIN_PAGES = ["/agencies/leeds-city-council", "/agencies/leeds-city-council/requests", "/agencies/leeds-city-council/edit",
                     "/profile", "/notifications", "/account/notifications", "/case-studies/new", "/case-studies/yours", "/account/tokens",
                     "/events/new", "/account/calendar", "/agencies/leeds-city-council/federation"]
SITE_ADMIN_PAGES = ["/admin", "/admin/users", "/admin/outbox", "/admin/topics", "/agencies/new", "/admin/federation",
                    "/admin/federation/blocks", "/admin/federation/inbox"]


def narrow_page(browser: Browser, base_url: str, axe_check) -> tuple[Page, list[str]]:
    context = browser.new_context(base_url=base_url, viewport={"width": 320, "height": 640})
    page = axe_check.watch(context.new_page())
    errors: list[str] = []
    page.on("console", lambda message: errors.append(f"{page.url}: {message.text}") if message.type == "error" else None)
    return page, errors


def sign_in(page: Page, account: Account) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password", exact=True).fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text(f"Signed in as {account.name}.")).to_be_visible()


def assert_fits(page: Page, path: str, axe_check) -> None:
    page.goto(path)
    axe_check(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{path} is {width} CSS pixels wide at a 320 pixel viewport"


def test_pages_reflow_at_320_pixels(browser: Browser, base_url: str, axe_check, leeds_admin, site_admin):
    page, errors = narrow_page(browser, base_url, axe_check)
    for path in PUBLIC:
        assert_fits(page, path, axe_check)
    sign_in(page, leeds_admin)
    for path in LEEDS_ADMIN_PAGES:
        assert_fits(page, path, axe_check)
    page.context.close()

    page, admin_errors = narrow_page(browser, base_url, axe_check)
    sign_in(page, site_admin)
    for path in SITE_ADMIN_PAGES:
        assert_fits(page, path, axe_check)
    page.context.close()
    assert errors + admin_errors == [], "pages logged errors in the browser's console (a missing favicon, say)"


def test_a_filtered_list_names_its_filters_and_count_in_the_title(page: Page, axe_check):
    page.goto("/people?level=303&mentors=1")
    expect(page).to_have_title(re.compile(r"^People, 303 mentors \(\d+ found\) – cop$"))
    expect(page.get_by_role("status")).to_contain_text("found")
    axe_check(page)
