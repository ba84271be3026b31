"""Talking to other servers: signed fetches of their documents, their actors, WebFinger, and signed deliveries.

Every request goes through cop.outbound's guarded client (no private addresses unless
COP_ALLOW_PRIVATE_ADDRESSES is on, size and time limits) and refuses blocked domains before connecting.
GETs are signed by the instance actor, so servers that require authorised fetch answer.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from typing import Any, Mapping, Optional
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from flask import current_app

from cop import outbound
from cop.clock import utcnow
from cop.extensions import db, insert_unless_present
from cop.federation import keys, uris
from cop.federation.blocks import is_blocked
from cop.federation.models import MAX_URI_LENGTH, RemoteActor
from cop.federation.signatures import SignatureError, check_public_key, sign_request
from cop.text.markdown import sanitise_html

log = logging.getLogger(__name__)

ACTIVITY_JSON = "application/activity+json"
LD_JSON = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ACCEPT = f"{ACTIVITY_JSON}, {LD_JSON}"
#: The most of a remote document that is read, and how long a fetch may take.
MAX_DOCUMENT_BYTES = 1024 * 1024
TIMEOUT = 10.0
#: Deeper JSON than any real ActivityPub document nests is refused rather than walked.
MAX_JSON_DEPTH = 64
#: A stored actor this recent is used as it is; an older one is fetched again.
ACTOR_FRESH_FOR = timedelta(hours=24)
ACTOR_TYPES = frozenset({"Person", "Group", "Organization", "Service", "Application"})


class FederationError(Exception):
    """Another server could not be asked, or answered with something unusable; the message is for people."""

    def __init__(self, message: str, status: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        #: The remote server's HTTP status, when it answered with one that was refused.
        self.status = status


# ---------------------------------------------------------------- requests


def scheme_for(host: str) -> str:
    """The scheme to reach a host by: https, or http when private addresses are allowed (tests, local runs)."""
    return "http" if current_app.config["COP_ALLOW_PRIVATE_ADDRESSES"] else "https"


def _user_agent() -> str:
    return f"cop (+{uris.base_url()})"


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


def _origin(url: str) -> tuple[str, str]:
    """(scheme, host[:port]) of a URL, lower-case: two documents on one origin are from the same server."""
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _check_web_url(url: Any, what: str) -> str:
    """A URL that names an http(s) resource, or FederationError."""
    if not isinstance(url, str) or "\x00" in url or len(url) > MAX_URI_LENGTH:
        raise FederationError(f"{what} is not a web address.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise FederationError(f"{what} is not a valid web address.") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise FederationError(f"{what} is not a web address.")
    return url


def _refuse_blocked(url: str) -> None:
    if is_blocked(url):
        raise FederationError(f"{_host(url)} is blocked on this site.")


def _depth(value: Any) -> int:
    """How deeply a parsed JSON value nests, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > MAX_JSON_DEPTH:
                return deepest
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_json_object(body: bytes, source: str) -> dict[str, Any]:
    """A JSON object from a body, or FederationError saying what is wrong with it."""
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise FederationError(f"{source} sent text that is not UTF-8.") from None
    except RecursionError:
        raise FederationError(f"{source} sent JSON nested too deeply.") from None
    except ValueError:
        raise FederationError(f"{source} did not send valid JSON.") from None
    if not isinstance(value, dict):
        raise FederationError(f"{source} sent JSON that is not an object.")
    if _depth(value) > MAX_JSON_DEPTH:
        raise FederationError(f"{source} sent JSON nested too deeply.")
    return value


def _get_json(url: str, accept: str, *, signed: bool) -> tuple[dict[str, Any], str]:
    """GET a JSON object through the guard; (the document, the URL it finally came from)."""
    _check_web_url(url, url)
    _refuse_blocked(url)
    key = keys.instance_key() if signed else None
    signer = uris.key_id(uris.instance_actor_uri())

    def headers_for(hop: str) -> Mapping[str, str]:
        # A redirect may lead elsewhere: each hop is checked against the blocks and signed for its own address.
        _refuse_blocked(hop)
        return sign_request("GET", hop, key_id=signer, private_key_pem=key.private_key_pem) if key is not None else {}

    try:
        answer = outbound.fetch(
            url, allow_private=current_app.config["COP_ALLOW_PRIVATE_ADDRESSES"], max_bytes=MAX_DOCUMENT_BYTES,
            timeout=TIMEOUT, headers={"Accept": accept}, user_agent=_user_agent(), headers_for=headers_for,
        )
    except outbound.OutboundError as error:
        raise FederationError(str(error)) from None
    host = _host(answer.url)
    if answer.status == 410:
        raise FederationError(f"{host} says {answer.url} is gone.", answer.status)
    if answer.status == 404:
        raise FederationError(f"{host} has nothing at {answer.url}.", answer.status)
    if answer.status in (401, 403):
        raise FederationError(f"{host} refused to show {answer.url} (HTTP {answer.status}).", answer.status)
    if not 200 <= answer.status < 300:
        raise FederationError(f"{host} answered HTTP {answer.status} for {answer.url}.", answer.status)
    content_type = answer.headers.get("Content-Type", "").lower()
    if "json" not in content_type:
        raise FederationError(f"{host} did not answer with JSON for {answer.url}.")
    return parse_json_object(answer.body, host), answer.url


