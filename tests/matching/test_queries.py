"""Mentoring pages issue the same statements whether they list few mentorships and requests or many."""

from __future__ import annotations

from cop.extensions import db as _db
from tests.matching.conftest import person
from tests.test_queries import queries_for


def test_the_mentoring_page_takes_the_same_statements_for_few_or_many(app, client, community, make_user, sign_in):
    from cop.clock import utcnow
    from cop.matching.models import MentorRequest, Mentorship

    def add(start: int, stop: int) -> None:
        for n in range(start, stop):
            newcomer = make_user(f"new{n}@leeds.example", name=f"Newcomer {n}", agency="leeds", level="101")
            other = make_user(f"asker{n}@leeds.example", name=f"Asker {n}", agency="leeds", level="101")
            with app.app_context():
                _db.session.add_all([
                    Mentorship(mentor_id=community.video_mentor, newcomer_id=newcomer, status="active" if n % 2 else "ended",
                               ended_at=None if n % 2 else utcnow()),
                    MentorRequest(newcomer_id=other, goals="Video.", status="asked", mentor_id=community.video_mentor,
                                  asked_at=utcnow()),
                ])
                _db.session.commit()

    sign_in(community.video_mentor)
    add(0, 2)
    few = queries_for(app, client, "/mentoring/")
    add(2, 12)
    many = queries_for(app, client, "/mentoring/")
    page = client.get("/mentoring/").get_data(as_text=True)
    assert "Asker 11 asks you to mentor them" in page and "Mentoring Newcomer 11" in page
    assert many == few, f"/mentoring/: {few} statements with few, {many} with many"


def test_suggestions_take_the_same_statements_for_few_or_many_mentors(app, client, community, make_user, ask_for, sign_in):
    request_id = ask_for(community.newcomer)
    sign_in(community.newcomer)
    few = queries_for(app, client, f"/mentoring/requests/{request_id}")
    for n in range(8):
        user_id = make_user(f"mentor{n}@york.example", name=f"Mentor {n}", agency="york", level="303", open_to_mentoring=True,
                            mentoring_capacity=2, bio="Short video for YouTube on a phone.")
        with app.app_context():
            from tests.matching.conftest import topics

            person(user_id).skills = topics("video")
            _db.session.commit()
    many = queries_for(app, client, f"/mentoring/requests/{request_id}")
    page = client.get(f"/mentoring/requests/{request_id}").get_data(as_text=True)
    assert page.count("Ask Mentor ") >= 3
    assert many == few, f"suggestions: {few} statements with few mentors, {many} with many"


def test_a_mentorship_takes_the_same_statements_for_few_or_many_notes(app, client, community, make_user, sign_in):
    from cop.matching import mentorships
    from cop.matching.models import Mentorship

    newcomer = make_user("pair@leeds.example", name="Pat Pair", agency="leeds", level="101")
    with app.app_context():
        found = Mentorship(mentor_id=community.video_mentor, newcomer_id=newcomer, status="active")
        _db.session.add(found)
        _db.session.commit()
        mentorship_id = found.id

    def add_notes(count: int) -> None:
        with app.app_context():
            found = _db.session.get(Mentorship, mentorship_id)
            for n in range(count):
                mentorships.add_note(person(newcomer if n % 2 else community.video_mentor), found, f"Note {n}")
            _db.session.commit()

    sign_in(newcomer)
    add_notes(1)
    few = queries_for(app, client, f"/mentoring/mentorships/{mentorship_id}")
    add_notes(10)
    many = queries_for(app, client, f"/mentoring/mentorships/{mentorship_id}")
    page = client.get(f"/mentoring/mentorships/{mentorship_id}").get_data(as_text=True)
    assert page.count("Note ") >= 11 and "Mentored by" in page
    assert many == few, f"a mentorship: {few} statements with one note, {many} with eleven"
    # The sign-in, the mentorship with the pair and their agencies, its notes: nothing read again per person.
    assert few == 2, f"a mentorship: {few} statements"


def test_the_mentoring_page_shows_each_part_in_order_from_one_statement_beside_the_sign_in(app, client, community, make_user,
                                                                                          sign_in, ask_for):
    from datetime import timedelta

    from cop.clock import utcnow
    from cop.matching.models import MentorRequest, Mentorship

    now = utcnow()
    first, second, done = (make_user(f"m{n}@leeds.example", name=name, agency="leeds", level="101")
                           for n, name in enumerate(("Ann First", "Bob Second", "Cat Done")))
    early, late = (make_user(f"a{n}@york.example", name=name, agency="york", level="101")
                   for n, name in enumerate(("Eve Early", "Lou Late")))
    with app.app_context():
        _db.session.add_all([
            Mentorship(mentor_id=community.video_mentor, newcomer_id=first, started_at=now - timedelta(days=9),
                       next_check_in_at=now + timedelta(days=3)),
            Mentorship(mentor_id=community.video_mentor, newcomer_id=second, started_at=now - timedelta(days=2)),
            Mentorship(mentor_id=community.crisis_mentor, newcomer_id=community.video_mentor, started_at=now - timedelta(days=5)),
            Mentorship(mentor_id=community.video_mentor, newcomer_id=done, status="ended", started_at=now - timedelta(days=40),
                       ended_at=now - timedelta(days=1)),
            MentorRequest(newcomer_id=late, goals="Video.", status="asked", mentor_id=community.video_mentor, asked_at=now),
            MentorRequest(newcomer_id=early, goals="Video.", status="asked", mentor_id=community.video_mentor,
                          asked_at=now - timedelta(hours=3)),
        ])
        _db.session.commit()
    sign_in(community.video_mentor)
    assert queries_for(app, client, "/mentoring/") == 2
    page = client.get("/mentoring/").get_data(as_text=True)
    order = ["Eve Early asks you to mentor them", "Lou Late asks you to mentor them", "Mentoring Bob Second",
             "Mentored by Carl Crisis", "Mentoring Ann First", "Next check-in by", "Ended", "Mentored Cat Done</a>, ended"]
    places = [page.index(text) for text in order]
    assert places == sorted(places)
    assert "Ask for a mentor" in page

    ask_for(community.newcomer, mentor=community.york_mentor)
    sign_in(community.newcomer)
    assert queries_for(app, client, "/mentoring/") == 2
    page = client.get("/mentoring/").get_data(as_text=True)
    assert "you asked Yan York." in page and "None active." in page and "Asked of you" not in page
