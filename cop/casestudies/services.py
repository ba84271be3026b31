"""Case studies: who may write, review and read them, and the workflow from draft to published and archived.

Services add and flush; the caller (route, API, command or task) commits once. Notices to authors and
reviewers are written in the same transaction as the step they tell of; the content signals
(case_study_published, case_study_updated, case_study_archived) go out only after that commit.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.accounts.models import LEVELS, User
from cop.accounts.services import is_signed_in
from cop.agencies.models import Agency
from cop.casestudies import revisions
from cop.casestudies.models import (
    DEFAULT_LICENCE,
    DEFAULT_SERVICE_AREAS,
    ENGAGEMENT_MODES,
    LICENCES,
    MAX_LINKS,
    MAX_SECTION_LENGTH,
    MAX_SUMMARY_LENGTH,
    MAX_TITLE_LENGTH,
    SEARCH_KIND,
    SECTIONS,
    CaseStudy,
    CaseStudyMode,
    CaseStudyRevision,
    ServiceArea,
)
from cop.clock import utcnow
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.extensions import db
from cop.notifications.services import notify, register_kind
from cop.signals import case_study_archived, case_study_published, case_study_updated, send_after_commit
from cop.text import search
from cop.text.markdown import html_to_text, strip_html
from cop.text.models import Topic
from cop.text.slugs import slugify
from cop.urls import site_path

log = logging.getLogger(__name__)

REVIEW = register_kind("case_study_review", "A case study from your agency waits for your review").name
STATUS = register_kind("case_study_status", "A case study you wrote is published, returned, archived or restored").name
AGENCY_NEWS = register_kind("agency_case_study", "Your agency publishes a new case study", mail_by_default=False).name

_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)


# ---------------------------------------------------------------- who may do what


def agency_has_admin(agency_id: int) -> bool:
    """Whether an agency has an admin of its own to review its case studies."""
    return db.session.scalar(
        sa.select(sa.exists().where(User.agency_id == agency_id, User.is_agency_admin.is_(True), User.is_active.is_(True)))
    )


def refuse_if_remote(case_study: CaseStudy) -> None:
    """A case study another server published is read here and changed only there."""
    if case_study.is_remote:
        raise PermissionDenied(f"This case study is published on {case_study.origin}; it can only be changed there.")


def can_review(actor: Any, case_study: CaseStudy) -> bool:
    """The agency's admins review its case studies; site moderators where it has none; site admins always.
    Nobody here reviews a case study another server published."""
    if not is_signed_in(actor) or case_study.is_remote:
        return False
    if actor.is_site_admin:
        return True
    if actor.is_agency_admin and actor.agency_id == case_study.agency_id:
        return True
    return actor.is_moderator and not agency_has_admin(case_study.agency_id)


def is_author(actor: Any, case_study: CaseStudy) -> bool:
    """An author who is still a member of the agency the case study belongs to."""
    return is_signed_in(actor) and actor.agency_id == case_study.agency_id and any(a.id == actor.id for a in case_study.authors)


def can_edit(actor: Any, case_study: CaseStudy) -> bool:
    """Its authors and its reviewers edit a case study, until it is archived; one from another server, never."""
    return not case_study.is_remote and case_study.status != "archived" and (is_author(actor, case_study) or can_review(actor, case_study))


def can_read(actor: Any, case_study: CaseStudy) -> bool:
    """Anyone reads a published or archived case study; before that, only its authors and reviewers."""
    return case_study.is_public or is_author(actor, case_study) or can_review(actor, case_study)


def require_writer(actor: Any) -> Agency:
    """The agency a person writes for: they must be a member of one."""
    if not is_signed_in(actor):
        raise PermissionDenied("Sign in to write a case study.")
    if actor.agency is None:
        raise PermissionDenied("Case studies are written for an agency. Join your agency first, from its page.")
    return actor.agency


@dataclass(frozen=True)
class Permissions:
    """What one person may do with one case study, for pages and the API to show or offer."""

    edit: bool
    submit: bool
    review: bool
    archive: bool
    restore: bool


def permissions(actor: Any, case_study: CaseStudy) -> Permissions:
    """What the actor may do with the case study now."""
    review = can_review(actor, case_study)
    edit = can_edit(actor, case_study)
    return Permissions(
        edit=edit,
        submit=edit and case_study.status in ("draft", "returned"),
        review=review and case_study.status == "in_review",
        archive=review and case_study.status == "published",
        restore=review and case_study.status == "archived",
    )


# ---------------------------------------------------------------- reading


def get_case_study(slug: str, everything: bool = True) -> Optional[CaseStudy]:
    """The case study with this address, whoever may read it: with what its page shows, or (``everything``
    False) with only what deciding who may do what with it needs, its agency and authors."""
    options = [
        so.selectinload(CaseStudy.authors).load_only(
            User.id, User.display_name, User.agency_id, User.open_to_mentoring, User.mentoring_capacity
        ),
        so.joinedload(CaseStudy.agency),
    ]
    if everything:
        options = [
            so.selectinload(CaseStudy.authors).selectinload(User.agency),
            so.selectinload(CaseStudy.topics),
            so.selectinload(CaseStudy.modes),
            so.joinedload(CaseStudy.agency),
            so.joinedload(CaseStudy.service_area),
        ]
    return db.session.scalar(sa.select(CaseStudy).where(CaseStudy.slug == slug).options(*options))


def readable_case_study(actor: Any, slug: str, everything: bool = True) -> Optional[CaseStudy]:
    """The case study if the actor may read it; None (not found) otherwise, so drafts stay unknown."""
    case_study = get_case_study(slug, everything)
    if case_study is None or not can_read(actor, case_study):
        return None
    return case_study


def service_areas() -> list[ServiceArea]:
    """Every service area, by name."""
    return list(db.session.scalars(sa.select(ServiceArea).order_by(ServiceArea.name)))


def ensure_default_service_areas() -> int:
    """Add any default service area that is missing; how many were added."""
    existing = set(db.session.scalars(sa.select(ServiceArea.slug)))
    added = 0
    for name in DEFAULT_SERVICE_AREAS:
        if slugify(name) not in existing:
            db.session.add(ServiceArea(slug=slugify(name), name=name))
            added += 1
    db.session.flush()
    return added


def agency_members(agency_id: int) -> list[User]:
    """The active members of an agency, who may be named as authors."""
    return list(
        db.session.scalars(
            sa.select(User).where(User.agency_id == agency_id, User.is_active.is_(True)).order_by(User.display_name)
        )
    )


def drafts_for(actor: Any) -> list[CaseStudy]:
    """The case studies the actor is writing or has waiting for review, newest first."""
    if not is_signed_in(actor):
        return []
    from cop.casestudies.models import case_study_authors

    return list(
        db.session.scalars(
            sa.select(CaseStudy)
            .join(case_study_authors, case_study_authors.c.case_study_id == CaseStudy.id)
            .where(case_study_authors.c.user_id == actor.id, CaseStudy.status.in_(("draft", "in_review", "returned")))
            .order_by(CaseStudy.updated_at.desc())
        )
    )


def review_queue(actor: Any) -> list[CaseStudy]:
    """The case studies waiting for this person's review, oldest first."""
    if not is_signed_in(actor) or not (actor.is_moderator or actor.is_agency_admin):
        return []
    stmt = (
        sa.select(CaseStudy)
        .where(CaseStudy.status == "in_review")
        .options(so.joinedload(CaseStudy.agency))
        .order_by(CaseStudy.submitted_at)
    )
    if not actor.is_site_admin:
        reviewable = []
        if actor.is_agency_admin and actor.agency_id:
            reviewable.append(CaseStudy.agency_id == actor.agency_id)
        if actor.is_moderator:
            has_admin = sa.exists().where(
                User.agency_id == CaseStudy.agency_id, User.is_agency_admin.is_(True), User.is_active.is_(True)
            )
            reviewable.append(~has_admin)
        stmt = stmt.where(sa.or_(*reviewable))
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------- writing


