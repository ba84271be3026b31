"""Accounts, profiles and agencies: the rules.

Services add and flush; the caller (route, command or task) commits once.
An ``actor`` of None means the command line, which acts with a site admin's rights.
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from typing import Any, Iterable, Optional

import pycountry
import sqlalchemy as sa
import sqlalchemy.orm as so
from email_validator import EmailNotValidError, validate_email
from flask import current_app, render_template

from cop.accounts import passwords, tokens
from cop.accounts.models import (
    GOVERNMENT_LEVELS,
    LEVELS,
    MAX_BIO_LENGTH,
    MAX_MENTEES,
    ROLES,
    SITE_ROLES,
    Agency,
    AgencyDomain,
    JoinRequest,
    User,
    new_session_token,
)
from cop.clock import utcnow
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.extensions import db
from cop.mail.services import send_mail
from cop.text.services import topics_by_ids
from cop.text.slugs import is_slug
from cop.urls import external_url

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- who may do what


def can_manage_agency(actor: Optional[User], agency: Agency) -> bool:
    """Site admins, and the agency's own admins, manage an agency."""
    if actor is None:
        return True
    if not actor.is_authenticated:
        return False
    return actor.is_site_admin or (actor.is_agency_admin and actor.agency_id == agency.id)


def require_agency_manager(actor: Optional[User], agency: Agency) -> None:
    """Raise PermissionDenied unless the actor manages the agency."""
    if not can_manage_agency(actor, agency):
        raise PermissionDenied(f"Only admins of {agency.name} can do that.")


def require_site_admin(actor: Optional[User]) -> None:
    """Raise PermissionDenied unless the actor is a site admin (or the command line)."""
    if actor is not None and not (actor.is_authenticated and actor.is_site_admin):
        raise PermissionDenied("Only site admins can do that.")


# ---------------------------------------------------------------- values


