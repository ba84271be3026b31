"""Accounts and profiles: the rules.

Services add and flush; the caller (route, command or task) commits once.
An ``actor`` of None means the command line, which acts with a site admin's rights.
"""

from __future__ import annotations

import functools
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template

from cop.accounts import passwords, tokens
from cop.accounts.models import LEVELS, MAX_BIO_LENGTH, MAX_MENTEES, ROLES, SITE_ROLES, User, UserSession, listed, mentoring, user_skills
from cop.agencies.models import Agency
from cop.clock import utcnow
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.extensions import db, insert_unless_present
from cop.forms import EMAIL_FORMAT_MESSAGE
from cop.mail.services import send_mail
from cop.signals import email_verified
from cop.text.models import Topic
from cop.text.places import check_country, check_time_zone, country_name, time_zones_in
from cop.text.services import topics_by_ids
from cop.urls import external_url

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- who may do what


def is_signed_in(actor: object) -> bool:
    """Whether the actor a service was given is a person signed in (not None, not Flask-Login's anonymous user)."""
    return actor is not None and bool(getattr(actor, "is_authenticated", False))


def require_site_admin(actor: Optional[User]) -> None:
    """Raise PermissionDenied unless the actor is a site admin (or the command line)."""
    if actor is not None and not (actor.is_authenticated and actor.is_site_admin):
        raise PermissionDenied("Only site admins can do that.")


def site_admins() -> list[User]:
    """Every active site admin."""
    return list(db.session.scalars(sa.select(User).where(User.site_role == "site_admin", User.is_active.is_(True))))




# ---------------------------------------------------------------- values


def normalise_email(raw: str) -> str:
    """A syntactically valid address, lower-cased; ServiceError otherwise."""
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ServiceError(EMAIL_FORMAT_MESSAGE, field="email") from exc


# ---------------------------------------------------------------- registration and sign-in


#: A sign-in unused this long has ended, even if a cookie still holds its token.
SESSION_IDLE_LIMIT = timedelta(days=30)
#: last_seen_at is written at most this often, so a busy page does not write on every request.
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)


