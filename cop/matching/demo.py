"""Demo mentoring: open requests, active mentorships, one that ended with feedback from both sides, and a
programme with its people chosen, ready to compute. Made through the mentoring services."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from cop.accounts.models import User, listed, mentoring
from cop.clock import utcnow
from cop.extensions import db
from cop.matching import mentorships, programmes, services
from cop.matching.models import MentorRequest, Mentorship, Programme

#: What newcomers in the field ask for help with.
GOALS = (
    "Run our first live Q&A on Facebook about the budget consultation without it turning into a pile-on.",
    "Write a social media policy that our legal team will sign off and that staff will actually read.",
    "Work out which of our accounts to close, and how to tell followers, without losing the people we need to reach.",
    "Plan how we post during a flood or a snow day, and who signs posts off out of hours.",
    "Show senior managers whether our posts change anything, with figures they trust.",
    "Get our library team filming short videos on their phones that people want to watch.",
)
NOTES = (
    "Agreed to draft a one-page sign-off rota before we next talk.",
    "Shared two examples of moderation guidelines from other councils.",
)
PROGRAMME_NAME = "Spring cohort: 101 to 202"


def seed_mentoring(rng: random.Random) -> int:
    """Add the demo requests, mentorships and programme once; how many mentorships were added."""
    if db.session.scalar(sa.select(sa.func.count(Mentorship.id))) or db.session.scalar(sa.select(sa.func.count(MentorRequest.id))):
        return 0
    newcomers = list(db.session.scalars(sa.select(User).where(listed(), User.level == "101").order_by(User.id)))
    mentors = list(db.session.scalars(sa.select(User).where(listed(), mentoring(), User.level == "303").order_by(User.id)))
    if len(newcomers) < 8 or len(mentors) < 4:
        return 0
    featured = db.session.scalar(sa.select(User).where(User.email == "sam.taylor@cardiff.example"))
    if featured in newcomers:
        newcomers.remove(featured)
        newcomers.insert(0, featured)
    # Open requests: the demo newcomer sees their suggestions at once.
    for newcomer in newcomers[:3]:
        skills = newcomer.interests[:3] or newcomer.skills[:1]
        services.create_request(newcomer, services.RequestInput(
            goals=rng.choice(GOALS), skill_ids=[t.id for t in skills], format=rng.choice(("either", "online")),
            agency_preference="either",
        ))
    added = 0
    # Active mentorships, asked and accepted through the services, with goals and a note.
    for newcomer, mentor in zip(newcomers[3:6], mentors):
        mentorship = _accepted(rng, newcomer, mentor)
        if mentorship is None:
            continue
        mentorships.set_goals(mentor, mentorship, "- " + rng.choice(GOALS) + "\n- Check in on progress every fortnight.", 14)
        mentorships.add_note(newcomer, mentorship, rng.choice(NOTES))
        added += 1
    # One that ended, with feedback from both sides.
    mentorship = _accepted(rng, newcomers[6], mentors[-1])
    if mentorship is not None:
        mentorships.set_goals(mentors[-1], mentorship, "Publish our first social media policy.", 28)
        mentorships.end(newcomers[6], mentorship, "We met our goal: the policy is published.")
        mentorship.started_at = utcnow() - timedelta(days=120)
        mentorships.give_feedback(newcomers[6], mentorship, 5, "Practical, patient and honest about what went wrong for them.")
        mentorships.give_feedback(mentors[-1], mentorship, 4, "Came prepared every time; I learned from it too.")
        added += 1
    # A programme with its people chosen, ready to compute.
    admin = db.session.scalar(sa.select(User).where(User.site_role == "site_admin").order_by(User.id))
    if admin is not None and not db.session.scalar(sa.select(Programme.id).where(Programme.name == PROGRAMME_NAME)):
        programme = programmes.create_programme(admin, PROGRAMME_NAME)
        choose = [n.id for n in newcomers[7:]] or [newcomers[-1].id]
        programmes.set_members(admin, programme, choose, [m.id for m in mentors])
    db.session.flush()
    return added


def _accepted(rng: random.Random, newcomer: User, mentor: User):
    """Ask and accept, as the two people would; None when the mentor has no place left."""
    if mentor.mentees_count >= mentor.mentoring_capacity or mentor.id == newcomer.id:
        return None
    skills = (mentor.skills[:2] or newcomer.interests[:1])
    request = services.create_request(newcomer, services.RequestInput(
        goals=rng.choice(GOALS), skill_ids=[t.id for t in skills], format="either", agency_preference="either",
    ), mentor=mentor)
    return services.accept(mentor, request)
