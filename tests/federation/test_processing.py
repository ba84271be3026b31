"""What verified activities do, posted through the inbox as another server would: follows and their answers,
remote content from actors followed here, actors changing and deleting themselves."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cop.agencies.models import Agency
from cop.casestudies.models import CaseStudy
from cop.events.models import Event
from cop.extensions import db
from cop.federation.models import Activity, Delivery, Follower, Following, InboxItem, RemoteActor
from cop.text.models import SearchEntry
from tests.federation.remote_actors import KEY_PAIRS, Deliveries, Remote, RemoteWeb, count

REMOTE = Remote("https://remote.example/groups/leeds")
OTHER = Remote("https://other.example/users/ann", actor_type="Person")
HOME = "http://cop.test/agencies/home"


@pytest.fixture()
def home(make_agency) -> int:
    return make_agency("home")


@pytest.fixture()
def deliveries(monkeypatch) -> Deliveries:
    return Deliveries(monkeypatch)


@pytest.fixture()
def web(monkeypatch) -> RemoteWeb:
    return RemoteWeb(monkeypatch)


@pytest.fixture()
def remote_id(app) -> int:
    return REMOTE.store(app)


def item_of(app, activity: dict) -> InboxItem:
    with app.app_context():
        item = db.session.scalars(sa.select(InboxItem).where(InboxItem.activity_uri == activity["id"])).one()
        db.session.expunge(item)
        return item


def post(client, activity: dict, remote: Remote = REMOTE, path: str = "/inbox"):
    response = remote.post(client, path, activity)
    assert response.status_code == 202, response.get_data(as_text=True)
    return response


def follower_states(app) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(RemoteActor.uri, Follower.state).join(Follower.remote_actor).order_by(Follower.id)
        ).all()
        return [tuple(row) for row in rows]


def following(app, home: int, remote_id: int, state: str = "pending") -> str:
    """Home follows the remote actor (this site sent the Follow); returns the Follow's id."""
    follow_uri = "http://cop.test/activities/3f1e6f1c-0000-4000-8000-000000000001"
    with app.app_context():
        db.session.add(Following(agency_id=home, remote_actor_id=remote_id, follow_uri=follow_uri, state=state))
        db.session.commit()
    return follow_uri


def following_state(app) -> str:
    with app.app_context():
        return db.session.scalars(sa.select(Following.state)).one()


# ---------------------------------------------------------------- follows of our agencies


def test_a_follow_is_accepted_with_an_accept_carrying_the_whole_follow(app, client, home, remote_id, deliveries) -> None:
    follow = REMOTE.activity("Follow", HOME)

    post(client, follow, path="/agencies/home/inbox")

    assert follower_states(app) == [(REMOTE.uri, "accepted")]
    ((inbox, accept),) = deliveries.sent
    assert inbox == f"{REMOTE.uri}/inbox"
    assert accept["type"] == "Accept" and accept["actor"] == HOME
    assert {key: accept["object"][key] for key in follow if key != "@context"} == {k: v for k, v in follow.items() if k != "@context"}
    with app.app_context():
        sent = db.session.scalars(sa.select(Activity)).one()
        assert (sent.activity_type, sent.agency_id, sent.public) == ("Accept", home, False)
        assert db.session.scalars(sa.select(Delivery.status)).one() == "delivered"
        follower = db.session.scalars(sa.select(Follower)).one()
        assert follower.follow_uri == follow["id"] and follower.follow_activity == follow
    assert item_of(app, follow).status == "processed"


def test_an_agency_that_approves_followers_keeps_the_follow_pending_and_answers_nothing(app, client, home, remote_id, deliveries) -> None:
    with app.app_context():
        db.session.get(Agency, home).approves_followers = True
        db.session.commit()

    post(client, REMOTE.activity("Follow", HOME))

    assert follower_states(app) == [(REMOTE.uri, "pending")]
    assert deliveries.sent == []


def test_a_follow_sent_again_by_a_follower_is_answered_again_and_kept_once(app, client, home, remote_id, deliveries) -> None:
    post(client, REMOTE.activity("Follow", HOME))
    second = REMOTE.activity("Follow", HOME)
    post(client, second)

    assert follower_states(app) == [(REMOTE.uri, "accepted")]
    assert [payload["object"]["id"] for _inbox, payload in deliveries.of_type("Accept")][-1] == second["id"]
    assert len(deliveries.of_type("Accept")) == 2


