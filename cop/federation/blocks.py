"""Blocked servers: site admins block a domain, and nothing is accepted from it or sent to it.

A block covers the domain's subdomains too (blocking example.org blocks social.example.org), as Mastodon's
domain blocks do. Services add and flush; the caller commits once.
"""

from __future__ import annotations

import ipaddress
import logging
import re
from typing import Optional
from urllib.parse import urlsplit

import idna
import sqlalchemy as sa

from cop.accounts.models import User
from cop.accounts.services import require_site_admin
from cop.errors import Conflict, NotFound, ServiceError
from cop.extensions import db, insert_unless_present
from cop.federation.models import BlockedDomain, Follower, RemoteActor

log = logging.getLogger(__name__)

MAX_DOMAIN_LENGTH = 253
MAX_REASON_LENGTH = 500
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _host_of(value: str) -> str:
    """The host a domain, host:port or URL names, lower-case, without port, user or path; "" when there is none."""
    text = value.strip()
    if "://" not in text and not text.startswith("//"):
        text = "//" + text
    try:
        return (urlsplit(text).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def normalise_domain(value: str) -> str:
    """A domain as blocks store it (IDNA-encoded, lower-case, no port); ServiceError(field="domain") otherwise."""
    host = _host_of(value or "")
    if not host:
        raise ServiceError("Enter a domain, such as social.example.org.", field="domain")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        encoded = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ServiceError(f"{host} is not a valid domain.", field="domain") from None
    if len(encoded) > MAX_DOMAIN_LENGTH or not all(_LABEL.match(label) for label in encoded.split(".")):
        raise ServiceError(f"{host} is not a valid domain.", field="domain")
    return encoded


def _covering_domains(host: str) -> list[str]:
    """The host and every domain above it: the blocks that would cover it."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        labels = host.split(".")
        return [".".join(labels[index:]) for index in range(len(labels))]


def _block_covering(domain: str) -> Optional[BlockedDomain]:
    return db.session.scalars(
        sa.select(BlockedDomain).where(BlockedDomain.domain.in_(_covering_domains(domain))).order_by(sa.func.length(BlockedDomain.domain))
    ).first()


def is_blocked(domain_or_url: str) -> bool:
    """True when a domain or URL is on a blocked domain or one of its subdomains."""
    try:
        domain = normalise_domain(domain_or_url)
    except ServiceError:
        # A host no domain can be (a_b.spam.example) still resolves under wildcard DNS: the blocks above it hold.
        domain = _host_of(domain_or_url or "")
        if not domain:
            return False
    return _block_covering(domain) is not None


def blocked_domains() -> list[BlockedDomain]:
    """Every blocked domain, in alphabetical order."""
    return list(db.session.scalars(sa.select(BlockedDomain).order_by(BlockedDomain.domain)))


def _on_domain(domain: str) -> sa.ColumnElement[bool]:
    """RemoteActor rows on a domain or its subdomains, whatever port they use (stored domains carry it)."""
    column = RemoteActor.domain
    # Labels hold only letters, digits and hyphens (checked above), so no LIKE wildcard can slip in.
    return sa.or_(column == domain, column.like(f"{domain}:%"), column.like(f"%.{domain}"), column.like(f"%.{domain}:%"))


def block_domain(actor: Optional[User], domain: str, reason: str = "") -> BlockedDomain:
    """Block a domain (site admins only); its actors' follows of this site's agencies are removed."""
    require_site_admin(actor)
    domain = normalise_domain(domain)
    reason = (reason or "").replace("\x00", "").strip()
    if len(reason) > MAX_REASON_LENGTH:
        raise ServiceError(f"Keep the reason to {MAX_REASON_LENGTH} characters or fewer.", field="reason")
    existing = _block_covering(domain)
    if existing is not None:
        already = "already blocked" if existing.domain == domain else f"already blocked, as part of {existing.domain}"
        raise Conflict(f"{domain} is {already}.", field="domain")
    if not insert_unless_present(
        BlockedDomain, {"domain": domain, "reason": reason, "created_by_id": actor.id if actor else None}, "domain"
    ):
        raise Conflict(f"{domain} is already blocked.", field="domain")
    block = db.session.scalars(sa.select(BlockedDomain).where(BlockedDomain.domain == domain)).one()
    # They will receive nothing more from here, so they are no longer followers.
    removed = db.session.execute(
        sa.delete(Follower).where(Follower.remote_actor_id.in_(sa.select(RemoteActor.id).where(_on_domain(domain))))
    ).rowcount
    db.session.flush()
    log.info("%s blocked the domain %s (%d followers removed)", f"user {actor.id}" if actor else "command line", domain, removed)
    return block


def unblock_domain(actor: Optional[User], block_id: int) -> str:
    """Lift a block (site admins only); returns the domain that was unblocked."""
    require_site_admin(actor)
    block = db.session.get(BlockedDomain, block_id)
    if block is None:
        raise NotFound("That domain is not blocked.")
    domain = block.domain
    db.session.delete(block)
    db.session.flush()
    log.info("%s unblocked the domain %s", f"user {actor.id}" if actor else "command line", domain)
    return domain
