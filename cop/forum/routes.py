"""Forum pages: categories, threads and replies, quoting, editing, flagging, watching, search and the digest setting.
Moderators' pages and the public moderation log are in moderation_routes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from cop.cache import public_page
from cop.errors import NotFound, PermissionDenied, ServiceError
from cop.extensions import db
from cop.forms import EmptyForm
from cop.forum import access, forms, models, moderation, services, standing, weekly, writing  # noqa: F401 - models: the tables
from cop.forum.models import POST_STATES, SLOW_MODE_CHOICES, TRUST_LEVELS, VISIBILITIES, Category
from cop.web import attach_error, list_title, page_number, render_around_shared, render_form, require_page

bp = Blueprint("forum", __name__, template_folder="templates")

#: Posts on one page of a thread.
POSTS_PER_PAGE = 20


def actor() -> Any:
    return current_user._get_current_object() if current_user.is_authenticated else None


def found(call: Any, *args: Any) -> Any:
    """What a service finds, or a 404 for what the actor may not see."""
    try:
        return call(*args)
    except NotFound:
        abort(404)


def refused(error: ServiceError, form: Any, template: str, **context: Any):
    """A service's refusal shown on its form, with its status (and Retry-After when it says when to try again)."""
    db.session.rollback()
    body, status = render_form(template, form, attach_error(form, error), **context)
    headers = {"Retry-After": str(error.retry_after)} if getattr(error, "retry_after", None) else {}
    return body, status, headers


# ---------------------------------------------------------------- reading


@bp.route("/forum/")
@public_page(also=("forum",))
def index():
    who = actor()
    return render_template("forum/index.html", categories=services.categories_for(who), visibilities=VISIBILITIES,
                           moderates=access.moderates_anything(who))


@bp.route("/forum/search")
@public_page(also=("forum",))
def search():
    who = actor()

    def results() -> dict[str, Any]:
        query = (request.args.get("q") or "").strip()
        found_posts = services.search_page(who, query, page_number(), current_app.config["COP_PER_PAGE"]) if query else None
        if found_posts is not None:
            require_page(found_posts)
        title = list_title("Search the forum", found_posts.page if found_posts else 1, [f"“{query[:80]}”"] if query else [],
                           found_posts.total if found_posts else None)
        return {"query": query, "results": found_posts, "title": title}

    # The results are the same for everyone who may see the same categories: made once for each audience.
    return render_around_shared("forum/search.html", f"forum.search:{access.audience(who)}", "forum/_search_results.html",
                                results, also=("forum",))


@bp.route("/forum/<slug>/")
@public_page(also=("forum",))
def category(slug: str):
    who = actor()
    found_category = found(services.get_category, who, slug)
    pagination = require_page(services.threads_page(who, found_category, page_number(), current_app.config["COP_PER_PAGE"]))
    can_moderate = access.can_moderate(who, found_category)
    return render_template(
        "forum/category.html", category=found_category, pagination=pagination,
        title=list_title(found_category.name, pagination.page), can_moderate=can_moderate,
        watching=services.watches_category(who, found_category), form=EmptyForm(formdata=None) if who else None,
        scheduled=weekly.scheduled_topics(who, found_category) if can_moderate else [],
        waiting=services.waiting_threads(who, found_category),
        slow_form=forms.SlowModeForm(formdata=None, seconds=str(found_category.slow_mode_seconds)) if can_moderate else None,
        slow_modes=SLOW_MODE_CHOICES,
    )


def _thread_page(thread: models.Thread):
    who = actor()
    pagination = require_page(services.posts_page(who, thread, page_number(), POSTS_PER_PAGE))
    read_before = services.last_read(who, thread)
    shown = [p.number for p in pagination.items]
    can_moderate = access.can_moderate(who, thread.category)
    first_unread = next((p.number for p in pagination.items if p.number > read_before), None) if who and read_before else None
    restriction = standing.restriction(who) if who else None
    others = [c for c in services.categories_for(who) if c.id != thread.category_id and access.can_moderate(who, c)] if can_moderate else []
    page = render_template(
        "forum/thread.html", thread=thread, category=thread.category, pagination=pagination, states=POST_STATES,
        can_moderate=can_moderate, first_unread=first_unread, restriction=restriction,
        can_reply=who is not None and restriction is None and (not thread.locked or can_moderate) and thread.state == "visible",
        watching=services.watches_thread(who, thread), flagged=services.flagged_by(who, [p.id for p in pagination.items]),
        reply_form=forms.PostForm(formdata=None) if who else None, form=EmptyForm(formdata=None) if who else None,
        moderate_form=forms.ModeratePostForm(formdata=None) if can_moderate else None,
        thread_form=forms.ModerateThreadForm(formdata=None, seconds=str(thread.slow_mode_seconds)) if can_moderate else None,
        move_to=others, slow_modes=SLOW_MODE_CHOICES, reasons=forms.MODERATOR_REASONS, as_markup=writing.as_markup,
        title=list_title(thread.title, pagination.page),
    )
    if who is not None and shown and max(shown) > read_before:
        # After the page is made: a commit expires what it shows, which would be loaded again row by row.
        services.mark_read(who, thread, max(shown))
        db.session.commit()
    return page


