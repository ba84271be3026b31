"""Forms for writing and reviewing case studies: field checks only; the workflow's rules live in services."""

from __future__ import annotations

from typing import Any

from wtforms import RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from cop.accounts.models import LEVELS
from cop.casestudies.models import (
    DEFAULT_LICENCE,
    ENGAGEMENT_MODES,
    LICENCES,
    MAX_SECTION_LENGTH,
    MAX_SUMMARY_LENGTH,
    MAX_TITLE_LENGTH,
    SECTIONS,
)
from cop.forms import DayField, SiteForm
from cop.web import as_choices


def _section(label: str) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[Length(max=MAX_SECTION_LENGTH, message=f"{label} must be {MAX_SECTION_LENGTH:,} characters or fewer.")],
    )


class CaseStudyForm(SiteForm):
    """Everything a case study holds. Only the title is needed for a draft; the rest before review."""

    title = StringField(
        "Title",
        validators=[
            DataRequired("Enter a title."),
            Length(max=MAX_TITLE_LENGTH, message=f"The title must be {MAX_TITLE_LENGTH} characters or fewer."),
        ],
    )
    summary = TextAreaField(
        "Summary",
        validators=[Length(max=MAX_SUMMARY_LENGTH, message=f"The summary must be {MAX_SUMMARY_LENGTH} characters or fewer.")],
    )
    # Checked by the service, which names a missing one only when the case study is sent for review.
    service_area = SelectField(
        "Service area", choices=[], validate_choice=False, invalid_choice_message="Choose a service area from the list."
    )
    modes = SelectMultipleField(
        "Engagement mode", choices=as_choices(ENGAGEMENT_MODES.items()),
        invalid_choice_message="Choose engagement modes from the list.",
    )
    channels = SelectMultipleField(
        "Channels", coerce=int, choices=[],
        invalid_choice_message="Choose channels from the list.", invalid_value_message="Choose channels from the list.",
    )
    skills = SelectMultipleField(
        "Skills", coerce=int, choices=[],
        invalid_choice_message="Choose skills from the list.", invalid_value_message="Choose skills from the list.",
    )
    level = RadioField(
        "Level of practice", choices=as_choices(LEVELS.items()), validators=[Optional()],
        invalid_choice_message="Choose a level: 101, 202 or 303.",
    )
    started_on = DayField("Started", "Enter the date it started as a real date, like 2025-03-31.")
    ended_on = DayField("Ended", "Enter the date it ended as a real date, like 2025-09-30.")
    challenge = _section(SECTIONS[0][1])
    approach = _section(SECTIONS[1][1])
    results = _section(SECTIONS[2][1])
    lessons = _section(SECTIONS[3][1])
    differently = _section(SECTIONS[4][1])
    resources = _section(SECTIONS[5][1])
    links = TextAreaField("Links", validators=[Length(max=5000, message="Links must be 5,000 characters or fewer.")])
    licence = RadioField(
        "Licence",
        choices=as_choices((key, name) for key, (name, _url) in LICENCES.items()),
        default=DEFAULT_LICENCE,
        invalid_choice_message="Choose a licence from the list.",
    )
    author_ids = SelectMultipleField(
        "Authors", coerce=int, choices=[],
        invalid_choice_message="Authors must be members of your agency.", invalid_value_message="Choose authors from the list.",
    )
    note = StringField(
        "What you changed",
        validators=[Length(max=200, message="Say what you changed in 200 characters or fewer.")],
    )

    def __init__(self, *args: Any, service_areas=(), channels=(), skills=(), members=(), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service_area.choices = as_choices([("", "Choose a service area"), *service_areas])
        self.channels.choices = as_choices(channels)
        self.skills.choices = as_choices(skills)
        self.author_ids.choices = as_choices(members)


class ReturnForm(SiteForm):
    """A reviewer's comments when returning a case study."""

    comment = TextAreaField(
        "What should the authors change?",
        validators=[DataRequired("Say what the authors should change."), Length(max=2000, message="Comments must be 2,000 characters or fewer.")],
    )
