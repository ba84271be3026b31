"""Browser fixtures: the app served on a free local port, system Chromium, and axe-core on every page."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Response
from werkzeug.serving import make_server

from tests.conftest import build_app, create_postgres_database, drop_postgres_database, empty_database

#: axe-core impacts that fail a page; "minor" and "moderate" ones are kept for the report only.
BLOCKING_IMPACTS = ("serious", "critical")


@dataclass(frozen=True)
class Account:
    """Someone a journey signs in as."""

    name: str
    email: str
    password: str


@dataclass(frozen=True)
class SeededAgency:
    """An agency the live app starts with."""

    slug: str
    name: str
    domain: str


LEEDS = SeededAgency("leeds-city-council", "Leeds City Council", "leeds.example")
SITE_ADMIN = Account("Sam Okafor", "sam.okafor@example.net", "copper-meadow-falcon-64")
LEEDS_ADMIN = Account("Lee Whitaker", "lee.whitaker@leeds.example", "harbour-quince-saddle-29")
LEEDS_WRITER = Account("Wren Adeyemi", "wren.adeyemi@leeds.example", "meadow-tinsel-orbit-57")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Use the system Chromium, with nothing that reaches out to the network on its own."""
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
        ],
    }


def seed(app) -> None:
    """An agency with its own admin, and a site admin, made through the app's own services."""
    from cop.accounts import services
    from cop.agencies.services import create_agency
    from cop.extensions import db

    with app.app_context():
        leeds = create_agency(None, LEEDS.slug, LEEDS.name, "GB", "local", domains=[LEEDS.domain])
        admin = services.create_user(
            LEEDS_ADMIN.email, LEEDS_ADMIN.password, LEEDS_ADMIN.name, role="agency_admin", agency=leeds
        )
        admin.job_title, admin.level = "Head of digital", "303"
        writer = services.create_user(LEEDS_WRITER.email, LEEDS_WRITER.password, LEEDS_WRITER.name, agency=leeds)
        writer.job_title, writer.level = "Social media officer", "202"
        services.create_user(SITE_ADMIN.email, SITE_ADMIN.password, SITE_ADMIN.name, role="site_admin")
        db.session.commit()
        db.session.remove()


