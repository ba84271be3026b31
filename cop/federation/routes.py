"""Federation's public documents: WebFinger, NodeInfo, actors, collections and activities.

Agencies, case studies and events are served as ActivityStreams JSON on the same addresses as their pages, to
clients that ask for it (content negotiation), without their own blueprints knowing. The inbox POST routes and
the admins' pages attach to this blueprint from their own modules.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import MIMEAccept

from cop.events.feeds import event_uid
from cop.extensions import db
from cop.federation import activities, documents, uris
from cop.federation.keys import agency_key, instance_key
from cop.site.errors import MESSAGES

log = logging.getLogger(__name__)

bp = Blueprint("federation", __name__, template_folder="templates")

#: What ActivityPub documents are served as.
ACTIVITY_JSON = "application/activity+json; charset=utf-8"
JRD_JSON = "application/jrd+json; charset=utf-8"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/{version}"
NODEINFO_VERSIONS = ("2.1", "2.0")
#: The pages that are also ActivityStreams documents, for clients that ask for JSON.
NEGOTIATED_ENDPOINTS = frozenset({"agencies.agency", "casestudies.case_study", "events.event"})
#: Media types an ActivityPub client asks for: activity+json, and ld+json (with the ActivityStreams profile or none).
ACTIVITY_TYPES = ("application/activity+json", "application/ld+json")


# ---------------------------------------------------------------- answers


def _json(data: dict[str, Any], content_type: str = ACTIVITY_JSON, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, content_type=content_type)


def _refusal(status: int, message: Optional[str] = None) -> Response:
    """An error as JSON, whatever the client asked for: ActivityPub clients read no HTML pages."""
    title, default = MESSAGES.get(status, MESSAGES[400])
    return _json({"error": {"status": status, "title": title, "message": message or default}},
                 content_type="application/json; charset=utf-8", status=status)


def _page_argument() -> Optional[int] | Response:
    """The collection page asked for: None for the collection itself, a number from 1, or a 400 refusal."""
    raw = request.args.get("page")
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        return _refusal(400, "The page must be a whole number from 1.")
    return int(raw)


def _collection(collection_id: str, read: Callable[[Optional[int]], Optional[documents.CollectionPage]],
                embed: Callable[[Any], Any] = lambda item: item) -> Response:
    """An OrderedCollection with its first and last pages, or (with ?page=N) one OrderedCollectionPage."""
    page = _page_argument()
    if isinstance(page, Response):
        return page
    found = read(page)
    if found is None:
        return _refusal(404, "There is no such page: the collection has fewer.")

    def page_id(number: int) -> str:
        return f"{collection_id}?{urlencode({'page': number})}"

    if page is None:
        return _json({
            "@context": activities.AS_CONTEXT,
            "id": collection_id,
            "type": "OrderedCollection",
            "totalItems": found.total,
            "first": page_id(1),
            "last": page_id(found.pages),
        })
    document: dict[str, Any] = {
        "@context": activities.CONTEXT,
        "id": page_id(page),
        "type": "OrderedCollectionPage",
        "partOf": collection_id,
        "totalItems": found.total,
        "orderedItems": [embed(item) for item in found.items],
    }
    if page > 1:
        document["prev"] = page_id(page - 1)
    if page < found.pages:
        document["next"] = page_id(page + 1)
    return _json(document)


def _agency_or_refusal(slug: str) -> Any:
    agency = documents.local_agency(slug)
    return agency if agency is not None else _refusal(404, "There is no agency of this site at this address.")


# ---------------------------------------------------------------- discovery


@bp.route("/.well-known/webfinger")
def webfinger():
    resource = request.args.get("resource", "")
    if not resource.strip():
        return _cors(_refusal(400, "Say whom to look up: ?resource=acct:<agency>@<host>, or an actor's address."))
    try:
        wanted = documents.resource_wanted(resource)
    except documents.MalformedResource:
        return _cors(_refusal(400, "The resource must be an account, acct:<agency>@<host>, or an actor's address."))
    if wanted is not None and wanted.instance:
        actor_uri, username = uris.instance_actor_uri(), uris.host()
        page = uris.base_url() + "/"
    else:
        agency = documents.local_agency(wanted.slug) if wanted is not None and wanted.slug else None
        if agency is None:
            return _cors(_refusal(404, "There is no agency of this site by that name."))
        actor_uri = page = uris.agency_actor_uri(agency.slug)
        username = agency.slug
    links = [
        {"rel": "self", "type": "application/activity+json", "href": actor_uri},
        {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": page},
    ]
    jrd = {"subject": f"acct:{username}@{uris.host()}", "aliases": list(dict.fromkeys([actor_uri, page])), "links": links}
    return _cors(_json(jrd, content_type=JRD_JSON))


def _cors(response: Response) -> Response:
    """Discovery documents may be read by web pages on any site, as Mastodon allows."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.route("/.well-known/nodeinfo")
def nodeinfo_links():
    links = [
        {"rel": NODEINFO_SCHEMA.format(version=version), "href": f"{uris.base_url()}/nodeinfo/{version}"}
        for version in NODEINFO_VERSIONS
    ]
    return _cors(_json({"links": links}, content_type="application/json; charset=utf-8"))


