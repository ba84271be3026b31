"""Command-line tools: flask --app wsgi <command>."""

from __future__ import annotations

import functools
from typing import Any, Callable

import click
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.cli import with_appcontext

from cop.errors import ServiceError
from cop.extensions import db
from cop.site.probes import describe_database, reason


def check_schema() -> None:
    """Stop a command, in one line, when the database cannot be reached or its schema is not the code's."""
    where = describe_database(db.engine.url)
    try:
        with db.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except sa.exc.SQLAlchemyError as exc:
        raise click.ClickException(f"Cannot reach {where}: {reason(exc)}") from None
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    expected = set(script.get_heads())
    if current != expected:
        now = ", ".join(sorted(current)) or "empty"
        raise click.ClickException(
            f"The database ({where}) is not up to date: it is at {now}, this code needs {', '.join(sorted(expected))}. "
            "Run: flask --app wsgi db upgrade"
        )


def needs_current_schema(command: Callable[..., Any]) -> Callable[..., Any]:
    """For commands that use the database: check it answers and is migrated before they run."""

    @functools.wraps(command)
    def checked(*args: Any, **kwargs: Any) -> Any:
        check_schema()
        return command(*args, **kwargs)

    return checked


def _fail(error: ServiceError) -> None:
    db.session.rollback()
    raise click.ClickException(error.message)


@click.command("create-agency")
@click.argument("slug")
@click.option("--name", required=True, help="The agency's full name.")
@click.option("--domain", "domains", multiple=True, help="An email domain it owns (repeatable).")
@click.option("--country", default="GB", show_default=True, help="ISO 3166 two-letter country code.")
@click.option("--level", type=click.Choice(["local", "regional", "national"]), default="local", show_default=True)
@click.option("--website", default="", help="The agency's website.")
@with_appcontext
@needs_current_schema
def create_agency_command(slug: str, name: str, domains: tuple[str, ...], country: str, level: str, website: str) -> None:
    """Add an agency."""
    from cop.agencies.services import create_agency

    try:
        agency = create_agency(None, slug, name, country, level, website, domains)
    except ServiceError as error:
        _fail(error)
    db.session.commit()
    owned = ", ".join(d.domain for d in agency.domains) or "no email domains"
    click.echo(f"Created agency {agency.slug} ({agency.name}, {agency.country}, {agency.level}; {owned}).")


@click.command("create-user")
@click.argument("email")
@click.option("--password", required=True, help="At least 12 characters, not a common password.")
@click.option("--name", default="", help="Display name (defaults to the address's local part).")
@click.option("--role", type=click.Choice(["member", "agency_admin", "moderator", "site_admin"]), default="member", show_default=True)
@click.option("--agency", "agency_slug", default=None, help="Slug of the agency they are a member of.")
@with_appcontext
@needs_current_schema
def create_user_command(email: str, password: str, name: str, role: str, agency_slug: str | None) -> None:
    """Add a verified account."""
    from cop.accounts.services import create_user
    from cop.agencies.services import get_agency

    try:
        agency = None
        if agency_slug:
            agency = get_agency(agency_slug)
            if agency is None:
                raise ServiceError(f"There is no agency “{agency_slug}”. Create it first with create-agency.")
        user = create_user(email, password, name, role, agency)
    except ServiceError as error:
        _fail(error)
    db.session.commit()
    where = f" at {user.agency.slug}" if user.agency else ""
    click.echo(f"Created {role.replace('_', ' ')} {user.email} (id {user.id}){where}; the address is verified.")


@click.command("seed-demo")
@with_appcontext
@needs_current_schema
def seed_demo_command() -> None:
    """Load a believable demo community; running it again adds nothing twice."""
    from cop.demo import seed_demo

    with click.progressbar(length=100, label="Seeding demo community") as bar:
        summary = seed_demo(progress=bar.update)
    db.session.commit()
    click.echo(
        f"Demo community ready: {summary.agencies_added} agencies and {summary.people_added} people added "
        f"({summary.agencies_total} agencies and {summary.people_total} people in all); "
        f"{summary.case_studies_added} case studies added ({summary.case_studies_total} in all); "
        f"{summary.events_added} events and {summary.mentorships_added} mentorships added; {summary.threads_added} forum threads added; "
        f"{summary.remote_items_added} case studies and events from another server added."
    )
    click.echo("Demo sign-ins (password for each: " + summary.password + "):")
    for label, email in summary.sign_ins:
        click.echo(f"  {label:<14} {email}")


@click.command("seed-if-empty")
@with_appcontext
@needs_current_schema
def seed_if_empty_command() -> None:
    """Seed the demo community only when the database has no people yet (used by make run)."""
    from cop.accounts.models import User

    if db.session.scalar(sa.select(sa.func.count(User.id))):
        click.echo("The database already has people; demo data not loaded.")
        return
    seed_demo_command.callback()  # type: ignore[misc]


@click.command("create-token")
@click.argument("email")
@click.option("--scope", type=click.Choice(["read", "write"]), default="read", show_default=True, help="What the token may do.")
@click.option("--name", default="Command line", show_default=True, help="What the token is for, shown in the person's list.")
@with_appcontext
@needs_current_schema
def create_token_command(email: str, scope: str, name: str) -> None:
    """Make a personal API token for an account and print it (only the token, so it can be piped)."""
    from cop.accounts.services import find_user_by_email
    from cop.api.services import create_token

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account has the address {email}.")
    try:
        _token, secret = create_token(user, name, scope)
    except ServiceError as error:
        _fail(error)
    db.session.commit()
    click.echo(secret)


@click.command("worker")
@click.option("--workers", default=2, show_default=True, help="Worker threads.")
@with_appcontext
@needs_current_schema
def worker_command(workers: int) -> None:
    """Run the task queue's consumer (mail delivery and other background work)."""
    from cop.extensions import tasks
    from cop.worker import create_consumer

    if tasks.immediate:
        raise click.ClickException("Tasks run immediately in this configuration (COP_TASKS_IMMEDIATE); no worker is needed.")
    backend = "Redis" if tasks.storage_class.__name__ == "RedisStorage" else "SQLite"
    click.echo(f"Worker starting: {workers} threads, {backend} queue.")
    create_consumer(tasks, workers).run()


def register(app: Flask) -> None:
    """Add the commands to the app's CLI."""
    for command in (create_agency_command, create_user_command, create_token_command, seed_demo_command, seed_if_empty_command,
                    worker_command):
        app.cli.add_command(command)
