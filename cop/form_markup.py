"""Form markup as GOV.UK Frontend writes it, for WTForms fields, and the attribute lists it is made with. Every
template has these as globals (cop.register_context), with no import:

    field(f, hint=None, classes="", autocomplete=None, label_class="govuk-label", spellcheck=None, rows=5,
          attrs={}, label=None)
        The whole form group for one field, chosen by f.type.
    button(text, secondary=False, warning=False, name=None, value=None, hidden=None)
        A form's submit button.
    csrf(form)
        The request's CSRF token as a hidden input, for every form that posts; nothing when form is None.
    error_summary(form)
        "There is a problem", listing every error of the form, each linked to its field.
    problem_summary(message)
        The same box for a refusal that belongs to no field.

Every form on every page goes through them. Written as Jinja macros (and the attribute lists as Jinja loops over
dictionaries) they were much of a form page's cost, and importing them into a template cost each page that
imported them again; made here, the HTML is the same byte for byte. Every value is escaped unless it is Markup
already, as Jinja's autoescaping would.
"""

from __future__ import annotations

from numbers import Number
from typing import Any, Mapping, Optional, Sequence

from flask import current_app, g
from markupsafe import Markup, escape

from cop.sessions import csrf_token

#: Attributes field() sets itself: render_kw and attrs cannot replace them.
RESERVED = frozenset(("class", "id", "name", "type", "value", "rows", "required", "aria-describedby", "checked", "selected", "multiple"))


def html_attributes(mapping: Mapping[str, Any]) -> Markup:
    """` key="value"` for each item: True gives a bare attribute; False and None are left out."""
    return Markup("".join(
        f" {escape(key)}" if value is True else f' {escape(key)}="{escape(value)}"'
        for key, value in mapping.items() if value is not None and value is not False
    ))


def choice_attributes(choice: Sequence[Any]) -> Markup:
    """A choice's own attributes: WTForms 3.1 and later yield (value, label, selected, render_kw), older ones the
    first three."""
    return html_attributes(choice[3]) if len(choice) > 3 and choice[3] else Markup("")


def _as_text(spellcheck: Any) -> Any:
    return ("true" if spellcheck else "false") if isinstance(spellcheck, bool) else spellcheck


def control_attributes(f: Any, attrs: Optional[Mapping[str, Any]] = None, autocomplete: Optional[str] = None,
                       spellcheck: Any = None, defaults: Optional[Mapping[str, Any]] = None) -> Markup:
    """A control's own attributes: ``defaults``, then the field's render_kw, then ``attrs``, then the named
    arguments, each later one winning; spellcheck as "true" or "false"."""
    merged = dict(defaults or {})
    merged.update((key, value) for key, value in (f.render_kw or {}).items() if key not in RESERVED)
    merged.update((key, value) for key, value in (attrs or {}).items() if key not in RESERVED)
    if autocomplete is not None:
        merged["autocomplete"] = autocomplete
    if spellcheck is not None:
        merged["spellcheck"] = spellcheck
    if "spellcheck" in merged:
        merged["spellcheck"] = _as_text(merged["spellcheck"])
    return html_attributes(merged)


def described_by(f: Any, hint: Any, first: Optional[str] = None) -> Markup:
    """` aria-describedby="…"`: the ids of what describes the control (``first``, the hint, each error message),
    or nothing when there are none."""
    ids = [first] if first else []
    if hint:
        ids.append(f"{f.id}-hint")
    ids.extend(f"{f.id}-error" + ("" if number == 1 else f"-{number}") for number in range(1, len(f.errors) + 1))
    return Markup(f' aria-describedby="{escape(" ".join(ids))}"') if ids else Markup("")


# ---------------------------------------------------------------- whole fields

def _hint(f: Any, hint: Any, classes: str = "") -> str:
    if not hint:
        return ""
    return f'\n<div id="{escape(f.id)}-hint" class="govuk-hint{" " + escape(classes) if classes else ""}">{escape(hint)}</div>'


