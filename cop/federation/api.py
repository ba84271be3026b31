"""Federation in the JSON API: whom an agency follows on other servers, following one, and unfollowing.

The same services as the agency's federation page, so the same rules: only the agency's admins and site admins
follow and unfollow (403), a bad or unreachable handle is a 422, a second follow of the same actor a 409.
"""

from __future__ import annotations

from typing import Any

from flask import abort

from cop.agencies.services import get_agency, require_agency_manager
from cop.api.core import PREFIX, ListArgs, caller, commit_or_refuse, error_responses, page_of, page_size, paged, token_required
from cop.api.core import Blueprint as ApiBlueprint
from cop.federation import following, schemas
from cop.federation.models import Following
from cop.web import require_page

bp = ApiBlueprint("federation_api", __name__, url_prefix=f"{PREFIX}/agencies",
                  description="Federation: an agency's follows of agencies (or any actor) on other servers.")
_errors = error_responses(bp, {
    403: "The token may only read, or its owner is not an admin of the agency.",
    404: "No agency here with that slug; or, to unfollow, the agency does not follow that handle.",
    409: "The agency already follows that actor.",
    422: "The handle is missing, malformed, on this site, on a blocked server, or its server could not be reached.",
})


def following_json(follow: Following) -> dict[str, Any]:
    actor = follow.remote_actor
    return {"handle": actor.handle, "actor": actor.uri, "name": actor.name, "url": actor.url, "state": follow.state,
            "created_at": follow.created_at, "decided_at": follow.decided_at}


def _local_agency(slug: str) -> Any:
    agency = get_agency(slug)
    if agency is None or agency.is_remote:
        abort(404, "There is no agency here with that slug.")
    return agency


@bp.route("/<slug>/following")
@token_required("read")
@bp.arguments(ListArgs, location="query")
@bp.response(200, page_of(schemas.FollowingOut))
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 404, 422)
def list_following(args: dict[str, Any], slug: str):
    """Whom the agency follows on other servers and where each follow stands, newest first."""
    agency = _local_agency(slug)
    pagination = following.following_page(agency, args["page"], page_size(args.get("per_page")))
    require_page(pagination, "There is no such page of follows.")
    body, headers = paged(pagination, [following_json(f) for f in pagination.items], {"per_page": args.get("per_page")})
    return body, 200, headers


@bp.route("/<slug>/following", methods=["POST"])
@token_required("write")
@bp.arguments(schemas.HandleIn)
@bp.response(201, schemas.FollowingOut)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 409, 413, 422)
def follow(data: dict[str, Any], slug: str):
    """Follow an actor on another server by handle or address; the follow is pending until its server accepts."""
    agency = _local_agency(slug)
    made = commit_or_refuse(lambda: following.follow_remote(caller(), agency, data["handle"]))
    return following_json(made), 201


@bp.route("/<slug>/following", methods=["DELETE"])
@token_required("write")
@bp.arguments(schemas.HandleIn)
@bp.response(204)
@bp.doc(security=[{"bearerAuth": []}])
@_errors(401, 403, 404, 413, 422)
def unfollow(data: dict[str, Any], slug: str):
    """Stop following an actor: Undo is sent to its server; what already arrived from it stays."""
    agency = _local_agency(slug)

    def act() -> None:
        require_agency_manager(caller(), agency)
        following.unfollow(caller(), following.find_following(agency, data["handle"]))

    commit_or_refuse(act)
    return None
