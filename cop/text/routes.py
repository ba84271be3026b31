"""Site admins extend the shared taxonomy."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from cop.errors import ServiceError
from cop.extensions import db
from cop.text import services
from cop.text.forms import TopicForm
from cop.text.taxonomy import GROUPS
from cop.web import attach_error, render_form

bp = Blueprint("text", __name__, template_folder="templates")


@bp.route("/admin/topics", methods=["GET", "POST"])
@login_required
def admin_topics():
    services.require_taxonomy_editor(current_user)
    form = TopicForm()
    if form.validate_on_submit():
        try:
            topic = services.add_topic(current_user, form.name.data, form.group.data)
        except ServiceError as error:
            db.session.rollback()
            return render_form("text/admin_topics.html", form, attach_error(form, error), topics=services.list_topics(), groups=GROUPS)
        db.session.commit()
        flash(f"“{topic.name}” has been added to the taxonomy.", "success")
        return redirect(url_for("text.admin_topics"))
    return render_form("text/admin_topics.html", form, topics=services.list_topics(), groups=GROUPS)
