"""What another server posts to an inbox, verified before anything is stored.

The checks run in a fixed order, cheapest and most telling first: size, a signature header, the signing key
(blocked domains refused before anything is fetched), the signature over the raw bytes, the JSON, and then
whether the signer may say what the activity says (its actor, and the origin of the activity and its object:
the lesson of CVE-2024-23832, where an object from one server was accepted on another's signature). Only an
activity that passes them all becomes an InboxItem, once per activity id, processed later by a task.

Nothing here reads the Flask request: the route hands over the method, path, headers and body.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
from requests.structures import CaseInsensitiveDict

from cop.agencies.models import Agency
from cop.clock import utcnow
from cop.extensions import db, enqueue_after_commit, insert_unless_present
from cop.federation import blocks, client, processing, uris
from cop.federation.inbox_tasks import process_inbox_item
from cop.federation.models import MAX_URI_LENGTH, InboxItem, RemoteActor
from cop.federation.signatures import SignatureError, parse_signature_header, verify_request

log = logging.getLogger(__name__)

#: The largest body accepted, as Mastodon's limit for an activity.
MAX_BODY = 1024 * 1024
#: The deepest nesting of arrays and objects accepted; real activities nest a handful of levels.
MAX_DEPTH = 64
#: The characters that change the nesting depth or start and end strings in JSON.
_STRUCTURE = re.compile(r'["\\\[\]{}]')
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: A signature that fails with a key fetched longer ago than this fetches the key again (keys rotate).
REFETCH_AFTER = timedelta(minutes=1)


class InboxRefusal(Exception):
    """A POST the inbox will not take; ``status`` is the HTTP status, the message is for a person to read."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Received:
    """What became of a verified POST: stored for processing (``stored``), or accepted and let go."""

    activity_uri: str
    activity_type: str
    stored: bool
    #: Why nothing was stored, when it was not: a type not handled, or an activity already received.
    note: str = ""


# ---------------------------------------------------------------- small pure checks


def too_large(content_length: Optional[int]) -> bool:
    """True when a declared body length is past the limit (checked before a byte of the body is read)."""
    return content_length is not None and content_length > MAX_BODY


def origin_of(uri: str) -> Optional[tuple[str, str, int]]:
    """(scheme, host, port) of an http(s) URI with the default port made explicit; None when it has none."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


def nesting_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """True when arrays and objects in a JSON text nest deeper than ``limit``, found without recursion.

    json.loads recurses once per level and raises RecursionError on deep input, so the depth is measured
    first, by a single pass over the characters that matter (brackets, quotes and backslashes).
    """
    depth = 0
    in_string = False
    escaped_until = -1
    for match in _STRUCTURE.finditer(text):
        position = match.start()
        if position < escaped_until:
            continue
        char = match.group()
        if in_string:
            if char == "\\":
                escaped_until = position + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _unstorable_text(document: Any) -> bool:
    """True when a string anywhere in a parsed document holds a NUL or half of a surrogate pair, or a number is
    not finite (json.loads reads NaN, Infinity and 1e999).

    PostgreSQL refuses all of them in text and JSON, so an activity holding them could not be stored.
    """
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(value, float) and not math.isfinite(value):
            return True
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return False


def parse_activity(body: bytes) -> dict[str, Any]:
    """The activity in a body: a JSON object with a type, an actor and an id. InboxRefusal(400) otherwise."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InboxRefusal(400, "The body is not UTF-8 text.") from None
    if nesting_exceeds(text):
        raise InboxRefusal(400, f"The JSON nests deeper than {MAX_DEPTH} levels, more than any activity needs.")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise InboxRefusal(400, "The body is not valid JSON.") from None
    if not isinstance(document, dict):
        raise InboxRefusal(400, "The body must be a JSON object (an activity).")
    if _unstorable_text(document):
        raise InboxRefusal(400, "The activity holds what is not text or a number (a NUL, half a surrogate pair, NaN or Infinity).")
    missing = [name for name in ("type", "actor", "id") if not document.get(name)]
    if missing:
        raise InboxRefusal(400, f"The activity has no {', no '.join(missing)}.")
    if not isinstance(document["type"], str) or len(document["type"]) > 30:
        raise InboxRefusal(400, "The activity's type must be a single name, such as Follow or Create.")
    if not isinstance(document["id"], str) or origin_of(document["id"]) is None or len(document["id"]) > MAX_URI_LENGTH:
        raise InboxRefusal(400, "The activity's id must be an http or https URL.")
    if id_of(document["actor"]) is None:
        raise InboxRefusal(400, "The activity's actor must be a URL, or an object with an id.")
    return document