def _nodeinfo(version: str) -> Response:
    usage = documents.usage()
    document = {
        "version": version,
        "software": {"name": "cop", "version": documents.software_version()},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        # Anyone may register (cop.accounts takes every sign-up; joining an agency is decided after).
        "openRegistrations": True,
        "usage": {
            "users": {"total": usage.users, "activeMonth": usage.active_month, "activeHalfyear": usage.active_halfyear},
            "localPosts": usage.local_posts,
        },
        "metadata": {"nodeName": current_app.config["COP_SITE_NAME"]},
    }
    content_type = f'application/json; profile="{NODEINFO_SCHEMA.format(version=version)}#"; charset=utf-8'
    return _cors(_json(document, content_type=content_type))


@bp.route("/nodeinfo/2.1")
def nodeinfo_2_1():
    return _nodeinfo("2.1")


@bp.route("/nodeinfo/2.0")
def nodeinfo_2_0():
    return _nodeinfo("2.0")


# ---------------------------------------------------------------- actors and collections


@bp.route("/actor")
def instance_actor():
    key = instance_key()
    db.session.commit()  # a key made just now must be the one every later signature uses
    return _json(activities.instance_actor(key.public_key_pem))


@bp.route("/actor/outbox")
def instance_outbox():
    # The instance actor signs fetches and answers follows; it publishes nothing.
    collection_id = uris.instance_actor_uri() + "/outbox"
    return _json({"@context": activities.AS_CONTEXT, "id": collection_id, "type": "OrderedCollection",
                  "totalItems": 0, "orderedItems": []})


@bp.route("/agencies/<slug>/outbox")
def outbox(slug: str):
    agency = _agency_or_refusal(slug)
    if isinstance(agency, Response):
        return agency
    return _collection(uris.agency_outbox_uri(agency.slug), lambda page: documents.outbox_page(agency, page),
                       activities.without_context)


@bp.route("/agencies/<slug>/followers")
def followers(slug: str):
    agency = _agency_or_refusal(slug)
    if isinstance(agency, Response):
        return agency
    return _collection(uris.agency_followers_uri(agency.slug), lambda page: documents.followers_page(agency, page))


@bp.route("/agencies/<slug>/following")
def following(slug: str):
    agency = _agency_or_refusal(slug)
    if isinstance(agency, Response):
        return agency
    return _collection(uris.agency_following_uri(agency.slug), lambda page: documents.following_page(agency, page))


@bp.route("/activities/<uuid:activity_id>")
def activity(activity_id):
    found = documents.public_activity(f"{uris.base_url()}/activities/{activity_id}")
    if found is None:
        return _refusal(404, "There is no public activity at this address.")
    return _json({"@context": activities.CONTEXT, **activities.without_context(found.payload)})


# ---------------------------------------------------------------- the pages that are documents too


def wants_activity_json(accept: MIMEAccept) -> bool:
    """Whether a client prefers an ActivityStreams document to HTML.

    The profile parameter of ld+json is not compared (werkzeug would not match it): any ld+json is taken as a
    request for JSON-LD. At equal quality an ActivityStreams type named outright beats HTML reached only through
    a wildcard (``application/activity+json, */*``); a browser's text/html named outright keeps the page.
    """
    best_json = 0.0
    for value, quality in accept:
        if value.split(";", 1)[0].strip().lower() in ACTIVITY_TYPES:
            best_json = max(best_json, quality)
    if not best_json:
        return False
    html = accept["text/html"]
    html_named = any(value.split(";", 1)[0].strip().lower() == "text/html" for value, _quality in accept)
    return best_json > html or (best_json == html and not html_named)


def _agency_document(slug: str) -> Response:
    agency = documents.local_agency(slug)
    if agency is None:
        return _refusal(404, "There is no agency of this site at this address.")
    key = agency_key(agency)
    db.session.commit()  # a key made just now must be the one every later signature uses
    return _json(activities.agency_actor(agency, key.public_key_pem))


def _case_study_document(slug: str) -> Response:
    case_study = documents.local_case_study(slug)
    if case_study is not None and case_study.status == "archived":
        tombstone = activities.tombstone(uris.case_study_uri(case_study.slug), "Article", case_study.archived_at)
        return _json(tombstone, status=410)
    if case_study is None or case_study.status != "published":
        return _refusal(404, "There is no published case study of this site at this address.")
    return _json(activities.case_study_article(case_study))


def _event_document(slug: str) -> Response:
    event = documents.local_event(slug)
    if event is None:
        return _refusal(404, "There is no event of this site at this address.")
    return _json(activities.event_object(event, event_uid(event)))


_DOCUMENTS: dict[str, Callable[[str], Response]] = {
    "agencies.agency": _agency_document,
    "casestudies.case_study": _case_study_document,
    "events.event": _event_document,
}


@bp.before_app_request
def answer_activitypub_clients() -> Optional[Response]:
    """Serve the JSON document of an agency, case study or event page to a client that asks for one.

    It answers before the page's view runs, so the anonymous page cache (which the views hold) never sees it.
    """
    if request.method not in ("GET", "HEAD") or request.endpoint not in NEGOTIATED_ENDPOINTS:
        return None
    if not wants_activity_json(request.accept_mimetypes):
        return None
    slug = (request.view_args or {}).get("slug", "")
    response = _DOCUMENTS[request.endpoint](slug)
    response.vary.add("Accept")
    return response


@bp.after_app_request
def vary_on_accept(response: Response) -> Response:
    """The pages that are documents too answer differently by Accept: say so to every cache on the way."""
    if request.endpoint in NEGOTIATED_ENDPOINTS:
        response.vary.add("Accept")
    return response
