"""Moderators' pages: the queue, acting on posts, threads and categories, members' standing, watched words, weekly
topics; and the public moderation log with its appeals and transparency export. Routes of the forum blueprint."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required

from cop.accounts.models import User
from cop.cache import public_page
from cop.errors import NotFound, PermissionDenied, ServiceError
from cop.extensions import db
from cop.forms import EmptyForm
from cop.forum import access, forms, log, moderation, services, weekly
from cop.forum.models import ACTION_KINDS, ACTION_REASONS, FLAG_REASONS, TRUST_LEVELS, WATCHED_WORD_ACTIONS, Appeal
from cop.forum.routes import actor, bp, found, refused
from cop.urls import is_safe_next
from cop.web import page_number, render_form, require_page


def _back(default: str) -> str:
    target = request.form.get("next") or ""
    return target if is_safe_next(target) else default


def _act(action: Any, done: str, back: str):
    """Run a moderator's action: commit and say what was done, or roll back and say why not; back to the page."""
    try:
        action()
    except NotFound:
        abort(404)
    except PermissionDenied:
        raise
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    flash(done, "success")
    return redirect(back)


def _require_form(form: Any, back: str):
    if form.validate_on_submit():
        return None
    messages = [m for errors in form.errors.values() for m in errors]
    flash(messages[0] if messages else "The form had expired. Try again.", "error")
    return redirect(back)


# ---------------------------------------------------------------- the queue


@bp.route("/forum/moderation")
@login_required
def queue():
    who = actor()
    if not access.moderates_anything(who):
        raise PermissionDenied("Only moderators see the moderation queue.")
    return render_template(
        "forum/queue.html", pending=moderation.pending_posts(who), flagged=moderation.flagged_posts(who),
        appeals=moderation.pending_appeals(who), form=forms.ModeratePostForm(formdata=None), decide_form=forms.DecideForm(formdata=None),
        reasons=forms.MODERATOR_REASONS, flag_reasons=FLAG_REASONS, kinds=ACTION_KINDS, action_reasons=ACTION_REASONS,
        site_moderator=access.is_site_moderator(who),
    )


@bp.route("/forum/posts/<int:post_id>/moderate", methods=["POST"])
@login_required
def moderate_post(post_id: int):
    who = actor()
    post = found(services.get_post, who, post_id)
    access.require_moderator(who, post.thread.category)
    back = _back(url_for("forum.post", post_id=post.id) if post.state == "visible" else url_for("forum.queue"))
    form = forms.ModeratePostForm()
    if (refusal := _require_form(form, back)) is not None:
        return refusal
    reason, note = form.reason.data or "", form.note.data or ""
    steps = {
        "approve": (lambda: moderation.approve(who, post, note), "The post is approved and shown."),
        "reject": (lambda: moderation.reject(who, post, reason, note), "The post is rejected; its author is told why."),
        "hide": (lambda: moderation.hide(who, post, reason, note), "The post is hidden; its author is told why."),
        "restore": (lambda: moderation.restore(who, post, note), "The post is shown again."),
        "dismiss": (lambda: moderation.dismiss_flags(who, post, note), "The flags are dismissed."),
    }
    if form.action.data not in steps:
        flash("Choose what to do with the post.", "error")
        return redirect(back)
    step, done = steps[form.action.data]
    return _act(step, done, back)


@bp.route("/forum/posts/<int:post_id>/history")
@login_required
def post_history(post_id: int):
    who = actor()
    post = found(services.get_post, who, post_id)
    revisions = services.revisions_of(who, post)
    from cop.forum import writing

    return render_template("forum/history.html", post=post, thread=post.thread, revisions=revisions, as_markup=writing.as_markup)


@bp.route("/forum/threads/<int:thread_id>/moderate", methods=["POST"])
@login_required
def moderate_thread(thread_id: int):
    who = actor()
    thread = found(services.get_thread, who, thread_id)
    access.require_moderator(who, thread.category)
    back = _back(url_for("forum.thread", thread_id=thread.id))
    form = forms.ModerateThreadForm()
    if (refusal := _require_form(form, back)) is not None:
        return refusal
    reason, note = form.reason.data or "heated", form.note.data or ""

    def move():
        target_id = request.form.get("category_id", "")
        target = db.session.get(services.Category, int(target_id)) if target_id.isdigit() and int(target_id) < 2**31 else None
        if target is None or not access.can_see_category(who, target):
            raise ServiceError("Choose the category to move the thread to.", field="category_id")
        moderation.move_thread(who, thread, target, reason if reason in ACTION_REASONS else "wrong_place", note)

    def slow():
        raw = form.seconds.data or ""
        moderation.set_slow_mode(who, int(raw) if raw.isdigit() else -1, thread=thread, note=note)

    steps = {
        "lock": (lambda: moderation.set_locked(who, thread, True, reason, note), "The thread is locked."),
        "unlock": (lambda: moderation.set_locked(who, thread, False, note=note), "The thread is unlocked."),
        "pin": (lambda: moderation.set_pinned(who, thread, True, note), "The thread is pinned."),
        "unpin": (lambda: moderation.set_pinned(who, thread, False, note), "The thread is unpinned."),
        "move": (move, "The thread is moved."),
        "slow": (slow, "Slow mode is set."),
    }
    if form.action.data not in steps:
        flash("Choose what to do with the thread.", "error")
        return redirect(back)
    step, done = steps[form.action.data]
    return _act(step, done, back)


