"""Slugs for URLs."""

from __future__ import annotations

import re
import unicodedata

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def slugify(text: str, max_length: int = 80) -> str:
    """Lower-case ASCII words joined by hyphens: 'Café Policy & Data' -> 'cafe-policy-data'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-")


def is_slug(text: str) -> bool:
    """True when text is already a well-formed slug."""
    return bool(SLUG_PATTERN.match(text))
