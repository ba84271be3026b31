"""Case study pages: the library, each story, writing and reviewing, revisions, Atom and print."""

from __future__ import annotations

import logging
from typing import Any, Optional

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from cop.cache import public_page, shared_part
from cop.casestudies import atom, finding, forms, revisions, services
from cop.casestudies.models import ENGAGEMENT_MODES, LICENCES, SECTIONS, CaseStudy, CaseStudyRevision
from cop.clock import utcnow
from cop.errors import ServiceError
from cop.extensions import db
from cop.forms import EmptyForm
from cop.text.markdown import render_markdown, sanitise_html
from cop.text.places import country_name
from cop.urls import external_url
from cop.web import (
    act_and_redirect, add_page_section, attach_error, list_title, page_number, page_sections, render_around_shared, render_form,
    require_page,
)

log = logging.getLogger(__name__)

bp = Blueprint("casestudies", __name__, template_folder="templates")

#: How many entries an Atom feed carries.
FEED_LENGTH = 20
#: How many of a person's or an agency's case studies their page lists.
SECTION_LENGTH = 5


def _actor() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _readable_or_404(slug: str, everything: bool = True) -> CaseStudy:
    case_study = services.readable_case_study(_actor(), slug, everything)
    if case_study is None:
        abort(404)
    return case_study


# ---------------------------------------------------------------- the library


@bp.route("/case-studies")
@public_page
def index():
    return render_around_shared(
        "casestudies/index.html", "casestudies.library", "casestudies/_library.html", _library, keep=("title", "feed_url", "args"),
        can_write=current_user.is_authenticated and current_user.agency_id is not None,
    )


def _library() -> dict[str, Any]:
    """The list, its search and filters, as everyone sees them."""
    filters = finding.Filters.from_args(request.args)
    pagination = require_page(finding.case_studies_page(filters, page_number(), current_app.config["COP_PER_PAGE"]))
    options = finding.filter_options()
    args = filters.as_args()
    return {
        "title": list_title("Case studies", pagination.page, finding.describe(filters, options), pagination.total),
        "pagination": pagination,
        "filters": filters,
        "args": args,
        "options": options,
        "sorts": finding.SORTS,
        "snippets": finding.snippets_for(filters, pagination.items),
        "modes": ENGAGEMENT_MODES,
        "feed_url": url_for("casestudies.feed", **{k: v for k, v in args.items() if k != "sort"}),
    }


@bp.route("/case-studies/feed.atom")
@public_page
def feed():
    filters = finding.Filters.from_args(request.args)
    options = finding.filter_options()
    described = finding.describe(filters, options)
    args = {k: v for k, v in filters.as_args().items() if k != "sort"}
    body = atom.case_studies_to_atom(
        finding.latest(filters, FEED_LENGTH),
        title=" — ".join([f"{current_app.config['COP_SITE_NAME']}: case studies", *described]),
        feed_url=external_url("casestudies.feed", **args),
        page_url=external_url("casestudies.index", **args),
        url_for_case_study=lambda c: external_url("casestudies.case_study", slug=c.slug),
        site_name=current_app.config["COP_SITE_NAME"],
        updated=utcnow(),
    )
    return Response(body, mimetype="application/atom+xml", headers={"Content-Type": "application/atom+xml; charset=utf-8"})


@bp.route("/case-studies/yours")
@login_required
def yours():
    actor = _actor()
    return render_template(
        "casestudies/yours.html",
        drafts=services.drafts_for(actor),
        queue=services.review_queue(actor),
        statuses=services.STATUS_WORDS,
        can_write=actor.agency_id is not None,
    )


# ---------------------------------------------------------------- one case study


def _sections_html(source: Any) -> list[tuple[str, str, Markup]]:
    """(field, heading, HTML) of each section that has words; source is a case study or a revision's content."""
    get = source.get if isinstance(source, dict) else lambda name: getattr(source, name)
    return [(name, heading, render_markdown(get(name))) for name, heading, _required in SECTIONS if get(name)]


