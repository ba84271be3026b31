"""The notice settings form: field checks only; the rules live in services."""

from __future__ import annotations

from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from cop.forms import SiteForm
from cop.web import as_choices


class MailChoicesForm(SiteForm):
    by_mail = SelectMultipleField(
        "Email me as well when",
        invalid_choice_message="Choose from the kinds of notice listed.",
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.by_mail.choices = as_choices(kinds)
