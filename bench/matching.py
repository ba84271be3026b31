"""The speed budget for mentor matching, measured side by side in one run.

python -m bench.matching [--scale 1] [--repeats 50]

- the top five for one newcomer over 100,000 mentor profiles, as a ratio to the raw sparse matrix-vector
  product on the same index (target: within 2 ×);
- building that index: time, and memory (the matrix and arrays it keeps; the peak while building);
- programmes, by bench.matching_programmes in the same run: 10,000 newcomers and 5,000 mentors with two places
  each, assigned by cop.matching.assignment, timed against scipy's linear_sum_assignment on the same instance
  with each mentor's places expanded into a dense matrix (target: at most a third of its time); and on
  2,000 × 1,000, the total similarity as a share of linear_sum_assignment's optimum (target: at least 99 %).

The /mentoring/ pages are measured against /livez with the other pages, by bench.pages.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import tracemalloc

# The engine loads scikit-learn when it first builds an index; loaded here, the timing below is of the build alone.
import sklearn.feature_extraction.text  # noqa: F401
import sklearn.preprocessing  # noqa: F401

from bench.runner import machine
from cop.matching.engine import MentorIndex, MentorProfile, Seeker

TERMS = [f"topic-{n:03}" for n in range(120)]
WORDS = ("video", "policy", "consultation", "flood", "crisis", "library", "youtube", "facebook", "measure", "analytics",
         "accessible", "captions", "moderation", "trolls", "campaign", "recruitment", "elections", "waste", "planning",
         "tourism", "schools", "health", "transport", "newsletter", "podcast", "live", "survey", "data", "budget", "parks")
ZONES = ("Europe/London", "Australia/Sydney", "Australia/Perth", "Pacific/Auckland", "America/Toronto")
COUNTRIES = {"Europe/London": "GB", "Australia/Sydney": "AU", "Australia/Perth": "AU", "Pacific/Auckland": "NZ",
             "America/Toronto": "CA"}


def population(count: int, rng: random.Random) -> list[MentorProfile]:
    """Mentors with a few skills and interests from a taxonomy of 120 terms and a short bio."""
    people = []
    for n in range(count):
        zone = rng.choice(ZONES)
        people.append(MentorProfile(
            id=n + 1, level=rng.choice(("202", "303", "303")), skills=frozenset(rng.sample(TERMS, rng.randint(2, 6))),
            interests=frozenset(rng.sample(TERMS, rng.randint(1, 4))),
            text=" ".join(rng.choices(WORDS, k=rng.randint(6, 16))), agency_id=rng.randint(1, 500),
            country=COUNTRIES[zone], time_zone=zone, format=rng.choice(("online", "in_person", "either")),
        ))
    return people


def seekers(count: int, rng: random.Random, first_id: int = 10_000_000) -> list[Seeker]:
    found = []
    for n in range(count):
        zone = rng.choice(ZONES)
        found.append(Seeker(
            id=first_id + n, level="101", skills=frozenset(rng.sample(TERMS, rng.randint(1, 4))),
            interests=frozenset(rng.sample(TERMS, 2)), text=" ".join(rng.choices(WORDS, k=8)), agency_id=rng.randint(1, 500),
            country=COUNTRIES[zone], time_zone=zone, format=rng.choice(("online", "either")),
            agency_preference=rng.choice(("either", "other", "own")),
        ))
    return found


def _median_seconds(action, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def suggestions(options: argparse.Namespace) -> bool:
    rng = random.Random(11)
    count = max(int(100_000 * options.scale), 100)
    mentors = population(count, rng)
    tracemalloc.start()
    start = time.perf_counter()
    index = MentorIndex.build(mentors)
    built = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept = index.matrix.data.nbytes + index.matrix.indices.nbytes + index.matrix.indptr.nbytes + sum(
        a.nbytes for a in (index.ids, index.levels, index.agencies, index.countries, index.offsets, index.formats))
    print(f"Index of {count:,} mentors: built in {built:.2f} s; keeps {kept / 2**20:.1f} MiB "
          f"({index.matrix.shape[1]:,} columns, {index.matrix.nnz:,} entries); peak while building {peak / 2**20:.0f} MiB")
    people = seekers(options.repeats, rng)
    vectors = [index.vector(s) for s in people]
    # Interleaved, one seeker at a time, so a slow moment of the machine lands on both alike. The raw product is
    # the index's sparse rows times the newcomer's dense vector: the fastest form of it, and the one suggest uses.
    raw_times, top_times = [], []
    for seeker, vector in zip(people, vectors):
        raw_times.append(_median_seconds(lambda: index.matrix @ vector, 5))
        top_times.append(_median_seconds(lambda: index.suggest(seeker, limit=5), 5))
    raw, top = statistics.median(raw_times), statistics.median(top_times)
    ratio = top / raw
    print(f"Raw sparse product: {raw * 1000:.2f} ms; top five with rules, preferences and reasons: {top * 1000:.2f} ms")
    ok = ratio <= 2.0
    print(f"  top five / raw product: {ratio:.2f} × (target ≤ 2 ×) {'PASS' if ok else 'FAIL'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=50)
    options = parser.parse_args(argv)
    print("# Mentor matching")
    print(machine())
    ok = suggestions(options)
    # The programme part: bench.matching_programmes, run here so that every figure comes from one run.
    from bench import matching_programmes

    matching_programmes.run(argparse.Namespace(scale=options.scale, seed=7))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
