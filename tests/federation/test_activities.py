"""The ActivityStreams documents of agencies, case studies and events, and the activities that carry them."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from cop.federation import activities
from cop.federation.activities import PUBLIC

BASE = "http://cop.test"
PEM = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"
CREATED = datetime(2024, 3, 1, 9, 30, 15, 123456, tzinfo=timezone.utc)


@pytest.fixture()
def context(app):
    with app.app_context():
        yield


def _agency(**fields):
    from cop.agencies.models import Agency

    values = dict(slug="leeds", name="Leeds City Council", country="GB", level="local",
                  description="We run **Leeds**. <script>alert(1)</script>", approves_followers=False, created_at=CREATED)
    values.update(fields)
    return Agency(**values)


def _case_study(**fields):
    from cop.casestudies.models import CaseStudy, ServiceArea
    from cop.text.models import Topic

    values = dict(
        slug="bins-on-twitter", title="Bins on Twitter", summary="Calls fell <a lot>.", agency=_agency(),
        challenge="Residents rang about **missed bins**.", approach="We answered <b>each</b> morning.",
        results="", lessons="Answer quickly.", differently="", resources="",
        links=[{"title": "Our <report>", "url": "https://leeds.example/report"}, {"title": "Bad", "url": "javascript:alert(1)"}],
        status="published", published_at=CREATED, updated_at=datetime(2024, 3, 2, tzinfo=timezone.utc), created_at=CREATED,
        topics=[Topic(slug="social-media", name="Social media", group="channel"), Topic(slug="writing", name="Plain writing")],
        service_area=ServiceArea(slug="waste-and-recycling", name="Waste and recycling"),
    )
    values.update(fields)
    return CaseStudy(**values)


def _event(**fields):
    from cop.events.models import Event
    from cop.text.models import Topic

    values = dict(
        slug="localgovcamp", title="LocalGovCamp", description="An **unconference**.", kind="unconference",
        agency=_agency(), time_zone="Europe/London",
        starts_at=datetime(2024, 7, 6, 8, 0, tzinfo=timezone.utc), ends_at=datetime(2024, 7, 6, 15, 0, tzinfo=timezone.utc),
        venue_name="Leeds Central Library", venue_address="Calverley Street, Leeds LS1 3AB", latitude=53.8, longitude=-1.55,
        online_url="https://meet.example/camp", capacity=120, status="scheduled", sequence=3,
        created_at=CREATED, updated_at=CREATED, topics=[Topic(slug="open-data", name="Open data")],
    )
    values.update(fields)
    return Event(**values)


def test_an_agency_is_a_group_with_every_address_a_follower_needs(context):
    actor = activities.agency_actor(_agency(approves_followers=True), PEM)

    assert actor["@context"][:2] == ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"]
    assert actor["type"] == "Group"
    assert actor["id"] == actor["url"] == f"{BASE}/agencies/leeds"
    assert actor["preferredUsername"] == "leeds" and actor["name"] == "Leeds City Council"
    assert actor["inbox"] == f"{BASE}/agencies/leeds/inbox"
    assert actor["outbox"] == f"{BASE}/agencies/leeds/outbox"
    assert actor["followers"] == f"{BASE}/agencies/leeds/followers"
    assert actor["following"] == f"{BASE}/agencies/leeds/following"
    assert actor["endpoints"] == {"sharedInbox": f"{BASE}/inbox"}
    assert actor["manuallyApprovesFollowers"] is True
    assert actor["published"] == "2024-03-01T09:30:15Z"
    assert actor["icon"] == {"type": "Image", "mediaType": "image/svg+xml", "url": f"{BASE}/static/favicon.svg"}
    assert actor["publicKey"] == {"id": f"{BASE}/agencies/leeds#main-key", "owner": f"{BASE}/agencies/leeds", "publicKeyPem": PEM}
    # The description is Markdown made safe: bold rendered, the script tag shown as text and never run.
    assert "<strong>Leeds</strong>" in actor["summary"]
    assert "<script>" not in actor["summary"] and "&lt;script&gt;" in actor["summary"]
    assert activities.agency_actor(_agency(), PEM, summary_html="<p>Given</p>")["summary"] == "<p>Given</p>"
    assert activities.agency_actor(_agency(), PEM)["manuallyApprovesFollowers"] is False


def test_the_instance_actor_is_an_application_named_after_the_host(context):
    actor = activities.instance_actor(PEM)

    assert actor["type"] == "Application"
    assert actor["id"] == f"{BASE}/actor"
    assert actor["preferredUsername"] == "cop.test"
    assert actor["inbox"] == f"{BASE}/actor/inbox"
    assert actor["endpoints"]["sharedInbox"] == f"{BASE}/inbox"
    assert actor["publicKey"]["owner"] == f"{BASE}/actor" and actor["publicKey"]["id"] == f"{BASE}/actor#main-key"


def test_a_case_study_is_a_public_article_with_its_story_as_safe_html(context):
    article = activities.case_study_article(_case_study())

    assert article["type"] == "Article"
    assert article["id"] == article["url"] == f"{BASE}/case-studies/bins-on-twitter"
    assert article["name"] == "Bins on Twitter"
    assert article["summary"] == "<p>Calls fell &lt;a lot&gt;.</p>"
    assert article["mediaType"] == "text/html"
    assert article["attributedTo"] == f"{BASE}/agencies/leeds"
    assert article["published"] == "2024-03-01T09:30:15Z" and article["updated"] == "2024-03-02T00:00:00Z"
    assert article["to"] == [PUBLIC] and article["cc"] == [f"{BASE}/agencies/leeds/followers"]
    content = article["content"]
    # Sections with words, under their headings, in order; an empty section leaves no heading behind.
    assert content.index("<h2>The challenge</h2>") < content.index("<h2>What we did</h2>") < content.index("<h2>Lessons learned</h2>")
    assert "<h2>Results</h2>" not in content
    assert "<strong>missed bins</strong>" in content
    assert "<b>" not in content and "&lt;b&gt;each&lt;/b&gt;" in content
    # Links follow, their titles escaped; a link that is not http(s) is left out.
    assert '<a href="https://leeds.example/report" rel="nofollow noopener ugc">Our &lt;report&gt;</a>' in content
    assert "javascript:" not in content
    assert article["tag"] == [
        {"type": "Hashtag", "name": "#SocialMedia", "href": f"{BASE}/case-studies?channel=social-media"},
        {"type": "Hashtag", "name": "#PlainWriting", "href": f"{BASE}/case-studies?skill=writing"},
        {"type": "Hashtag", "name": "#WasteAndRecycling", "href": f"{BASE}/case-studies?service_area=waste-and-recycling"},
    ]


def test_an_event_is_shaped_as_mobilizon_writes_one(context):
    event = activities.event_object(_event(), "event-7@cop.test")

    assert event["type"] == "Event"
    assert event["id"] == event["url"] == f"{BASE}/events/localgovcamp"
    assert event["name"] == "LocalGovCamp"
    assert event["content"] == "<p>An <strong>unconference</strong>.</p>\n"
    # Times in the event's own zone, with its offset (British Summer Time in July).
    assert event["startTime"] == "2024-07-06T09:00:00+01:00" and event["endTime"] == "2024-07-06T16:00:00+01:00"
    assert event["timezone"] == "Europe/London"
    assert event["location"] == {
        "type": "Place", "name": "Leeds Central Library",
        "address": {"type": "PostalAddress", "streetAddress": "Calverley Street, Leeds LS1 3AB"},
        "latitude": 53.8, "longitude": -1.55,
    }
    assert event["attachment"] == [{"type": "Link", "name": "Website", "mediaType": "text/html", "href": "https://meet.example/camp"}]
    assert event["isOnline"] is False
    assert event["ical:status"] == event["status"] == "CONFIRMED"
    assert event["ical:uid"] == "event-7@cop.test" and event["ical:sequence"] == 3
    assert event["maximumAttendeeCapacity"] == 120
    assert event["joinMode"] == "external" and event["externalParticipationUrl"] == event["url"]
    assert event["category"] == "NETWORKING"
    assert event["attributedTo"] == f"{BASE}/agencies/leeds"
    assert event["to"] == [PUBLIC] and event["cc"] == [f"{BASE}/agencies/leeds/followers"]
    assert event["tag"] == [{"type": "Hashtag", "name": "#OpenData", "href": f"{BASE}/events?topic=open-data"}]
    extensions = event["@context"][2]
    assert extensions["ical"] == "http://www.w3.org/2002/12/cal/ical#"
    assert {"timezone", "joinMode", "maximumAttendeeCapacity", "location", "category"} <= extensions.keys()


@pytest.mark.parametrize(("status", "ical"), [("scheduled", "CONFIRMED"), ("postponed", "TENTATIVE"), ("cancelled", "CANCELLED")])
def test_an_events_status_is_said_as_icalendar_says_it(context, status, ical):
    event = activities.event_object(_event(status=status), "uid")
    assert event["ical:status"] == event["status"] == ical


def test_an_online_only_event_has_no_place_and_an_open_ended_one_no_capacity(context):
    event = activities.event_object(
        _event(venue_name="", venue_address="", latitude=None, longitude=None, capacity=None, kind="webinar",
               time_zone="Australia/Sydney"),
        "uid",
    )

    assert "location" not in event
    assert event["isOnline"] is True
    assert "maximumAttendeeCapacity" not in event
    assert event["category"] == "LEARNING"
    assert event["startTime"] == "2024-07-06T18:00:00+10:00"


def test_create_and_update_carry_the_object_addressed_as_it_is(context):
    article = activities.case_study_article(_case_study())
    created = activities.create(f"{BASE}/agencies/leeds", article)
    updated = activities.update(f"{BASE}/agencies/leeds", article, activity_id=f"{BASE}/activities/fixed")

    assert created["type"] == "Create" and updated["type"] == "Update"
    assert created["actor"] == f"{BASE}/agencies/leeds"
    assert created["id"].startswith(f"{BASE}/activities/") and created["id"] != activities.create(f"{BASE}/agencies/leeds", article)["id"]
    assert updated["id"] == f"{BASE}/activities/fixed"
    for activity in (created, updated):
        assert activity["@context"] == activities.CONTEXT
        assert activity["to"] == article["to"] and activity["cc"] == article["cc"]
        assert activity["object"] == {key: value for key, value in article.items() if key != "@context"}


def test_delete_carries_a_tombstone_or_the_id(context):
    deleted_at = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    tombstone = activities.tombstone(f"{BASE}/case-studies/bins", "Article", deleted_at)
    with_tombstone = activities.delete(f"{BASE}/agencies/leeds", tombstone)
    with_id = activities.delete(f"{BASE}/agencies/leeds", f"{BASE}/events/camp")

    assert tombstone == {"@context": activities.CONTEXT, "id": f"{BASE}/case-studies/bins", "type": "Tombstone",
                         "formerType": "Article", "deleted": "2024-05-01T12:00:00Z"}
    assert with_tombstone["type"] == "Delete"
    assert with_tombstone["object"] == {"id": f"{BASE}/case-studies/bins", "type": "Tombstone", "formerType": "Article",
                                        "deleted": "2024-05-01T12:00:00Z"}
    assert with_id["object"] == f"{BASE}/events/camp"
    assert with_id["to"] == [PUBLIC] and with_id["cc"] == [f"{BASE}/agencies/leeds/followers"]


def test_accept_and_reject_carry_the_whole_follow_back_to_the_follower(context):
    follow = {"@context": "https://www.w3.org/ns/activitystreams", "id": "https://social.example/f/1", "type": "Follow",
              "actor": "https://social.example/users/ann", "object": f"{BASE}/agencies/leeds"}

    for make, kind in ((activities.accept, "Accept"), (activities.reject, "Reject")):
        answer = make(f"{BASE}/agencies/leeds", follow)
        assert answer["type"] == kind
        assert answer["actor"] == f"{BASE}/agencies/leeds"
        assert answer["object"] == {key: value for key, value in follow.items() if key != "@context"}
        assert answer["to"] == ["https://social.example/users/ann"]


def test_follow_and_its_undo(context):
    follow = activities.follow(f"{BASE}/agencies/leeds", "https://other.example/agencies/york")
    undo = activities.undo(f"{BASE}/agencies/leeds", follow)

    assert follow["type"] == "Follow" and follow["object"] == "https://other.example/agencies/york"
    assert undo["type"] == "Undo" and undo["actor"] == f"{BASE}/agencies/leeds"
    assert undo["object"]["id"] == follow["id"] and "@context" not in undo["object"]
    assert undo["to"] == ["https://other.example/agencies/york"]
    assert undo["id"] != follow["id"]


def test_hashtags_are_names_without_spaces_or_punctuation():
    assert activities.hashtag_name("Social media") == "#SocialMedia"
    assert activities.hashtag_name("Co-development & crowdsourcing") == "#CoDevelopmentCrowdsourcing"
