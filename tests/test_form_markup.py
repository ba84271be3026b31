"""Form markup (cop.form_markup): attribute lists (order, escaping, bare and missing attributes, described-by ids, a
choice's own attributes), and whole fields as GOV.UK Frontend writes them, with their ids, hints, errors and escaping."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace

from flask import Flask, session
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms import BooleanField, Form, HiddenField, IntegerField, PasswordField, RadioField, SelectField, SelectMultipleField
from wtforms import DateField, DateTimeLocalField, EmailField, StringField, TextAreaField, URLField
from wtforms.validators import Length

from cop import form_markup
from cop.form_markup import choice_attributes, control_attributes, described_by, html_attributes
from cop.web import as_choices


def stub_field(render_kw=None, errors=(), id="goals"):
    return SimpleNamespace(render_kw=render_kw, errors=list(errors), id=id)


def test_attributes_keep_their_order_escape_values_and_leave_out_false_and_none():
    made = html_attributes({"data-x": 'a "quoted" <b>', "hidden": True, "disabled": False, "title": None, "maxlength": 5})
    assert isinstance(made, Markup)
    assert made == ' data-x="a &#34;quoted&#34; &lt;b&gt;" hidden maxlength="5"'


def test_later_sources_win_and_the_markups_own_attributes_cannot_be_replaced():
    f = stub_field(render_kw={"autocomplete": "off", "class": "x", "placeholder": "Kw"})
    made = control_attributes(f, {"placeholder": "Attrs", "id": "other"}, autocomplete="email", defaults={"inputmode": "numeric"})
    assert made == ' inputmode="numeric" autocomplete="email" placeholder="Attrs"'


def test_spellcheck_is_written_as_true_or_false_from_any_source():
    assert control_attributes(stub_field(), spellcheck=False) == ' spellcheck="false"'
    assert control_attributes(stub_field(render_kw={"spellcheck": True})) == ' spellcheck="true"'
    assert control_attributes(stub_field(), defaults={"spellcheck": "false"}) == ' spellcheck="false"'


def test_described_by_names_the_first_id_the_hint_and_each_error_in_turn():
    assert described_by(stub_field(), None) == ""
    assert described_by(stub_field(errors=["One", "Two"]), "A hint", "goals-info") == (
        ' aria-describedby="goals-info goals-hint goals-error goals-error-2"'
    )


def test_choice_attributes_are_a_choices_own_render_kw_when_it_has_one():
    assert choice_attributes(("14", "Every two weeks", True)) == ""
    assert choice_attributes(("14", "Every two weeks", True, {})) == ""
    assert choice_attributes(("x", "X", False, {"disabled": True, "data-note": 'say "no"', "hidden": False})) == (
        ' disabled data-note="say &#34;no&#34;"'
    )


class Sample(Form):
    name = StringField("Your name", description="As colleagues know you.")
    count = IntegerField("How many")
    secret = PasswordField("Password")
    goals = TextAreaField("Goals", validators=[Length(max=2000)])
    notes = TextAreaField("Notes")
    often = RadioField("How often", choices=as_choices([("7", "Weekly"), ("14", "Fortnightly <b>")]))
    topics = SelectMultipleField("Topics", choices=as_choices((str(n), f"Topic {n}") for n in range(9)))
    agency = SelectField("Agency", choices=as_choices([("", "None"), ("1", "Bristol & Bath")]))
    agree = BooleanField("I agree")
    token = HiddenField()
    day = DateField("Day")
    starts = DateTimeLocalField("Starts", format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    email = EmailField("Email")
    url = URLField("Address")


def sample(**data):
    return Sample(data=data)


def test_a_text_input_has_its_label_hint_errors_and_typed_defaults():
    form = sample(name='Ann "A" <Lee>', count=3, secret="hunter2")
    form.name.errors = ["Enter your name", "Shorter, please"]
    made = form_markup.field(form.name, classes="govuk-input--width-20")
    assert isinstance(made, Markup)
    assert made == (
        '<div class="govuk-form-group govuk-form-group--error">\n'
        '  <label class="govuk-label" for="name">Your name</label>\n'
        '<div id="name-hint" class="govuk-hint">As colleagues know you.</div>\n'
        '<p id="name-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> Enter your name</p>\n'
        '<p id="name-error-2" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> Shorter, please</p>\n'
        '  <input class="govuk-input govuk-input--width-20 govuk-input--error" id="name" name="name" type="text" '
        'value="Ann &#34;A&#34; &lt;Lee&gt;" aria-describedby="name-hint name-error name-error-2">\n</div>'
    )
    assert 'type="text" value="3" spellcheck="false" inputmode="numeric">' in form_markup.field(form.count)
    password = form_markup.field(form.secret, autocomplete="new-password")
    assert 'type="password" spellcheck="false" autocomplete="new-password">' in password and "hunter2" not in password


def test_a_textarea_with_a_maximum_length_counts_characters():
    form = sample(goals="Run a <live> Q&A")
    made = form_markup.field(form.goals, rows=4, hint="What you will do.")
    assert made.startswith('\n<div class="govuk-form-group govuk-character-count" data-module="govuk-character-count" data-maxlength="2000">')
    assert ('<textarea class="govuk-textarea govuk-js-character-count" id="goals" name="goals" rows="4" '
            'aria-describedby="goals-info goals-hint">\nRun a &lt;live&gt; Q&amp;A</textarea>') in made
    assert '<div id="goals-info" class="govuk-hint govuk-character-count__message">You can enter up to 2000 characters</div>' in made
    plain = form_markup.field(form.notes, label="Notes from “Day one”")
    assert "character-count" not in plain and ">Notes from “Day one”</label>" in plain


def test_radios_and_checkboxes_are_a_fieldset_with_numbered_ids():
    form = sample(often="14", topics=["0", "8"])
    radios = form_markup.field(form.often, label_class="govuk-label govuk-label--m")
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--m">How often</legend>' in radios
    assert '<input class="govuk-radios__input" id="often" name="often" type="radio" value="7">' in radios
    assert ('<input class="govuk-radios__input" id="often-2" name="often" type="radio" value="14" checked>\n'
            '        <label class="govuk-label govuk-radios__label" for="often-2">Fortnightly &lt;b&gt;</label>') in radios
    boxes = form_markup.field(form.topics)
    # More than eight choices: the small checkboxes, unless the caller chose classes.
    assert '<div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">' in boxes
    assert 'id="topics-9" name="topics" type="checkbox" value="8" checked>' in boxes
    assert '<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">Topics</legend>' in boxes
    assert 'class="govuk-checkboxes cop-columns"' in form_markup.field(form.topics, classes="cop-columns")


def test_a_select_a_single_checkbox_and_hidden_fields():
    form = sample(agency="1", agree=True, token="abc")
    select = form_markup.field(form.agency)
    assert '<option value="">None</option>\n    <option value="1" selected>Bristol &amp; Bath</option>\n  </select>' in select
    agree = form_markup.field(form.agree, hint="You can change your mind.")
    assert ('<input class="govuk-checkboxes__input" id="agree" name="agree" type="checkbox" value="y" checked '
            'aria-describedby="agree-hint">') in agree
    assert '<div id="agree-hint" class="govuk-hint govuk-checkboxes__hint">You can change your mind.</div>' in agree
    assert form_markup.field(form.token) == '<input id="token" name="token" type="hidden" value="abc">'


def test_the_error_summary_lists_form_then_field_errors_in_page_order_linked_to_their_fields():
    form = sample()
    form.goals.errors = ["Keep it <short>"]
    form.name.errors = ["Enter your name", "Not this one too"]
    form.token.errors = ["Reload the page"]
    form.form_errors.append("The whole form & more")
    made = form_markup.error_summary(form)
    assert isinstance(made, Markup) and made.startswith('\n<div class="govuk-error-summary" data-module="govuk-error-summary">')
    items = re.findall(r"<li>(.*?)</li>", made)
    assert items == ["The whole form &amp; more", '<a href="#name">Enter your name</a>', '<a href="#name">Not this one too</a>',
                     '<a href="#goals">Keep it &lt;short&gt;</a>', "Reload the page"]
    assert form_markup.error_summary(sample()) == "\n\n"


def test_a_problem_summary_is_one_unlinked_message_or_nothing():
    made = form_markup.problem_summary("Already <taken>")
    assert re.findall(r"<li>(.*?)</li>", made) == ["Already &lt;taken&gt;"] and "There is a problem" in made
    assert form_markup.problem_summary(None) == form_markup.problem_summary("") == ""


def test_the_csrf_input_is_the_request_s_token_with_no_id_and_left_out_for_no_form_or_when_protection_is_off():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="k", WTF_CSRF_ENABLED=True, WTF_CSRF_FIELD_NAME="t&k")
    with app.test_request_context():
        assert form_markup.csrf(None) == ""
        assert "t&k" not in session  # no token made for a page that offers no form
        assert form_markup.csrf(sample()) == f'<input type="hidden" name="t&amp;k" value="{generate_csrf()}">'
        assert form_markup.csrf(sample()) is form_markup.csrf(sample())  # once a request
    app.config["WTF_CSRF_ENABLED"] = False
    with app.test_request_context():
        assert form_markup.csrf(sample()) == ""


def test_dates_and_times_are_the_browsers_pickers_and_addresses_their_own_types():
    form = sample(day=datetime.date(2026, 12, 1), starts=datetime.datetime(2026, 12, 1, 18, 30))
    assert 'id="day" name="day" type="date" value="2026-12-01">' in form_markup.field(form.day)
    assert 'id="starts" name="starts" type="datetime-local" value="2026-12-01T18:30">' in form_markup.field(form.starts)
    assert 'type="email" spellcheck="false" autocapitalize="none">' in form_markup.field(form.email)
    # The control's type is the field's own: attrs and render_kw cannot change it.
    assert 'type="url" spellcheck="false" autocapitalize="none">' in form_markup.field(form.url, attrs={"type": "text"})
