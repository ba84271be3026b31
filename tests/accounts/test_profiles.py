"""Profiles and people."""

import pytest
import sqlalchemy as sa

from cop.accounts.models import User
from cop.text.models import Topic


def topic_ids(db, *slugs):
    return [db.session.scalar(sa.select(Topic.id).where(Topic.slug == s)) for s in slugs]


def profile_form(db, **overrides):
    skills = topic_ids(db, "video", "consultation")
    data = {
        "display_name": "Jo Bloggs",
        "job_title": "Digital officer",
        "bio": "I run **consultations**.",
        "level": "202",
        "skills": [str(i) for i in skills],
        "interests": [str(topic_ids(db, "mastodon")[0])],
        "country": "GB",
        "region": "West Yorkshire",
        "time_zone": "Europe/London",
        "open_to_mentoring": "y",
        "mentoring_capacity": "3",
    }
    data.update(overrides)
    return data


def test_edit_profile_and_see_it(client, db, as_user):
    user_id = as_user("member")
    response = client.post("/profile", data=profile_form(db))
    assert response.status_code == 302
    user = db.session.get(User, user_id)
    assert [t.slug for t in user.skills] == ["consultation", "video"]
    assert [t.slug for t in user.interests] == ["mastodon"]
    assert (user.level, user.mentoring_capacity, user.country) == ("202", 3, "GB")
    page = client.get(f"/people/{user_id}").get_data(as_text=True)
    assert "<strong>consultations</strong>" in page
    assert "Open to mentoring up to 3 people" in page


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"bio": "x" * 5001}, "5000 characters or fewer"),
        ({"mentoring_capacity": "11"}, "Enter a number from 0 to 10"),
        ({"mentoring_capacity": "-1"}, "Enter a number from 0 to 10"),
        ({"level": "404"}, "Choose your experience level from the list"),
        ({"time_zone": "Mars/Olympus_Mons"}, "Choose a time zone from the list"),
        ({"country": "XX"}, "Choose a country from the list"),
        ({"skills": ["999999"]}, "Choose skills from the list"),
        ({"interests": ["banana"]}, "Choose interests from the list"),
        ({"display_name": ""}, "Enter the name other members will see"),
    ],
)
def test_profile_bad_input_changes_nothing(client, db, as_user, overrides, message):
    user_id = as_user("member")
    response = client.post("/profile", data=profile_form(db, **overrides))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    user = db.session.get(User, user_id)
    assert user.display_name == "Test Person"
    assert user.bio == "" and user.skills == [] and user.level == "202"


def test_script_in_bio_is_stored_but_never_run(client, db, as_user):
    user_id = as_user("member")
    bio = 'Hello <script>alert("x")</script> [click](javascript:alert(1))'
    assert client.post("/profile", data=profile_form(db, bio=bio)).status_code == 302
    page = client.get(f"/people/{user_id}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "href=\"javascript" not in page
    assert "&lt;script&gt;" in page


def test_capacity_is_zero_when_not_mentoring(client, db, as_user):
    user_id = as_user("member")
    data = profile_form(db)
    del data["open_to_mentoring"]
    client.post("/profile", data=data)
    assert db.session.get(User, user_id).mentoring_capacity == 0


def test_people_list_is_paginated_and_filtered(client, make_user):
    for i in range(25):
        make_user(f"p{i:02}@example.org", name=f"Person {i:02}", level="303" if i % 5 == 0 else "101")
    make_user("hidden@example.org", name="Unverified Person", verified=False)
    first = client.get("/people").get_data(as_text=True)
    assert "25 people" in first and "Person 00" in first and "Person 24" not in first
    assert "Unverified Person" not in first
    second = client.get("/people?page=2").get_data(as_text=True)
    assert "Person 24" in second
    filtered = client.get("/people?level=303").get_data(as_text=True)
    assert "5 people" in filtered
    assert client.get("/people?page=banana").status_code == 200


def test_unknown_person_is_404(client):
    assert client.get("/people/9999").status_code == 404
