"""What tests of sending share: followers stored as rows, a recorder standing in for the signed POST, and a tiny
inbox server on a loopback port that records what it receives and answers as it is told."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator, Optional

import sqlalchemy as sa

from cop.extensions import db
from cop.federation.models import Follower, RemoteActor


def remote_actor(uri: str, *, inbox: Optional[str] = None, shared_inbox: str = "", username: Optional[str] = None) -> RemoteActor:
    """A remote actor's row, as if its document had been fetched."""
    domain = uri.split("/")[2].lower()
    actor = db.session.scalars(sa.select(RemoteActor).where(RemoteActor.uri == uri)).one_or_none()
    if actor is None:
        actor = RemoteActor(uri=uri, domain=domain, actor_type="Person", preferred_username=username or uri.rsplit("/", 1)[-1],
                            name=f"Someone at {domain}", inbox=inbox or f"{uri}/inbox", shared_inbox=shared_inbox)
        db.session.add(actor)
        db.session.flush()
    return actor


def add_follower(agency_id: int, uri: str, *, state: str = "accepted", shared_inbox: str = "", inbox: Optional[str] = None) -> Follower:
    """A remote actor following an agency here."""
    actor = remote_actor(uri, inbox=inbox, shared_inbox=shared_inbox)
    follower = Follower(agency_id=agency_id, remote_actor_id=actor.id, follow_uri=f"{uri}#follow",
                        follow_activity={"id": f"{uri}#follow", "type": "Follow", "actor": uri}, state=state)
    db.session.add(follower)
    db.session.flush()
    return follower


@dataclass
class PostRecorder:
    """Stands in for client.post_activity: records each POST and answers ``status``."""

    status: int = 202
    posts: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, inbox: str, payload: dict[str, Any], *, key_id: str, private_key_pem: str) -> int:
        self.posts.append({"inbox": inbox, "payload": payload, "key_id": key_id})
        return self.status


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class LoopbackInbox:
    """An HTTP server on 127.0.0.1 that records every request; it answers the statuses in ``answers`` in turn
    (the last one repeating)."""

    def __init__(self, answers: tuple[int, ...] = (202,)) -> None:
        self.answers = list(answers)
        self.received: list[Received] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                inbox.received.append(Received("POST", self.path, {k: v for k, v in self.headers.items()}, body))
                status = inbox.answers.pop(0) if len(inbox.answers) > 1 else inbox.answers[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/inbox"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def loopback_inbox(*answers: int) -> Iterator[LoopbackInbox]:
    """A LoopbackInbox running for the block."""
    inbox = LoopbackInbox(answers or (202,))
    inbox.start()
    try:
        yield inbox
    finally:
        inbox.stop()
