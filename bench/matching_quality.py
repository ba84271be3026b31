"""How good the suggestions are, on a synthetic population with a planted ground truth.

python -m bench.matching_quality [--noise 0.2] [--mentors 2000] [--newcomers 1000] [--seed 5]

Every person has a hidden profile: a weight on every skill of the taxonomy, strong across one or two focus
clusters (video and channels, crisis communications, policy, measurement…), strongest on a few skills there,
faint elsewhere. The engine never sees it. It sees visible profiles drawn from the hidden ones with noise: a share of the tags
dropped and as many swapped for random ones, and goals vaguer than bios (fewer topic words, more filler).
A mentor's true relevance to a newcomer is the cosine of their hidden profiles. Printed, at 0 %, 20 % and
40 % noise (and at --noise):

- precision@5: the share of the engine's five whose true relevance is among the best 5 % of all mentors;
- NDCG@5, with the true relevance as the gain (target: at least 0.85 at 20 % noise);
- the share of newcomers matched when each in turn takes their best suggestion with a place left (two each);
- the spread of mentors' load: the most, the mean, the standard deviation and the Gini coefficient.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from dataclasses import dataclass

import numpy as np

from bench.runner import machine
from cop.matching.engine import MentorIndex, MentorProfile, Seeker

CLUSTERS = 12
TERMS_PER_CLUSTER = 10
#: Words that say what a cluster is about, used in bios and (fewer) in goals.
CLUSTER_WORDS = [[f"w{c:02}{n}" for n in "abcdefghij"] for c in range(CLUSTERS)]
FILLER = ("want", "team", "better", "council", "help", "learn", "start", "improve", "work", "people", "new", "plan")
TARGET = 0.85
#: A suggestion counts as right for precision@5 when its true relevance is in the best 5 % of all mentors.
GOOD_SHARE = 0.05
CAPACITY = 2


@dataclass
class Person:
    hidden: dict[str, float]
    terms: frozenset[str]
    words: list[str]


def term(cluster: int, n: int) -> str:
    return f"c{cluster:02}-t{n}"


ALL_TERMS = [term(c, n) for c in range(CLUSTERS) for n in range(TERMS_PER_CLUSTER)]


def hidden_person(rng: random.Random, terms: int, words: int) -> Person:
    """A hidden weight on every skill: strong across one focus cluster (or two, the first stronger), stronger
    still on a few skills there, and faint everywhere else. The visible tags are the person's ``terms``
    strongest skills; the words are drawn from the focus clusters."""
    focus = rng.sample(range(CLUSTERS), rng.choice((1, 2)))
    shares = [1.0] if len(focus) == 1 else [0.7, 0.3]
    weights = {t: 0.02 for t in ALL_TERMS}
    for cluster, share in zip(focus, shares):
        for n in range(TERMS_PER_CLUSTER):
            weights[term(cluster, n)] = share * (0.4 + rng.random())
    strongest = frozenset(sorted(weights, key=lambda t: (-weights[t], t))[:terms])
    said = [w for cluster, share in zip(focus, shares) for w in rng.sample(CLUSTER_WORDS[cluster], max(1, round(words * share)))]
    return Person(hidden=weights, terms=strongest, words=said)


def noisy(rng: random.Random, tags: frozenset[str], noise: float) -> frozenset[str]:
    """Each tag kept, dropped or swapped for a random one: a share ``noise`` dropped and as many swapped."""
    kept = set()
    for tag in tags:
        roll = rng.random()
        if roll < noise / 2:
            continue  # dropped
        kept.add(rng.choice(ALL_TERMS) if roll < noise else tag)  # swapped, or kept
    return frozenset(kept or {rng.choice(sorted(tags))})


def relevance(a: Person, b: Person) -> float:
    """The cosine of two hidden profiles."""
    shared = sum(a.hidden[t] * b.hidden[t] for t in ALL_TERMS)
    norm = (sum(v * v for v in a.hidden.values()) * sum(v * v for v in b.hidden.values())) ** 0.5
    return shared / norm if norm else 0.0


def dcg(gains: list[float]) -> float:
    return sum(g / np.log2(rank + 2) for rank, g in enumerate(gains))


def gini(values: np.ndarray) -> float:
    values = np.sort(values.astype(float))
    if not values.sum():
        return 0.0
    n = values.size
    return float((2 * np.arange(1, n + 1) - n - 1).dot(values) / (n * values.sum()))


def evaluate(noise: float, options: argparse.Namespace) -> dict[str, float]:
    rng = random.Random(options.seed)
    mentors_hidden = [hidden_person(rng, 6, 10) for _ in range(options.mentors)]
    newcomers_hidden = [hidden_person(rng, 4, 3) for _ in range(options.newcomers)]
    mentors = [
        MentorProfile(id=n + 1, level="303", skills=noisy(rng, p.terms, noise), interests=frozenset(), agency_id=None,
                      text=" ".join(p.words + rng.sample(FILLER, 4)), country="GB", time_zone="Europe/London", format="either")
        for n, p in enumerate(mentors_hidden)
    ]
    index = MentorIndex.build(mentors)
    precision, ndcg = [], []
    seekers = []
    for n, person in enumerate(newcomers_hidden):
        seeker = Seeker(id=100_000 + n, level="101", skills=noisy(rng, person.terms, noise), interests=frozenset(),
                        text=" ".join(person.words + rng.sample(FILLER, 6)), agency_id=None, country="GB",
                        time_zone="Europe/London", format="either", agency_preference="either")
        seekers.append(seeker)
        truth = np.array([relevance(person, m) for m in mentors_hidden])
        ideal = np.sort(truth)[::-1][:5]
        good = np.quantile(truth, 1 - GOOD_SHARE)
        chosen = [s.mentor_id - 1 for s in index.suggest(seeker, limit=5)]
        gains = [truth[i] for i in chosen]
        precision.append(sum(truth[i] >= good for i in chosen) / 5)
        ndcg.append(dcg(gains) / dcg(list(ideal)) if dcg(list(ideal)) else 1.0)
    load = np.zeros(len(mentors), dtype=int)
    full: set[int] = set()
    matched = 0
    for seeker in seekers:
        best = index.suggest(seeker, limit=1, unavailable=full)
        if best:
            position = best[0].mentor_id - 1
            load[position] += 1
            matched += 1
            if load[position] >= CAPACITY:
                full.add(best[0].mentor_id)
    return {
        "precision": statistics.mean(precision), "ndcg": statistics.mean(ndcg), "matched": matched / len(seekers),
        "load_max": int(load.max()), "load_mean": float(load.mean()), "load_std": float(load.std()), "gini": gini(load),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--noise", type=float, default=0.2)
    parser.add_argument("--mentors", type=int, default=2000)
    parser.add_argument("--newcomers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=5)
    options = parser.parse_args(argv)
    print("# Suggestion quality on a planted ground truth")
    print(machine())
    print(f"{options.mentors:,} mentors, {options.newcomers:,} newcomers, {CLUSTERS} clusters of {TERMS_PER_CLUSTER} skills")
    print("noise  precision@5  NDCG@5  matched  load max/mean/std  Gini")
    passed = True
    for noise in sorted({0.0, 0.2, 0.4, options.noise}):
        found = evaluate(noise, options)
        print(f"{noise:4.0%}   {found['precision']:10.3f}  {found['ndcg']:6.3f}  {found['matched']:6.1%}  "
              f"{found['load_max']}/{found['load_mean']:.2f}/{found['load_std']:.2f}  {found['gini']:.3f}")
        if noise == options.noise:
            ok = found["ndcg"] >= TARGET
            passed = passed and ok
            print(f"  NDCG@5 at {noise:.0%} noise: {found['ndcg']:.3f} (target ≥ {TARGET}) {'PASS' if ok else 'FAIL'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
