"""Finding published case studies: filters, search, related ones, and what a person or an agency published."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, fields
from typing import Any, Mapping, Optional

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from cop.accounts.models import LEVELS, User
from cop.agencies.models import Agency
from cop.casestudies.models import (
    ENGAGEMENT_MODES,
    SEARCH_KIND,
    CaseStudy,
    CaseStudyMode,
    ServiceArea,
    case_study_authors,
    case_study_topics,
)
from cop.extensions import db
from cop.text import search
from cop.text.models import Topic
from cop.text.places import country_name

#: How many related case studies a page shows.
RELATED_COUNT = 3
SORTS = {"newest": "Newest first", "relevance": "Most relevant first"}


@dataclass(frozen=True)
class Filters:
    """What a list of case studies is narrowed to; every field is optional. Unknown values find nothing."""

    q: str = ""
    agency: str = ""  #: an agency's slug
    country: str = ""  #: ISO 3166-1 alpha-2, upper-case
    service_area: str = ""  #: a service area's slug
    mode: str = ""  #: a key of ENGAGEMENT_MODES
    channel: str = ""  #: a topic's slug (a channel)
    skill: str = ""  #: a topic's slug (a practice)
    level: str = ""  #: a key of LEVELS
    author: str = ""  #: a person's id: the case studies they wrote
    sort: str = ""  #: a key of SORTS; relevance when searching, newest otherwise

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> "Filters":
        """Filters from query arguments; anything else in them is ignored."""
        values = {f.name: " ".join(str(args.get(f.name) or "").split())[:200] for f in fields(cls)}
        values["country"] = values["country"].upper()
        if values["sort"] not in SORTS:
            values["sort"] = ""
        return cls(**values)

    def as_args(self) -> dict[str, str]:
        """The filters set, as query arguments (for links, pagination and feeds)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    @property
    def searching(self) -> bool:
        return bool(search.parse_query(self.q))

    @property
    def effective_sort(self) -> str:
        if self.sort == "relevance" and not self.searching:
            return "newest"
        return self.sort or ("relevance" if self.searching else "newest")


def published() -> sa.ColumnElement[bool]:
    """Listed case studies, written (as a literal) to match the partial index the newest-first lists read."""
    return CaseStudy.status == sa.literal_column("'published'")


def _with_topic(slug: str, group_is_channel: bool) -> sa.ColumnElement[bool]:
    group = Topic.group == "channel" if group_is_channel else Topic.group != "channel"
    return sa.exists().where(
        case_study_topics.c.case_study_id == CaseStudy.id,
        case_study_topics.c.topic_id == Topic.id,
        Topic.slug == slug,
        group,
    )


def filtered(filters: Filters) -> tuple[sa.Select, Optional[sa.Subquery]]:
    """The published case studies the filters select, in their order; and the search matches, if searching."""
    stmt = sa.select(CaseStudy).where(published())
    if filters.agency:
        stmt = stmt.where(CaseStudy.agency_id == sa.select(Agency.id).where(Agency.slug == filters.agency).scalar_subquery())
    if filters.country:
        stmt = stmt.where(CaseStudy.agency_id.in_(sa.select(Agency.id).where(Agency.country == filters.country)))
    if filters.service_area:
        stmt = stmt.where(
            CaseStudy.service_area_id == sa.select(ServiceArea.id).where(ServiceArea.slug == filters.service_area).scalar_subquery()
        )
    if filters.mode:
        stmt = stmt.where(
            sa.exists().where(CaseStudyMode.case_study_id == CaseStudy.id, CaseStudyMode.mode == filters.mode)
        )
    if filters.channel:
        stmt = stmt.where(_with_topic(filters.channel, True))
    if filters.skill:
        stmt = stmt.where(_with_topic(filters.skill, False))
    if filters.level:
        stmt = stmt.where(CaseStudy.level == filters.level)
    if filters.author:
        author_id = int(filters.author) if filters.author.isdigit() and len(filters.author) < 10 else 0
        stmt = stmt.where(
            sa.exists().where(case_study_authors.c.case_study_id == CaseStudy.id, case_study_authors.c.user_id == author_id)
        )
    matches = search.matching(SEARCH_KIND, filters.q) if filters.q else None
    if matches is not None:
        stmt = stmt.join(matches, matches.c.object_id == CaseStudy.id)
    if matches is not None and filters.effective_sort == "relevance":
        stmt = stmt.order_by(matches.c.relevance.desc(), CaseStudy.published_at.desc(), CaseStudy.id.desc())
    else:
        stmt = stmt.order_by(CaseStudy.published_at.desc(), CaseStudy.id.desc())
    return stmt, matches


