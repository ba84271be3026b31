"""Mentoring pages: asking for a mentor and seeing why each suggestion suits, answering a request,
a mentorship's goals, notes, end and feedback, and a mentor's own settings. Programmes: programme_routes."""

from __future__ import annotations

from typing import Any, Optional

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from cop.accounts.models import User
from cop.errors import ServiceError
from cop.extensions import db
from cop.forms import EmptyForm
from cop.matching import forms, mentorships, overview, reasons, services
from cop.matching.models import AGENCY_PREFERENCES, CHECK_IN_EVERY, FORMATS, REQUEST_STATUSES, MentorRequest
from cop.text.markdown import render_markdown
from cop.text.services import topic_choices
from cop.web import act_and_redirect, add_page_section, attach_error, render_form

bp = Blueprint("matching", __name__, template_folder="templates")


def _actor() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _int_arg(name: str) -> Optional[int]:
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value < 2**31 else None


@bp.route("/mentoring/")
def index():
    actor = _actor()
    if actor is None:
        return render_template("matching/about.html")
    from cop.matching import programmes

    return render_template(
        "matching/index.html", overview=overview.of_person(actor), statuses=REQUEST_STATUSES,
        runs_programmes=programmes.can_run_programmes(actor),
    )


# ---------------------------------------------------------------- requests


def _mentor_or_none(mentor_id: Optional[int]) -> Optional[User]:
    if mentor_id is None:
        return None
    mentor = db.session.get(User, mentor_id)
    return mentor if mentor is not None and mentor.open_to_mentoring and mentor.is_active else None


def _request_data(form: forms.RequestForm) -> services.RequestInput:
    return services.RequestInput(goals=form.goals.data or "", skill_ids=form.skill_ids.data or [],
                                 format=form.format.data or "", agency_preference=form.agency_preference.data or "")


@bp.route("/mentoring/ask", methods=["GET", "POST"])
@login_required
def ask_for_mentor():
    actor = _actor()
    mentor = _mentor_or_none(_int_arg("mentor"))
    case_study_id = _int_arg("case_study")
    live = services.live_request(actor)
    if live is not None and mentor is None:
        flash("You already have a request: here it is.", "success")
        return redirect(url_for("matching.request", request_id=live.id))
    form = forms.RequestForm(topic_choices=topic_choices())
    if live is not None and request.method == "GET":
        form = forms.RequestForm(obj=live, topic_choices=topic_choices(), skill_ids=[t.id for t in live.skills])
    if form.validate_on_submit():
        try:
            made = services.create_request(actor, _request_data(form), mentor=mentor, case_study_id=case_study_id)
        except ServiceError as error:
            db.session.rollback()
            return render_form("matching/ask.html", form, attach_error(form, error), mentor=mentor, live=live)
        db.session.commit()
        flash(f"Your request is with {mentor.display_name}." if made.status == "asked" else
              "Your request is saved. Here are the mentors who suit it best.", "success")
        return redirect(url_for("matching.request", request_id=made.id))
    return render_form("matching/ask.html", form, mentor=mentor, live=live)


def _request_or_404(request_id: int) -> MentorRequest:
    found = services.request_visible_to(_actor(), request_id)
    if found is None:
        abort(404)
    return found


def _request_page(found: MentorRequest, decline_form: Optional[forms.DeclineForm] = None, status: int = 200,
                  inputs: Optional[services.SuggestionInputs] = None):
    actor = _actor()
    suggestions: list[reasons.Shown] = []
    if actor.id == found.newcomer_id and found.status == "open":
        ranked, mentors, interests, skills = services.suggested(found, inputs=inputs)
        # The numbers behind the ranking are for programme admins.
        suggestions = reasons.shown(ranked, mentors, {**interests, **skills}, actor.is_site_admin or actor.is_agency_admin)
        skill_names = sorted(skills.values())
    else:
        skill_names = [topic.name for topic in found.skills]
    # The decline form only for the mentor it is asked of, while it is: no other page shows it.
    if decline_form is None and found.status == "asked" and actor.id == found.mentor_id:
        decline_form = forms.DeclineForm(formdata=None)
    return render_template(
        "matching/request.html", found=found, suggestions=suggestions, statuses=REQUEST_STATUSES,
        formats=FORMATS, preferences=AGENCY_PREFERENCES, form=EmptyForm(formdata=None), decline_form=decline_form,
        goals=render_markdown(found.goals), skill_names=skill_names,
    ), status


@bp.route("/mentoring/requests/<int:request_id>", endpoint="request")
@login_required
def request_page(request_id: int):
    found, inputs = services.request_page_of(_actor(), request_id)
    if found is None:
        abort(404)
    return _request_page(found, inputs=inputs)


