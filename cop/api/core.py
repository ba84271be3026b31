"""What every part of the JSON API shares: the OpenAPI-documented Api, Bearer tokens, limits and pages.

A domain adds endpoints with a ``Blueprint`` from here (flask-smorest's: its marshmallow schemas both
validate requests and write the OpenAPI document), calls ``require_token("read" | "write")`` or
``caller()`` in its views, pages lists with ``ListArgs``/``paged``, and is registered in
``register_api`` below. Requests never authenticate with the session cookie, so the API needs no CSRF
token; errors are JSON (cop.site.errors), with every field's problem under ``fields``.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable, Optional
from urllib.parse import urlencode

import flask_smorest
from flask import Flask, current_app, g, request
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import BadRequest, Forbidden, RequestEntityTooLarge, Unauthorized

from cop.errors import ServiceError
from cop.extensions import csrf, db, limiter

#: Where the API lives; the OpenAPI document is openapi.json under it.
PREFIX = "/api/v1"
#: The largest body an API request may carry.
MAX_BODY = 1024 * 1024
#: The most items a list returns at once.
MAX_PER_PAGE = 100


class ApiErrorBody(Schema):
    """What every error answers."""

    status = fields.Integer(required=True)
    title = fields.String(required=True)
    message = fields.String(required=True)


class ApiError(Schema):
    """An error: its status and words, and what was wrong with each field (empty when no field is to blame)."""

    error = fields.Nested(ApiErrorBody, required=True)
    fields_ = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.String(), required=True,
        metadata={"description": 'Each field with a problem (nested ones as "sections.results"), and its message.'},
    )


class Api(flask_smorest.Api):
    """flask-smorest's Api, documenting cop's own error shape and leaving error pages to cop.site.errors.

    flask-smorest would otherwise answer every error in the app, HTML pages included, with its own JSON.
    """

    ERROR_SCHEMA = ApiError

    def _register_error_handlers(self) -> None:
        """cop.site.errors answers errors, as JSON under /api/."""

    # The document of every view is written the first time the spec is read, not when each blueprint is
    # registered: describing some seventy views takes longer than building the rest of the app, and most
    # apps (each test's, each worker that is never asked for /api/v1/openapi.json) never read it.

    @property
    def spec(self) -> Any:
        pending = self.__dict__.get("_undocumented")
        if pending:
            with _DOCUMENTING:
                pending, self._undocumented = self._undocumented, []
                for blueprint, name, parameters in pending:
                    blueprint.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                    self._spec.tag({"name": name, "description": blueprint.description})
        return self.__dict__.get("_spec")

    @spec.setter
    def spec(self, value: Any) -> None:
        self._spec = value
        self._undocumented: list[tuple[Any, str, Any]] = []

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        """Register a blueprint's routes now, and its views in the document when the document is first read."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))


#: One writer of the document at a time: two first readers at once would describe every view twice.
_DOCUMENTING = threading.Lock()


api = Api()


def configure(app: Flask) -> None:
    """Settings flask-smorest reads: the document at /api/v1/openapi.json, and no UI that loads from elsewhere."""
    app.config.setdefault("API_TITLE", "cop API")
    app.config.setdefault("API_VERSION", "1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault("OPENAPI_URL_PREFIX", PREFIX)
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": (
                    "Read case studies, events and the forum, and write with a personal token; mentoring needs one too. "
                    "Make a token at /account/tokens "
                    "and send it as `Authorization: Bearer <token>`. Errors are JSON: "
                    '`{"error": {"status", "title", "message"}, "fields": {...}}`.'
                )
            },
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "A personal token from /account/tokens."}
                }
            },
        },
    )


class Blueprint(flask_smorest.Blueprint):
    """An API blueprint: CSRF-exempt (no cookie counts here), limited per token, JSON bodies of at most 1 MiB."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        csrf.exempt(self)
        self.before_request(_read_request)


def _read_request() -> None:
    """Bound the body, read the Bearer token if there is one, and refuse a body that is not a JSON object."""
    request.max_content_length = MAX_BODY
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise RequestEntityTooLarge(f"Send at most {MAX_BODY // 1024} KiB.")
    _presented_token()
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        # Every write needs a write token, and who is asking is settled before what they sent is read.
        require_token("write")
    # A PUT or POST may carry no body at all (taking a place, or accepting a request, needs nothing more than
    # who is asking); one that needs fields says which are missing.
    sends_body = request.method == "PATCH" or (request.method in ("POST", "PUT") and bool(request.content_length))
    if sends_body:
        if not request.is_json:
            raise BadRequest("Send a JSON object, with Content-Type: application/json.")
        body = request.get_json(silent=True)
        if body is None:
            raise BadRequest("The body is not valid JSON.")
        if not isinstance(body, dict):
            raise BadRequest("Send a JSON object, not a list or a single value.")


def _presented_token() -> Any:
    """The working token the request carries (read once per request: the rate limit reads it first), or None.

    A malformed header, or a token that is unknown or revoked, is a 401.
    """
    if "api_token" in g:
        if g.api_token is None and g.get("api_token_problem"):
            raise _unauthorised(*g.api_token_problem)
        return g.api_token
    g.api_token = None
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        g.api_token_problem = ("invalid_request", "Send the token as: Authorization: Bearer <token>.")
        raise _unauthorised(*g.api_token_problem)
    from cop.api.services import authenticate

    token = authenticate(secret.strip())
    if token is None:
        g.api_token_problem = ("invalid_token", "The token is unknown or revoked. Make a new one at /account/tokens.")
        raise _unauthorised(*g.api_token_problem)
    g.api_token = token
    # Its last use is kept even when the request itself changes nothing.
    db.session.commit()
    return token


def _unauthorised(code: str, description: str) -> Unauthorized:
    error = Unauthorized(description)
    error.www_authenticate = []  # type: ignore[assignment]
    g.www_authenticate = f'Bearer realm="cop", error="{code}", error_description="{description}"'
    return error


def current_token() -> Any:
    """The working token this request carries, or None."""
    return getattr(g, "api_token", None)


def caller() -> Any:
    """The person whose token this request carries, or None."""
    token = getattr(g, "api_token", None)
    return token.user if token is not None else None


def require_token(scope: str) -> Any:
    """The person behind the request's token, which must allow ``scope``: 401 without one, 403 with too little."""
    token = getattr(g, "api_token", None)
    if token is None:
        g.www_authenticate = 'Bearer realm="cop"'
        raise Unauthorized("Send a personal API token: Authorization: Bearer <token>. Make one at /account/tokens.")
    if not token.allows(scope):
        g.www_authenticate = f'Bearer realm="cop", error="insufficient_scope", scope="{scope}"'
        raise Forbidden("This token may only read. Make a token that may write at /account/tokens.")
    return token.user