def id_of(value: Any) -> Optional[str]:
    """The id a reference carries: the string itself, or the ``id`` of an object; None for anything else."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _attributed_ids(obj: dict[str, Any]) -> list[Optional[str]]:
    found = obj.get("attributedTo")
    if found is None:
        return []
    return [id_of(item) for item in (found if isinstance(found, list) else [found])]


def check_authority(activity: dict[str, Any], signer_uri: str) -> None:
    """The signer must be the activity's actor, and the activity and its object must come from the actor's server."""
    actor_uri = id_of(activity["actor"])
    if actor_uri != signer_uri:
        raise InboxRefusal(403, f"The activity's actor ({actor_uri}) is not the owner of the key that signed it ({signer_uri}).")
    origin = origin_of(signer_uri)
    if origin_of(activity["id"]) != origin:
        raise InboxRefusal(403, "The activity's id is not on its actor's server.")
    if activity["type"] in ("Create", "Update", "Delete"):
        obj = activity.get("object")
        object_uri = id_of(obj)
        if object_uri is None:
            raise InboxRefusal(400, f"A {activity['type']} must name its object by id.")
        if origin_of(object_uri) != origin:
            raise InboxRefusal(403, "The object is not on its actor's server: an actor speaks only for its own objects.")
        if isinstance(obj, dict) and any(origin_of(owner or "") != origin for owner in _attributed_ids(obj)):
            raise InboxRefusal(403, "The object is attributed to an actor on another server.")


def is_self_delete(activity: dict[str, Any]) -> bool:
    """True for an actor announcing its own deletion (Delete whose object is the actor)."""
    return activity.get("type") == "Delete" and id_of(activity.get("object")) == id_of(activity.get("actor"))


# ---------------------------------------------------------------- the signer


def _stored_actor(key_id: str) -> Optional[RemoteActor]:
    return db.session.scalar(sa.select(RemoteActor).where(RemoteActor.key_id == key_id).limit(1))


def _fetch_signer(key_id: str, *, refresh: bool) -> RemoteActor:
    try:
        return client.actor_for_key(key_id, refresh=refresh)
    except client.FederationError as error:
        raise InboxRefusal(401, f"The signing key {key_id} could not be fetched: {error}") from None


def _verifies(method: str, path: str, headers: Mapping[str, str], body: bytes, params: Any, actor: RemoteActor) -> Optional[SignatureError]:
    """None when the signature verifies with the actor's key; the error otherwise."""
    if not actor.public_key_pem:
        return SignatureError("The signer has no public key.")
    try:
        verify_request(method, path, headers, body, params, actor.public_key_pem)
    except SignatureError as error:
        return error
    return None


def _signature_refusal(error: SignatureError) -> InboxRefusal:
    return InboxRefusal(getattr(error, "status", 401) or 401, f"The signature was not accepted: {error}")


def verify(method: str, path: str, headers: Mapping[str, str], body: bytes) -> tuple[RemoteActor, dict[str, Any]] | None:
    """The signer and the activity of a POST that passes every check; InboxRefusal for one that does not.

    None for a POST that needs no work and must store nothing: the deletion of an actor never known here.
    """
    if len(body) > MAX_BODY:
        raise InboxRefusal(413, f"The body is larger than {MAX_BODY // 1024} KiB, the most an inbox accepts.")
    header = CaseInsensitiveDict(headers).get("Signature")
    if not header:
        raise InboxRefusal(401, "The request is not signed: an inbox accepts only requests with an HTTP Signature.")
    try:
        params = parse_signature_header(header)
    except SignatureError as error:
        raise InboxRefusal(getattr(error, "status", 400) or 400, f"The Signature header could not be read: {error}") from None
    key_id = params.key_id
    if origin_of(key_id) is None or len(key_id) > MAX_URI_LENGTH:
        raise InboxRefusal(401, "The signature's keyId is not an http or https URL.")
    if uris.is_local(key_id):
        raise InboxRefusal(401, "The signature names a key of this site, which does not post to itself.")
    if blocks.is_blocked(key_id):
        raise InboxRefusal(403, f"{urlsplit(key_id).hostname} is blocked here.")

    signer = _stored_actor(key_id)
    if signer is None:
        # An actor that deleted itself can no longer be fetched (410): when it was never known here there is
        # nothing of it to remove, so, as Mastodon does, the Delete is let go without fetching or storing.
        if _is_unknown_actor_deleting_itself(body, key_id):
            return None
        signer = _fetch_signer(key_id, refresh=False)
    error = _verifies(method, path, headers, body, params, signer)
    if error is not None:
        if error_is_about_the_request(error):
            raise _signature_refusal(error)
        if _is_known_actor_deleting_itself(body, signer):
            # Its key cannot be fetched again: the one stored is the only one that may sign its deletion.
            raise _signature_refusal(error)
        if signer.fetched_at > utcnow() - REFETCH_AFTER:
            # Fetched a moment ago (in this very request, perhaps): fetching again would bring the same key, and
            # would let anyone make this site fetch from a server as often as they post.
            raise _signature_refusal(error)
        # Keys rotate: fetch the actor once more before refusing.
        signer = _fetch_signer(key_id, refresh=True)
        error = _verifies(method, path, headers, body, params, signer)
        if error is not None:
            raise _signature_refusal(error)
    if blocks.is_blocked(signer.uri):
        raise InboxRefusal(403, f"{signer.domain} is blocked here.")

    activity = parse_activity(body)
    check_authority(activity, signer.uri)
    return signer, activity


