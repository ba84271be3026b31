"""Agencies, their email domains, membership and requests to join: the rules.

Services add and flush; the caller (route, command or task) commits once.
An ``actor`` of None means the command line, which acts with a site admin's rights.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Iterable, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from email_validator import EmailNotValidError, validate_email
from flask import render_template

from cop.accounts.models import User
from cop.accounts.services import require_site_admin, site_admins
from cop.agencies.models import GOVERNMENT_LEVELS, MAX_DESCRIPTION_LENGTH, Agency, AgencyDomain, JoinRequest
from cop.clock import utcnow
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.extensions import db
from cop.notifications.services import notify, register_kind
from cop.signals import email_verified
from cop.text.places import check_country
from cop.text.slugs import is_slug
from cop.urls import site_path

log = logging.getLogger(__name__)

JOIN_REQUEST = register_kind("join_request", "Someone asks to join an agency you are an admin of").name
JOIN_DECISION = register_kind("join_decision", "Your request to join an agency is decided").name


# ---------------------------------------------------------------- who may do what


def refuse_if_remote(agency: Agency) -> None:
    """An agency on another server is managed there: nobody here edits it, joins it or belongs to it."""
    if agency.is_remote:
        raise PermissionDenied(f"{agency.name} is on {agency.origin}; it can only be managed there.")


def can_manage_agency(actor: Optional[User], agency: Agency) -> bool:
    """Site admins, and the agency's own admins, manage an agency; nobody here manages one on another server."""
    if agency.is_remote:
        return False
    if actor is None:
        return True
    if not actor.is_authenticated:
        return False
    return actor.is_site_admin or (actor.is_agency_admin and actor.agency_id == agency.id)


def require_agency_manager(actor: Optional[User], agency: Agency) -> None:
    """Raise PermissionDenied unless the actor manages the agency."""
    refuse_if_remote(agency)
    if not can_manage_agency(actor, agency):
        raise PermissionDenied(f"Only admins of {agency.name} can do that.")



# ---------------------------------------------------------------- values


def normalise_domain(raw: str) -> str:
    """An email domain such as 'council.gov.uk', lower-case, without '@'."""
    domain = (raw or "").strip().lower().lstrip("@").rstrip(".")
    try:
        validate_email(f"someone@{domain}", check_deliverability=False)
    except EmailNotValidError as exc:
        raise ServiceError(f"“{raw}” is not an email domain. Enter a domain like council.gov.uk.", field="domains") from exc
    return domain


def _check_website(url: str) -> str:
    url = (url or "").strip()
    if url and not (url.startswith("https://") or url.startswith("http://")):
        raise ServiceError("Enter the website's full address, starting with https://", field="website")
    return url


def get_agency(slug: str) -> Optional[Agency]:
    """The agency with this slug."""
    return db.session.scalar(sa.select(Agency).where(Agency.slug == slug).options(so.selectinload(Agency.domains)))


def agency_for_domain(domain: str) -> Optional[Agency]:
    """The agency that owns an email domain."""
    return db.session.scalar(
        sa.select(Agency).join(AgencyDomain).where(AgencyDomain.domain == domain.lower())
    )


def agencies_page(page: int, per_page: int, country: Optional[str] = None, level: Optional[str] = None):
    """A page of this site's agencies, alphabetical, and how many active members each has: (pagination, counts).
    Agencies on other servers are not listed: they appear through what they publish."""
    stmt = sa.select(Agency).where(Agency.remote_actor_id.is_(None)).order_by(Agency.name, Agency.id)
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


def members_query(agency: Agency) -> sa.Select:
    """The agency's active members, admins first, then by name."""
    return (
        sa.select(User)
        .where(User.agency_id == agency.id, User.is_active.is_(True))
        .order_by(User.is_agency_admin.desc(), User.display_name, User.id)
    )


