"""The forum's rules, through its services: trust, limits, watched words, mentions, flags, scope, weekly topics, digests."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cop.errors import NotFound, PermissionDenied, ServiceError, TooSoon
from cop.extensions import db as _db


@pytest.fixture()
def people(app, make_agency, make_user):
    make_agency("home")
    make_agency("away")
    return {
        "new": make_user("new@home.example", name="Nia New", agency="home"),
        "other": make_user("other@home.example", name="Ola Other", agency="home"),
        "away": make_user("away@away.example", name="Abe Away", agency="away"),
        "home_admin": make_user("admin@home.example", name="Hana Admin", role="agency_admin", agency="home"),
        "mod": make_user("mod@example.org", name="Mo Derator", role="moderator"),
        "mod2": make_user("mod2@example.org", name="Max Moderator", role="moderator"),
        "admin": make_user("admin@example.org", name="Sid Admin", role="site_admin"),
    }


@pytest.fixture()
def forum(app, people):
    """Yields a helper: who(key) for a person, and a public and a private (home's) category with a thread each."""
    from cop.accounts.models import User
    from cop.agencies.models import Agency
    from cop.forum import services

    with app.test_request_context():
        who = lambda key: _db.session.get(User, people[key])  # noqa: E731
        home = _db.session.scalar(sa.select(Agency).where(Agency.slug == "home"))
        public = services.create_category(who("admin"), services.CategoryInput(name="Getting started"))
        private = services.create_category(who("admin"), services.CategoryInput(name="Home only", visibility="agency", agency_id=home.id))
        thread = services.create_thread(who("mod"), public, "Welcome", "Say hello.")
        inside = services.create_thread(who("mod"), private, "Our plans", "For us only.")
        _db.session.commit()
        yield type("Forum", (), {"who": staticmethod(who), "public": public, "private": private, "thread": thread, "inside": inside})


def _trusted(forum, key, level=2):
    from cop.forum import moderation

    moderation.set_trust(forum.who("admin"), forum.who(key), level)
    _db.session.commit()


def test_a_new_members_first_posts_wait_then_trust_grows_with_approved_posts(app, forum):
    from cop.forum import moderation, services, standing

    new = forum.who("new")
    for n in range(3):
        post = services.reply(new, forum.thread, f"Hello number {n}.")
        assert post.state == "pending"
        moderation.approve(forum.who("mod"), post)
    _db.session.commit()
    assert standing.trust_level(new) == 1
    assert services.reply(new, forum.thread, "Now I am shown at once.").state == "visible"


def test_a_new_member_may_post_few_links(app, forum):
    from cop.forum import services

    body = "See https://a.example, https://b.example and https://c.example"
    with pytest.raises(ServiceError, match="at most 2 links"):
        services.reply(forum.who("new"), forum.thread, body)
    _trusted(forum, "new", 1)
    assert services.reply(forum.who("new"), forum.thread, body).state == "visible"


def test_posting_is_limited_by_trust_level(app, forum):
    from cop.forum import services, standing

    new = forum.who("new")
    for n in range(standing.POSTS_PER_HOUR[0]):
        services.reply(new, forum.thread, f"Post {n}")
    with pytest.raises(TooSoon) as refused:
        services.reply(new, forum.thread, "One too many")
    assert refused.value.status_code == 429 and refused.value.retry_after > 0


def test_watched_words_block_hold_or_flag(app, forum):
    from cop.forum import moderation, services
    from cop.forum.models import Flag

    mod = forum.who("mod")
    moderation.add_watched_word(mod, "Casino", "block")
    moderation.add_watched_word(mod, "lawsuit", "hold")
    moderation.add_watched_word(mod, "idiot", "flag")
    _trusted(forum, "other")
    other = forum.who("other")
    with pytest.raises(ServiceError, match="casino"):
        services.reply(other, forum.thread, "Visit my CASINO now")
    assert services.reply(other, forum.thread, "We face a lawsuit over a reply").state == "pending"
    flagged = services.reply(other, forum.thread, "What an idiot idea, sorry")
    assert flagged.state == "visible"
    assert _db.session.scalar(sa.select(Flag).where(Flag.post_id == flagged.id)).flagger_id is None
    # Words inside other words do not count.
    assert services.reply(other, forum.thread, "Casinos aside, idiotic is fine").state == "visible"


def test_mentions_notify_and_link_only_people_who_can_see_the_category(app, forum):
    from cop.forum import services
    from cop.notifications.models import Notification

    _trusted(forum, "other")
    post = services.reply(forum.who("other"), forum.thread, "Thanks @NiaNew and @AbeAway, and `@NotAMention`")
    _db.session.commit()
    assert 'href="/people/' in post.body_html and "@NotAMention" in post.body_html
    mentioned = {n.user_id for n in _db.session.scalars(sa.select(Notification).where(Notification.kind == "forum_mention"))}
    assert mentioned == {forum.who("new").id, forum.who("away").id}
    services.reply(forum.who("other"), forum.inside, "Only for us, @AbeAway")
    _db.session.commit()
    mentioned = [n.user_id for n in _db.session.scalars(sa.select(Notification).where(Notification.kind == "forum_mention"))]
    assert mentioned.count(forum.who("away").id) == 1, "someone outside a private category is not told of it"


def test_flags_from_trusted_members_hide_a_post_until_a_moderator_decides(app, forum, make_user):
    from cop.forum import moderation, services

    _trusted(forum, "other")
    post = services.reply(forum.who("other"), forum.thread, "A heated reply")
    _db.session.commit()
    flaggers = [make_user(f"f{n}@example.org", name=f"Flagger {n}") for n in range(4)]
    from cop.accounts.models import User

    # An untrusted member's flag is reviewed, but does not count towards hiding.
    moderation.flag_post(_db.session.get(User, flaggers[0]), post, "abusive")
    for user_id in flaggers[1:3]:
        moderation.set_trust(forum.who("admin"), _db.session.get(User, user_id), 2)
        moderation.flag_post(_db.session.get(User, user_id), post, "abusive")
    assert post.state == "visible"
    moderation.set_trust(forum.who("admin"), _db.session.get(User, flaggers[3]), 2)
    moderation.flag_post(_db.session.get(User, flaggers[3]), post, "spam")
    assert post.state == "hidden"
    assert [p.id for p, flags in moderation.flagged_posts(forum.who("mod"))] == [post.id]
    moderation.dismiss_flags(forum.who("mod"), post)
    assert post.state == "visible" and moderation.flagged_posts(forum.who("mod")) == []


def test_flagging_ones_own_post_or_twice_is_refused(app, forum):
    from cop.errors import Conflict
    from cop.forum import moderation, services

    _trusted(forum, "other")
    post = services.reply(forum.who("other"), forum.thread, "Mine")
    with pytest.raises(ServiceError, match="your own"):
        moderation.flag_post(forum.who("other"), post, "spam")
    moderation.flag_post(forum.who("new"), post, "spam")
    with pytest.raises(Conflict):
        moderation.flag_post(forum.who("new"), post, "spam")
    with pytest.raises(ServiceError, match="Say what"):
        moderation.flag_post(forum.who("away"), post, "other", "")


def test_agency_admins_moderate_their_private_category_only(app, forum):
    from cop.forum import moderation, services

    home_admin = forum.who("home_admin")
    inside = services.reply(forum.who("new"), forum.inside, "Waiting inside")
    outside = services.reply(forum.who("new"), forum.thread, "Waiting outside")
    assert [p.id for p in moderation.pending_posts(home_admin)] == [inside.id]
    moderation.approve(home_admin, inside)
    with pytest.raises(PermissionDenied):
        moderation.approve(home_admin, outside)
    with pytest.raises(PermissionDenied):
        moderation.restrict(home_admin, forum.who("new"), "silence", "abusive")


def test_a_private_category_is_not_found_by_outsiders(app, forum):
    from cop.forum import services

    for outsider in (None, forum.who("away")):
        with pytest.raises(NotFound):
            services.get_category(outsider, forum.private.slug)
        with pytest.raises(NotFound):
            services.get_thread(outsider, forum.inside.id)
        with pytest.raises(NotFound):
            services.reply(outsider or forum.who("away"), forum.inside, "Let me in")
    assert services.get_category(forum.who("new"), forum.private.slug).id == forum.private.id


def test_suspension_and_silence_are_shown_with_their_reason(app, forum):
    from cop.forum import moderation, services

    moderation.restrict(forum.who("mod"), forum.who("new"), "silence", "other", "Cool off, please.")
    with pytest.raises(PermissionDenied, match="silenced.*until a moderator lifts it.*Cool off"):
        services.reply(forum.who("new"), forum.thread, "Hello?")
    moderation.lift(forum.who("mod2"), forum.who("new"))
    moderation.restrict(forum.who("mod"), forum.who("new"), "suspend", "abusive", days=7)
    with pytest.raises(PermissionDenied, match="suspended"):
        services.reply(forum.who("new"), forum.thread, "Hello?")
    with pytest.raises(PermissionDenied):
        moderation.flag_post(forum.who("new"), _db.session.scalar(sa.select(services.Post).limit(1)), "spam")


def test_slow_mode_and_locks(app, forum):
    from cop.forum import moderation, services

    _trusted(forum, "other")
    moderation.set_slow_mode(forum.who("mod"), 300, thread=forum.thread)
    services.reply(forum.who("other"), forum.thread, "First")
    with pytest.raises(TooSoon, match="Slow mode"):
        services.reply(forum.who("other"), forum.thread, "Second")
    services.reply(forum.who("mod"), forum.thread, "Moderators are not slowed")
    moderation.set_locked(forum.who("mod"), forum.thread, True)
    with pytest.raises(PermissionDenied, match="locked"):
        services.reply(forum.who("new"), forum.thread, "Hello?")


def test_an_appeal_is_decided_by_another_moderator_once_and_is_final(app, forum):
    from cop.errors import Conflict
    from cop.forum import moderation, services

    _trusted(forum, "other")
    post = services.reply(forum.who("other"), forum.thread, "Spicy")
    hid = moderation.hide(forum.who("mod"), post, "abusive", "Too sharp")
    appeal = moderation.appeal(forum.who("other"), hid, "It was a joke.")
    with pytest.raises(Conflict):
        moderation.appeal(forum.who("other"), hid, "Again")
    with pytest.raises(PermissionDenied, match="Another moderator"):
        moderation.decide_appeal(forum.who("mod"), appeal, True)
    with pytest.raises(ServiceError, match="Say why"):
        moderation.decide_appeal(forum.who("mod2"), appeal, False, "")
    decision = moderation.decide_appeal(forum.who("mod2"), appeal, True, "Fair enough")
    assert post.state == "visible"
    with pytest.raises(Conflict, match="final"):
        moderation.appeal(forum.who("other"), decision, "Appeal the appeal")
    with pytest.raises(PermissionDenied):
        moderation.appeal(forum.who("new"), hid, "Not mine")


def test_edits_keep_the_original_and_a_moderators_edit_is_logged(app, forum):
    from cop.forum import moderation, services
    from cop.forum.models import ModerationAction

    _trusted(forum, "other")
    post = services.reply(forum.who("other"), forum.thread, "Original words")
    services.edit_post(forum.who("other"), post, "Second words")
    with pytest.raises(ServiceError, match="Say why"):
        services.edit_post(forum.who("mod"), post, "Third words")
    services.edit_post(forum.who("mod"), post, "Third words", reason="Removed a phone number")
    assert [r.body for r in services.revisions_of(forum.who("mod"), post)] == ["Second words", "Original words"]
    assert _db.session.scalar(sa.select(ModerationAction.kind).where(ModerationAction.post_id == post.id)) == "edit"
    with pytest.raises(PermissionDenied):
        services.revisions_of(forum.who("other"), post)
    with pytest.raises(PermissionDenied):
        services.edit_post(forum.who("new"), post, "Not mine")


def test_weekly_topics_open_on_their_dates(app, forum):
    from cop.clock import utcnow
    from cop.forum import services, weekly

    mod = forum.who("mod")
    first = utcnow().date() + timedelta(days=1)
    made = weekly.schedule_topics(mod, forum.public, ["Week 1: audiences", "Week 2: tone of voice"], first, "This week's topic.")
    _db.session.commit()
    assert [t.id for t in weekly.scheduled_topics(mod, forum.public)] == [t.id for t in made]
    reader = forum.who("new")
    assert made[0].id not in {t.id for t in services.threads_page(reader, forum.public, 1, 50).items}
    with pytest.raises(NotFound):
        services.get_thread(reader, made[0].id)
    made[0].opens_at = utcnow() - timedelta(minutes=1)
    _db.session.commit()
    assert weekly.open_scheduled_topics() == 1
    assert made[0].id in {t.id for t in services.threads_page(reader, forum.public, 1, 50).items}
    with pytest.raises(ServiceError):
        weekly.schedule_topics(mod, forum.public, [], first, "x")
    with pytest.raises(ServiceError):
        weekly.schedule_topics(mod, forum.public, ["Late"], utcnow().date() - timedelta(days=1), "x")
    with pytest.raises(PermissionDenied):
        weekly.schedule_topics(forum.who("new"), forum.public, ["Mine"], first, "x")


def test_the_daily_digest_gathers_unread_forum_notices(app, forum):
    from cop.forum import digest, services
    from cop.mail.models import OutboxMessage

    _trusted(forum, "other")
    services.watch_thread(forum.who("new"), forum.thread)
    services.reply(forum.who("other"), forum.thread, "News for watchers")
    _db.session.commit()
    from cop.forum import standing

    standing.member_row(forum.who("new"))
    _db.session.commit()
    assert digest.send_digests() >= 1
    _db.session.commit()
    mail = _db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.recipient == "new@home.example",
                                                              OutboxMessage.subject.like("What is new in the forum%")))
    assert mail is not None and "replied in “Welcome”" in mail.body
    assert digest.send_digests() == 0, "a second digest the same day has nothing new"


