"""Exceptions that services raise and the app turns into pages or JSON errors."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that the rules refuse; the message is written for the person who made it."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: The form field the message belongs to, when there is one.
        self.field = field
        #: Every field with a problem and its message, when there are several (the first is also ``field``).
        self.fields = dict(fields) if fields else ({field: message} if field else {})


class PermissionDenied(ServiceError):
    """The actor may not do this."""

    status_code = 403


class Conflict(ServiceError):
    """The request clashes with what is already stored."""

    status_code = 409


class NotFound(ServiceError):
    """Nothing the actor may see is there: what they may not see is answered the same as what does not exist."""

    status_code = 404


class TooSoon(ServiceError):
    """The actor has done this too often just now; ``retry_after`` says in how many seconds they may again."""

    status_code = 429

    def __init__(self, message: str, retry_after: int = 60, field: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(message, field, fields)
        self.retry_after = max(int(retry_after), 1)
