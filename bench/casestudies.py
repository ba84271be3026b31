"""The speed budget for case studies: 10,000 published (and some in other states) from 500 agencies.

python -m bench.casestudies [--database-url postgresql://…] [--rounds 3] [--seconds 3] [--scale 1]

Targets: the list, a filtered list, one case study and the Atom feed within 5 × /livez, a search within
10 ×, on SQLite and PostgreSQL, with SQL statements per request constant in the rows shown (tests hold
that part: tests/casestudies/test_queries.py and the API list in tests/casestudies/test_api.py).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from bench.runner import Page, arguments, run

CASE_STUDIES = 10_000
#: Drafts, case studies in review and archived ones, as a real library has beside the published ones.
UNPUBLISHED = 600
AGENCIES = 500
AUTHORS = 3_000
COUNTRIES = ("GB", "AU", "NZ", "CA")
SUBJECTS = ("bin collections", "flood warnings", "library events", "park redesign", "road closures", "election results",
            "school closures", "planning applications", "council tax", "recycling", "heatwave advice", "potholes",
            "youth services", "tourism photos", "small businesses", "vaccination", "carers", "volunteering")
CHANNEL_WORDS = ("Twitter", "Facebook", "Instagram", "WhatsApp", "YouTube", "LinkedIn", "Mastodon", "a blog", "an app")
VERBS = ("Answering questions about", "Consulting on", "Explaining", "Live updates on", "Crowdsourcing", "Measuring",
         "A crisis channel for", "Staff stories about", "Mentoring teams on", "A surgery for")
SENTENCES = (
    "Residents rang the contact centre about {subject} and waited a long time for answers.",
    "We posted each change on {channel} a week ahead and again the evening before.",
    "Calls about {subject} fell by {n}% in six months, and complaints by a third.",
    "Answer quickly, say when the account is staffed, and use photos from the crews.",
    "We would have involved the service managers earlier and measured from the first week.",
    "One officer for about {n} hours a week, with cover from the contact centre team.",
    "Rumours spread faster than press releases during the {subject} crisis, so we pinned one trusted post.",
    "Community groups shared our posts about {subject} in their own languages.",
)


def _text(rng: random.Random, subject: str, channel: str, sentences: int) -> str:
    return " ".join(rng.choice(SENTENCES).format(subject=subject, channel=channel, n=rng.randint(5, 40)) for _ in range(sentences))


def build(app, scale: float) -> list[Page]:
    """Agencies through the agencies service; authors, case studies and their rows in bulk; each published one
    with its revision and its search entry written as the app writes them."""
    from argon2 import PasswordHasher

    from cop.accounts.models import User
    from cop.agencies.models import Agency
    from cop.agencies.services import create_agency
    from cop.casestudies import finding
    from cop.casestudies.models import CaseStudy, CaseStudyMode, CaseStudyRevision, ServiceArea
    from cop.casestudies.revisions import snapshot
    from cop.casestudies.services import ensure_default_service_areas, index_case_study
    from cop.clock import utcnow
    from cop.extensions import db
    from cop.text.models import Topic

    rng = random.Random(6)
    ensure_default_service_areas()
    areas = list(db.session.scalars(sa.select(ServiceArea).order_by(ServiceArea.id)))
    topics = list(db.session.scalars(sa.select(Topic).order_by(Topic.id)))
    channels = [t for t in topics if t.group == "channel"]
    skills = [t for t in topics if t.group != "channel"]
    agency_count = max(int(AGENCIES * scale), 2)
    for i in range(agency_count):
        create_agency(None, f"agency-{i:03}", f"Council {i:03}", COUNTRIES[i % len(COUNTRIES)], "local",
                      domains=[f"agency{i:03}.example"])
    db.session.commit()
    agencies = list(db.session.scalars(sa.select(Agency).order_by(Agency.id)))
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("not used to sign in")
    now = utcnow()
    authors = [
        User(email=f"author{i:05}@{agencies[i % len(agencies)].domains[0].domain}", display_name=f"Author {i:05}",
             password_hash=password_hash, email_verified_at=now, job_title="Digital officer", level="202",
             agency=agencies[i % len(agencies)], is_agency_admin=i < len(agencies))
        for i in range(max(int(AUTHORS * scale), len(agencies)))
    ]
    db.session.add_all(authors)
    db.session.commit()
    by_agency: dict[int, list[User]] = {}
    for author in authors:
        by_agency.setdefault(author.agency_id, []).append(author)

    total = max(int((CASE_STUDIES + UNPUBLISHED) * scale), 30)
    unpublished = max(int(UNPUBLISHED * scale), 3)
    for start in range(0, total, 500):
        batch = []
        for i in range(start, min(start + 500, total)):
            agency = agencies[i % len(agencies)]
            subject, channel = rng.choice(SUBJECTS), rng.choice(CHANNEL_WORDS)
            status = "published" if i >= unpublished else ("draft", "in_review", "archived")[i % 3]
            published_at = now - timedelta(days=rng.randint(1, 3650), minutes=i)
            case_study = CaseStudy(
                slug=f"case-study-{i:05}", title=f"{rng.choice(VERBS)} {subject} on {channel} {i:05}",
                summary=_text(rng, subject, channel, 2)[:300], agency=agency, agency_id=agency.id,
                service_area=rng.choice(areas), level=rng.choice(("101", "202", "303")),
                started_on=date(2010, 1, 1) + timedelta(days=rng.randint(0, 5000)),
                challenge=_text(rng, subject, channel, 3), approach=_text(rng, subject, channel, 4),
                results=_text(rng, subject, channel, 3), lessons=_text(rng, subject, channel, 2),
                differently=_text(rng, subject, channel, 2), resources=_text(rng, subject, channel, 1),
                links=[], licence="cc-by-4.0", status=status, created_at=published_at, updated_at=published_at,
                published_at=published_at if status in ("published", "archived") else None,
                revision=1 if status in ("published", "archived") else 0,
                modes=[CaseStudyMode(mode=m) for m in rng.sample(("broadcast", "consultation", "co_development", "customer_service"), rng.randint(1, 2))],
                topics=rng.sample(channels, rng.randint(1, 2)) + rng.sample(skills, rng.randint(1, 3)),
                authors=rng.sample(by_agency[agency.id], min(2, len(by_agency[agency.id]))),
            )
            batch.append(case_study)
        db.session.add_all(batch)
        db.session.flush()
        for case_study in batch:
            if case_study.revision:
                db.session.add(CaseStudyRevision(case_study_id=case_study.id, number=1, content=snapshot(case_study),
                                                 note="Published", created_at=case_study.published_at))
            if case_study.status == "published":
                index_case_study(case_study)
        db.session.commit()

    one = db.session.scalar(sa.select(CaseStudy.slug).where(CaseStudy.status == "published").order_by(CaseStudy.id).offset(total // 2).limit(1))
    library = next(a for a in areas if a.slug == "libraries")
    facebook = next(t for t in channels if t.slug == "facebook")
    filtered = finding.Filters(service_area=library.slug, level="202")
    by_channel = finding.Filters(country="AU", channel=facebook.slug)
    return [
        Page("case studies", "/case-studies", lambda: finding.filtered(finding.Filters())[0].limit(20)),
        Page("filtered", f"/case-studies?service_area={library.slug}&level=202", lambda: finding.filtered(filtered)[0].limit(20)),
        Page("by country and channel", f"/case-studies?country=AU&channel={facebook.slug}", lambda: finding.filtered(by_channel)[0].limit(20)),
        # No EXPLAIN for the search: its text search configuration cannot be written out as a literal.
        Page("search", "/case-studies?q=flood+warnings"),
        Page("one case study", f"/case-studies/{one}", lambda: sa.select(CaseStudy).where(CaseStudy.slug == one), "case_studies"),
        Page("Atom feed", "/case-studies/feed.atom"),
        Page("filtered Atom feed", f"/case-studies/feed.atom?service_area={library.slug}"),
        Page("API list", "/api/v1/case-studies"),
        # Anonymous visitors are given kept pages (cop.cache); a member's pages are made for them each time.
        Page("case studies", "/case-studies", signed_in_as=authors[1].email),
        Page("filtered", f"/case-studies?service_area={library.slug}&level=202", signed_in_as=authors[1].email),
        Page("search", "/case-studies?q=flood+warnings", signed_in_as=authors[1].email),
        Page("one case study", f"/case-studies/{one}", signed_in_as=authors[1].email),
    ]


if __name__ == "__main__":
    run("Case studies at 10,000 from 500 agencies", build, arguments(__doc__.splitlines()[0]))