@bp.route("/forum/threads/<int:thread_id>")
@public_page(also=("forum",))
def thread(thread_id: int):
    return _thread_page(found(services.get_thread, actor(), thread_id))


@bp.route("/forum/posts/<int:post_id>")
def post(post_id: int):
    who = actor()
    found_post = found(services.get_post, who, post_id)
    page = services.page_of_post(who, found_post, POSTS_PER_PAGE)
    return redirect(url_for("forum.thread", thread_id=found_post.thread_id, page=page if page > 1 else None) + f"#post-{found_post.number}")


# ---------------------------------------------------------------- writing


@bp.route("/forum/<slug>/new", methods=["GET", "POST"])
@login_required
def new_thread(slug: str):
    who = actor()
    found_category = found(services.get_category, who, slug)
    form = forms.ThreadForm()
    context = {"category": found_category, "restriction": standing.restriction(who)}
    if form.validate_on_submit():
        try:
            made = services.create_thread(who, found_category, form.title.data or "", form.body.data or "")
        except NotFound:
            abort(404)
        except ServiceError as error:
            return refused(error, form, "forum/new_thread.html", **context)
        db.session.commit()
        if made.state == "pending":
            flash("Thank you. Your thread waits for a moderator: new members' first posts are checked before they are shown.", "success")
        else:
            flash("Your thread is started.", "success")
        return redirect(url_for("forum.thread", thread_id=made.id))
    return render_form("forum/new_thread.html", form, **context)


@bp.route("/forum/threads/<int:thread_id>/reply", methods=["GET", "POST"])
@login_required
def reply(thread_id: int):
    who = actor()
    found_thread = found(services.get_thread, who, thread_id)
    form = forms.PostForm()
    quoted = None
    if request.method == "GET" and request.args.get("quote", type=int):
        quote_id = request.args.get("quote", type=int)
        quoted, text = services.quote_for_reply(who, found_thread, quote_id) if 0 < quote_id < 2**31 else (None, "")
        if quoted is not None:
            form.body.data, form.quoted_post_id.data = text, str(quoted.id)
    context = {"thread": found_thread, "category": found_thread.category, "quoted": quoted, "restriction": standing.restriction(who)}
    if form.validate_on_submit():
        raw_quote = form.quoted_post_id.data or ""
        quoted_id = int(raw_quote) if raw_quote.isdigit() and int(raw_quote) < 2**31 else None
        try:
            made = services.reply(who, found_thread, form.body.data or "", quoted_post_id=quoted_id)
        except NotFound:
            abort(404)
        except ServiceError as error:
            return refused(error, form, "forum/reply.html", **context)
        db.session.commit()
        flash("Your reply waits for a moderator: new members' first posts are checked before they are shown." if made.state == "pending"
              else "Your reply is posted.", "success")
        return redirect(url_for("forum.post", post_id=made.id))
    return render_form("forum/reply.html", form, **context)