def test_bad_input_stores_nothing(app, forum):
    from cop.forum import services
    from cop.forum.models import Post

    before = _db.session.scalar(sa.select(sa.func.count(Post.id)))
    for body, message in (("", "Write something"), ("x" * 50_001, "50,000"), ("Hi <script>alert(1)</script>", "script"),
                          ("<img src=x onerror=alert(1)>", "script")):
        with pytest.raises(ServiceError, match=message):
            services.reply(forum.who("other"), forum.thread, body)
        _db.session.rollback()
    with pytest.raises(ServiceError, match="title"):
        services.create_thread(forum.who("other"), forum.public, "  ", "Body")
    _db.session.rollback()
    assert _db.session.scalar(sa.select(sa.func.count(Post.id))) == before
    # Code may show HTML.
    assert services.reply(forum.who("other"), forum.thread, "Embed with `<script src=x>`").state in ("pending", "visible")


def test_a_flag_or_an_appeal_added_twice_at_once_is_a_conflict_and_the_transaction_goes_on(app, forum):
    """The unique indexes decide a race the checks before them cannot see: the second is told, not shown a 500."""
    from cop.errors import Conflict
    from cop.forum import moderation, services
    from cop.forum.models import Flag

    _trusted(forum, "other")
    post = services.reply(forum.who("other"), forum.thread, "Racing")
    _db.session.add(Flag(post_id=post.id, flagger_id=forum.who("new").id, reason="spam"))
    _db.session.flush()
    with pytest.raises(Conflict, match="flagged this post already"):
        moderation._add_once(Flag(post_id=post.id, flagger_id=forum.who("new").id, reason="spam"), "You have flagged this post already.")
    assert _db.session.scalar(sa.select(sa.func.count(Flag.id)).where(Flag.post_id == post.id)) == 1
    _db.session.commit()
