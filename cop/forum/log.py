"""The public moderation log, and its transparency export: every action with its target, reason and time.

Anyone may read the log. What an entry says of its target follows what the reader may see: an action in a
private category names no thread to those outside it. Whether it names the moderator is a site setting
(COP_FORUM_NAME_MODERATORS), since some communities protect their moderators from harassment.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from cop.errors import ServiceError
from cop.extensions import db
from cop.forum import access
from cop.forum.models import ACTION_KINDS, ACTION_REASONS, ModerationAction, Thread

#: The longest period one export covers.
MAX_EXPORT_DAYS = 366 * 2


@dataclass(frozen=True)
class Entry:
    """One line of the log, as one reader may see it."""

    action: ModerationAction
    kind: str
    reason: str
    #: The thread's title and its address, when the reader may see the thread; else None.
    thread_title: Optional[str]
    thread_id: Optional[int]
    post_number: Optional[int]
    #: Words for a target the reader may not see ("a thread in a private category"), or a member's name.
    target_words: str
    moderator_name: Optional[str]
    by_forum: bool


def names_moderators() -> bool:
    return bool(current_app.config.get("COP_FORUM_NAME_MODERATORS"))


def entry_for(actor: Any, action: ModerationAction) -> Entry:
    """What one reader is shown of one action."""
    thread: Optional[Thread] = action.thread
    seen = thread is not None and access.can_see_category(actor, thread.category) and access.thread_is_open(thread)
    if thread is not None and not seen:
        target = "a thread in a category you cannot see"
    elif action.kind in ("suspend", "silence", "lift", "trust"):
        target = action.target_user.display_name if action.target_user is not None else "a former member"
    elif action.category is not None and thread is None:
        target = action.category.name if access.can_see_category(actor, action.category) else "a category you cannot see"
    else:
        target = ""
    moderator = None
    if action.moderator is not None and (names_moderators() or access.is_site_moderator(actor)):
        moderator = action.moderator.display_name
    return Entry(
        action=action, kind=ACTION_KINDS.get(action.kind, action.kind), reason=ACTION_REASONS.get(action.reason, action.reason),
        thread_title=thread.title if seen else None, thread_id=thread.id if seen else None,
        post_number=action.post.number if seen and action.post is not None else None,
        target_words=target, moderator_name=moderator, by_forum=action.moderator_id is None,
    )


def _loaded() -> list[Any]:
    return [
        so.joinedload(ModerationAction.thread).joinedload(Thread.category),
        so.joinedload(ModerationAction.post),
        so.joinedload(ModerationAction.category),
        so.joinedload(ModerationAction.target_user),
        so.joinedload(ModerationAction.moderator),
    ]


def log_page(actor: Any, page: int, per_page: int, kind: Optional[str] = None):
    """A page of the log, newest first, each entry as this reader may see it."""
    stmt = sa.select(ModerationAction).options(*_loaded()).order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
    if kind in ACTION_KINDS:
        stmt = stmt.where(ModerationAction.kind == kind)
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    pagination.entries = [entry_for(actor, action) for action in pagination.items]
    return pagination


def period(start: Optional[date], end: Optional[date]) -> tuple[date, date]:
    """An export's days, first and last included: the last 30 days unless said; refused when back to front or too long."""
    today = datetime.now(timezone.utc).date()
    end = end or today
    start = start or end - timedelta(days=29)
    if start > end:
        raise ServiceError("The first day must be on or before the last day.", field="start")
    if (end - start).days + 1 > MAX_EXPORT_DAYS:
        raise ServiceError(f"An export covers at most {MAX_EXPORT_DAYS} days.", field="start")
    return start, end


def actions_in(start: date, end: date) -> list[ModerationAction]:
    """Every action from the start of the first day to the end of the last (UTC), oldest first."""
    since = datetime.combine(start, time(0), tzinfo=timezone.utc)
    until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=timezone.utc)
    return list(db.session.scalars(
        sa.select(ModerationAction).where(ModerationAction.created_at >= since, ModerationAction.created_at < until)
        .options(*_loaded()).order_by(ModerationAction.created_at, ModerationAction.id)
    ))


def _row(actor: Any, action: ModerationAction) -> dict[str, Any]:
    entry = entry_for(actor, action)
    return {
        "id": action.id, "time": action.created_at.astimezone(timezone.utc).isoformat(timespec="seconds"),
        "kind": action.kind, "reason": action.reason, "note": action.note if entry.thread_id or not action.thread_id else "",
        "detail": action.detail, "thread_id": entry.thread_id, "thread": entry.thread_title, "post_number": entry.post_number,
        "target": entry.target_words, "moderator": entry.moderator_name or ("the forum" if entry.by_forum else ""),
    }


def transparency_report(actor: Any, start: date, end: date) -> dict[str, Any]:
    """The actions of a period counted by kind, by reason, and by both, with every action listed."""
    actions = actions_in(start, end)
    by_kind = Counter(a.kind for a in actions)
    by_reason = Counter(a.reason for a in actions)
    by_both = Counter((a.kind, a.reason) for a in actions)
    return {
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "total": len(actions),
        "by_kind": dict(sorted(by_kind.items())),
        "by_reason": dict(sorted(by_reason.items())),
        "by_kind_and_reason": [{"kind": k, "reason": r, "count": n} for (k, r), n in sorted(by_both.items())],
        "actions": [_row(actor, a) for a in actions],
    }


CSV_COLUMNS = ("id", "time", "kind", "reason", "note", "detail", "thread_id", "thread", "post_number", "target", "moderator")


def _cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def report_csv(report: dict[str, Any]) -> str:
    """The report as CSV: the counts by kind and reason first, then every action."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["# moderation actions", report["period"]["start"], report["period"]["end"], report["total"]])
    writer.writerow(["kind", "reason", "count"])
    for row in report["by_kind_and_reason"]:
        writer.writerow([row["kind"], row["reason"], row["count"]])
    writer.writerow([])
    writer.writerow(CSV_COLUMNS)
    for row in report["actions"]:
        writer.writerow([_cell(row[c]) if row[c] is not None else "" for c in CSV_COLUMNS])
    return out.getvalue()
