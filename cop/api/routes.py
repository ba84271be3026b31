"""Personal API tokens (/account/tokens), the API's own page (/api/v1/docs), and who a token belongs to."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required
from marshmallow import Schema, fields

from cop.api import forms, services
from cop.api.core import PREFIX, api, caller, current_token, token_required
from cop.api.core import Blueprint as ApiBlueprint
from cop.api.docs import describe
from cop.errors import ServiceError
from cop.extensions import db
from cop.forms import EmptyForm
from cop.urls import external_url
from cop.web import attach_error, render_form

bp = Blueprint("api", __name__, template_folder="templates")


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    user = current_user._get_current_object()
    form = forms.NewTokenForm()
    if form.validate_on_submit():
        try:
            token, secret = services.create_token(user, form.name.data, form.scope.data)
        except ServiceError as error:
            db.session.rollback()
            return render_form("api/tokens.html", form, attach_error(form, error), tokens=services.tokens_for(user),
                               revoke_form=EmptyForm(formdata=None))
        db.session.commit()
        # The secret is shown once, on this response, and never stored: no cache may keep it either.
        response = make_response(render_template("api/token_made.html", token=token, secret=secret))
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_form("api/tokens.html", form, tokens=services.tokens_for(user), revoke_form=EmptyForm(formdata=None))


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    form = EmptyForm()
    token = services.revoke_token(current_user, token_id)
    if token is None:
        abort(404)
    if not form.validate_on_submit():
        db.session.rollback()
        flash("The form had expired. Try again.", "error")
        return redirect(url_for("api.tokens"))
    db.session.commit()
    flash(f"The token “{token.name}” is revoked: it no longer works.", "success")
    return redirect(url_for("api.tokens"))


@bp.route(f"{PREFIX}/docs")
def docs():
    return render_template("api/docs.html", doc=describe(api.spec.to_dict()), openapi_url=url_for("api-docs.openapi_json"))


# ---------------------------------------------------------------- the API's own endpoint

api_bp = ApiBlueprint("account_api", __name__, url_prefix=PREFIX, description="Who you are to the API.")


class Me(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    url = fields.Url(required=True, metadata={"description": "Your profile page."})
    agency = fields.String(allow_none=True, required=True, metadata={"description": "Your agency's slug, if you belong to one."})
    scope = fields.String(required=True, metadata={"description": "What this token may do: read, or write."})


@api_bp.route("/me")
@token_required("read")
@api_bp.response(200, Me)
@api_bp.doc(security=[{"bearerAuth": []}])
@api_bp.alt_response(401, schema=api.ERROR_SCHEMA, description="No token, or one that is unknown or revoked.")
def me() -> dict[str, Any]:
    """The person the token belongs to."""
    user = caller()
    return {
        "id": user.id,
        "display_name": user.display_name,
        "url": external_url("accounts.person", user_id=user.id),
        "agency": user.agency.slug if user.agency else None,
        "scope": current_token().scope,
    }
