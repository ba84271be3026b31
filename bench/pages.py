"""The speed budget for pages: 10,000 people in 500 agencies, with the full taxonomy.

python -m bench.pages [--database-url postgresql://…] [--rounds 3] [--seconds 3] [--scale 1]

Target: every page within 5 × /livez, on SQLite and PostgreSQL, with SQL statements per page
constant in the rows shown (tests/test_queries.py holds that part); on PostgreSQL the selective
pages (a skill, an agency, one person, one agency) use an index rather than reading every person.
"""

from __future__ import annotations

import random

import sqlalchemy as sa

from bench.runner import Page, arguments, run

PEOPLE = 10_000
AGENCIES = 500
COUNTRIES = (("GB", "Europe/London"), ("AU", "Australia/Sydney"), ("NZ", "Pacific/Auckland"), ("CA", "America/Toronto"))
TITLES = ("Digital communications officer", "Social media officer", "Head of digital", "Content designer",
          "Engagement officer", "Communications assistant", "Digital engagement manager")
FIRST = ("Aisha", "Ben", "Chloe", "Dev", "Eilidh", "Farah", "Gareth", "Hannah", "Isaac", "Jas", "Kemi", "Liam", "Mei", "Niamh")
LAST = ("Ahmed", "Brown", "Campbell", "Davies", "Evans", "Fraser", "Ghosh", "Hughes", "Jones", "Kaur", "Lee", "Patel", "Singh")


def build(app, scale: float) -> list[Page]:
    """Agencies through the agencies service; people as ORM rows in bulk (one cheap password hash for all)."""
    from argon2 import PasswordHasher

    from cop.accounts.models import User
    from cop.accounts.services import people_query
    from cop.agencies.models import Agency
    from cop.agencies.services import create_agency, members_query
    from cop.clock import utcnow
    from cop.extensions import db
    from cop.text.models import Topic

    rng = random.Random(5)
    topics = list(db.session.scalars(sa.select(Topic).order_by(Topic.id)))
    agency_count, people_count = max(int(AGENCIES * scale), 2), max(int(PEOPLE * scale), 20)
    for i in range(agency_count):
        country, _zone = COUNTRIES[i % len(COUNTRIES)]
        create_agency(None, f"agency-{i:03}", f"{rng.choice(('City', 'County', 'Borough'))} Council {i:03}", country,
                      ("local", "regional", "national")[i % 3], domains=[f"agency{i:03}.example"])
    db.session.commit()
    agencies = list(db.session.scalars(sa.select(Agency).order_by(Agency.id)))
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("not used to sign in")
    now = utcnow()
    for start in range(0, people_count, 1000):
        batch = []
        for i in range(start, min(start + 1000, people_count)):
            agency = agencies[i % len(agencies)]
            level = rng.choices(("101", "202", "303"), weights=(4, 4, 3))[0]
            mentoring = level == "303" or (level == "202" and rng.random() < 0.3)
            skills = rng.sample(topics, rng.randint(1, 5))
            # As on a real site, some are not listed: 2% unconfirmed, 3% with an empty profile (no title or level).
            unlisted = rng.random()
            batch.append(User(
                email=f"person{i:05}@{agency.domains[0].domain}", display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)} {i:05}",
                password_hash=password_hash, email_verified_at=None if unlisted < 0.02 else now,
                job_title="" if 0.02 <= unlisted < 0.05 else rng.choice(TITLES), level=None if 0.02 <= unlisted < 0.05 else level,
                bio=f"I work on {skills[0].name.lower()} at {agency.name}.", country=agency.country,
                time_zone=dict(COUNTRIES)[agency.country], agency=agency, is_agency_admin=i < len(agencies),
                open_to_mentoring=mentoring, mentoring_capacity=rng.randint(1, 4) if mentoring else 0,
                skills=skills, interests=rng.sample([t for t in topics if t not in skills], 2),
            ))
        db.session.add_all(batch)
        db.session.commit()
    skill = next(t for t in topics if t.slug == "video")
    person_id = db.session.scalar(
        sa.select(User.id).where(User.job_title != "", User.email_verified_at.is_not(None)).order_by(User.id).offset(people_count // 2).limit(1)
    )
    agency = agencies[len(agencies) // 2]
    newcomer_email, request_id, mentorship_id = _mentoring(rng, topics)
    return [
        Page("home", "/"),
        Page("people", "/people", lambda: people_query().limit(20)),
        Page("people at a level", "/people?level=202", lambda: people_query("202").limit(20)),
        Page("people with a skill", f"/people?skill={skill.slug}", lambda: people_query(topic_slug=skill.slug).limit(20), "users"),
        Page("303 mentors", "/people?level=303&mentors=1", lambda: people_query("303", mentors_only=True).limit(20)),
        Page("agencies", "/agencies", lambda: sa.select(Agency).order_by(Agency.name, Agency.id).limit(20)),
        Page("one person", f"/people/{person_id}", lambda: sa.select(User).where(User.id == person_id), "users"),
        Page("one agency", f"/agencies/{agency.slug}", lambda: members_query(agency).limit(20), "users"),
        # Anonymous visitors are given kept pages (cop.cache); a member's pages are made for them each time.
        Page("home", "/", signed_in_as=f"person00001@{agencies[1].domains[0].domain}"),
        Page("people", "/people", signed_in_as=f"person00001@{agencies[1].domains[0].domain}"),
        Page("mentoring", "/mentoring/", signed_in_as=newcomer_email),
        Page("mentor suggestions", f"/mentoring/requests/{request_id}", signed_in_as=newcomer_email),
        Page("a mentorship", f"/mentoring/mentorships/{mentorship_id}", signed_in_as=newcomer_email),
    ]


def _mentoring(rng: random.Random, topics: list) -> tuple[str, int, int]:
    """A 101 newcomer mentored by one practitioner, with a live request for another: through the mentoring services."""
    from cop.accounts.models import User, listed, mentoring
    from cop.extensions import db
    from cop.matching import services

    newcomer = db.session.scalar(sa.select(User).where(listed(), User.level == "101").order_by(User.id).limit(1))
    mentor = db.session.scalar(sa.select(User).where(listed(), mentoring(), User.level == "303").order_by(User.id).limit(1))
    wanted = [t.id for t in rng.sample(topics, 2)]
    first = services.create_request(newcomer, services.RequestInput(goals="Run our first live Q&A on Facebook.", skill_ids=wanted), mentor=mentor)
    mentorship = services.accept(mentor, first)
    live = services.create_request(newcomer, services.RequestInput(
        goals="Measure whether our posts change anything, with figures senior managers trust.", skill_ids=wanted))
    db.session.commit()
    return newcomer.email, live.id, mentorship.id


if __name__ == "__main__":
    run("Pages at 10,000 people in 500 agencies", build, arguments(__doc__.splitlines()[0]))