def start_session(user: User, user_agent: str = "") -> str:
    """A new sign-in for this person: its token goes in the session (and remember) cookie; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id, UserSession.last_seen_at < now - SESSION_IDLE_LIMIT))
    db.session.add(UserSession(token_hash=UserSession.hash(token), user_id=user.id, user_agent=(user_agent or "")[:200]))
    db.session.flush()
    user.session_key = token
    return token


@functools.lru_cache(maxsize=8)
def _session_query(*options: Any) -> sa.Select:
    """Built once for each set of loader options (the caller builds those once too): every signed-in request runs
    it, and building it, options and cache key included, costs more than running it."""
    # The sign-in's id and last use as plain columns: only the person is an object the request keeps.
    return (sa.select(UserSession.id, UserSession.last_seen_at, User).join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == sa.bindparam("token_hash"), User.is_active.is_(True)).options(*options))


def user_for_session(token: Optional[str], *options: Any) -> Optional[User]:
    """The active person a sign-in's token belongs to (Flask-Login's user loader); None once it has ended.
    ``options`` are loader options for the User, so that what every page shows of them comes in the same query."""
    if not token:
        return None
    found = db.session.execute(_session_query(*options), {"token_hash": UserSession.hash(token)}).first()
    if found is None:
        return None
    sign_in_id, last_seen_at, user = found
    now = utcnow()
    if last_seen_at < now - SESSION_IDLE_LIMIT:
        return None
    if last_seen_at < now - SESSION_TOUCH_INTERVAL:
        # On a connection of its own: most requests (every GET) never commit their session.
        with db.engine.begin() as connection:
            connection.execute(sa.update(UserSession).where(UserSession.id == sign_in_id).values(last_seen_at=now))
    user.session_key = token
    return user


def end_session(token: Optional[str]) -> None:
    """Sign out one sign-in for good: its cookies, copied anywhere, no longer open anything."""
    if token:
        db.session.execute(sa.delete(UserSession).where(UserSession.token_hash == UserSession.hash(token)))


def end_all_sessions(user: User) -> int:
    """Sign a person out everywhere (a new password); how many sign-ins ended."""
    return db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id)).rowcount


def find_user_by_email(email: str) -> Optional[User]:
    """The user with this address, if any."""
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def _require_new_password(password: str, email: str, display_name: str = "") -> None:
    problem = passwords.password_problem(password, (email.split("@")[0], display_name))
    if problem:
        raise ServiceError(problem, field="password")


def register_user(email: str, password: str, display_name: str) -> Optional[User]:
    """Create an unverified account and mail its confirmation link; None when the address already had one.

    The person registering is answered the same either way, so the form never tells who has an account:
    the address's owner is mailed instead (a new confirmation link, or how to sign in or reset).
    """
    email = normalise_email(email)
    display_name = " ".join((display_name or "").split())
    if not display_name:
        raise ServiceError("Enter the name other members will see.", field="display_name")
    _require_new_password(password, email, display_name)
    # Hashed whether or not the account exists, so the time taken does not tell either.
    password_hash = passwords.hash_password(password)
    # One statement, so the same address registered twice at once makes one account and no error.
    created = insert_unless_present(
        User, {"email": email, "display_name": display_name, "password_hash": password_hash}, "email"
    )
    user = find_user_by_email(email)
    if created:
        send_verification(user)
        log.info("registered user %s", user.id)
        return user
    if user.is_verified:
        body = render_template(
            "accounts/mail/already_registered.txt",
            user=user,
            sign_in=external_url("accounts.login"),
            reset=external_url("accounts.request_reset"),
        )
        send_mail(user.email, "You already have an account on cop", body)
    else:
        send_verification(user)
    log.info("registration attempted for the existing account %s", user.id)
    return None


def create_user(
    email: str,
    password: str,
    display_name: str = "",
    role: str = "member",
    agency: Optional[Agency] = None,
) -> User:
    """An operator creates a verified account with a role (the command line)."""
    email = normalise_email(email)
    if role not in ROLES:
        raise ServiceError(f"Unknown role “{role}”. Choose one of: {', '.join(ROLES)}.", field="role")
    if find_user_by_email(email) is not None:
        raise Conflict(f"An account for {email} already exists.", field="email")
    if role == "agency_admin" and agency is None:
        raise ServiceError("An agency admin needs an agency: add --agency SLUG.", field="agency")
    display_name = " ".join((display_name or "").split()) or email.split("@")[0]
    _require_new_password(password, email, display_name)
    user = User(
        email=email,
        display_name=display_name,
        password_hash=passwords.hash_password(password),
        email_verified_at=utcnow(),
        site_role=role if role in SITE_ROLES else "member",
        agency=agency,
        is_agency_admin=role == "agency_admin",
    )
    db.session.add(user)
    db.session.flush()
    log.info("command line created user %s with role %s", user.id, role)
    return user


def send_verification(user: User) -> None:
    """Mail a fresh verification link."""
    token = tokens.make_token(tokens.VERIFY, {"u": user.id, "e": user.email})
    hours = current_app.config["EMAIL_VERIFY_MAX_AGE"] // 3600
    body = render_template(
        "accounts/mail/verify.txt", user=user, link=external_url("accounts.verify_email", token=token), hours=hours
    )
    send_mail(user.email, "Confirm your email address for cop", body)


def resend_verification(email: str) -> None:
    """Send another link to an unverified address; says nothing about whether it exists."""
    user = find_user_by_email(normalise_email(email))
    if user is not None and not user.is_verified:
        send_verification(user)


def verify_email(token: str) -> User:
    """Mark the address in the link as verified, and announce it (the agency owning its domain adds them)."""
    payload = tokens.read_token(tokens.VERIFY, token, current_app.config["EMAIL_VERIFY_MAX_AGE"])
    user = db.session.get(User, payload.get("u"))
    if user is None or user.email != payload.get("e"):
        raise tokens.TokenInvalid("This link is not valid any more.")
    if not user.is_verified:
        user.email_verified_at = utcnow()
        db.session.flush()
        log.info("user %s verified their email", user.id)
        email_verified.send(user)
    return user


class NotVerified(ServiceError):
    """The password was right but the address is not verified yet."""


def authenticate(email: str, password: str) -> User:
    """The user these credentials belong to; ServiceError with a message otherwise."""
    wrong = ServiceError("The email address or password is not right.", field="email")
    try:
        email = normalise_email(email)
    except ServiceError:
        passwords.verify_password(None, password)  # the same time as a real check
        raise wrong from None
    user = find_user_by_email(email)
    if not passwords.verify_password(user.password_hash if user else None, password) or user is None:
        raise wrong
    if not user.is_active:
        raise ServiceError("This account has been suspended. Contact the site's admins.", field="email")
    if not user.is_verified:
        raise NotVerified(
            "Confirm your email address first: follow the link we sent you. You can ask for a new link below.",
            field="email",
        )
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def request_password_reset(email: str) -> None:
    """Mail a single-use reset link if the address has an account; say the same either way."""
    email = normalise_email(email)
    user = find_user_by_email(email)
    if user is None or not user.is_active:
        log.info("password reset asked for an unknown address")
        return
    token = tokens.make_token(tokens.RESET, {"u": user.id, "f": tokens.password_fingerprint(user.password_hash)})
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    body = render_template(
        "accounts/mail/reset.txt", user=user, link=external_url("accounts.reset_password", token=token), minutes=minutes
    )
    send_mail(user.email, "Reset your cop password", body)


def user_for_reset_token(token: str) -> User:
    """The user a reset link is for, while the link is fresh and unused."""
    payload = tokens.read_token(tokens.RESET, token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    user = db.session.get(User, payload.get("u"))
    if user is None or payload.get("f") != tokens.password_fingerprint(user.password_hash):
        raise tokens.TokenInvalid("This link has already been used. Ask for a new one if you still need it.")
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link then stops working, as do all sessions."""
    user = user_for_reset_token(token)
    _require_new_password(new_password, user.email, user.display_name)
    _set_password(user, new_password)
    if not user.is_verified:
        user.email_verified_at = utcnow()
    db.session.flush()
    log.info("user %s reset their password", user.id)
    return user


