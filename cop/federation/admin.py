"""What site admins read about federation: deliveries that failed for good, what waits to go, blocked servers, and
activities received that could not be processed."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.services import require_site_admin
from cop.extensions import db
from cop.federation.models import BlockedDomain, Delivery, InboxItem


def failed_deliveries_page(actor: Any, page: int, per_page: int) -> Any:
    """Deliveries that failed for good (the dead letters), with their activities, the latest first."""
    require_site_admin(actor)
    stmt = (
        sa.select(Delivery)
        .where(Delivery.status == "failed")
        .options(so.joinedload(Delivery.activity))
        .order_by(Delivery.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def waiting_by_domain_page(actor: Any, page: int, per_page: int) -> Any:
    """Deliveries waiting to go (queued, or being sent), counted by server, the most first: (domain, count) rows."""
    require_site_admin(actor)
    count = sa.func.count(Delivery.id).label("waiting")
    stmt = (
        sa.select(Delivery.domain, count)
        .where(Delivery.status.in_(("queued", "sending")))
        .group_by(Delivery.domain)
        .order_by(count.desc(), Delivery.domain)
    )
    total = db.session.scalar(sa.select(sa.func.count(sa.distinct(Delivery.domain))).where(Delivery.status.in_(("queued", "sending"))))
    rows = list(db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)))
    return _Page(rows, page, per_page, total or 0)


def blocks_page(actor: Any, page: int, per_page: int) -> Any:
    """Blocked domains, in alphabetical order."""
    require_site_admin(actor)
    return db.paginate(sa.select(BlockedDomain).order_by(BlockedDomain.domain), page=page, per_page=per_page, error_out=False)


def failed_inbox_page(actor: Any, page: int, per_page: int) -> Any:
    """Activities received that could not be processed, the latest first."""
    require_site_admin(actor)
    stmt = sa.select(InboxItem).where(InboxItem.status == "failed").order_by(InboxItem.id.desc())
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


class _Page:
    """A page of rows that are not models, shaped as db.paginate's pages are (items, page, pages, total)."""

    def __init__(self, items: list[Any], page: int, per_page: int, total: int) -> None:
        self.items, self.page, self.per_page, self.total = items, page, per_page, total
        self.pages = max(0, -(-total // per_page))
