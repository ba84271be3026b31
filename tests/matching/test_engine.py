"""The engine on small populations whose right answers are known: ranking, hard rules, preferences, reasons."""

from __future__ import annotations

import numpy as np
import pytest

from cop.matching.engine import MentorIndex, MentorProfile, Seeker, Weights, utc_offset_hours


def mentor(id: int, skills=(), interests=(), text="", level="303", agency=1, country="GB", zone="Europe/London", fmt="either"):
    return MentorProfile(id=id, level=level, skills=frozenset(skills), interests=frozenset(interests), text=text,
                         agency_id=agency, country=country, time_zone=zone, format=fmt)


def seeker(skills=(), interests=(), text="", level="101", agency=1, country="GB", zone="Europe/London", fmt="either",
           preference="either", id=100):
    return Seeker(id=id, level=level, skills=frozenset(skills), interests=frozenset(interests), text=text, agency_id=agency,
                  country=country, time_zone=zone, format=fmt, agency_preference=preference)


POPULATION = [
    mentor(1, skills={"video", "youtube"}, text="I film explainer videos for YouTube on a phone."),
    mentor(2, skills={"crisis", "x-twitter"}, text="Flood and snow-day posting with out-of-hours sign-off."),
    mentor(3, skills={"video"}, interests={"accessibility"}, text="Captions and accessible video."),
    mentor(4, skills={"policy"}, text="Social media policy that legal signs off."),
]


def ids(suggestions) -> list[int]:
    return [s.mentor_id for s in suggestions]


def test_shared_skills_rank_first_and_nothing_in_common_is_not_suggested():
    index = MentorIndex.build(POPULATION)
    found = index.suggest(seeker(skills={"video", "youtube"}))
    assert ids(found) == [1, 3]
    assert found[0].shared_skills == ("video", "youtube") and found[1].shared_skills == ("video",)


def test_words_of_the_goals_drive_a_match_and_are_named():
    index = MentorIndex.build(POPULATION)
    found = index.suggest(seeker(skills={"video"}, text="I want to add captions so our videos are accessible."))
    assert ids(found)[0] == 3
    assert "captions" in found[0].words and "accessible" in found[0].words


@pytest.mark.parametrize(("rule", "kwargs", "expected"), [
    ("level", {"level": "303"}, []),
    ("level of a 202", {"level": "202"}, [3, 1]),
    ("unavailable", {"unavailable": {1}}, [3]),
    ("declined", {"declined": {3}}, [1]),
])
def test_each_hard_rule_leaves_mentors_out(rule, kwargs, expected):
    population = [*POPULATION[:2], mentor(3, skills={"video"}, level="202"), POPULATION[3]]
    if rule == "level of a 202":
        population = POPULATION
    index = MentorIndex.build(population)
    level = kwargs.pop("level", "101")
    found = index.suggest(seeker(skills={"video"}, level=level), **kwargs)
    assert ids(found) == expected
    if rule == "level":
        assert index.suggest(seeker(skills={"video"}, level="202")) and ids(index.suggest(seeker(skills={"video"}, level="202"))) == [1]


def test_nobody_is_their_own_mentor():
    index = MentorIndex.build(POPULATION)
    assert 1 not in ids(index.suggest(seeker(skills={"video"}, id=1)))


def twins(differences: dict) -> list[MentorProfile]:
    """Two mentors alike in everything the similarity sees, differing only in what a preference reads."""
    base = {"skills": {"video"}, "text": "video"}
    return [mentor(10, **base, **differences.get(10, {})), mentor(11, **base, **differences.get(11, {}))]


@pytest.mark.parametrize(("differences", "asked", "weight", "winner"), [
    ({10: {"agency": 2}}, {"preference": "own", "agency": 1}, "agency", 11),
    ({11: {"agency": 2}}, {"preference": "other", "agency": 1}, "agency", 11),
    ({11: {"zone": "Australia/Sydney"}}, {}, "time_zone", 10),
    ({11: {"country": "AU"}}, {}, "country", 10),
    ({11: {"fmt": "in_person"}}, {"fmt": "online"}, "format", 10),
])
def test_each_preference_breaks_a_tie_and_a_weight_of_zero_turns_it_off(differences, asked, weight, winner):
    people = twins(differences)
    found = MentorIndex.build(people).suggest(seeker(skills={"video"}, **asked))
    assert found[0].mentor_id == winner and found[0].score > found[1].score
    off = MentorIndex.build(people, Weights(**{weight: 0.0})).suggest(seeker(skills={"video"}, **asked))
    assert off[0].score == pytest.approx(off[1].score)