def change_password(user: User, current_password: str, new_password: str) -> User:
    """Change a password knowing the current one; every other session ends."""
    if not passwords.verify_password(user.password_hash, current_password):
        raise ServiceError("Your current password is not right.", field="current_password")
    if current_password == new_password:
        raise ServiceError("Your new password must be different from the current one.", field="password")
    _require_new_password(new_password, user.email, user.display_name)
    _set_password(user, new_password)
    db.session.flush()
    log.info("user %s changed their password", user.id)
    return user


def _set_password(user: User, new_password: str) -> None:
    user.password_hash = passwords.hash_password(new_password)
    end_all_sessions(user)


# ---------------------------------------------------------------- profiles


@dataclass
class ProfileChanges:
    """What a person may change on their own profile."""

    display_name: str
    job_title: str
    bio: str
    level: str
    country: Optional[str]
    region: str
    time_zone: str
    open_to_mentoring: bool
    mentoring_capacity: int
    skill_ids: list[int]
    interest_ids: list[int]


def _chosen_topics(current: list[Topic], ids: list[int], field: str) -> list[Topic]:
    """The topics chosen from those on offer, keeping any retired topic the profile already has."""
    chosen = topics_by_ids(ids)
    if len(chosen) != len(set(ids)) or any(topic.is_retired for topic in chosen):
        raise ServiceError(f"Choose {field} from the list.", field=field)
    kept = [topic for topic in current if topic.is_retired]
    return sorted(chosen + kept, key=lambda topic: topic.name)


def update_profile(actor: User, user: User, changes: ProfileChanges) -> User:
    """Save a profile; only its owner (or a site admin) may."""
    if actor.id != user.id and not actor.is_site_admin:
        raise PermissionDenied("You can only edit your own profile.")
    display_name = " ".join(changes.display_name.split())
    if not display_name:
        raise ServiceError("Enter the name other members will see.", field="display_name")
    if len(changes.bio) > MAX_BIO_LENGTH:
        raise ServiceError(f"Your bio must be {MAX_BIO_LENGTH} characters or fewer.", field="bio")
    if changes.level not in LEVELS:
        raise ServiceError("Choose your experience level.", field="level")
    if not 0 <= changes.mentoring_capacity <= MAX_MENTEES:
        raise ServiceError(f"Mentoring capacity must be between 0 and {MAX_MENTEES}.", field="mentoring_capacity")
    skills = _chosen_topics(user.skills, changes.skill_ids, "skills")
    interests = _chosen_topics(user.interests, changes.interest_ids, "interests")
    user.display_name = display_name
    user.job_title = changes.job_title.strip()
    user.bio = changes.bio
    user.level = changes.level
    user.country = check_country(changes.country)
    user.region = changes.region.strip()
    user.time_zone = check_time_zone(changes.time_zone)
    user.open_to_mentoring = changes.open_to_mentoring
    user.mentoring_capacity = changes.mentoring_capacity if changes.open_to_mentoring else 0
    user.skills = skills
    user.interests = interests
    db.session.flush()
    log.info("user %s updated profile %s", actor.id, user.id)
    return user


