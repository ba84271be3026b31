"""Site admins keep the shared taxonomy: add, rename, retire and restore topics."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, url_for
from flask_login import current_user, login_required

from cop.errors import ServiceError
from cop.extensions import db
from cop.forms import EmptyForm
from cop.text import services
from cop.text.forms import RenameTopicForm, TopicForm
from cop.text.taxonomy import GROUPS
from cop.web import attach_error, render_form

bp = Blueprint("text", __name__, template_folder="templates")


def _topics_page(form: TopicForm, status: int | None = None):
    return render_form(
        "text/admin_topics.html", form, status,
        topics=services.list_topics(include_retired=True), groups=GROUPS, button_form=EmptyForm(formdata=None),
    )


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
            return _topics_page(form, attach_error(form, error))
        db.session.commit()
        flash(f"“{topic.name}” has been added to the taxonomy.", "success")
        return redirect(url_for("text.admin_topics"))
    return _topics_page(form)


def _topic_or_404(topic_id: int):
    topic = services.get_topic(topic_id)
    if topic is None:
        abort(404)
    return topic


@bp.route("/admin/topics/<int:topic_id>", methods=["GET", "POST"])
@login_required
def admin_topic(topic_id: int):
    services.require_taxonomy_editor(current_user)
    topic = _topic_or_404(topic_id)
    form = RenameTopicForm(obj=topic)
    if form.validate_on_submit():
        try:
            services.rename_topic(current_user, topic, form.name.data)
        except ServiceError as error:
            db.session.rollback()
            return render_form("text/admin_topic.html", form, attach_error(form, error), topic=topic)
        db.session.commit()
        flash(f"The topic is now called “{topic.name}”.", "success")
        return redirect(url_for("text.admin_topics"))
    return render_form("text/admin_topic.html", form, topic=topic)


def _set_retired(topic_id: int, retired: bool):
    services.require_taxonomy_editor(current_user)
    topic = _topic_or_404(topic_id)
    if EmptyForm().validate_on_submit():
        try:
            services.set_topic_retired(current_user, topic, retired)
        except ServiceError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            if retired:
                flash(f"“{topic.name}” is retired: no longer offered, and kept where it is already used.", "success")
            else:
                flash(f"“{topic.name}” is on offer again.", "success")
    return redirect(url_for("text.admin_topics"))


@bp.route("/admin/topics/<int:topic_id>/retire", methods=["POST"])
@login_required
def retire_topic(topic_id: int):
    return _set_retired(topic_id, True)


@bp.route("/admin/topics/<int:topic_id>/restore", methods=["POST"])
@login_required
def restore_topic(topic_id: int):
    return _set_retired(topic_id, False)
