"""What a request's page says of each suggestion (cop.matching.reasons): the reasons in sentences, topics by their
names, and the numbers only for those who may see them."""

from __future__ import annotations

from types import SimpleNamespace

from cop.matching.engine import Preference, Suggestion
from cop.matching.reasons import numbers, reasons, shown


def suggestion(**given) -> Suggestion:
    made = dict(mentor_id=7, score=0.70739, similarity=0.6274, shared_skills=("video", "no-name"), shared_interests=("mastodon",),
                words=("live", "figures"), preferences=(Preference("time zone", True, 0.05, "the same time zone"),
                                                       Preference("agency", False, 0.1, "they are at your own agency")),
                parts={"skills": 0.5167, "agency bonus": 0.0})
    made.update(given)
    return Suggestion(**made)


NAMES = {"video": "Video", "mastodon": "Mastodon"}


def test_reasons_name_shared_topics_words_and_each_preference_met_or_missed():
    assert reasons(suggestion(), NAMES) == [
        "Skills you both named: Video, no-name",
        "Interests you share: Mastodon",
        "Words in your goals that match their profile: live, figures",
        "Meets your preference on time zone: the same time zone",
        "Misses your preference on agency: they are at your own agency",
    ]


def test_a_reason_with_nothing_to_say_is_left_out():
    assert reasons(suggestion(shared_skills=(), shared_interests=(), words=(), preferences=()), NAMES) == []


def test_numbers_give_the_score_similarity_and_each_part_to_three_places():
    assert numbers(suggestion()) == "Score 0.707, similarity 0.627. skills 0.517; agency bonus 0.000"
    assert numbers(suggestion(parts={})) == "Score 0.707, similarity 0.627."


def test_shown_pairs_each_suggestion_with_its_mentor_and_numbers_only_when_asked():
    card = SimpleNamespace(id=7, display_name="Mei Lee")
    plain, = shown([suggestion()], {7: card}, NAMES, with_numbers=False)
    assert plain.mentor is card and plain.numbers == "" and plain.reasons[0] == "Skills you both named: Video, no-name"
    admin, = shown([suggestion()], {7: card}, NAMES, with_numbers=True)
    assert admin.numbers.startswith("Score 0.707")
