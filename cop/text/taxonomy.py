"""The taxonomy of practice a new site starts with; site admins extend it in the database."""

from __future__ import annotations

PRACTICE = "practice"
CHANNEL = "channel"
#: Topic groups, in the order pages show them.
GROUPS = {PRACTICE: "Practice", CHANNEL: "Channels"}

#: (name, group) of every topic a new site is seeded with.
DEFAULT_TOPICS: tuple[tuple[str, str], ...] = (
    ("Introduction to social media", PRACTICE),
    ("Broadcast", PRACTICE),
    ("Consultation", PRACTICE),
    ("Co-development and crowdsourcing", PRACTICE),
    ("Customer service online", PRACTICE),
    ("Online community development", PRACTICE),
    ("Professional and personal use, social media policy", PRACTICE),
    ("Building a public narrative", PRACTICE),
    ("Dealing with online conflict and trolls", PRACTICE),
    ("Iterative policy, measurement and evaluation", PRACTICE),
    ("Monitoring social media", PRACTICE),
    ("Analysis tools and data", PRACTICE),
    ("Mapping goals to tools", PRACTICE),
    ("Managing staff online", PRACTICE),
    ("Engagement strategy", PRACTICE),
    ("Apps and mobile", PRACTICE),
    ("Blogging and WordPress", PRACTICE),
    ("Video", PRACTICE),
    ("Accessible content", PRACTICE),
    ("Open data and public sector information", PRACTICE),
    ("Crisis and emergency communications", PRACTICE),
    ("X/Twitter", CHANNEL),
    ("Facebook", CHANNEL),
    ("LinkedIn", CHANNEL),
    ("YouTube", CHANNEL),
    ("Instagram", CHANNEL),
    ("Mastodon", CHANNEL),
    ("WhatsApp", CHANNEL),
)
