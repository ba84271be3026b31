"""Case studies: an agency's story of something it did, structured so peers can compare and find it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so

from cop.agencies.models import Agency
from cop.cache import watch
from cop.clock import UTCDateTime, utcnow
from cop.extensions import db
from cop.text.models import Topic

if TYPE_CHECKING:
    from cop.accounts.models import User

#: Where a case study is in its workflow, and what pages call each step.
STATUSES = {
    "draft": "Draft",
    "in_review": "In review",
    "returned": "Returned with comments",
    "published": "Published",
    "archived": "Archived",
}
#: How the agency engaged people; a case study has one or more.
ENGAGEMENT_MODES = {
    "broadcast": "Broadcast",
    "consultation": "Consultation",
    "co_development": "Co-development and crowdsourcing",
    "customer_service": "Customer service",
}
#: Licences a case study may carry: key -> (name, the licence's own page or None).
LICENCES = {
    "cc-by-4.0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "cc-by-nc-sa-4.0": ("CC BY-NC-SA 4.0", "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    "all-rights-reserved": ("All rights reserved", None),
}
DEFAULT_LICENCE = "cc-by-4.0"
#: The story, in order: (field, heading, required before review).
SECTIONS = (
    ("challenge", "The challenge", True),
    ("approach", "What we did", True),
    ("results", "Results", True),
    ("lessons", "Lessons learned", True),
    ("differently", "What we would do differently", False),
    ("resources", "Resources it took", False),
)
SECTION_NAMES = tuple(name for name, _heading, _required in SECTIONS)
#: The service areas a new site starts with; site admins may add more in the database.
DEFAULT_SERVICE_AREAS = (
    "Waste and recycling", "Libraries", "Planning", "Transport and roads", "Health and social care",
    "Emergency management", "Education", "Parks and leisure", "Tourism and events", "Elections",
    "Customer service", "Internal communications", "Economic development",
)
#: What case studies are indexed as in the search service.
SEARCH_KIND = "case_study"
MAX_TITLE_LENGTH = 150
MAX_SUMMARY_LENGTH = 300
MAX_SECTION_LENGTH = 20_000
MAX_LINKS = 10


class ServiceArea(db.Model):
    """A public service a case study is about, such as libraries or elections: a taxonomy of its own."""

    __tablename__ = "service_areas"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    slug: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(80), unique=True)


case_study_authors = sa.Table(
    "case_study_authors",
    db.metadata,
    sa.Column("case_study_id", sa.ForeignKey("case_studies.id", ondelete="CASCADE"), primary_key=True),
    # Indexed too: a person's profile lists the case studies they wrote.
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)

case_study_topics = sa.Table(
    "case_study_topics",
    db.metadata,
    sa.Column("case_study_id", sa.ForeignKey("case_studies.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("topic_id", sa.ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class CaseStudyMode(db.Model):
    """One engagement mode of a case study (a key of ENGAGEMENT_MODES)."""

    __tablename__ = "case_study_modes"

    case_study_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("case_studies.id", ondelete="CASCADE"), primary_key=True)
    mode: so.Mapped[str] = so.mapped_column(sa.String(30), primary_key=True, index=True)


class CaseStudy(db.Model):
    """What an agency did, why, how it went and what it learnt; reviewed before it is published."""

    __tablename__ = "case_studies"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft', 'in_review', 'returned', 'published', 'archived')", name="status_known"
        ),
        sa.CheckConstraint("level IN ('101', '202', '303')", name="level_known"),
        sa.Index("ix_case_studies_agency_status", "agency_id", "status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Made from the title when the case study is started and never changed, so its address lasts.
    slug: so.Mapped[str] = so.mapped_column(sa.String(100), unique=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(MAX_TITLE_LENGTH))
    summary: so.Mapped[str] = so.mapped_column(sa.String(MAX_SUMMARY_LENGTH), default="")
    agency_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"))
    service_area_id: so.Mapped[Optional[int]] = so.mapped_column(
        sa.ForeignKey("service_areas.id", ondelete="RESTRICT"), index=True
    )
    #: A key of cop.accounts.models.LEVELS: how advanced the practice is.
    level: so.Mapped[Optional[str]] = so.mapped_column(sa.String(3))
    started_on: so.Mapped[Optional[date]] = so.mapped_column(sa.Date)
    ended_on: so.Mapped[Optional[date]] = so.mapped_column(sa.Date)
    # The story, in Markdown (see SECTIONS).
    challenge: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    approach: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    results: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    lessons: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    differently: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    resources: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: [{"title": ..., "url": ...}, ...]
    links: so.Mapped[list[dict[str, str]]] = so.mapped_column(sa.JSON, default=list)
    #: A key of LICENCES.
    licence: so.Mapped[str] = so.mapped_column(sa.String(30), default=DEFAULT_LICENCE)
    #: A key of STATUSES.
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="draft")
    #: What the reviewer said when they last returned it; cleared when it is published.
    review_comment: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    #: The number of the newest revision (0 until first published).
    revision: so.Mapped[int] = so.mapped_column(default=0)

    created_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_by_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: When it was first published: lists sort by it, newest first.
    published_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    archived_at: so.Mapped[Optional[datetime]] = so.mapped_column(UTCDateTime())
    #: A case study another server published (its agency is remote): the object's id there, its page there, and
    #: its story as that server sent it, sanitised HTML. None, "" and "" for case studies written here.
    remote_uri: so.Mapped[Optional[str]] = so.mapped_column(sa.String(2000), unique=True)
    remote_url: so.Mapped[str] = so.mapped_column(sa.String(2000), default="", server_default="")
    remote_content: so.Mapped[str] = so.mapped_column(sa.Text, default="", server_default="")

    agency: so.Mapped[Agency] = so.relationship()
    service_area: so.Mapped[Optional[ServiceArea]] = so.relationship()
    authors: so.Mapped[list["User"]] = so.relationship(secondary=case_study_authors, order_by="User.display_name")
    topics: so.Mapped[list[Topic]] = so.relationship(secondary=case_study_topics, order_by=Topic.name)
    modes: so.Mapped[list[CaseStudyMode]] = so.relationship(cascade="all, delete-orphan", order_by=CaseStudyMode.mode)
    created_by: so.Mapped[Optional["User"]] = so.relationship(foreign_keys=[created_by_id])

    @property
    def mode_keys(self) -> list[str]:
        return [m.mode for m in self.modes]

    @property
    def channels(self) -> list[Topic]:
        return [t for t in self.topics if t.group == "channel"]

    @property
    def skills(self) -> list[Topic]:
        return [t for t in self.topics if t.group != "channel"]

    @property
    def is_remote(self) -> bool:
        """Published on another server and received through federation: read here, edited there."""
        return self.remote_uri is not None

    @property
    def origin(self) -> str:
        """The host of the server a remote case study came from; "" for one written here."""
        return urlsplit(self.remote_uri).netloc.lower() if self.remote_uri else ""

    @property
    def is_public(self) -> bool:
        """Published or archived: anyone may read it (an archived one says so)."""
        return self.status in ("published", "archived")

    def __repr__(self) -> str:
        return f"<CaseStudy {self.slug} {self.status}>"


# The list pages read published case studies newest first and stop after a page.
_published = CaseStudy.status == sa.literal_column("'published'")
sa.Index(
    "ix_case_studies_published_newest",
    CaseStudy.published_at,
    CaseStudy.id,
    sqlite_where=_published,
    postgresql_where=_published,
)
# The two filters most lists use, service area and level, each read from an index of their own, newest first.
sa.Index(
    "ix_case_studies_published_area",
    CaseStudy.service_area_id,
    CaseStudy.level,
    CaseStudy.published_at,
    sqlite_where=_published,
    postgresql_where=_published,
)
sa.Index(
    "ix_case_studies_published_level",
    CaseStudy.level,
    CaseStudy.published_at,
    sqlite_where=_published,
    postgresql_where=_published,
)


class CaseStudyRevision(db.Model):
    """The case study as it was published: revision 1 at first, one more for each edit after."""

    __tablename__ = "case_study_revisions"
    __table_args__ = (sa.UniqueConstraint("case_study_id", "number", name="uq_case_study_revisions_number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_study_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("case_studies.id", ondelete="CASCADE"))
    number: so.Mapped[int]
    #: The fields a reader sees, as they were (see cop.casestudies.revisions.snapshot).
    content: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON)
    #: What the editor said they changed.
    note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    editor_id: so.Mapped[Optional[int]] = so.mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime(), default=utcnow)

    editor: so.Mapped[Optional["User"]] = so.relationship()


watch(ServiceArea, CaseStudy, CaseStudyMode, CaseStudyRevision)
