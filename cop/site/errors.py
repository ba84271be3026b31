"""Friendly error pages, and JSON errors for API clients."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from cop.errors import ServiceError
from cop.extensions import db

log = logging.getLogger(__name__)

#: Title and explanation for each status a person may meet.
MESSAGES = {
    401: ("Authentication needed", "Send a working personal API token: Authorization: Bearer <token>."),
    400: ("There was a problem with your request", "Something in the request was not right. Go back, check what you entered and try again."),
    403: ("You do not have permission to see this page", "Your account is not allowed to do this. If you think it should be, contact the site's admins."),
    404: ("Page not found", "If you typed the web address, check it is correct. If you pasted it, check you copied the whole address."),
    405: ("That is not something this page can do", "Go back and use the page's own buttons and links."),
    409: ("That clashes with something already here", "Go back and check what you entered."),
    413: ("What you sent is too large", "Send something smaller."),
    415: ("That is not a kind of content this page reads", "Send JSON, with Content-Type: application/json."),
    422: ("Some values are not right", "Check each field named in fields."),
    429: ("Too many attempts", "You have tried this too many times in a short while. Wait a minute, then try again."),
    500: ("Sorry, there is a problem with the service", "Try again later. What you had saved before is safe."),
}


def _wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def flatten(messages: Any, prefix: str = "") -> dict[str, str]:
    """Validation messages as {field: first message}; nested fields dotted ("sections.results", "authors.0")."""
    found: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            found.update(flatten(value, f"{prefix}{key}." if key not in ("_schema",) else prefix))
    elif isinstance(messages, (list, tuple)) and messages and all(isinstance(m, str) for m in messages):
        found[prefix.rstrip(".") or "_body"] = messages[0]
    elif isinstance(messages, str):
        found[prefix.rstrip(".") or "_body"] = messages
    return found


def error_response(
    code: int, message: str | None = None, title: str | None = None, fields: dict[str, str] | None = None
) -> Response:
    """A page, or a JSON error for API clients, explaining a status code."""
    default_title, default_message = MESSAGES.get(code, MESSAGES[400] if code < 500 else MESSAGES[500])
    title = title or default_title
    message = message or default_message
    if _wants_json():
        response = jsonify(error={"status": code, "title": title, "message": message}, fields=fields or {})
        challenge = g.get("www_authenticate")
        if challenge and code in (401, 403):
            response.headers["WWW-Authenticate"] = challenge
    else:
        response = make_response(render_template("errors/error.html", code=code, title=title, message=message))
    response.status_code = code
    return response


def register(app: Flask) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(CSRFError)
    def csrf_expired(error: CSRFError):
        return error_response(
            400,
            "The form you sent had expired or came from another site. Go back, reload the page and send it again. "
            "Nothing was changed.",
            "Your form had expired",
        )

    @app.errorhandler(ServiceError)
    def service_refused(error: ServiceError):
        db.session.rollback()
        response = error_response(error.status_code, error.message, fields=error.fields)
        if getattr(error, "retry_after", None):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        if code >= 500:
            db.session.rollback()
        message = None
        if error.description and error.description != type(error).description and (code == 404 or request.path.startswith("/api/")):
            message = error.description
        # webargs (the API's request parser) puts each field's messages here; "json" or "query" is where it looked.
        messages = (getattr(error, "data", None) or {}).get("messages")
        fields = {}
        if isinstance(messages, dict):
            for place in messages.values():
                fields.update(flatten(place))
        if code == 400 and fields.get("_body") == "Invalid JSON body.":
            message, fields = "The body is not valid JSON.", {}
        response = error_response(code, message, fields=fields)
        if code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return http_error(error)
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)
