"""Case study pages: the library with its filters and search, a case study, writing, reviewing, revisions, Atom, print."""

from __future__ import annotations

import re

import feedparser
import pytest
import sqlalchemy as sa

from cop.extensions import db as _db
from tests.casestudies.conftest import COMPLETE

FORM = {
    "title": "Consulting on a park through a blog",
    "summary": "We asked people about the new park on our blog.",
    "service_area": "parks-and-leisure",
    "modes": ["consultation"],
    "level": "202",
    "challenge": "Few people came to meetings.",
    "approach": "We wrote a weekly blog post.",
    "results": "1,200 comments.",
    "lessons": "Reply to every comment.",
    "licence": "cc-by-4.0",
}


def form_data(**changes):
    data = {**FORM, **changes}
    return {k: v for k, v in data.items() if v is not None}


def test_writing_a_draft_then_sending_it_for_review(app, client, cast, sign_in):
    sign_in(cast.writer)
    response = client.post("/case-studies/new", data={"title": "Our park", "action": "save", "licence": "cc-by-4.0", "author_ids": [cast.writer]})
    assert response.status_code == 302 and response.headers["Location"] == "/case-studies/our-park"
    page = client.get("/case-studies/our-park").get_data(as_text=True)
    assert "Only its authors and the agency" in page and "Before it can be reviewed it needs" in page
    response = client.post("/case-studies/our-park/edit", data={**form_data(title="Our park"), "author_ids": [cast.writer], "action": "submit"})
    assert response.status_code == 302
    assert "waits for a reviewer" in client.get("/case-studies/our-park").get_data(as_text=True)


def test_sending_an_incomplete_case_study_names_each_missing_part(client, cast, sign_in):
    sign_in(cast.writer)
    response = client.post("/case-studies/new", data={"title": "Half done", "action": "submit", "licence": "cc-by-4.0", "author_ids": [cast.writer]})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    summary = page.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    for message in ("Enter a summary", "Choose the service area", "Choose at least one engagement mode", "Choose the level",
                    "The challenge", "What we did", "Results", "Lessons learned"):
        assert message in summary
    ids = re.findall(r'href="#([^"]+)"', summary)
    assert ids[:2] == ["summary", "service_area"] and "challenge" in ids
    with app_context(client) as db:
        from cop.casestudies.models import CaseStudy

        assert db.session.scalar(sa.select(sa.func.count(CaseStudy.id))) == 0  # nothing half-written


class app_context:
    def __init__(self, client):
        self.app = client.application

    def __enter__(self):
        self.ctx = self.app.app_context()
        self.ctx.push()
        return _db

    def __exit__(self, *exc):
        _db.session.remove()
        self.ctx.pop()


def test_a_summary_over_300_characters_is_refused_on_the_page(client, cast, sign_in):
    sign_in(cast.writer)
    response = client.post("/case-studies/new", data={**form_data(summary="x" * 301), "author_ids": [cast.writer], "action": "save"})
    assert response.status_code == 400
    assert "The summary must be 300 characters or fewer." in response.get_data(as_text=True)


def test_bad_dates_and_links_get_messages_in_our_words(client, cast, sign_in):
    sign_in(cast.writer)
    page = client.post("/case-studies/new", data={**form_data(started_on="31/02/2025"), "author_ids": [cast.writer]}).get_data(as_text=True)
    assert "Enter the date it started as a real date" in page
    page = client.post("/case-studies/new", data={**form_data(links="our blog"), "author_ids": [cast.writer]}).get_data(as_text=True)
    assert "Line 1 of the links has no web address" in page
    page = client.post("/case-studies/new", data={**form_data(started_on="2025-05-01", ended_on="2025-01-01"), "author_ids": [cast.writer]}).get_data(as_text=True)
    assert "The end date must be on or after the start date." in page


def test_the_agency_admin_publishes_and_others_may_not(client, cast, sign_in, make_case_study):
    slug = make_case_study(status="in_review")
    for person in (cast.writer, cast.outsider, cast.moderator):
        sign_in(person)
        assert client.post(f"/case-studies/{slug}/publish").status_code in (403, 404)
    sign_in(cast.admin)
    response = client.post(f"/case-studies/{slug}/publish", follow_redirects=True)
    assert "The case study is published." in response.get_data(as_text=True)


