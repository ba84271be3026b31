"""Fixtures for events: an agency with an organiser and members, and events made through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

import pytest

from cop.extensions import db as _db


@dataclass
class Crowd:
    """Agency "leeds": its admin, an organiser and a member; agency "york": a member; a site admin."""

    admin: int
    organiser: int
    member: int
    outsider: int
    site_admin: int


@pytest.fixture()
def crowd(make_agency, make_user) -> Crowd:
    make_agency("leeds", name="Leeds City Council", domains=["leeds.example"])
    make_agency("york", name="City of York Council", domains=["york.example"])
    return Crowd(
        admin=make_user("admin@leeds.example", name="Priya Admin", role="agency_admin", agency="leeds"),
        organiser=make_user("organiser@leeds.example", name="Olu Organiser", agency="leeds"),
        member=make_user("member@leeds.example", name="Mel Member", agency="leeds"),
        outsider=make_user("someone@york.example", name="Sam Someone", agency="york"),
        site_admin=make_user("root@example.org", name="Sid Admin", role="site_admin"),
    )


def person(user_id: int):
    from cop.accounts.models import User

    return _db.session.get(User, user_id)


def soon(days: int = 14, hour: int = 10) -> datetime:
    """A wall-clock time some days ahead, on the hour (naive: the event's zone is given beside it)."""
    return (datetime.now() + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture()
def make_event(app, crowd) -> Callable[..., str]:
    """List an event as the organiser; returns its slug. Keyword arguments are EventInput fields."""
    from cop.events import services

    def make(title: str = "LocalGovCamp North", organiser: int | None = None, **fields: Any) -> str:
        values: dict[str, Any] = {
            "kind": "unconference", "time_zone": "Europe/London", "starts": soon(), "ends": soon(hour=16),
            "venue_name": "Leeds Central Library", "venue_address": "Calverley Street, Leeds LS1 3AB",
            "description": "An unconference for **local government** digital people.",
        }
        values.update(fields)
        with app.app_context():
            event = services.create_event(person(organiser or crowd.organiser), services.EventInput(title=title, **values))
            _db.session.commit()
            return event.slug

    return make
