import pytest
import sqlalchemy as sa

from cop.errors import Conflict, PermissionDenied, ServiceError
from cop.text.models import Topic
from cop.text.services import add_topic, ensure_default_topics, list_topics
from cop.text.taxonomy import DEFAULT_TOPICS


def test_default_taxonomy_is_seeded_once(db):
    names = {t.name for t in list_topics()}
    assert names == {name for name, _ in DEFAULT_TOPICS}
    assert ensure_default_topics() == 0


def test_site_admin_extends_taxonomy_and_others_cannot(app, db, make_user):
    from cop.accounts.models import User

    admin = db.session.get(User, make_user(role="site_admin"))
    member = db.session.get(User, make_user())
    with pytest.raises(PermissionDenied):
        add_topic(member, "Podcasts", "practice")
    topic = add_topic(admin, "  Podcasts  ", "practice")
    db.session.commit()
    assert topic.slug == "podcasts"
    with pytest.raises(Conflict):
        add_topic(admin, "podcasts", "practice")
    with pytest.raises(ServiceError):
        add_topic(admin, "Threads", "nonsense")
    assert db.session.scalar(sa.select(sa.func.count(Topic.id))) == len(DEFAULT_TOPICS) + 1


def test_admin_topics_page_adds_and_refuses_duplicates(client, as_user, db):
    as_user("site_admin")
    response = client.post("/admin/topics", data={"name": "Podcasts", "group": "practice"})
    assert response.status_code == 302
    response = client.post("/admin/topics", data={"name": "PODCASTS", "group": "practice"})
    assert response.status_code == 409
    assert "already has" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Topic.id)).where(Topic.slug == "podcasts")) == 1