@dataclass
class CaseStudyInput:
    """Everything a writer fills in. None leaves a field as it is (so the API can change only some)."""

    title: Optional[str] = None
    summary: Optional[str] = None
    service_area: Optional[str] = None  #: a ServiceArea slug, or "" for none yet
    modes: Optional[list[str]] = None
    topic_ids: Optional[list[int]] = None  #: channels and skills from the shared taxonomy
    level: Optional[str] = None  #: a key of LEVELS, or "" for none yet
    started_on: Optional[date] = None
    ended_on: Optional[date] = None
    sections: dict[str, str] = field(default_factory=dict)
    links: Optional[list[dict[str, str]]] = None
    licence: Optional[str] = None
    author_ids: Optional[list[int]] = None
    #: Dates are only changed when this is set (None is a real value for them).
    set_dates: bool = False


def parse_links(text: str) -> list[dict[str, str]]:
    """Links written one per line, an address and what it is ('https://… Our blog post'), as a list."""
    links = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        match = _URL.search(line)
        if match is None:
            raise ServiceError(f"Line {number} of the links has no web address. Start it with https://", field="links")
        title = " ".join((line[: match.start()] + " " + line[match.end():]).replace(" - ", " ").split()).strip(" -–|")
        links.append({"title": title or match.group(0), "url": match.group(0)})
    return links


