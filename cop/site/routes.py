"""Home, accessibility statement, the admin index and a health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, render_template
from flask_login import current_user, login_required

from cop.accounts import services as accounts
from cop.agencies import services as agencies
from cop.extensions import db

bp = Blueprint("site", __name__)


@bp.route("/")
def home():
    return render_template(
        "site/home.html",
        new_agencies=agencies.newest_agencies(5),
        agency_count=agencies.agency_count(),
        new_people=accounts.newest_people(5),
        people_count=accounts.people_count(),
    )


@bp.route("/accessibility")
def accessibility():
    return render_template("site/accessibility.html")


@bp.route("/admin")
@login_required
def admin():
    accounts.require_site_admin(current_user)
    return render_template("site/admin.html")


@bp.route("/healthz")
def health():
    """For load balancers: 200 when the database answers."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
