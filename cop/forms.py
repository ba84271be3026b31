"""The base every form derives from, and fields and checks in the site's own words.

Forms check fields only; rules that span objects live in services.
"""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from wtforms import DateField, Field
from wtforms.validators import Optional, ValidationError

#: What a person sees when an email address field cannot be an address.
EMAIL_FORMAT_MESSAGE = "Enter an email address in the correct format, like name@council.gov.uk."


class SiteForm(FlaskForm):
    """A form that reports at most one problem per field, the first found, as GOV.UK's pattern asks.

    A value that cannot be read at all (letters for a number) is reported before any rule about it.

    A form does not carry or check a CSRF token of its own: the site's CSRFProtect (cop.extensions.csrf) checks
    the token of every POST before any view runs, and refuses one without it as a form that had expired. Each
    form's template puts the request's token in with csrf(form) (cop.form_markup).
    """

    class Meta:
        csrf = False

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if len(field.errors) > 1:
                field.errors = list(field.errors[:1])
        return valid


class DayField(DateField):
    """A date from the browser's date picker (YYYY-MM-DD), with the site's own message when it is not one."""

    def __init__(self, label: str, message: str, **kwargs: Any) -> None:
        super().__init__(label, validators=[Optional()], **kwargs)
        self.message = message

    def process_formdata(self, valuelist: list[str]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(self.message) from error


class EmptyForm(SiteForm):
    """A form with no fields, for buttons that post: its template gives it the token with csrf(form)."""


class EmailAddress:
    """An email address as the email-validator package reads it, without looking up its domain."""

    field_flags = {"email": True}

    def __init__(self, message: str = EMAIL_FORMAT_MESSAGE) -> None:
        self.message = message

    def __call__(self, form: SiteForm, field: Field) -> None:
        if not field.data:
            return
        try:
            validate_email(field.data.strip(), check_deliverability=False)
        except EmailNotValidError as exc:
            raise ValidationError(self.message) from exc