@bp.route("/mentoring/requests/<int:request_id>/edit", methods=["GET", "POST"])
@login_required
def edit_request(request_id: int):
    found = _request_or_404(request_id)
    _require_newcomer(found)
    form = forms.RequestForm(obj=found, topic_choices=topic_choices(),
                             **({"skill_ids": [t.id for t in found.skills]} if not form_posted() else {}))
    if form.validate_on_submit():
        try:
            services.update_request(_actor(), found, _request_data(form))
        except ServiceError as error:
            db.session.rollback()
            return render_form("matching/ask.html", form, attach_error(form, error), mentor=None, live=found, editing=True)
        db.session.commit()
        flash("Your request is changed.", "success")
        return redirect(url_for("matching.request", request_id=found.id))
    return render_form("matching/ask.html", form, mentor=None, live=found, editing=True)


def form_posted() -> bool:
    return request.method == "POST"


def _back(found: MentorRequest) -> str:
    return url_for("matching.request", request_id=found.id)


def _require_newcomer(found: MentorRequest) -> None:
    if _actor().id != found.newcomer_id:
        abort(403)


def _require_mentor_side(found: MentorRequest) -> None:
    """Only a mentor answers: the newcomer and admins who may read the request may not."""
    if _actor().id not in (found.mentor_id, found.withdrawn_from_id):
        abort(403)


@bp.route("/mentoring/requests/<int:request_id>/ask", methods=["POST"])
@login_required
def ask(request_id: int):
    found = _request_or_404(request_id)
    _require_newcomer(found)
    mentor_id = request.form.get("mentor_id", type=int)
    mentor = db.session.get(User, mentor_id) if mentor_id and 0 < mentor_id < 2**31 else None
    if mentor is None:
        flash("Choose a mentor from your suggestions.", "error")
        return redirect(_back(found))
    return act_and_redirect(EmptyForm(), lambda: services.ask(_actor(), found, mentor),
                            lambda _r: f"Your request is with {mentor.display_name}. We will tell you their answer.", _back(found))


@bp.route("/mentoring/requests/<int:request_id>/withdraw", methods=["POST"])
@login_required
def withdraw(request_id: int):
    found = _request_or_404(request_id)
    _require_newcomer(found)
    return act_and_redirect(EmptyForm(), lambda: services.withdraw(_actor(), found),
                            lambda r: "Your request is withdrawn." if r.status == "withdrawn" else
                            "You withdrew it from that mentor: choose another.", _back(found))


@bp.route("/mentoring/requests/<int:request_id>/accept", methods=["POST"])
@login_required
def accept(request_id: int):
    found = _request_or_404(request_id)
    _require_mentor_side(found)
    form = EmptyForm()
    if not form.validate_on_submit():
        flash("The form had expired. Try again.", "error")
        return redirect(_back(found))
    try:
        mentorship = services.accept(_actor(), found)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_back(found))
    db.session.commit()
    flash(f"You are now mentoring {found.newcomer.display_name}. Agree your goals together.", "success")
    return redirect(url_for("matching.mentorship", mentorship_id=mentorship.id))


@bp.route("/mentoring/requests/<int:request_id>/decline", methods=["POST"])
@login_required
def decline(request_id: int):
    found = _request_or_404(request_id)
    _require_mentor_side(found)
    form = forms.DeclineForm()
    if form.validate_on_submit():
        try:
            services.decline(_actor(), found, form.reason.data or "")
        except ServiceError as error:
            db.session.rollback()
            if error.field != "reason":
                flash(error.message, "error")
                return redirect(url_for("matching.index"))
            attach_error(form, error)
            return _request_page(_request_or_404(request_id), form, error.status_code)
        db.session.commit()
        flash("You declined. They were told your reason and shown who else suits them.", "success")
        return redirect(url_for("matching.index"))
    return _request_page(found, form, 400)


# ---------------------------------------------------------------- mentorships


def _mentorship_or_404(mentorship_id: int):
    found = mentorships.visible_to(_actor(), mentorship_id)
    if found is None:
        abort(404)
    return found


