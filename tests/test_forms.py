"""Forms speak the site's own words, report every field at once, one message a field, in page order."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from wtforms import IntegerField, RadioField, SelectField, SelectMultipleField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Regexp, URL

import cop
from cop.forms import EmptyForm, SiteForm


def all_form_classes() -> list[type]:
    """Every form class in the app's packages."""
    for module in pkgutil.walk_packages(cop.__path__, "cop."):
        if module.name.endswith(".forms") or module.name == "cop.forms":
            importlib.import_module(module.name)
    found, stack = [], [SiteForm]
    while stack:
        cls = stack.pop()
        found.append(cls)
        stack.extend(cls.__subclasses__())
    return found


#: Validators whose default message is WTForms' own wording.
WORDED = (DataRequired, InputRequired, Length, NumberRange, Regexp, URL, EqualTo)


def test_every_form_derives_from_the_site_form():
    from flask_wtf import FlaskForm

    stray = [cls for cls in FlaskForm.__subclasses__() if cls is not SiteForm and cls.__module__.startswith("cop")]
    assert not stray, f"forms that skip cop.forms.SiteForm: {stray}"


@pytest.mark.parametrize("form_class", all_form_classes(), ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_field_has_its_own_words(form_class):
    problems = []
    fields = [(name, getattr(form_class, name)) for name in dir(form_class) if isinstance(getattr(form_class, name, None), UnboundField)]
    assert fields or form_class in (SiteForm, EmptyForm), f"{form_class} has no fields to check"
    for name, unbound in fields:
        kwargs = unbound.kwargs
        validators = kwargs.get("validators") or (unbound.args[1] if len(unbound.args) > 1 else [])
        for validator in validators:
            if isinstance(validator, WORDED) and not getattr(validator, "message", None):
                problems.append(f"{name}: {type(validator).__name__} has no message of ours")
        field_class = unbound.field_class
        if issubclass(field_class, (SelectField, RadioField, SelectMultipleField)) and not kwargs.get("invalid_choice_message"):
            problems.append(f"{name}: no invalid_choice_message")
        if issubclass(field_class, IntegerField) and not kwargs.get("invalid_value_message"):
            problems.append(f"{name}: no invalid_value_message")
    assert not problems, "\n".join(problems)


def summary_links(page: str) -> list[str]:
    """The field ids the error summary links to, in its order."""
    summary = page.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="#([^"]+)"', summary)


def field_positions(page: str, ids: list[str]) -> list[int]:
    body = page.split('class="govuk-error-summary"', 1)[1].split("</ul>", 1)[1]
    return [body.index(f'id="{field_id}"') for field_id in ids]


def assert_summary_in_page_order(page: str) -> list[str]:
    ids = summary_links(page)
    assert ids, "the page should show an error summary with links"
    positions = field_positions(page, ids)
    assert positions == sorted(positions), f"summary order {ids} is not the order of the fields on the page"
    return ids


def test_registration_reports_every_field_at_once(client):
    response = client.post("/auth/register", data={"display_name": "", "email": "not-an-email", "password": "short", "confirm": "other"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    ids = assert_summary_in_page_order(page)
    assert ids == ["display_name", "email", "password", "confirm"]
    assert "Enter an email address in the correct format, like name@council.gov.uk." in page
    assert "Your password must be 12 to 128 characters long." in page


def test_a_weak_password_is_reported_with_the_other_fields(client):
    page = client.post(
        "/auth/register", data={"display_name": "Jo", "email": "not-an-email", "password": "password1234", "confirm": "password1234"}
    ).get_data(as_text=True)
    assert summary_links(page) == ["email", "password"]
    assert "one of the most commonly used" in page


def test_new_agency_summary_follows_the_fields(client, as_user):
    as_user("site_admin")
    page = client.post("/agencies/new", data={"website": "nope"}).get_data(as_text=True)
    assert assert_summary_in_page_order(page)[:4] == ["name", "slug", "country", "level"]


def test_profile_summary_follows_the_fields(client, as_user):
    as_user("member")
    page = client.post("/profile", data={"display_name": "", "level": "9", "mentoring_capacity": "abc", "time_zone": "Nowhere"}).get_data(as_text=True)
    assert_summary_in_page_order(page)


def test_letters_for_a_number_get_one_message_in_our_words(client, as_user):
    as_user("member")
    response = client.post("/profile", data={"display_name": "Jo", "level": "202", "time_zone": "UTC", "mentoring_capacity": "abc"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Not a valid integer value" not in page
    field_errors = re.findall(r'id="mentoring_capacity-error[^"]*"', page)
    assert field_errors == ['id="mentoring_capacity-error"'], "one message for the field"
    assert "Enter a number from 0 to 10." in page