def normalise_email(raw: str) -> str:
    """A syntactically valid address, lower-cased; ServiceError otherwise."""
    try:
        return validate_email((raw or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ServiceError(f"Enter an email address in the correct format, like name@council.gov.uk. {exc}", field="email") from exc


def normalise_domain(raw: str) -> str:
    """An email domain such as 'council.gov.uk', lower-case, without '@'."""
    domain = (raw or "").strip().lower().lstrip("@").rstrip(".")
    try:
        validate_email(f"someone@{domain}", check_deliverability=False)
    except EmailNotValidError as exc:
        raise ServiceError(f"“{raw}” is not an email domain. Enter a domain like council.gov.uk.", field="domains") from exc
    return domain


def country_name(code: Optional[str]) -> str:
    """The English short name of an ISO 3166 country code."""
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


def country_choices() -> list[tuple[str, str]]:
    """(code, name) for every country, sorted by name."""
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda pair: pair[1])


def _check_country(code: Optional[str], field: str = "country") -> Optional[str]:
    if not code:
        return None
    code = code.strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise ServiceError(f"“{code}” is not a country code. Use a two-letter code such as GB or AU.", field=field)
    return code


def _check_time_zone(name: str) -> str:
    if name not in zoneinfo.available_timezones():
        raise ServiceError(f"“{name}” is not a time zone we know. Choose one such as Europe/London.", field="time_zone")
    return name


def _check_website(url: str) -> str:
    url = (url or "").strip()
    if url and not (url.startswith("https://") or url.startswith("http://")):
        raise ServiceError("Enter the website's full address, starting with https://", field="website")
    return url


# ---------------------------------------------------------------- registration and sign-in


def get_user_by_session_token(token: str) -> Optional[User]:
    """The active user whose current session token this is (Flask-Login's user loader)."""
    return db.session.scalar(sa.select(User).where(User.session_token == token, User.is_active.is_(True)))


def find_user_by_email(email: str) -> Optional[User]:
    """The user with this address, if any."""
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def _require_new_password(password: str, email: str, display_name: str = "") -> None:
    problem = passwords.password_problem(password, (email.split("@")[0], display_name))
    if problem:
        raise ServiceError(problem, field="password")


def register_user(email: str, password: str, display_name: str) -> User:
    """Create an unverified account and send the verification link."""
    email = normalise_email(email)
    display_name = " ".join((display_name or "").split())
    if not display_name:
        raise ServiceError("Enter the name other members will see.", field="display_name")
    if find_user_by_email(email) is not None:
        raise Conflict("An account with this email address already exists. Sign in, or reset your password.", field="email")
    _require_new_password(password, email, display_name)
    user = User(email=email, display_name=display_name, password_hash=passwords.hash_password(password))
    db.session.add(user)
    db.session.flush()
    send_verification(user)
    log.info("registered user %s", user.id)
    return user


def create_user(
    email: str,
    password: str,
    display_name: str = "",
    role: str = "member",
    agency_slug: Optional[str] = None,
) -> User:
    """An operator creates a verified account with a role (the command line)."""
    email = normalise_email(email)
    if role not in ROLES:
        raise ServiceError(f"Unknown role “{role}”. Choose one of: {', '.join(ROLES)}.", field="role")
    if find_user_by_email(email) is not None:
        raise Conflict(f"An account for {email} already exists.", field="email")
    agency = None
    if agency_slug:
        agency = get_agency(agency_slug)
        if agency is None:
            raise ServiceError(f"There is no agency “{agency_slug}”. Create it first with create-agency.", field="agency")
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
    """Mark the address in the link as verified; join the agency that owns its domain."""
    payload = tokens.read_token(tokens.VERIFY, token, current_app.config["EMAIL_VERIFY_MAX_AGE"])
    user = db.session.get(User, payload.get("u"))
    if user is None or user.email != payload.get("e"):
        raise tokens.TokenInvalid("This link is not valid any more.")
    if not user.is_verified:
        user.email_verified_at = utcnow()
        agency = agency_for_domain(user.email_domain)
        if agency is not None and user.agency_id is None:
            user.agency = agency
            log.info("user %s joined agency %s by email domain", user.id, agency.slug)
        db.session.flush()
        log.info("user %s verified their email", user.id)
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
    user.session_token = new_session_token()


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
    skills = topics_by_ids(changes.skill_ids)
    interests = topics_by_ids(changes.interest_ids)
    if len(skills) != len(set(changes.skill_ids)):
        raise ServiceError("Choose skills from the list.", field="skills")
    if len(interests) != len(set(changes.interest_ids)):
        raise ServiceError("Choose interests from the list.", field="interests")
    user.display_name = display_name
    user.job_title = changes.job_title.strip()
    user.bio = changes.bio
    user.level = changes.level
    user.country = _check_country(changes.country)
    user.region = changes.region.strip()
    user.time_zone = _check_time_zone(changes.time_zone)
    user.open_to_mentoring = changes.open_to_mentoring
    user.mentoring_capacity = changes.mentoring_capacity if changes.open_to_mentoring else 0
    user.skills = skills
    user.interests = interests
    db.session.flush()
    log.info("user %s updated profile %s", actor.id, user.id)
    return user


def people_page(page: int, per_page: int, level: Optional[str] = None, topic_slug: Optional[str] = None, mentors_only: bool = False):
    """A page of verified, active people, newest first, with agencies and skills loaded."""
    from cop.text.models import Topic

    stmt = (
        sa.select(User)
        .where(User.is_active.is_(True), User.email_verified_at.is_not(None))
        .options(so.selectinload(User.agency), so.selectinload(User.skills))
        .order_by(User.display_name, User.id)
    )
    if level in LEVELS:
        stmt = stmt.where(User.level == level)
    if mentors_only:
        stmt = stmt.where(User.open_to_mentoring.is_(True), User.mentoring_capacity > 0)
    if topic_slug:
        stmt = stmt.where(User.skills.any(Topic.slug == topic_slug))
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def get_person(user_id: int) -> Optional[User]:
    """A verified, active person's public profile."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or not user.is_verified:
        return None
    return user


# ---------------------------------------------------------------- agencies


def get_agency(slug: str) -> Optional[Agency]:
    """The agency with this slug."""
    return db.session.scalar(sa.select(Agency).where(Agency.slug == slug).options(so.selectinload(Agency.domains)))


def agency_for_domain(domain: str) -> Optional[Agency]:
    """The agency that owns an email domain."""
    return db.session.scalar(
        sa.select(Agency).join(AgencyDomain).where(AgencyDomain.domain == domain.lower())
    )


def agencies_page(page: int, per_page: int, country: Optional[str] = None, level: Optional[str] = None):
    """A page of agencies, alphabetical, and how many active people speak for each: (pagination, counts)."""
    stmt = sa.select(Agency).order_by(Agency.name, Agency.id)
    if country:
        stmt = stmt.where(Agency.country == country.upper())
    if level in GOVERNMENT_LEVELS:
        stmt = stmt.where(Agency.level == level)
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    ids = [agency.id for agency in pagination.items]
    counts = dict(
        db.session.execute(
            sa.select(User.agency_id, sa.func.count(User.id))
            .where(User.agency_id.in_(ids), User.is_active.is_(True))
            .group_by(User.agency_id)
        ).all()
    ) if ids else {}
    return pagination, counts


def agency_members(agency: Agency, page: int, per_page: int):
    """A page of the active people who speak for an agency, admins first."""
    stmt = (
        sa.select(User)
        .where(User.agency_id == agency.id, User.is_active.is_(True))
        .order_by(User.is_agency_admin.desc(), User.display_name, User.id)
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def _check_domains(actor: Optional[User], agency: Optional[Agency], raw_domains: Iterable[str]) -> list[str]:
    domains: list[str] = []
    for raw in raw_domains:
        if raw.strip():
            domain = normalise_domain(raw)
            if domain not in domains:
                domains.append(domain)
    current = {d.domain for d in agency.domains} if agency else set()
    for domain in domains:
        owner = agency_for_domain(domain)
        if owner is not None and (agency is None or owner.id != agency.id):
            raise Conflict(f"{domain} already belongs to {owner.name}.", field="domains")
        if domain in current or actor is None or actor.is_site_admin:
            continue
        if actor.email_domain != domain:
            raise PermissionDenied(
                f"You can only add {domain} if your own verified email address is on it "
                f"(yours is on {actor.email_domain}). Ask a site admin to add it.",
                field="domains",
            )
    return domains


def _agency_fields(name: str, country: str, level: str, website: str, description: str) -> dict[str, str]:
    """The checked values of an agency's editable fields."""
    name = " ".join((name or "").split())
    if not name:
        raise ServiceError("Enter the agency's name.", field="name")
    if level not in GOVERNMENT_LEVELS:
        raise ServiceError("Choose local, regional or national.", field="level")
    country_code = _check_country(country)
    if country_code is None:
        raise ServiceError("Choose the agency's country.", field="country")
    if len(description or "") > MAX_BIO_LENGTH:
        raise ServiceError(f"The description must be {MAX_BIO_LENGTH} characters or fewer.", field="description")
    return {
        "name": name,
        "country": country_code,
        "level": level,
        "website": _check_website(website),
        "description": description or "",
    }


def create_agency(
    actor: Optional[User],
    slug: str,
    name: str,
    country: str,
    level: str,
    website: str = "",
    domains: Iterable[str] = (),
    description: str = "",
) -> Agency:
    """A site admin (or the command line) adds an agency."""
    require_site_admin(actor)
    slug = (slug or "").strip().lower()
    if not is_slug(slug) or len(slug) > 80:
        raise ServiceError("The short name must be lower-case letters, digits and single hyphens, like leeds-city-council.", field="slug")
    if get_agency(slug) is not None:
        raise Conflict(f"There is already an agency called “{slug}”.", field="slug")
    fields = _agency_fields(name, country, level, website, description)
    checked = _check_domains(actor, None, domains)
    agency = Agency(slug=slug, domains=[AgencyDomain(domain=d) for d in checked], **fields)
    db.session.add(agency)
    db.session.flush()
    log.info("%s created agency %s", actor.id if actor else "command line", slug)
    return agency


def update_agency(
    actor: Optional[User],
    agency: Agency,
    name: str,
    country: str,
    level: str,
    website: str,
    description: str,
    domains: Iterable[str],
) -> Agency:
    """An agency's admins edit its page and the email domains it owns."""
    require_agency_manager(actor, agency)
    fields = _agency_fields(name, country, level, website, description)
    checked = _check_domains(actor, agency, domains)
    for key, value in fields.items():
        setattr(agency, key, value)
    keep = {d.domain: d for d in agency.domains}
    agency.domains = [keep.get(d) or AgencyDomain(domain=d) for d in checked]
    db.session.flush()
    log.info("%s updated agency %s", actor.id if actor else "command line", agency.slug)
    return agency


@dataclass
class AgencyStanding:
    """Where a person stands with an agency, for the agency page."""

    is_member: bool
    can_manage: bool
    can_join: bool
    joins_at_once: bool
    pending_request: Optional[JoinRequest]
    pending_count: int


def agency_standing(actor: Any, agency: Agency) -> AgencyStanding:
    """What the agency page offers this person."""
    signed_in = bool(getattr(actor, "is_authenticated", False))
    is_member = signed_in and actor.agency_id == agency.id
    can_manage = signed_in and can_manage_agency(actor, agency)
    pending = None
    if signed_in and not is_member:
        pending = db.session.scalar(
            sa.select(JoinRequest).where(
                JoinRequest.user_id == actor.id, JoinRequest.agency_id == agency.id, JoinRequest.status == "pending"
            )
        )
    pending_count = 0
    if can_manage:
        pending_count = db.session.scalar(
            sa.select(sa.func.count(JoinRequest.id)).where(
                JoinRequest.agency_id == agency.id, JoinRequest.status == "pending"
            )
        ) or 0
    joins_at_once = signed_in and actor.email_domain in {d.domain for d in agency.domains}
    return AgencyStanding(
        is_member=is_member,
        can_manage=can_manage,
        can_join=signed_in and not is_member and pending is None,
        joins_at_once=joins_at_once,
        pending_request=pending,
        pending_count=pending_count,
    )


def join_agency(user: User, agency: Agency, message: str = "") -> str:
    """Join at once when the verified address is on the agency's domain, otherwise ask its admins.

    Returns "joined" or "requested".
    """
    if not user.is_verified:
        raise PermissionDenied("Confirm your email address before you join an agency.")
    if user.agency_id == agency.id:
        raise Conflict(f"You already speak for {agency.name}.")
    if user.email_domain in {d.domain for d in agency.domains}:
        _move_to_agency(user, agency)
        log.info("user %s joined agency %s by email domain", user.id, agency.slug)
        return "joined"
    existing = db.session.scalar(
        sa.select(JoinRequest).where(
            JoinRequest.user_id == user.id, JoinRequest.agency_id == agency.id, JoinRequest.status == "pending"
        )
    )
    if existing is not None:
        raise Conflict(f"You have already asked to join {agency.name}. Its admins will decide soon.")
    request = JoinRequest(user=user, agency=agency, message=(message or "").strip()[:500])
    db.session.add(request)
    db.session.flush()
    admins = agency_admins(agency) or site_admins()
    link = external_url("accounts.agency_requests", slug=agency.slug)
    for admin in admins:
        body = render_template("accounts/mail/join_request.txt", admin=admin, request=request, link=link)
        send_mail(admin.email, f"{user.display_name} asks to join {agency.name} on cop", body)
    log.info("user %s asked to join agency %s", user.id, agency.slug)
    return "requested"


def _move_to_agency(user: User, agency: Agency) -> None:
    user.agency = agency
    user.is_agency_admin = False
    for request in db.session.scalars(
        sa.select(JoinRequest).where(JoinRequest.user_id == user.id, JoinRequest.status == "pending")
    ):
        if request.agency_id != agency.id:
            request.status = "withdrawn"
            request.decided_at = utcnow()
    db.session.flush()


def agency_admins(agency: Agency) -> list[User]:
    """The active admins of an agency."""
    return list(
        db.session.scalars(
            sa.select(User).where(
                User.agency_id == agency.id, User.is_agency_admin.is_(True), User.is_active.is_(True)
            )
        )
    )


def site_admins() -> list[User]:
    """Every active site admin."""
    return list(db.session.scalars(sa.select(User).where(User.site_role == "site_admin", User.is_active.is_(True))))


def pending_requests(actor: Optional[User], agency: Agency) -> list[JoinRequest]:
    """Requests waiting for an agency's admins, oldest first."""
    require_agency_manager(actor, agency)
    return list(
        db.session.scalars(
            sa.select(JoinRequest)
            .where(JoinRequest.agency_id == agency.id, JoinRequest.status == "pending")
            .options(so.selectinload(JoinRequest.user))
            .order_by(JoinRequest.created_at)
        )
    )


def decide_join_request(actor: Optional[User], agency: Agency, request_id: int, approve: bool) -> JoinRequest:
    """An agency admin approves or declines a request; the person is told by mail."""
    require_agency_manager(actor, agency)
    request = db.session.get(JoinRequest, request_id)
    if request is None or request.agency_id != agency.id:
        raise ServiceError("That request does not exist.", field="request")
    if request.status != "pending":
        raise Conflict(f"That request was already {request.status}.")
    request.status = "approved" if approve else "declined"
    request.decided_at = utcnow()
    request.decided_by = actor
    if approve:
        _move_to_agency(request.user, agency)
    body = render_template(
        "accounts/mail/join_decision.txt",
        request=request,
        link=external_url("accounts.agency", slug=agency.slug),
    )
    send_mail(request.user.email, f"Your request to join {agency.name} was {request.status}", body)
    db.session.flush()
    log.info("%s %s request %s", actor.id if actor else "command line", request.status, request.id)
    return request


def leave_agency(user: User) -> Agency:
    """Stop speaking for one's agency."""
    if user.agency is None:
        raise ServiceError("You do not belong to an agency.")
    agency = user.agency
    user.agency = None
    user.is_agency_admin = False
    db.session.flush()
    log.info("user %s left agency %s", user.id, agency.slug)
    return agency


def set_agency_admin(actor: Optional[User], agency: Agency, member_id: int, make_admin: bool) -> User:
    """An agency admin makes another member an admin, or stops them being one."""
    require_agency_manager(actor, agency)
    member = db.session.get(User, member_id)
    if member is None or member.agency_id != agency.id:
        raise ServiceError("That person does not speak for this agency.", field="member")
    if not make_admin and member.is_agency_admin and len(agency_admins(agency)) == 1 and not (actor and actor.is_site_admin):
        raise Conflict("An agency needs at least one admin. Make someone else an admin first.")
    member.is_agency_admin = make_admin
    db.session.flush()
    log.info("%s set agency admin of %s for user %s to %s", actor.id if actor else "command line", agency.slug, member.id, make_admin)
    return member


def remove_member(actor: Optional[User], agency: Agency, member_id: int) -> User:
    """An agency admin removes someone who no longer speaks for the agency."""
    require_agency_manager(actor, agency)
    member = db.session.get(User, member_id)
    if member is None or member.agency_id != agency.id:
        raise ServiceError("That person does not speak for this agency.", field="member")
    if actor is not None and member.id == actor.id:
        raise ServiceError("To leave the agency yourself, use “Leave this agency”.")
    member.agency = None
    member.is_agency_admin = False
    db.session.flush()
    log.info("%s removed user %s from agency %s", actor.id if actor else "command line", member.id, agency.slug)
    return member


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


def whats_new(limit: int) -> dict[str, Any]:
    """The newest agencies and people, and how many there are, for the home page."""
    people = (
        sa.select(User)
        .where(User.is_active.is_(True), User.email_verified_at.is_not(None))
        .options(so.selectinload(User.agency))
        .order_by(User.created_at.desc(), User.id.desc())
        .limit(limit)
    )
    return {
        "new_agencies": list(db.session.scalars(sa.select(Agency).order_by(Agency.created_at.desc(), Agency.id.desc()).limit(limit))),
        "new_people": list(db.session.scalars(people)),
        "agency_count": db.session.scalar(sa.select(sa.func.count(Agency.id))) or 0,
        "people_count": db.session.scalar(
            sa.select(sa.func.count(User.id)).where(User.is_active.is_(True), User.email_verified_at.is_not(None))
        ) or 0,
    }
