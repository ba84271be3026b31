"""Exceptions that services raise and the app turns into pages or JSON errors."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that the rules refuse; the message is written for the person who made it."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: The form field the message belongs to, when there is one.
        self.field = field


class PermissionDenied(ServiceError):
    """The actor may not do this."""

    status_code = 403


class Conflict(ServiceError):
    """The request clashes with what is already stored."""

    status_code = 409