@pytest.mark.parametrize("target", ["http://cop.test/agencies/nobody", "http://cop.test/agencies/remote-one", "https://elsewhere.example/agencies/home"])
def test_a_follow_of_an_agency_that_is_not_ours_is_ignored(app, client, home, remote_id, deliveries, target) -> None:
    with app.app_context():
        db.session.add(Agency(slug="remote-one", name="Remote one", country="", level="", remote_actor_id=remote_id))
        db.session.commit()
    follow = REMOTE.activity("Follow", target)

    post(client, follow)

    assert item_of(app, follow).status == "ignored"
    assert follower_states(app) == [] and deliveries.sent == []


@pytest.mark.parametrize("written_out", [True, False], ids=["whole-follow", "follow-id"])
def test_an_undo_of_a_follow_removes_the_follower(app, client, home, remote_id, deliveries, written_out) -> None:
    follow = REMOTE.activity("Follow", HOME)
    post(client, follow)
    undone = {key: value for key, value in follow.items() if key != "@context"} if written_out else follow["id"]

    undo = REMOTE.activity("Undo", undone)
    post(client, undo)

    assert follower_states(app) == []
    assert item_of(app, undo).status == "processed"


def test_an_undo_of_someone_elses_follow_changes_nothing(app, client, home, remote_id, deliveries) -> None:
    OTHER.store(app)
    follow = REMOTE.activity("Follow", HOME)
    post(client, follow)

    undo = OTHER.activity("Undo", follow["id"])
    post(client, undo, remote=OTHER)
    written_out = OTHER.activity("Undo", {key: value for key, value in follow.items() if key != "@context"})
    post(client, written_out, remote=OTHER)

    assert follower_states(app) == [(REMOTE.uri, "accepted")]
    assert item_of(app, undo).status == item_of(app, written_out).status == "ignored"


# ---------------------------------------------------------------- answers to our follows


@pytest.mark.parametrize(("kind", "state"), [("Accept", "accepted"), ("Reject", "rejected")])
def test_an_answer_to_our_follow_sets_its_state(app, client, home, remote_id, kind, state) -> None:
    follow_uri = following(app, home, remote_id)

    post(client, REMOTE.activity(kind, follow_uri))

    assert following_state(app) == state


def test_an_accept_naming_the_follow_by_who_followed_whom_is_matched(app, client, home, remote_id) -> None:
    following(app, home, remote_id)
    # Some servers answer with a Follow of their own making: another id, the same actor and object.
    post(client, REMOTE.activity("Accept", {"type": "Follow", "id": f"{REMOTE.origin}/follows/9", "actor": HOME, "object": REMOTE.uri}))

    assert following_state(app) == "accepted"


def test_an_accept_from_someone_other_than_the_followed_actor_is_ignored(app, client, home, remote_id) -> None:
    OTHER.store(app)
    follow_uri = following(app, home, remote_id)
    accept = OTHER.activity("Accept", follow_uri)

    post(client, accept, remote=OTHER)

    assert following_state(app) == "pending"
    assert item_of(app, accept).status == "ignored"


# ---------------------------------------------------------------- content


def article(number: int = 1, **fields) -> dict:
    return {"id": f"{REMOTE.origin}/articles/{number}", "type": "Article", "name": f"Open data {number}",
            "summary": "What we learnt.", "content": "<p>Our story.</p>", "attributedTo": REMOTE.uri,
            "url": f"{REMOTE.origin}/articles/{number}", "published": "2025-03-01T10:00:00Z", **fields}


def remote_event(number: int = 1, **fields) -> dict:
    return {"id": f"{REMOTE.origin}/events/{number}", "type": "Event", "name": "Unconference", "attributedTo": REMOTE.uri,
            "startTime": "2031-05-01T09:00:00+01:00", "endTime": "2031-05-01T17:00:00+01:00", "timezone": "Europe/London", **fields}


def titles(app, model) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(model.title).order_by(model.id)))


def test_content_from_an_actor_nobody_here_follows_is_ignored(app, client, home, remote_id) -> None:
    create = REMOTE.activity("Create", article())

    post(client, create)

    assert item_of(app, create).status == "ignored"
    assert titles(app, CaseStudy) == []


def test_content_from_an_actor_followed_here_is_stored_updated_and_deleted(app, client, home, remote_id) -> None:
    following(app, home, remote_id, state="accepted")

    post(client, REMOTE.activity("Create", article()))
    post(client, REMOTE.activity("Create", remote_event()))
    assert titles(app, CaseStudy) == ["Open data 1"]
    assert titles(app, Event) == ["Unconference"]

    post(client, REMOTE.activity("Update", article(name="Open data, revised")))
    # An Update of something not stored yet stores it.
    post(client, REMOTE.activity("Update", article(2)))
    assert titles(app, CaseStudy) == ["Open data, revised", "Open data 2"]

    post(client, REMOTE.activity("Delete", {"id": article()["id"], "type": "Tombstone"}))
    post(client, REMOTE.activity("Delete", remote_event()["id"]))
    assert titles(app, CaseStudy) == ["Open data 2"]
    assert titles(app, Event) == []


