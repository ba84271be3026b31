"""Forms for listing events, changing their status, registering and booking: field checks only."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from wtforms import BooleanField, DateTimeLocalField, EmailField, IntegerField, RadioField, SelectField, SelectMultipleField, StringField
from wtforms import TextAreaField, URLField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from cop.accounts.models import LEVELS
from cop.events.models import CURRENCIES, KINDS, MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH, MONTHLY_BY, REPEATS
from cop.forms import DayField, SiteForm
from cop.web import as_choices


class LocalTimeField(DateTimeLocalField):
    """A wall-clock time from the browser's picker (YYYY-MM-DDTHH:MM), with the site's own message."""

    def __init__(self, label: str, message: str, **kwargs: Any) -> None:
        super().__init__(label, validators=[Optional()], format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(self.message) from error


class OptionalNumberField(StringField):
    """A whole number, or nothing; the message names the field."""

    def __init__(self, label: str, message: str, **kwargs: Any) -> None:
        super().__init__(label, render_kw={"inputmode": "numeric", "spellcheck": "false"}, **kwargs)
        self.message = message
        self.number: int | None = None

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        raw = (self.data or "").strip().replace(",", "")
        self.number = None
        if raw:
            if not re.fullmatch(r"-?\d{1,9}", raw):
                raise ValueError(self.message)
            self.number = int(raw)


class CoordinateField(StringField):
    """A latitude or longitude in decimal degrees, or nothing."""

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        raw = (self.data or "").strip()
        self.number: float | None = None
        if raw:
            if not re.fullmatch(r"-?\d{1,3}(\.\d{1,8})?", raw):
                raise ValueError(f"Enter the {self.label.text.lower()} in decimal degrees, like 53.7997.")
            self.number = float(raw)


class EventForm(SiteForm):
    """Everything an event holds."""

    title = StringField("Title", validators=[
        DataRequired("Enter a title."),
        Length(max=MAX_TITLE_LENGTH, message=f"The title must be {MAX_TITLE_LENGTH} characters or fewer."),
    ])
    kind = RadioField("Kind of event", choices=as_choices(KINDS.items()), invalid_choice_message="Choose what kind of event this is.",
                      validators=[DataRequired("Choose what kind of event this is.")])
    level = RadioField("Course level", choices=as_choices(LEVELS.items()), validators=[Optional()],
                       invalid_choice_message="Choose the course's level: 101, 202 or 303.")
    prerequisites = SelectMultipleField("Courses to do first", choices=[], invalid_choice_message="Choose courses from the list.")
    description = TextAreaField("Description", validators=[
        Length(max=MAX_DESCRIPTION_LENGTH, message=f"The description must be {MAX_DESCRIPTION_LENGTH:,} characters or fewer."),
    ])
    time_zone = SelectField("Time zone", choices=[], validate_choice=False, invalid_choice_message="Choose a time zone from the list.")
    all_day = BooleanField("It runs for whole days (no start and end times)")
    starts = LocalTimeField("Starts", "Enter when it starts as a date and time, like 2026-12-01 10:00.")
    ends = LocalTimeField("Ends", "Enter when it ends as a date and time, like 2026-12-01 16:00.")
    start_date = DayField("First day", "Enter the first day as a real date, like 2026-12-01.")
    end_date = DayField("Last day", "Enter the last day as a real date, like 2026-12-02.")
    venue_name = StringField("Venue", validators=[Length(max=200, message="The venue must be 200 characters or fewer.")])
    venue_address = TextAreaField("Address", validators=[Length(max=500, message="The address must be 500 characters or fewer.")])
    latitude = CoordinateField("Latitude")
    longitude = CoordinateField("Longitude")
    online_url = StringField("Online link", validators=[Length(max=500, message="The link must be 500 characters or fewer.")])
    capacity = OptionalNumberField("Places", "Enter the number of places as a whole number, or leave it empty for no limit.")
    price = StringField("Price", validators=[Length(max=20, message="Enter the price as an amount such as 25 or 25.50.")])
    currency = SelectField("Currency", choices=as_choices((code, f"{code} ({symbol})") for code, symbol in CURRENCIES.items()),
                           invalid_choice_message="Choose a currency from the list.")
    payment_details = StringField("How to pay", validators=[Length(max=500, message="Keep how to pay to 500 characters or fewer.")])
    registration_open = BooleanField("Registration is open", default=True)
    contact_email = EmailField("Contact email", validators=[Length(max=254, message="The contact address is too long.")])
    topics = SelectMultipleField("Topics and skills", coerce=int, choices=[],
                                 invalid_choice_message="Choose topics from the list.", invalid_value_message="Choose topics from the list.")
    repeat = RadioField("Repeats", choices=as_choices([("", "Does not repeat"), *REPEATS.items()]), default="",
                        invalid_choice_message="Choose how often the event repeats.")
    repeat_interval = OptionalNumberField("Every how many weeks or months", "Enter a whole number from 1 to 12.")
    repeat_monthly_by = RadioField("Monthly on", choices=as_choices(MONTHLY_BY.items()), default="weekday",
                                   invalid_choice_message="Choose how a monthly event falls.")
    repeat_until = DayField("Last date", "Enter the series' last date as a real date, like 2027-06-30.")
    skipped_dates = TextAreaField("Dates it does not happen", validators=[Length(max=2000, message="Too many dates.")])

    def skipped_days(self) -> list[date]:
        """The skipped dates, one per line or separated by commas; a bad one is the field's error."""
        days = []
        for part in re.split(r"[\s,]+", self.skipped_dates.data or ""):
            if not part:
                continue
            try:
                days.append(datetime.strptime(part, "%Y-%m-%d").date())
            except ValueError as error:
                raise ValueError(f"{part!r} is not a date. Write each as 2026-12-25.") from error
        return days


