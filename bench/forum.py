"""The speed budget for the forum: 100,000 posts in 5,000 threads, in 10 categories, from 2,000 members.

python -m bench.forum [--database-url postgresql://…] [--rounds 3] [--seconds 3] [--scale 1]

Targets: a thread page and a category page within 5 × /livez, a search within 10 ×, on SQLite and
PostgreSQL, as visitors and as a signed-in member, with SQL statements per request constant in the rows
shown (tests hold that part: tests/forum/test_queries.py).
"""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from bench.runner import Page, arguments, run

POSTS = 100_000
THREADS = 5_000
CATEGORIES = ("Getting started", "Strategy", "Monitoring and analytics", "Policy and risk", "Dealing with conflict",
              "Events and BarCamps", "Accessibility", "Video and live", "Crisis communications", "Recruiting and training")
AGENCIES = 200
MEMBERS = 2_000
#: One thread is long, as a popular one is: its tenth page is measured.
LONG_THREAD = 400
SUBJECTS = ("out-of-hours sign-off", "a pile-on after a planning decision", "reporting engagement to the chief executive",
            "alt text on every image", "the pre-election period", "closing an account nobody reads", "a flood warning rota",
            "live captions for a council meeting", "a social media surgery for charities", "choosing a listening tool",
            "answering complaints in public", "records management for direct messages", "a BarCamp in the library",
            "mentoring a new officer", "measuring reach that leaders trust", "staff who post about work")
CHANNELS = ("Twitter", "Facebook", "Instagram", "WhatsApp", "YouTube", "LinkedIn", "Mastodon", "TikTok", "Nextdoor", "a blog")
#: A thread's subject and channel: 160 pairs, so that a search for one pair finds about one thread in 160, as a
#: search for a particular question in a real forum finds few of its threads.
TOPICS = tuple(f"{subject} on {channel}" for channel in CHANNELS for subject in SUBJECTS)
SEARCH = "listening+tool+instagram"
SENTENCES = (
    "We tried this with {subject} last year and it took a few weeks to settle.",
    "Has anyone written down how they handle {subject}? Our policy says nothing about it.",
    "Our team of two could not keep up, so we agreed **pre-approved lines** for the usual cases.",
    "Write it down and put it where the on-call officer can find it; ours is in the incident plan.",
    "Analytics showed most of the questions came in the evening, so we moved the rota.",
    "Ask the service managers early: they know what residents ask about {subject}.",
    "There is a good case study on this in the library, from a county council.",
    "Keep the replies short, say when the account is staffed, and link to the page with the detail.",
)


def _body(rng: random.Random, subject: str) -> str:
    return " ".join(rng.choice(SENTENCES).format(subject=subject) for _ in range(rng.randint(2, 5)))


