"""This site's actors, objects and activities as ActivityStreams documents: objects in, dicts out.

Agencies are Groups, case studies Articles and events Events in Mobilizon's shape, so that Mastodon shows a
title and a link and Mobilizon (and another cop) shows the whole event. Every id is built by cop.federation.uris
from the site's configured address, never from a request.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Optional
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from cop.casestudies.models import SECTIONS
from cop.clock import utcnow
from cop.federation import uris
from cop.text.markdown import render_markdown

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
#: The audience that makes an activity or object public.
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
#: The terms used here beyond ActivityStreams and security/v1: Mastodon's for actors, schema.org's, iCalendar's and
#: Mobilizon's for events, as Mobilizon declares them.
EXTENSIONS: dict[str, Any] = {
    "toot": "http://joinmastodon.org/ns#",
    "sc": "http://schema.org/",
    "ical": "http://www.w3.org/2002/12/cal/ical#",
    "mz": "https://joinmobilizon.org/ns#",
    "pt": "https://joinpeertube.org/ns#",
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "discoverable": "toot:discoverable",
    "Hashtag": "as:Hashtag",
    "category": "sc:category",
    "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
    "location": {"@id": "sc:location", "@type": "sc:Place"},
    "PostalAddress": "sc:PostalAddress",
    "address": {"@id": "sc:address", "@type": "sc:PostalAddress"},
    "streetAddress": "sc:streetAddress",
    "addressLocality": "sc:addressLocality",
    "addressRegion": "sc:addressRegion",
    "postalCode": "sc:postalCode",
    "addressCountry": "sc:addressCountry",
    "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
    "isOnline": {"@id": "mz:isOnline", "@type": "sc:Boolean"},
    "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
    "joinModeType": {"@id": "mz:joinModeType", "@type": "rdfs:Class"},
    "externalParticipationUrl": {"@id": "mz:externalParticipationUrl", "@type": "sc:URL"},
    "anonymousParticipationEnabled": {"@id": "mz:anonymousParticipationEnabled", "@type": "sc:Boolean"},
    "repliesModerationOption": {"@id": "mz:repliesModerationOption", "@type": "mz:repliesModerationOptionType"},
    "repliesModerationOptionType": {"@id": "mz:repliesModerationOptionType", "@type": "rdfs:Class"},
    "commentsEnabled": {"@id": "pt:commentsEnabled", "@type": "sc:Boolean"},
    "status": "ical:status",
}
CONTEXT: list[Any] = [AS_CONTEXT, SECURITY_CONTEXT, EXTENSIONS]

#: Event kinds as Mobilizon's categories: the gatherings people come to meet peers are networking, the rest learning.
MOBILIZON_CATEGORIES = {
    "unconference": "NETWORKING",
    "barcamp": "NETWORKING",
    "meetup": "NETWORKING",
    "surgery": "LEARNING",
    "course": "LEARNING",
    "workshop": "LEARNING",
    "webinar": "LEARNING",
}
#: An event's status as iCalendar writes it (the same words the calendar feeds use).
ICAL_STATUSES = {"scheduled": "CONFIRMED", "postponed": "TENTATIVE", "cancelled": "CANCELLED"}
#: How Mobilizon names an event's online address among its attachments.
ONLINE_LINK_NAME = "Website"


def timestamp(moment: Optional[datetime]) -> Optional[str]:
    """A UTC time as ActivityPub servers write it: ISO 8601 to the second, with Z."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def without_context(document: dict[str, Any]) -> dict[str, Any]:
    """A document to embed in another: the outer document's @context covers it."""
    return {key: value for key, value in document.items() if key != "@context"}


def _followers_of(actor_uri: str) -> list[str]:
    """An agency actor's followers collection; the instance actor has none."""
    return [] if actor_uri == uris.instance_actor_uri() else [f"{actor_uri}/followers"]


def _icon() -> dict[str, str]:
    return {"type": "Image", "mediaType": "image/svg+xml", "url": f"{uris.base_url()}/static/favicon.svg"}


def _public_key(actor_uri: str, public_key_pem: str) -> dict[str, str]:
    return {"id": uris.key_id(actor_uri), "owner": actor_uri, "publicKeyPem": public_key_pem}


def agency_actor(agency: Any, public_key_pem: str, summary_html: Optional[str] = None) -> dict[str, Any]:
    """An agency as a Group actor; its summary is its description rendered from Markdown unless given."""
    actor_uri = uris.agency_actor_uri(agency.slug)
    summary = str(render_markdown(agency.description)) if summary_html is None else str(summary_html)
    return {
        "@context": CONTEXT,
        "id": actor_uri,
        "type": "Group",
        "preferredUsername": agency.slug,
        "name": agency.name,
        "summary": summary,
        "url": actor_uri,
        "icon": _icon(),
        "inbox": uris.agency_inbox_uri(agency.slug),
        "outbox": uris.agency_outbox_uri(agency.slug),
        "followers": uris.agency_followers_uri(agency.slug),
        "following": uris.agency_following_uri(agency.slug),
        "endpoints": {"sharedInbox": uris.shared_inbox_uri()},
        "manuallyApprovesFollowers": bool(agency.approves_followers),
        "discoverable": True,
        "published": timestamp(agency.created_at),
        "publicKey": _public_key(actor_uri, public_key_pem),
    }


