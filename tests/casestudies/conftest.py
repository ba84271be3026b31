"""Fixtures for case studies: an agency with an admin and a writer, and case studies in any state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest

from cop.extensions import db as _db

COMPLETE = {
    "summary": "We answered bin questions on Twitter and calls fell.",
    "service_area": "waste-and-recycling",
    "modes": ["broadcast", "customer_service"],
    "level": "101",
    "sections": {
        "challenge": "Residents rang us about **missed bins**.",
        "approach": "We opened an account and answered questions each morning.",
        "results": "Calls about missed bins fell by 18% in six months.",
        "lessons": "Answer quickly, and say when you are not there.",
    },
}


@dataclass
class Cast:
    """Agency "leeds": its admin and two members; agency "york": a member; a moderator and a site admin."""

    admin: int
    writer: int
    colleague: int
    outsider: int
    moderator: int
    site_admin: int


@pytest.fixture()
def cast(make_agency, make_user) -> Cast:
    make_agency("leeds", name="Leeds City Council", domains=["leeds.example"])
    make_agency("york", name="City of York Council", domains=["york.example"], country="GB")
    return Cast(
        admin=make_user("admin@leeds.example", name="Priya Admin", role="agency_admin", agency="leeds"),
        writer=make_user("writer@leeds.example", name="Wendy Writer", agency="leeds"),
        colleague=make_user("colleague@leeds.example", name="Colin Colleague", agency="leeds"),
        outsider=make_user("member@york.example", name="Olly Outsider", agency="york"),
        moderator=make_user("mod@example.org", name="Mo Derator", role="moderator"),
        site_admin=make_user("root@example.org", name="Sid Admin", role="site_admin"),
    )


def user(user_id: int):
    from cop.accounts.models import User

    return _db.session.get(User, user_id)


@pytest.fixture()
def make_case_study(app, cast) -> Callable[..., str]:
    """Create a case study by the writer and take it to a status; returns its slug."""
    from cop.casestudies import services

    def make(title: str = "Bin collections on Twitter", status: str = "published", author: int | None = None,
             reviewer: int | None = None, **fields: Any) -> str:
        values = {**COMPLETE, **fields}
        with app.app_context():
            writer = user(author or cast.writer)
            case_study = services.create_case_study(writer, services.CaseStudyInput(title=title, **values))
            if status != "draft":
                services.submit_for_review(writer, case_study)
            judge = user(reviewer or cast.admin)
            if status == "returned":
                services.return_case_study(judge, case_study, "Add figures.")
            if status in ("published", "archived"):
                services.publish_case_study(judge, case_study)
            if status == "archived":
                services.archive_case_study(judge, case_study)
            _db.session.commit()
            return case_study.slug

    return make