def _check_links(links: list[dict[str, str]]) -> list[dict[str, str]]:
    if len(links) > MAX_LINKS:
        raise ServiceError(f"Add at most {MAX_LINKS} links.", field="links")
    checked = []
    for link in links:
        url, title = (link.get("url") or "").strip(), strip_html(link.get("title") or "").strip()
        if not _URL.fullmatch(url) or len(url) > 500:
            raise ServiceError("Each link needs a full web address starting with https://", field="links")
        checked.append({"title": (title or url)[:200], "url": url})
    return checked


def _apply(actor: Any, case_study: CaseStudy, data: CaseStudyInput) -> None:
    """Copy what was filled in onto the case study, checking each value; nothing is required yet."""
    if data.title is not None:
        title = " ".join(strip_html(data.title).split())
        if not title:
            raise ServiceError("Enter a title.", field="title")
        if len(title) > MAX_TITLE_LENGTH:
            raise ServiceError(f"The title must be {MAX_TITLE_LENGTH} characters or fewer.", field="title")
        case_study.title = title
    if data.summary is not None:
        summary = " ".join(strip_html(data.summary).split())
        if len(summary) > MAX_SUMMARY_LENGTH:
            raise ServiceError(f"The summary must be {MAX_SUMMARY_LENGTH} characters or fewer.", field="summary")
        case_study.summary = summary
    if data.service_area is not None:
        if data.service_area == "":
            case_study.service_area = None
        else:
            area = db.session.scalar(sa.select(ServiceArea).where(ServiceArea.slug == data.service_area))
            if area is None:
                raise ServiceError("Choose a service area from the list.", field="service_area")
            case_study.service_area = area
    if data.modes is not None:
        unknown = set(data.modes) - ENGAGEMENT_MODES.keys()
        if unknown:
            raise ServiceError("Choose engagement modes from the list.", field="modes")
        wanted = set(data.modes)
        case_study.modes = [m for m in case_study.modes if m.mode in wanted] + [
            CaseStudyMode(mode=mode) for mode in sorted(wanted - set(case_study.mode_keys))
        ]
    if data.topic_ids is not None:
        ids = set(data.topic_ids)
        topics = list(db.session.scalars(sa.select(Topic).where(Topic.id.in_(ids)))) if ids else []
        current = {t.id for t in case_study.topics}
        if len(topics) != len(ids) or any(t.is_retired and t.id not in current for t in topics):
            raise ServiceError("Choose channels and skills from the lists.", field="topic_ids")
        case_study.topics = sorted(topics, key=lambda t: t.name)
    if data.level is not None:
        if data.level and data.level not in LEVELS:
            raise ServiceError("Choose a level: 101, 202 or 303.", field="level")
        case_study.level = data.level or None
    if data.set_dates:
        if data.started_on and data.ended_on and data.ended_on < data.started_on:
            raise ServiceError("The end date must be on or after the start date.", field="ended_on")
        case_study.started_on, case_study.ended_on = data.started_on, data.ended_on
    for name, _heading, _required in SECTIONS:
        if name in data.sections and data.sections[name] is not None:
            text = strip_html(data.sections[name]).strip()
            if len(text) > MAX_SECTION_LENGTH:
                raise ServiceError(f"Each section must be {MAX_SECTION_LENGTH:,} characters or fewer.", field=name)
            setattr(case_study, name, text)
    if data.links is not None:
        case_study.links = _check_links(data.links)
    if data.licence is not None:
        if data.licence not in LICENCES:
            raise ServiceError("Choose a licence from the list.", field="licence")
        case_study.licence = data.licence
    if data.author_ids is not None:
        _set_authors(actor, case_study, data.author_ids)