def _mentorship_page(mentorship_id: int, status: int = 200, **forms_given: Any):
    actor = _actor()
    page = mentorships.page_of(actor, mentorship_id)
    if page is None:
        abort(404)
    found, notes = page
    active = found.status == "active"
    # Goals and the end are set while it is active, feedback once it has ended: only the forms shown are made.
    if active:
        shown = {"goals_form": lambda: forms.GoalsForm(formdata=None, goals=found.goals, check_in_days=found.check_in_days),
                 "note_form": lambda: forms.NoteForm(formdata=None), "end_form": lambda: forms.EndForm(formdata=None)}
    else:
        shown = {"note_form": lambda: forms.NoteForm(formdata=None), "feedback_form": lambda: forms.FeedbackForm(formdata=None)}
    feedback = {} if active else mentorships.feedback_of(found)
    return render_template(
        "matching/mentorship.html", found=found, other=found.other(actor), notes=notes,
        feedback=feedback, mine=feedback.get(actor.id), goals_html=render_markdown(found.goals), every=CHECK_IN_EVERY,
        # A refused form's message is shown even when its form is not (feedback sent before the end).
        refused=list(forms_given.values()),
        **{name: forms_given.get(name) or make() for name, make in shown.items()},
    ), status


@bp.route("/mentoring/mentorships/<int:mentorship_id>")
@login_required
def mentorship(mentorship_id: int):
    return _mentorship_page(mentorship_id)


def _mentorship_action(mentorship_id: int, form_name: str, form: Any, action, done: str):
    found = _mentorship_or_404(mentorship_id)
    if form.validate_on_submit():
        try:
            action(found, form)
        except ServiceError as error:
            db.session.rollback()
            attach_error(form, error)
            return _mentorship_page(mentorship_id, error.status_code, **{form_name: form})
        db.session.commit()
        flash(done, "success")
        return redirect(url_for("matching.mentorship", mentorship_id=mentorship_id))
    return _mentorship_page(mentorship_id, 400, **{form_name: form})


@bp.route("/mentoring/mentorships/<int:mentorship_id>/goals", methods=["POST"])
@login_required
def set_goals(mentorship_id: int):
    return _mentorship_action(mentorship_id, "goals_form", forms.GoalsForm(),
                              lambda m, f: mentorships.set_goals(_actor(), m, f.goals.data or "", f.check_in_days.data),
                              "Your goals and check-ins are saved.")


@bp.route("/mentoring/mentorships/<int:mentorship_id>/notes", methods=["POST"])
@login_required
def add_note(mentorship_id: int):
    return _mentorship_action(mentorship_id, "note_form", forms.NoteForm(),
                              lambda m, f: mentorships.add_note(_actor(), m, f.body.data or ""), "Your note is added.")


@bp.route("/mentoring/mentorships/<int:mentorship_id>/end", methods=["POST"])
@login_required
def end(mentorship_id: int):
    return _mentorship_action(mentorship_id, "end_form", forms.EndForm(),
                              lambda m, f: mentorships.end(_actor(), m, f.reason.data or ""),
                              "The mentorship has ended. Say how it went, below.")


@bp.route("/mentoring/mentorships/<int:mentorship_id>/feedback", methods=["POST"])
@login_required
def feedback(mentorship_id: int):
    return _mentorship_action(mentorship_id, "feedback_form", forms.FeedbackForm(),
                              lambda m, f: mentorships.give_feedback(_actor(), m, int(f.rating.data), f.comment.data or ""),
                              "Thank you: your feedback is saved.")


# ---------------------------------------------------------------- a mentor's settings


@bp.route("/mentoring/settings", methods=["GET", "POST"])
@login_required
def settings():
    actor = _actor()
    form = forms.MentorSettingsForm(obj=None, format=actor.mentoring_format, paused=actor.mentoring_paused) \
        if not form_posted() else forms.MentorSettingsForm()
    if form.validate_on_submit():
        try:
            services.set_format(actor, form.format.data)
            services.set_paused(actor, bool(form.paused.data))
        except ServiceError as error:
            db.session.rollback()
            return render_form("matching/settings.html", form, attach_error(form, error))
        db.session.commit()
        flash("Paused: nobody new is offered you as a mentor." if actor.mentoring_paused else "Your mentoring settings are saved.", "success")
        return redirect(url_for("matching.index"))
    return render_form("matching/settings.html", form)


# ---------------------------------------------------------------- sections on other pages


def _person_section(person: Any) -> Markup:
    if not (person.open_to_mentoring and person.mentoring_capacity):
        return Markup("")
    return Markup(render_template("matching/_ask_person.html", person=person))


def _case_study_section(case_study: Any) -> Markup:
    if case_study.status != "published":
        return Markup("")
    mentors = [author for author in case_study.authors if author.open_to_mentoring and author.mentoring_capacity]
    return Markup(render_template("matching/_ask_author.html", case_study=case_study, mentors=mentors)) if mentors else Markup("")


add_page_section("person", _person_section)
add_page_section("case_study", _case_study_section)
