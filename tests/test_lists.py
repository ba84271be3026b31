"""List pages: titles that name the page and filters, honest empty states, counts that are announced."""

from __future__ import annotations

import html
import re

import pytest

from cop.web import list_title, page_items


def title_of(page: str) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip())


@pytest.mark.parametrize(
    ("page", "pages", "items"),
    [
        (1, 1, [1]),
        (1, 4, [1, 2, 3, 4]),
        (1, 10, [1, 2, None, 10]),
        (5, 10, [1, None, 4, 5, 6, None, 10]),
        (10, 10, [1, None, 9, 10]),
        (3, 10, [1, 2, 3, 4, None, 10]),
        (7, 42, [1, None, 6, 7, 8, None, 42]),
    ],
)
def test_pagination_shows_first_last_current_and_neighbours_with_ellipses(page, pages, items):
    assert page_items(page, pages) == items


def test_list_titles():
    assert list_title("People", 1) == "People"
    assert list_title("People", 2, ["303 mentors"], 12) == "People, page 2, 303 mentors (12 found)"
    assert list_title("People", 1, ["", ""], 60) == "People"


def test_people_title_names_page_and_filters(client, make_user):
    for i in range(25):
        make_user(f"m{i}@example.org", name=f"Mentor {i:02}", level="303", open_to_mentoring=True, mentoring_capacity=2)
    page = client.get("/people?level=303&mentors=1&page=2").get_data(as_text=True)
    assert title_of(page) == "People, page 2, 303 mentors (25 found) – cop"
    assert '<p class="govuk-body" role="status">25 people found</p>' in page
    assert title_of(client.get("/people?skill=video").get_data(as_text=True)) == "People, skill: Video (0 found) – cop"


def test_empty_lists_say_why(client, as_user, make_user):
    page = client.get("/people").get_data(as_text=True)
    assert "Nobody is listed yet" in page and "Nobody matches those filters" not in page
    page = client.get("/people?level=303").get_data(as_text=True)
    assert "Nobody matches those filters" in page
    assert "No agencies have been added yet." in client.get("/agencies").get_data(as_text=True)
    assert "No agencies match those filters." in client.get("/agencies?level=local").get_data(as_text=True)


def test_agency_list_title_names_its_filters(client, make_agency):
    make_agency("leeds", country="GB", level="local")
    page = client.get("/agencies?country=gb&level=local").get_data(as_text=True)
    assert title_of(page) == "Agencies, United Kingdom, local (1 found) – cop"


def test_admin_lists_name_their_search_and_status(client, as_user):
    as_user("site_admin")
    assert title_of(client.get("/admin/users?q=sid").get_data(as_text=True)) == "People and roles, search: sid (0 found) – cop"
    assert title_of(client.get("/admin/outbox?status=failed").get_data(as_text=True)) == "Outbox, failed (0 found) – cop"
