"""The speed and quality budget for assigning a programme's newcomers to mentors (cop.matching.assignment).

python -m bench.matching_programmes [--scale 1] [--seed 7] [--k 40] [--programmes 8]

Synthetic people, made here and not by the engine: unit vectors in 50 dimensions around a dozen topics of
unequal popularity, each person mostly about one topic and partly about another; mentors' topics follow
newcomers' loosely, so some topics are crowded (more newcomers than places) and others have places to spare.
A score is the cosine of two people; each newcomer's candidates are their k best mentors, by a dense product in
chunks. Measured in one run (sizes times --scale):

(a) 10,000 newcomers, 5,000 mentors with two places each: making the candidate lists, ``assign``, and scipy's
    ``linear_sum_assignment`` on the dense seat-expanded 10,000 × 10,000 matrix of the same instance.
    Targets: ``assign`` within a third of ``linear_sum_assignment``'s time, and within 4.5 s.
(b) Several programmes of 2,000 newcomers and 1,000 mentors with two places each: the total similarity as a
    share of ``linear_sum_assignment``'s optimum on the dense instance. Target: at least 99 % on every one,
    from the top-k lists alone, and with widening (each newcomer's best mentors by similarity minus the
    places' prices, over a few rounds).
(c) On (a)'s instance: ``stable`` and ``blocking_pairs``. Targets: ``blocking_pairs`` within 2 s, and the
    stable result has no blocking pair.
"""

from __future__ import annotations

import argparse
import gc
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

import numpy as np
from scipy.optimize import linear_sum_assignment

from bench.runner import machine
from cop.matching.assignment import DEFAULT_K, Assignment, Widen, assign, blocking_pairs, stable

BIG = (10_000, 5_000)
SMALL = (2_000, 1_000)
PLACES = 2
DIMENSIONS = 50
TOPICS = 12
#: How much of a person is their second topic, and how much is their own (noise), beside their main topic.
SECOND_TOPIC, OWN = 0.45, 0.8
#: Topics' popularity among newcomers (a Dirichlet's concentration: lower is more uneven), and how far each
#: topic's share of mentors strays from its share of newcomers (a log-normal's sigma).
POPULARITY, SUPPLY_SPREAD = 3.0, 0.25
#: Newcomers per chunk of the similarity product: 2,000 × 5,000 float64 is 80 MB.
CHUNK = 2_000
SPEED_TARGET, SPEED_SECONDS, QUALITY_TARGET, BLOCKING_SECONDS = 1 / 3, 4.5, 0.99, 2.0
SEED, PROGRAMMES = 7, 8

T = TypeVar("T")


@dataclass
class Programme:
    """People as unit vectors (one row each) and each mentor's places."""

    newcomers: np.ndarray
    mentors: np.ndarray
    capacities: np.ndarray

    def similarities(self, rows: np.ndarray | slice = slice(None), mentors: np.ndarray | slice = slice(None)) -> np.ndarray:
        return self.newcomers[rows] @ self.mentors[mentors].T


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _people(rng: np.random.Generator, count: int, centres: np.ndarray, popularity: np.ndarray) -> np.ndarray:
    """People mostly about one topic (drawn by popularity), partly about another, and partly their own."""
    main = rng.choice(len(centres), size=count, p=popularity)
    second = rng.choice(len(centres), size=count, p=popularity)
    own = rng.standard_normal((count, centres.shape[1])) / np.sqrt(centres.shape[1])
    return _unit(centres[main] + SECOND_TOPIC * centres[second] + OWN * own)


def make_programme(newcomers: int, mentors: int, seed: int) -> Programme:
    """A synthetic programme whose topics are unequally popular, and unequally so on each side."""
    rng = np.random.default_rng(seed)
    centres = _unit(rng.standard_normal((TOPICS, DIMENSIONS)))
    demand = rng.dirichlet(np.full(TOPICS, POPULARITY))
    supply = demand * rng.lognormal(0.0, SUPPLY_SPREAD, TOPICS)
    return Programme(_people(rng, newcomers, centres, demand), _people(rng, mentors, centres, supply / supply.sum()),
                     np.full(mentors, PLACES, dtype=np.int64))


