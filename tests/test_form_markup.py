"""The form macros' attribute lists (cop.form_markup): order, escaping, bare and missing attributes, described-by ids,
a choice's own attributes."""

from __future__ import annotations

from types import SimpleNamespace

from markupsafe import Markup

from cop.form_markup import choice_attributes, control_attributes, described_by, html_attributes


def field(render_kw=None, errors=(), id="goals"):
    return SimpleNamespace(render_kw=render_kw, errors=list(errors), id=id)


def test_attributes_keep_their_order_escape_values_and_leave_out_false_and_none():
    made = html_attributes({"data-x": 'a "quoted" <b>', "hidden": True, "disabled": False, "title": None, "maxlength": 5})
    assert isinstance(made, Markup)
    assert made == ' data-x="a &#34;quoted&#34; &lt;b&gt;" hidden maxlength="5"'


def test_later_sources_win_and_the_macros_own_attributes_cannot_be_replaced():
    f = field(render_kw={"autocomplete": "off", "class": "x", "placeholder": "Kw"})
    made = control_attributes(f, {"placeholder": "Attrs", "id": "other"}, autocomplete="email", defaults={"inputmode": "numeric"})
    assert made == ' inputmode="numeric" autocomplete="email" placeholder="Attrs"'


def test_spellcheck_is_written_as_true_or_false_from_any_source():
    assert control_attributes(field(), spellcheck=False) == ' spellcheck="false"'
    assert control_attributes(field(render_kw={"spellcheck": True})) == ' spellcheck="true"'
    assert control_attributes(field(), defaults={"spellcheck": "false"}) == ' spellcheck="false"'


def test_described_by_names_the_first_id_the_hint_and_each_error_in_turn():
    assert described_by(field(), None) == ""
    assert described_by(field(errors=["One", "Two"]), "A hint", "goals-info") == (
        ' aria-describedby="goals-info goals-hint goals-error goals-error-2"'
    )


def test_choice_attributes_are_a_choices_own_render_kw_when_it_has_one():
    assert choice_attributes(("14", "Every two weeks", True)) == ""
    assert choice_attributes(("14", "Every two weeks", True, {})) == ""
    assert choice_attributes(("x", "X", False, {"disabled": True, "data-note": 'say "no"', "hidden": False})) == (
        ' disabled data-note="say &#34;no&#34;"'
    )
