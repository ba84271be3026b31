"""Programme assignment: optimal and stable matchings over candidate lists, blocking pairs, and the report.

Pure numpy: no app, no database. Small instances are checked against answers worked out by hand, random ones
against scipy's dense ``linear_sum_assignment`` and against plain loops.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from cop.matching.assignment import Assignment, Report, assign, blocking_pairs, report, similarity_bins, stable

NONE = -np.inf


def lists(rows: list[list[tuple[int, float]]], width: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Candidate arrays from (mentor, score) lists, padded with -1 and -inf."""
    width = width or max((len(row) for row in rows), default=0)
    candidates = np.full((len(rows), width), -1, dtype=np.int64)
    scores = np.full((len(rows), width), NONE)
    for i, row in enumerate(rows):
        for column, (mentor, score) in enumerate(row):
            candidates[i, column], scores[i, column] = mentor, score
    return candidates, scores


def full_lists(similarity: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Every mentor as a candidate of every newcomer, in a shuffled order."""
    order = np.argsort(rng.random(similarity.shape), axis=1)
    return order, np.take_along_axis(similarity, order, 1)


def dense_total(similarity: np.ndarray, capacities: np.ndarray) -> tuple[int, float]:
    """(matched, total) of linear_sum_assignment on the matrix with each mentor's places as columns."""
    owner = np.repeat(np.arange(len(capacities)), capacities)
    rows, columns = linear_sum_assignment(-similarity[:, owner])
    return len(rows), float(similarity[rows, owner[columns]].sum())


def check_feasible(result: Assignment, candidates: np.ndarray, scores: np.ndarray, capacities: np.ndarray) -> None:
    """Within every capacity, and every pair one of the newcomer's real candidates, at that candidate's score."""
    assert (np.bincount(result.pairs[result.pairs >= 0], minlength=len(capacities)) <= capacities).all()
    for i in np.flatnonzero(result.pairs >= 0):
        listed = (candidates[i] == result.pairs[i]) & np.isfinite(scores[i])
        assert listed.any(), f"newcomer {i} was given mentor {result.pairs[i]}, who is not among their candidates"
    assert np.allclose(result.scores, [scores[i][candidates[i] == result.pairs[i]].max() for i in np.flatnonzero(result.pairs >= 0)])


def brute_blocking(result: Assignment, candidates: np.ndarray, scores: np.ndarray, capacities: np.ndarray) -> int:
    """Blocking pairs counted one by one, as the definition reads."""
    current = dict(zip(np.flatnonzero(result.pairs >= 0).tolist(), result.scores.tolist()))
    held: dict[int, list[float]] = {}
    for i, value in current.items():
        held.setdefault(int(result.pairs[i]), []).append(value)
    found = set()
    for i in range(len(candidates)):
        for j, value in zip(candidates[i].tolist(), scores[i].tolist()):
            if j < 0 or not np.isfinite(value) or j == result.pairs[i]:
                continue
            newcomer_wants = i not in current or value > current[i]
            theirs = held.get(j, [])
            mentor_wants = capacities[j] > 0 and (len(theirs) < capacities[j] or value > min(theirs))
            if newcomer_wants and mentor_wants:
                found.add((i, j))
    return len(found)


def random_lists(rng: np.random.Generator, newcomers: int, mentors: int, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random candidate lists with padding, and capacities from 0 to 3."""
    candidates = np.stack([rng.choice(mentors, size=width, replace=False) for _ in range(newcomers)])
    scores = rng.random((newcomers, width)).round(3)
    padded = rng.random((newcomers, width)) < 0.2
    candidates[padded], scores[padded] = -1, NONE
    return candidates, scores, rng.integers(0, 4, mentors)


# The optimum ---------------------------------------------------------------------------------------------


def test_the_highest_total_is_chosen_over_each_newcomer_s_first_choice():
    # Greedy gives newcomer 0 mentor 0 (0.9) and newcomer 1 mentor 1 (0.1): 1.0. The optimum swaps: 0.8 + 0.85.
    candidates, scores = lists([[(0, 0.9), (1, 0.8)], [(0, 0.85), (1, 0.1)]])
    result = assign(candidates, scores, np.array([1, 1]))
    assert result.pairs.tolist() == [1, 0]
    assert result.total == pytest.approx(1.65)
    assert result.scores.tolist() == [0.8, 0.85]


def test_a_mentor_with_two_places_takes_the_two_best_for_them():
    candidates, scores = lists([[(0, 0.5)], [(0, 0.7), (1, 0.6)], [(0, 0.9)]])
    result = assign(candidates, scores, np.array([2, 1]))
    assert result.pairs.tolist() == [0, 1, 0]
    assert result.total == pytest.approx(2.0)


def test_one_more_match_beats_any_gain_in_similarity_even_along_a_long_chain():
    # Newcomer i loves mentor i (1.0) and could take mentor i+1 (0.0); the last newcomer can only take mentor 0.
    # Matching everyone shifts the whole chain and gives up 10 in similarity: the most matches still come first.
    chain = 10
    rows = [[(i, 1.0), (i + 1, 0.0)] for i in range(chain)] + [[(0, 0.0)]]
    candidates, scores = lists(rows)
    result = assign(candidates, scores, np.ones(chain + 1, dtype=int))
    assert result.matched == chain + 1
    assert result.pairs.tolist() == [i + 1 for i in range(chain)] + [0]


def test_newcomers_stay_unmatched_when_their_candidates_are_full():
    # Mentor 1 has places, but nobody listed them.
    candidates, scores = lists([[(0, 0.4)], [(0, 0.9)], [(0, 0.6)]])
    result = assign(candidates, scores, np.array([1, 2]))
    assert result.pairs.tolist() == [-1, 0, -1]
    assert result.unmatched.tolist() == [0, 2]
    assert np.isnan(result.similarity()[[0, 2]]).all() and result.similarity()[1] == 0.9


def test_padding_and_mentors_without_places_are_never_assigned():
    candidates = np.array([[-1, 0, 1], [1, -1, -1]])
    scores = np.array([[5.0, 0.3, 0.9], [np.nan, NONE, 7.0]])  # a padded column's score means nothing
    result = assign(candidates, scores, np.array([1, 0]))
    assert result.pairs.tolist() == [0, -1]


def test_only_each_newcomer_s_best_k_candidates_are_used_whatever_their_order():
    candidates, scores = lists([[(0, 0.5), (1, 0.9)], [(1, 0.95)]])
    assert assign(candidates, scores, np.array([1, 1]), k=2).pairs.tolist() == [0, 1]
    assert assign(candidates, scores, np.array([1, 1]), k=1).pairs.tolist() == [-1, 1]


def test_a_mentor_listed_twice_counts_once_at_the_higher_score():
    candidates, scores = lists([[(0, 0.2), (0, 0.7)], [(0, 0.6)]])
    result = assign(candidates, scores, np.array([2]))
    assert result.pairs.tolist() == [0, 0]
    assert result.scores.tolist() == [0.7, 0.6]
    # With one place, the twice-listed newcomer wins on their better score (0.6 > 0.5), not on a sum of both.
    candidates, scores = lists([[(0, 0.6), (0, 0.1)], [(0, 0.5)]])
    result = assign(candidates, scores, np.array([1]))
    assert result.pairs.tolist() == [0, -1] and result.scores.tolist() == [0.6]


@pytest.mark.parametrize("seed", range(12))
def test_with_every_mentor_listed_the_total_equals_the_dense_optimum(seed):
    rng = np.random.default_rng(seed)
    newcomers, mentors = rng.integers(3, 25), rng.integers(2, 12)
    capacities = rng.integers(0, 4, mentors)
    capacities[0] = max(capacities[0], 1)
    # Some scores below zero: the bonus per match must still favour matching.
    similarity = rng.random((newcomers, mentors)) * 1.4 - 0.2
    candidates, scores = full_lists(similarity, rng)
    result = assign(candidates, scores, capacities, k=mentors)
    matched, total = dense_total(similarity, capacities)
    assert result.matched == matched == min(newcomers, capacities.sum())
    assert result.total == pytest.approx(total, abs=1e-9)
    check_feasible(result, candidates, scores, capacities)


@pytest.mark.parametrize("seed", range(6))
def test_random_lists_with_padding_stay_within_capacity_and_candidates(seed):
    rng = np.random.default_rng(100 + seed)
    candidates, scores, capacities = random_lists(rng, 40, 15, 6)
    result = assign(candidates, scores, capacities)
    check_feasible(result, candidates, scores, capacities)


def crowded(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Twelve newcomers who all like mentors 0 and 1 best, and six mentors with two places each."""
    similarity = rng.random((12, 6)) * 0.5
    similarity[:, :2] += 0.5
    return similarity, np.full(6, 2)


def test_widening_reaches_the_dense_optimum_where_top_k_lists_crowd():
    rng = np.random.default_rng(3)
    similarity, capacities = crowded(rng)
    candidates, scores = full_lists(similarity, rng)
    asked: list[np.ndarray] = []

    def widen(prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        asked.append(prices)
        order = np.argsort(-(similarity - prices), axis=1)
        return order, np.take_along_axis(similarity, order, 1)

    plain = assign(candidates, scores, capacities, k=2)
    assert plain.matched == 4  # everyone's two best are mentors 0 and 1
    widened = assign(candidates, scores, capacities, k=2, widen=widen, rounds=20)
    assert widened.matched == 12
    assert widened.total == pytest.approx(dense_total(similarity, capacities)[1], abs=1e-9)
    assert asked[0][2:].tolist() == [0.0, 0.0, 0.0, 0.0]  # mentors with places left cost nothing
    assert (asked[0][:2] > 1.0).all()  # the full ones carry the value of a match someone could not have


def test_widening_must_offer_a_row_for_every_newcomer():
    similarity, capacities = crowded(np.random.default_rng(4))
    candidates, scores = full_lists(similarity, np.random.default_rng(4))
    with pytest.raises(ValueError, match="rows for 12 newcomers"):
        assign(candidates, scores, capacities, k=2, widen=lambda prices: (candidates[:3], scores[:3]))


def test_inputs_that_cannot_be_candidate_lists_are_refused():
    with pytest.raises(ValueError, match="there are 2 mentors"):
        assign(np.array([[2]]), np.array([[0.5]]), np.array([1, 1]))
    with pytest.raises(ValueError, match="matching 2-d arrays"):
        assign(np.array([[0, 1]]), np.array([[0.5]]), np.array([1, 1]))


def test_nobody_to_match_gives_an_empty_assignment():
    assert assign(np.zeros((0, 3), dtype=int), np.zeros((0, 3)), np.array([1])).pairs.size == 0
    result = assign(np.array([[0]]), np.array([[0.5]]), np.array([0]))
    assert result.pairs.tolist() == [-1] and result.total == 0.0


@pytest.mark.parametrize("solve", [assign, stable])
def test_progress_is_told_a_handful_of_times_up_to_the_end(solve):
    rng = np.random.default_rng(5)
    candidates, scores, capacities = random_lists(rng, 200, 50, 8)
    told: list[tuple[float, str]] = []
    solve(candidates, scores, capacities, progress=lambda share, note: told.append((share, note)))
    shares = [share for share, _note in told]
    assert 2 <= len(told) <= 8
    assert shares == sorted(shares) and 0.0 <= shares[0] and shares[-1] == 1.0
    assert all(note for _share, note in told)


def test_an_assignment_needs_one_score_per_matched_newcomer():
    with pytest.raises(ValueError, match="2 newcomers are matched but 1 scores"):
        Assignment(np.array([0, 1, -1]), np.array([0.5]))


# Stability -----------------------------------------------------------------------------------------------


def test_stable_keeps_the_pair_who_like_each_other_best_where_the_optimum_splits_them():
    candidates, scores = lists([[(0, 0.9), (1, 0.8)], [(0, 0.85), (1, 0.1)]])
    capacities = np.array([1, 1])
    found = stable(candidates, scores, capacities)
    assert found.pairs.tolist() == [0, 1]
    assert found.total == pytest.approx(1.0)
    assert blocking_pairs(found, candidates, scores, capacities) == 0
    # The optimum gives newcomer 0 mentor 1, yet newcomer 0 and mentor 0 both like each other better (0.9).
    assert blocking_pairs(assign(candidates, scores, capacities), candidates, scores, capacities) == 1


def test_a_mentor_drops_their_worst_newcomer_for_a_better_one():
    candidates, scores = lists([[(0, 0.3), (1, 0.2)], [(0, 0.6)], [(0, 0.5)]])
    found = stable(candidates, scores, np.array([2, 1]))
    assert found.pairs.tolist() == [1, 0, 0]
    assert found.scores.tolist() == [0.2, 0.6, 0.5]


@pytest.mark.parametrize("seed", range(10))
def test_stable_matchings_on_random_lists_have_no_blocking_pair(seed):
    rng = np.random.default_rng(200 + seed)
    candidates, scores, capacities = random_lists(rng, 60, 20, 7)
    found = stable(candidates, scores, capacities)
    check_feasible(found, candidates, scores, capacities)
    assert brute_blocking(found, candidates, scores, capacities) == 0
    assert blocking_pairs(found, candidates, scores, capacities) == 0


@pytest.mark.parametrize("seed", range(10))
def test_blocking_pairs_agrees_with_counting_them_one_by_one(seed):
    rng = np.random.default_rng(300 + seed)
    candidates, scores, capacities = random_lists(rng, 50, 12, 6)
    candidates[:, -1] = candidates[:, 0]  # a mentor listed twice is one pair
    scores[:, -1] = scores[:, 0]
    result = assign(candidates, scores, capacities, k=int(rng.integers(1, 7)))
    expected = brute_blocking(result, candidates, scores, capacities)
    assert blocking_pairs(result, candidates, scores, capacities) == expected


def test_an_unmatched_newcomer_and_a_free_place_block_but_a_mentor_without_places_does_not():
    candidates, scores = lists([[(0, 0.2), (1, 0.9)]])
    nobody = Assignment(np.array([-1]), np.zeros(0))
    assert blocking_pairs(nobody, candidates, scores, np.array([1, 0])) == 1
    assert blocking_pairs(nobody, candidates, scores, np.array([0, 0])) == 0


# The report ----------------------------------------------------------------------------------------------


def hand_report(newcomer_agencies: np.ndarray | None = None, mentor_agencies: np.ndarray | None = None) -> Report:
    """Four newcomers, three mentors with places 2, 1, 1: 0 and 1 with mentor 0, 2 with mentor 1, 3 unmatched.

    Blocking: newcomer 1 would rather have mentor 1 (0.5 > 0.45), who holds newcomer 2 at only 0.05; newcomer 3
    is unmatched and mentor 2 has a free place. Newcomer 0 already has their best."""
    candidates, scores = lists([[(0, 0.9)], [(0, 0.45), (1, 0.5)], [(1, 0.05)], [(2, 0.3)]])
    result = Assignment(np.array([0, 0, 1, -1]), np.array([0.9, 0.45, 0.05]))
    return report(result, candidates, scores, np.array([2, 1, 1]), newcomer_agencies, mentor_agencies)


def test_the_report_of_a_hand_example():
    figures = hand_report(np.array([1, 2, -1, 1]), np.array([1, 3, 3]))
    assert (figures.newcomers, figures.mentors, figures.matched, figures.places) == (4, 3, 3, 4)
    assert figures.share_matched == 0.75 and figures.capacity_used == 0.75
    assert figures.total_similarity == pytest.approx(1.4)
    assert figures.mean_similarity == pytest.approx(1.4 / 3)
    assert figures.worst_similarity == 0.05
    assert figures.mentor_load == (2, 1, 0)
    assert figures.load_distribution == ((0, 1), (1, 1), (2, 1))
    # Pairs: agencies 1 and 1 (same), 2 and 1 (across), none and 3 (unknown, not counted as across).
    assert (figures.cross_agency_pairs, figures.unknown_agency_pairs) == (1, 1)
    assert figures.cross_agency_share == pytest.approx(1 / 3)
    assert figures.blocking_pairs == 2
    assert [count for _low, _high, count in figures.histogram] == [1, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    assert figures.histogram[0][:2] == (0.0, 0.1) and figures.histogram[-1][:2] == (0.9, 1.0)


def test_without_agencies_every_matched_pair_s_agency_is_unknown():
    figures = hand_report()
    assert (figures.cross_agency_pairs, figures.cross_agency_share, figures.unknown_agency_pairs) == (0, 0.0, 3)


def test_the_report_survives_json_as_plain_numbers():
    figures = hand_report(np.array([1, 2, -1, 1]), np.array([1, 3, 3]))
    stored = json.loads(json.dumps(figures.to_dict()))
    assert Report.from_dict(stored) == figures
    assert type(stored["matched"]) is int and type(stored["mean_similarity"]) is float
    assert stored["histogram"][4] == [0.4, 0.5, 1]


def test_a_report_with_nobody_matched_has_no_division_by_zero():
    candidates, scores = lists([[(0, 0.5)]])
    figures = report(Assignment(np.array([-1]), np.zeros(0)), candidates, scores, np.array([0]), np.array([1]), np.array([2]))
    assert (figures.matched, figures.share_matched, figures.mean_similarity, figures.capacity_used) == (0, 0.0, 0.0, 0.0)
    assert figures.cross_agency_share == 0.0 and figures.load_distribution == ((0, 1),)
    assert sum(count for _low, _high, count in figures.histogram) == 0


def test_similarity_bands_widen_to_hold_scores_outside_zero_to_one():
    bands = similarity_bins(np.array([1.15, -0.05, 0.5]))
    assert (bands[0][0], bands[-1][1]) == (-0.1, 1.2)
    assert sum(count for _low, _high, count in bands) == 3
    assert similarity_bins(np.array([0.0, 1.0]))[-1] == (0.9, 1.0, 1)


def test_a_programme_with_no_candidate_at_all_widens_without_error():
    candidates = np.full((2, 3), -1)
    scores = np.full((2, 3), -np.inf)

    def widen(prices):
        return np.full((2, 1), -1), np.full((2, 1), -np.inf)

    result = assign(candidates, scores, np.array([1, 1]), widen=widen)
    assert result.matched == 0 and result.pairs.tolist() == [-1, -1]
