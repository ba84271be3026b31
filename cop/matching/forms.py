"""Forms for asking for a mentor, answering, running a mentorship and a programme: field checks only."""

from __future__ import annotations

from wtforms import BooleanField, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from cop.forms import SiteForm
from cop.matching.models import AGENCY_PREFERENCES, CHECK_IN_EVERY, FORMATS, MAX_GOALS_LENGTH, MAX_NOTE_LENGTH, MAX_REASON_LENGTH
from cop.web import as_choices

RATINGS = [(str(n), label) for n, label in ((5, "5: excellent"), (4, "4: good"), (3, "3: fair"), (2, "2: poor"), (1, "1: very poor"))]


class RequestForm(SiteForm):
    goals = TextAreaField(
        "What do you want to achieve?",
        validators=[Length(max=MAX_GOALS_LENGTH, message=f"Keep this to {MAX_GOALS_LENGTH:,} characters or fewer.")],
    )
    skill_ids = SelectMultipleField(
        "Skills you want help with", coerce=int,
        invalid_choice_message="Choose skills from the list.", invalid_value_message="Choose skills from the list.",
    )
    format = RadioField("How would you like to meet?", choices=as_choices(FORMATS.items()), default="either",
                        validators=[InputRequired("Choose how you would like to meet.")],
                        invalid_choice_message="Choose how you would like to meet.")
    agency_preference = RadioField("Where may your mentor work?", choices=as_choices(AGENCY_PREFERENCES.items()), default="either",
                                   validators=[InputRequired("Choose where your mentor may work.")],
                                   invalid_choice_message="Choose where your mentor may work.")

    def __init__(self, *args, topic_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.skill_ids.choices = as_choices(topic_choices)


class DeclineForm(SiteForm):
    reason = TextAreaField("Why can you not mentor them?", validators=[
        Length(max=MAX_REASON_LENGTH, message=f"Keep the reason to {MAX_REASON_LENGTH:,} characters or fewer.")])


class GoalsForm(SiteForm):
    goals = TextAreaField("The goals you agreed", validators=[
        Length(max=MAX_GOALS_LENGTH, message=f"Keep the goals to {MAX_GOALS_LENGTH:,} characters or fewer.")])
    check_in_days = RadioField("How often you check in", coerce=int, choices=as_choices(CHECK_IN_EVERY.items()), default=14,
                               invalid_choice_message="Choose how often you check in.")


class NoteForm(SiteForm):
    body = TextAreaField("Note", validators=[Length(max=MAX_NOTE_LENGTH, message=f"Keep a note to {MAX_NOTE_LENGTH:,} characters or fewer.")])


class EndForm(SiteForm):
    reason = TextAreaField("Why is it ending?", validators=[
        Length(max=MAX_REASON_LENGTH, message=f"Keep the reason to {MAX_REASON_LENGTH:,} characters or fewer.")])


class FeedbackForm(SiteForm):
    rating = RadioField("How did it go?", choices=as_choices(RATINGS), validators=[InputRequired("Choose a rating from 1 to 5.")],
                        invalid_choice_message="Choose a rating from 1 to 5.")
    comment = TextAreaField("Comment (optional)", validators=[Length(max=2000, message="Keep the comment to 2,000 characters or fewer.")])


class MentorSettingsForm(SiteForm):
    format = RadioField("How you mentor", choices=as_choices(FORMATS.items()), validators=[InputRequired("Choose how you mentor.")],
                        invalid_choice_message="Choose how you mentor.")
    paused = BooleanField("Pause: offer me to nobody new for now (my mentees stay)")


class ProgrammeForm(SiteForm):
    name = StringField("Name", validators=[Length(max=120, message="Keep the name to 120 characters or fewer.")])
    agency_id = SelectField("Agency", coerce=str, validators=[Optional()], invalid_choice_message="Choose an agency from the list.")
    stable = BooleanField("Make the matching stable (no newcomer and mentor who would both rather have each other)")

    def __init__(self, *args, agency_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.agency_id.choices = as_choices([("", "The whole site"), *agency_choices])


class MembersForm(SiteForm):
    newcomer_ids = SelectMultipleField("Newcomers", coerce=int, invalid_choice_message="Choose newcomers from the list.",
                                       invalid_value_message="Choose newcomers from the list.")
    mentor_ids = SelectMultipleField("Mentors", coerce=int, invalid_choice_message="Choose mentors from the list.",
                                     invalid_value_message="Choose mentors from the list.")


class AdjustForm(SiteForm):
    mentor_id = SelectField("Mentor", coerce=str, invalid_choice_message="Choose a mentor of this programme.")
