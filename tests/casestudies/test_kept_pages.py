"""Case study pages kept for anonymous visitors follow every step of the workflow."""

from __future__ import annotations

from tests.test_page_cache import anonymous_get

PUBLIC = ("/case-studies", "/case-studies/feed.atom", "/api/v1/case-studies", "/")


def test_publishing_a_case_study_shows_it_in_the_list_feed_and_api(app, cast, make_case_study):
    for path in PUBLIC:
        anonymous_get(app, path)
    make_case_study("Flood warnings on WhatsApp")
    for path in PUBLIC:
        response, statements = anonymous_get(app, path)
        assert statements > 0 and b"Flood warnings on WhatsApp" in response.data, path


def test_archiving_takes_a_case_study_out_of_kept_lists_at_once(app, cast, make_case_study):
    from cop.casestudies import services
    from cop.casestudies.models import CaseStudy
    from cop.extensions import db

    slug = make_case_study("Flood warnings on WhatsApp")
    for path in PUBLIC:
        assert b"Flood warnings on WhatsApp" in anonymous_get(app, path)[0].data
    with app.app_context():
        case_study = db.session.query(CaseStudy).filter_by(slug=slug).one()
        services.archive_case_study(db.session.get(type(case_study.authors[0]), cast.admin), case_study)
        db.session.commit()
    for path in PUBLIC:
        assert b"Flood warnings on WhatsApp" not in anonymous_get(app, path)[0].data, path
    assert b"archived" in anonymous_get(app, f"/case-studies/{slug}")[0].data