def test_returning_needs_a_comment_and_shows_it_to_the_authors(client, cast, sign_in, make_case_study):
    slug = make_case_study(status="in_review")
    sign_in(cast.admin)
    page = client.post(f"/case-studies/{slug}/return", data={"comment": ""}, follow_redirects=True).get_data(as_text=True)
    assert "Say what the authors should change." in page
    client.post(f"/case-studies/{slug}/return", data={"comment": "Add the cost.\nAnd a photo."})
    sign_in(cast.writer)
    page = client.get(f"/case-studies/{slug}").get_data(as_text=True)
    assert "Add the cost.\nAnd a photo." in page and "Returned" in page


def test_a_member_of_another_agency_cannot_edit(client, cast, sign_in, make_case_study):
    slug = make_case_study()
    sign_in(cast.outsider)
    assert client.get(f"/case-studies/{slug}/edit").status_code == 403
    assert client.post(f"/case-studies/{slug}/edit", data=form_data(title="Taken")).status_code == 403


def test_unknown_and_unpublished_case_studies_are_not_found(client, cast, sign_in, make_case_study):
    assert client.get("/case-studies/nothing-here").status_code == 404
    slug = make_case_study(status="draft")
    assert client.get(f"/case-studies/{slug}").status_code == 404
    sign_in(cast.outsider)
    assert client.get(f"/case-studies/{slug}").status_code == 404
    assert client.get(f"/case-studies/{slug}/print").status_code == 404


def test_an_archived_case_study_keeps_its_address_and_leaves_the_lists(client, make_case_study):
    slug = make_case_study(status="archived")
    page = client.get(f"/case-studies/{slug}")
    assert page.status_code == 200 and "This case study is archived" in page.get_data(as_text=True)
    assert slug not in client.get("/case-studies").get_data(as_text=True)
    assert slug not in client.get("/case-studies/feed.atom").get_data(as_text=True)


def test_markdown_is_rendered_and_scripts_never_reach_the_page(client, make_case_study):
    slug = make_case_study(sections={**COMPLETE["sections"], "lessons": "<script>alert(1)</script>[x](javascript:alert(2)) **bold**"})
    page = client.get(f"/case-studies/{slug}").get_data(as_text=True)
    assert "<strong>missed bins</strong>" in page and "<strong>bold</strong>" in page
    assert "alert(1)" not in page and "href=\"javascript:" not in page


def test_filters_narrow_the_list(client, cast, make_case_study, make_agency, make_user):
    from cop.extensions import db

    make_agency("sydney", name="City of Sydney", domains=["sydney.example"], country="AU")
    aussie = make_user("w@sydney.example", name="Aus Writer", agency="sydney")
    admin = make_user("a@sydney.example", name="Aus Admin", agency="sydney", role="agency_admin")
    with client.application.app_context():
        from cop.text.models import Topic

        facebook = db.session.scalar(sa.select(Topic.id).where(Topic.slug == "facebook"))
        video = db.session.scalar(sa.select(Topic.id).where(Topic.slug == "video"))
    bins = make_case_study("Bins on Twitter")
    floods = make_case_study("Flood updates on Facebook", author=aussie, reviewer=admin, service_area="emergency-management",
                             modes=["broadcast"], level="303", topic_ids=[facebook, video])

    def listed(query: str) -> list[str]:
        page = client.get(f"/case-studies?{query}")
        assert page.status_code == 200
        return re.findall(r'href="/case-studies/([a-z0-9-]+)"', page.get_data(as_text=True).split('role="status"', 1)[1].split("Subscribe", 1)[0])

    assert sorted(listed("")) == sorted([bins, floods])
    assert listed("agency=sydney") == [floods]
    assert listed("country=AU") == [floods]
    assert listed("country=gb") == [bins]
    assert listed("service_area=emergency-management") == [floods]
    assert listed("mode=customer_service") == [bins]
    assert listed("channel=facebook") == [floods]
    assert listed("skill=video") == [floods]
    assert listed("skill=facebook") == []  # a channel is not a skill
    assert listed("level=101") == [bins]
    assert listed(f"author={cast.writer}") == [bins]
    assert listed("agency=nowhere") == []
    page = client.get("/case-studies?level=303&agency=sydney").get_data(as_text=True)
    assert "<title>Case studies, agency: City of Sydney, level: 303: advanced (1 found)" in page


