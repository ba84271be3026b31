"""Federation's pages: an agency's page for following it from elsewhere (and, for its admins, its followers and
follows), and the site admins' page of deliveries, blocked servers and activities that could not be processed.

They attach to the federation blueprint; create_app imports this module.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from cop.accounts.services import require_site_admin
from cop.agencies import services as agencies
from cop.agencies.services import can_manage_agency, require_agency_manager
from cop.errors import ServiceError
from cop.extensions import db
from cop.federation import blocks, following, forms, tasks, uris
from cop.federation.admin import blocks_page, failed_deliveries_page, failed_inbox_page, waiting_by_domain_page
from cop.federation.models import DELIVERY_STATUSES, FOLLOW_STATES
from cop.federation.routes import bp
from cop.web import act_and_redirect, add_page_section, attach_error, page_number, render_form, require_page

log = logging.getLogger(__name__)


def _local_agency_or_404(slug: str) -> Any:
    agency = agencies.get_agency(slug)
    if agency is None:
        abort(404, description="There is no agency at this address. It may have been renamed.")
    if agency.is_remote:
        abort(404, description="This agency is on another server: follow it there, or from an agency here.")
    return agency


def handle_of(agency: Any) -> str:
    """How people on other servers write an agency here: slug@host."""
    return f"{agency.slug}@{uris.host()}"


# ---------------------------------------------------------------- an agency's federation page


def _federation_page(agency: Any, follow_form: forms.FollowForm | None = None, status: int | None = None):
    manages = can_manage_agency(current_user, agency) if current_user.is_authenticated else False
    per_page = current_app.config["COP_PER_PAGE"]
    context: dict[str, Any] = {
        "agency": agency, "handle": handle_of(agency), "actor_uri": uris.agency_actor_uri(agency.slug),
        "counts": following.counts(agency), "manages": manages, "states": FOLLOW_STATES,
    }
    if manages:
        page = page_number()
        context.update(
            followers=require_page(following.followers_page(agency, page, per_page, "accepted")),
            # Those waiting are few and each needs an answer: the first page of them is shown on every page.
            waiting=following.followers_page(agency, 1, per_page, "pending"),
            follows=following.following_page(agency, 1, per_page),
            decision_form=forms.FollowerDecisionForm(formdata=None),
            unfollow_form=forms.UnfollowForm(formdata=None),
            approval_form=forms.ApprovalForm(formdata=None, approves_followers=agency.approves_followers),
        )
        follow_form = follow_form or forms.FollowForm(formdata=None)
    if follow_form is None:
        return render_template("federation/agency.html", form=None, **context)
    return render_form("federation/agency.html", follow_form, status, **context)


@bp.route("/agencies/<slug>/federation")
def agency_federation(slug: str):
    return _federation_page(_local_agency_or_404(slug))


@bp.route("/agencies/<slug>/federation/follow", methods=["POST"])
@login_required
def follow_remote(slug: str):
    agency = _local_agency_or_404(slug)
    require_agency_manager(current_user, agency)
    form = forms.FollowForm()
    if not form.validate_on_submit():
        return _federation_page(agency, form)
    try:
        followed = following.follow_remote(current_user, agency, form.handle.data)
    except ServiceError as error:
        db.session.rollback()
        return _federation_page(agency, form, attach_error(form, error))
    handle = followed.remote_actor.handle
    db.session.commit()
    flash(f"{agency.name} asked to follow {handle}. What it publishes arrives here once its server accepts.", "success")
    return redirect(url_for("federation.agency_federation", slug=agency.slug))


def _manager_action(slug: str, form: Any, act: Any, done: Any):
    agency = _local_agency_or_404(slug)
    require_agency_manager(current_user, agency)
    return act_and_redirect(form, lambda: act(agency), done, url_for("federation.agency_federation", slug=agency.slug))


@bp.route("/agencies/<slug>/federation/unfollow", methods=["POST"])
@login_required
def unfollow_remote(slug: str):
    form = forms.UnfollowForm()

    def act(agency: Any) -> str:
        follow = following.get_following(agency, forms.row_id(form.following))
        handle = follow.remote_actor.handle
        following.unfollow(current_user, follow)
        return handle

    return _manager_action(slug, form, act, lambda handle: f"No longer following {handle}. What already arrived stays until its origin removes it.")


@bp.route("/agencies/<slug>/federation/followers", methods=["POST"])
@login_required
def decide_follower(slug: str):
    form = forms.FollowerDecisionForm()
    done = {"approve": "{} now follows {}.", "refuse": "{} was refused; it does not follow {}.", "remove": "{} no longer follows {}."}

    def act(agency: Any) -> str:
        follower = following.decide_follower(current_user, agency, forms.row_id(form.follower), form.decision.data)
        return done[form.decision.data].format(follower.remote_actor.handle, agency.name)

    return _manager_action(slug, form, act, lambda message: message)


@bp.route("/agencies/<slug>/federation/settings", methods=["POST"])
@login_required
def follower_settings(slug: str):
    form = forms.ApprovalForm()

    def act(agency: Any) -> str:
        approved = following.set_approves_followers(current_user, agency, bool(form.approves_followers.data))
        if agency.approves_followers:
            return f"{agency.name} now approves each new follower by hand."
        return f"{agency.name} now accepts followers at once" + (f"; {len(approved)} waiting were approved." if approved else ".")

    return _manager_action(slug, form, act, lambda message: message)


def _agency_section(agency: Any) -> Markup:
    """On an agency's page: its handle, for following it from Mastodon or another instance."""
    if agency.is_remote:
        return Markup("")
    return Markup(render_template("federation/_agency_section.html", agency=agency, handle=handle_of(agency)))


