"""Programme pages for agency and site admins: create, choose people, compute, review the report, adjust, publish."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from cop.agencies.models import Agency
from cop.errors import ServiceError
from cop.extensions import db
from cop.forms import EmptyForm
from cop.matching import charts, forms, programmes
from cop.matching.models import PROGRAMME_STATUSES, Programme
from cop.matching.routes import bp
from cop.web import act_and_redirect, attach_error, render_form

#: The most people each list of the "choose people" page offers.
CHOICES_SHOWN = 500


def _actor() -> Any:
    return current_user._get_current_object()


def _require_runner() -> None:
    if not programmes.can_run_programmes(_actor()):
        abort(403)


def _programme_or_404(programme_id: int) -> Programme:
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        abort(404)
    if not programmes.can_run(_actor(), programme):
        abort(403)
    return programme


@bp.route("/mentoring/programmes")
@login_required
def programmes_index():
    _require_runner()
    return render_template("matching/programmes.html", items=programmes.visible_programmes(_actor()), statuses=PROGRAMME_STATUSES)


@bp.route("/mentoring/programmes/new", methods=["GET", "POST"])
@login_required
def new_programme():
    _require_runner()
    actor = _actor()
    choices = [(str(a.id), a.name) for a in db.session.scalars(sa.select(Agency).order_by(Agency.name))] if actor.is_site_admin else []
    form = forms.ProgrammeForm(agency_choices=choices)
    if form.validate_on_submit():
        agency = db.session.get(Agency, int(form.agency_id.data)) if actor.is_site_admin and form.agency_id.data else None
        try:
            programme = programmes.create_programme(actor, form.name.data or "", bool(form.stable.data), agency)
        except ServiceError as error:
            db.session.rollback()
            return render_form("matching/programme_new.html", form, attach_error(form, error))
        db.session.commit()
        flash("The programme is made. Now choose its newcomers and mentors.", "success")
        return redirect(url_for("matching.programme_people", programme_id=programme.id))
    return render_form("matching/programme_new.html", form)


@bp.route("/mentoring/programmes/<int:programme_id>")
@login_required
def programme(programme_id: int):
    found = _programme_or_404(programme_id)
    report = found.report
    matches = programmes.matches(found) if found.status in ("computed", "published") else []
    mentors = programmes.members(found, "mentor") if found.status == "computed" else []
    return render_template(
        "matching/programme.html", found=found, statuses=PROGRAMME_STATUSES, report=report, matches=matches, mentors=mentors,
        newcomer_count=len(programmes.members(found, "newcomer")), mentor_count=len(programmes.members(found, "mentor")),
        similarity_chart=charts.histogram(
            [tuple(b) for b in report["histogram"]], title="How similar the matched pairs are",
            x_label="Similarity", y_label="Pairs", id="similarity-chart") if report else None,
        load_chart=charts.bar_chart(
            [(str(load), count) for load, count in report["load_distribution"]], title="How many newcomers each mentor has",
            x_label="Newcomers per mentor", y_label="Mentors", id="load-chart") if report else None,
        form=EmptyForm(formdata=None), adjust_form=forms.AdjustForm(formdata=None),
    )


@bp.route("/mentoring/programmes/<int:programme_id>/people", methods=["GET", "POST"])
@login_required
def programme_people(programme_id: int):
    found = _programme_or_404(programme_id)
    form = forms.MembersForm()
    newcomers = db.session.scalars(programmes.newcomer_choices(found).limit(CHOICES_SHOWN)).all()
    mentors = db.session.scalars(programmes.mentor_choices(found).limit(CHOICES_SHOWN)).all()
    form.newcomer_ids.choices = [(p.id, f"{p.display_name} ({p.level}{', ' + p.agency.name if p.agency else ''})") for p in newcomers]
    form.mentor_ids.choices = [(p.id, f"{p.display_name} ({p.level}, {p.mentoring_capacity - p.mentees_count} places left"
                                       f"{', ' + p.agency.name if p.agency else ''})") for p in mentors]
    if request.method == "GET":
        form.newcomer_ids.data = [p.id for p in programmes.members(found, "newcomer")]
        form.mentor_ids.data = [p.id for p in programmes.members(found, "mentor")]
    if form.validate_on_submit():
        try:
            programmes.set_members(_actor(), found, form.newcomer_ids.data or [], form.mentor_ids.data or [])
        except ServiceError as error:
            db.session.rollback()
            return render_form("matching/programme_people.html", form, attach_error(form, error), found=found)
        db.session.commit()
        flash("The programme's people are saved. Compute the matches when you are ready.", "success")
        return redirect(url_for("matching.programme", programme_id=found.id))
    return render_form("matching/programme_people.html", form, found=found)


@bp.route("/mentoring/programmes/<int:programme_id>/compute", methods=["POST"])
@login_required
def compute_programme(programme_id: int):
    found = _programme_or_404(programme_id)
    return act_and_redirect(
        EmptyForm(), lambda: programmes.start_computing(_actor(), found),
        lambda queued: "The programme is being computed: this page shows how far it has got." if queued
        else "The matches are computed. Review them before you publish.",
        url_for("matching.programme", programme_id=found.id),
    )


@bp.route("/mentoring/programmes/<int:programme_id>/matches/<int:newcomer_id>", methods=["POST"])
@login_required
def adjust_match(programme_id: int, newcomer_id: int):
    found = _programme_or_404(programme_id)
    raw = request.form.get("mentor_id", "")
    mentor_id = int(raw) if raw.isdigit() and 0 < int(raw) < 2**31 else None
    if raw and mentor_id is None:
        flash("Choose a mentor of this programme.", "error")
        return redirect(url_for("matching.programme", programme_id=found.id))
    return act_and_redirect(
        EmptyForm(), lambda: programmes.adjust(_actor(), found, newcomer_id, mentor_id),
        lambda match: "The match is changed, and the report with it.", url_for("matching.programme", programme_id=found.id) + "#matches",
    )


@bp.route("/mentoring/programmes/<int:programme_id>/publish", methods=["POST"])
@login_required
def publish_programme(programme_id: int):
    found = _programme_or_404(programme_id)
    return act_and_redirect(
        EmptyForm(), lambda: programmes.publish(_actor(), found),
        lambda started: f"Published: {started} mentorships have started, and everyone matched was told.",
        url_for("matching.programme", programme_id=found.id),
    )
