"""Asking for a mentor through the pages: suggestions with reasons, asking, accepting, declining, the bad input
the issue names, and a mentorship from goals to feedback."""

from __future__ import annotations

import sqlalchemy as sa

from cop.extensions import db as _db
from tests.matching.conftest import person, topics


def _skill_ids(app, *slugs: str) -> list[str]:
    with app.app_context():
        return [str(t.id) for t in topics(*slugs)]


def test_a_newcomer_asks_and_sees_suggestions_with_their_reasons(app, client, community, sign_in):
    sign_in(community.newcomer)
    page = client.get("/mentoring/ask")
    assert page.status_code == 200 and "What do you want to achieve?" in page.get_data(as_text=True)
    response = client.post("/mentoring/ask", data={
        "goals": "Film short explainer videos on a phone for YouTube.", "skill_ids": _skill_ids(app, "video"),
        "format": "either", "agency_preference": "either",
    })
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Mentors who suit you" in page
    # Both video mentors are offered, the crisis mentor (nothing in common) is not; the reasons name the shared
    # skill and the words of the goals.
    assert "Vera Video" in page and "Yan York" in page and "Carl Crisis" not in page
    assert "Skills you both named: Video" in page
    assert "Words in your goals that match their profile:" in page and "youtube" in page.lower()
    assert "Pat Practising" not in page  # not a mentor
    # The numbers are for programme admins only.
    assert "The numbers behind this" not in page


def test_an_agency_admin_asking_for_a_mentor_sees_the_numbers_behind_each_suggestion(app, client, community, sign_in, ask_for):
    request_id = ask_for(community.newcomer)
    with app.app_context():
        person(community.newcomer).is_agency_admin = True
        _db.session.commit()
    sign_in(community.newcomer)
    page = client.get(f"/mentoring/requests/{request_id}").get_data(as_text=True)
    assert page.count("The numbers behind this") == page.count("Why this match") == 2
    assert "Score 0." in page and "; agency bonus 0." in page


def test_a_request_needs_a_skill_and_is_never_made_twice(app, client, community, sign_in):
    from cop.matching.models import MentorRequest

    sign_in(community.newcomer)
    response = client.post("/mentoring/ask", data={"goals": "Get better at video.", "format": "either", "agency_preference": "either"})
    assert response.status_code == 400
    assert "Choose at least one skill you want help with." in response.get_data(as_text=True)
    data = {"goals": "Get better at video.", "skill_ids": _skill_ids(app, "video"), "format": "either", "agency_preference": "either"}
    first = client.post("/mentoring/ask", data=data)
    second = client.post("/mentoring/ask", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count(MentorRequest.id))) == 1


def test_the_mentor_accepts_and_both_are_told(app, client, community, sign_in, ask_for):
    from cop.notifications.models import Notification

    request_id = ask_for(community.newcomer)
    sign_in(community.newcomer)
    assert client.post(f"/mentoring/requests/{request_id}/ask", data={"mentor_id": community.video_mentor}).status_code == 302
    sign_in(community.video_mentor)
    page = client.get("/mentoring/").get_data(as_text=True)
    assert "Nia Newcomer asks you to mentor them" in page
    response = client.post(f"/mentoring/requests/{request_id}/accept")
    assert response.status_code == 302 and "/mentoring/mentorships/" in response.headers["Location"]
    with app.app_context():
        titles = list(_db.session.scalars(sa.select(Notification.title).order_by(Notification.id)))
        assert "Nia Newcomer asks you to mentor them" in titles and "Vera Video will mentor you" in titles
        assert person(community.video_mentor).mentees_count == 1


