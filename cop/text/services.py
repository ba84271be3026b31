"""The taxonomy: list, seed and extend."""

from __future__ import annotations

import logging
from typing import Any, Iterable

import sqlalchemy as sa

from cop.clock import utcnow
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.extensions import db
from cop.text.models import Topic
from cop.text.slugs import slugify
from cop.text.taxonomy import DEFAULT_TOPICS, GROUPS

log = logging.getLogger(__name__)


def list_topics(include_retired: bool = False) -> list[Topic]:
    """The topics on offer (or every topic), grouped then alphabetical."""
    stmt = sa.select(Topic).order_by(Topic.group.desc(), Topic.name)
    if not include_retired:
        stmt = stmt.where(Topic.retired_at.is_(None))
    return list(db.session.scalars(stmt))


def topics_by_ids(ids: Iterable[int]) -> list[Topic]:
    """The topics with these ids; unknown ids are ignored by the caller's form validation."""
    ids = list(ids)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Topic).where(Topic.id.in_(ids)).order_by(Topic.name)))


def topic_choices() -> list[tuple[int, str]]:
    """(id, name) pairs of the topics on offer, for a form's checkboxes."""
    return [(topic.id, topic.name) for topic in list_topics()]


def topic_filter_options() -> list[sa.Row]:
    """(slug, name) rows of the topics on offer, for a list's filter: plain rows, no objects to build."""
    return list(
        db.session.execute(
            sa.select(Topic.slug, Topic.name).where(Topic.retired_at.is_(None)).order_by(Topic.group.desc(), Topic.name)
        )
    )


def ensure_default_topics() -> int:
    """Add any default topic that is missing; return how many were added."""
    existing = set(db.session.scalars(sa.select(Topic.slug)))
    added = 0
    for name, group in DEFAULT_TOPICS:
        if slugify(name) not in existing:
            db.session.add(Topic(name=name, slug=slugify(name), group=group))
            added += 1
    db.session.flush()
    return added


def require_taxonomy_editor(actor: Any) -> None:
    """Raise PermissionDenied unless the actor may extend the taxonomy (site admins)."""
    if not getattr(actor, "is_site_admin", False):
        raise PermissionDenied("Only site admins can extend the taxonomy.")


def add_topic(actor: Any, name: str, group: str) -> Topic:
    """A site admin extends the taxonomy."""
    require_taxonomy_editor(actor)
    name = _topic_name(name)
    if group not in GROUPS:
        raise ServiceError("Choose a group for the topic.", field="group")
    slug = slugify(name)
    clash = db.session.scalar(sa.select(Topic).where(sa.or_(Topic.slug == slug, sa.func.lower(Topic.name) == name.lower())))
    if clash is not None:
        raise Conflict(f"The taxonomy already has “{clash.name}”.", field="name")
    topic = Topic(name=name, slug=slug, group=group)
    db.session.add(topic)
    db.session.flush()
    log.info("user %s added topic %s", actor.id, slug)
    return topic


def _topic_name(raw: str) -> str:
    """A topic's name with its spaces tidied; ServiceError when it has no letter or digit."""
    name = " ".join((raw or "").split())
    if not name:
        raise ServiceError("Enter a name for the topic.", field="name")
    if not slugify(name):
        raise ServiceError("Enter a name with at least one letter or digit.", field="name")
    return name


def get_topic(topic_id: int) -> Topic | None:
    """One topic, retired or not."""
    return db.session.get(Topic, topic_id)


def rename_topic(actor: Any, topic: Topic, name: str) -> Topic:
    """A site admin renames a topic; its address (slug) stays, so links to it keep working."""
    require_taxonomy_editor(actor)
    name = _topic_name(name)
    clash = db.session.scalar(sa.select(Topic).where(sa.func.lower(Topic.name) == name.lower(), Topic.id != topic.id))
    if clash is not None:
        raise Conflict(f"The taxonomy already has “{clash.name}”.", field="name")
    old = topic.name
    topic.name = name
    db.session.flush()
    log.info("user %s renamed topic %s from %r to %r", actor.id, topic.slug, old, name)
    return topic


def set_topic_retired(actor: Any, topic: Topic, retired: bool) -> Topic:
    """A site admin retires a topic (no longer offered; kept where it is used) or restores it."""
    require_taxonomy_editor(actor)
    if retired == topic.is_retired:
        raise Conflict(f"“{topic.name}” is already {'retired' if retired else 'on offer'}.")
    topic.retired_at = utcnow() if retired else None
    db.session.flush()
    log.info("user %s %s topic %s", actor.id, "retired" if retired else "restored", topic.slug)
    return topic