@bp.route("/forum/<slug>/slow-mode", methods=["POST"])
@login_required
def category_slow_mode(slug: str):
    who = actor()
    category = found(services.get_category, who, slug)
    access.require_moderator(who, category)
    back = url_for("forum.category", slug=category.slug)
    form = forms.SlowModeForm()
    if (refusal := _require_form(form, back)) is not None:
        return refusal
    raw = form.seconds.data or ""
    return _act(lambda: moderation.set_slow_mode(who, int(raw) if raw.isdigit() else -1, category=category, note=form.note.data or ""),
                "Slow mode is set for the category.", back)


@bp.route("/forum/<slug>/schedule", methods=["GET", "POST"])
@login_required
def schedule_topics(slug: str):
    who = actor()
    category = found(services.get_category, who, slug)
    access.require_moderator(who, category)
    form = forms.ScheduleForm()
    if form.validate_on_submit():
        try:
            made = weekly.schedule_topics(who, category, (form.titles.data or "").splitlines(), form.first_day.data, form.intro.data or "")
        except ServiceError as error:
            return refused(error, form, "forum/schedule.html", category=category)
        db.session.commit()
        flash(f"{len(made)} weekly topic{'s are' if len(made) != 1 else ' is'} scheduled.", "success")
        return redirect(url_for("forum.category", slug=category.slug))
    return render_form("forum/schedule.html", form, category=category)


# ---------------------------------------------------------------- members


def _member_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/forum/members/<int:user_id>")
@login_required
def member(user_id: int):
    who = actor()
    user = _member_or_404(user_id)
    standing = moderation.member_standing(who, user)
    return render_template(
        "forum/member.html", user=user, standing=standing, trust_levels=TRUST_LEVELS, kinds=ACTION_KINDS, action_reasons=ACTION_REASONS,
        restrict_form=forms.RestrictForm(formdata=None), trust_form=forms.TrustForm(formdata=None, level=str(standing["trust"])),
        lift_form=forms.NoteForm(formdata=None),
    )


def _member_action(user_id: int, form: Any, step: Any, done: str):
    who = actor()
    user = _member_or_404(user_id)
    access.require_site_moderator(who)
    back = url_for("forum.member", user_id=user.id)
    if (refusal := _require_form(form, back)) is not None:
        return refusal
    return _act(lambda: step(who, user), done, back)


@bp.route("/forum/members/<int:user_id>/restrict", methods=["POST"])
@login_required
def restrict_member(user_id: int):
    form = forms.RestrictForm()
    return _member_action(user_id, form, lambda who, user: moderation.restrict(
        who, user, form.kind.data, form.reason.data or "", form.note.data or "", form.days.data), "Done: the member is told why.")


@bp.route("/forum/members/<int:user_id>/lift", methods=["POST"])
@login_required
def lift_member(user_id: int):
    form = forms.NoteForm()
    return _member_action(user_id, form, lambda who, user: moderation.lift(who, user, form.note.data or ""),
                          "The member may post again.")


@bp.route("/forum/members/<int:user_id>/trust", methods=["POST"])
@login_required
def set_member_trust(user_id: int):
    form = forms.TrustForm()
    raw = request.form.get("level", "")
    return _member_action(user_id, form, lambda who, user: moderation.set_trust(who, user, int(raw) if raw.isdigit() else -1, form.note.data or ""),
                          "The member's trust level is set.")


# ---------------------------------------------------------------- watched words


@bp.route("/forum/watched-words", methods=["GET", "POST"])
@login_required
def watched_words():
    who = actor()
    words = moderation.watched_words(who)
    form = forms.WatchedWordForm()
    context = {"words": words, "actions": WATCHED_WORD_ACTIONS, "delete_form": EmptyForm(formdata=None)}
    if form.validate_on_submit():
        try:
            moderation.add_watched_word(who, form.phrase.data or "", form.action.data)
        except ServiceError as error:
            return refused(error, form, "forum/watched_words.html", **context)
        db.session.commit()
        flash("The word is watched.", "success")
        return redirect(url_for("forum.watched_words"))
    return render_form("forum/watched_words.html", form, **context)