add_page_section("agency", _agency_section)


# ---------------------------------------------------------------- site admins


def _admin_tabs(current: str) -> list[dict[str, Any]]:
    return [
        {"label": label, "href": url_for(endpoint), "current": endpoint == current}
        for label, endpoint in (("Deliveries", "federation.admin"), ("Blocked servers", "federation.admin_blocks"),
                                ("Received activities that failed", "federation.admin_inbox"))
    ]


@bp.route("/admin/federation")
@login_required
def admin():
    per_page = current_app.config["COP_PER_PAGE"]
    failed = require_page(failed_deliveries_page(current_user, page_number(), per_page))
    return render_template(
        "federation/admin.html", failed=failed, waiting=waiting_by_domain_page(current_user, 1, per_page),
        retry_form=forms.RetryForm(formdata=None), statuses=DELIVERY_STATUSES, tabs=_admin_tabs("federation.admin"),
    )


@bp.route("/admin/federation/retry", methods=["POST"])
@login_required
def retry_delivery():
    require_site_admin(current_user)
    form = forms.RetryForm()
    return act_and_redirect(
        form, lambda: tasks.retry_delivery(current_user, forms.row_id(form.delivery)),
        lambda delivery: f"The delivery to {delivery.inbox} is queued again.", url_for("federation.admin"),
    )


@bp.route("/admin/federation/blocks", methods=["GET", "POST"])
@login_required
def admin_blocks():
    require_site_admin(current_user)
    form = forms.BlockForm()
    if form.validate_on_submit():
        try:
            block = blocks.block_domain(current_user, form.domain.data, form.reason.data or "")
        except ServiceError as error:
            db.session.rollback()
            return _blocks_page(form, attach_error(form, error))
        db.session.commit()
        flash(f"{block.domain} is blocked: nothing is sent to it or accepted from it.", "success")
        return redirect(url_for("federation.admin_blocks"))
    return _blocks_page(form)


def _blocks_page(form: forms.BlockForm, status: int | None = None):
    pagination = require_page(blocks_page(current_user, page_number(), current_app.config["COP_PER_PAGE"]))
    return render_form("federation/admin_blocks.html", form, status, blocks=pagination, unblock_form=forms.UnblockForm(formdata=None),
                       tabs=_admin_tabs("federation.admin_blocks"))


@bp.route("/admin/federation/unblock", methods=["POST"])
@login_required
def unblock():
    require_site_admin(current_user)
    form = forms.UnblockForm()
    return act_and_redirect(
        form, lambda: blocks.unblock_domain(current_user, forms.row_id(form.block)),
        lambda domain: f"{domain} is no longer blocked.", url_for("federation.admin_blocks"),
    )


@bp.route("/admin/federation/inbox")
@login_required
def admin_inbox():
    failed = require_page(failed_inbox_page(current_user, page_number(), current_app.config["COP_PER_PAGE"]))
    return render_template("federation/admin_inbox.html", failed=failed, tabs=_admin_tabs("federation.admin_inbox"))
