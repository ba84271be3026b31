"""Small pieces every blueprint's routes share: form errors, page numbers, pagination."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

from flask import abort, flash, redirect, render_template, request
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
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
    """Show a service's refusal next to each field it is about (or atop the form); return its status."""
    for name, message in (error.fields or {None: error.message}).items():
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            if isinstance(field.errors, tuple):
                field.errors = list(field.errors)
            field.errors.append(message)
        else:
            form.form_errors.append(message)
    return error.status_code


def render_form(template: str, form: FlaskForm, status: int | None = None, **context: Any):
    """Render a page with a form; a form with errors gets a 4xx status."""
    if status is None:
        status = INVALID_FORM_STATUS if form.errors else 200
    return render_template(template, form=form, **context), status


#: No list here has this many pages; a page number past it is refused before any query runs.
MAX_PAGE = 1_000_000


def page_number() -> int:
    """The ?page= number: 1 when missing or not a number; 404 when it is past any list's end."""
    page = request.args.get("page", 1, type=int) or 1
    if page > MAX_PAGE:
        abort(404)
    return max(page, 1)


def option_tags(pairs: Iterable[tuple[str, str]], selected: Optional[str]) -> Markup:
    """<option> elements for (value, text) pairs, the selected one marked: for filters with hundreds of
    choices (every agency), built here in one pass rather than by a template loop per option."""
    return Markup("".join(
        f'<option value="{escape(value)}"{" selected" if value == selected else ""}>{escape(text)}</option>'
        for value, text in pairs
    ))


def page_items(page: int, pages: int) -> list[Optional[int]]:
    """The page numbers a pagination shows, None where an ellipsis stands for those left out.

    GOV.UK's pattern: the first and last pages, the current one and its neighbours; a gap of one
    page shows that page rather than an ellipsis that would hide only it.
    """
    shown = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    items: list[Optional[int]] = []
    for number in shown:
        if items and number - items[-1] == 2:
            items.append(number - 1)
        elif items and number - items[-1] > 2:
            items.append(None)
        items.append(number)
    return items


def list_title(name: str, page: int, filters: Iterable[str] = (), total: Optional[int] = None) -> str:
    """A list page's title: its name, the page, and its filters with how many they found.

    "People, page 2, 303 mentors (12 found)": the title is the first thing a screen reader reads
    when a filtered list loads, so it says what the filters found.
    """
    filters = [f for f in filters if f]
    title = ", ".join([name, *([f"page {page}"] if page > 1 else []), *filters])
    if filters and total is not None:
        title += f" ({total} found)"
    return title


def require_page(pagination: Any, message: Optional[str] = None) -> Any:
    """A page past the last one is not found (404, with ``message`` when given); page 1 of an empty list is simply
    empty."""
    if pagination.page > 1 and pagination.page > pagination.pages:
        abort(404, message)
    return pagination


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


#: Sections that higher domains add to the pages of lower ones: page name -> functions rendering a section.
_PAGE_SECTIONS: dict[str, list[Callable[[Any], Markup]]] = {}


def add_page_section(page: str, render: Callable[[Any], Markup]) -> None:
    """Add a section to a page of a lower domain ("person", "agency"): ``render(thing)`` returns its HTML.

    A person's page lists their case studies without accounts knowing case studies exist.
    """
    _PAGE_SECTIONS.setdefault(page, []).append(render)


def page_sections(page: str, thing: Any) -> list[Markup]:
    """The sections other domains add to a page, rendered for the thing it is about."""
    return [render(thing) for render in _PAGE_SECTIONS.get(page, [])]


def render_around_shared(template: str, name: str, part: str, context: Callable[[], dict[str, Any]],
                         keep: Iterable[str] = ("title",), also: tuple[str, ...] = (), **own: Any) -> str:
    """Render ``template`` around a part everyone is shown alike: ``part`` rendered with ``context()``, made once
    per content version and address and kept (cop.cache.shared_part), so a signed-in person's page costs only
    what is theirs (``own``). The page template reads ``shared.html`` and the values named in ``keep``; ``also``
    names the cache scopes besides the site's whose changes make the part stale. A part that differs by who may
    see what carries that in its ``name``."""
    from cop.cache import shared_part

    def make() -> dict[str, Any]:
        values = context()
        return {**{key: values[key] for key in keep}, "html": Markup(render_template(part, **values))}

    return render_template(template, shared=shared_part(name, make, also=also), **own)