def build(app, scale: float) -> list[Page]:
    """Agencies and members in bulk; categories through the forum's services; threads, posts and their search
    entries written in bulk as the services write them (each post's HTML rendered by the forum's renderer)."""
    from argon2 import PasswordHasher

    from cop.accounts.models import User
    from cop.agencies.models import Agency
    from cop.agencies.services import create_agency
    from cop.clock import utcnow
    from cop.extensions import db
    from cop.forum import services, writing
    from cop.forum.models import Category, Post, Thread
    from cop.text import search
    from cop.text.markdown import markdown_to_text

    rng = random.Random(8)
    for i in range(max(int(AGENCIES * scale), 2)):
        create_agency(None, f"agency-{i:03}", f"Council {i:03}", "GB", "local", domains=[f"agency{i:03}.example"])
    db.session.commit()
    agencies = list(db.session.scalars(sa.select(Agency).order_by(Agency.id)))
    password_hash = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("not used to sign in")
    now = utcnow()
    members = [
        User(email=f"member{i:05}@{agencies[i % len(agencies)].domains[0].domain}", display_name=f"Member {i:05}",
             password_hash=password_hash, email_verified_at=now, job_title="Digital officer", level="202",
             agency=agencies[i % len(agencies)], site_role="site_admin" if i == 0 else "member")
        for i in range(max(int(MEMBERS * scale), 10))
    ]
    db.session.add_all(members)
    db.session.commit()
    member_ids = [m.id for m in members]

    admin = members[0]
    categories = [services.create_category(admin, services.CategoryInput(name=name, description=f"Questions about {name.lower()}."))
                  for name in CATEGORIES]
    db.session.commit()

    # Pools of bodies for each topic, rendered once each by the forum's renderer: 100,000 renders would be most
    # of the build.
    pools = []
    for topic in TOPICS:
        bodies = [_body(rng, topic) for _ in range(4)]
        pools.append([(body, writing.render_post(body, {}), markdown_to_text(body)) for body in bodies])
    texts = {body: text for pool in pools for body, _html, text in pool}

    thread_total = max(int(THREADS * scale), len(categories))
    post_total = max(int(POSTS * scale), thread_total * 2)
    # Every thread has at least one post; the long one its share; the rest spread at random.
    sizes = [1] * thread_total
    sizes[0] = min(LONG_THREAD, post_total - thread_total + 1)
    for _ in range(post_total - sum(sizes)):
        sizes[rng.randrange(1, thread_total)] += 1

    for start in range(0, thread_total, 250):
        threads = []
        for i in range(start, min(start + 250, thread_total)):
            subject = TOPICS[i % len(TOPICS)]
            began = now - timedelta(days=rng.randint(1, 1500), minutes=i)
            last = began + timedelta(hours=sizes[i])
            threads.append(Thread(
                category_id=categories[i % len(categories)].id, author_id=rng.choice(member_ids),
                title=f"{rng.choice(('How do you handle', 'Advice on', 'Lessons from', 'A question about'))} {subject} ({i:04})",
                state="visible", locked=False, pinned=i % 400 == 1, slow_mode_seconds=0, posts_made=sizes[i],
                post_count=sizes[i], last_number=sizes[i], last_post_at=last, created_at=began,
            ))
        db.session.add_all(threads)
        db.session.flush()
        posts = []
        for offset, thread in enumerate(threads):
            pool = pools[(start + offset) % len(TOPICS)]
            for number in range(1, sizes[start + offset] + 1):
                body, html, _text = rng.choice(pool)
                posts.append({"thread_id": thread.id, "number": number, "author_id": rng.choice(member_ids), "body": body,
                              "body_html": html, "state": "visible", "open_flag_weight": 0,
                              "created_at": thread.created_at + timedelta(hours=number - 1)})
        db.session.execute(sa.insert(Post), posts)
        titles = {t.id: t.title for t in threads}
        rows = db.session.execute(
            sa.select(Post.id, Post.thread_id, Post.body).where(Post.thread_id.in_(list(titles)))
        ).all()
        entries = [(post_id, titles[thread_id], texts[body]) for post_id, thread_id, body in rows]
        search.index_new_documents(services.SEARCH_KIND, entries)
        db.session.commit()
    for category in categories:
        services.refresh_category_counts(category.id)
    db.session.commit()

    long_thread = db.session.scalar(sa.select(Thread.id).order_by(Thread.id).limit(1))
    typical = db.session.scalar(sa.select(Thread.id).where(Thread.post_count.between(15, 25)).order_by(Thread.id).limit(1))
    busy = categories[1]
    member = members[1].email
    per_page = app.config["COP_PER_PAGE"]
    # The tenth page, or the last where a small --scale has fewer.
    category_page = max(1, min(10, -(-busy.thread_count // per_page)))
    thread_page = max(1, min(10, -(-sizes[0] // 20)))

    def thread_posts(thread_id: int, page: int = 1):
        return lambda: (sa.select(Post).where(Post.thread_id == thread_id, Post.state == "visible")
                        .order_by(Post.number).limit(20).offset((page - 1) * 20))

    def category_threads(page: int = 1):
        return lambda: (sa.select(Thread).where(Thread.category_id == busy.id, Thread.state == "visible", Thread.opens_at.is_(None))
                        .order_by(Thread.pinned.desc(), Thread.last_post_at.desc(), Thread.id.desc()).limit(per_page).offset((page - 1) * per_page))

    return [
        Page("category", f"/forum/{busy.slug}/", category_threads(), "forum_threads"),
        Page(f"category, page {category_page}", f"/forum/{busy.slug}/?page={category_page}", category_threads(category_page), "forum_threads"),
        Page("thread", f"/forum/threads/{typical}", thread_posts(typical), "forum_posts"),
        Page(f"long thread, page {thread_page}", f"/forum/threads/{long_thread}?page={thread_page}", thread_posts(long_thread, thread_page), "forum_posts"),
        # No EXPLAIN for the search: its text search configuration cannot be written out as a literal.
        Page("search", f"/forum/search?q={SEARCH}"),
        Page("API thread", f"/api/v1/forum/threads/{typical}"),
        # Anonymous visitors are given kept pages (cop.cache); a member's pages are made for them each time.
        Page("category", f"/forum/{busy.slug}/", signed_in_as=member),
        Page("thread", f"/forum/threads/{typical}", signed_in_as=member),
        Page(f"long thread, page {thread_page}", f"/forum/threads/{long_thread}?page={thread_page}", signed_in_as=member),
        Page("search", f"/forum/search?q={SEARCH}", signed_in_as=member),
    ]


if __name__ == "__main__":
    run("The forum at 100,000 posts in 5,000 threads", build, arguments(__doc__.splitlines()[0]))
