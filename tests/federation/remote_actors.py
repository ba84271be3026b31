"""Actors on other servers, as inbox tests meet them: a key pair, an actor document, signed POSTs to this site.

Nothing here touches the network: an actor is made known by storing its row, or by serving its document
through a stand-in for cop.outbound.fetch (``RemoteWeb``), which records every address asked for.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Optional

import sqlalchemy as sa
from requests.structures import CaseInsensitiveDict

from cop import outbound
from cop.clock import utcnow
from cop.extensions import db
from cop.federation.keys import new_key_pair
from cop.federation.models import RemoteActor
from cop.federation.signatures import sign_request

#: Made once per test process: generating RSA keys is the slow part.
KEY_PAIRS = [new_key_pair() for _ in range(3)]
_NUMBERS = itertools.count(1)
BASE = "http://cop.test"


@dataclass
class Remote:
    """An actor on another server, with the private key it signs with."""

    uri: str
    key_pair: tuple[str, str] = field(default_factory=lambda: KEY_PAIRS[0])
    actor_type: str = "Group"

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"

    @property
    def origin(self) -> str:
        return "/".join(self.uri.split("/")[:3])

    @property
    def public_pem(self) -> str:
        return self.key_pair[0]

    @property
    def private_pem(self) -> str:
        return self.key_pair[1]

    def document(self) -> dict[str, Any]:
        """The actor document its server serves."""
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": self.uri, "type": self.actor_type, "preferredUsername": self.uri.rsplit("/", 1)[-1],
            "name": "Remote Council", "inbox": f"{self.uri}/inbox", "outbox": f"{self.uri}/outbox",
            "endpoints": {"sharedInbox": f"{self.origin}/inbox"},
            "publicKey": {"id": self.key_id, "owner": self.uri, "publicKeyPem": self.public_pem},
        }

    def store(self, app, fetched_ago: timedelta = timedelta(hours=1)) -> int:
        """Store the actor's row, as if fetched a while ago; returns its id."""
        with app.app_context():
            actor = RemoteActor(
                uri=self.uri, domain=self.uri.split("/")[2], actor_type=self.actor_type,
                preferred_username=self.uri.rsplit("/", 1)[-1], inbox=f"{self.uri}/inbox", shared_inbox=f"{self.origin}/inbox",
                key_id=self.key_id, public_key_pem=self.public_pem, fetched_at=utcnow() - fetched_ago,
            )
            db.session.add(actor)
            db.session.commit()
            return actor.id

    def activity_id(self) -> str:
        return f"{self.origin}/activities/{next(_NUMBERS)}"

    def activity(self, kind: str, obj: Any, **fields: Any) -> dict[str, Any]:
        """An activity by this actor, with a fresh id on its server."""
        return {"@context": "https://www.w3.org/ns/activitystreams", "id": self.activity_id(), "type": kind,
                "actor": self.uri, "object": obj, **fields}

    def signed_headers(self, path: str, body: bytes, *, now: Optional[datetime] = None, key_id: Optional[str] = None,
                       private_pem: Optional[str] = None) -> dict[str, str]:
        return sign_request(
            "POST", f"{BASE}{path}", key_id=key_id or self.key_id, private_key_pem=private_pem or self.private_pem,
            body=body, headers={"Content-Type": "application/activity+json"}, now=now,
        )

    def post(self, client, path: str, activity: dict[str, Any] | bytes, *, headers: Optional[dict[str, str]] = None,
             **signing: Any):
        """POST an activity (or raw bytes) to a path here, signed; ``headers`` replace signed ones afterwards."""
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        sent = self.signed_headers(path, body, **signing)
        sent.update(headers or {})
        return client.post(path, data=body, headers=sent, base_url=BASE)


class RemoteWeb:
    """A stand-in for cop.outbound.fetch serving documents by URL; every URL asked for is kept in ``asked``."""

    def __init__(self, monkeypatch) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.asked: list[str] = []
        monkeypatch.setattr(outbound, "fetch", self.fetch)

    def serve(self, remote: Remote) -> None:
        self.documents[remote.uri] = remote.document()

    def fetch(self, url: str, **_: Any) -> outbound.FetchResult:
        self.asked.append(url)
        document = self.documents.get(url)
        if document is None:
            return outbound.FetchResult(url, 404, CaseInsensitiveDict({"Content-Type": "text/plain"}), b"not here")
        return outbound.FetchResult(url, 200, CaseInsensitiveDict({"Content-Type": "application/activity+json"}),
                                    json.dumps(document).encode())


class Deliveries:
    """Stands in for the signed POSTs deliveries make: what would have been sent, and where."""

    def __init__(self, monkeypatch) -> None:
        from cop.federation import client

        self.sent: list[tuple[str, dict[str, Any]]] = []
        monkeypatch.setattr(client, "post_activity", self.post)

    def post(self, inbox: str, payload: dict[str, Any], **_: Any) -> int:
        self.sent.append((inbox, payload))
        return 202

    def of_type(self, kind: str) -> list[tuple[str, dict[str, Any]]]:
        return [(inbox, payload) for inbox, payload in self.sent if payload.get("type") == kind]


def count(app, model: Any) -> int:
    """How many rows a table holds."""
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))