def test_reasons_say_which_preferences_were_met_or_missed():
    index = MentorIndex.build([mentor(1, skills={"video"}, zone="Australia/Sydney", country="AU", fmt="in_person")])
    found = index.suggest(seeker(skills={"video"}, fmt="online", preference="own", agency=1))[0]
    by_name = {p.name: p for p in found.preferences}
    assert by_name["agency"].met is True
    assert by_name["time zone"].met is False and by_name["time zone"].detail == "11 hours apart"
    assert by_name["country"].met is False and by_name["country"].detail == "they are in AU"
    assert by_name["format"].met is False and by_name["format"].detail == "they mentor in person"


def test_the_blocks_sum_to_the_similarity_and_the_bonuses_to_the_rest():
    index = MentorIndex.build(POPULATION)
    found = index.suggest(seeker(skills={"video"}, interests={"accessibility"}, text="captions for video", fmt="online"))[0]
    blocks = found.parts["skills"] + found.parts["interests"] + found.parts["text"]
    assert blocks == pytest.approx(found.similarity, abs=1e-5)
    bonuses = sum(v for k, v in found.parts.items() if k.endswith("bonus"))
    assert found.score == pytest.approx(found.similarity + bonuses, abs=1e-5)


def test_an_empty_index_and_a_seeker_with_nothing_in_common():
    assert MentorIndex.build([]).suggest(seeker(skills={"video"})) == []
    assert MentorIndex.build([mentor(1)]).suggest(seeker(skills={"video"})) == []
    assert MentorIndex.build(POPULATION).suggest(seeker()) == []


def test_an_unknown_time_zone_counts_as_utc():
    assert utc_offset_hours("Mars/Olympus_Mons") == 0.0
    index = MentorIndex.build([mentor(1, skills={"video"}, zone="Nowhere/At_All")])
    assert index.suggest(seeker(skills={"video"}, zone="Europe/London"))[0].preferences[0].met is True


def test_candidates_agree_with_scores_and_are_deterministic():
    index = MentorIndex.build(POPULATION)
    seekers = [seeker(skills={"video"}, id=200), seeker(skills={"crisis"}, id=201), seeker(skills={"policy", "video"}, id=202)]
    positions, values = index.candidates(seekers, 2)
    for row, one in enumerate(seekers):
        scores = index.scores(one)
        valid = positions[row] >= 0
        assert np.allclose(values[row][valid], scores[positions[row][valid]])
        assert list(values[row][valid]) == sorted(values[row][valid], reverse=True)
    ids_, _ = index.candidate_ids(seekers, 2)
    assert ids_[1].tolist() == [2, -1]
    again, _ = MentorIndex.build(POPULATION).candidates(seekers, 2)
    assert (again == positions).all()


def test_a_newcomers_words_weigh_as_the_fitted_vectoriser_weighs_them():
    from sklearn.preprocessing import normalize

    index = MentorIndex.build(POPULATION, Weights(skills=0.0, interests=0.0, text=1.0))
    text = "Captions, captions and more CAPTIONS for our explainer videos on YouTube; the flood of sign-off."
    ours = index.vector(seeker(text=text))[index._slices["text"]]
    theirs = normalize(index._words.transform([text])).toarray().ravel()
    assert np.allclose(ours, theirs, atol=1e-6) and ours.any()


def test_kept_suggestions_answer_as_suggest_does_for_each_question_and_are_bounded(monkeypatch):
    index = MentorIndex.build(POPULATION)
    asked = seeker(skills={"video", "youtube"})
    first = index.suggest_kept(asked)
    assert first == index.suggest(asked) and ids(first) == [1, 3]
    # Another question (a mentor left out, another limit, another seeker) is answered afresh, not from the first.
    assert ids(index.suggest_kept(asked, unavailable={1})) == [3]
    assert ids(index.suggest_kept(asked, declined={3})) == [1]
    assert ids(index.suggest_kept(asked, limit=1)) == [1]
    assert ids(index.suggest_kept(seeker(skills={"policy"}))) == [4]
    # The same question again is not scored again; what the caller does with its list does not change the next answer.
    scored = []
    monkeypatch.setattr(index, "suggest", lambda *args, **kwargs: scored.append(1) or [])
    again = index.suggest_kept(asked)
    assert ids(again) == [1, 3] and not scored
    again.clear()
    assert ids(index.suggest_kept(asked)) == [1, 3]
    # Only the most recent questions are kept: two newer ones push the first out, and it is scored again.
    monkeypatch.setattr(MentorIndex, "ANSWERS_KEPT", 2)
    index.suggest_kept(seeker(skills={"crisis"}))
    index.suggest_kept(seeker(skills={"youtube"}))
    assert len(scored) == 2
    assert index.suggest_kept(asked) == [] and len(scored) == 3