def _set_authors(actor: Any, case_study: CaseStudy, author_ids: Iterable[int]) -> None:
    ids = set(author_ids)
    authors = list(db.session.scalars(sa.select(User).where(User.id.in_(ids)))) if ids else []
    if len(authors) != len(ids) or any(a.agency_id != case_study.agency_id or not a.is_active for a in authors):
        raise ServiceError("Authors must be members of the agency the case study is for.", field="author_ids")
    if not authors:
        raise ServiceError("Name at least one author.", field="author_ids")
    # Writers keep themselves on it: dropping yourself would lock you out of your own draft.
    if is_author(actor, case_study) and not can_review(actor, case_study) and actor.id not in ids:
        raise ServiceError("Keep yourself as an author: you could not edit it otherwise.", field="author_ids")
    case_study.authors = sorted(authors, key=lambda a: a.display_name)


def missing_for_review(case_study: CaseStudy) -> dict[str, str]:
    """What a case study still lacks before it can be reviewed: field -> message, in the form's order."""
    missing: dict[str, str] = {}
    if not case_study.summary:
        missing["summary"] = "Enter a summary of one paragraph."
    if case_study.service_area_id is None and case_study.service_area is None:
        missing["service_area"] = "Choose the service area."
    if not case_study.modes:
        missing["modes"] = "Choose at least one engagement mode."
    if not case_study.level:
        missing["level"] = "Choose the level of practice: 101, 202 or 303."
    for name, heading, required in SECTIONS:
        if required and not getattr(case_study, name):
            missing[name] = f"Write the section “{heading}”."
    return missing


def _require_complete(case_study: CaseStudy) -> None:
    missing = missing_for_review(case_study)
    if missing:
        first = next(iter(missing))
        raise ServiceError(missing[first], field=first, fields=missing)