def _error_messages(f: Any) -> str:
    return "".join(
        f'\n<p id="{escape(f.id)}-error{"" if number == 1 else f"-{number}"}" class="govuk-error-message">'
        f'<span class="govuk-visually-hidden">Error:</span> {escape(message)}</p>'
        for number, message in enumerate(f.errors, 1)
    )


def _legend_class(label_class: str) -> str:
    if label_class == "govuk-label":
        return "govuk-fieldset__legend govuk-fieldset__legend--s"
    return escape(label_class.replace("govuk-label", "govuk-fieldset__legend"))


#: The input type of each text-like field; any other field is type="text", unless its widget is one of the pickers.
INPUT_TYPES = {"EmailField": "email", "PasswordField": "password", "URLField": "url", "SearchField": "search", "TelField": "tel"}
#: The browser's own pickers, taken from the field's widget: a DateField's "date", a DateTimeLocalField's "datetime-local"…
PICKERS = frozenset(("date", "datetime-local", "time", "month", "week"))
#: Attributes a text-like field has unless render_kw or the caller say otherwise.
_NO_SPELLCHECK = frozenset(("EmailField", "URLField", "PasswordField", "IntegerField", "DecimalField", "TelField"))


def field(f: Any, hint: Any = None, classes: str = "", autocomplete: Optional[str] = None, label_class: str = "govuk-label",
          spellcheck: Any = None, rows: Any = 5, attrs: Optional[Mapping[str, Any]] = None, label: Any = None) -> Markup:
    """The whole form group for one field, chosen by f.type: GOV.UK Frontend's text input, textarea (with a character
    count when it has a maximum length), select, radios or checkboxes (in a fieldset), or single checkbox.

    ``hint`` defaults to f.description; ``classes`` go on the control (or on the radios or checkboxes);
    ``label_class`` on the label (as "govuk-fieldset__legend…" on a fieldset's legend); ``attrs`` and f.render_kw
    become extra attributes of the control; ``label`` replaces the field's label text.

    Ids follow GOV.UK Frontend: the control (or the first radio or checkbox) has the field's id, so an error summary
    links to "#" + f.id; then f.id + "-hint", f.id + "-error", and radios and checkboxes after the first f.id + "-2",
    "-3"… There is no HTML ``required`` attribute: the server checks every form and the error summary says what to fix.
    """
    kind = f.type
    hint = hint or f.description or None
    label_html = escape(label if label is not None else f.label.text)
    group_class = "govuk-form-group govuk-form-group--error" if f.errors else "govuk-form-group"
    id_ = escape(f.id)
    name = escape(f.name)

    if kind == "HiddenField":
        return Markup(f())
    if kind == "SubmitField":  # buttons come from button()
        return Markup("")

    if kind == "BooleanField":  # a single checkbox: no fieldset, the label says it all
        return Markup(
            f'<div class="{group_class}">{_error_messages(f)}\n'
            f'  <div class="govuk-checkboxes {escape(classes or "govuk-checkboxes--small")}" data-module="govuk-checkboxes">\n'
            f'    <div class="govuk-checkboxes__item">\n'
            f'      <input class="govuk-checkboxes__input" id="{id_}" name="{name}" type="checkbox" value="y"'
            f'{" checked" if f.data else ""}{described_by(f, hint)}{control_attributes(f, attrs, autocomplete, spellcheck)}>\n'
            f'      <label class="govuk-label govuk-checkboxes__label" for="{id_}">{label_html}</label>'
            f'{_hint(f, hint, "govuk-checkboxes__hint")}\n'
            f'    </div>\n  </div>\n</div>'
        )

    if kind == "RadioField" or "SelectMultiple" in kind or "MultiCheckbox" in kind:
        # Radios (one answer) or checkboxes (any number), in a fieldset whose legend is the label.
        group = "radios" if kind == "RadioField" else "checkboxes"
        input_type = "radio" if group == "radios" else "checkbox"
        choices = list(f.iter_choices())
        size_class = classes or ("govuk-checkboxes--small" if group == "checkboxes" and len(choices) > 8 else "")
        items = []
        for number, choice in enumerate(choices, 1):
            item_id = id_ if number == 1 else f"{id_}-{number}"
            items.append(
                f'\n      <div class="govuk-{group}__item">\n'
                f'        <input class="govuk-{group}__input" id="{item_id}" name="{name}" type="{input_type}" value="{escape(choice[0])}"'
                f'{" checked" if choice[2] else ""}{choice_attributes(choice)}>\n'
                f'        <label class="govuk-label govuk-{group}__label" for="{item_id}">{escape(choice[1])}</label>\n'
                f'      </div>'
            )
        return Markup(
            f'<div class="{group_class}">\n'
            f'  <fieldset class="govuk-fieldset"{described_by(f, hint)}>\n'
            f'    <legend class="{_legend_class(label_class)}">{label_html}</legend>{_hint(f, hint)}{_error_messages(f)}\n'
            f'    <div class="govuk-{group}{" " + escape(size_class) if size_class else ""}" data-module="govuk-{group}">'
            f'{"".join(items)}\n    </div>\n  </fieldset>\n</div>'
        )

    label_tag = f'<label class="{escape(label_class)}" for="{id_}">{label_html}</label>{_hint(f, hint)}{_error_messages(f)}'
    extra_classes = " " + escape(classes) if classes else ""

    if "Select" in kind:
        options = "".join(
            f'\n    <option value="{escape(choice[0])}"{" selected" if choice[2] else ""}{choice_attributes(choice)}>{escape(choice[1])}</option>'
            for choice in f.iter_choices()
        )
        return Markup(
            f'<div class="{group_class}">\n  {label_tag}\n'
            f'  <select class="govuk-select{extra_classes}{" govuk-select--error" if f.errors else ""}" id="{id_}" name="{name}"'
            f'{described_by(f, hint)}{control_attributes(f, attrs, autocomplete, spellcheck)}>{options}\n  </select>\n</div>'
        )

    if kind == "TextAreaField":
        # With a maximum length (a Length validator), GOV.UK's character count tells people how much is left.
        maxlength = f.flags.maxlength
        if not (maxlength and isinstance(maxlength, Number) and maxlength > 0):
            maxlength = None
        if maxlength:
            opening = f'<div class="{group_class} govuk-character-count" data-module="govuk-character-count" data-maxlength="{escape(maxlength)}">'
            count = f'\n  <div id="{id_}-info" class="govuk-hint govuk-character-count__message">You can enter up to {escape(maxlength)} characters</div>'
        else:
            opening, count = f'<div class="{group_class}">', ""
        return Markup(
            f'\n{opening}\n  {label_tag}\n'
            f'  <textarea class="govuk-textarea{" govuk-js-character-count" if maxlength else ""}{extra_classes}'
            f'{" govuk-textarea--error" if f.errors else ""}" id="{id_}" name="{name}" rows="{escape(rows)}"'
            f'{described_by(f, hint, f.id + "-info" if maxlength else None)}{control_attributes(f, attrs, autocomplete, spellcheck)}>\n'
            f'{escape(f._value())}</textarea>{count}\n</div>'
        )

    # Text inputs: StringField, EmailField, PasswordField, URLField, SearchField, TelField, IntegerField, DecimalField, and
    # the date and time fields, as the browser's picker.
    defaults: dict[str, str] = {}
    if kind in _NO_SPELLCHECK:
        defaults["spellcheck"] = "false"
    if kind == "IntegerField":
        defaults["inputmode"] = "numeric"
    if kind == "DecimalField":
        defaults["inputmode"] = "decimal"
    if kind in ("EmailField", "URLField"):
        defaults["autocapitalize"] = "none"
    picker = getattr(f.widget, "input_type", None)
    input_type = INPUT_TYPES.get(kind) or (picker if picker in PICKERS else "text")
    value = "" if kind == "PasswordField" else f._value()
    value_attribute = f' value="{escape(value)}"' if value else ""
    return Markup(
        f'<div class="{group_class}">\n  {label_tag}\n'
        f'  <input class="govuk-input{extra_classes}{" govuk-input--error" if f.errors else ""}" id="{id_}" name="{name}" '
        f'type="{input_type}"{value_attribute}'
        f'{described_by(f, hint)}{control_attributes(f, attrs, autocomplete, spellcheck, defaults)}>\n</div>'
    )