def test_search_ranks_highlights_and_survives_hostile_queries(client, make_case_study):
    make_case_study("Parks and gardens consultation", summary="We asked about the park.")
    make_case_study("Flood warnings", summary="A crisis channel during the floods, with the park closed.",
                    sections={**COMPLETE["sections"], "approach": "Flood flood flood alerts."})
    page = client.get("/case-studies?q=flood").get_data(as_text=True)
    assert "<mark>Flood</mark> warnings" in page and "Parks and gardens" not in page
    assert 'name="sort"' in page and '<option value="relevance" selected' in page
    page = client.get('/case-studies?q="crisis channel"').get_data(as_text=True)
    assert 'href="/case-studies/flood-warnings"' in page and re.search(r"<mark>crisis(</mark> <mark>| )channel</mark>", page)
    assert 'href="/case-studies/flood-warnings"' not in client.get('/case-studies?q="channel crisis"').get_data(as_text=True)
    assert "Flood <mark>warnings</mark>" in client.get("/case-studies?q=warn*").get_data(as_text=True)
    for hostile in ('"unbalanced', "NEAR(", "*", "a" * 10_000, "flood OR", "') DROP TABLE case_studies; --", "%00", "title:flood"):
        response = client.get("/case-studies", query_string={"q": hostile})
        assert response.status_code == 200, hostile


def test_the_list_is_paginated_and_a_page_past_the_end_is_not_found(client, app, make_case_study):
    app.config["COP_PER_PAGE"] = 2
    for number in range(3):
        make_case_study(f"Study {number}")
    page = client.get("/case-studies?page=2").get_data(as_text=True)
    assert "Study 0" in page and "Study 2" not in page
    assert client.get("/case-studies?page=3").status_code == 404


def test_the_atom_feed_follows_the_filters_and_is_announced(client, make_case_study):
    make_case_study("Bins on Twitter")
    make_case_study("Library Instagram", service_area="libraries")
    page = client.get("/case-studies?service_area=libraries").get_data(as_text=True)
    link = re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', page)
    assert link and "service_area=libraries" in link.group(1)
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.get("bozo_exception")
    assert [e.title for e in feed.entries] == ["Library Instagram"]
    entry = feed.entries[0]
    assert entry.link == "http://cop.test/case-studies/library-instagram"
    assert entry.id == entry.link and entry.author == "Wendy Writer"
    assert "missed bins" in entry.content[0].value and "<script" not in entry.content[0].value
    whole = feedparser.parse(client.get("/case-studies/feed.atom").get_data())
    assert [e.title for e in whole.entries] == ["Library Instagram", "Bins on Twitter"]
    assert whole.feed.links[0].href == "http://cop.test/case-studies"


def test_the_print_view_has_the_story_and_no_site_furniture(client, make_case_study):
    slug = make_case_study()
    page = client.get(f"/case-studies/{slug}/print").get_data(as_text=True)
    assert "Calls about missed bins fell by 18%" in page and "CC BY 4.0" in page
    assert "govuk-header" not in page and f"http://cop.test/case-studies/{slug}" in page


