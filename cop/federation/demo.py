"""Demo federation, with no network: an agency on another instance that Leeds follows, with what it published
arriving here; a Mastodon account waiting for Leeds to approve it, and another following the Ministry; and a
delivery to that follower's server that failed for good, for the site admins' page.

Everything is written straight to the tables (remote content through remote_content, as the inbox stores it),
so nothing is sent and nothing is queued: no signal, no send_activity, no delivery left waiting for the sweep.
The agencies' keys are not made here; they are made when something first needs them.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cop.agencies.models import Agency
from cop.casestudies.models import CaseStudy
from cop.clock import utcnow
from cop.extensions import db
from cop.federation import activities, remote_content, uris
from cop.federation.models import Activity, Delivery, Follower, Following, RemoteActor

log = logging.getLogger(__name__)

#: The demo agency that follows the remote agency and approves its followers by hand.
HOME_AGENCY = "leeds-city-council"
#: The demo agency with a follower. It lists no demo events: seeding lists events through the events services,
#: whose announcements go to the agency's followers once the seed commits, and none may go anywhere.
FOLLOWED_AGENCY = "mhclg"
#: Another instance of this software, and the agency on it that the home agency follows.
REMOTE_ORIGIN = "https://cop.example.org"
REMOTE_USERNAME = "bristol-city-council"
REMOTE_ACTOR = f"{REMOTE_ORIGIN}/agencies/{REMOTE_USERNAME}"
#: A Mastodon account that follows FOLLOWED_AGENCY, and one waiting for HOME_AGENCY's approval.
FOLLOWER = "https://mastodon.example/users/jo"
WAITING_FOLLOWER = "https://social.example/users/ravi"

#: What the remote agency published: (slug, title, summary, sections, days ago, topics).
REMOTE_CASE_STUDIES = (
    ("clean-air-zone-answering-questions-before-they-were-asked",
     "Clean Air Zone: answering questions before they were asked",
     "How we used a month of replies to write the answers people needed before the zone went live.",
     {"The challenge": "The Clean Air Zone changed how thousands of people drive into the city centre. Every post "
                       "about it drew hundreds of replies, most of them the same dozen questions.",
      "What we did": "We tagged every question for four weeks, wrote a plain-English answer for the twelve most "
                     "common, and pinned them as a thread. The contact centre used the same answers word for word.",
      "Results": "Replies asking the common questions fell by two thirds within a fortnight, and calls about "
                 "exemptions fell by a quarter in the month the zone opened.",
      "Lessons learned": "Read the replies before writing the campaign. The questions people ask are the campaign."},
     12, ("Consultation", "Customer service online")),
    ("running-a-council-account-on-mastodon",
     "Running a council account on Mastodon",
     "A year of posting to our own server alongside our other channels: what it took and who we reached.",
     {"The challenge": "Residents asked for a way to follow council news without an account on a commercial "
                       "platform, and our staff wanted a channel we controlled.",
      "What we did": "We joined a public-sector server, posted the same service updates we post elsewhere, and "
                     "answered mentions from the same inbox as our other accounts.",
      "Results": "A smaller audience than our largest channel, but one that replies, boosts and asks follow-up "
                 "questions; almost no abuse to moderate.",
      "Lessons learned": "Alt text and plain links matter more there; hashtags in CamelCase help screen-reader users."},
     30, ("Mastodon", "Engagement strategy")),
)
#: The remote agency's meetup, three weeks ahead.
REMOTE_EVENT = {
    "slug": "south-west-digital-comms-meetup",
    "name": "South West digital comms meetup",
    "content": "<p>An evening for people who run public-sector social media in the South West: three short talks, "
               "then time to compare notes. Tea, coffee and something to eat provided.</p>",
    "in_days": 21,
    "hours": (18, 20),
    "place": ("City Hall", "College Green, Bristol BS1 5TR"),
    "capacity": 40,
    "topics": ("Online community development",),
}


def _hashtags(topics: tuple[str, ...], path: str, key: str) -> list[dict[str, str]]:
    """Hashtags as another instance writes them, linking to its own filtered lists."""
    return [
        {"type": "Hashtag", "name": activities.hashtag_name(name), "href": f"{REMOTE_ORIGIN}{path}?{key}={name.lower().replace(' ', '-')}"}
        for name in topics
    ]


def _article(slug: str, title: str, summary: str, sections: dict[str, str], published: datetime,
             topics: tuple[str, ...]) -> dict[str, Any]:
    """A case study as the remote instance sends it: an Article in activities.case_study_article's shape."""
    object_uri = f"{REMOTE_ORIGIN}/case-studies/{slug}"
    return {
        "@context": activities.CONTEXT, "id": object_uri, "type": "Article", "name": title,
        "summary": f"<p>{summary}</p>",
        "content": "".join(f"<h2>{heading}</h2><p>{text}</p>" for heading, text in sections.items()),
        "mediaType": "text/html", "url": object_uri, "attributedTo": REMOTE_ACTOR,
        "published": activities.timestamp(published), "updated": activities.timestamp(published),
        "tag": _hashtags(topics, "/case-studies", "skill"),
        "to": [activities.PUBLIC], "cc": [f"{REMOTE_ACTOR}/followers"],
    }


