"""Fixtures for mentoring: a small community whose right answers are known, and helpers over its services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest
import sqlalchemy as sa

from cop.extensions import db as _db


@dataclass
class Community:
    """Leeds: a 101 newcomer and a 202; two 303 mentors (video; crisis), York: a 303 video mentor; a site admin."""

    newcomer: int
    practising: int
    video_mentor: int
    crisis_mentor: int
    york_mentor: int
    leeds_admin: int
    site_admin: int


def topics(*slugs: str) -> list:
    from cop.text.models import Topic

    found = list(_db.session.scalars(sa.select(Topic).where(Topic.slug.in_(slugs))))
    assert len(found) == len(slugs), slugs
    return found


def person(user_id: int):
    from cop.accounts.models import User

    return _db.session.get(User, user_id)


@pytest.fixture()
def community(app, make_agency, make_user) -> Community:
    make_agency("leeds", name="Leeds City Council", domains=["leeds.example"])
    make_agency("york", name="City of York Council", domains=["york.example"])

    def mentor(email: str, name: str, agency: str, skills: tuple[str, ...], bio: str, capacity: int = 2, **fields: Any) -> int:
        user_id = make_user(email, name=name, agency=agency, level="303", open_to_mentoring=True, mentoring_capacity=capacity,
                            bio=bio, time_zone="Europe/London", country="GB", **fields)
        with app.app_context():
            person(user_id).skills = topics(*skills)
            _db.session.commit()
        return user_id

    made = Community(
        newcomer=make_user("nia@leeds.example", name="Nia Newcomer", agency="leeds", level="101", country="GB", time_zone="Europe/London"),
        practising=make_user("pat@leeds.example", name="Pat Practising", agency="leeds", level="202"),
        video_mentor=mentor("vera@leeds.example", "Vera Video", "leeds", ("video", "youtube"),
                            "I film short explainer videos for council services on a phone and edit them for YouTube."),
        crisis_mentor=mentor("carl@leeds.example", "Carl Crisis", "leeds", ("crisis-and-emergency-communications", "x-twitter"),
                             "I ran our flood and snow-day posting, with out-of-hours sign-off."),
        york_mentor=mentor("yan@york.example", "Yan York", "york", ("video", "instagram"),
                           "Short vertical video for Instagram and YouTube, and training teams to film.", capacity=1),
        leeds_admin=make_user("admin@leeds.example", name="Priya Admin", role="agency_admin", agency="leeds", level="303"),
        site_admin=make_user("root@example.org", name="Sid Admin", role="site_admin"),
    )
    return made


@pytest.fixture()
def ask_for(app) -> Callable[..., int]:
    """Make a request for a newcomer through the service; returns its id."""
    from cop.matching import services

    def make(newcomer: int, skills: tuple[str, ...] = ("video",), goals: str = "Film short videos about our libraries for YouTube.",
             mentor: int | None = None, **fields: Any) -> int:
        with app.app_context():
            request = services.create_request(person(newcomer), services.RequestInput(
                goals=goals, skill_ids=[t.id for t in topics(*skills)], **fields), mentor=person(mentor) if mentor else None)
            _db.session.commit()
            return request.id

    return make
