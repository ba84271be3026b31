"""The inboxes other servers post activities to: the shared inbox, each agency's, and the instance actor's.

Routes of the federation blueprint. Each reads at most a little more than the limit of the raw body (the
signature covers those exact bytes), hands it to cop.federation.inbox, and answers 202 once the activity is
stored, or a JSON error saying why not. CSRF does not apply: these are server-to-server requests with no
cookies, authenticated by their HTTP Signature.
"""

from __future__ import annotations

import logging
from typing import Optional

from flask import Response, jsonify, request

from cop.agencies.models import Agency
from cop.extensions import csrf, db
from cop.federation import inbox
from cop.federation.routes import bp
from cop.site.guards import reads_own_body

log = logging.getLogger(__name__)

#: What a 401 asks for: a draft-cavage signature over these headers.
SIGNATURE_CHALLENGE = 'Signature realm="inbox",headers="(request-target) host date digest"'


def _refusal(status: int, message: str) -> Response:
    db.session.rollback()
    log.info("inbox refused %s %s from %s: %s %s", request.method, request.path, request.remote_addr, status, message)
    response = jsonify(error=message)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = SIGNATURE_CHALLENGE
    return response


def _path_signed() -> str:
    """The path and query as the client sent them, which is what its (request-target) signed."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if raw:
        return raw
    query = request.query_string.decode("latin-1")
    return request.path + (f"?{query}" if query else "")


def _receive(agency: Optional[Agency]) -> Response:
    if inbox.too_large(request.content_length):
        return _refusal(413, f"The body is larger than {inbox.MAX_BODY // 1024} KiB, the most an inbox accepts.")
    # One byte past the limit is enough to know a body without a declared length is too large.
    body = request.stream.read(inbox.MAX_BODY + 1)
    try:
        inbox.receive(request.method, _path_signed(), request.headers, body, agency=agency)
    except inbox.InboxRefusal as refusal:
        return _refusal(refusal.status, refusal.message)
    db.session.commit()
    return Response(status=202)


@bp.route("/inbox", methods=["POST"])
@csrf.exempt
@reads_own_body
def shared_inbox() -> Response:
    """The shared inbox: activities for any of this site's actors, delivered once per server."""
    return _receive(None)


@bp.route("/actor/inbox", methods=["POST"])
@csrf.exempt
@reads_own_body
def instance_inbox() -> Response:
    """The instance actor's inbox."""
    return _receive(None)


@bp.route("/agencies/<slug>/inbox", methods=["POST"])
@csrf.exempt
@reads_own_body
def agency_inbox(slug: str) -> Response:
    """An agency's own inbox."""
    agency = inbox.agency_for_inbox(slug)
    if agency is None:
        return _refusal(404, "There is no agency here by that name.")
    return _receive(agency)
