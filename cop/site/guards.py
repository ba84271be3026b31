"""What every request must be before any route reads it: text, in UTF-8, without NUL bytes.

PostgreSQL refuses NUL in text, and bytes that are not UTF-8 become replacement characters that
would be stored as if someone had typed them; both are refused here, once, with a clear 400.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import parse_qsl, unquote_to_bytes

from flask import Flask, current_app, request
from werkzeug.routing import IntegerConverter

#: The largest number a URL may carry: the largest id the tables hold (PostgreSQL's integer, 32 bits).
#: A larger one can name nothing, and PostgreSQL would refuse to compare it with an id column.
MAX_URL_INTEGER = 2**31 - 1

UNREADABLE = "We could not read what was sent"
UNREADABLE_MESSAGE = (
    "The address or form contained characters that are not text (a NUL byte, or bytes that are not UTF-8). "
    "Nothing was saved. Go back, check what you entered and try again."
)


class BoundedIntegerConverter(IntegerConverter):
    """<int:...> in every route, refusing numbers past any id: a URL with one matches nothing (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_URL_INTEGER)
        super().__init__(map, *args, **kwargs)


def _decodes(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def contains_nul(value: Any) -> bool:
    """True when a string, or any string inside lists and dicts (a JSON body), holds a NUL byte."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(key) or contains_nul(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(contains_nul(item) for item in value)
    return False


def _query_is_readable(query_string: bytes) -> bool:
    for pair in query_string.split(b"&"):
        decoded = unquote_to_bytes(pair.replace(b"+", b" "))
        if not _decodes(decoded) or b"\x00" in decoded:
            return False
    return True


def _form_is_readable() -> bool:
    if request.mimetype == "application/x-www-form-urlencoded":
        body = request.get_data(cache=True)
        if not _decodes(body):
            return False
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except (UnicodeDecodeError, ValueError):
            return False
        return not any(contains_nul(key) or contains_nul(value) for key, value in pairs)
    if request.mimetype == "multipart/form-data":
        return not any(contains_nul(value) or "\ufffd" in value for value in request.form.values())
    if request.is_json:
        # A body that is not JSON at all is the API's to answer; a JSON string may still hold \u0000.
        try:
            body = request.get_json(silent=True, cache=True)
            return body is None or not contains_nul(body)
        except RecursionError:
            # Nesting deep enough to exhaust the parser's recursion is no body anyone meant to send.
            return False
    return True


def reads_own_body(view: Any) -> Any:
    """Mark a view that reads and checks its raw body itself, so the guard leaves the body unread.

    The federation inboxes verify a signature over the exact bytes before anything parses them, and read no
    more than their own limit.
    """
    view.reads_own_body = True
    return view


def _view_reads_own_body() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "reads_own_body", False))


def unreadable_request() -> bool:
    """True when the path, the query or a form in this request is not readable text."""
    if "\x00" in request.path or not _query_is_readable(request.query_string):
        return True
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and not _view_reads_own_body() and not _form_is_readable():
        return True
    return False


def register(app: Flask) -> None:
    """Bound every <int:...> in the routes to real ids, and check each request before anything else reads it."""
    from cop.site.errors import error_response

    app.url_map.converters["int"] = BoundedIntegerConverter

    def refuse_unreadable_input() -> Optional[Any]:
        if unreadable_request():
            return error_response(400, UNREADABLE_MESSAGE, UNREADABLE)
        return None

    # First of all: before CSRF protection reads the form and mistakes bad bytes for an expired token.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unreadable_input)
