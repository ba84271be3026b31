"""Programmes through their pages: choose people, compute (at once, or in the task queue with progress), review
the report and its charts, adjust within capacity, publish and tell everyone."""

from __future__ import annotations

import sqlalchemy as sa

from cop.extensions import db as _db
from tests.matching.conftest import person, topics


def _cohort(app, make_user, count: int = 4) -> list[int]:
    newcomers = []
    for i, skill in zip(range(count), ("video", "video", "crisis-and-emergency-communications", "youtube")):
        user_id = make_user(f"n{i}@leeds.example", name=f"Newcomer {i}", agency="leeds", level="101")
        with app.app_context():
            person(user_id).interests = topics(skill)
            _db.session.commit()
        newcomers.append(user_id)
    return newcomers


def _programme(client, mentors: list[int], newcomers: list[int], stable: bool = False) -> str:
    response = client.post("/mentoring/programmes/new", data={"name": "Spring cohort", **({"stable": "y"} if stable else {})})
    assert response.status_code == 302
    people_url = response.headers["Location"]
    assert client.post(people_url, data={"newcomer_ids": [str(n) for n in newcomers],
                                         "mentor_ids": [str(m) for m in mentors]}).status_code == 302
    return people_url.rsplit("/people", 1)[0]


def test_an_agency_admin_computes_reviews_adjusts_and_publishes(app, client, community, sign_in, make_user):
    from cop.matching.models import Mentorship
    from cop.notifications.models import Notification

    newcomers = _cohort(app, make_user)
    sign_in(community.leeds_admin)
    url = _programme(client, [community.video_mentor, community.crisis_mentor, community.york_mentor], newcomers)
    response = client.post(f"{url}/compute", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The matches are computed." in page
    assert "Newcomers matched</dt><dd class=\"govuk-summary-list__value\">4 of 4 (100%)" in page
    assert page.count('role="img"') == 2 and "Matched pairs by similarity" in page
    # The crisis newcomer got the crisis mentor; the two video newcomers the video mentors.
    with app.app_context():
        from cop.matching.models import ProgrammeMatch

        given = dict(_db.session.execute(sa.select(ProgrammeMatch.newcomer_id, ProgrammeMatch.mentor_id)).all())
        assert given[newcomers[2]] == community.crisis_mentor
        assert {given[newcomers[0]], given[newcomers[1]]} <= {community.video_mentor, community.york_mentor}
        york_has = [n for n, m in given.items() if m == community.york_mentor]
    # Adjusting beyond a mentor's places is refused; within them, the report is redone.
    other = next(n for n in newcomers if n not in york_has)
    refused = client.post(f"{url}/matches/{other}", data={"mentor_id": str(community.york_mentor)}, follow_redirects=True)
    assert "Yan York has no place left in this programme." in refused.get_data(as_text=True)
    changed = client.post(f"{url}/matches/{newcomers[3]}", data={"mentor_id": ""}, follow_redirects=True).get_data(as_text=True)
    assert "3 of 4 (75%)" in changed and "Not matched" in changed
    published = client.post(f"{url}/publish", follow_redirects=True).get_data(as_text=True)
    assert "Published: 3 mentorships have started" in published
    with app.app_context():
        assert _db.session.scalar(sa.select(sa.func.count(Mentorship.id))) == 3
        told = _db.session.scalar(sa.select(sa.func.count(Notification.id)).where(Notification.kind == "programme_match"))
        assert told == 6
        assert person(community.york_mentor).mentees_count == 1
    assert client.post(f"{url}/publish", follow_redirects=True).status_code == 200
    assert client.post(f"{url}/compute").status_code == 302


def test_a_large_programme_is_computed_in_the_task_queue(app, client, community, sign_in, make_user, monkeypatch):
    from cop.matching import programmes
    from cop.matching.models import Programme

    monkeypatch.setattr(programmes, "COMPUTE_AT_ONCE", 1)
    newcomers = _cohort(app, make_user)
    sign_in(community.site_admin)
    url = _programme(client, [community.video_mentor, community.crisis_mentor], newcomers, stable=True)
    page = client.post(f"{url}/compute", follow_redirects=True).get_data(as_text=True)
    assert "being computed" in page
    with app.app_context():
        programme = _db.session.scalar(sa.select(Programme))
        # The task ran (tasks run at once here) and left the programme ready, with its report.
        assert programme.status == "computed" and programme.progress == 100 and programme.report["blocking_pairs"] == 0


def test_people_must_come_from_the_lists_and_others_cannot_run_it(app, client, community, sign_in, make_user):
    newcomers = _cohort(app, make_user, 2)
    sign_in(community.leeds_admin)
    response = client.post("/mentoring/programmes/new", data={"name": ""})
    assert response.status_code == 400 and "Name the programme." in response.get_data(as_text=True)
    url = _programme(client, [community.video_mentor], newcomers)
    bad = client.post(f"{url}/people", data={"newcomer_ids": [str(community.york_mentor)], "mentor_ids": [str(community.video_mentor)]})
    assert bad.status_code == 400 and "Choose newcomers from the list." in bad.get_data(as_text=True)
    sign_in(community.video_mentor)
    assert client.get(url).status_code == 403
    assert client.get("/mentoring/programmes").status_code == 403
