"""What a request's page says of each suggestion: why it suits, in sentences, and the numbers behind it.

A suggestion names its shared topics by slug (cop.matching.engine); here they are given the names the newcomer
chose them by. Made in Python rather than in the template: a page of five suggestions, each with a handful of
reasons and a dozen numbers, spent more on the template's loops than on finding the mentors.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

from cop.matching.engine import Suggestion


class Shown(NamedTuple):
    """One suggestion as its page shows it."""

    suggestion: Suggestion
    #: What is shown of the mentor: services.mentor_cards' row (id, display_name, job_title, level, agency_name).
    mentor: Any
    #: "Why this match", one sentence a reason.
    reasons: list[str]
    #: The score and its parts, for programme admins; "" for everyone else.
    numbers: str


def reasons(suggestion: Suggestion, names: Mapping[str, str]) -> list[str]:
    """The shared skills and interests (by their names), the words in the goals that drove it, and each preference
    met or missed."""
    said = []
    if suggestion.shared_skills:
        said.append("Skills you both named: " + ", ".join(names.get(slug, slug) for slug in suggestion.shared_skills))
    if suggestion.shared_interests:
        said.append("Interests you share: " + ", ".join(names.get(slug, slug) for slug in suggestion.shared_interests))
    if suggestion.words:
        said.append("Words in your goals that match their profile: " + ", ".join(suggestion.words))
    said.extend(f"{'Meets' if p.met else 'Misses'} your preference on {p.name}: {p.detail}" for p in suggestion.preferences)
    return said


def numbers(suggestion: Suggestion) -> str:
    """The score, the similarity, and each part of the score, to three places."""
    parts = "; ".join(f"{name} {value:.3f}" for name, value in suggestion.parts.items())
    return f"Score {suggestion.score:.3f}, similarity {suggestion.similarity:.3f}." + (f" {parts}" if parts else "")


def shown(suggestions: list[Suggestion], mentors: Mapping[int, Any], names: Mapping[str, str], with_numbers: bool) -> list[Shown]:
    """Each suggestion with its mentor's card and what is said of it; the numbers only ``with_numbers``."""
    return [Shown(s, mentors[s.mentor_id], reasons(s, names), numbers(s) if with_numbers else "") for s in suggestions]
