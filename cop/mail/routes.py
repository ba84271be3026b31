"""The outbox, for site admins."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from cop.mail import services
from cop.mail.models import MESSAGE_STATUSES, STATUS_LABELS
from cop.web import list_title, page_number, require_page

bp = Blueprint("mail", __name__, template_folder="templates")


@bp.route("/admin/outbox")
@login_required
def outbox():
    status = request.args.get("status") or None
    if status not in (None, *MESSAGE_STATUSES):
        status = None
    pagination = services.outbox_page(current_user, page_number(), current_app.config["COP_PER_PAGE"], status)
    require_page(pagination)
    return render_template(
        "mail/outbox.html",
        title=list_title("Outbox", pagination.page, [STATUS_LABELS[status].lower() if status else ""], pagination.total),
        pagination=pagination, status=status, labels=STATUS_LABELS,
    )


@bp.route("/admin/outbox/<int:message_id>")
@login_required
def outbox_message(message_id: int):
    message = services.outbox_message(current_user, message_id)
    if message is None:
        abort(404)
    return render_template("mail/outbox_message.html", message=message, labels=STATUS_LABELS)
