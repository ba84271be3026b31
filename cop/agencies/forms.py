"""Forms for agencies and joining one: field checks only; the rules live in services."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional, Regexp

from cop.agencies.models import GOVERNMENT_LEVELS, MAX_DESCRIPTION_LENGTH
from cop.web import as_choices

_SLUG = Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message="Use lower-case letters, digits and single hyphens, like leeds-city-council.")


class AgencyForm(FlaskForm):
    name = StringField(
        "Name", validators=[DataRequired("Enter the agency's name."), Length(max=200, message="Names are 200 characters or fewer.")]
    )
    country = SelectField(
        "Country", validators=[DataRequired("Choose the agency's country.")], invalid_choice_message="Choose a country from the list."
    )
    level = RadioField(
        "Level of government", choices=as_choices(GOVERNMENT_LEVELS.items()),
        validators=[InputRequired("Choose a level of government.")], invalid_choice_message="Choose local, regional or national."
    )
    website = URLField(
        "Website",
        validators=[Optional(), URL(message="Enter the website's full address, starting with https://"), Length(max=300)],
    )
    description = TextAreaField(
        "About the agency",
        validators=[Length(max=MAX_DESCRIPTION_LENGTH, message=f"The description must be {MAX_DESCRIPTION_LENGTH} characters or fewer.")],
    )
    domains = TextAreaField(
        "Email domains it owns",
        description="One per line, like council.gov.uk. People whose verified address is on one of these join at once.",
        validators=[Length(max=2000)],
    )

    def __init__(self, *args, country_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = as_choices([("", "Choose a country"), *country_choices])

    def domain_list(self) -> list[str]:
        return [line.strip() for line in (self.domains.data or "").replace(",", "\n").splitlines() if line.strip()]


class NewAgencyForm(AgencyForm):
    slug = StringField(
        "Short name for its address",
        description="Used in links: /agencies/leeds-city-council",
        validators=[DataRequired("Enter a short name."), Length(max=80), _SLUG],
    )


class JoinAgencyForm(FlaskForm):
    message = TextAreaField(
        "Tell the agency's admins who you are (optional)",
        validators=[Length(max=500, message="Keep the note to 500 characters or fewer.")],
    )


class DecisionForm(FlaskForm):
    decision = RadioField(
        "Decision", choices=as_choices([("approve", "Approve"), ("decline", "Decline")]), validators=[InputRequired("Choose approve or decline.")]
    )


class AgencyAdminForm(FlaskForm):
    make_admin = RadioField(
        "Agency admin", choices=as_choices([("yes", "Make admin"), ("no", "Remove admin")]), validators=[InputRequired("Choose an option.")]
    )