def token_required(scope: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A view that needs a token allowing ``scope``; checked before the body is read, so 401/403 come first.

    Place it between ``@bp.route`` and ``@bp.arguments``; the view finds the person with ``caller()``.
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            require_token(scope)
            return view(*args, **kwargs)

        return checked

    return decorate


def rate_limit_key() -> str:
    """API limits count per token, and per address for requests without a working one."""
    try:
        token = _presented_token()
    except Unauthorized:
        token = None
    return f"api-token:{token.id}" if token is not None else f"api-ip:{request.remote_addr}"


def api_rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


class ListArgs(Schema):
    """A list's page: ?page= and ?per_page=."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000, error="Pages run from 1 to 1,000,000."))
    per_page = fields.Integer(
        load_default=None, validate=validate.Range(min=1, max=MAX_PER_PAGE, error=f"Ask for 1 to {MAX_PER_PAGE} at a time.")
    )


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """The schema of a page of ``item_schema``: items, page, per_page, total and the next page's address."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "total": fields.Integer(required=True),
            "next": fields.String(allow_none=True, required=True, metadata={"description": "The next page's address, or null on the last."}),
        },
        name=f"{item_schema.__name__}Page",
    )


def paged(pagination: Any, items: list[Any], endpoint_args: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A page's body and its Link header: ``next`` keeps the request's other arguments."""
    next_url: Optional[str] = None
    if pagination.page < pagination.pages:
        args = {k: v for k, v in endpoint_args.items() if v not in (None, "")}
        args["page"] = pagination.page + 1
        next_url = f"{request.base_url}?{urlencode(args)}"
    body = {"items": items, "page": pagination.page, "per_page": pagination.per_page, "total": pagination.total, "next": next_url}
    return body, ({"Link": f'<{next_url}>; rel="next"'} if next_url else {})


def page_size(requested: Optional[int]) -> int:
    """How many items a page holds: what was asked, or the site's page size."""
    return requested or current_app.config["COP_PER_PAGE"]


def register_api(app: Flask, blueprints: tuple[flask_smorest.Blueprint, ...]) -> None:
    """Bind the Api to the app and register the domains' API blueprints, each limited per token."""
    configure(app)
    api.init_app(app)
    for blueprint in blueprints:
        limiter.limit(api_rate_limit, key_func=rate_limit_key)(blueprint)
        api.register_blueprint(blueprint)


#: What each error status means in any domain's API, unless the domain says it better.
ERROR_MEANINGS = {
    401: "No token, or one that is unknown or revoked.",
    403: "The token may only read, or its owner may not do this.",
    413: "The body is over 1 MiB.",
    422: "A field's value is wrong: see fields.",
}


def error_responses(blueprint: flask_smorest.Blueprint, meanings: dict[int, str]) -> Callable[..., Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """A decorator factory documenting a view's error answers: ``@errors(401, 404)``, in the API's error shape."""
    described = {**ERROR_MEANINGS, **meanings}

    def errors(*statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            for status in statuses:
                view = blueprint.alt_response(status, schema=api.ERROR_SCHEMA, description=described[status])(view)
            return view

        return decorate

    return errors


class Person(Schema):
    """A person as the API names them: their id, display name and profile page."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    url = fields.String(required=True)


def person_json(user: Any) -> Optional[dict[str, Any]]:
    """A person in the shape of ``Person``; None for an account that is gone."""
    if user is None:
        return None
    from cop.urls import external_url

    return {"id": user.id, "name": user.display_name, "url": external_url("accounts.person", user_id=user.id)}


def commit_or_refuse(action: Callable[[], Any], field_names: Optional[dict[str, str]] = None) -> Any:
    """Run a service that writes and commit what it did; a refusal rolls back and is answered in the API's shape."""
    try:
        result = action()
    except ServiceError as error:
        db.session.rollback()
        raise refusal(error, field_names or {}) from error
    db.session.commit()
    return result


def refusal(error: ServiceError, field_names: dict[str, str]) -> ServiceError:
    """A service's refusal as the API answers it: fields named as the API names them, and a value the rules
    refuse (a plain ServiceError) a 422, like the schemas' own checks."""
    renamed = {field_names.get(field, field): message for field, message in error.fields.items()}
    first = field_names.get(error.field, error.field) if error.field else None
    answer = type(error)(error.message, field=first, fields=renamed)
    if getattr(error, "retry_after", None):
        answer.retry_after = error.retry_after  # type: ignore[attr-defined]
    if type(error) is ServiceError:
        answer.status_code = 422
    return answer