def instance_actor(public_key_pem: str) -> dict[str, Any]:
    """The site's own actor, an Application named after the host, which signs the site's fetches."""
    actor_uri = uris.instance_actor_uri()
    host = uris.host()
    return {
        "@context": CONTEXT,
        "id": actor_uri,
        "type": "Application",
        "preferredUsername": host,
        "name": host,
        "url": uris.base_url() + "/",
        "inbox": uris.instance_inbox_uri(),
        "outbox": f"{actor_uri}/outbox",
        "endpoints": {"sharedInbox": uris.shared_inbox_uri()},
        "manuallyApprovesFollowers": True,
        "discoverable": False,
        "publicKey": _public_key(actor_uri, public_key_pem),
    }


def hashtag_name(words: str) -> str:
    """A name as a hashtag: "Social media" is #SocialMedia (a hashtag cannot hold spaces or punctuation)."""
    parts = re.findall(r"\w+", words)
    return "#" + "".join(part[:1].upper() + part[1:] for part in parts)


def _hashtag(words: str, path: str, **filters: str) -> dict[str, str]:
    return {"type": "Hashtag", "name": hashtag_name(words), "href": f"{uris.base_url()}{path}?{urlencode(filters)}"}


def case_study_html(case_study: Any) -> str:
    """A case study's story as sanitised HTML: each section under its heading, then its links."""
    parts = [f"<h2>{heading}</h2>{render_markdown(getattr(case_study, name))}"
             for name, heading, _required in SECTIONS if getattr(case_study, name)]
    links = [link for link in case_study.links or [] if link.get("url", "").startswith(("https://", "http://"))]
    if links:
        items = "".join(
            Markup('<li><a href="{}" rel="nofollow noopener ugc">{}</a></li>').format(link["url"], link.get("title") or link["url"])
            for link in links
        )
        parts.append(f"<h2>Links</h2><ul>{items}</ul>")
    return "".join(parts)


def case_study_article(case_study: Any) -> dict[str, Any]:
    """A published case study as an Article, attributed to its agency, public and addressed to its followers."""
    slug = case_study.agency.slug
    tags = [
        _hashtag(topic.name, "/case-studies", **{"channel" if topic.group == "channel" else "skill": topic.slug})
        for topic in case_study.topics
    ]
    if case_study.service_area is not None:
        tags.append(_hashtag(case_study.service_area.name, "/case-studies", service_area=case_study.service_area.slug))
    object_uri = uris.case_study_uri(case_study.slug)
    return {
        "@context": CONTEXT,
        "id": object_uri,
        "type": "Article",
        "name": case_study.title,
        "summary": f"<p>{escape(case_study.summary)}</p>" if case_study.summary else "",
        "content": case_study_html(case_study),
        "mediaType": "text/html",
        "url": object_uri,
        "attributedTo": uris.agency_actor_uri(slug),
        "published": timestamp(case_study.published_at or case_study.created_at),
        "updated": timestamp(case_study.updated_at),
        "tag": tags,
        "to": [PUBLIC],
        "cc": [uris.agency_followers_uri(slug)],
    }


def _place(event: Any) -> Optional[dict[str, Any]]:
    """Where the event happens, as Mobilizon writes a Place; None for one that is only online."""
    if not (event.venue_name or event.venue_address or event.latitude is not None):
        return None
    place: dict[str, Any] = {"type": "Place", "name": event.venue_name or event.venue_address}
    if event.venue_address:
        # The address is one line as people typed it: it all goes in streetAddress rather than guessing its parts.
        place["address"] = {"type": "PostalAddress", "streetAddress": event.venue_address}
    if event.latitude is not None and event.longitude is not None:
        place["latitude"] = event.latitude
        place["longitude"] = event.longitude
    return place


