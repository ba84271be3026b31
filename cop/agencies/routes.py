"""Agencies: the list, an agency's page, editing it, joining and leaving, and its admins' page."""

from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from cop.accounts.services import require_site_admin
from cop.agencies import forms, services
from cop.agencies.models import GOVERNMENT_LEVELS
from cop.cache import public_page
from cop.errors import ServiceError
from cop.extensions import db
from cop.text.markdown import render_markdown
from cop.text.places import country_choices, country_name
from cop.forms import EmptyForm
from cop.web import act_and_redirect, attach_error, list_title, page_number, page_sections, render_form, require_page

bp = Blueprint("agencies", __name__, template_folder="templates")


def _agency_or_404(slug: str):
    agency = services.get_agency(slug)
    if agency is None:
        abort(404, description="There is no agency at this address. It may have been renamed.")
    return agency


@bp.route("/agencies")
@public_page
def index():
    country = request.args.get("country") or None
    level = request.args.get("level") or None
    pagination, member_counts = services.agencies_page(page_number(), current_app.config["COP_PER_PAGE"], country, level)
    require_page(pagination)
    described = [country_name(country.upper()) if country else "", GOVERNMENT_LEVELS.get(level or "", "").lower()]
    return render_template(
        "agencies/index.html",
        title=list_title("Agencies", pagination.page, described, pagination.total),
        pagination=pagination,
        member_counts=member_counts,
        levels=GOVERNMENT_LEVELS,
        level=level,
        country=country,
        country_name=country_name,
        filters={k: v for k, v in {"level": level, "country": country}.items() if v},
        can_create=current_user.is_authenticated and current_user.is_site_admin,
    )


@bp.route("/agencies/new", methods=["GET", "POST"])
@login_required
def new_agency():
    require_site_admin(current_user)
    form = forms.NewAgencyForm(country_choices=country_choices())
    if form.validate_on_submit():
        try:
            agency = services.create_agency(
                current_user,
                form.slug.data,
                form.name.data,
                form.country.data,
                form.level.data,
                form.website.data or "",
                form.domain_list(),
                form.description.data or "",
            )
        except ServiceError as error:
            db.session.rollback()
            return render_form("agencies/agency_form.html", form, attach_error(form, error), agency=None)
        db.session.commit()
        flash(f"{agency.name} has been added.", "success")
        return redirect(url_for("agencies.agency", slug=agency.slug))
    return render_form("agencies/agency_form.html", form, agency=None)


@bp.route("/agencies/<slug>")
@public_page
def agency(slug: str):
    agency = _agency_or_404(slug)
    return render_template(
        "agencies/agency.html",
        agency=agency,
        members=require_page(services.agency_members(agency, page_number(), current_app.config["COP_PER_PAGE"])),
        standing=services.agency_standing(current_user, agency),
        description_html=render_markdown(agency.description),
        country=country_name(agency.country),
        levels=GOVERNMENT_LEVELS,
        # Forms (and the CSRF token in the session they bring) only for someone who can use them.
        join_form=forms.JoinAgencyForm(formdata=None) if current_user.is_authenticated else None,
        button_form=EmptyForm(formdata=None) if current_user.is_authenticated else None,
        sections=page_sections("agency", agency),
    )


@bp.route("/agencies/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit_agency(slug: str):
    agency = _agency_or_404(slug)
    services.require_agency_manager(current_user, agency)
    form = forms.AgencyForm(
        obj=None if request.method == "POST" else agency, country_choices=country_choices()
    )
    if request.method == "GET":
        form.domains.data = "\n".join(d.domain for d in agency.domains)
    if form.validate_on_submit():
        try:
            services.update_agency(
                current_user,
                agency,
                form.name.data,
                form.country.data,
                form.level.data,
                form.website.data or "",
                form.description.data or "",
                form.domain_list(),
            )
        except ServiceError as error:
            db.session.rollback()
            return render_form("agencies/agency_form.html", form, attach_error(form, error), agency=agency)
        db.session.commit()
        flash(f"{agency.name} has been updated.", "success")
        return redirect(url_for("agencies.agency", slug=agency.slug))
    return render_form("agencies/agency_form.html", form, agency=agency)


@bp.route("/agencies/<slug>/join", methods=["POST"])
@login_required
def join_agency(slug: str):
    agency = _agency_or_404(slug)
    form = forms.JoinAgencyForm()

    def joined(outcome: str) -> str:
        if outcome == "joined":
            return f"You are now a member of {agency.name}."
        return f"You have asked to join {agency.name}. Its admins will decide, and we will email you."

    return act_and_redirect(
        form, lambda: services.join_agency(current_user, agency, form.message.data or ""), joined,
        url_for("agencies.agency", slug=slug),
    )


@bp.route("/agencies/<slug>/leave", methods=["POST"])
@login_required
def leave_agency(slug: str):
    agency = _agency_or_404(slug)
    return act_and_redirect(
        EmptyForm(), lambda: services.leave_agency(current_user, agency),
        lambda left: f"You are no longer a member of {left.name}.", url_for("agencies.agency", slug=slug),
    )


@bp.route("/agencies/<slug>/requests")
@login_required
def agency_requests(slug: str):
    agency = _agency_or_404(slug)
    return render_template(
        "agencies/agency_requests.html",
        agency=agency,
        requests=services.pending_requests(current_user, agency),
        members=require_page(services.agency_members(agency, page_number(), current_app.config["COP_PER_PAGE"])),
        decision_form=forms.DecisionForm(formdata=None),
        admin_form=forms.AgencyAdminForm(formdata=None),
        button_form=EmptyForm(formdata=None),
        current_user_id=current_user.id,
    )


def _agency_admin_action(slug: str, form, act: Callable, done: Callable[[Any, Any], str]):
    """Run one of an agency admin's actions from its form, then go back to the admin page."""
    agency = _agency_or_404(slug)
    services.require_agency_manager(current_user, agency)
    return act_and_redirect(
        form, lambda: act(agency), lambda result: done(result, agency), url_for("agencies.agency_requests", slug=slug)
    )


@bp.route("/agencies/<slug>/requests/<int:request_id>", methods=["POST"])
@login_required
def decide_request(slug: str, request_id: int):
    form = forms.DecisionForm()
    return _agency_admin_action(
        slug, form,
        lambda agency: services.decide_join_request(current_user, agency, request_id, form.decision.data == "approve"),
        lambda decided, agency: f"{decided.user.display_name}'s request was {decided.status}.",
    )


@bp.route("/agencies/<slug>/members/<int:user_id>/admin", methods=["POST"])
@login_required
def set_member_admin(slug: str, user_id: int):
    form = forms.AgencyAdminForm()
    return _agency_admin_action(
        slug, form,
        lambda agency: services.set_agency_admin(current_user, agency, user_id, form.make_admin.data == "yes"),
        lambda member, agency: f"{member.display_name} is {'now' if member.is_agency_admin else 'no longer'} an admin of {agency.name}.",
    )


@bp.route("/agencies/<slug>/members/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_member(slug: str, user_id: int):
    return _agency_admin_action(
        slug, EmptyForm(),
        lambda agency: services.remove_member(current_user, agency, user_id),
        lambda member, agency: f"{member.display_name} is no longer a member of {agency.name}.",
    )