class StatusForm(SiteForm):
    """Postpone, cancel or put back on an event, with the reason attendees see."""

    status = RadioField("What is happening", choices=as_choices([("postponed", "Postponed"), ("cancelled", "Cancelled"), ("scheduled", "Back on as planned")]),
                        validators=[DataRequired("Choose what is happening to the event.")],
                        invalid_choice_message="Choose what is happening to the event.")
    reason = TextAreaField("Why (attendees are shown this)", validators=[Length(max=500, message="Keep the reason to 500 characters or fewer.")])


class SlotsForm(SiteForm):
    """A run of back-to-back surgery slots."""

    starts = LocalTimeField("First slot starts", "Enter when the first slot starts as a date and time, like 2026-12-01 10:00.")
    minutes = IntegerField("Minutes each", default=20, invalid_value_message="Enter how long each slot lasts as a whole number of minutes.", validators=[
        DataRequired("Enter how long each slot lasts, in minutes."),
        NumberRange(5, 240, "A slot lasts from 5 to 240 minutes."),
    ])
    count = IntegerField("How many slots", default=6, invalid_value_message="Enter how many slots as a whole number.", validators=[
        DataRequired("Enter how many slots to offer."),
        NumberRange(1, 60, "Offer from 1 to 60 slots at a time."),
    ])


class BookingForm(SiteForm):
    """What a newcomer wants help with, for the host to prepare."""

    note = TextAreaField("What would you like help with?", validators=[
        DataRequired("Say in a line or two what you would like help with, so the host can prepare."),
        Length(max=1000, message="Keep the note to 1,000 characters or fewer."),
    ])


class ImportForm(SiteForm):
    """Another calendar's address, for an agency to import."""

    url = URLField("Calendar address", validators=[
        DataRequired("Enter the calendar's address."),
        Length(max=500, message="The address must be 500 characters or fewer."),
    ])


class OccurrenceForm(SiteForm):
    """One date of a repeating event: moved, or called off, with why."""

    starts = LocalTimeField("Starts", "Enter when it starts as a date and time, like 2026-12-01 10:00.")
    ends = LocalTimeField("Ends", "Enter when it ends as a date and time, like 2026-12-01 16:00.")
    cancelled = BooleanField("Call this date off")
    note = TextAreaField("Why (attendees are shown this)", validators=[Length(max=500, message="Keep it to 500 characters or fewer.")])


class PitchForm(SiteForm):
    """A session someone will host at a BarCamp or unconference."""

    title = StringField("Session title", validators=[
        DataRequired("Give your session a title."), Length(max=150, message="The title must be 150 characters or fewer."),
    ])
    summary = TextAreaField("What it is about", validators=[Length(max=1000, message="Keep the summary to 1,000 characters or fewer.")])


class RoomForm(SiteForm):
    name = StringField("Room", validators=[DataRequired("Name the room."), Length(max=100, message="The name must be 100 characters or fewer.")])
    capacity = IntegerField("Holds how many people", invalid_value_message="Enter how many people the room holds as a whole number.",
                            validators=[DataRequired("Enter how many people the room holds."), NumberRange(1, 10_000, "A room holds from 1 to 10,000 people.")])


class TimeForm(SiteForm):
    starts = LocalTimeField("Starts", "Enter when it starts as a date and time, like 2026-12-01 10:00.")
    ends = LocalTimeField("Ends", "Enter when it ends as a date and time, like 2026-12-01 10:45.")


class PlaceForm(SiteForm):
    """Where the organiser puts a session by hand."""

    room = SelectField("Room", choices=[], validate_choice=False, invalid_choice_message="Choose a room from the list.")
    slot = SelectField("Time", choices=[], validate_choice=False, invalid_choice_message="Choose a time from the list.")


class NotesForm(SiteForm):
    notes = TextAreaField("Notes from the session", validators=[Length(max=20_000, message="Keep the notes to 20,000 characters or fewer.")])