def test_revisions_stay_readable_with_what_changed(client, cast, sign_in, make_case_study):
    slug = make_case_study()
    sign_in(cast.writer)
    data = {**form_data(title="Bin collections on Twitter", summary=COMPLETE["summary"], service_area="waste-and-recycling",
                        modes=["broadcast", "customer_service"], level="101", challenge=COMPLETE["sections"]["challenge"],
                        approach=COMPLETE["sections"]["approach"], results="Calls about missed bins fell by 25% in a year.",
                        lessons=COMPLETE["sections"]["lessons"]), "author_ids": [cast.writer], "note": "A year of figures"}
    assert client.post(f"/case-studies/{slug}/edit", data=data).status_code == 302
    assert "25% in a year" in client.get(f"/case-studies/{slug}").get_data(as_text=True)
    assert "18% in six months" in client.get(f"/case-studies/{slug}/revisions/1").get_data(as_text=True)
    listing = client.get(f"/case-studies/{slug}/revisions").get_data(as_text=True)
    assert "A year of figures" in listing and "Revision 2" in listing
    changes = client.get(f"/case-studies/{slug}/changes?from=1&to=2").get_data(as_text=True)
    assert "<del>18%</del>" in changes and "<ins>25%</ins>" in changes and "<h2 class=\"govuk-heading-m\">Results</h2>" in changes
    assert client.get(f"/case-studies/{slug}/revisions/3").status_code == 404
    assert client.get(f"/case-studies/{slug}/changes?from=1&to=9").status_code == 404
    assert client.get(f"/case-studies/{slug}/changes?from=1&to={2**70}").status_code == 404
    assert client.get(f"/case-studies/{slug}/revisions/{2**70}").status_code == 404


def test_related_case_studies_share_terms_and_words(client, make_case_study):
    slug = make_case_study("Bin collections on Twitter")
    make_case_study("Recycling questions answered on Twitter", service_area="waste-and-recycling")
    make_case_study("Election night results", service_area="elections", modes=["consultation"], level="303",
                    summary="Counting votes live.", sections={k: "Votes." for k in COMPLETE["sections"]})
    page = client.get(f"/case-studies/{slug}").get_data(as_text=True)
    related = page.split("Related case studies", 1)[1]
    assert "Recycling questions answered on Twitter" in related
    assert related.index("Recycling questions") < (related.index("Election night") if "Election night" in related else len(related))


def test_people_and_agencies_list_their_case_studies(client, cast, make_case_study):
    make_case_study("Bins on Twitter")
    make_case_study("Draft only", status="draft")
    person = client.get(f"/people/{cast.writer}").get_data(as_text=True)
    assert "Bins on Twitter" in person and "Draft only" not in person
    agency = client.get("/agencies/leeds").get_data(as_text=True)
    assert "Case studies (1)" in agency and "Bins on Twitter" in agency
    assert "Bins on Twitter" in client.get("/").get_data(as_text=True)


def test_yours_lists_drafts_and_the_review_queue(client, cast, sign_in, make_case_study):
    make_case_study("Waiting", status="in_review")
    make_case_study("Unfinished", status="draft")
    sign_in(cast.writer)
    page = client.get("/case-studies/yours").get_data(as_text=True)
    assert "Waiting" in page and "Unfinished" in page
    sign_in(cast.admin)
    page = client.get("/case-studies/yours").get_data(as_text=True)
    assert "Waiting for your review" in page and "Unfinished" not in page


@pytest.mark.csrf
def test_workflow_buttons_need_the_form_token(client, cast, sign_in, make_case_study):
    slug = make_case_study(status="in_review")
    sign_in(cast.admin)
    assert client.post(f"/case-studies/{slug}/publish").status_code == 400


def test_a_member_is_given_the_kept_library_with_their_own_header_and_sees_a_change_at_once(app, client, cast, sign_in, make_case_study):
    """The list as everyone sees it is made once per change (cop.cache.shared_part); what is a member's own
    (their account links, the button to write) is made for them on every request."""
    from tests.test_queries import counting_queries

    make_case_study("Bin collections on Twitter")
    sign_in(cast.writer)
    client.get("/case-studies")
    with counting_queries(app) as made_again:
        page = client.get("/case-studies").get_data(as_text=True)
    assert "Bin collections on Twitter" in page and "Write a case study" in page and "Your profile" in page
    # A member of no agency gets the same kept list, without the button that is not theirs.
    sign_in(cast.moderator)
    other = client.get("/case-studies").get_data(as_text=True)
    assert "Bin collections on Twitter" in other and "Write a case study" not in other
    assert not any("case_studies" in statement for statement in made_again), made_again
    make_case_study("Flood warnings on Facebook")
    sign_in(cast.writer)
    fresh = client.get("/case-studies").get_data(as_text=True)
    assert "Flood warnings on Facebook" in fresh and "2 case studies" in fresh
