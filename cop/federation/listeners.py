"""What federation does when content changes: it tells the agency's followers, through the content domains' signals.

Neither case studies nor events know federation exists; this module connects to their signals when it is
imported (create_app imports it). Each receiver runs after the change is committed, in a transaction of its
own, and records the activity even when nobody follows the agency yet: the outbox lists it.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from cop import signals
from cop.clock import utcnow
from cop.federation import activities, outgoing, uris

log = logging.getLogger(__name__)


def _local(item: Any) -> bool:
    """Only what this site's own agencies publish is announced; what arrived from elsewhere is not sent on."""
    return not item.is_remote and item.agency is not None and not item.agency.is_remote


def _announce(item: Any, build: Callable[[str], dict[str, Any]]) -> None:
    """Send the activity ``build(actor_uri)`` makes from the item's agency to that agency's followers."""
    if not _local(item):
        return
    agency = item.agency
    payload = build(uris.agency_actor_uri(agency.slug))
    outgoing.send_activity(agency, payload, outgoing.follower_inboxes(agency))


def _event_object(event: Any) -> dict[str, Any]:
    from cop.events.feeds import event_uid

    return activities.event_object(event, event_uid(event))


def case_study_published(case_study: Any, **_: Any) -> None:
    """A case study became public: Create of its Article."""
    _announce(case_study, lambda actor: activities.create(actor, activities.case_study_article(case_study)))


def case_study_updated(case_study: Any, **_: Any) -> None:
    """A published case study was edited: Update of its Article."""
    if case_study.status != "published":
        return
    _announce(case_study, lambda actor: activities.update(actor, activities.case_study_article(case_study)))


def case_study_archived(case_study: Any, **_: Any) -> None:
    """A case study was withdrawn: Delete, its object a Tombstone, so followers remove their copy."""
    object_uri = uris.case_study_uri(case_study.slug)

    _announce(case_study, lambda actor: activities.delete(actor, activities.tombstone(object_uri, "Article", utcnow())))


def event_published(event: Any, **_: Any) -> None:
    """An event was listed: Create of its Event."""
    _announce(event, lambda actor: activities.create(actor, _event_object(event)))


def event_changed(event: Any, **_: Any) -> None:
    """An event changed (or was postponed, or is back on): Update of its Event."""
    _announce(event, lambda actor: activities.update(actor, _event_object(event)))


def event_cancelled(event: Any, **_: Any) -> None:
    """An event was cancelled: Update of its Event, whose status says so (calendars keep it, cancelled)."""
    _announce(event, lambda actor: activities.update(actor, _event_object(event)))


signals.case_study_published.connect(case_study_published)
signals.case_study_updated.connect(case_study_updated)
signals.case_study_archived.connect(case_study_archived)
signals.event_published.connect(event_published)
signals.event_changed.connect(event_changed)
signals.event_cancelled.connect(event_cancelled)