def agency_members(agency: Agency, page: int, per_page: int):
    """A page of the agency's active members, admins first."""
    return db.paginate(members_query(agency), page=page, per_page=per_page, error_out=False)


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
    country_code = check_country(country)
    if country_code is None:
        raise ServiceError("Choose the agency's country.", field="country")
    if len(description or "") > MAX_DESCRIPTION_LENGTH:
        raise ServiceError(f"The description must be {MAX_DESCRIPTION_LENGTH} characters or fewer.", field="description")
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
    if agency.is_remote:
        return AgencyStanding(is_member=False, can_manage=False, can_join=False, joins_at_once=False,
                              pending_request=None, pending_count=0)
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
    refuse_if_remote(agency)
    if not user.is_verified:
        raise PermissionDenied("Confirm your email address before you join an agency.")
    if user.agency_id == agency.id:
        raise Conflict(f"You are already a member of {agency.name}.")
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
    body = render_template("agencies/mail/join_request.txt", request=request)
    for admin in admins:
        notify(
            admin, JOIN_REQUEST, f"{user.display_name} asks to join {agency.name}",
            site_path("agencies.agency_requests", slug=agency.slug),
            mail_subject=f"{user.display_name} asks to join {agency.name} on cop", mail_body=body,
        )
    log.info("user %s asked to join agency %s", user.id, agency.slug)
    return "requested"


def _move_to_agency(user: User, agency: Agency) -> None:
    """Make the person a member of the agency; requests to join any other are withdrawn."""
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
    notify(
        request.user, JOIN_DECISION, f"Your request to join {agency.name} was {request.status}",
        site_path("agencies.agency", slug=agency.slug),
        mail_body=render_template("agencies/mail/join_decision.txt", request=request),
    )
    db.session.flush()
    log.info("%s %s request %s", actor.id if actor else "command line", request.status, request.id)
    return request


def leave_agency(user: User, agency: Agency) -> Agency:
    """Stop being a member of one's agency."""
    if user.agency_id != agency.id:
        raise ServiceError(f"You are not a member of {agency.name}.")
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
        raise ServiceError("That person is not a member of this agency.", field="member")
    if not make_admin and member.is_agency_admin and len(agency_admins(agency)) == 1 and not (actor and actor.is_site_admin):
        raise Conflict("An agency needs at least one admin. Make someone else an admin first.")
    member.is_agency_admin = make_admin
    db.session.flush()
    log.info("%s set agency admin of %s for user %s to %s", actor.id if actor else "command line", agency.slug, member.id, make_admin)
    return member


def remove_member(actor: Optional[User], agency: Agency, member_id: int) -> User:
    """An agency admin removes someone who no longer works for the agency."""
    require_agency_manager(actor, agency)
    member = db.session.get(User, member_id)
    if member is None or member.agency_id != agency.id:
        raise ServiceError("That person is not a member of this agency.", field="member")
    if actor is not None and member.id == actor.id:
        raise ServiceError("To leave the agency yourself, use “Leave this agency”.")
    member.agency = None
    member.is_agency_admin = False
    db.session.flush()
    log.info("%s removed user %s from agency %s", actor.id if actor else "command line", member.id, agency.slug)
    return member




@email_verified.connect
def join_by_email_domain(user: User, **_: Any) -> None:
    """A newly confirmed address on an agency's email domain makes its owner a member at once."""
    if user.agency_id is not None:
        return
    agency = agency_for_domain(user.email_domain)
    if agency is not None:
        _move_to_agency(user, agency)
        log.info("user %s joined agency %s by email domain", user.id, agency.slug)


def newest_agencies(limit: int) -> list[Agency]:
    """This site's agencies added most recently, for the home page."""
    return list(db.session.scalars(sa.select(Agency).where(Agency.remote_actor_id.is_(None)).order_by(Agency.created_at.desc(), Agency.id.desc()).limit(limit)))


def agency_count() -> int:
    """How many agencies this site has (those on other servers are not counted)."""
    return db.session.scalar(sa.select(sa.func.count(Agency.id)).where(Agency.remote_actor_id.is_(None))) or 0
