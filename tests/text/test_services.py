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


def test_site_admin_renames_retires_and_restores_a_topic(client, db, as_user, make_user):
    from cop.accounts.models import User

    as_user("site_admin")
    video = db.session.scalar(sa.select(Topic).where(Topic.slug == "video"))
    holder_id = make_user(name="Vid Holder")
    holder = db.session.get(User, holder_id)
    holder.skills = [video]
    db.session.commit()
    topic_id = video.id

    response = client.post(f"/admin/topics/{topic_id}", data={"name": "Video and livestreams"})
    assert response.status_code == 302
    db.session.expire_all()
    renamed = db.session.get(Topic, topic_id)
    assert (renamed.name, renamed.slug) == ("Video and livestreams", "video"), "the address stays"
    assert client.post(f"/admin/topics/{topic_id}", data={"name": "Blogging and WordPress"}).status_code == 409

    assert client.post(f"/admin/topics/{topic_id}/retire").status_code == 302
    db.session.expire_all()
    assert db.session.get(Topic, topic_id).is_retired
    assert "Video and livestreams" not in {t.name for t in list_topics()}, "no longer offered"
    assert "Video and livestreams" in {t.name for t in list_topics(include_retired=True)}
    assert "Video and livestreams" in client.get(f"/people/{holder_id}").get_data(as_text=True), "kept where it is used"
    page = client.get("/admin/topics").get_data(as_text=True)
    assert "Retired" in page and f"/admin/topics/{topic_id}/restore" in page
    # Retiring twice is refused on the same page, after a redirect.
    response = client.post(f"/admin/topics/{topic_id}/retire", follow_redirects=True)
    assert response.request.path == "/admin/topics" and "is already retired" in response.get_data(as_text=True)

    assert client.post(f"/admin/topics/{topic_id}/restore").status_code == 302
    db.session.expire_all()
    assert not db.session.get(Topic, topic_id).is_retired


def test_saving_a_profile_keeps_a_retired_topic_it_already_has(client, db, make_user, sign_in):
    from cop.accounts.models import User

    video, mastodon = (db.session.scalar(sa.select(Topic).where(Topic.slug == slug)) for slug in ("video", "mastodon"))
    user_id = make_user()
    db.session.get(User, user_id).skills = [video]
    video.retired_at = video.created_at
    db.session.commit()
    sign_in(user_id)
    form = client.get("/profile").get_data(as_text=True)
    assert f'value="{video.id}"' not in form, "a retired topic is not offered"
    data = {"display_name": "Jo", "job_title": "Officer", "level": "202", "time_zone": "UTC", "mentoring_capacity": "0",
            "skills": [str(mastodon.id)]}
    assert client.post("/profile", data=data).status_code == 302
    db.session.expire_all()
    assert [t.slug for t in db.session.get(User, user_id).skills] == ["mastodon", "video"]
    data["skills"] = [str(video.id)]
    assert client.post("/profile", data=data).status_code == 400, "nobody can newly choose a retired topic"
