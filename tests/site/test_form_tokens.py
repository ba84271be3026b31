"""The CSRF token on pages, with protection on as in production: one token a request, shared by every form that
posts; none, and no session, on a visitor's page that offers them nothing to post; and forms carry none of their own."""

from __future__ import annotations

import re

import pytest

from cop.forms import EmptyForm, SiteForm

pytestmark = pytest.mark.csrf

TOKEN = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]+)">')


def _crawl(client, limit: int = 120):
    """The site's own pages a visitor reaches by links from the home page, breadth first: (path, response)."""
    seen, queue = {"/"}, ["/"]
    while queue and len(seen) <= limit:
        path = queue.pop(0)
        response = client.get(path)
        yield path, response
        if response.mimetype != "text/html":
            continue
        for link in re.findall(r'href="(/[^"#?]*)', response.get_data(as_text=True)):
            skipped = link.startswith(("/static/", "/auth/")) or link.endswith((".ics", ".atom", ".csv", ".json"))
            if link not in seen and not skipped:
                seen.add(link)
                queue.append(link)


def test_a_visitor_s_pages_make_no_token_and_no_session(app, runner):
    # Case studies, events with boards and slots, forum threads, agencies and people: each offers members buttons.
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    client = app.test_client(use_cookies=False)
    kinds = set()
    for path, response in _crawl(client):
        assert response.status_code == 200, path
        assert "Set-Cookie" not in response.headers, path
        if response.mimetype == "text/html":
            assert not TOKEN.search(response.get_data(as_text=True)), path
        kinds.add(path.strip("/").split("/")[0])
    assert {"case-studies", "events", "forum", "agencies", "people", "mentoring"} <= kinds


def test_a_member_s_forms_share_the_request_s_one_token(app, client, make_agency, make_user, sign_in):
    make_agency("leeds", name="Leeds City Council")
    sign_in(make_user(agency="leeds"))
    page = client.get("/agencies/leeds").get_data(as_text=True)
    tokens = TOKEN.findall(page)
    # The agency page's leave button and the header's sign-out, at least.
    assert len(tokens) >= 2 and len(set(tokens)) == 1


def test_forms_carry_no_token_of_their_own(app):
    with app.test_request_context():
        assert "csrf_token" not in EmptyForm(formdata=None)._fields
        assert not SiteForm.Meta.csrf