def _fetch_document(url: str) -> tuple[dict[str, Any], str]:
    document, final_url = _get_json(url, ACCEPT, signed=True)
    document_id = document.get("id")
    if document_id is not None and (not isinstance(document_id, str) or _origin(document_id) != _origin(final_url)):
        # A server may only speak for documents on its own origin.
        raise FederationError(f"{_host(final_url)} served a document whose id is not on that server.")
    return document, final_url


def fetch_object(url: str) -> dict[str, Any]:
    """A remote ActivityPub document, fetched signed by the instance actor; FederationError when unusable."""
    return _fetch_document(url)[0]


# ---------------------------------------------------------------- actors


def _text(value: Any, limit: int) -> str:
    """A text field as stored: a string without NUL bytes, cut to its column's length."""
    return value.replace("\x00", "").strip()[:limit] if isinstance(value, str) else ""


def _optional_url(value: Any) -> str:
    """An optional link: its address when it is a usable http(s) URL, else ""."""
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, (str, dict))), None)
    if isinstance(value, dict):
        value = value.get("href") or value.get("url")
        if isinstance(value, (list, dict)):
            return _optional_url(value)
    try:
        return _check_web_url(value, "")
    except FederationError:
        return ""


def _public_key(document: dict[str, Any]) -> dict[str, Any]:
    value = document.get("publicKey")
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, dict)), None)
    return value if isinstance(value, dict) else {}


def _actor_values(document: dict[str, Any], uri: str, final_url: str) -> dict[str, Any]:
    """What is stored of an actor document asked for at ``uri``; FederationError when it does not hold up."""
    host = _host(final_url)
    if document.get("id") != uri:
        raise FederationError(f"{host} answered for {uri} with a document about something else.")
    if _origin(final_url) != _origin(uri):
        raise FederationError(f"{uri} was answered from another server ({host}).")
    actor_type = document.get("type")
    if actor_type not in ACTOR_TYPES:
        raise FederationError(f"{uri} is not an account or group (its type is {str(actor_type)[:40]!r}).")
    inbox = _check_web_url(document.get("inbox"), f"The inbox of {uri}")
    key = _public_key(document)
    key_id, key_pem = "", ""
    if key:
        if key.get("owner") != uri:
            raise FederationError(f"The public key of {uri} belongs to someone else.")
        key_id = _check_web_url(key.get("id"), f"The public key id of {uri}")
        if _origin(key_id) != _origin(uri):
            raise FederationError(f"The public key of {uri} is on another server.")
        key_pem = key.get("publicKeyPem")
        try:
            check_public_key(key_pem if isinstance(key_pem, str) else "")
        except SignatureError:
            raise FederationError(f"The public key of {uri} is not an RSA public key that can be read.") from None
    endpoints = document.get("endpoints") if isinstance(document.get("endpoints"), dict) else {}
    parts = urlsplit(uri)
    default_port = {"http": 80, "https": 443}[parts.scheme.lower()]
    domain = (parts.hostname or "").lower() + (f":{parts.port}" if parts.port not in (None, default_port) else "")
    return {
        "domain": domain,
        "actor_type": actor_type,
        "preferred_username": _text(document.get("preferredUsername"), 200),
        "name": _text(document.get("name"), 300),
        "summary": str(sanitise_html(_text(document.get("summary"), 100_000))),
        "url": _optional_url(document.get("url")),
        "icon_url": _optional_url(document.get("icon")),
        "inbox": inbox,
        "shared_inbox": _optional_url(endpoints.get("sharedInbox")),
        "outbox": _optional_url(document.get("outbox")),
        "followers_url": _optional_url(document.get("followers")),
        "key_id": key_id,
        "public_key_pem": key_pem.replace("\x00", "") if key_pem else "",
        "fetched_at": utcnow(),
    }


def _store_actor(uri: str, values: dict[str, Any]) -> RemoteActor:
    """Insert or update the stored copy of an actor, race-safe; flushed."""
    insert_unless_present(RemoteActor, {"uri": uri, **values}, "uri")
    actor = db.session.scalars(sa.select(RemoteActor).where(RemoteActor.uri == uri)).one()
    for name, value in values.items():
        setattr(actor, name, value)
    db.session.flush()
    return actor


def _stored_actor(column: Any, value: str) -> Optional[RemoteActor]:
    return db.session.scalars(sa.select(RemoteActor).where(column == value).order_by(RemoteActor.id)).first()


def get_actor(uri: str, *, refresh: bool = False) -> RemoteActor:
    """A remote actor: the stored copy when fetched in the last day (unless refresh), else fetched and stored."""
    _check_web_url(uri, uri)
    _refuse_blocked(uri)
    actor = _stored_actor(RemoteActor.uri, uri)
    if actor is not None and not refresh and actor.fetched_at >= utcnow() - ACTOR_FRESH_FOR:
        return actor
    document, final_url = _fetch_document(uri)
    actor = _store_actor(uri, _actor_values(document, uri, final_url))
    log.info("fetched remote actor %s", uri)
    return actor


