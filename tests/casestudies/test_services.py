"""The workflow's rules: who writes, who reviews, what each step does, and what is refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.casestudies import services
from cop.casestudies.models import CaseStudy, CaseStudyRevision
from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.extensions import db as _db
from cop.notifications.models import Notification
from tests.casestudies.conftest import COMPLETE, user


def get(slug: str) -> CaseStudy:
    return services.get_case_study(slug)


def notices_for(user_id: int) -> list[Notification]:
    return list(_db.session.scalars(sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)))


def test_a_draft_needs_only_a_title_and_gets_a_slug(db, cast):
    case_study = services.create_case_study(user(cast.writer), services.CaseStudyInput(title="  Our first   blog "))
    db.session.commit()
    assert (case_study.slug, case_study.title, case_study.status) == ("our-first-blog", "Our first blog", "draft")
    assert [a.id for a in case_study.authors] == [cast.writer]


def test_a_duplicate_title_gets_a_suffix(db, cast):
    slugs = [services.create_case_study(user(cast.writer), services.CaseStudyInput(title="Floods")).slug for _ in range(3)]
    assert slugs == ["floods", "floods-2", "floods-3"]


def test_only_members_of_an_agency_write(db, cast):
    with pytest.raises(PermissionDenied):
        services.create_case_study(user(cast.moderator), services.CaseStudyInput(title="Floods"))


def test_submitting_names_everything_missing(db, cast):
    case_study = services.create_case_study(user(cast.writer), services.CaseStudyInput(title="Floods"))
    with pytest.raises(ServiceError) as refused:
        services.submit_for_review(user(cast.writer), case_study)
    assert list(refused.value.fields) == ["summary", "service_area", "modes", "level", "challenge", "approach", "results", "lessons"]
    assert case_study.status == "draft"


def test_summary_over_the_limit_and_unknown_values_are_refused(db, cast):
    writer = user(cast.writer)
    for data, field in (
        (services.CaseStudyInput(title="x", summary="a" * 301), "summary"),
        (services.CaseStudyInput(title="x", service_area="nowhere"), "service_area"),
        (services.CaseStudyInput(title="x", modes=["shouting"]), "modes"),
        (services.CaseStudyInput(title="x", level="404"), "level"),
        (services.CaseStudyInput(title="x", licence="mine"), "licence"),
        (services.CaseStudyInput(title="x", topic_ids=[999_999]), "topic_ids"),
        (services.CaseStudyInput(title="x", links=[{"title": "x", "url": "javascript:alert(1)"}]), "links"),
    ):
        with pytest.raises(ServiceError) as refused:
            services.create_case_study(writer, data)
        assert refused.value.field == field


def test_script_and_event_handlers_are_removed_from_what_is_stored(db, cast):
    case_study = services.create_case_study(
        user(cast.writer),
        services.CaseStudyInput(
            title="<b onmouseover=alert(1)>Safe</b> title",
            sections={"challenge": "Before <script>alert(1)</script> after <img src=x onerror=alert(2)> and a < b"},
        ),
    )
    assert case_study.title == "Safe title"
    assert case_study.challenge == "Before  after  and a < b"


def test_authors_must_belong_to_the_agency(db, cast):
    with pytest.raises(ServiceError) as refused:
        services.create_case_study(user(cast.writer), services.CaseStudyInput(title="x", author_ids=[cast.writer, cast.outsider]))
    assert refused.value.field == "author_ids"


def test_the_whole_workflow_tells_authors_and_reviewers(db, cast):
    writer, admin = user(cast.writer), user(cast.admin)
    case_study = services.create_case_study(
        writer, services.CaseStudyInput(title="Bins", author_ids=[cast.writer, cast.colleague], **COMPLETE), submit=True
    )
    db.session.commit()
    assert case_study.status == "in_review"
    assert [n.kind for n in notices_for(cast.admin)] == ["case_study_review"]

    services.return_case_study(admin, case_study, "Add the figures for the second quarter.")
    db.session.commit()
    assert case_study.status == "returned"
    assert [n.title for n in notices_for(cast.colleague)] == ["“Bins” was returned with comments"]

    services.submit_for_review(writer, case_study)
    services.publish_case_study(admin, case_study)
    db.session.commit()
    assert case_study.status == "published" and case_study.revision == 1 and case_study.review_comment == ""
    assert notices_for(cast.writer)[-1].title == "“Bins” is published"

    services.archive_case_study(admin, case_study)
    db.session.commit()
    assert case_study.status == "archived" and case_study.archived_at is not None
    services.restore_case_study(admin, case_study)
    db.session.commit()
    assert case_study.status == "published"
    assert [n.title for n in notices_for(cast.colleague)][-2:] == ["“Bins” is archived", "“Bins” is restored"]


def test_a_step_out_of_order_is_a_conflict(db, cast, make_case_study):
    slug = make_case_study(status="draft")
    with pytest.raises(Conflict):
        services.publish_case_study(user(cast.admin), get(slug))
    with pytest.raises(Conflict):
        services.archive_case_study(user(cast.admin), get(slug))


def test_who_may_review(db, cast, make_case_study, make_agency, make_user):
    slug = make_case_study(status="in_review")
    for person in (cast.writer, cast.colleague, cast.outsider, cast.moderator):
        with pytest.raises(PermissionDenied):
            services.publish_case_study(user(person), get(slug))
    services.publish_case_study(user(cast.site_admin), get(slug))


def test_moderators_review_for_an_agency_without_admins(db, cast, make_agency, make_user):
    make_agency("hull", domains=["hull.example"])
    writer = user(make_user("writer@hull.example", agency="hull"))
    case_study = services.create_case_study(writer, services.CaseStudyInput(title="Hull", **COMPLETE), submit=True)
    db.session.commit()
    assert [n.kind for n in notices_for(cast.moderator)] == ["case_study_review"]
    assert services.can_review(user(cast.moderator), case_study)
    assert not services.can_review(user(cast.admin), case_study)
    services.publish_case_study(user(cast.moderator), case_study)


def test_another_agency_cannot_edit(db, cast, make_case_study):
    slug = make_case_study()
    with pytest.raises(PermissionDenied):
        services.update_case_study(user(cast.outsider), get(slug), services.CaseStudyInput(title="Mine now"))
    assert get(slug).title == "Bin collections on Twitter"


def test_editing_a_published_case_study_makes_a_revision_and_keeps_the_old_one(db, cast, make_case_study):
    slug = make_case_study()
    case_study = get(slug)
    services.update_case_study(user(cast.writer), case_study, services.CaseStudyInput(summary="Calls fell by a fifth."), note="Rounder figure")
    db.session.commit()
    revisions = list(db.session.scalars(sa.select(CaseStudyRevision).order_by(CaseStudyRevision.number)))
    assert [r.number for r in revisions] == [1, 2] and case_study.revision == 2
    assert revisions[0].content["summary"] == COMPLETE["summary"]
    assert revisions[1].content["summary"] == "Calls fell by a fifth." and revisions[1].note == "Rounder figure"
    # Saving with no change makes no revision.
    services.update_case_study(user(cast.writer), case_study, services.CaseStudyInput(summary="Calls fell by a fifth."))
    db.session.commit()
    assert case_study.revision == 2


def test_a_published_case_study_cannot_lose_a_required_section(db, cast, make_case_study):
    slug = make_case_study()
    with pytest.raises(ServiceError) as refused:
        services.update_case_study(user(cast.writer), get(slug), services.CaseStudyInput(sections={"results": ""}))
    assert refused.value.field == "results"


def test_archived_case_studies_cannot_be_edited(db, cast, make_case_study):
    slug = make_case_study(status="archived")
    with pytest.raises(Conflict):
        services.update_case_study(user(cast.admin), get(slug), services.CaseStudyInput(title="New"))


def test_drafts_are_read_only_by_authors_and_reviewers(db, cast, make_case_study):
    slug = make_case_study(status="draft")
    assert services.readable_case_study(user(cast.writer), slug) is not None
    assert services.readable_case_study(user(cast.admin), slug) is not None
    assert services.readable_case_study(user(cast.outsider), slug) is None
    assert services.readable_case_study(user(cast.colleague), slug) is None
    assert services.readable_case_study(None, slug) is None


def test_signals_go_out_after_commit_and_never_on_rollback(db, cast, make_case_study):
    from cop.signals import case_study_archived, case_study_published, case_study_updated

    heard: list[tuple[str, str, str]] = []

    def listen(name):
        def receiver(sender, **_):
            heard.append((name, sender.slug, sender.status))
        return receiver

    receivers = {name: listen(name) for name in ("published", "updated", "archived")}
    case_study_published.connect(receivers["published"])
    case_study_updated.connect(receivers["updated"])
    case_study_archived.connect(receivers["archived"])
    try:
        slug = make_case_study(status="in_review")
        case_study = get(slug)
        services.publish_case_study(user(cast.admin), case_study)
        assert heard == []  # not before the commit
        db.session.commit()
        assert heard == [("published", slug, "published")]
        services.update_case_study(user(cast.writer), case_study, services.CaseStudyInput(summary="Changed."))
        db.session.rollback()
        assert len(heard) == 1  # nothing for a change that was rolled back
        case_study = get(slug)
        services.update_case_study(user(cast.writer), case_study, services.CaseStudyInput(summary="Changed."))
        services.archive_case_study(user(cast.admin), case_study)
        db.session.commit()
        assert [h[0] for h in heard] == ["published", "updated", "archived"]
    finally:
        case_study_published.disconnect(receivers["published"])
        case_study_updated.disconnect(receivers["updated"])
        case_study_archived.disconnect(receivers["archived"])


def test_search_follows_the_workflow(db, cast, make_case_study):
    from cop.casestudies.finding import Filters, case_studies_page

    make_case_study(title="Flood warnings on WhatsApp", status="in_review")
    published = make_case_study(title="Flood maps online")

    def found(q: str) -> list[str]:
        return [c.slug for c in case_studies_page(Filters(q=q), 1, 20).items]

    assert found("flood") == [published]
    services.archive_case_study(user(cast.admin), get(published))
    db.session.commit()
    assert found("flood") == []
    services.restore_case_study(user(cast.admin), get(published))
    db.session.commit()
    assert found("flood") == [published]


def test_deleting_a_draft(db, cast, make_case_study):
    slug = make_case_study(status="draft")
    with pytest.raises(PermissionDenied):
        services.delete_draft(user(cast.outsider), get(slug))
    services.delete_draft(user(cast.writer), get(slug))
    db.session.commit()
    assert get(slug) is None
    published = make_case_study(title="Kept")
    with pytest.raises(Conflict):
        services.delete_draft(user(cast.writer), get(published))


def test_members_of_the_agency_hear_of_a_first_publication_after_commit(db, cast, make_case_study):
    slug = make_case_study(status="in_review")
    case_study = get(slug)
    services.publish_case_study(user(cast.admin), case_study)
    assert [n.kind for n in notices_for(cast.colleague)] == []
    db.session.commit()
    db.session.expire_all()
    assert [n.title for n in notices_for(cast.colleague)] == ["Leeds City Council published “Bin collections on Twitter”"]
    assert "agency_case_study" not in [n.kind for n in notices_for(cast.writer)]  # the author is told otherwise
    assert [n.kind for n in notices_for(cast.outsider)] == []
    services.archive_case_study(user(cast.admin), get(slug))
    services.restore_case_study(user(cast.admin), get(slug))
    db.session.commit()
    assert len([n for n in notices_for(cast.colleague) if n.kind == "agency_case_study"]) == 1