def test_a_decline_needs_a_reason_offers_the_next_and_never_suggests_the_pair_again(app, client, community, sign_in, ask_for):
    from cop.notifications.models import Notification

    request_id = ask_for(community.newcomer, mentor=community.video_mentor)
    sign_in(community.video_mentor)
    refused = client.post(f"/mentoring/requests/{request_id}/decline", data={"reason": ""})
    assert refused.status_code == 400 and "Say why" in refused.get_data(as_text=True)
    assert client.post(f"/mentoring/requests/{request_id}/decline", data={"reason": "Full until spring."}).status_code == 302
    with app.app_context():
        notice = _db.session.scalar(sa.select(Notification).where(Notification.user_id == community.newcomer))
        assert notice.title == "Vera Video cannot mentor you: Full until spring."
    sign_in(community.newcomer)
    page = client.get(f"/mentoring/requests/{request_id}").get_data(as_text=True)
    assert "Yan York" in page and "Vera Video" not in page
    again = client.post(f"/mentoring/requests/{request_id}/ask", data={"mentor_id": community.video_mentor})
    assert again.status_code == 302
    assert "already declined" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_asking_a_mentor_who_just_filled_up_is_refused_with_the_next_suggestion(app, client, community, sign_in, ask_for, make_user):
    from cop.accounts.models import User

    with app.app_context():
        _db.session.execute(sa.update(User).where(User.id == community.york_mentor).values(mentees_count=1))
        _db.session.commit()
    request_id = ask_for(community.newcomer)
    sign_in(community.newcomer)
    response = client.post(f"/mentoring/requests/{request_id}/ask", data={"mentor_id": community.york_mentor}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Yan York has no room for another mentee just now. Vera Video is the next best match for you." in page


def test_accepting_a_withdrawn_request_or_beyond_capacity_is_refused(app, client, community, sign_in, ask_for, make_user):
    from cop.accounts.models import User
    from cop.matching.models import Mentorship

    request_id = ask_for(community.newcomer, mentor=community.york_mentor)
    sign_in(community.newcomer)
    client.post(f"/mentoring/requests/{request_id}/withdraw")
    sign_in(community.york_mentor)
    page = client.post(f"/mentoring/requests/{request_id}/accept", follow_redirects=True).get_data(as_text=True)
    assert "The newcomer withdrew this request." in page
    # Asked again, then the mentor fills their one place elsewhere before answering.
    sign_in(community.newcomer)
    client.post(f"/mentoring/requests/{request_id}/ask", data={"mentor_id": community.york_mentor})
    with app.app_context():
        _db.session.execute(sa.update(User).where(User.id == community.york_mentor).values(mentees_count=1))
        _db.session.commit()
    sign_in(community.york_mentor)
    page = client.post(f"/mentoring/requests/{request_id}/accept", follow_redirects=True).get_data(as_text=True)
    assert "You have no room for another mentee" in page
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count(Mentorship.id))) == 0
        assert person(community.york_mentor).mentees_count == 1


def test_a_mentorship_from_goals_to_feedback_and_its_notes_are_private(app, client, community, sign_in, ask_for):
    from cop.matching import services

    request_id = ask_for(community.newcomer, mentor=community.video_mentor)
    with app.app_context():
        from cop.matching.models import MentorRequest

        mentorship = services.accept(person(community.video_mentor), _db.session.get(MentorRequest, request_id))
        _db.session.commit()
        mentorship_id = mentorship.id
    sign_in(community.newcomer)
    base = f"/mentoring/mentorships/{mentorship_id}"
    assert client.post(f"{base}/goals", data={"goals": "Film three library videos.", "check_in_days": "7"}).status_code == 302
    assert client.post(f"{base}/notes", data={"body": "Bring the storyboard next time."}).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Film three library videos." in page and "Every week" in page and "Bring the storyboard next time." in page
    # A third person, an agency admin and a site admin among them, is not shown the mentorship at all.
    for outsider in (community.crisis_mentor, community.leeds_admin, community.site_admin):
        sign_in(outsider)
        assert client.get(base).status_code == 404
        assert client.post(f"{base}/notes", data={"body": "Hello"}).status_code == 404
    sign_in(community.newcomer)
    assert client.post(f"{base}/feedback", data={"rating": "5"}).status_code == 409
    early = client.post(f"{base}/feedback", data={"rating": "5"}).get_data(as_text=True)
    assert "Feedback is given once the mentorship has ended." in early, "the refusal is on the page, though its form is not"
    assert client.post(f"{base}/end", data={"reason": ""}).status_code == 400
    assert client.post(f"{base}/end", data={"reason": "We met our goals."}).status_code == 302
    with app.app_context():
        assert person(community.video_mentor).mentees_count == 0
    assert client.post(f"{base}/feedback", data={"rating": "9"}).status_code == 400
    assert client.post(f"{base}/feedback", data={"rating": "5", "comment": "Patient and practical."}).status_code == 302
    assert client.post(f"{base}/feedback", data={"rating": "4"}).status_code == 409
    sign_in(community.video_mentor)
    assert client.post(f"{base}/feedback", data={"rating": "4", "comment": "Keen."}).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "Nia Newcomer: 5 out of 5" in page and "Vera Video: 4 out of 5" in page


def test_a_paused_mentor_is_not_suggested_and_resumes(app, client, community, sign_in, ask_for):
    sign_in(community.video_mentor)
    assert client.post("/mentoring/settings", data={"format": "online", "paused": "y"}).status_code == 302
    request_id = ask_for(community.newcomer)
    sign_in(community.newcomer)
    assert "Vera Video" not in client.get(f"/mentoring/requests/{request_id}").get_data(as_text=True)
    sign_in(community.video_mentor)
    client.post("/mentoring/settings", data={"format": "online"})
    sign_in(community.newcomer)
    assert "Vera Video" in client.get(f"/mentoring/requests/{request_id}").get_data(as_text=True)


