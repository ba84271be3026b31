"""Sign-up, sign-in, profiles, people, and site roles."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from cop.accounts import forms, services
from cop.accounts.models import LEVELS
from cop.accounts.tokens import TokenExpired
from cop.cache import public_page
from cop.errors import ServiceError
from cop.extensions import db, limiter
from cop.text.markdown import render_markdown
from cop.text.places import country_choices, country_name
from cop.text.services import topic_choices, topic_filter_options
from cop.urls import is_safe_next
from cop.forms import EmptyForm
from cop.web import act_and_redirect, attach_error, list_title, page_number, page_sections, render_around_shared, render_form, require_page

log = logging.getLogger(__name__)

bp = Blueprint("accounts", __name__, template_folder="templates")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _mail_form_limit() -> str:
    return current_app.config["MAIL_FORM_RATE_LIMIT"]


def _login_limit_key() -> str:
    """Count sign-in attempts per address and per email, so one cannot be hammered from many IPs."""
    email = (request.form.get("email") or "").strip().lower()
    return f"login:{email}"


def _link_problem(error: ServiceError, purpose: str):
    """The page for a mailed link that has expired, was altered or was used: with a way to get a new one."""
    page = render_template(
        "accounts/link_problem.html",
        expired=isinstance(error, TokenExpired),
        message=error.message,
        purpose=purpose,
        form=forms.EmailOnlyForm(formdata=None),
    )
    return page, 400


# ---------------------------------------------------------------- registration and sign-in


@bp.route("/auth/register", methods=["GET", "POST"])
@limiter.limit(_mail_form_limit, methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("site.home"))
    form = forms.RegisterForm()
    if form.validate_on_submit():
        try:
            services.register_user(form.email.data, form.password.data, form.display_name.data)
        except ServiceError as error:
            db.session.rollback()
            return render_form("accounts/register.html", form, attach_error(form, error))
        db.session.commit()
        return render_template("accounts/check_email.html", email=services.normalise_email(form.email.data), purpose="register")
    return render_form("accounts/register.html", form)


@bp.route("/auth/verify/<token>")
def verify_email(token: str):
    try:
        user = services.verify_email(token)
    except ServiceError as error:
        return _link_problem(error, "verify")
    db.session.commit()
    if user.agency is not None:
        flash(f"Your email address is confirmed, and you are now a member of {user.agency.name}. Sign in to continue.", "success")
    else:
        flash("Your email address is confirmed. Sign in to continue.", "success")
    # A new member's next step is their profile: sign-in leads there.
    return redirect(url_for("accounts.login", next=url_for("accounts.edit_profile")))


@bp.route("/auth/verify", methods=["GET", "POST"])
@limiter.limit(_mail_form_limit, methods=["POST"])
def resend_verification():
    form = forms.EmailOnlyForm()
    if form.validate_on_submit():
        try:
            services.resend_verification(form.email.data)
        except ServiceError as error:
            return render_form("accounts/resend.html", form, attach_error(form, error))
        db.session.commit()
        return render_template("accounts/check_email.html", email=form.email.data.strip(), purpose="verify")
    return render_form("accounts/resend.html", form)


@bp.route("/auth/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_login_limit_key)
def login():
    next_url = request.args.get("next")
    if not is_safe_next(next_url):
        next_url = None
    if current_user.is_authenticated:
        return redirect(next_url or url_for("site.home"))
    form = forms.LoginForm()
    not_verified = False
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except services.NotVerified as error:
            not_verified = True
            status = attach_error(form, error)
        except ServiceError as error:
            status = attach_error(form, error)
        else:
            services.start_session(user, request.user_agent.string)
            login_user(user, remember=form.remember.data)
            db.session.commit()
            log.info("user %s signed in", user.id)
            flash(f"Signed in as {user.display_name}.", "success")
            # Members who have not said what they do yet are shown what their profile lacks (staff need not).
            if next_url is None and user.site_role == "member" and not user.describes_their_work:
                next_url = url_for("accounts.edit_profile")
            return redirect(next_url or url_for("site.home"))
        return render_form("accounts/login.html", form, status, next_url=next_url, not_verified=not_verified)
    return render_form("accounts/login.html", form, next_url=next_url, not_verified=False)


@bp.route("/auth/logout", methods=["POST"])
def logout():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        services.end_session(current_user.get_id())
        db.session.commit()
        logout_user()
        flash("You have signed out.", "success")
    return redirect(url_for("site.home"))


@bp.route("/auth/reset", methods=["GET", "POST"])
@limiter.limit(_mail_form_limit, methods=["POST"])
def request_reset():
    form = forms.EmailOnlyForm()
    if form.validate_on_submit():
        try:
            services.request_password_reset(form.email.data)
        except ServiceError as error:
            return render_form("accounts/reset_request.html", form, attach_error(form, error))
        db.session.commit()
        return render_template("accounts/check_email.html", email=form.email.data.strip(), purpose="reset")
    return render_form("accounts/reset_request.html", form)


@bp.route("/auth/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except ServiceError as error:
        return _link_problem(error, "reset")
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except ServiceError as error:
            db.session.rollback()
            return render_form("accounts/reset_password.html", form, attach_error(form, error))
        db.session.commit()
        if current_user.is_authenticated:
            logout_user()
        flash("Your password has been changed. Sign in with your new password.", "success")
        return redirect(url_for("accounts.login"))
    return render_form("accounts/reset_password.html", form)


@bp.route("/auth/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = services.change_password(current_user._get_current_object(), form.current_password.data, form.password.data)
        except ServiceError as error:
            db.session.rollback()
            return render_form("accounts/change_password.html", form, attach_error(form, error))
        # Every sign-in ended with the old password: this browser gets a new one.
        services.start_session(user, request.user_agent.string)
        db.session.commit()
        login_user(user)
        flash("Your password has been changed. You have been signed out everywhere else.", "success")
        return redirect(url_for("accounts.edit_profile"))
    return render_form("accounts/change_password.html", form)


# ---------------------------------------------------------------- profiles and people


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def edit_profile():
    user = current_user._get_current_object()
    form = forms.ProfileForm(
        obj=None if request.method == "POST" else user,
        topic_choices=topic_choices(),
        country_choices=country_choices(),
    )
    start = services.profile_start(user)
    if request.method == "GET":
        form.skills.data = [t.id for t in user.skills]
        form.interests.data = [t.id for t in user.interests]
        form.country.data = user.country or start.country or ""
        if start.time_zone:
            form.time_zone.data = start.time_zone
    if form.validate_on_submit():
        changes = services.ProfileChanges(
            display_name=form.display_name.data,
            job_title=form.job_title.data or "",
            bio=form.bio.data or "",
            level=form.level.data,
            country=form.country.data or None,
            region=form.region.data or "",
            time_zone=form.time_zone.data,
            open_to_mentoring=form.open_to_mentoring.data,
            mentoring_capacity=form.mentoring_capacity.data,
            skill_ids=form.skills.data or [],
            interest_ids=form.interests.data or [],
        )
        try:
            services.update_profile(user, user, changes)
        except ServiceError as error:
            db.session.rollback()
            return render_form("accounts/profile_edit.html", form, attach_error(form, error), user=user, start=start)
        db.session.commit()
        flash("Your profile has been saved.", "success")
        return redirect(url_for("accounts.person", user_id=user.id))
    return render_form("accounts/profile_edit.html", form, user=user, start=start)


@bp.route("/people")
@public_page
def people():
    return render_around_shared("accounts/people.html", "accounts.people", "accounts/_people.html", _directory)


def _directory() -> dict:
    """The people listed, filtered by level, skill and whether they mentor."""
    level = request.args.get("level") or None
    topic = request.args.get("skill") or None
    mentors = request.args.get("mentors") == "1"
    pagination = services.people_page(page_number(), current_app.config["COP_PER_PAGE"], level, topic, mentors)
    require_page(pagination)
    topics = topic_filter_options()
    level = level if level in LEVELS else None
    topic_name = next((t.name for t in topics if t.slug == topic), topic)
    described = [
        f"{level} mentors" if level and mentors else f"level {level}" if level else "mentors" if mentors else "",
        f"skill: {topic_name}" if topic else "",
    ]
    return {
        "title": list_title("People", pagination.page, described, pagination.total),
        "pagination": pagination,
        "levels": LEVELS,
        "topics": topics,
        "level": level,
        "skill": topic,
        "mentors": mentors,
        "filters": {k: v for k, v in {"level": level, "skill": topic, "mentors": "1" if mentors else None}.items() if v},
    }


@bp.route("/people/<int:user_id>")
@public_page
def person(user_id: int):
    user = services.get_person(user_id)
    if user is None:
        abort(404)
    is_self = current_user.is_authenticated and current_user.id == user.id
    return render_template(
        "accounts/person.html",
        person=user,
        bio_html=render_markdown(user.bio),
        country=country_name(user.country),
        levels=LEVELS,
        is_self=is_self,
        sections=page_sections("person", user),
    )


# ---------------------------------------------------------------- site admin: people and roles


@bp.route("/admin/users")
@login_required
def admin_users():
    query = request.args.get("q", "")
    pagination = services.users_page(current_user, page_number(), current_app.config["COP_PER_PAGE"], query)
    require_page(pagination)
    return render_template(
        "accounts/admin_users.html",
        title=list_title("People and roles", pagination.page, [f"search: {query}" if query else ""], pagination.total),
        pagination=pagination, q=query, form=forms.SiteRoleForm(formdata=None),
    )


@bp.route("/admin/users/<int:user_id>/role", methods=["POST"])
@login_required
def admin_set_role(user_id: int):
    services.require_site_admin(current_user)
    form = forms.SiteRoleForm()
    return act_and_redirect(
        form, lambda: services.set_site_role(current_user, user_id, form.role.data),
        lambda user: f"{user.display_name} is now a {user.site_role.replace('_', ' ')}.",
        next_url if is_safe_next(next_url := request.args.get("next")) else url_for("accounts.admin_users"),
    )