@bp.route("/forum/watched-words/<int:word_id>/delete", methods=["POST"])
@login_required
def remove_watched_word(word_id: int):
    who = actor()
    access.require_site_moderator(who)
    back = url_for("forum.watched_words")
    if (refusal := _require_form(EmptyForm(), back)) is not None:
        return refusal
    return _act(lambda: moderation.remove_watched_word(who, word_id), "The word is no longer watched.", back)


# ---------------------------------------------------------------- the public log, appeals, the export


@bp.route("/forum/moderation-log")
@public_page(also=("forum",))
def moderation_log():
    kind = request.args.get("kind") or None
    pagination = require_page(log.log_page(actor(), page_number(), current_app.config["COP_PER_PAGE"], kind if kind in ACTION_KINDS else None))
    return render_template("forum/moderation_log.html", pagination=pagination, kinds=ACTION_KINDS, kind=kind if kind in ACTION_KINDS else "",
                           period_form=forms.PeriodForm(formdata=None), names_moderators=log.names_moderators())


@bp.route("/forum/moderation-log/<int:action_id>")
def log_entry(action_id: int, appeal_form: Any = None, status: int = 200):
    who = actor()
    action = found(moderation.get_action, action_id)
    entry = log.entry_for(who, action)
    appeal = moderation.appeal_for(action)
    involved = who is not None and (who.id == action.target_user_id or access.is_site_moderator(who))
    can_decide = (appeal is not None and appeal.decided_at is None and who is not None and action.moderator_id != who.id
                  and (access.can_moderate(who, action.category) if action.category else access.is_site_moderator(who)))
    return render_template(
        "forum/log_entry.html", entry=entry, action=action, appeal=appeal if involved or (appeal and appeal.decided_at) else None,
        show_statement=involved, can_appeal=moderation.can_appeal(who, action) if who else False,
        appeal_form=appeal_form or (forms.AppealForm(formdata=None) if who else None),
        can_decide=can_decide, decide_form=forms.DecideForm(formdata=None) if can_decide else None,
    ), status


@bp.route("/forum/moderation-log/<int:action_id>/appeal", methods=["POST"])
@login_required
def appeal(action_id: int):
    who = actor()
    action = found(moderation.get_action, action_id)
    if action.target_user_id != who.id:
        raise PermissionDenied("Only the member this action touched can appeal it.")
    form = forms.AppealForm()
    if form.validate_on_submit():
        try:
            moderation.appeal(who, action, form.statement.data or "")
        except ServiceError as error:
            db.session.rollback()
            from cop.web import attach_error

            return log_entry(action_id, appeal_form=form, status=attach_error(form, error))
        db.session.commit()
        flash("Your appeal is sent. A moderator other than the one who acted will decide it, and you will be told.", "success")
        return redirect(url_for("forum.log_entry", action_id=action.id))
    return log_entry(action_id, appeal_form=form, status=400)


@bp.route("/forum/appeals/<int:appeal_id>/decide", methods=["POST"])
@login_required
def decide_appeal(appeal_id: int):
    who = actor()
    found_appeal = db.session.get(Appeal, appeal_id)
    if found_appeal is None:
        abort(404)
    action = found_appeal.action
    if action.category is not None:
        access.require_moderator(who, action.category)
    else:
        access.require_site_moderator(who)
    if action.moderator_id == who.id:
        raise PermissionDenied("Another moderator must decide an appeal against your own action.")
    back = _back(url_for("forum.log_entry", action_id=action.id))
    form = forms.DecideForm()
    if (refusal := _require_form(form, back)) is not None:
        return refusal
    uphold = form.outcome.data == "uphold"
    return _act(lambda: moderation.decide_appeal(who, found_appeal, uphold, form.note.data or ""),
                "The appeal is upheld and the action undone." if uphold else "The appeal is turned down.", back)


def _report() -> tuple[dict[str, Any] | None, Any]:
    """The report for the period asked, or the 400 that says what is wrong with the dates."""
    from cop.site.errors import error_response

    form = forms.PeriodForm(request.args)
    if not form.validate():
        return None, error_response(400, next(iter(m for errors in form.errors.values() for m in errors)))
    try:
        start, end = log.period(form.start.data, form.end.data)
    except ServiceError as error:
        return None, error_response(400, error.message)
    return log.transparency_report(actor(), start, end), None


@bp.route("/forum/moderation-log/export.csv")
def log_export_csv():
    report, refusal = _report()
    if refusal is not None:
        return refusal
    name = f"moderation-{report['period']['start']}-to-{report['period']['end']}.csv"
    return Response(log.report_csv(report), mimetype="text/csv",
                    headers={"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/forum/moderation-log/export.json")
def log_export_json():
    report, refusal = _report()
    if refusal is not None:
        return refusal
    return Response(json.dumps(report, ensure_ascii=False, indent=1), mimetype="application/json")