#: The live apps by base URL, for tests that seed what no page makes (content from another server, say).
LIVE_APPS: dict[str, Any] = {}


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory, postgres_url: str | None) -> Iterator[str]:
    """The seeded app, CSRF on, served from a thread on a free port; yields its base URL.

    Session-scoped because pytest-playwright's own session fixtures (browser_context_args,
    and pytest-base-url's _verify_url) read base_url, which therefore cannot be narrower.
    """
    # A database of its own: the rest of the suite empties the shared one after every test.
    own_database = create_postgres_database("cop_browser") if postgres_url else None
    # The journeys sign in many times a minute from one address; the limits themselves are tested elsewhere.
    app = build_app(
        tmp_path_factory.mktemp("live"),
        own_database,
        create_schema=True,
        WTF_CSRF_ENABLED=True,
        LOGIN_RATE_LIMIT="1000 per minute",
        MAIL_FORM_RATE_LIMIT="1000 per minute",
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    # Links in mail must lead back to this server, as in production they lead to the public site.
    app.config["COP_BASE_URL"] = url
    seed(app)
    LIVE_APPS[url] = app
    thread = threading.Thread(target=server.serve_forever, name="live-app", daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        LIVE_APPS.pop(url, None)
        empty_database(app)
        if own_database:
            drop_postgres_database(own_database)


@pytest.fixture()
def live_flask_app(live_app: str) -> Any:
    """The live app itself: enter its app_context() to add rows its pages then show."""
    return LIVE_APPS[live_app]


@pytest.fixture(scope="session")
def base_url(live_app: str) -> str:
    """pytest-playwright opens every page relative to the live app."""
    return live_app


@pytest.fixture()
def site_admin(live_app: str) -> Account:
    """The seeded site admin, who reads the outbox."""
    return SITE_ADMIN


@pytest.fixture()
def leeds_admin(live_app: str) -> Account:
    """The seeded admin of Leeds City Council, who decides join requests."""
    return LEEDS_ADMIN


@pytest.fixture()
def leeds_writer(live_app: str) -> Account:
    """A seeded member of Leeds City Council, who writes case studies."""
    return LEEDS_WRITER


@pytest.fixture()
def leeds(live_app: str) -> SeededAgency:
    """The seeded agency."""
    return LEEDS


@dataclass
class Visit:
    """One document a page loaded."""

    url: str
    status: int
    checked: bool = False


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


class AxeAudit:
    """Runs axe-core on a page, and remembers every document the watched pages loaded.

    Call it on a page (``axe_check(page)``) once the page has settled: it fails the test,
    with a readable list, when axe-core finds a serious or critical violation.
    """

    def __init__(self) -> None:
        self._axe = Axe()
        self._visits: dict[Page, list[Visit]] = {}
        #: Every URL checked, in order.
        self.checked_urls: list[str] = []
        #: Minor and moderate findings: reported, not fatal.
        self.minor: list[str] = []

    def watch(self, page: Page) -> Page:
        """Record each document the page's main frame loads (redirects excluded: no page is shown)."""
        visits = self._visits.setdefault(page, [])

        def on_response(response: Response) -> None:
            request = response.request
            if request.is_navigation_request() and request.frame == page.main_frame and not 300 <= response.status < 400:
                visits.append(Visit(response.url, response.status))

        page.on("response", on_response)
        return page

    def __call__(self, page: Page) -> None:
        page.wait_for_load_state("load")
        results = self._axe.run(page).response
        url = page.url
        self.checked_urls.append(url)
        visits = self._visits.get(page) or []
        if visits and _without_fragment(visits[-1].url) == _without_fragment(url):
            visits[-1].checked = True
        blocking = []
        for violation in results["violations"]:
            if violation["impact"] in BLOCKING_IMPACTS:
                blocking.append(violation)
            else:
                self.minor.append(f"{url}: {violation['id']} ({violation['impact']}): {violation['help']}")
        if blocking:
            pytest.fail(self.describe(url, blocking), pytrace=False)

    @staticmethod
    def describe(url: str, violations: list[dict[str, Any]]) -> str:
        """The violations as a list a person can act on."""
        lines = [f"axe-core found {len(violations)} serious or critical violation(s) on {url}:"]
        for violation in violations:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
            for node in violation["nodes"]:
                target = " ".join(str(t) for t in node["target"])
                lines.append(f"    at {target}: {node['html'].strip()[:300]}")
                summary = (node.get("failureSummary") or "").replace("\n", " ")
                if summary:
                    lines.append(f"      {summary}")
        return "\n".join(lines)

    def visited(self) -> list[str]:
        """Every document the watched pages loaded, in order per page."""
        return [v.url for visits in self._visits.values() for v in visits]

    def unchecked(self) -> list[str]:
        """Documents loaded but never checked, as "STATUS URL"."""
        return [f"{v.status} {v.url}" for visits in self._visits.values() for v in visits if not v.checked]


@pytest.fixture()
def axe_check() -> Iterator[AxeAudit]:
    """axe_check(page) runs axe-core; axe_check.unchecked() lists pages visited but not checked."""
    audit = AxeAudit()
    yield audit
    if audit.minor:
        # Shown with -rP or -s; moderate findings are worth reading, not failing on.
        print("axe-core minor/moderate findings:\n  " + "\n  ".join(sorted(set(audit.minor))))


@pytest.fixture()
def page(page: Page, axe_check: AxeAudit) -> Page:
    """pytest-playwright's page, watched so the test can prove each page it loaded was checked."""
    return axe_check.watch(page)


@pytest.fixture()
def other_browser(browser: Browser, base_url: str, axe_check: AxeAudit) -> Iterator[Callable[[], Page]]:
    """Open a page in a fresh browser context: another person at another computer."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context(base_url=base_url)
        contexts.append(context)
        return axe_check.watch(context.new_page())

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture()
def screenshot_dir() -> Path:
    """Where journeys leave screenshots for a person to look at."""
    path = Path(os.environ.get("COP_SCREENSHOT_DIR", "/tmp"))
    path.mkdir(parents=True, exist_ok=True)
    return path
