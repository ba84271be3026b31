"""Small pieces every blueprint's routes share: form errors, page numbers, pagination."""

from __future__ import annotations

from typing import Any, Iterable

from flask import render_template, request
from flask_wtf import FlaskForm
from wtforms import SelectChoice

from cop.errors import ServiceError

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


def render_refused(template: str, error: ServiceError | None = None, **context: Any):
    """Render a page, with a service's refusal atop it (and its status) when there is one."""
    page = render_template(template, error=error.message if error else None, **context)
    return page, error.status_code if error else 200


def page_number() -> int:
    """The ?page= number, 1 when missing or nonsense."""
    page = request.args.get("page", 1, type=int) or 1
    return max(page, 1)
