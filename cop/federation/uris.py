"""The ids of this site's actors, collections, objects and activities: absolute URLs built from COP_BASE_URL.

An ActivityPub id must be the URL the document is served from, and must not change when the request
comes in by another host name, so ids never follow the request's Host header.
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

from flask import current_app


def base_url() -> str:
    """This site's public address, without a trailing slash."""
    return current_app.config["COP_BASE_URL"].rstrip("/")


def host() -> str:
    """This site's host as handles are written (``slug@host``): the port is kept when it is not the default."""
    return urlsplit(base_url()).netloc.lower()


def instance_actor_uri() -> str:
    """The instance actor (an Application), which signs fetches for the whole site."""
    return f"{base_url()}/actor"


def instance_inbox_uri() -> str:
    return f"{base_url()}/actor/inbox"


def shared_inbox_uri() -> str:
    return f"{base_url()}/inbox"


def agency_actor_uri(slug: str) -> str:
    """An agency's actor: the same URL as its page, answered as JSON to ActivityPub clients."""
    return f"{base_url()}/agencies/{slug}"


def agency_inbox_uri(slug: str) -> str:
    return f"{agency_actor_uri(slug)}/inbox"


def agency_outbox_uri(slug: str) -> str:
    return f"{agency_actor_uri(slug)}/outbox"


def agency_followers_uri(slug: str) -> str:
    return f"{agency_actor_uri(slug)}/followers"


def agency_following_uri(slug: str) -> str:
    return f"{agency_actor_uri(slug)}/following"


def key_id(actor_uri: str) -> str:
    """The id of an actor's public key, as Mastodon writes it."""
    return f"{actor_uri}#main-key"


def case_study_uri(slug: str) -> str:
    return f"{base_url()}/case-studies/{slug}"


def event_uri(slug: str) -> str:
    return f"{base_url()}/events/{slug}"


def new_activity_uri() -> str:
    """A fresh id for an activity this site sends; /activities/<uuid> serves the public ones."""
    return f"{base_url()}/activities/{uuid.uuid4()}"


def is_local(uri: str) -> bool:
    """True when a URI is on this site."""
    ours = urlsplit(base_url())
    theirs = urlsplit(uri)
    return (theirs.scheme, theirs.netloc.lower()) == (ours.scheme, ours.netloc.lower())
