"""Demo forum: the categories, threads from the field's real questions with replies, a post waiting for a moderator,
flagged posts, moderators' actions and an appeal, and a course's weekly topics. Made through the forum's services."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from cop.accounts.models import User, listed
from cop.agencies.models import Agency
from cop.clock import utcnow
from cop.extensions import db
from cop.forum import moderation, services, weekly
from cop.forum.models import Category, Post

#: (name, description, visibility)
CATEGORIES = (
    ("Getting started", "New to running a public body's accounts? Ask anything here.", "public"),
    ("Strategy", "Which channels, for whom, and how to make the case to senior managers.", "public"),
    ("Monitoring and analytics", "Social listening, measuring engagement, and reporting that leaders trust.", "public"),
    ("Policy and risk", "Sign-off, records management, pre-election periods, accessibility and the law.", "members"),
    ("Dealing with conflict", "Pile-ons, trolls, complaints and keeping your own team well.", "members"),
    ("Events and BarCamps", "Unconferences, social media surgeries and courses: plans, notes and offers.", "public"),
)
#: (category, title, opening post, replies)
THREADS = (
    ("Getting started", "How do you get sign-off for a reactive post out of hours?",
     "Our comms team is two people and the press office closes at six. When something happens in the evening, who can approve a post?",
     ("We agreed a short list of pre-approved lines for the usual incidents (road closures, bin delays). Anything else goes to the on-call manager by phone.",
      "Write the rota down and put it where the out-of-hours officer can find it. Ours lives in the incident plan.")),
    ("Getting started", "Running your first social media surgery",
     "We want to hold a surgery for local charities next month. What worked for you?",
     ("Keep the groups small (three or four helpers to a dozen people) and ask people to bring their own phones with passwords.",
      "Book a room with decent wifi and test it the day before. Half our first surgery was spent on the guest network.")),
    ("Strategy", "Which channels should a small district council keep?",
     "We run nine accounts and can properly look after about four. How did you decide what to close?",
     ("Look at who you reach on each and what you need them to do. We kept the ones residents use to report things.",
      "Tell followers a month ahead and point them somewhere. Archive, don't delete: it is a public record.")),
    ("Monitoring and analytics", "Measuring engagement beyond likes",
     "Senior managers ask for likes and followers. What do you report instead?",
     ("Clicks through to the service page, and whether calls to the contact centre drop after a campaign.",
      "We report three things each month: reach among the people the campaign was for, actions taken, and sentiment in replies.")),
    ("Monitoring and analytics", "Which social listening tools do councils actually use?",
     "Budget is tight. Is anyone getting value from a listening tool, or is it all saved searches?",
     ("Saved searches and the platforms' own tools for day to day; a paid tool for a month around big consultations.",)),
    ("Policy and risk", "Records management: do we have to keep direct messages?",
     "Our records team says DMs are records. How long do you keep them, and how?",
     ("Treat them like correspondence: export monthly into the records system, keep for the same period as emails.",
      "Check with your information governance lead; ours set a shorter period for routine enquiries.")),
    ("Policy and risk", "Pre-election period rules for council accounts",
     "What do you pause during the pre-election period, and what carries on?",
     ("Business as usual for services and safety; nothing that features candidates or could look like campaigning.",)),
    ("Dealing with conflict", "Handling a pile-on after a service outage",
     "Our online payments went down for a day and every post got hundreds of angry replies. What would you do differently?",
     ("Post one pinned update with times and keep it current; reply once to each new theme, not to each person.",
      "Look after the people reading the replies. We rotate who watches the accounts during an incident.")),
    ("Dealing with conflict", "Taming the trolls: when to block and when to reply",
     "Where do you draw the line between robust criticism, which we must take, and abuse?",
     ("Publish your house rules and point to them when you hide or block. Criticism of the council stays; abuse of staff goes.",)),
    ("Events and BarCamps", "Anyone going to the next unconference?",
     "Thinking of pitching a session on accessible video. Would anyone join?",
     ("Yes, count me in. I can bring examples of captioned and described clips.",)),
)
#: The 202 course, a topic a week.
WEEKLY_TOPICS = ("Week 1: knowing your audiences", "Week 2: tone of voice", "Week 3: planning a campaign",
                 "Week 4: measuring what matters", "Week 5: when things go wrong")


def seed_forum(rng: random.Random) -> int:
    """Add the demo forum once, when it has no categories; how many threads were added."""
    if db.session.scalar(sa.select(sa.func.count(Category.id))):
        return 0
    admin = db.session.scalar(sa.select(User).where(User.site_role == "site_admin").order_by(User.id).limit(1))
    moderator = db.session.scalar(sa.select(User).where(User.site_role == "moderator").order_by(User.id).limit(1))
    people = list(db.session.scalars(sa.select(User).where(listed(), User.site_role == "member").order_by(User.id)))
    if admin is None or moderator is None or len(people) < 8:
        return 0
    writers, newcomer = people[:-1], people[-1]
    for writer in writers:
        # Long-standing members: their posts are shown at once.
        moderation.set_trust(admin, writer, rng.choice((1, 2, 2, 3)), "A member from before the forum opened")
    categories = {name: services.create_category(admin, services.CategoryInput(name=name, description=text, visibility=visibility,
                                                                                position=n))
                  for n, (name, text, visibility) in enumerate(CATEGORIES)}
    agency = db.session.scalar(sa.select(Agency).join(User, User.agency_id == Agency.id).where(User.is_agency_admin.is_(True))
                               .order_by(Agency.id).limit(1))
    if agency is not None:
        private = services.create_category(admin, services.CategoryInput(
            name=f"{agency.name} team room", description="Only our members see this.", visibility="agency", agency_id=agency.id, position=99))
        colleague = next((p for p in writers if p.agency_id == agency.id), writers[0])
        services.create_thread(colleague, private, "Rota for the winter gritting updates", "Who can cover the early posts in January?")
    made = 0
    replies: list[Post] = []
    for category, title, body, answers in THREADS:
        author = rng.choice(writers)
        thread = services.create_thread(author, categories[category], title, body)
        made += 1
        for answer in answers:
            who = rng.choice([w for w in writers if w.id != author.id])
            replies.append(services.reply(who, thread, answer))
    # What the moderators are working on: a newcomer's post waiting, flags, a hidden post with an appeal, a lock.
    services.reply(newcomer, replies[0].thread, "Thanks, this helps. Is there a template for the list of pre-approved lines?")
    heated = services.reply(writers[1], replies[-1].thread, "Honestly, anyone who complains online is an idiot.")
    for flagger in writers[2:5]:
        moderation.flag_post(flagger, heated, "abusive", "Not how we talk about residents.")
    moderation.flag_post(writers[5], replies[2], "off_topic")
    hidden = moderation.hide(moderator, heated, "abusive", "We criticise ideas here, not the people we serve.")
    moderation.appeal(heated.author, hidden, "It was a joke among colleagues, but I see how it reads.")
    moderation.set_pinned(moderator, replies[0].thread, True, "A question everyone asks")
    moderation.set_locked(moderator, replies[-2].thread, True, "heated", "Closed while we cool off; start a new thread if needed.")
    weekly.schedule_topics(moderator, categories["Getting started"], list(WEEKLY_TOPICS), utcnow().date() + timedelta(days=7),
                             "This week's topic from the 202 course. Share what you tried and what you would do differently.")
    db.session.flush()
    return made
