"""The attribute lists of the form macros (templates/_forms.html), made here rather than in Jinja.

Every form field on every page goes through them, and written as Jinja loops over dictionaries they were most of
a field's cost. What they make is unchanged: attributes in the order given, each value escaped.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from markupsafe import Markup, escape

#: Attributes the macros set themselves: render_kw and attrs cannot replace them.
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
