"""Home, accessibility statement, the admin index, and the probes load balancers ask."""

from __future__ import annotations

import functools
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template
from flask_login import current_user, login_required

from cop.accounts import services as accounts
from cop.agencies import services as agencies
from cop.cache import public_page
from cop.extensions import limiter
from cop.site import probes
from cop.web import page_sections, render_around_shared

bp = Blueprint("site", __name__)


@bp.route("/")
@public_page
def home():
    return render_around_shared("site/home.html", "site.home", "site/_news.html", _news, keep=())


def _news() -> dict:
    """What is new: the newest case studies, events, agencies and people."""
    return {
        "new_agencies": agencies.newest_agencies(5),
        "agency_count": agencies.agency_count(),
        "new_people": accounts.newest_people(5),
        "people_count": accounts.people_count(),
        "sections": page_sections("home", None),
    }


@bp.route("/accessibility")
def accessibility():
    return render_template("site/accessibility.html")


@bp.route("/admin")
@login_required
def admin():
    from cop.forum.access import is_site_moderator, moderates_anything

    if not current_user.is_site_admin and not moderates_anything(current_user):
        accounts.require_site_admin(current_user)
    return render_template("site/admin.html", site_moderator=is_site_moderator(current_user))


@functools.cache
def _favicon_bytes() -> bytes:
    return (Path(current_app.static_folder) / "favicon.ico").read_bytes()


@bp.route("/favicon.ico")
@limiter.exempt
def favicon():
    """Browsers ask for /favicon.ico on their own: the site's small mark (cop/static/favicon.svg, drawn as an ICO)."""
    response = Response(_favicon_bytes(), mimetype="image/vnd.microsoft.icon")
    response.cache_control.public = True
    response.cache_control.max_age = 7 * 24 * 3600
    return response


@bp.route("/livez")
@limiter.exempt
def livez():
    """For orchestrators: 200 while the process runs. It touches nothing: no database, session or cookie."""
    return Response("ok\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})


@bp.route("/readyz")
@bp.route("/healthz", endpoint="health")
@limiter.exempt
def readyz():
    """For load balancers: 200 when the database, Redis (when configured) and the task queue answer; 503 naming what did not."""
    ready, checks = probes.readiness()
    response = jsonify(status="ok" if ready else "unavailable", checks=checks)
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response
