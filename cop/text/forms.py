"""Form for extending the taxonomy."""

from __future__ import annotations

from wtforms import RadioField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from cop.text.taxonomy import GROUPS
from cop.forms import SiteForm
from cop.web import as_choices


class TopicForm(SiteForm):
    name = StringField(
        "Topic name", validators=[DataRequired("Enter a name for the topic."), Length(max=80, message="Topic names are 80 characters or fewer.")]
    )
    group = RadioField("Group", choices=as_choices(GROUPS.items()), default="practice", validators=[InputRequired("Choose a group.")],
                       invalid_choice_message="Choose practice or channel.")


class RenameTopicForm(SiteForm):
    name = StringField(
        "New name", validators=[DataRequired("Enter a name for the topic."), Length(max=80, message="Topic names are 80 characters or fewer.")]
    )
