"""Forms for accounts and profiles: field checks only; the rules live in services."""

from __future__ import annotations

import zoneinfo

from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, ValidationError

from cop.accounts.models import LEVELS, MAX_BIO_LENGTH, MAX_MENTEES
from cop.accounts.passwords import MAX_LENGTH, MIN_LENGTH, password_problem
from cop.forms import EmailAddress, SiteForm
from cop.web import as_choices


def _email_field(label: str = "Email address", check_format: bool = True) -> EmailField:
    validators = [DataRequired("Enter your email address."), Length(max=254, message="Email addresses are 254 characters or fewer.")]
    if check_format:
        validators.append(EmailAddress())
    return EmailField(label, validators=validators, render_kw={"autocomplete": "email", "spellcheck": "false"})


def _strong_password(form: SiteForm, field: PasswordField) -> None:
    """The password policy, checked with the form so its message comes with every other field's."""
    personal = tuple(
        value.split("@")[0] if name == "email" else value
        for name in ("email", "display_name")
        if isinstance(value := getattr(getattr(form, name, None), "data", None), str) and value
    )
    problem = password_problem(field.data or "", personal)
    if problem:
        raise ValidationError(problem)


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter a password."),
            Length(min=MIN_LENGTH, max=MAX_LENGTH, message=f"Your password must be {MIN_LENGTH} to {MAX_LENGTH} characters long."),
            _strong_password,
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Confirm password",
        validators=[DataRequired("Enter your password again."), EqualTo("password", message="The passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class RegisterForm(SiteForm):
    display_name = StringField(
        "Your name",
        validators=[DataRequired("Enter the name other members will see."), Length(max=100, message="Names are 100 characters or fewer.")],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field()
    password, confirm = _new_password_fields()


class LoginForm(SiteForm):
    # Any text is looked up: a wrong format gets the same answer as a wrong password.
    email = _email_field(check_format=False)
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password.")], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField("Keep me signed in on this device")


class EmailOnlyForm(SiteForm):
    email = _email_field()


class ResetPasswordForm(SiteForm):
    password, confirm = _new_password_fields()


class ChangePasswordForm(SiteForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password.")],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = _new_password_fields()


class ProfileForm(SiteForm):
    display_name = StringField(
        "Name",
        validators=[DataRequired("Enter the name other members will see."), Length(max=100, message="Names are 100 characters or fewer.")],
        render_kw={"autocomplete": "name"},
    )
    job_title = StringField(
        "Job title", validators=[Length(max=120, message="Job titles are 120 characters or fewer.")],
        render_kw={"autocomplete": "organization-title"},
    )
    bio = TextAreaField(
        "About you",
        validators=[Length(max=MAX_BIO_LENGTH, message=f"Your bio must be {MAX_BIO_LENGTH} characters or fewer.")],
    )
    level = RadioField(
        "Experience level",
        choices=as_choices(LEVELS.items()),
        validators=[InputRequired("Choose your experience level.")],
        invalid_choice_message="Choose your experience level from the list.",
    )
    skills = SelectMultipleField(
        "Skills you can share", coerce=int,
        invalid_choice_message="Choose skills from the list.", invalid_value_message="Choose skills from the list.",
    )
    interests = SelectMultipleField(
        "What you want to learn", coerce=int,
        invalid_choice_message="Choose interests from the list.", invalid_value_message="Choose interests from the list.",
    )
    country = SelectField("Country", validators=[Optional()], invalid_choice_message="Choose a country from the list.")
    region = StringField("Region, state or county", validators=[Length(max=100, message="Regions are 100 characters or fewer.")])
    time_zone = SelectField(
        "Time zone", validators=[InputRequired("Choose your time zone.")], invalid_choice_message="Choose a time zone from the list."
    )
    open_to_mentoring = BooleanField("I am open to mentoring")
    mentoring_capacity = IntegerField(
        "How many people could you mentor at once?",
        default=0,
        invalid_value_message=f"Enter a number from 0 to {MAX_MENTEES}.",
        validators=[
            InputRequired("Enter a number from 0 to 10."),
            NumberRange(min=0, max=MAX_MENTEES, message=f"Enter a number from 0 to {MAX_MENTEES}."),
        ],
    )

    def __init__(self, *args, topic_choices=(), country_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.skills.choices = as_choices(topic_choices)
        self.interests.choices = as_choices(topic_choices)
        self.country.choices = as_choices([("", "Choose a country"), *country_choices])
        self.time_zone.choices = as_choices((tz, tz) for tz in sorted(zoneinfo.available_timezones()))


class SiteRoleForm(SiteForm):
    role = SelectField(
        "Site role",
        choices=as_choices([("member", "Member"), ("moderator", "Moderator"), ("site_admin", "Site admin")]),
        validators=[InputRequired("Choose a role.")],
        invalid_choice_message="Choose a role from the list.",
    )