def _event(spec: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The remote agency's meetup, as an Event in activities.event_object's (Mobilizon's) shape."""
    zone = ZoneInfo("Europe/London")
    day = now.astimezone(zone).date() + timedelta(days=spec["in_days"])
    starts, ends = (datetime.combine(day, time(hour), tzinfo=zone) for hour in spec["hours"])
    object_uri = f"{REMOTE_ORIGIN}/events/{spec['slug']}"
    venue, address = spec["place"]
    return {
        "@context": activities.CONTEXT, "id": object_uri, "type": "Event", "name": spec["name"],
        "content": spec["content"], "mediaType": "text/html",
        "startTime": starts.isoformat(timespec="seconds"), "endTime": ends.isoformat(timespec="seconds"),
        "timezone": "Europe/London", "ical:status": "CONFIRMED", "status": "CONFIRMED",
        "ical:uid": f"{object_uri}@cop.example.org", "ical:sequence": 0,
        "joinMode": "external", "externalParticipationUrl": object_uri, "anonymousParticipationEnabled": False,
        "repliesModerationOption": "closed", "commentsEnabled": False, "category": "NETWORKING", "isOnline": False,
        "url": object_uri, "attributedTo": REMOTE_ACTOR,
        "published": activities.timestamp(now - timedelta(days=5)), "updated": activities.timestamp(now - timedelta(days=5)),
        "tag": _hashtags(spec["topics"], "/events", "topic"),
        "attachment": [], "maximumAttendeeCapacity": spec["capacity"],
        "location": {"type": "Place", "name": venue, "address": {"type": "PostalAddress", "streetAddress": address}},
        "to": [activities.PUBLIC], "cc": [f"{REMOTE_ACTOR}/followers"],
    }


def _remote_actors(now: datetime) -> tuple[RemoteActor, RemoteActor, RemoteActor]:
    """The remote agency, the Mastodon follower and the follower waiting, as if their documents had been fetched."""
    agency = RemoteActor(
        uri=REMOTE_ACTOR, domain="cop.example.org", actor_type="Group", preferred_username=REMOTE_USERNAME,
        name="Bristol City Council", summary="<p>Bristol City Council shares its digital and social-media practice here.</p>",
        url=REMOTE_ACTOR, icon_url=f"{REMOTE_ORIGIN}/static/favicon.svg", inbox=f"{REMOTE_ACTOR}/inbox",
        shared_inbox=f"{REMOTE_ORIGIN}/inbox", outbox=f"{REMOTE_ACTOR}/outbox", followers_url=f"{REMOTE_ACTOR}/followers",
        key_id=f"{REMOTE_ACTOR}#main-key", fetched_at=now - timedelta(days=40),
    )
    follower = RemoteActor(
        uri=FOLLOWER, domain="mastodon.example", actor_type="Person", preferred_username="jo", name="Jo Okafor",
        summary="<p>Housing policy and digital inclusion. Views my own.</p>", url="https://mastodon.example/@jo",
        inbox=f"{FOLLOWER}/inbox", shared_inbox="https://mastodon.example/inbox", outbox=f"{FOLLOWER}/outbox",
        followers_url=f"{FOLLOWER}/followers", key_id=f"{FOLLOWER}#main-key", fetched_at=now - timedelta(days=10),
    )
    waiting = RemoteActor(
        uri=WAITING_FOLLOWER, domain="social.example", actor_type="Person", preferred_username="ravi", name="Ravi Menon",
        summary="<p>Local democracy reporter.</p>", url="https://social.example/@ravi", inbox=f"{WAITING_FOLLOWER}/inbox",
        shared_inbox="https://social.example/inbox", outbox=f"{WAITING_FOLLOWER}/outbox",
        followers_url=f"{WAITING_FOLLOWER}/followers", key_id=f"{WAITING_FOLLOWER}#main-key", fetched_at=now - timedelta(hours=3),
    )
    return agency, follower, waiting


def _follow_of(actor: RemoteActor, follow_id: str, agency_uri: str) -> dict[str, Any]:
    """A Follow of an agency here, as Mastodon sends one."""
    return {"@context": activities.AS_CONTEXT, "id": follow_id, "type": "Follow", "actor": actor.uri, "object": agency_uri}


def seed_federation() -> int:
    """Add the demo federation once, when its remote agency is not there yet; how many case studies and events
    arrived from the other instance."""
    home = db.session.scalar(sa.select(Agency).where(Agency.slug == HOME_AGENCY))
    followed = db.session.scalar(sa.select(Agency).where(Agency.slug == FOLLOWED_AGENCY))
    if home is None or followed is None:
        return 0
    if db.session.scalar(sa.select(RemoteActor.id).where(RemoteActor.uri == REMOTE_ACTOR)) is not None:
        return 0
    now = utcnow()
    home_uri, followed_uri = uris.agency_actor_uri(home.slug), uris.agency_actor_uri(followed.slug)
    remote, follower, waiting = _remote_actors(now)
    db.session.add_all([remote, follower, waiting])
    db.session.flush()

    # Leeds followed Bristol forty days ago, and Bristol accepted.
    remote_content.ensure_remote_agency(remote)
    follow = activities.follow(home_uri, remote.uri)
    sent_follow = Activity(uri=follow["id"], agency_id=home.id, activity_type="Follow", object_uri=remote.uri,
                           payload=follow, public=False, created_at=now - timedelta(days=40))
    db.session.add_all([
        sent_follow,
        Delivery(activity=sent_follow, inbox=remote.inbox, domain=remote.domain, status="delivered", attempts=1,
                 last_status=202, created_at=now - timedelta(days=40), delivered_at=now - timedelta(days=40)),
        Following(agency_id=home.id, remote_actor_id=remote.id, follow_uri=follow["id"], state="accepted",
                  created_at=now - timedelta(days=40), decided_at=now - timedelta(days=40)),
    ])
    added = 0
    for slug, title, summary, sections, days_ago, topics in REMOTE_CASE_STUDIES:
        remote_content.store_case_study(remote, _article(slug, title, summary, sections, now - timedelta(days=days_ago), topics))
        added += 1
    remote_content.store_event(remote, _event(REMOTE_EVENT, now))
    added += 1

    # Jo follows the Ministry; Ravi asked to follow Leeds, which approves its followers by hand, and waits.
    home.approves_followers = True
    jo_follow = _follow_of(follower, "https://mastodon.example/7d1f3c52-9a4e-4b0e-8f55-2c6a1e0b9d31", followed_uri)
    ravi_follow = _follow_of(waiting, "https://social.example/0b8e6a0f-3f3c-4a57-bb0e-5e2d8c4a7f19", home_uri)
    db.session.add_all([
        Follower(agency_id=followed.id, remote_actor_id=follower.id, follow_uri=jo_follow["id"], follow_activity=jo_follow,
                 state="accepted", created_at=now - timedelta(days=10), decided_at=now - timedelta(days=10)),
        Follower(agency_id=home.id, remote_actor_id=waiting.id, follow_uri=ravi_follow["id"], follow_activity=ravi_follow,
                 state="pending", created_at=now - timedelta(hours=3)),
    ])

    # The Ministry's latest case study went to Jo's server while it was down for a day: a dead letter for the admins.
    latest = db.session.scalar(
        sa.select(CaseStudy).where(CaseStudy.agency_id == followed.id, CaseStudy.status == "published")
        .order_by(CaseStudy.published_at.desc()).limit(1)
    )
    if latest is not None:
        sent_at = now - timedelta(days=2)
        create = activities.create(followed_uri, activities.case_study_article(latest))
        sent_create = Activity(uri=create["id"], agency_id=followed.id, activity_type="Create",
                               object_uri=uris.case_study_uri(latest.slug), payload=create, public=True, created_at=sent_at)
        db.session.add_all([
            sent_create,
            Delivery(activity=sent_create, inbox=follower.delivery_inbox, domain=follower.domain, status="failed",
                     attempts=8, last_error="mastodon.example could not be reached: it did not answer in time.",
                     created_at=sent_at, next_attempt_at=None),
        ])
    db.session.flush()
    log.info("demo federation: %s follows %s; %s items received", home.slug, remote.uri, added)
    return added