def button(text: Any, secondary: Any = False, warning: Any = False, name: Any = None, value: Any = None, hidden: Any = None) -> Markup:
    """A form's submit button. ``hidden`` is read only by screen readers, after the text: which row's "Approve" this is."""
    kind = (" govuk-button--secondary" if secondary else "") + (" govuk-button--warning" if warning else "")
    name_attribute = f' name="{escape(name)}"' if name else ""
    value_attribute = f' value="{escape(value)}"' if value is not None else ""
    for_screen_readers = f'<span class="govuk-visually-hidden"> {escape(hidden)}</span>' if hidden else ""
    return Markup(f'<button type="submit" class="govuk-button{kind}" data-module="govuk-button"{name_attribute}{value_attribute}>'
                  f'{escape(text)}{for_screen_readers}</button>')


def error_summary(form: Any) -> Markup:
    """GOV.UK's error summary for a form: errors about the whole form first, unlinked; then each field's, in the
    order of the fields, linked to the field (a hidden field's, and a FormField's or FieldList's nested ones,
    unlinked); then anything else in form.errors (names of no field, WTForms' form-level key) unlinked."""
    items: list[tuple[Any, Optional[str]]] = []
    has_form_errors = hasattr(form, "form_errors")
    for message in (form.form_errors if has_form_errors else ()):
        items.append((message, None))
    field_names = set()
    for f in form:
        field_names.add(f.name)
        for message in f.errors:
            if isinstance(message, str):
                items.append((message, None if f.type == "HiddenField" else f"#{f.id}"))
            else:
                for inner in (message.values() if isinstance(message, Mapping) else message):
                    items.extend((text, None) for text in ([inner] if isinstance(inner, str) else inner))
    errors = form.errors
    if isinstance(errors, Mapping):
        form_key = getattr(form, "_form_error_key", None)
        for key, messages in errors.items():
            is_form_key = key is None or key == "" or (form_key is not None and key == form_key)
            if key not in field_names and not (is_form_key and has_form_errors):
                items.extend((message, None) for message in ([messages] if isinstance(messages, str) else messages))
    return Markup(_summary(items) + "\n")