@bp.route("/forum/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit_post(post_id: int):
    who = actor()
    found_post = found(services.get_post, who, post_id)
    moderator = access.can_moderate(who, found_post.thread.category)
    own = found_post.author_id == who.id
    if not own and not moderator:
        raise PermissionDenied("Only the author or a moderator can edit this post.")
    form = forms.EditForm(obj=found_post) if request.method == "GET" else forms.EditForm()
    context = {"post": found_post, "thread": found_post.thread, "own": own}
    if form.validate_on_submit():
        try:
            services.edit_post(who, found_post, form.body.data or "", form.reason.data or "")
        except ServiceError as error:
            return refused(error, form, "forum/edit_post.html", **context)
        db.session.commit()
        flash("The post is changed. Its earlier words are kept for the moderators.", "success")
        return redirect(url_for("forum.post", post_id=found_post.id))
    return render_form("forum/edit_post.html", form, **context)


@bp.route("/forum/posts/<int:post_id>/flag", methods=["GET", "POST"])
@login_required
def flag_post(post_id: int):
    who = actor()
    found_post = found(services.get_post, who, post_id)
    form = forms.FlagForm()
    context = {"post": found_post, "thread": found_post.thread, "as_markup": writing.as_markup}
    if form.validate_on_submit():
        try:
            moderation.flag_post(who, found_post, form.reason.data, form.note.data or "")
        except NotFound:
            abort(404)
        except ServiceError as error:
            return refused(error, form, "forum/flag.html", **context)
        db.session.commit()
        flash("Thank you. The moderators will look at the post.", "success")
        return redirect(url_for("forum.post", post_id=found_post.id) if found_post.state == "visible"
                        else url_for("forum.thread", thread_id=found_post.thread_id))
    return render_form("forum/flag.html", form, **context)


def _watch_choice() -> bool:
    return request.form.get("watch", "1") != "0"


@bp.route("/forum/<slug>/watch", methods=["POST"])
@login_required
def watch_category(slug: str):
    who = actor()
    found_category = found(services.get_category, who, slug)
    if not EmptyForm().validate_on_submit():
        flash("The form had expired. Try again.", "error")
    elif _watch_choice():
        services.watch_category(who, found_category)
        db.session.commit()
        flash(f"You will be told of new threads in {found_category.name}.", "success")
    else:
        services.unwatch_category(who, found_category)
        db.session.commit()
        flash(f"You no longer watch {found_category.name}.", "success")
    return redirect(url_for("forum.category", slug=found_category.slug))


@bp.route("/forum/threads/<int:thread_id>/watch", methods=["POST"])
@login_required
def watch_thread(thread_id: int):
    who = actor()
    found_thread = found(services.get_thread, who, thread_id)
    if not EmptyForm().validate_on_submit():
        flash("The form had expired. Try again.", "error")
    elif _watch_choice():
        services.watch_thread(who, found_thread)
        db.session.commit()
        flash("You will be told of new replies in this thread.", "success")
    else:
        services.unwatch_thread(who, found_thread)
        db.session.commit()
        flash("You no longer watch this thread.", "success")
    return redirect(url_for("forum.thread", thread_id=found_thread.id))


@bp.route("/forum/digest", methods=["GET", "POST"])
@login_required
def digest_settings():
    who = actor()
    member = standing.member_for(who)
    form = forms.DigestForm(wants_digest=member.wants_digest if member else True) if request.method == "GET" else forms.DigestForm()
    if form.validate_on_submit():
        standing.member_row(who).wants_digest = bool(form.wants_digest.data)
        db.session.commit()
        flash("You will get the daily digest." if form.wants_digest.data else "You will get no daily digest.", "success")
        return redirect(url_for("forum.digest_settings"))
    return render_form("forum/digest.html", form, trust=TRUST_LEVELS[standing.trust_level(who)])


# ---------------------------------------------------------------- categories, for site admins


def _agency_choices() -> list[tuple[str, str]]:
    from cop.agencies.models import Agency

    return [("", "None")] + [(str(i), n) for i, n in db.session.execute(sa.select(Agency.id, Agency.name).order_by(Agency.name))]


def _category_input(form: forms.CategoryForm) -> services.CategoryInput:
    return services.CategoryInput(name=form.name.data or "", description=form.description.data or "",
                                  visibility=form.visibility.data or "", agency_id=form.agency_id.data, position=form.position.data or 0)


@bp.route("/admin/forum/categories", methods=["GET", "POST"])
@login_required
def admin_categories():
    from cop.accounts.services import require_site_admin

    who = actor()
    require_site_admin(who)
    form = forms.CategoryForm()
    form.agency_id.choices = _agency_choices()
    context = {"categories": services.categories_for(who), "visibilities": VISIBILITIES}
    if form.validate_on_submit():
        try:
            made = services.create_category(who, _category_input(form))
        except ServiceError as error:
            return refused(error, form, "forum/admin_categories.html", **context)
        db.session.commit()
        flash(f"The category {made.name} is made.", "success")
        return redirect(url_for("forum.admin_categories"))
    return render_form("forum/admin_categories.html", form, **context)


@bp.route("/admin/forum/categories/<slug>", methods=["GET", "POST"])
@login_required
def admin_category(slug: str):
    from cop.accounts.services import require_site_admin

    who = actor()
    require_site_admin(who)
    found_category = db.session.scalar(sa.select(Category).where(Category.slug == slug))
    if found_category is None:
        abort(404)
    form = forms.CategoryForm(obj=found_category) if request.method == "GET" else forms.CategoryForm()
    form.agency_id.choices = _agency_choices()
    if form.validate_on_submit():
        try:
            services.update_category(who, found_category, _category_input(form))
        except ServiceError as error:
            return refused(error, form, "forum/admin_category.html", category=found_category)
        db.session.commit()
        flash("The category is saved.", "success")
        return redirect(url_for("forum.admin_categories"))
    return render_form("forum/admin_category.html", form, category=found_category)
