"""Forms for agencies and joining one: field checks only; the rules live in services."""

from __future__ import annotations

from wtforms import RadioField, SelectField, StringField, TextAreaField, URLField
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional, Regexp

from cop.agencies.models import GOVERNMENT_LEVELS, MAX_DESCRIPTION_LENGTH
from cop.forms import SiteForm
from cop.web import as_choices

# WTForms orders a form's fields by when each was declared, and the error summary lists errors in that order.
# The new-agency form asks for the short name right after the name, so both are declared here, first.
_name = StringField(
    "Name", validators=[DataRequired("Enter the agency's name."), Length(max=200, message="Names are 200 characters or fewer.")]
)
_slug = StringField(
    "Short name for its address",
    description="Used in links: /agencies/leeds-city-council",
    validators=[
        DataRequired("Enter a short name."),
        Length(max=80, message="Short names are 80 characters or fewer."),
        Regexp(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", message="Use lower-case letters, digits and single hyphens, like leeds-city-council."),
    ],
)


class AgencyForm(SiteForm):
    name = _name
    country = SelectField(
        "Country", validators=[DataRequired("Choose the agency's country.")], invalid_choice_message="Choose a country from the list."
    )
    level = RadioField(
        "Level of government", choices=as_choices(GOVERNMENT_LEVELS.items()),
        validators=[InputRequired("Choose a level of government.")], invalid_choice_message="Choose local, regional or national."
    )
    website = URLField(
        "Website",
        validators=[Optional(), URL(message="Enter the website's full address, starting with https://"),
                    Length(max=300, message="Website addresses are 300 characters or fewer.")],
    )
    description = TextAreaField(
        "About the agency",
        validators=[Length(max=MAX_DESCRIPTION_LENGTH, message=f"The description must be {MAX_DESCRIPTION_LENGTH} characters or fewer.")],
    )
    domains = TextAreaField(
        "Email domains it owns",
        description="One per line, like council.gov.uk. People whose verified address is on one of these join at once.",
        validators=[Length(max=2000, message="The list of domains is 2000 characters or fewer.")],
    )

    def __init__(self, *args, country_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = as_choices([("", "Choose a country"), *country_choices])

    def domain_list(self) -> list[str]:
        return [line.strip() for line in (self.domains.data or "").replace(",", "\n").splitlines() if line.strip()]


class NewAgencyForm(AgencyForm):
    slug = _slug


class JoinAgencyForm(SiteForm):
    message = TextAreaField(
        "Tell the agency's admins who you are (optional)",
        validators=[Length(max=500, message="Keep the note to 500 characters or fewer.")],
    )


class DecisionForm(SiteForm):
    decision = RadioField(
        "Decision", choices=as_choices([("approve", "Approve"), ("decline", "Decline")]), validators=[InputRequired("Choose approve or decline.")],
        invalid_choice_message="Choose approve or decline.",
    )


class AgencyAdminForm(SiteForm):
    make_admin = RadioField(
        "Agency admin", choices=as_choices([("yes", "Make admin"), ("no", "Remove admin")]), validators=[InputRequired("Choose an option.")],
        invalid_choice_message="Choose whether to make them an admin.",
    )
