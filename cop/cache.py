"""Public pages as anonymous visitors see them, kept ready.

Most people who read the library, the directory and the feeds are not signed in, and every one of
them is shown the same page. A view marked with ``@public_page`` keeps the answer it gave an anonymous
visitor (no session or remember cookie, no Authorization header) and gives it to the next one, until
the content it was made from changes or ``COP_PAGE_CACHE_SECONDS`` pass, whichever comes first.
Anyone signed in always gets a page made for them.

What changes the content: the tables watched with ``watch()`` (case studies, agencies, people, the
taxonomy). Any commit that inserts, changes or deletes one of their rows moves the site's content
version on, after the commit and never on rollback; pages are stored under the version they were
made at, so every page made earlier stops being served at once, in every worker. The version and the
pages live in Redis when ``REDIS_URL`` is set and otherwise in files under the instance folder, which
every worker on the machine shares. When the store does not answer, pages are made afresh (one
warning in the log) and nothing else changes.

A page is kept only when it is a 200 that sets no cookie and did not touch the session (a page that
flashes a message or embeds a CSRF token is personal). Kept pages carry an ETag, so a feed reader or
browser that asks again with If-None-Match gets a 304.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import uuid
from typing import Any, Callable, Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import Flask, Response, current_app, has_app_context, request, session
from flask_caching import Cache

log = logging.getLogger(__name__)

cache = Cache()

#: The key of the content version every kept page is stored under.
VERSION_KEY = "content-version"
#: Response headers a kept page carries over; the rest (security headers, cookies) are added per request.
KEPT_HEADERS = ("Content-Type", "Link", "Content-Language")

#: Each watched model: the attributes whose changes no public page shows, and the scope its changes move on.
_watched: dict[type, tuple[frozenset[str], str]] = {}
#: Every scope a model is watched in; "site" is the one every kept page is made under.
_scopes: set[str] = {"site"}


def watch(*models: type, ignoring: Iterable[str] = (), scope: str = "site") -> None:
    """Commits that insert, change or delete rows of these models make every kept page of ``scope`` stale;
    a change to nothing but the attributes named in ``ignoring`` does not.

    Every kept page is made under the "site" scope; a page that also shows a busier kind of content (the forum,
    where people post all day) is kept under that scope too (``public_page(also=("forum",))``), so that a new
    post makes only those pages afresh, not every case study and event page.
    """
    _scopes.add(scope)
    for model in models:
        _watched[model] = (frozenset(ignoring), scope)


def init_app(app: Flask) -> None:
    """The store: Redis when configured, files under the instance folder otherwise, or none at all."""
    seconds = app.config["COP_PAGE_CACHE_SECONDS"]
    config: dict[str, Any] = {"CACHE_DEFAULT_TIMEOUT": seconds, "CACHE_KEY_PREFIX": app.config["COP_CACHE_PREFIX"] + ":"}
    if not seconds:
        config.update(CACHE_TYPE="NullCache", CACHE_NO_NULL_WARNING=True)
    elif app.config["REDIS_URL"]:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=app.config["REDIS_URL"])
    else:
        # Room for every event's VEVENT in several states beside the pages: past this, the store drops
        # entries at random, feeds included.
        config.update(CACHE_TYPE="FileSystemCache", CACHE_DIR=app.config["COP_PAGE_CACHE_DIR"], CACHE_THRESHOLD=100_000)
    cache.init_app(app, config=config)
    app.extensions["cop.page_cache"] = {"warned": False}


def _store_failed(what: str, exc: Exception) -> None:
    state = current_app.extensions["cop.page_cache"]
    if not state["warned"]:
        state["warned"] = True
        log.warning("the page cache could not %s (%s); pages are made afresh until it answers", what, exc)


def _get(key: str) -> Any:
    try:
        return cache.get(key)
    except Exception as exc:  # noqa: BLE001 - a cache that does not answer must never stop a page
        _store_failed("be read", exc)
        return None


def _set(key: str, value: Any) -> None:
    try:
        cache.set(key, value)
    except Exception as exc:  # noqa: BLE001
        _store_failed("be written", exc)


def _version_key(scope: str) -> str:
    return VERSION_KEY if scope == "site" else f"{VERSION_KEY}:{scope}"


def content_changed(*scopes: str) -> None:
    """Stop serving the kept pages of these scopes (of every scope when none is named): the next anonymous
    visitor to each gets it made afresh."""
    if not has_app_context() or "cop.page_cache" not in current_app.extensions:
        return
    try:
        for scope in scopes or tuple(_scopes):
            # No expiry: a version that lapsed would bring back pages kept under an earlier one.
            cache.set(_version_key(scope), uuid.uuid4().hex, timeout=0)
    except Exception as exc:  # noqa: BLE001
        _store_failed("be told of a change", exc)


def _anonymous() -> bool:
    config = current_app.config
    return (
        request.method in ("GET", "HEAD")
        and "Authorization" not in request.headers
        and config["SESSION_COOKIE_NAME"] not in request.cookies
        and config["REMEMBER_COOKIE_NAME"] not in request.cookies
    )


def _key(version: str) -> str:
    return f"page:{version}:{request.host}:{request.script_root}{request.full_path}"


def _answer(status: int, body: bytes, headers: Iterable[tuple[str, str]], etag: str) -> Response:
    response = Response(body, status=status, headers=list(headers))
    response.set_etag(etag)
    response.vary.update(("Cookie", "Authorization"))
    return response.make_conditional(request)


def content_version() -> str | None:
    """The site's content version: it moves on after every commit that changes a watched model, in any
    worker; None when the store does not answer (then nothing can be kept)."""
    return _version()


def _version(also: Iterable[str] = ()) -> str | None:
    """The content version pages are kept under (the site's, and that of each scope in ``also``); a new one for a
    scope the store has none of (first start, or evicted)."""
    try:
        versions = []
        for scope in ("site", *also):
            key = _version_key(scope)
            version = cache.get(key)
            if version is None:
                # Never fall back to a fixed value: pages kept under it before an eviction would come back.
                cache.add(key, uuid.uuid4().hex, timeout=0)
                version = cache.get(key)
            if version is None:
                return None
            versions.append(version)
        return "+".join(versions)
    except Exception as exc:  # noqa: BLE001 - a cache that does not answer must never stop a page
        _store_failed("be read", exc)
        return None


def public_page(view: Callable[..., Any] | None = None, *, also: tuple[str, ...] = ()) -> Any:
    """Serve this view's anonymous answers from the page cache (see the module's notes); ``also`` names the scopes
    besides the site's whose changes make them stale (``@public_page(also=("forum",))``)."""
    if view is None:
        return functools.partial(public_page, also=also)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        version = _version(also) if _anonymous() else None
        if version is None:
            return view(*args, **kwargs)
        key = _key(version)
        kept = _get(key)
        if kept is not None:
            status, body, headers, etag = kept
            return _answer(status, body, headers, etag)
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code != 200 or response.direct_passthrough or session.modified or "Set-Cookie" in response.headers:
            return response
        body = response.get_data()
        etag = hashlib.blake2b(body, digest_size=16).hexdigest()
        headers = [(name, value) for name, value in response.headers.items() if name in KEPT_HEADERS]
        _set(key, (response.status_code, body, headers, etag))
        return _answer(response.status_code, body, headers, etag)

    return wrapper


