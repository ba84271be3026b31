"""cop: a federated community of practice for public-sector digital and social-media work."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Mapping, NamedTuple

from flask import Flask, g, has_request_context, request, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from cop.config import instance_path_from, load_config
from cop.sessions import SessionInterface

#: The Alembic scripts, found from this package so commands work from any folder.
MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


class MenuItem(NamedTuple):
    """A link of the header's menus. Attributes rather than a dict's keys: Jinja reads ``item.href`` by trying the
    attribute first, and on a dict every miss raised and caught an AttributeError, fifty times a page."""

    label: str
    href: str
    active: bool
    #: Unread notifications, shown beside the link when there are any.
    count: int = 0


class LayoutUrls(NamedTuple):
    """What base.html links to on every page besides the menus."""

    favicon: str
    icon: str
    stylesheet: str
    script: str
    home: str
    sign_out: str
    accessibility: str


#: The site's main sections, in header order: (label, endpoint, the endpoints that belong to the section).
NAVIGATION = (
    ("Case studies", "casestudies.index", {"casestudies.index", "casestudies.case_study", "casestudies.new", "casestudies.edit",
                                           "casestudies.yours", "casestudies.revisions_list", "casestudies.revision",
                                           "casestudies.changes"}),
    ("Events", "events.index", {"events.index", "events.event", "events.new", "events.edit", "events.status",
                                 "events.attendees", "events.occurrence", "board.board"}),
    ("Agencies", "agencies.index", {"agencies.index", "agencies.agency", "agencies.new_agency",
                                       "agencies.edit_agency", "agencies.agency_requests"}),
    ("People", "accounts.people", {"accounts.people", "accounts.person"}),
    ("Forum", "forum.index", {"forum.index", "forum.search", "forum.category", "forum.new_thread", "forum.thread", "forum.reply",
                              "forum.edit_post", "forum.flag_post", "forum.digest_settings", "forum.post_history",
                              "forum.schedule_topics", "forum.moderation_log", "forum.log_entry"}),
    ("Mentoring", "matching.index", {"matching.index", "matching.ask_for_mentor", "matching.request", "matching.edit_request",
                                     "matching.mentorship", "matching.settings", "matching.programmes_index",
                                     "matching.new_programme", "matching.programme", "matching.programme_people"}),
)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, then any overrides in ``config``."""
    config = dict(config or {})
    env = config.pop("ENVIRON", None)
    instance_path = config.pop("INSTANCE_PATH", None) or instance_path_from(env if env is not None else os.environ)
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.session_interface = SessionInterface()
    app.config.update(load_config(app.instance_path, env))
    app.config.update(config)

    configure_logging(app)
    register_extensions(app)
    register_request_guards(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_context(app)
    register_commands(app)
    return app


def configure_logging(app: Flask) -> None:
    """Log to stderr at INFO unless the host (gunicorn, pytest) has set logging up already."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic announces every plugin it loads at INFO; that is noise on every command.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from cop.database import describe_lazily, ping_when_idle, read_outside_transactions
    from cop.extensions import check_sqlite_pragmas, csrf, db, limiter, login_manager, migrate, talisman, tasks

    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            ping_when_idle(engine, app.config["DATABASE_PING_AFTER_IDLE"])
            read_outside_transactions(engine)
            describe_lazily(engine)
    migrate.init_app(app, db, directory=MIGRATIONS, render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    import cop.ratelimits  # noqa: F401 - registers the cop+sqlite:// storage before the limiter reads its URI
    limiter.init_app(app)
    tasks.init_app(app)
    from cop import cache

    cache.init_app(app)
    production = app.config["COP_ENV"] == "production"
    talisman.init_app(
        app,
        force_https=False,  # TLS ends at the proxy in front of gunicorn; HSTS keeps browsers on https.
        strict_transport_security=production,
        strict_transport_security_max_age=31536000,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        content_security_policy={
            "default-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'none'",
            "frame-ancestors": "'none'",
            "form-action": "'self'",
        },
        permissions_policy={"interest-cohort": "()", "camera": "()", "microphone": "()", "geolocation": "()"},
    )
    if app.config["COP_TRUSTED_PROXIES"]:
        n = app.config["COP_TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)  # type: ignore[method-assign]

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Sign in to see this page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_token: str):
        from cop.accounts.services import user_for_session
        from cop.notifications.services import with_unread_count

        # The header's unread count comes with the person, in the one query every signed-in request makes.
        return user_for_session(session_token, with_unread_count())

    # Task modules are imported here, by the same path in web and worker, so the consumer knows them.
    import cop.events.tasks  # noqa: F401
    import cop.federation.tasks  # noqa: F401
    import cop.federation.inbox_tasks  # noqa: F401
    import cop.forum.tasks  # noqa: F401
    import cop.mail.tasks  # noqa: F401
    import cop.matching.tasks  # noqa: F401
    # The search module makes SQLite's full-text table whenever the schema is created.
    import cop.text.search  # noqa: F401
    # Remote agencies, case studies and events point at federation's remote actors.
    import cop.federation.models  # noqa: F401
    # Federation hears the content domains' signals (published, updated, cancelled...) and tells followers.
    import cop.federation.listeners  # noqa: F401

    with app.app_context():
        check_sqlite_pragmas()


def register_request_guards(app: Flask) -> None:
    """Before any blueprint: bounded <int:...> URLs, and unreadable input refused before routes see it."""
    from cop.site.guards import register

    register(app)


def register_blueprints(app: Flask) -> None:
    from cop.accounts.routes import bp as accounts
    from cop.agencies.routes import bp as agencies
    from cop.api.core import register_api
    from cop.api.routes import api_bp as account_api
    from cop.api.routes import bp as api
    from cop.casestudies.api import bp as casestudies_api
    from cop.casestudies.routes import bp as casestudies
    from cop.events.api import bp as events_api
    from cop.events.board_routes import bp as board
    from cop.events.routes import bp as events
    from cop.federation import inbox_routes  # noqa: F401 - adds the inboxes to the federation blueprint
    from cop.federation import pages as federation_pages  # noqa: F401 - adds the federation pages to its blueprint
    from cop.federation.api import bp as federation_api
    from cop.federation.routes import bp as federation
    from cop.forum import moderation_routes  # noqa: F401 - adds the moderators' pages to the forum blueprint
    from cop.forum.api import bp as forum_api
    from cop.forum.routes import bp as forum
    from cop.mail.routes import bp as mail
    from cop.matching import programme_routes  # noqa: F401 - adds the programme pages to the mentoring blueprint
    from cop.matching.api import bp as mentoring_api
    from cop.matching.routes import bp as matching
    from cop.notifications.routes import bp as notifications
    from cop.site.routes import bp as site
    from cop.text.routes import bp as text

    app.register_blueprint(site)
    app.register_blueprint(accounts)
    app.register_blueprint(agencies)
    app.register_blueprint(text)
    app.register_blueprint(mail)
    app.register_blueprint(notifications)
    app.register_blueprint(casestudies)
    app.register_blueprint(events)
    app.register_blueprint(board)
    app.register_blueprint(matching)
    app.register_blueprint(forum)
    app.register_blueprint(federation)
    app.register_blueprint(api)
    # The JSON API, /api/v1: one blueprint per domain, documented in /api/v1/openapi.json.
    register_api(app, (account_api, casestudies_api, events_api, forum_api, mentoring_api, federation_api))


def register_errorhandlers(app: Flask) -> None:
    from cop.site.errors import register

    register(app)


def register_context(app: Flask) -> None:
    from cop.form_markup import button, csrf, error_summary, field, problem_summary
    from cop.web import option_tags, page_items

    app.jinja_env.globals["page_items"] = page_items
    app.jinja_env.globals["option_tags"] = option_tags
    # Form markup (cop.form_markup), in every template without an import.
    app.jinja_env.globals.update(field=field, button=button, csrf=csrf, error_summary=error_summary,
                                 problem_summary=problem_summary)

    @app.context_processor
    def site() -> dict[str, Any]:
        return {"site_name": app.config["COP_SITE_NAME"], "contact_email": app.config["COP_CONTACT_EMAIL"]}

    @app.context_processor
    def navigation() -> dict[str, Any]:
        # Mail bodies are rendered by tasks and commands too, where there is no request and no header.
        if not has_request_context():
            return {}
        # Every render_template asks (a page and each part of it): the header is worked out once per request.
        if "navigation" not in g:
            g.navigation = _navigation()
        return g.navigation

    header_endpoints = (*(target for _, target, _ in NAVIGATION), "notifications.index", "forum.queue", "site.admin",
                        "accounts.login", "accounts.register")
    # What base.html links to on every page besides the menus, by the name it uses (LayoutUrls).
    layout_links = {"favicon": ("site.favicon", {}), "icon": ("static", {"filename": "favicon.svg"}),
                    "stylesheet": ("static", {"filename": "css/app.css"}), "script": ("static", {"filename": "js/app.mjs"}),
                    "home": ("site.home", {}), "sign_out": ("accounts.logout", {}), "accessibility": ("site.accessibility", {})}

    def _header_urls() -> tuple[dict[str, str], LayoutUrls]:
        # The header's and layout's links take no arguments: made once for each script root the app is served
        # under (a few), as (by endpoint, by layout name).
        kept = app.extensions.setdefault("cop.header_urls", {})
        if request.script_root not in kept:
            if len(kept) >= 8:
                kept.clear()
            layout = {name: url_for(endpoint, **values) for name, (endpoint, values) in layout_links.items()}
            kept[request.script_root] = ({endpoint: url_for(endpoint) for endpoint in header_endpoints}, LayoutUrls(**layout))
        return kept[request.script_root]

    def _navigation() -> dict[str, Any]:
        urls, layout_urls = _header_urls()
        endpoint = request.endpoint or ""
        own_profile = current_user.is_authenticated and (
            endpoint in ("accounts.edit_profile", "accounts.change_password")
            or (endpoint == "accounts.person" and (request.view_args or {}).get("user_id") == current_user.id)
        )
        nav_items = [MenuItem(label, urls[target], endpoint in section and not own_profile)
                     for label, target, section in NAVIGATION]
        if current_user.is_authenticated:
            from cop.notifications.services import unread_count

            account_links = [
                MenuItem("Notifications", urls["notifications.index"], endpoint.startswith("notifications."),
                         unread_count(current_user)),
                MenuItem("Your profile", url_for("accounts.person", user_id=current_user.id), own_profile),
            ]
            from cop.forum.access import moderates_anything

            if moderates_anything(current_user):
                account_links.append(MenuItem("Moderation", urls["forum.queue"],
                                              endpoint in ("forum.queue", "forum.member", "forum.watched_words")))
            if current_user.is_site_admin:
                account_links.append(MenuItem("Admin", urls["site.admin"], request.path.startswith("/admin")))
        else:
            account_links = [
                MenuItem("Sign in", urls["accounts.login"], endpoint == "accounts.login"),
                MenuItem("Register", urls["accounts.register"], endpoint == "accounts.register"),
            ]
        return {
            "nav_items": nav_items,
            "account_links": account_links,
            "show_sign_out": current_user.is_authenticated,
            "layout_urls": layout_urls,
        }


def register_commands(app: Flask) -> None:
    from cop.commands import register

    register(app)
