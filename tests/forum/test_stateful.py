"""Random runs of posting, flagging, moderating, suspending and appealing: after every step nobody sees what they
may not (hidden, waiting or rejected posts; a private category), the stored states are those the steps imply,
and the log holds a row for every action taken."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from cop.errors import ServiceError
from cop.extensions import db as _db


@pytest.fixture()
def forum_world(app, make_agency, make_user):
    """Two agencies' members, two site moderators, a site admin; made once per test, shared by every run."""
    tag = uuid.uuid4().hex[:6]
    make_agency(f"a-{tag}")
    make_agency(f"b-{tag}")
    people = {
        "m1": make_user(f"m1-{tag}@example.org", name="Meg One", agency=f"a-{tag}"),
        "m2": make_user(f"m2-{tag}@example.org", name="Max Two", agency=f"a-{tag}"),
        "m3": make_user(f"m3-{tag}@example.org", name="Mia Three", agency=f"b-{tag}"),
        "mod1": make_user(f"mod1-{tag}@example.org", name="Mod One", role="moderator"),
        "mod2": make_user(f"mod2-{tag}@example.org", name="Mod Two", role="moderator"),
        "admin": make_user(f"admin-{tag}@example.org", name="Ad Min", role="site_admin"),
    }
    return tag, people


def test_nobody_sees_what_they_may_not_and_every_action_is_logged(app, forum_world):
    tag, ids = forum_world
    from cop.accounts.models import User
    from cop.agencies.models import Agency
    from cop.forum import access, moderation, services
    from cop.forum.models import ModerationAction, Post, Thread

    members = ("m1", "m2", "m3")
    readers = (None, "m1", "m2", "m3")

    class Forum(RuleBasedStateMachine):
        threads = Bundle("threads")
        posts = Bundle("posts")
        actions = Bundle("actions")

        def person(self, key):
            return _db.session.get(User, ids[key]) if key else None

        @initialize(target=threads)
        def categories(self):
            self.ctx = app.test_request_context()
            self.ctx.push()
            admin = self.person("admin")
            run = uuid.uuid4().hex[:6]
            agency = _db.session.scalar(sa.select(Agency).where(Agency.slug == f"a-{tag}"))
            self.public = services.create_category(admin, services.CategoryInput(name=f"Public {run}"))
            self.private = services.create_category(
                admin, services.CategoryInput(name=f"Private {run}", visibility="agency", agency_id=agency.id))
            self.expected: dict[int, str] = {}
            self.logged = 0
            self.first_action = _db.session.scalar(sa.select(sa.func.max(ModerationAction.id))) or 0
            thread = services.create_thread(self.person("mod1"), self.public, "Welcome", "Start here.")
            _db.session.commit()
            self.expected[self._first(thread).id] = "visible"
            return thread.id

        def teardown(self):
            _db.session.rollback()
            self.ctx.pop()

        def _first(self, thread):
            return _db.session.scalar(sa.select(Post).where(Post.thread_id == thread.id, Post.number == 1))

        def _try(self, step):
            try:
                result = step()
            except ServiceError:
                _db.session.rollback()
                return None
            _db.session.commit()
            return result

        @rule(target=threads, who=st.sampled_from(members), private=st.booleans())
        def start_thread(self, who, private):
            category = self.private if private else self.public
            thread = self._try(lambda: services.create_thread(self.person(who), category, f"Question from {who}", "What do you do?"))
            if thread is None:
                return _db.session.scalar(sa.select(Thread.id).where(Thread.category_id == self.public.id).limit(1))
            self.expected[self._first(thread).id] = self._first(thread).state
            return thread.id

        @rule(target=posts, who=st.sampled_from(members), thread_id=threads)
        def reply(self, who, thread_id):
            thread = _db.session.get(Thread, thread_id)
            post = self._try(lambda: services.reply(self.person(who), thread, f"A reply from {who}."))
            if post is None:
                return self._first(thread).id
            self.expected[post.id] = post.state
            return post.id

        @rule(who=st.sampled_from(members), post_id=posts, reason=st.sampled_from(["spam", "abusive", "off_topic"]))
        def flag(self, who, post_id, reason):
            post = _db.session.get(Post, post_id)
            before = _db.session.scalar(sa.select(sa.func.count(ModerationAction.id)))
            self._try(lambda: moderation.flag_post(self.person(who), post, reason))
            _db.session.refresh(post)
            if _db.session.scalar(sa.select(sa.func.count(ModerationAction.id))) > before:
                self.logged += 1
            self.expected[post_id] = post.state

        @rule(target=actions, moderator=st.sampled_from(["mod1", "mod2"]), post_id=posts,
              what=st.sampled_from(["approve", "reject", "hide", "restore"]))
        def moderate(self, moderator, post_id, what):
            post = _db.session.get(Post, post_id)
            actor = self.person(moderator)
            step = {
                "approve": lambda: moderation.approve(actor, post),
                "reject": lambda: moderation.reject(actor, post, "spam"),
                "hide": lambda: moderation.hide(actor, post, "abusive"),
                "restore": lambda: moderation.restore(actor, post),
            }[what]
            action = self._try(step)
            if action is None:
                return 0
            self.logged += 1
            self.expected[post_id] = {"approve": "visible", "reject": "rejected", "hide": "hidden", "restore": "visible"}[what]
            return action.id

        @rule(target=actions, who=st.sampled_from(members), days=st.integers(1, 30))
        def suspend(self, who, days):
            action = self._try(lambda: moderation.restrict(self.person("mod1"), self.person(who), "suspend", "abusive", days=days))
            if action is None:
                return 0
            self.logged += 1
            return action.id

        @rule(who=st.sampled_from(members))
        def lift(self, who):
            if self._try(lambda: moderation.lift(self.person("mod2"), self.person(who))) is not None:
                self.logged += 1

        @rule(thread_id=threads)
        def lock(self, thread_id):
            thread = _db.session.get(Thread, thread_id)
            if self._try(lambda: moderation.set_locked(self.person("mod2"), thread, not thread.locked)) is not None:
                self.logged += 1

        @rule(action_id=actions, decider=st.sampled_from(["mod1", "mod2"]), uphold=st.booleans())
        def appeal_and_decide(self, action_id, decider, uphold):
            action = _db.session.get(ModerationAction, action_id) if action_id else None
            if action is None or action.target_user is None:
                return
            found = self._try(lambda: moderation.appeal(action.target_user, action, "Please look again."))
            if found is None:
                return
            decision = self._try(lambda: moderation.decide_appeal(self.person(decider), found, uphold, "" if uphold else "It stands."))
            if decision is None:
                assert action.moderator_id == ids[decider], "only the acting moderator may be refused an appeal decision"
                return
            self.logged += 1
            if uphold and action.post_id and action.kind in ("hide", "reject"):
                self.expected[action.post_id] = "visible"
            # An appeal's decision is final.
            with pytest.raises(ServiceError):
                moderation.appeal(action.target_user, decision, "And again.")
            _db.session.rollback()

        @invariant()
        def stored_states_are_what_the_steps_did(self):
            if not hasattr(self, "expected"):
                return
            for post_id, state in self.expected.items():
                assert _db.session.get(Post, post_id).state == state, f"post {post_id}"

        @invariant()
        def nobody_sees_what_they_may_not(self):
            if not hasattr(self, "public"):
                return
            for key in readers:
                reader = self.person(key)
                outsider = key in (None, "m3")
                seen = {c.id for c in services.categories_for(reader)}
                assert (self.private.id in seen) is not outsider
                for category in (self.public, self.private):
                    if category.id not in seen:
                        continue
                    rows = services.threads_page(reader, category, 1, 100).items
                    for thread in rows:
                        assert access.can_see_thread(reader, thread)
                        for post in services.posts_page(reader, thread, 1, 100).items:
                            assert post.state == "visible" or (reader is not None and post.author_id == reader.id), (
                                f"{key} sees post {post.id} ({post.state})")
                found = services.search_page(reader, "reply", 1, 100)
                for post in found.items if found else ():
                    assert post.state == "visible" and post.thread.category_id != (self.private.id if outsider else -1)

        @invariant()
        def the_log_records_every_action(self):
            if not hasattr(self, "logged"):
                return
            actions = _db.session.scalar(sa.select(sa.func.count(ModerationAction.id)).where(ModerationAction.id > self.first_action))
            assert actions == self.logged

    with app.app_context():
        run_state_machine_as_test(Forum, settings=settings(
            max_examples=12, stateful_step_count=15, deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
        ))
