"""The forum's tests share one world: two agencies, their members, moderators and a site admin, a public category
and one private to agency home, each with a moderator's thread."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.extensions import db as _db


@pytest.fixture()
def world(app, make_agency, make_user):
    """Public category "getting-started" with a moderator's thread, and "home-only", private to agency home."""
    from cop.accounts.models import User
    from cop.agencies.models import Agency
    from cop.forum import services

    make_agency("home")
    make_agency("away")
    ids = {
        "member": make_user("member@home.example", name="Hugo Member", agency="home"),
        "away": make_user("away@away.example", name="Ada Away", agency="away"),
        "mod": make_user("mod@example.org", name="Mo Derator", role="moderator"),
        "mod2": make_user("mod2@example.org", name="Max Moderator", role="moderator"),
        "admin": make_user("admin@example.org", name="Sid Admin", role="site_admin"),
    }
    with app.test_request_context():
        admin, mod = _db.session.get(User, ids["admin"]), _db.session.get(User, ids["mod"])
        home = _db.session.scalar(sa.select(Agency).where(Agency.slug == "home"))
        public = services.create_category(admin, services.CategoryInput(name="Getting started"))
        private = services.create_category(admin, services.CategoryInput(name="Home only", visibility="agency", agency_id=home.id))
        thread = services.create_thread(mod, public, "Welcome to the forum", "Say **hello**.")
        inside = services.create_thread(mod, private, "Our secret plans", "For home only.")
        _db.session.commit()
        ids.update(thread=thread.id, inside=inside.id)
    return ids
