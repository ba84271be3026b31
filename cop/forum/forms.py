"""Forms for the forum and its moderators: field checks only; the rules live in the services."""

from __future__ import annotations

from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from cop.forms import DayField, SiteForm
from cop.forum.models import (
    ACTION_REASONS, FLAG_REASONS, MAX_APPEAL_LENGTH, MAX_POST_LENGTH, MAX_REASON_NOTE_LENGTH, MAX_TITLE_LENGTH, SLOW_MODE_CHOICES,
    TRUST_LEVELS, VISIBILITIES, WATCHED_WORD_ACTIONS,
)
from cop.web import as_choices

_NOTE = Length(max=MAX_REASON_NOTE_LENGTH, message=f"Keep the note to {MAX_REASON_NOTE_LENGTH:,} characters or fewer.")
#: The reasons a moderator picks from when acting (the forum's own are not offered).
MODERATOR_REASONS = {k: v for k, v in ACTION_REASONS.items() if k not in ("new_member", "watched_word", "community_flags", "appeal", "accepted")}


class ThreadForm(SiteForm):
    title = StringField("Title", validators=[Length(max=MAX_TITLE_LENGTH, message=f"The title must be {MAX_TITLE_LENGTH} characters or fewer.")])
    body = TextAreaField("Your post", description="Markdown: **bold**, _italic_, [links](https://…), > quotes, `code`. Mention someone as @TheirName.")


class PostForm(SiteForm):
    # The length is checked by the service, which says how long the post is.
    body = TextAreaField("Your reply", description="Markdown: **bold**, _italic_, [links](https://…), > quotes, `code`. Mention someone as @TheirName.")
    quoted_post_id = HiddenField()


class EditForm(SiteForm):
    body = TextAreaField("The post")
    reason = StringField("Why you edit it (the author is told)", validators=[_NOTE])


class FlagForm(SiteForm):
    reason = RadioField("Why should a moderator look at this post?", choices=as_choices(FLAG_REASONS.items()),
                        validators=[InputRequired("Choose why you flag the post.")], invalid_choice_message="Choose why you flag the post.")
    note = TextAreaField("Anything the moderators should know", validators=[_NOTE])


class WatchForm(SiteForm):
    watch = HiddenField()


class DigestForm(SiteForm):
    wants_digest = BooleanField("Send me a daily email of what is new in the threads and categories I watch")


class CategoryForm(SiteForm):
    name = StringField("Name")
    description = TextAreaField("What it is for", validators=[Length(max=2000, message="Keep it to 2,000 characters or fewer.")])
    visibility = RadioField("Who can see it", choices=as_choices(VISIBILITIES.items()), default="public",
                            validators=[InputRequired("Choose who can see it.")], invalid_choice_message="Choose who can see it.")
    agency_id = SelectField("Agency (for a category only its members see)", coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                            validate_choice=False, invalid_choice_message="Choose one of the options.")
    position = IntegerField("Position on the forum's page (lowest first)", default=0, validators=[Optional()],
                            invalid_value_message="Enter the position as a whole number, like 3.")


class ModeratePostForm(SiteForm):
    action = SelectField("Action", choices=as_choices([("approve", "Approve"), ("reject", "Reject"), ("hide", "Hide"),
                                                        ("restore", "Restore"), ("dismiss", "Dismiss the flags")]),
                         validate_choice=False, invalid_choice_message="Choose one of the options.")
    reason = SelectField("Reason", choices=as_choices(MODERATOR_REASONS.items()), validate_choice=False, invalid_choice_message="Choose one of the options.")
    note = StringField("Note to the member", validators=[_NOTE])
    next = HiddenField()


class ModerateThreadForm(SiteForm):
    action = SelectField("Action", choices=as_choices([("lock", "Lock"), ("unlock", "Unlock"), ("pin", "Pin"), ("unpin", "Unpin"),
                                                        ("move", "Move"), ("slow", "Slow mode")]), validate_choice=False, invalid_choice_message="Choose one of the options.")
    category_id = SelectField("Move to", coerce=lambda v: int(v) if str(v or "").isdigit() else None, validate_choice=False, invalid_choice_message="Choose one of the options.")
    seconds = SelectField("Slow mode", choices=as_choices((str(k), v) for k, v in SLOW_MODE_CHOICES.items()), validate_choice=False, invalid_choice_message="Choose one of the options.")
    reason = SelectField("Reason", choices=as_choices(MODERATOR_REASONS.items()), validate_choice=False, invalid_choice_message="Choose one of the options.")
    note = StringField("Note", validators=[_NOTE])


class SlowModeForm(SiteForm):
    seconds = SelectField("Slow mode for the whole category", choices=as_choices((str(k), v) for k, v in SLOW_MODE_CHOICES.items()),
                          validate_choice=False, invalid_choice_message="Choose one of the options.")
    note = StringField("Note", validators=[_NOTE])


class ScheduleForm(SiteForm):
    titles = TextAreaField("Topics, one per line, in order", description="Each opens a week after the one before.")
    first_day = DayField("The day the first topic opens", "Enter the day as a date, like 2027-01-11.")
    intro = TextAreaField("The opening post of each topic", validators=[Length(max=MAX_POST_LENGTH, message=f"Keep it to {MAX_POST_LENGTH:,} characters or fewer.")])


class RestrictForm(SiteForm):
    kind = RadioField("Action", choices=as_choices([("suspend", "Suspend: no posting or flagging for some days"),
                                                     ("silence", "Silence: may read, not post")]),
                      validators=[InputRequired("Choose to suspend or to silence.")], invalid_choice_message="Choose to suspend or to silence.")
    days = IntegerField("For how many days (leave empty to silence until lifted)", invalid_value_message="Enter the days as a whole number, like 7.", validators=[
        Optional(), NumberRange(min=1, max=3650, message="Enter a number of days from 1 to 3650.")])
    reason = SelectField("Reason", choices=as_choices(MODERATOR_REASONS.items()), validate_choice=False, invalid_choice_message="Choose one of the options.")
    note = StringField("What the member is shown", validators=[_NOTE])


class TrustForm(SiteForm):
    level = SelectField("Trust level", choices=as_choices((str(k), v) for k, v in TRUST_LEVELS.items()), validate_choice=False, invalid_choice_message="Choose one of the options.")
    note = StringField("Note", validators=[_NOTE])


class NoteForm(SiteForm):
    note = StringField("Note", validators=[_NOTE])


class WatchedWordForm(SiteForm):
    phrase = StringField("Word or phrase", validators=[Length(max=100, message="Keep it to 100 characters or fewer.")])
    action = RadioField("What it does to a post", choices=as_choices(WATCHED_WORD_ACTIONS.items()), default="hold",
                        validators=[InputRequired("Choose what the word does.")], invalid_choice_message="Choose what the word does.")


class AppealForm(SiteForm):
    statement = TextAreaField("Why should this be undone?", validators=[
        Length(max=MAX_APPEAL_LENGTH, message=f"Keep your appeal to {MAX_APPEAL_LENGTH:,} characters or fewer.")])


class DecideForm(SiteForm):
    outcome = RadioField("Decision", choices=as_choices([("uphold", "Uphold: undo the action"), ("deny", "Turn it down")]),
                         validators=[InputRequired("Choose a decision.")], invalid_choice_message="Choose a decision.")
    note = StringField("Note to the member (needed when you turn it down)", validators=[_NOTE])


class PeriodForm(SiteForm):
    start = DayField("From", "Enter the first day as a date, like 2026-11-01.")
    end = DayField("To", "Enter the last day as a date, like 2026-11-30.")