@dataclass
class ProfileStart:
    """What a profile still lacks, and what the site suggests for a first save."""

    missing: list[str]
    is_listed: bool
    country: Optional[str]
    time_zone: Optional[str]
    time_zone_reason: str


def profile_start(user: User) -> ProfileStart:
    """What is missing from a profile and, before its first save, a country and time zone to start from.

    The time zone most of the agency's members use, else the only one of the agency's country.
    """
    missing = [
        label for label, absent in (
            ("your job title", not user.job_title),
            ("your experience level", user.level is None),
            ("skills you can share", not user.skills),
            ("what you want to learn", not user.interests),
        ) if absent
    ]
    start = ProfileStart(missing, user.describes_their_work, None, None, "")
    agency = user.agency
    # Only before the first save (which asks for a level), and only for what the person has not chosen.
    if user.level is not None or agency is None:
        return start
    start.country = user.country or agency.country
    if user.time_zone == "UTC":
        colleagues = db.session.scalar(
            sa.select(User.time_zone)
            .where(User.agency_id == agency.id, User.id != user.id, User.level.is_not(None), User.time_zone != "UTC")
            .group_by(User.time_zone)
            .order_by(sa.func.count(User.id).desc(), User.time_zone)
            .limit(1)
        )
        zones = time_zones_in(agency.country)
        if colleagues is not None:
            start.time_zone, start.time_zone_reason = colleagues, f"Suggested because most of {agency.name}'s members use it."
        elif len(zones) == 1:
            start.time_zone, start.time_zone_reason = zones[0], f"Suggested from {agency.name}'s country, {country_name(agency.country)}."
    return start


def people_query(level: Optional[str] = None, topic_slug: Optional[str] = None, mentors_only: bool = False) -> sa.Select:
    """The people others can find, by name, filtered by level, a skill's slug and openness to mentoring."""
    stmt = sa.select(User).where(listed()).order_by(User.display_name, User.id)
    if level in LEVELS:
        stmt = stmt.where(User.level == level)
    if mentors_only:
        stmt = stmt.where(mentoring())
    if topic_slug:
        # From the topic's people (indexed) to them, rather than testing every person for the topic.
        stmt = stmt.join(user_skills, user_skills.c.user_id == User.id).join(Topic, Topic.id == user_skills.c.topic_id).where(
            Topic.slug == topic_slug
        )
    return stmt


def people_page(page: int, per_page: int, level: Optional[str] = None, topic_slug: Optional[str] = None, mentors_only: bool = False):
    """A page of the people others can find, by name, with agencies and skills loaded."""
    stmt = people_query(level, topic_slug, mentors_only).options(so.selectinload(User.agency), so.selectinload(User.skills))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def get_person(user_id: int) -> Optional[User]:
    """A verified, active person's public profile."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not user.is_verified:
        return None
    return user


# ---------------------------------------------------------------- site roles


def set_site_role(actor: Optional[User], user_id: int, role: str) -> User:
    """A site admin gives someone a site-wide role."""
    require_site_admin(actor)
    if role not in SITE_ROLES:
        raise ServiceError(f"Unknown role “{role}”.", field="role")
    user = db.session.get(User, user_id)
    if user is None:
        raise ServiceError("That person does not exist.", field="user")
    if actor is not None and user.id == actor.id and role != "site_admin":
        raise Conflict("You cannot remove your own site admin role; ask another site admin.")
    user.site_role = role
    db.session.flush()
    log.info("%s set site role of user %s to %s", actor.id if actor else "command line", user.id, role)
    return user


def users_page(actor: Optional[User], page: int, per_page: int, query: str = ""):
    """All accounts, for site admins, searchable by name or email."""
    require_site_admin(actor)
    stmt = sa.select(User).options(so.selectinload(User.agency)).order_by(User.created_at.desc(), User.id.desc())
    if query:
        like = f"%{query.strip().lower()}%"
        stmt = stmt.where(sa.or_(sa.func.lower(User.display_name).like(like), User.email.like(like)))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def newest_people(limit: int) -> list[User]:
    """The people who joined most recently and have said what they do, for the home page."""
    stmt = (
        sa.select(User)
        .where(listed())
        .options(so.selectinload(User.agency))
        .order_by(User.created_at.desc(), User.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def people_count() -> int:
    """How many people others can find."""
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(listed())) or 0
