"""Absolute links to this site, built from COP_BASE_URL, with or without a request."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def _adapter():
    base = urlsplit(current_app.config["COP_BASE_URL"])
    return current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)


def external_url(endpoint: str, **values: Any) -> str:
    """The public URL of an endpoint, as mail and feeds must give it."""
    return _adapter().build(endpoint, values, force_external=True)


def site_path(endpoint: str, **values: Any) -> str:
    """The path of an endpoint on this site, with or without a request (for links kept in the database)."""
    return _adapter().build(endpoint, values, force_external=False)


def is_safe_next(target: str | None) -> bool:
    """True for a path on this site; false for other hosts, schemes and protocol-relative tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