def test_a_failure_while_processing_is_kept_on_the_item(app, client, home, remote_id) -> None:
    following(app, home, remote_id, state="accepted")
    create = REMOTE.activity("Create", remote_event(startTime="whenever"))

    post(client, create)

    item = item_of(app, create)
    assert item.status == "failed"
    assert "start time" in item.error
    assert titles(app, Event) == []


# ---------------------------------------------------------------- actors


def test_an_actor_update_fetches_the_actor_again_and_renames_its_agency(app, client, home, remote_id, web) -> None:
    following(app, home, remote_id, state="accepted")
    post(client, REMOTE.activity("Create", article()))
    web.serve(REMOTE)
    web.documents[REMOTE.uri]["name"] = "Leeds City Council"
    update = REMOTE.activity("Update", {**REMOTE.document(), "name": "Ignored: the fetched document counts"})

    post(client, update)

    assert web.asked == [REMOTE.uri]
    with app.app_context():
        assert db.session.scalars(sa.select(RemoteActor.name)).one() == "Leeds City Council"
        assert db.session.scalars(sa.select(Agency.name).where(Agency.remote_actor_id == remote_id)).one() == "Leeds City Council"
    assert item_of(app, update).status == "processed"


def test_an_update_of_another_actor_is_refused(app, client, home, remote_id, web) -> None:
    response = REMOTE.post(client, "/inbox", REMOTE.activity("Update", {**OTHER.document(), "name": "Hijacked"}))

    assert response.status_code == 403
    assert web.asked == []


def test_an_update_of_another_actor_on_the_same_server_changes_nothing(app, client, home, remote_id, web) -> None:
    neighbour = Remote(f"{REMOTE.origin}/groups/york", key_pair=KEY_PAIRS[1])
    neighbour.store(app)
    update = REMOTE.activity("Update", {**neighbour.document(), "name": "Hijacked"})

    post(client, update)

    assert item_of(app, update).status == "ignored"
    assert web.asked == []
    with app.app_context():
        assert db.session.scalar(sa.select(RemoteActor.name).where(RemoteActor.uri == neighbour.uri)) != "Hijacked"


def test_an_actor_deleting_itself_takes_all_it_sent_and_every_follow_with_it(app, client, home, remote_id, deliveries) -> None:
    following(app, home, remote_id, state="accepted")
    post(client, REMOTE.activity("Follow", HOME))
    post(client, REMOTE.activity("Create", article()))
    post(client, REMOTE.activity("Create", remote_event()))
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency).where(Agency.remote_actor_id == remote_id)) == 1
    assert count(app, SearchEntry) == 2
    OTHER.store(app)

    delete = REMOTE.activity("Delete", REMOTE.uri)
    post(client, delete)

    assert item_of(app, delete).status == "processed"
    with app.app_context():
        assert list(db.session.scalars(sa.select(RemoteActor.uri))) == [OTHER.uri]
        assert list(db.session.scalars(sa.select(Agency.slug))) == ["home"]
    assert count(app, Follower) == count(app, Following) == count(app, CaseStudy) == count(app, Event) == 0
    # Search forgets what the actor sent.
    assert count(app, SearchEntry) == 0


# ---------------------------------------------------------------- the task


def test_an_item_is_processed_once_however_often_its_task_runs(app, client, home, remote_id, deliveries) -> None:
    from cop.federation.inbox_tasks import process_inbox_item

    follow = REMOTE.activity("Follow", HOME)
    post(client, follow)
    item_id = item_of(app, follow).id

    assert process_inbox_item.call_local(item_id) == "gone"

    assert len(deliveries.of_type("Accept")) == 1
    assert item_of(app, follow).status == "processed"


def test_the_sweep_queues_items_left_waiting_again(app, home, remote_id, deliveries) -> None:
    from datetime import timedelta

    from cop.clock import utcnow
    from cop.federation.inbox_tasks import requeue_stale_inbox_items

    follow = REMOTE.activity("Follow", HOME)
    with app.app_context():
        for activity, age in ((follow, timedelta(hours=1)), (REMOTE.activity("Follow", HOME), timedelta(0))):
            db.session.add(InboxItem(activity_uri=activity["id"], activity_type="Follow", actor_uri=REMOTE.uri, payload=activity,
                                     status="queued", received_at=utcnow() - age))
        db.session.commit()

    assert requeue_stale_inbox_items.call_local() == 1

    with app.app_context():
        assert sorted(db.session.scalars(sa.select(InboxItem.status))) == ["processed", "queued"]
    assert follower_states(app) == [(REMOTE.uri, "accepted")]
