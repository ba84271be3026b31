"""Settings, read from the environment and nowhere else."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any, Mapping

from email_validator import EmailNotValidError, validate_email

#: Environments the app knows; anything else is refused at start.
ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """The environment asks for something the app cannot run with."""


def _flag(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


#: What COP_MATCHING_WEIGHTS may set: the shares of a match's similarity (skills, interests, the words of goals and
#: bios) and the bonuses of the soft preferences (cop.matching.engine.Weights).
MATCHING_WEIGHTS = ("skills", "interests", "text", "agency", "time_zone", "country", "format")


def _weights(env: Mapping[str, str]) -> dict[str, float]:
    """COP_MATCHING_WEIGHTS, such as ``agency=0.1,time_zone=0``: only the weights it names change."""
    raw = (env.get("COP_MATCHING_WEIGHTS") or "").strip()
    found: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        name, _, value = part.partition("=")
        name = name.strip()
        if name not in MATCHING_WEIGHTS:
            raise ConfigError(f"COP_MATCHING_WEIGHTS names {name!r}; it may set {', '.join(MATCHING_WEIGHTS)}")
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not 0 <= number <= 10:
            raise ConfigError(f"COP_MATCHING_WEIGHTS: {name} must be a number from 0 to 10, not {value.strip()!r}")
        found[name] = number
    if {"skills", "interests", "text"} <= found.keys() and not (found["skills"] or found["interests"] or found["text"]):
        raise ConfigError("COP_MATCHING_WEIGHTS: skills, interests and text cannot all be 0")
    return found


def database_url(raw: str) -> str:
    """Normalise a DATABASE_URL so PostgreSQL always goes through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def _development_secret(instance_path: Path) -> str:
    """Keep one random key per development instance so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def instance_path_from(env: Mapping[str, str]) -> str | None:
    """The instance folder named by COP_INSTANCE_PATH, if any."""
    raw = env.get("COP_INSTANCE_PATH")
    return str(Path(raw).expanduser().resolve()) if raw else None


def load_config(instance_path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    env = os.environ if env is None else env
    environment = env.get("COP_ENV", "production")
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"COP_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}")
    production = environment == "production"
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)

    secret = env.get("COP_SECRET_KEY", "")
    if not secret:
        if production:
            raise ConfigError(
                "COP_SECRET_KEY is not set. Production refuses to start without a secret key: "
                "set COP_SECRET_KEY to a long random string (python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        secret = _development_secret(instance)

    contact_email = (env.get("COP_CONTACT_EMAIL") or "").strip()
    if contact_email:
        try:
            validate_email(contact_email, check_deliverability=False)
        except EmailNotValidError as exc:
            raise ConfigError(f"COP_CONTACT_EMAIL must be an email address, not {contact_email!r}") from exc
    elif production:
        raise ConfigError(
            "COP_CONTACT_EMAIL is not set. Production refuses to start without it: the accessibility statement "
            "tells people where to write when they cannot use a page. Set it to an address the site's team reads."
        )

    redis_url = env.get("REDIS_URL") or None
    db_url = database_url(env.get("DATABASE_URL") or f"sqlite:///{instance / 'cop.sqlite3'}")
    smtp_host = env.get("COP_MAIL_SERVER") or None

    return {
        "COP_ENV": environment,
        "SECRET_KEY": secret,
        "TESTING": environment == "testing",
        "COP_BASE_URL": (env.get("COP_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "COP_SITE_NAME": env.get("COP_SITE_NAME", "cop"),
        #: Where people write about the site (the accessibility statement); required in production.
        "COP_CONTACT_EMAIL": contact_email,
        # Storage
        "SQLALCHEMY_DATABASE_URI": db_url,
        # A database host that does not answer fails a connection in seconds, not the system's minutes.
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 5}} if db_url.startswith("postgresql") else {},
        #: A pooled connection idle for longer than this many seconds is pinged before use (0: every time).
        "DATABASE_PING_AFTER_IDLE": _int(env, "COP_DATABASE_PING_AFTER_IDLE", 10),
        "REDIS_URL": redis_url,
        # Tasks: SqliteHuey in the instance folder unless Redis is configured.
        "TASKS_IMMEDIATE": _flag(env.get("COP_TASKS_IMMEDIATE"), default=False),
        "TASKS_SQLITE_PATH": str(instance / "tasks.sqlite3"),
        # Mail: SMTP when a server is named, otherwise the outbox table only.
        "MAIL_SERVER": smtp_host,
        "MAIL_PORT": _int(env, "COP_MAIL_PORT", 587),
        "MAIL_USERNAME": env.get("COP_MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("COP_MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _flag(env.get("COP_MAIL_USE_TLS"), default=True),
        "MAIL_USE_SSL": _flag(env.get("COP_MAIL_USE_SSL"), default=False),
        "MAIL_DEFAULT_SENDER": env.get("COP_MAIL_SENDER", "cop <no-reply@cop.invalid>"),
        # Accounts
        "EMAIL_VERIFY_MAX_AGE": _int(env, "COP_EMAIL_VERIFY_HOURS", 72) * 3600,
        "PASSWORD_RESET_MAX_AGE": _int(env, "COP_PASSWORD_RESET_MINUTES", 60) * 60,
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int(env, "COP_REMEMBER_DAYS", 30)),
        "PERMANENT_SESSION_LIFETIME": timedelta(days=_int(env, "COP_SESSION_DAYS", 14)),
        "LOGIN_RATE_LIMIT": env.get("COP_LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        # Forms that send mail (register, new confirmation link, password reset), per address.
        "MAIL_FORM_RATE_LIMIT": env.get("COP_MAIL_FORM_RATE_LIMIT", "5 per minute;30 per hour"),
        # JSON API requests, per token (per address for requests without one).
        "API_RATE_LIMIT": env.get("COP_API_RATE_LIMIT", "300 per minute"),
        # Rate limits: counted in Redis when configured, otherwise in an SQLite file in the instance folder,
        # which every worker process on this machine shares (cop.ratelimits).
        "RATELIMIT_STORAGE_URI": redis_url or f"cop+sqlite://{instance / 'ratelimits.sqlite3'}",
        # If Redis stops answering, limits are counted in memory until it is back (one warning in the log):
        # a missing rate-limit store must never stop people signing in.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_KEY_PREFIX": env.get("COP_RATELIMIT_PREFIX", "cop"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Cookies
        "SESSION_COOKIE_NAME": "cop_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": environment == "production",
        "REMEMBER_COOKIE_NAME": "cop_remember",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": environment == "production",
        "WTF_CSRF_TIME_LIMIT": _int(env, "COP_CSRF_SECONDS", 6 * 3600),
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        # Reverse proxies in front of gunicorn, counted for X-Forwarded-* headers.
        "COP_TRUSTED_PROXIES": _int(env, "COP_TRUSTED_PROXIES", 0),
        "COP_PER_PAGE": 20,
        # Public pages kept for anonymous visitors (cop.cache): at most this long, and never past a change
        # to what they show; 0 turns the page cache off. Kept in Redis when configured, else in files here.
        "COP_PAGE_CACHE_SECONDS": _int(env, "COP_PAGE_CACHE_SECONDS", 300),
        "COP_PAGE_CACHE_DIR": str(instance / "page-cache"),
        "COP_CACHE_PREFIX": env.get("COP_CACHE_PREFIX", "cop"),
        # Outbound fetches (calendar import) refuse private, loopback and link-local addresses unless this is on:
        # tests and local development fetch from this machine.
        "COP_ALLOW_PRIVATE_ADDRESSES": _flag(env.get("COP_ALLOW_PRIVATE_ADDRESSES"), default=False),
        # Mentor suggestions: the weights that differ from the engine's defaults.
        "COP_MATCHING_WEIGHTS": _weights(env),
        # The forum: how many of a new member's first posts wait for a moderator, how many links a new member's
        # post may hold, how many flags from trusted members hide a post until a moderator decides, and whether
        # the public moderation log names the moderator who acted (some communities protect them from harassment).
        "COP_FORUM_HELD_FIRST_POSTS": _int(env, "COP_FORUM_HELD_FIRST_POSTS", 3),
        "COP_FORUM_NEW_MEMBER_LINKS": _int(env, "COP_FORUM_NEW_MEMBER_LINKS", 2),
        "COP_FORUM_FLAGS_TO_HIDE": _int(env, "COP_FORUM_FLAGS_TO_HIDE", 3),
        "COP_FORUM_NAME_MODERATORS": _flag(env.get("COP_FORUM_NAME_MODERATORS"), default=False),
    }