#: What a list shows of each case study; the story's sections stay in the database.
LIST_COLUMNS = (
    CaseStudy.id, CaseStudy.slug, CaseStudy.title, CaseStudy.summary, CaseStudy.agency_id, CaseStudy.service_area_id,
    CaseStudy.level, CaseStudy.status, CaseStudy.published_at, CaseStudy.updated_at,
    # Where a case study from another server came from, which lists say.
    CaseStudy.remote_uri,
)


def _for_a_list(stmt: sa.Select, whole: bool = False) -> sa.Select:
    options = [
        so.joinedload(CaseStudy.agency), so.joinedload(CaseStudy.service_area), so.selectinload(CaseStudy.modes),
        so.selectinload(CaseStudy.topics),
    ]
    if not whole:
        options.append(so.load_only(*LIST_COLUMNS))
    return stmt.options(*options)


def case_studies_page(filters: Filters, page: int, per_page: int):
    """A page of published case studies for the filters, with what a list shows of each."""
    stmt, _matches = filtered(filters)
    return db.paginate(_for_a_list(stmt), page=page, per_page=per_page, error_out=False)


def latest(filters: Filters, count: int) -> list[CaseStudy]:
    """The newest published case studies for the filters (for feeds), with their authors."""
    stmt, _matches = filtered(Filters(**{**filters.as_args(), "sort": "newest"}))
    return list(db.session.scalars(_for_a_list(stmt, whole=True).options(so.selectinload(CaseStudy.authors)).limit(count)))


def snippets_for(filters: Filters, case_studies: list[CaseStudy]) -> dict[int, search.Snippet]:
    """Highlighted extracts for the case studies on a page of search results."""
    if not filters.searching:
        return {}
    return search.snippets(SEARCH_KIND, filters.q, [c.id for c in case_studies])


@dataclass(frozen=True)
class FilterOptions:
    """What each filter offers: (value, label) pairs."""

    agencies: list[tuple[str, str]]
    countries: list[tuple[str, str]]
    service_areas: list[tuple[str, str]]
    modes: list[tuple[str, str]]
    channels: list[tuple[str, str]]
    skills: list[tuple[str, str]]
    levels: list[tuple[str, str]]


#: How long a process reuses the filters' choices: agencies, topics and service areas change rarely.
OPTIONS_TTL = 60.0


def filter_options() -> FilterOptions:
    """Every filter's choices; read at most once a minute per process (three statements when read)."""
    cache = current_app.extensions.setdefault("casestudies.filter_options", {})
    now = time.monotonic()
    if cache.get("until", 0.0) < now:
        cache["options"], cache["until"] = _read_filter_options(), now + OPTIONS_TTL
    return cache["options"]


def _read_filter_options() -> FilterOptions:
    agencies = db.session.execute(sa.select(Agency.slug, Agency.name, Agency.country).order_by(Agency.name)).all()
    topics = db.session.execute(
        sa.select(Topic.slug, Topic.name, Topic.group).where(Topic.retired_at.is_(None)).order_by(Topic.name)
    ).all()
    areas = db.session.execute(sa.select(ServiceArea.slug, ServiceArea.name).order_by(ServiceArea.name)).all()
    # Agencies on other servers have no country here.
    countries = sorted({(a.country, country_name(a.country) or a.country) for a in agencies if a.country}, key=lambda c: c[1])
    return FilterOptions(
        agencies=[(a.slug, a.name) for a in agencies],
        countries=countries,
        service_areas=[(a.slug, a.name) for a in areas],
        modes=list(ENGAGEMENT_MODES.items()),
        channels=[(t.slug, t.name) for t in topics if t.group == "channel"],
        skills=[(t.slug, t.name) for t in topics if t.group != "channel"],
        levels=list(LEVELS.items()),
    )


def describe(filters: Filters, options: FilterOptions) -> list[str]:
    """The filters in words, for titles: 'search: floods', 'service area: Libraries'…"""
    def label(pairs: list[tuple[str, str]], value: str) -> str:
        return next((name for key, name in pairs if key == value), value)

    words = [f"search: {filters.q}" if filters.q else ""]
    for name, pairs, value in (
        ("agency", options.agencies, filters.agency),
        ("country", options.countries, filters.country),
        ("service area", options.service_areas, filters.service_area),
        ("engagement", options.modes, filters.mode),
        ("channel", options.channels, filters.channel),
        ("skill", options.skills, filters.skill),
        ("level", options.levels, filters.level),
    ):
        if value:
            words.append(f"{name}: {label(pairs, value)}")
    if filters.author:
        name = db.session.scalar(sa.select(User.display_name).where(User.id == int(filters.author))) if filters.author.isdigit() and len(filters.author) < 10 else None
        words.append(f"by {name or 'nobody known'}")
    return [w for w in words if w]