def event_object(event: Any, uid: str) -> dict[str, Any]:
    """An event as an Event in Mobilizon's shape; ``uid`` is its calendar UID, kept by whoever receives it.

    joinMode is "external": people register on this site's page (externalParticipationUrl); another server
    cannot take part in its registrations, so "free" (join here with a Join) would promise what nobody answers.
    """
    slug = event.agency.slug
    tz = ZoneInfo(event.time_zone)
    object_uri = uris.event_uri(event.slug)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": object_uri,
        "type": "Event",
        "name": event.title,
        "content": str(render_markdown(event.description)),
        "mediaType": "text/html",
        "startTime": event.starts_at.astimezone(tz).isoformat(timespec="seconds"),
        "endTime": event.ends_at.astimezone(tz).isoformat(timespec="seconds"),
        "timezone": event.time_zone,
        "ical:status": ICAL_STATUSES[event.status],
        "status": ICAL_STATUSES[event.status],
        "ical:uid": uid,
        "ical:sequence": event.sequence,
        "joinMode": "external",
        "externalParticipationUrl": object_uri,
        "anonymousParticipationEnabled": False,
        "repliesModerationOption": "closed",
        "commentsEnabled": False,
        "category": MOBILIZON_CATEGORIES.get(event.kind, "MEETING"),
        "isOnline": bool(event.online_url) and not (event.venue_name or event.venue_address),
        "url": object_uri,
        "attributedTo": uris.agency_actor_uri(slug),
        "published": timestamp(event.created_at),
        "updated": timestamp(event.updated_at),
        "tag": [_hashtag(topic.name, "/events", topic=topic.slug) for topic in event.topics],
        "attachment": [],
        "to": [PUBLIC],
        "cc": [uris.agency_followers_uri(slug)],
    }
    if event.capacity is not None:
        document["maximumAttendeeCapacity"] = event.capacity
    place = _place(event)
    if place is not None:
        document["location"] = place
    if event.online_url:
        document["attachment"].append(
            {"type": "Link", "name": ONLINE_LINK_NAME, "mediaType": "text/html", "href": event.online_url}
        )
    return document


# ---------------------------------------------------------------- activities


def _activity(kind: str, actor_uri: str, activity_id: Optional[str], **fields: Any) -> dict[str, Any]:
    return {"@context": CONTEXT, "id": activity_id or uris.new_activity_uri(), "type": kind, "actor": actor_uri, **fields}


def create(actor_uri: str, obj: dict[str, Any], *, activity_id: Optional[str] = None) -> dict[str, Any]:
    """Create of an object, addressed as the object is."""
    return _activity("Create", actor_uri, activity_id, published=obj.get("published") or timestamp(utcnow()),
                     to=list(obj.get("to", [])), cc=list(obj.get("cc", [])), object=without_context(obj))


def update(actor_uri: str, obj: dict[str, Any], *, activity_id: Optional[str] = None) -> dict[str, Any]:
    """Update of an object (the whole object as it is now), addressed as the object is."""
    return _activity("Update", actor_uri, activity_id, published=timestamp(utcnow()),
                     to=list(obj.get("to", [])), cc=list(obj.get("cc", [])), object=without_context(obj))


def delete(actor_uri: str, object_uri: str | dict[str, Any], *, activity_id: Optional[str] = None) -> dict[str, Any]:
    """Delete of an object, given by its id or as a Tombstone; public, and to the actor's followers."""
    obj = without_context(object_uri) if isinstance(object_uri, dict) else object_uri
    return _activity("Delete", actor_uri, activity_id, published=timestamp(utcnow()),
                     to=[PUBLIC], cc=_followers_of(actor_uri), object=obj)


def follow(actor_uri: str, target_uri: str, *, activity_id: Optional[str] = None) -> dict[str, Any]:
    """Follow of a remote actor."""
    return _activity("Follow", actor_uri, activity_id, to=[target_uri], object=target_uri)


def undo(actor_uri: str, activity: dict[str, Any], *, activity_id: Optional[str] = None) -> dict[str, Any]:
    """Undo of an activity this actor sent (a Follow, mostly), carrying the whole activity."""
    undone = without_context(activity)
    to = list(undone.get("to") or ([undone["object"]] if isinstance(undone.get("object"), str) else []))
    return _activity("Undo", actor_uri, activity_id, to=to, object=undone)


def accept(actor_uri: str, follow_activity: dict[str, Any], *, activity_id: Optional[str] = None) -> dict[str, Any]:
    """Accept of a Follow, carrying the whole Follow it answers, to the follower."""
    return _answer("Accept", actor_uri, follow_activity, activity_id)


def reject(actor_uri: str, follow_activity: dict[str, Any], *, activity_id: Optional[str] = None) -> dict[str, Any]:
    """Reject of a Follow, carrying the whole Follow it answers, to the follower."""
    return _answer("Reject", actor_uri, follow_activity, activity_id)


def _answer(kind: str, actor_uri: str, follow_activity: dict[str, Any], activity_id: Optional[str]) -> dict[str, Any]:
    follower = follow_activity.get("actor")
    if isinstance(follower, dict):
        follower = follower.get("id")
    return _activity(kind, actor_uri, activity_id, to=[follower] if isinstance(follower, str) else [],
                     object=without_context(follow_activity))


def tombstone(object_uri: str, former_type: str, deleted: Optional[datetime]) -> dict[str, Any]:
    """What stands where a deleted or withdrawn object was."""
    document: dict[str, Any] = {"@context": CONTEXT, "id": object_uri, "type": "Tombstone", "formerType": former_type}
    if deleted is not None:
        document["deleted"] = timestamp(deleted)
    return document