def problem_summary(message: Any) -> Markup:
    """The error summary for a refusal that belongs to no form field; nothing when there is no message."""
    return _summary([(message, None)]) if message else Markup("")


def _summary(items: Sequence[tuple[Any, Optional[str]]]) -> Markup:
    if not items:
        return Markup("\n")
    rows = "".join(f'\n        <li><a href="{escape(href)}">{escape(text)}</a></li>' if href else f"\n        <li>{escape(text)}</li>"
                   for text, href in items)
    return Markup(
        '\n<div class="govuk-error-summary" data-module="govuk-error-summary">\n  <div role="alert">\n'
        '    <h2 class="govuk-error-summary__title">There is a problem</h2>\n    <div class="govuk-error-summary__body">\n'
        f'      <ul class="govuk-list govuk-error-summary__list">{rows}\n      </ul>\n    </div>\n  </div>\n</div>\n'
    )


def csrf(form: Any = True) -> Markup:
    """The request's CSRF token (cop.sessions.csrf_token) as a hidden input for a form, with no id, so that several
    forms can share a page: csrf(form) for a WTForms form, csrf() for one written out by hand. Nothing when the form
    is None (a page gives None for a form it offers nobody, so that a visitor's page makes no token and no session)
    or CSRF protection is off. CSRFProtect checks it on every POST (SiteForm says why forms do not). Made once a
    request: a page of several forms asks for it for each."""
    if form is None:
        return Markup("")
    made = g.get("cop_csrf_input")
    if made is None:
        config = current_app.config
        if config.get("WTF_CSRF_ENABLED", True):
            name = config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"
            made = Markup(f'<input type="hidden" name="{escape(name)}" value="{escape(csrf_token())}">')
        else:
            made = Markup("")
        g.cop_csrf_input = made
    return made