def actor_for_key(key_id: str, *, refresh: bool = False) -> RemoteActor:
    """The remote actor a signing key belongs to: stored, or (when unknown or refresh) fetched by the key's id."""
    _check_web_url(key_id, "The signature's key id")
    _refuse_blocked(key_id)
    if not refresh:
        actor = _stored_actor(RemoteActor.key_id, key_id)
        if actor is not None:
            return actor
    document_url = key_id.split("#", 1)[0]
    document, final_url = _fetch_document(document_url)
    if document.get("type") in ACTOR_TYPES:
        actor_uri = document.get("id")
        if not isinstance(actor_uri, str):
            raise FederationError(f"{_host(final_url)} served an actor without an id for {key_id}.")
        actor = _store_actor(actor_uri, _actor_values(document, actor_uri, final_url))
    elif isinstance(document.get("owner"), str):
        actor = get_actor(document["owner"], refresh=True)
    else:
        raise FederationError(f"{key_id} is neither an actor nor a key.")
    if actor.key_id != key_id:
        raise FederationError(f"The key {key_id} does not belong to {actor.uri}.")
    return actor


# ---------------------------------------------------------------- handles


def _split_handle(handle: str) -> tuple[str, str]:
    """(user, host) of "user@host", "@user@host" or "acct:user@host"; FederationError otherwise."""
    text = handle.strip()
    if text.lower().startswith("acct:"):
        text = text[5:]
    text = text.removeprefix("@")
    user, at, host = text.partition("@")
    invalid = FederationError(f"{handle.strip()[:200]!r} is not a handle (user@host) or an actor's web address.")
    if not at or not user or not host or "@" in host:
        raise invalid
    if any(c.isspace() or c in "/?#\\%\x00" for c in user + host) or len(user) > 200 or len(host) > 260:
        raise invalid
    try:
        parsed = urlsplit(f"//{host}")
        parsed.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise invalid from None
    if not parsed.hostname:
        raise invalid
    return user, host.lower()


def _is_actor_link(link: Any) -> bool:
    if not isinstance(link, dict) or link.get("rel") != "self" or not isinstance(link.get("type"), str):
        return False
    kind = re.sub(r"\s*;\s*", "; ", link["type"].strip())
    return kind in (ACTIVITY_JSON, LD_JSON)


def resolve_handle(handle: str) -> str:
    """The actor URI a handle ("user@host", "@user@host") names, found by WebFinger; an actor URL is returned as given."""
    if not isinstance(handle, str) or not handle.strip():
        raise FederationError("Enter a handle (user@host) or an actor's web address.")
    text = handle.strip()
    if text.lower().startswith(("http://", "https://")):
        url = _check_web_url(text, f"{text[:200]!r}")
        _refuse_blocked(url)
        return url
    user, host = _split_handle(text)
    _refuse_blocked(f"//{host}")
    url = f"{scheme_for(host)}://{host}/.well-known/webfinger?" + urlencode({"resource": f"acct:{user}@{host}"})
    try:
        document, _final = _get_json(url, "application/jrd+json, application/json", signed=False)
    except FederationError as error:
        if error.status in (404, 410):
            raise FederationError(f"No account called {user} was found on {host}.", error.status) from None
        raise FederationError(f"{host} could not be asked about {user}@{host}: {error.message}", error.status) from None
    links = document.get("links") if isinstance(document.get("links"), list) else []
    for link in links:
        if _is_actor_link(link):
            actor_uri = _check_web_url(link.get("href"), f"The address {host} gave for {user}@{host}")
            _refuse_blocked(actor_uri)
            return actor_uri
    raise FederationError(f"{user}@{host} has no ActivityPub account that can be followed.")


# ---------------------------------------------------------------- deliveries


def post_activity(inbox: str, payload: dict[str, Any], *, key_id: str, private_key_pem: str) -> int:
    """POST an activity to an inbox, signed; the HTTP status it answered. FederationError when it could not be sent."""
    _check_web_url(inbox, f"The inbox {inbox[:200]}")
    _refuse_blocked(inbox)
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    headers = sign_request(
        "POST", inbox, key_id=key_id, private_key_pem=private_key_pem, body=body,
        headers={"Content-Type": ACTIVITY_JSON, "Accept": ACCEPT},
    )
    try:
        answer = outbound.post(
            inbox, body=body, headers=headers, allow_private=current_app.config["COP_ALLOW_PRIVATE_ADDRESSES"],
            max_bytes=MAX_DOCUMENT_BYTES, timeout=TIMEOUT, user_agent=_user_agent(),
        )
    except outbound.OutboundError as error:
        raise FederationError(str(error)) from None
    log.info("delivered %s to %s: HTTP %s", payload.get("id"), inbox, answer.status)
    return answer.status