def shared_part(name: str, make: Callable[[], Any], also: tuple[str, ...] = ()) -> Any:
    """A part of a page that is the same for everyone who may see the page, signed in or not (a list of case
    studies with its filters, a story's text), made once per content version and address and kept beside the
    pages: a signed-in person's page is then made of this and only the parts that are theirs. ``make`` must
    return a value that pickles and holds nothing personal: no form token, no name, no message. ``also`` as for
    public_page."""
    version = _version(also)
    if version is None:
        return make()
    key = f"part:{version}:{name}:{request.host}:{request.script_root}{request.full_path}"
    kept = _get(key)
    if kept is not None:
        return kept
    touched = session.modified
    made = make()
    if session.modified and not touched:
        return made  # it flashed a message or made a form token: personal after all
    _set(key, made)
    return made


# ------------------------------------------------------------- what changes the content


@sa.event.listens_for(so.Session, "after_flush")
def _note_changes(session: so.Session, _context: Any) -> None:
    if not _watched:
        return
    changed: set[str] = session.info.setdefault("content_changed", set())
    for obj in (*session.new, *session.deleted):
        watched = _watched.get(type(obj))
        if watched is not None:
            changed.add(watched[1])
    for obj in session.dirty:
        watched = _watched.get(type(obj))
        if watched is None or watched[1] in changed:
            continue
        ignored, scope = watched
        state = sa.inspect(obj)
        if any(attr.history.has_changes() for attr in state.attrs if attr.key not in ignored):
            changed.add(scope)


@sa.event.listens_for(so.Session, "after_commit")
def _after_commit(session: so.Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: nothing is committed yet
    changed = session.info.pop("content_changed", None)
    if changed:
        content_changed(*sorted(changed))


@sa.event.listens_for(so.Session, "after_soft_rollback")
def _after_rollback(session: so.Session, previous: Any) -> None:
    if not previous.nested:
        session.info.pop("content_changed", None)