def error_is_about_the_request(error: SignatureError) -> bool:
    """True for a refusal no other key could change (a malformed header); fetching the key again would not help."""
    return getattr(error, "status", 401) == 400


def _peek(body: bytes) -> Optional[dict[str, Any]]:
    try:
        return parse_activity(body)
    except InboxRefusal:
        return None


def _is_unknown_actor_deleting_itself(body: bytes, key_id: str) -> bool:
    activity = _peek(body)
    if activity is None or not is_self_delete(activity):
        return False
    actor_uri = id_of(activity["actor"]) or ""
    # The key must be the actor's own (same document, or a fragment or path under it), or anyone could
    # make any unknown actor's Delete be let go, which changes nothing but would be a lie in the log.
    key_document = key_id.split("#", 1)[0]
    return key_document == actor_uri or key_document.startswith(actor_uri.rstrip("/") + "/")


def _is_known_actor_deleting_itself(body: bytes, signer: RemoteActor) -> bool:
    activity = _peek(body)
    return activity is not None and is_self_delete(activity) and id_of(activity["actor"]) == signer.uri


# ---------------------------------------------------------------- receiving


def agency_for_inbox(slug: str) -> Optional[Agency]:
    """The local agency whose inbox a slug names; None for an unknown or remote agency."""
    return db.session.scalar(sa.select(Agency).where(Agency.slug == slug, Agency.remote_actor_id.is_(None)))


def receive(method: str, path: str, headers: Mapping[str, str], body: bytes, *, agency: Optional[Agency] = None) -> Received:
    """Verify a POST to an inbox and, for an activity this site handles, store it once and queue its processing.

    The caller commits; the processing task is queued to run after that commit.
    """
    verified = verify(method, path, headers, body)
    if verified is None:
        activity = _peek(body) or {}
        log.info("inbox: let go the deletion of %s, never known here", id_of(activity.get("actor")))
        return Received(str(activity.get("id", "")), "Delete", stored=False, note="The actor was never known here.")
    signer, activity = verified
    if not processing.is_handled(activity):
        log.info("inbox: %s %s from %s is not a kind handled here; ignored", activity["type"], activity["id"], signer.uri)
        return Received(activity["id"], activity["type"], stored=False, note="This kind of activity is not handled here.")
    inserted = insert_unless_present(
        InboxItem,
        {
            "activity_uri": activity["id"],
            "activity_type": activity["type"],
            "actor_uri": signer.uri,
            "agency_id": agency.id if agency is not None else None,
            "payload": activity,
            "status": "queued",
        },
        "activity_uri",
    )
    if not inserted:
        log.info("inbox: %s was received before; not processed again", activity["id"])
        return Received(activity["id"], activity["type"], stored=False, note="This activity was received before.")
    item_id = db.session.scalar(sa.select(InboxItem.id).where(InboxItem.activity_uri == activity["id"]))
    enqueue_after_commit(process_inbox_item, item_id)
    log.info("inbox: %s %s from %s stored as item %s", activity["type"], activity["id"], signer.uri, item_id)
    return Received(activity["id"], activity["type"], stored=True)