@bp.route("/case-studies/<slug>")
@public_page
def case_study(slug: str):
    # What the story shows is loaded only when the kept story has to be made afresh.
    case_study = _readable_or_404(slug, everything=False)
    actor = _actor()
    allowed = services.permissions(actor, case_study)
    # A case study in the library reads the same for everyone; a draft only its authors and reviewers see.
    public = case_study.status in ("published", "archived")
    story = shared_part("casestudies.story", lambda: _story(case_study)) if public else _story(case_study)
    return render_template(
        "casestudies/case_study.html",
        case_study=case_study,
        story=story,
        allowed=allowed,
        missing=services.missing_for_review(case_study) if allowed.submit else {},
        extras=page_sections("case_study", case_study),
        # Forms (and the CSRF token in the session they bring) only for someone who can use them.
        form=EmptyForm(formdata=None) if actor else None,
        return_form=forms.ReturnForm(formdata=None) if actor else None,
    )


def _story(case_study: CaseStudy) -> dict[str, Markup]:
    """The story with its facts, and the sharing links and related case studies beside it."""
    values = {
        "case_study": case_study,
        "sections": _sections_html(case_study),
        "remote_html": sanitise_html(case_study.remote_content),
        "related": finding.related(case_study) if case_study.status == "published" else [],
        "modes": ENGAGEMENT_MODES,
        "licence": LICENCES[case_study.licence],
        "country": country_name(case_study.agency.country),
    }
    return {"html": Markup(render_template("casestudies/_story.html", **values)),
            "aside": Markup(render_template("casestudies/_story_aside.html", **values))}


@bp.route("/case-studies/<slug>/print")
@public_page
def print_view(slug: str):
    case_study = _readable_or_404(slug)
    return render_template(
        "casestudies/print.html",
        case_study=case_study,
        sections=_sections_html(case_study),
        remote_html=sanitise_html(case_study.remote_content),
        modes=ENGAGEMENT_MODES,
        licence=LICENCES[case_study.licence],
        address=external_url("casestudies.case_study", slug=case_study.slug),
    )


# ---------------------------------------------------------------- writing


def _form(case_study: Optional[CaseStudy], agency_id: int) -> forms.CaseStudyForm:
    options = finding.filter_options()
    members = services.agency_members(agency_id)
    form = forms.CaseStudyForm(
        obj=case_study if request.method == "GET" else None,
        service_areas=options.service_areas,
        channels=[(t.id, t.name) for t in _topics("channel", case_study)],
        skills=[(t.id, t.name) for t in _topics("practice", case_study)],
        members=[(m.id, m.display_name) for m in members],
    )
    if request.method == "GET":
        if case_study is not None:
            form.service_area.data = case_study.service_area.slug if case_study.service_area else ""
            form.modes.data = case_study.mode_keys
            form.channels.data = [t.id for t in case_study.channels]
            form.skills.data = [t.id for t in case_study.skills]
            form.links.data = "\n".join(f"{link['url']} {link['title']}" for link in case_study.links)
            form.author_ids.data = [a.id for a in case_study.authors]
            form.note.data = ""
        else:
            form.author_ids.data = [current_user.id]
    return form


def _topics(group: str, case_study: Optional[CaseStudy]):
    from cop.text.services import list_topics

    kept = {t.id for t in case_study.topics} if case_study else set()
    return [
        t for t in list_topics(include_retired=True)
        if (t.group == "channel") == (group == "channel") and (not t.is_retired or t.id in kept)
    ]


def _input(form: forms.CaseStudyForm) -> services.CaseStudyInput:
    return services.CaseStudyInput(
        title=form.title.data or "",
        summary=form.summary.data or "",
        service_area=form.service_area.data or "",
        modes=list(form.modes.data or []),
        topic_ids=list(form.channels.data or []) + list(form.skills.data or []),
        level=form.level.data or "",
        started_on=form.started_on.data,
        ended_on=form.ended_on.data,
        set_dates=True,
        sections={name: getattr(form, name).data or "" for name, _heading, _required in SECTIONS},
        links=services.parse_links(form.links.data or ""),
        licence=form.licence.data,
        author_ids=list(form.author_ids.data or []),
    )