def _unique_slug(title: str) -> str:
    base = slugify(title, max_length=90) or "case-study"
    taken = set(
        db.session.scalars(sa.select(CaseStudy.slug).where(sa.or_(CaseStudy.slug == base, CaseStudy.slug.like(f"{base}-%"))))
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def create_case_study(actor: Any, data: CaseStudyInput, submit: bool = False) -> CaseStudy:
    """A member starts a case study for their agency, as a draft (or sends it straight for review)."""
    agency = require_writer(actor)
    if not data.title or not " ".join(strip_html(data.title).split()):
        raise ServiceError("Enter a title.", field="title")
    case_study = CaseStudy(agency=agency, agency_id=agency.id, created_by_id=actor.id, status="draft", licence=DEFAULT_LICENCE, links=[])
    case_study.authors = [actor]
    _apply(actor, case_study, data)
    case_study.slug = _unique_slug(case_study.title)
    db.session.add(case_study)
    try:
        db.session.flush()
    except sa.exc.IntegrityError as error:
        # Another case study took the same address a moment ago; the caller rolls back.
        raise Conflict("Another case study with this title was started at the same moment. Send it again.", field="title") from error
    log.info("user %s started case study %s for %s", actor.id, case_study.slug, agency.slug)
    if submit:
        submit_for_review(actor, case_study)
    return case_study


def update_case_study(actor: Any, case_study: CaseStudy, data: CaseStudyInput, note: str = "") -> CaseStudy:
    """Its authors or reviewers change a case study; a published one gets a new revision at once."""
    refuse_if_remote(case_study)
    if not can_edit(actor, case_study):
        if case_study.status == "archived":
            raise Conflict("An archived case study cannot be edited. Restore it first.")
        raise PermissionDenied("Only its authors and the agency's reviewers can edit this case study.")
    _apply(actor, case_study, data)
    case_study.updated_at = utcnow()
    if case_study.status == "published":
        _require_complete(case_study)
        before = db.session.scalar(
            sa.select(CaseStudyRevision.content).where(
                CaseStudyRevision.case_study_id == case_study.id, CaseStudyRevision.number == case_study.revision
            )
        )
        db.session.flush()
        if before == revisions.snapshot(case_study):
            return case_study
        record_revision(actor, case_study, note)
        index_case_study(case_study)
        send_after_commit(case_study_updated, CaseStudy, case_study.id)
    db.session.flush()
    log.info("user %s edited case study %s", actor.id, case_study.slug)
    return case_study


def record_revision(actor: Any, case_study: CaseStudy, note: str, when: Optional[datetime] = None) -> CaseStudyRevision:
    """Keep the case study as it reads now as its next revision."""
    case_study.revision += 1
    revision = CaseStudyRevision(
        case_study_id=case_study.id,
        number=case_study.revision,
        content=revisions.snapshot(case_study),
        note=" ".join(strip_html(note or "").split())[:200],
        editor_id=actor.id if actor is not None and getattr(actor, "id", None) else None,
        created_at=when or utcnow(),
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def index_case_study(case_study: CaseStudy) -> None:
    """Make a published case study findable, or refresh what the search index holds of it."""
    body = "\n".join(
        [case_study.summary, case_study.agency.name, case_study.service_area.name if case_study.service_area else ""]
        + [t.name for t in case_study.topics]
        + [getattr(case_study, name) for name, _h, _r in SECTIONS]
        + [html_to_text(case_study.remote_content)]
    )
    search.index_document(SEARCH_KIND, case_study.id, case_study.title, body)


# ---------------------------------------------------------------- the workflow


def _require_status(case_study: CaseStudy, *allowed: str, doing: str) -> None:
    if case_study.status not in allowed:
        raise Conflict(f"This case study is {STATUS_WORDS[case_study.status]}, so it cannot be {doing}.")


STATUS_WORDS = {
    "draft": "a draft",
    "in_review": "waiting for review",
    "returned": "returned to its authors",
    "published": "published",
    "archived": "archived",
}


def reviewers_of(case_study: CaseStudy) -> list[User]:
    """Who is told a case study waits for review: the agency's admins, or else the site's moderators."""
    admins = list(
        db.session.scalars(
            sa.select(User).where(
                User.agency_id == case_study.agency_id, User.is_agency_admin.is_(True), User.is_active.is_(True)
            )
        )
    )
    if admins:
        return admins
    moderators = list(db.session.scalars(sa.select(User).where(User.site_role == "moderator", User.is_active.is_(True))))
    return moderators or list(db.session.scalars(sa.select(User).where(User.site_role == "site_admin", User.is_active.is_(True))))


def _tell_authors(actor: Any, case_study: CaseStudy, title: str, body: str) -> None:
    for author in case_study.authors:
        if is_signed_in(actor) and author.id == actor.id:
            continue
        notify(author, STATUS, title, site_path("casestudies.case_study", slug=case_study.slug), mail_body=body)


def submit_for_review(actor: Any, case_study: CaseStudy) -> CaseStudy:
    """An author sends a complete draft (or a returned one) to the agency's reviewers."""
    refuse_if_remote(case_study)
    if not can_edit(actor, case_study):
        raise PermissionDenied("Only its authors can send this case study for review.")
    _require_status(case_study, "draft", "returned", doing="sent for review")
    _require_complete(case_study)
    case_study.status = "in_review"
    case_study.submitted_at = case_study.updated_at = utcnow()
    db.session.flush()
    link = site_path("casestudies.case_study", slug=case_study.slug)
    for reviewer in reviewers_of(case_study):
        if is_signed_in(actor) and reviewer.id == actor.id:
            continue
        notify(
            reviewer, REVIEW, f"“{case_study.title}” from {case_study.agency.name} waits for your review", link,
            mail_body=f"{actor.display_name} sent “{case_study.title}” for review. Read it, then publish it or return it with comments.",
        )
    log.info("user %s sent case study %s for review", actor.id, case_study.slug)
    return case_study


def publish_case_study(actor: Any, case_study: CaseStudy) -> CaseStudy:
    """A reviewer publishes a case study that waits for review: revision 1, or the next one."""
    refuse_if_remote(case_study)
    if not can_review(actor, case_study):
        raise PermissionDenied(f"Only admins of {case_study.agency.name} (or the site's moderators) can publish this case study.")
    _require_status(case_study, "in_review", doing="published")
    _require_complete(case_study)
    now = utcnow()
    case_study.status = "published"
    case_study.published_at = case_study.published_at or now
    case_study.updated_at = now
    case_study.review_comment = ""
    case_study.reviewed_by_id = actor.id
    record_revision(actor, case_study, "Published" if case_study.revision == 0 else "Published again after review")
    index_case_study(case_study)
    _tell_authors(actor, case_study, f"“{case_study.title}” is published", f"{actor.display_name} published “{case_study.title}”. It is now in the case study library.")
    send_after_commit(case_study_published, CaseStudy, case_study.id, first=case_study.revision == 1)
    log.info("user %s published case study %s", actor.id, case_study.slug)
    return case_study


def return_case_study(actor: Any, case_study: CaseStudy, comment: str) -> CaseStudy:
    """A reviewer sends a case study back to its authors with what to change."""
    refuse_if_remote(case_study)
    if not can_review(actor, case_study):
        raise PermissionDenied(f"Only admins of {case_study.agency.name} (or the site's moderators) can return this case study.")
    _require_status(case_study, "in_review", doing="returned")
    comment = strip_html(comment or "").strip()
    if not comment:
        raise ServiceError("Say what the authors should change.", field="comment")
    if len(comment) > 2000:
        raise ServiceError("Comments must be 2,000 characters or fewer.", field="comment")
    case_study.status = "returned"
    case_study.review_comment = comment
    case_study.reviewed_by_id = actor.id
    case_study.updated_at = utcnow()
    db.session.flush()
    _tell_authors(
        actor, case_study, f"“{case_study.title}” was returned with comments",
        f"{actor.display_name} returned “{case_study.title}” with these comments:\n\n{comment}\n\nChange it, then send it for review again.",
    )
    log.info("user %s returned case study %s", actor.id, case_study.slug)
    return case_study


def archive_case_study(actor: Any, case_study: CaseStudy) -> CaseStudy:
    """A reviewer takes a published case study out of listings; its address keeps working and says so."""
    refuse_if_remote(case_study)
    if not can_review(actor, case_study):
        raise PermissionDenied(f"Only admins of {case_study.agency.name} can archive this case study.")
    _require_status(case_study, "published", doing="archived")
    case_study.status = "archived"
    case_study.archived_at = case_study.updated_at = utcnow()
    search.remove_document(SEARCH_KIND, case_study.id)
    db.session.flush()
    _tell_authors(actor, case_study, f"“{case_study.title}” is archived", f"{actor.display_name} archived “{case_study.title}”. Its page stays, marked as archived.")
    send_after_commit(case_study_archived, CaseStudy, case_study.id)
    log.info("user %s archived case study %s", actor.id, case_study.slug)
    return case_study


def restore_case_study(actor: Any, case_study: CaseStudy) -> CaseStudy:
    """A reviewer brings an archived case study back into listings."""
    refuse_if_remote(case_study)
    if not can_review(actor, case_study):
        raise PermissionDenied(f"Only admins of {case_study.agency.name} can restore this case study.")
    _require_status(case_study, "archived", doing="restored")
    case_study.status = "published"
    case_study.archived_at = None
    case_study.updated_at = utcnow()
    index_case_study(case_study)
    db.session.flush()
    _tell_authors(actor, case_study, f"“{case_study.title}” is restored", f"{actor.display_name} restored “{case_study.title}” to the case study library.")
    send_after_commit(case_study_published, CaseStudy, case_study.id, first=False)
    log.info("user %s restored case study %s", actor.id, case_study.slug)
    return case_study


def delete_draft(actor: Any, case_study: CaseStudy) -> None:
    """An author deletes a case study that was never published."""
    refuse_if_remote(case_study)
    if not can_edit(actor, case_study):
        raise PermissionDenied("Only its authors can delete this draft.")
    _require_status(case_study, "draft", "returned", doing="deleted")
    db.session.delete(case_study)
    db.session.flush()
    log.info("user %s deleted draft case study %s", actor.id, case_study.slug)


def change_status(actor: Any, case_study: CaseStudy, status: str, comment: str = "") -> CaseStudy:
    """Move a case study to a status by the step that leads there (for the API's PATCH)."""
    refuse_if_remote(case_study)
    if status == case_study.status:
        return case_study
    if status == "in_review":
        return submit_for_review(actor, case_study)
    if status == "published":
        if case_study.status == "archived":
            return restore_case_study(actor, case_study)
        return publish_case_study(actor, case_study)
    if status == "returned":
        return return_case_study(actor, case_study, comment)
    if status == "archived":
        return archive_case_study(actor, case_study)
    raise ServiceError("Status must be one of in_review, published, returned or archived.", field="status")


@case_study_published.connect
def tell_agency_members(case_study: CaseStudy, first: bool = False, **_: Any) -> None:
    """When an agency first publishes a case study, its other members hear of it (by mail only if they ask)."""
    if not first:
        return
    authors = {a.id for a in case_study.authors}
    link = site_path("casestudies.case_study", slug=case_study.slug)
    for member in agency_members(case_study.agency_id):
        if member.id not in authors:
            notify(member, AGENCY_NEWS, f"{case_study.agency.name} published “{case_study.title}”", link)
