"""Forms for personal API tokens."""

from __future__ import annotations

from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, Length

from cop.api.services import MAX_NAME_LENGTH
from cop.forms import SiteForm
from cop.web import as_choices


class NewTokenForm(SiteForm):
    """A name for the token and what it may do."""

    name = StringField(
        "Name",
        validators=[
            DataRequired("Enter a name for the token, such as the script that will use it."),
            Length(max=MAX_NAME_LENGTH, message=f"The name must be {MAX_NAME_LENGTH} characters or fewer."),
        ],
    )
    scope = RadioField(
        "What it may do",
        choices=as_choices([("read", "Read only"), ("write", "Read and write: draft and change case studies as you")]),
        default="read",
        validators=[DataRequired("Choose what the token may do.")],
        invalid_choice_message="Choose what the token may do.",
    )