def _top(similarities: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's k highest columns, best first, and their values."""
    k = min(k, similarities.shape[1])
    top = np.argpartition(-similarities, k - 1, axis=1)[:, :k]
    values = np.take_along_axis(similarities, top, 1)
    order = np.argsort(-values, axis=1, kind="stable")
    return np.take_along_axis(top, order, 1), np.take_along_axis(values, order, 1)


def candidate_lists(programme: Programme, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Each newcomer's k best mentors and scores, as the engine gives them: one product per chunk."""
    n = len(programme.newcomers)
    candidates, scores = np.empty((n, min(k, len(programme.mentors))), np.int64), np.empty((n, min(k, len(programme.mentors))))
    for start in range(0, n, CHUNK):
        rows = slice(start, min(start + CHUNK, n))
        candidates[rows], scores[rows] = _top(programme.similarities(rows), k)
    return candidates, scores


def widener(programme: Programme, k: int) -> Widen:
    """Every newcomer's k best mentors by similarity minus the mentor's price, as an engine would give them."""

    def widen(prices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(programme.newcomers)
        candidates, scores = np.empty((n, k), np.int64), np.empty((n, k))
        for start in range(0, n, CHUNK):
            rows = slice(start, min(start + CHUNK, n))
            similarities = programme.similarities(rows)
            candidates[rows] = _top(similarities - prices, k)[0]
            scores[rows] = np.take_along_axis(similarities, candidates[rows], 1)
        return candidates, scores

    return widen


def timed(work: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def dense_optimum(programme: Programme) -> tuple[float, int, float]:
    """linear_sum_assignment on the dense matrix with each mentor's places as columns: (total, matched, seconds).
    The matrix is freed before returning (10,000 × 10,000 float64 is 800 MB)."""
    similarities = programme.similarities()
    owner = np.repeat(np.arange(len(programme.mentors)), programme.capacities)
    costs = -similarities[:, owner]
    (rows, columns), seconds = timed(lambda: linear_sum_assignment(costs))
    total = float(similarities[rows, owner[columns]].sum())
    del similarities, costs
    gc.collect()
    return total, len(rows), seconds


def true_total(programme: Programme, result: Assignment) -> float:
    """The total cosine of the matched pairs, read from the vectors rather than from the lists."""
    matched = np.flatnonzero(result.pairs >= 0)
    return float(np.einsum("ij,ij->i", programme.newcomers[matched], programme.mentors[result.pairs[matched]]).sum())


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    return max(int(size[0] * scale), 20), max(int(size[1] * scale), 10)


def speed(scale: float, seed: int, k: int) -> tuple[Programme, np.ndarray, np.ndarray, Assignment]:
    """(a): the big programme's lists, assign (plain and widened), and the dense solver on the same instance."""
    n, m = scaled(BIG, scale)
    programme = make_programme(n, m, seed)
    (candidates, scores), listing = timed(lambda: candidate_lists(programme, k))
    result, solving = timed(lambda: assign(candidates, scores, programme.capacities, k=k))
    widened, widening = timed(lambda: assign(candidates, scores, programme.capacities, k=k, widen=widener(programme, k)))
    optimum, optimum_matched, dense = dense_optimum(programme)
    ratio = solving / dense
    print(f"\n### (a) {n:,} newcomers × {m:,} mentors with {PLACES} places, k = {k}\n")
    print(f"candidate lists: {listing:.2f} s")
    print(f"assign: {solving:.2f} s, {result.matched:,} matched, total {result.total:,.1f} ({result.total / optimum:.2%})")
    print(f"assign with widening: {widening:.2f} s, {widened.matched:,} matched, total {widened.total:,.1f} "
          f"({widened.total / optimum:.3%})")
    print(f"linear_sum_assignment (dense {n:,} × {int(programme.capacities.sum()):,}): {dense:.2f} s, "
          f"{optimum_matched:,} matched, total {optimum:,.1f}")
    print(f"assign / linear_sum_assignment time: {ratio:.3f} (with widening {widening / dense:.3f})")
    print(f"{verdict(ratio <= SPEED_TARGET)}: assign within 1/3 of linear_sum_assignment's time")
    print(f"{verdict(solving <= SPEED_SECONDS)}: assign within {SPEED_SECONDS} s")
    return programme, candidates, scores, result


def quality(scale: float, seeds: range, k: int) -> None:
    """(b): the share of the dense optimum on smaller programmes, plain and widened."""
    n, m = scaled(SMALL, scale)
    print(f"\n### (b) {len(seeds)} programmes of {n:,} newcomers × {m:,} mentors with {PLACES} places, k = {k}\n")
    print("| seed | optimum | top-k lists | with widening | widening time | linear_sum_assignment time |")
    print("| ---- | ------- | ----------- | ------------- | ------------- | -------------------------- |")
    plain_shares, widened_shares = [], []
    for seed in seeds:
        programme = make_programme(n, m, seed)
        candidates, scores = candidate_lists(programme, k)
        plain = assign(candidates, scores, programme.capacities, k=k)
        widened, widening = timed(lambda: assign(candidates, scores, programme.capacities, k=k, widen=widener(programme, k)))
        optimum, _matched, dense = dense_optimum(programme)
        plain_shares.append(true_total(programme, plain) / optimum)
        widened_shares.append(true_total(programme, widened) / optimum)
        print(f"| {seed} | {optimum:,.2f} | {plain_shares[-1]:.2%} ({plain.matched:,} matched) | "
              f"{widened_shares[-1]:.3%} ({widened.matched:,} matched) | {widening:.2f} s | {dense:.2f} s |")
    print(f"\n{verdict(min(plain_shares) >= QUALITY_TARGET)}: at least 99% of the optimum from the top-k lists alone "
          f"(lowest {min(plain_shares):.2%})")
    print(f"{verdict(min(widened_shares) >= QUALITY_TARGET)}: at least 99% of the optimum with widening "
          f"(lowest {min(widened_shares):.3%})")


def stability(programme: Programme, candidates: np.ndarray, scores: np.ndarray, optimal: Assignment) -> None:
    """(c): deferred acceptance and the blocking-pair count on the big programme."""
    found, seconds = timed(lambda: stable(candidates, scores, programme.capacities))
    count, counting = timed(lambda: blocking_pairs(found, candidates, scores, programme.capacities))
    print("\n### (c) stable matching on (a)'s programme\n")
    print(f"stable: {seconds:.2f} s, {found.matched:,} matched, total {found.total:,.1f}")
    print(f"blocking_pairs: {counting:.3f} s; {count} in the stable matching, "
          f"{blocking_pairs(optimal, candidates, scores, programme.capacities):,} in assign's")
    print(f"{verdict(counting <= BLOCKING_SECONDS)}: blocking_pairs within {BLOCKING_SECONDS:.0f} s")
    print(f"{verdict(count == 0)}: the stable matching has no blocking pair")


def run(args: argparse.Namespace) -> None:
    """Every part, in order, on instances of the given scale (args.scale; seed, k and programmes optional)."""
    seed, k, programmes = getattr(args, "seed", SEED), getattr(args, "k", DEFAULT_K), getattr(args, "programmes", PROGRAMMES)
    print(f"\n## Programme assignment, scale {args.scale:g}\n\nMachine: {machine()}.")
    programme, candidates, scores, optimal = speed(args.scale, seed, k)
    quality(args.scale, range(seed + 1, seed + 1 + programmes), k)
    stability(programme, candidates, scores, optimal)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="a fraction of the full sizes, for a quick look")
    parser.add_argument("--seed", type=int, default=SEED, help="the synthetic people's random seed")
    parser.add_argument("--k", type=int, default=DEFAULT_K, help="candidates per newcomer")
    parser.add_argument("--programmes", type=int, default=PROGRAMMES, help="how many programmes (b) measures")
    # make bench passes these to every benchmark; this one uses no database and no server.
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=int, help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    run(arguments())