def test_a_profile_and_a_case_study_offer_to_ask_their_mentor(app, client, community, sign_in):
    page = client.get(f"/people/{community.video_mentor}").get_data(as_text=True)
    assert "Ask to be mentored" in page and f"/mentoring/ask?mentor={community.video_mentor}" in page
    assert "Ask to be mentored" not in client.get(f"/people/{community.practising}").get_data(as_text=True)
    sign_in(community.newcomer)
    response = client.post(f"/mentoring/ask?mentor={community.video_mentor}", data={
        "goals": "Videos.", "skill_ids": _skill_ids(app, "video"), "format": "either", "agency_preference": "either"})
    assert "Waiting for the mentor&#39;s answer: Vera Video" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        from cop.matching.models import MentorRequest

        made = _db.session.scalar(sa.select(MentorRequest))
        assert made.status == "asked" and made.mentor_id == community.video_mentor


def test_check_in_reminders_go_once_per_check_in(app, community, ask_for):
    from datetime import timedelta

    from cop.clock import utcnow
    from cop.matching import mentorships, services
    from cop.matching.models import MentorRequest
    from cop.notifications.models import Notification

    request_id = ask_for(community.newcomer, mentor=community.video_mentor)
    with app.app_context():
        mentorship = services.accept(person(community.video_mentor), _db.session.get(MentorRequest, request_id))
        mentorship.next_check_in_at = utcnow() + timedelta(hours=20)
        _db.session.commit()
        assert mentorships.send_check_in_reminders() == 1
        _db.session.commit()
        assert mentorships.send_check_in_reminders() == 0
        titles = list(_db.session.scalars(sa.select(Notification.title).where(Notification.kind == "mentorship_check_in")))
        assert sorted(titles)[0].startswith("Check in with Nia Newcomer") and len(titles) == 2


def test_the_weights_the_site_sets_decide_the_order(app, community, ask_for):
    """COP_MATCHING_WEIGHTS reaches the engine: a heavy agency preference lifts the mentor from another agency."""
    from cop.matching import services
    from cop.matching.models import MentorRequest

    request_id = ask_for(community.newcomer, goals="Film short explainer videos on a phone for YouTube.",
                         agency_preference="other")
    with app.app_context():
        app.config["COP_MATCHING_WEIGHTS"] = {"agency": 0.0}
        unweighted = [s.mentor_id for s in services.suggestions(_db.session.get(MentorRequest, request_id))]
    with app.app_context():
        app.config["COP_MATCHING_WEIGHTS"] = {"agency": 5.0}
        weighted = [s.mentor_id for s in services.suggestions(_db.session.get(MentorRequest, request_id))]
    assert unweighted[0] == community.video_mentor
    assert weighted[0] == community.york_mentor


def test_suggestions_show_a_mentor_and_their_agency_as_they_are_now(app, client, community, sign_in, ask_for):
    """What a suggestion shows of a mentor is kept by the process for the index's version: a change to the mentor or
    to their agency's name moves the version on, and the next page shows it."""
    from cop.agencies.models import Agency
    from tests.test_queries import counting_queries

    def asks_for_cards(statements: list[str]) -> bool:
        return any("AS agency_name" in statement for statement in statements)

    request_id = ask_for(community.newcomer, goals="Film short explainer videos on a phone for YouTube.")
    sign_in(community.newcomer)
    page = client.get(f"/mentoring/requests/{request_id}").get_data(as_text=True)
    assert "Vera Video" in page and "Leeds City Council" in page and "City of York Council" in page
    with counting_queries(app) as kept:
        client.get(f"/mentoring/requests/{request_id}")
    with app.app_context():
        _db.session.scalar(sa.select(Agency).where(Agency.slug == "york")).name = "York Council"
        _db.session.commit()
    with counting_queries(app) as afresh:
        page = client.get(f"/mentoring/requests/{request_id}").get_data(as_text=True)
    assert "York Council" in page and "City of York Council" not in page
    assert not asks_for_cards(kept) and asks_for_cards(afresh)
    with app.app_context():
        person(community.video_mentor).display_name = "Vera Vision"
        _db.session.commit()
    page = client.get(f"/mentoring/requests/{request_id}").get_data(as_text=True)
    assert "Vera Vision" in page and "Vera Video" not in page
