"""A believable demo community: agencies from three countries and practitioners at every level."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Callable

import sqlalchemy as sa

from cop.accounts.models import User
from cop.accounts.passwords import hash_password
from cop.agencies.models import Agency, AgencyDomain
from cop.casestudies.demo_content import DEMO_CASE_STUDIES
from cop.casestudies.models import CaseStudy, CaseStudyMode, ServiceArea
from cop.casestudies.services import ensure_default_service_areas, index_case_study, record_revision
from cop.clock import utcnow
from cop.extensions import db
from cop.text.models import Topic
from cop.text.services import ensure_default_topics
from cop.text.slugs import slugify

#: The password every demo account shares; shown by seed-demo. Demo data only.
DEMO_PASSWORD = "civic-lantern-harbour-42"

#: slug, name, country, level, domain, website, time zone, region
AGENCIES = (
    ("leeds-city-council", "Leeds City Council", "GB", "local", "leeds.example", "https://www.leeds.gov.uk", "Europe/London", "West Yorkshire"),
    ("brighton-and-hove-city-council", "Brighton & Hove City Council", "GB", "local", "brighton-hove.example", "https://www.brighton-hove.gov.uk", "Europe/London", "East Sussex"),
    ("kent-county-council", "Kent County Council", "GB", "local", "kent.example", "https://www.kent.gov.uk", "Europe/London", "Kent"),
    ("glasgow-city-council", "Glasgow City Council", "GB", "local", "glasgow.example", "https://www.glasgow.gov.uk", "Europe/London", "Glasgow"),
    ("cardiff-council", "Cardiff Council", "GB", "local", "cardiff.example", "https://www.cardiff.gov.uk", "Europe/London", "Cardiff"),
    ("mhclg", "Ministry of Housing, Communities and Local Government", "GB", "national", "communities.example", "https://www.gov.uk/government/organisations/ministry-of-housing-communities-local-government", "Europe/London", "London"),
    ("service-nsw", "Service NSW", "AU", "regional", "service-nsw.example", "https://www.service.nsw.gov.au", "Australia/Sydney", "New South Wales"),
    ("victorian-department-of-premier-and-cabinet", "Department of Premier and Cabinet (Victoria)", "AU", "regional", "dpc-vic.example", "https://www.vic.gov.au/department-premier-and-cabinet", "Australia/Melbourne", "Victoria"),
    ("department-of-health-and-aged-care", "Department of Health and Aged Care", "AU", "national", "health-au.example", "https://www.health.gov.au", "Australia/Sydney", "Canberra"),
    ("city-of-brisbane", "Brisbane City Council", "AU", "local", "brisbane.example", "https://www.brisbane.qld.gov.au", "Australia/Brisbane", "Queensland"),
    ("wellington-city-council", "Wellington City Council", "NZ", "local", "wellington.example", "https://wellington.govt.nz", "Pacific/Auckland", "Wellington"),
    ("city-of-toronto", "City of Toronto", "CA", "local", "toronto.example", "https://www.toronto.ca", "America/Toronto", "Ontario"),
)

FIRST_NAMES = (
    "Aisha", "Ben", "Chloe", "Dev", "Eilidh", "Farah", "Gareth", "Hannah", "Isaac", "Jas", "Kemi", "Liam", "Mei",
    "Niamh", "Olu", "Priya", "Rhys", "Sam", "Tariq", "Uma", "Wiremu", "Zoe", "Callum", "Grace", "Jack", "Lucy",
    "Mohammed", "Nikita", "Oscar", "Ruby",
)
LAST_NAMES = (
    "Ahmed", "Brown", "Campbell", "Davies", "Evans", "Fraser", "Ghosh", "Hughes", "Ibrahim", "Jones", "Kaur",
    "Lee", "MacDonald", "Nguyen", "O'Brien", "Patel", "Quinn", "Roberts", "Singh", "Taylor", "Walker", "Wilson",
    "Ngata", "Tremblay", "Murphy", "Chen",
)
JOB_TITLES = {
    "101": ("Communications assistant", "Customer services officer", "Graduate trainee", "Policy officer", "Library assistant"),
    "202": ("Digital communications officer", "Social media officer", "Engagement officer", "Content designer", "Campaigns officer"),
    "303": ("Head of digital", "Digital engagement manager", "Senior content designer", "Head of communications", "Social media lead"),
}
BIOS = {
    "101": "I have just taken on our {agency} social media accounts and want to learn how others run {topic} well.",
    "202": "I run day-to-day {topic} for {agency} and I am working out how to measure whether it makes a difference.",
    "303": "I have led {topic} at {agency} for several years, through a few crises, and I am happy to share what went wrong as well as what worked.",
}

#: (label, email, level, site role, agency slug, agency admin) of the accounts seed-demo prints.
#: The site admin and the moderator are staff, not practitioners: no level, and so not listed among people.
SIGN_INS = (
    ("Site admin", "admin@cop.example", None, "site_admin", None, False),
    ("Moderator", "moderator@cop.example", None, "moderator", None, False),
    ("Agency admin", "priya.shah@leeds.example", "303", "member", "leeds-city-council", True),
    ("Newcomer", "sam.taylor@cardiff.example", "101", "member", "cardiff-council", False),
)

PEOPLE_COUNT = 60


@dataclass
class SeedSummary:
    agencies_added: int = 0
    people_added: int = 0
    agencies_total: int = 0
    people_total: int = 0
    case_studies_added: int = 0
    case_studies_total: int = 0
    events_added: int = 0
    mentorships_added: int = 0
    threads_added: int = 0
    remote_items_added: int = 0
    password: str = DEMO_PASSWORD
    sign_ins: list[tuple[str, str]] = field(default_factory=list)


def _display_name(email: str) -> str:
    """'priya.shah@leeds.example' -> 'Priya Shah'."""
    local = email.split("@")[0]
    return " ".join(part.capitalize() for part in local.split("."))


def seed_demo(progress: Callable[[int], object] = lambda n: None) -> SeedSummary:
    """Add the demo agencies and people that are not there yet; never change what is."""
    summary = SeedSummary(sign_ins=[(label, email) for label, email, *_ in SIGN_INS])
    rng = random.Random(2026)
    ensure_default_topics()
    topics = list(db.session.scalars(sa.select(Topic).order_by(Topic.id)))

    agencies: dict[str, Agency] = {a.slug: a for a in db.session.scalars(sa.select(Agency))}
    for slug, name, country, level, domain, website, _tz, _region in AGENCIES:
        if slug in agencies:
            continue
        if db.session.scalar(sa.select(AgencyDomain).where(AgencyDomain.domain == domain)) is not None:
            continue
        agency = Agency(
            slug=slug, name=name, country=country, level=level, website=website,
            description=f"{name} shares its digital and social-media practice here.",
            domains=[AgencyDomain(domain=domain)],
        )
        db.session.add(agency)
        agencies[slug] = agency
        summary.agencies_added += 1
    db.session.flush()
    progress(10)

    password_hash = hash_password(DEMO_PASSWORD)
    existing = set(db.session.scalars(sa.select(User.email)))
    people: list[tuple[str, str, str | None, str, str | None, bool]] = [
        (email, _display_name(email), level, role, slug, is_admin) for _label, email, level, role, slug, is_admin in SIGN_INS
    ]
    used = {email for email, *_ in people}
    agency_rows = [a for a in AGENCIES if a[0] in agencies]
    while len(people) < PEOPLE_COUNT and agency_rows:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        row = rng.choice(agency_rows)
        email = f"{slugify(first)}.{slugify(last)}@{row[4]}"
        if email in used:
            continue
        used.add(email)
        level = rng.choices(("101", "202", "303"), weights=(4, 4, 3))[0]
        people.append((email, f"{first} {last}", level, "member", row[0], False))

    step = 90 / max(len(people), 1)
    done = 0.0
    for email, name, level, role, slug, is_admin in people:
        done += step
        progress(int(done) - int(done - step))
        if email in existing:
            continue
        if level is None:
            db.session.add(User(
                email=email, password_hash=password_hash, email_verified_at=utcnow(), display_name=name,
                site_role=role, time_zone="Europe/London",
            ))
            summary.people_added += 1
            continue
        agency = agencies.get(slug) if slug else None
        row = next((a for a in AGENCIES if a[0] == slug), None)
        skill_count = {"101": rng.randint(0, 2), "202": rng.randint(2, 4), "303": rng.randint(4, 7)}[level]
        skills = rng.sample(topics, skill_count)
        interests = rng.sample([t for t in topics if t not in skills], rng.randint(2, 5))
        mentoring = level == "303" or (level == "202" and rng.random() < 0.3)
        topic_name = (skills or interests)[0].name.lower()
        user = User(
            email=email,
            password_hash=password_hash,
            email_verified_at=utcnow(),
            display_name=name,
            job_title=rng.choice(JOB_TITLES[level]),
            bio=BIOS[level].format(agency=agency.name if agency else "my organisation", topic=topic_name),
            level=level,
            country=row[2] if row else "GB",
            region=row[7] if row else "",
            time_zone=row[6] if row else "Europe/London",
            open_to_mentoring=mentoring,
            mentoring_capacity=rng.randint(1, 5) if mentoring else 0,
            site_role=role,
            agency=agency,
            is_agency_admin=is_admin,
            skills=skills,
            interests=interests,
        )
        db.session.add(user)
        summary.people_added += 1
    db.session.flush()
    summary.case_studies_added = seed_case_studies(rng)
    summary.events_added = seed_events(rng)
    from cop.matching.demo import seed_mentoring
    from cop.notifications.services import without_mail

    with without_mail():
        summary.mentorships_added = seed_mentoring(rng)
        from cop.forum.demo import seed_forum

        summary.threads_added = seed_forum(rng)
    from cop.federation.demo import seed_federation

    summary.remote_items_added = seed_federation()
    # The totals are of what is here; what arrived from other servers is counted on its own.
    summary.agencies_total = db.session.scalar(sa.select(sa.func.count(Agency.id)).where(Agency.remote_actor_id.is_(None))) or 0
    summary.case_studies_total = db.session.scalar(sa.select(sa.func.count(CaseStudy.id)).where(CaseStudy.remote_uri.is_(None))) or 0
    summary.people_total = db.session.scalar(sa.select(sa.func.count(User.id))) or 0
    return summary


def seed_case_studies(rng: random.Random) -> int:
    """Add the demo case studies that are not there yet, written by members of their agencies; how many were added.

    Written straight to the tables (with their revisions and search entries) rather than through the
    workflow, so seeding sends no notices and no mail.
    """
    ensure_default_service_areas()
    existing = set(db.session.scalars(sa.select(CaseStudy.slug)))
    agencies = {a.slug: a for a in db.session.scalars(sa.select(Agency))}
    areas = {a.name: a for a in db.session.scalars(sa.select(ServiceArea))}
    topics = {t.name: t for t in db.session.scalars(sa.select(Topic))}
    members: dict[int, list[User]] = {}
    for user in db.session.scalars(sa.select(User).where(User.agency_id.is_not(None), User.level.is_not(None)).order_by(User.id)):
        members.setdefault(user.agency_id, []).append(user)
    admins = {u.agency_id: u for u in db.session.scalars(sa.select(User).where(User.is_agency_admin.is_(True)))}
    site_admin = db.session.scalar(sa.select(User).where(User.site_role == "site_admin").order_by(User.id))
    now = utcnow()
    added = 0
    for number, story in enumerate(DEMO_CASE_STUDIES):
        slug = slugify(story["title"], max_length=90)
        agency = agencies.get(story["agency"])
        writers = members.get(agency.id, []) if agency else []
        if slug in existing or agency is None or not writers:
            continue
        authors = rng.sample(writers, min(len(writers), rng.choice((1, 1, 2))))
        started = date.fromisoformat(story["started_on"])
        ended = date.fromisoformat(story["ended_on"]) if story["ended_on"] else None
        published_at = now - timedelta(days=3 + 17 * (len(DEMO_CASE_STUDIES) - number), hours=rng.randint(0, 23))
        case_study = CaseStudy(
            slug=slug, title=story["title"], summary=story["summary"], agency=agency, agency_id=agency.id,
            service_area=areas[story["service_area"]], level=story["level"], started_on=started, ended_on=ended,
            links=[{"title": title, "url": url} for title, url in story["links"]], licence=story["licence"],
            status=story["status"], review_comment=story.get("review_comment", ""), created_by_id=authors[0].id,
            created_at=published_at - timedelta(days=7), updated_at=published_at,
            submitted_at=published_at - timedelta(days=2) if story["status"] != "draft" else None,
            published_at=published_at if story["status"] == "published" else None,
            modes=[CaseStudyMode(mode=mode) for mode in story["modes"]],
            topics=[topics[name] for name in (*story["channels"], *story["skills"]) if name in topics],
            authors=authors,
            **{name: story[name] for name in ("challenge", "approach", "results", "lessons", "differently", "resources")},
        )
        db.session.add(case_study)
        db.session.flush()
        if story["status"] == "published":
            reviewer = admins.get(agency.id) or site_admin
            case_study.reviewed_by_id = reviewer.id if reviewer else None
            record_revision(reviewer, case_study, "Published", when=published_at)
            index_case_study(case_study)
        existing.add(slug)
        added += 1
    db.session.flush()
    return added


def _fill_board(event, organiser, spec: dict, people: list, rng: random.Random) -> None:
    """Rooms, times and pitched sessions with interest, and the grid filled by the scheduler."""
    from datetime import datetime, time, timedelta

    from cop.events import board

    day = event.local_start.date()
    for name, capacity in spec["rooms"]:
        board.add_room(organiser, event, name, capacity)
    for hour, minute in spec["times"]:
        start = datetime.combine(day, time(hour, minute))
        board.add_slot(organiser, event, start, start + timedelta(minutes=45))
    for number, (title, summary) in enumerate(spec["sessions"]):
        session = board.pitch(people[(number * 7) % len(people)], event, title, summary)
        session.interested = list({p.id: p for p in [*session.interested, *rng.sample(people, rng.randint(2, 14))]}.values())
    db.session.flush()
    board.schedule(organiser, event)


def seed_events(rng: random.Random) -> int:
    """Add the demo events that are not there yet, through the events services, listed by members of their
    agencies; a few people registered, slots at the surgery. How many were added."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from cop.events import registrations, services
    from cop.events.demo_content import DEMO_EVENTS
    from cop.events.models import Event, Registration

    existing = set(db.session.scalars(sa.select(Event.title)))
    agencies = {a.slug: a for a in db.session.scalars(sa.select(Agency))}
    topics = {t.name: t.id for t in db.session.scalars(sa.select(Topic))}
    people = list(db.session.scalars(sa.select(User).where(User.agency_id.is_not(None), User.level.is_not(None)).order_by(User.id)))
    added = 0
    for spec in DEMO_EVENTS:
        agency = agencies.get(spec["agency"])
        organisers = [p for p in people if agency is not None and p.agency_id == agency.id]
        if spec["title"] in existing or not organisers:
            continue
        zone = ZoneInfo(spec["time_zone"])
        day = datetime.now(zone).date() + timedelta(days=spec["in_days"])
        data = services.EventInput(
            title=spec["title"], kind=spec["kind"], level=spec.get("level"), time_zone=spec["time_zone"],
            description=spec["description"], venue_name=spec.get("venue", ""), venue_address=spec.get("address", ""),
            online_url=spec.get("online", ""), capacity=spec.get("capacity"), capacity_given=True,
            price=spec.get("price", ""), currency={"GB": "GBP", "AU": "AUD", "NZ": "NZD", "CA": "CAD"}[agency.country],
            payment_details=spec.get("pay", ""), topic_ids=[topics[name] for name in spec.get("topics", []) if name in topics],
            prerequisite_slugs=[slugify(t, max_length=90) for t in spec.get("prerequisites", [])],
            repeat=spec.get("repeat"), repeat_given=True,
        )
        if "days" in spec:
            data.all_day, data.start_date, data.end_date = True, day, day + timedelta(days=spec["days"] - 1)
        else:
            data.starts = datetime.combine(day, time(spec["hour"]))
            data.ends = data.starts + timedelta(hours=spec["hours"])
        # The most experienced member organises (and hosts the surgery's slots).
        organiser = max(organisers, key=lambda p: (p.level or "", -p.id))
        event = services.create_event(organiser, data)
        if spec.get("status"):
            # Before anyone registers, so no one is sent the news.
            services.change_status(organiser, event, *spec["status"])
        for person in rng.sample(people, min(len(people), rng.randint(3, 9)) if not event.is_cancelled else 0):
            if person.id != organiser.id and (event.capacity is None or event.going_count < event.capacity):
                db.session.add(Registration(event_id=event.id, user_id=person.id, status="going"))
                event.going_count += 1
        if spec.get("slots"):
            registrations.add_slots(organiser, event, event.starts_at, 20, spec["slots"])
        if spec.get("board"):
            _fill_board(event, organiser, spec["board"], people, rng)
        db.session.flush()
        added += 1
    return added