# ---------------------------------------------------------------- related case studies


#: How long a process reuses a case study's related ones, and for how many case studies at most.
RELATED_TTL = 600.0
RELATED_CACHED = 2000


def related(case_study: CaseStudy, count: int = RELATED_COUNT) -> list[CaseStudy]:
    """The related case studies a page shows: worked out at most every ten minutes per case study and process
    (and again whenever it changes), since scoring them reads far more than the page shows."""
    cache: OrderedDict = current_app.extensions.setdefault("casestudies.related", OrderedDict())
    key = (case_study.id, case_study.updated_at, count)
    hit = cache.get(key)
    now = time.monotonic()
    if hit is None or hit[0] < now:
        hit = (now + RELATED_TTL, [c.id for c in _score_related(case_study, count)])
        cache[key] = hit
        while len(cache) > RELATED_CACHED:
            cache.popitem(last=False)
    if not hit[1]:
        return []
    found = {
        c.id: c
        for c in db.session.scalars(
            sa.select(CaseStudy).where(CaseStudy.id.in_(hit[1]), published())
            .options(so.load_only(*LIST_COLUMNS), so.joinedload(CaseStudy.agency))
        )
    }
    return [found[i] for i in hit[1] if i in found]


def _score_related(case_study: CaseStudy, count: int) -> list[CaseStudy]:
    """Published case studies most like this one: channels and skills in common, the same service area and
    modes, and words in common.

    Bounded statements whatever the size of the library: the 50 sharing the most topics (read from the
    topic index), the 20 sharing the most words (through the search index), and one load of those
    candidates to score and show.
    """
    topic_ids = [t.id for t in case_study.topics]
    scores: dict[int, float] = {}
    if topic_ids:
        shared = sa.func.count().label("shared")
        rows = db.session.execute(
            sa.select(case_study_topics.c.case_study_id, shared)
            .join(CaseStudy, CaseStudy.id == case_study_topics.c.case_study_id)
            .where(case_study_topics.c.topic_id.in_(topic_ids), published(), CaseStudy.id != case_study.id)
            .group_by(case_study_topics.c.case_study_id)
            .order_by(shared.desc(), case_study_topics.c.case_study_id.desc())
            .limit(50)
        ).all()
        scores.update({row.case_study_id: float(row.shared) for row in rows})
    alike = search.similar(SEARCH_KIND, case_study.title, exclude=case_study.id, limit=20)
    for rank, object_id in enumerate(alike):
        scores[object_id] = scores.get(object_id, 0.0) + 3.0 * (1 - rank / 20)
    if not scores:
        return []
    candidates = list(
        db.session.scalars(
            sa.select(CaseStudy).where(CaseStudy.id.in_(scores), published())
            .options(so.load_only(*LIST_COLUMNS), so.joinedload(CaseStudy.agency), so.selectinload(CaseStudy.modes))
        )
    )
    modes = set(case_study.mode_keys)
    for candidate in candidates:
        scores[candidate.id] += len(modes & set(candidate.mode_keys))
        if case_study.service_area_id and candidate.service_area_id == case_study.service_area_id:
            scores[candidate.id] += 2
    candidates.sort(key=lambda c: (-scores[c.id], -c.id))
    return candidates[:count]


# ---------------------------------------------------------------- on people's and agencies' pages


def by_author(user_id: int, count: int) -> tuple[list[CaseStudy], int]:
    """A person's newest published case studies, and how many they have published."""
    where = (published(), case_study_authors.c.user_id == user_id)
    base = sa.select(CaseStudy).join(case_study_authors, case_study_authors.c.case_study_id == CaseStudy.id).where(*where)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    items = list(
        db.session.scalars(
            base.options(so.joinedload(CaseStudy.agency)).order_by(CaseStudy.published_at.desc(), CaseStudy.id.desc()).limit(count)
        )
    )
    return items, total


def by_agency(agency_id: Optional[int], count: int) -> tuple[list[CaseStudy], int]:
    """An agency's newest published case studies (every agency's, for None), and how many there are."""
    base = sa.select(CaseStudy).where(published())
    if agency_id is not None:
        base = base.where(CaseStudy.agency_id == agency_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    items = list(
        db.session.scalars(
            base.options(so.joinedload(CaseStudy.service_area), so.joinedload(CaseStudy.agency))
            .order_by(CaseStudy.published_at.desc(), CaseStudy.id.desc())
            .limit(count)
        )
    )
    return items, total
