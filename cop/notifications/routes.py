"""A person's notices, and which of them also come by email."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from cop.extensions import db
from cop.forms import EmptyForm
from cop.notifications import services
from cop.notifications.forms import MailChoicesForm
from cop.urls import is_safe_next
from cop.web import act_and_redirect, page_number, require_page

bp = Blueprint("notifications", __name__, template_folder="templates")


@bp.route("/notifications")
@login_required
def index():
    pagination = services.notices_page(current_user, page_number(), current_app.config["COP_PER_PAGE"])
    require_page(pagination)
    return render_template(
        "notifications/index.html", pagination=pagination, unread=services.unread_count(current_user),
        button_form=EmptyForm(formdata=None),
    )


@bp.route("/notifications/<int:notice_id>")
@login_required
def open_notice(notice_id: int):
    """Follow a notice to where it happened, marking it read on the way."""
    notice = services.open_notice(current_user, notice_id)
    if notice is None:
        abort(404)
    db.session.commit()
    return redirect(notice.link if is_safe_next(notice.link) else url_for("notifications.index"))


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_all_read():
    return act_and_redirect(
        EmptyForm(), lambda: services.mark_all_read(current_user),
        lambda count: f"{count} {'notice' if count == 1 else 'notices'} marked as read." if count else "You had no unread notices.",
        url_for("notifications.index"),
    )


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings():
    kinds = [(name, kind.label) for name, kind in services.KINDS.items()]
    form = MailChoicesForm(kinds=kinds)
    if not form.is_submitted():
        form.by_mail.data = [name for name, wanted in services.mail_choices(current_user).items() if wanted]
    if form.validate_on_submit():
        services.set_mail_choices(current_user, set(form.by_mail.data or []))
        db.session.commit()
        flash("Your email choices have been saved.", "success")
        return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form), 400 if form.errors else 200
