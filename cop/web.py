"""Small pieces every blueprint's routes share: form errors, page numbers, pagination."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from flask import flash, redirect, render_template, request
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from cop.errors import PermissionDenied, ServiceError
from cop.extensions import db

#: The status a page gets when its form is shown again with errors.
INVALID_FORM_STATUS = 400


def as_choices(pairs: Iterable[tuple[Any, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


def attach_error(form: FlaskForm, error: ServiceError) -> int:
    """Show a service's refusal next to the field it is about (or atop the form); return its status."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None and hasattr(field, "errors"):
        if isinstance(field.errors, tuple):
            field.errors = list(field.errors)
        field.errors.append(error.message)
    else:
        form.form_errors.append(error.message)
    return error.status_code


def render_form(template: str, form: FlaskForm, status: int | None = None, **context: Any):
    """Render a page with a form; a form with errors gets a 4xx status."""
    if status is None:
        status = INVALID_FORM_STATUS if form.errors else 200
    return render_template(template, form=form, **context), status


def page_number() -> int:
    """The ?page= number, 1 when missing or nonsense."""
    page = request.args.get("page", 1, type=int) or 1
    return max(page, 1)


def act_and_redirect(form: FlaskForm, action: Callable[[], Any], done: Callable[[Any], str], back: str) -> Response:
    """Run a button's action and go back to the page it was on, with what happened flashed there.

    Success commits; a refusal rolls back and is shown on that page as an error. Either way the
    browser ends on a GET, so reloading never sends the form again. Lacking the right stays a 403.
    """
    if not form.validate_on_submit():
        messages = [message for errors in form.errors.values() for message in errors]
        flash(messages[0] if messages else "Something in the form was not right. Try again.", "error")
        return redirect(back)
    try:
        result = action()
    except PermissionDenied:
        raise
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    flash(done(result), "success")
    return redirect(back)