@bp.route("/case-studies/new", methods=["GET", "POST"])
@login_required
def new():
    actor = _actor()
    agency = services.require_writer(actor)
    form = _form(None, agency.id)
    if form.validate_on_submit():
        submit = request.form.get("action") == "submit"
        try:
            case_study = services.create_case_study(actor, _input(form), submit=submit)
        except ServiceError as error:
            db.session.rollback()
            return render_form("casestudies/form.html", form, attach_error(form, error), case_study=None, agency=agency)
        db.session.commit()
        flash("Your case study was sent for review." if submit else "Your draft was saved.", "success")
        return redirect(url_for("casestudies.case_study", slug=case_study.slug))
    return render_form("casestudies/form.html", form, case_study=None, agency=agency)


@bp.route("/case-studies/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    actor = _actor()
    case_study = _readable_or_404(slug)
    if not services.can_edit(actor, case_study):
        abort(403)
    form = _form(case_study, case_study.agency_id)
    if form.validate_on_submit():
        submit = request.form.get("action") == "submit"
        try:
            services.update_case_study(actor, case_study, _input(form), note=form.note.data or "")
            if submit:
                services.submit_for_review(actor, case_study)
        except ServiceError as error:
            db.session.rollback()
            case_study = services.get_case_study(slug)
            return render_form("casestudies/form.html", form, attach_error(form, error), case_study=case_study, agency=case_study.agency)
        db.session.commit()
        flash("It was sent for review." if submit else "Your changes were saved.", "success")
        return redirect(url_for("casestudies.case_study", slug=case_study.slug))
    return render_form("casestudies/form.html", form, case_study=case_study, agency=case_study.agency)


def _step(slug: str, action: Any, done: str, form: Any = None, allowed: Any = services.can_edit):
    """A workflow button: who may press it is checked before the form, so a refusal is a 403, not a message."""
    case_study = _readable_or_404(slug)
    if not allowed(_actor(), case_study):
        abort(403)
    form = form or EmptyForm()
    return act_and_redirect(
        form, lambda: action(_actor(), case_study), lambda _result: done,
        url_for("casestudies.case_study", slug=case_study.slug),
    )


@bp.route("/case-studies/<slug>/submit", methods=["POST"])
@login_required
def submit(slug: str):
    return _step(slug, services.submit_for_review, "It was sent for review. The agency's reviewers have been told.")


@bp.route("/case-studies/<slug>/publish", methods=["POST"])
@login_required
def publish(slug: str):
    return _step(slug, services.publish_case_study, "The case study is published. Its authors have been told.",
                 allowed=services.can_review)


@bp.route("/case-studies/<slug>/return", methods=["POST"])
@login_required
def return_to_authors(slug: str):
    form = forms.ReturnForm()
    return _step(
        slug, lambda actor, case_study: services.return_case_study(actor, case_study, form.comment.data),
        "It was returned to its authors with your comments.", form, allowed=services.can_review,
    )


@bp.route("/case-studies/<slug>/archive", methods=["POST"])
@login_required
def archive(slug: str):
    return _step(slug, services.archive_case_study, "The case study is archived: it has left the lists, and its page says so.",
                 allowed=services.can_review)


@bp.route("/case-studies/<slug>/restore", methods=["POST"])
@login_required
def restore(slug: str):
    return _step(slug, services.restore_case_study, "The case study is restored to the library.", allowed=services.can_review)


@bp.route("/case-studies/<slug>/delete", methods=["POST"])
@login_required
def delete(slug: str):
    case_study = _readable_or_404(slug)
    if not services.can_edit(_actor(), case_study):
        abort(403)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash("The form had expired. Try again.", "error")
        return redirect(url_for("casestudies.case_study", slug=slug))
    title = case_study.title
    try:
        services.delete_draft(_actor(), case_study)
    except ServiceError as error:
        db.session.rollback()
        if error.status_code == 403:
            raise
        flash(error.message, "error")
        return redirect(url_for("casestudies.case_study", slug=slug))
    db.session.commit()
    flash(f"The draft “{title}” was deleted.", "success")
    return redirect(url_for("casestudies.yours"))


# ---------------------------------------------------------------- revisions


def _with_revisions_or_404(slug: str) -> CaseStudy:
    """A case study whose revisions are kept here: one from another server keeps its history there."""
    case_study = _readable_or_404(slug)
    if case_study.is_remote:
        abort(404, f"This case study is published on {case_study.origin}, which keeps its earlier versions.")
    return case_study


def _revision_or_404(case_study: CaseStudy, number: int) -> CaseStudyRevision:
    revision = db.session.scalar(
        db.select(CaseStudyRevision).where(CaseStudyRevision.case_study_id == case_study.id, CaseStudyRevision.number == number)
    )
    if revision is None:
        abort(404)
    return revision


@bp.route("/case-studies/<slug>/revisions")
@public_page
def revisions_list(slug: str):
    case_study = _with_revisions_or_404(slug)
    items = list(
        db.session.scalars(
            db.select(CaseStudyRevision)
            .where(CaseStudyRevision.case_study_id == case_study.id)
            .options(db.joinedload(CaseStudyRevision.editor))
            .order_by(CaseStudyRevision.number.desc())
        )
    )
    return render_template("casestudies/revisions.html", case_study=case_study, revisions=items)


@bp.route("/case-studies/<slug>/revisions/<int:number>")
@public_page
def revision(slug: str, number: int):
    case_study = _with_revisions_or_404(slug)
    revision = _revision_or_404(case_study, number)
    return render_template(
        "casestudies/revision.html", case_study=case_study, revision=revision, content=revision.content,
        sections=_sections_html(revision.content),
    )


@bp.route("/case-studies/<slug>/changes")
@public_page
def changes(slug: str):
    case_study = _with_revisions_or_404(slug)
    if case_study.revision < 2:
        abort(404, "This case study has only one revision, so there is nothing to compare.")
    newer = request.args.get("to", case_study.revision, type=int)
    older = request.args.get("from", newer - 1, type=int)
    if older >= newer:
        older, newer = newer, older
    if older == newer:
        abort(404, "Choose two different revisions to compare.")
    if not (1 <= older and newer <= case_study.revision):
        abort(404, f"This case study has revisions 1 to {case_study.revision}.")
    old, new = _revision_or_404(case_study, older), _revision_or_404(case_study, newer)
    return render_template(
        "casestudies/changes.html", case_study=case_study, old=old, new=new,
        changes=revisions.compare(old.content, new.content),
    )


# ---------------------------------------------------------------- on people's and agencies' pages


def _person_section(person: Any) -> Markup:
    items, total = finding.by_author(person.id, SECTION_LENGTH)
    return Markup(render_template("casestudies/_listed_on_page.html", items=items, total=total, who=person.display_name,
                                  more=url_for("casestudies.index", author=person.id), show_agency=True))


def _agency_section(agency: Any) -> Markup:
    items, total = finding.by_agency(agency.id, SECTION_LENGTH)
    return Markup(render_template("casestudies/_listed_on_page.html", items=items, total=total, who=agency.name,
                                  more=url_for("casestudies.index", agency=agency.slug), show_agency=False))


def _home_section(_nothing: Any) -> Markup:
    items, total = finding.by_agency(None, SECTION_LENGTH)
    return Markup(render_template("casestudies/_on_home.html", items=items, total=total, modes=ENGAGEMENT_MODES))


add_page_section("home", _home_section)
add_page_section("person", _person_section)
add_page_section("agency", _agency_section)
