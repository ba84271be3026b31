"""The matching engine: mentors ranked for a newcomer by cosine similarity over skills, interests and words,
within hard rules, nudged by soft preferences, with the reasons for each suggestion.

Pure: no Flask, no database. ``cop.matching.index`` turns rows into these dataclasses.

How a score is made. Each person is one sparse row of three blocks: the skills (a binary vector over the
taxonomy's slugs), the interests (likewise) and the words of their free text (TF-IDF, English stop words
removed, sublinear term frequency). Each block is L2-normalised on its own, scaled by the square root of its
weight, and the whole row L2-normalised once, so the cosine of two rows is one sparse product and the blocks'
shares of it sum to it. A newcomer's *wanted* skills are compared with a mentor's skills, their interests with
the mentor's interests and skills (what they want to learn is what the mentor can share), and their goals
with the mentor's bio and title.

Hard rules (a mask, never a penalty): the mentor's level is above the newcomer's; the mentor has a place and is
not paused (the caller passes who is unavailable, read fresh); the pair was not declined before; nobody is
their own mentor. Soft preferences add a weighted bonus when met: the agency preference, time zones within
three hours, the same country, and a compatible format.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Collection, Iterable, Mapping, Optional, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import TfidfVectorizer

# scikit-learn is imported where an index is built, not here: it takes most of a second to load, and every process
# imports this module (each command, the worker, each web worker) while only a process that builds an index needs it.

#: Levels in order; a newcomer without one counts as below 101.
LEVEL_RANK = {"101": 1, "202": 2, "303": 3}
#: Time zones within this many hours of each other suit a call in working hours.
ZONE_HOURS = 3.0
#: The instant UTC offsets are read at: a fixed one, so that a build is repeatable.
REFERENCE = datetime(2026, 1, 15, 12, tzinfo=timezone.utc)
FORMATS = ("online", "in_person", "either")
FORMAT_CODES = {"online": 1, "in_person": 2, "either": 3}
#: Words as the vectoriser reads them: two letters or more.
TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z]+\b"
TOKEN_RE = re.compile(TOKEN)
#: How many words of the goals a suggestion names.
WORDS_SHOWN = 5


@dataclass(frozen=True)
class MentorProfile:
    id: int
    level: str
    skills: frozenset[str]
    interests: frozenset[str]
    text: str
    agency_id: Optional[int]
    country: Optional[str]
    time_zone: str
    format: str


@dataclass(frozen=True)
class Seeker(MentorProfile):
    """A newcomer's request, as the engine reads it: a profile (whose level may be unset) and where their
    mentor should work."""

    level: Optional[str]  # type: ignore[assignment]
    agency_preference: str


@dataclass(frozen=True)
class Weights:
    """Block weights (shares of the similarity) and preference bonuses (added to it). The defaults were chosen
    with bench/matching_quality.py: skills carry the match, words refine it, and no bonus can lift a weak
    match over a strong one (together they stay under a fifth of a perfect similarity)."""

    skills: float = 1.0
    interests: float = 0.35
    text: float = 0.5
    agency: float = 0.06
    time_zone: float = 0.05
    country: float = 0.03
    format: float = 0.04


@dataclass(frozen=True)
class Preference:
    name: str
    met: bool
    weight: float
    detail: str


@dataclass(frozen=True)
class Suggestion:
    mentor_id: int
    score: float
    similarity: float
    shared_skills: tuple[str, ...]
    shared_interests: tuple[str, ...]
    words: tuple[str, ...]
    preferences: tuple[Preference, ...]
    parts: dict[str, float] = field(default_factory=dict)


def utc_offset_hours(zone: str) -> float:
    """A zone's UTC offset in hours at the reference instant; unknown names count as UTC."""
    try:
        offset = REFERENCE.astimezone(ZoneInfo(zone)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        return 0.0
    return offset.total_seconds() / 3600 if offset is not None else 0.0


def _zone_gap(a: float, b: np.ndarray) -> np.ndarray:
    gap = np.abs(b - a)
    return np.minimum(gap, 24 - gap)


def _rank(level: Optional[str]) -> int:
    return LEVEL_RANK.get(level or "", 0)


class MentorIndex:
    """Every mentor as one normalised sparse row, with the arrays the rules and preferences read.

    A newcomer becomes a dense vector of the same width (the taxonomy's terms and the words of the bios are
    a few thousand columns at most), so scoring every mentor is one compressed-row product with a dense
    vector, the fastest form of the product scipy has.
    """

    def __init__(self) -> None:
        self.version: object = None
        self.weights = Weights()
        self.ids: np.ndarray = np.zeros(0, dtype=np.int64)
        self.matrix: sp.csr_matrix = sp.csr_matrix((0, 0), dtype=np.float32)
        self.profiles: list[MentorProfile] = []
        self._position: dict[int, int] = {}
        self._terms: dict[str, int] = {}
        self._words: Optional[TfidfVectorizer] = None
        self._word_names: np.ndarray = np.zeros(0, dtype=object)
        self._word_columns: dict[str, int] = {}
        self._idf = np.zeros(0, dtype=np.float32)
        self._stop_words: frozenset[str] = frozenset()
        self._slices: dict[str, slice] = {}
        self.levels = np.zeros(0, dtype=np.int8)
        self.agencies = np.zeros(0, dtype=np.int64)
        self.countries = np.zeros(0, dtype=np.int32)
        self.offsets = np.zeros(0)
        self.formats = np.zeros(0, dtype=np.int8)
        self._country_codes: dict[str, int] = {}
        self._answers: OrderedDict[tuple, list[Suggestion]] = OrderedDict()
        self._answers_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    # ------------------------------------------------------------ building

    @classmethod
    def build(cls, mentors: Sequence[MentorProfile], weights: Weights = Weights(), version: object = None) -> "MentorIndex":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.preprocessing import MultiLabelBinarizer

        index = cls()
        index.version, index.weights, index.profiles = version, weights, list(mentors)
        index.ids = np.array([m.id for m in mentors], dtype=np.int64)
        index._position = {int(mentor_id): i for i, mentor_id in enumerate(index.ids)}
        vocabulary = sorted({t for m in mentors for t in m.skills | m.interests})
        binarizer = MultiLabelBinarizer(classes=vocabulary, sparse_output=True)
        binarizer.fit([vocabulary])
        index._terms = {term: n for n, term in enumerate(vocabulary)}
        skills = sp.csr_matrix(binarizer.transform([m.skills for m in mentors]), dtype=np.float32)
        interests = sp.csr_matrix(binarizer.transform([m.interests for m in mentors]), dtype=np.float32)
        texts = [m.text or "" for m in mentors]
        words = sp.csr_matrix((len(mentors), 0), dtype=np.float32)
        if any(_has_words(t) for t in texts):
            index._words = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1, max_df=0.5 if len(mentors) > 20 else 1.0,
                                           token_pattern=TOKEN, dtype=np.float32)
            try:
                words = index._words.fit_transform(texts)
            except ValueError:  # every word is too common or a stop word
                index._words = None
        if index._words is not None:
            index._word_columns = dict(index._words.vocabulary_)
            index._idf = index._words.idf_.astype(np.float32)
            index._stop_words = frozenset(index._words.get_stop_words() or ())
            # Read once here: the vectoriser builds this array afresh on every call.
            index._word_names = index._words.get_feature_names_out()
        index.matrix = index._combine(skills, interests, words)
        index.levels = np.array([_rank(m.level) for m in mentors], dtype=np.int8)
        index.agencies = np.array([m.agency_id if m.agency_id is not None else -1 for m in mentors], dtype=np.int64)
        index._country_codes = {c: n for n, c in enumerate(sorted({m.country for m in mentors if m.country}), start=1)}
        index.countries = np.array([index._country_codes.get(m.country or "", 0) for m in mentors], dtype=np.int32)
        offsets = {zone: utc_offset_hours(zone) for zone in {m.time_zone for m in mentors}}
        index.offsets = np.array([offsets[m.time_zone] for m in mentors])
        index.formats = np.array([FORMAT_CODES.get(m.format, FORMAT_CODES["either"]) for m in mentors], dtype=np.int8)
        # Mentors alike in zone, country and format get the same bonuses: one small table per newcomer, read
        # for every mentor in a single gather, instead of a pass over every mentor per preference.
        keys = np.stack([index.offsets, index.countries.astype(float), index.formats.astype(float)], axis=1)
        index._group_keys, index.groups = np.unique(keys, axis=0, return_inverse=True) if len(mentors) else (np.zeros((0, 3)), np.zeros(0, dtype=np.int64))
        index.groups = index.groups.reshape(-1)
        return index

    def _blocks(self, skills: sp.csr_matrix, interests: sp.csr_matrix, words: sp.csr_matrix) -> list[sp.csr_matrix]:
        """Each block normalised on its own and scaled by the root of its weight."""
        w = self.weights
        return [_scaled(skills, w.skills), _scaled(interests, w.interests), _scaled(words, w.text)]

    def _combine(self, skills: sp.csr_matrix, interests: sp.csr_matrix, words: sp.csr_matrix) -> sp.csr_matrix:
        """The blocks side by side, each row normalised once; remembers where each block lies."""
        blocks = self._blocks(skills, interests, words)
        widths = [b.shape[1] for b in blocks]
        self._slices = {
            "skills": slice(0, widths[0]),
            "interests": slice(widths[0], widths[0] + widths[1]),
            "text": slice(widths[0] + widths[1], sum(widths)),
        }
        return _unit_rows(sp.hstack(blocks, format="csr", dtype=np.float32))

    # ------------------------------------------------------------ a newcomer as a vector

    def _text_weights(self, text: str) -> dict[int, float]:
        """The text's TF-IDF entries as the fitted vectoriser makes them (lower case, its tokens, no stop words,
        1 + log of each count, times the word's IDF), read straight from its vocabulary: a newcomer's few words
        do not need the vectoriser's machinery around them."""
        counts: dict[int, int] = {}
        for token in TOKEN_RE.findall(text.lower()):
            if token in self._stop_words:
                continue
            column = self._word_columns.get(token)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        return {column: (1.0 + math.log(count)) * float(self._idf[column]) for column, count in counts.items()}

    def vector(self, seeker: Seeker) -> np.ndarray:
        """The seeker as a dense row in the mentors' space: the skills they want against mentors' skills, their
        interests against mentors' interests, their goals against mentors' bios."""
        vector = np.zeros(self.matrix.shape[1], dtype=np.float32)
        w = self.weights
        for block, terms, weight in (("skills", seeker.skills, w.skills), ("interests", seeker.interests, w.interests)):
            columns = [self._terms[t] + self._slices[block].start for t in terms if t in self._terms]
            if columns:
                vector[columns] = math.sqrt(weight) / math.sqrt(len(columns))
        if self._words is not None and seeker.text:
            entries = self._text_weights(seeker.text)
            if entries:
                values = np.fromiter(entries.values(), dtype=np.float32)
                columns = np.fromiter(entries.keys(), dtype=np.int64) + self._slices["text"].start
                vector[columns] = values / np.linalg.norm(values) * math.sqrt(w.text)
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    # ------------------------------------------------------------ scoring

    def similarities(self, seeker: Seeker) -> np.ndarray:
        """The cosine of the seeker with every mentor: one sparse matrix-vector product."""
        if not len(self):
            return np.zeros(0, dtype=np.float32)
        return self.matrix @ self.vector(seeker)

    def _allowed(self, seeker: Seeker, unavailable: Collection[int], declined: Collection[int]) -> np.ndarray:
        allowed = self.levels > _rank(seeker.level)
        self._block(allowed, (*unavailable, *declined, seeker.id))
        return allowed

    def _block(self, allowed: np.ndarray, mentor_ids: Iterable[int]) -> None:
        positions = [p for p in (self._position.get(int(m)) for m in mentor_ids) if p is not None]
        if positions:
            allowed[positions] = False

    def _agency_bonus(self, seeker: Seeker) -> np.ndarray:
        own = seeker.agency_id if seeker.agency_id is not None else -2
        if seeker.agency_preference == "own":
            return (self.agencies == own) * np.float32(self.weights.agency)
        if seeker.agency_preference == "other":
            return (self.agencies != own) * np.float32(self.weights.agency)
        return np.zeros(len(self), dtype=np.float32)

    def _group_bonuses(self, seeker: Seeker) -> dict[str, np.ndarray]:
        """The zone, country and format bonuses of each group of alike mentors."""
        w = self.weights
        offsets, countries, formats = self._group_keys[:, 0], self._group_keys[:, 1], self._group_keys[:, 2]
        gap = np.abs(offsets - utc_offset_hours(seeker.time_zone))
        code = self._country_codes.get(seeker.country or "", -1)
        if seeker.format in ("online", "in_person"):
            fits = (formats == FORMAT_CODES[seeker.format]) | (formats == FORMAT_CODES["either"])
        else:
            fits = np.zeros(formats.size, dtype=bool)
        return {
            "time_zone": (np.minimum(gap, 24 - gap) <= ZONE_HOURS) * np.float32(w.time_zone),
            "country": (countries == code) * np.float32(w.country),
            "format": fits * np.float32(w.format),
        }

    def _total(self, similarity: np.ndarray, seeker: Seeker) -> np.ndarray:
        """Similarity plus every bonus met, in float32: one gather for the alike groups, one pass for the agency."""
        table = self._group_bonuses(seeker)
        combined = (table["time_zone"] + table["country"] + table["format"]).astype(np.float32)
        total = similarity + combined[self.groups]
        if seeker.agency_preference in ("own", "other"):
            total += self._agency_bonus(seeker)
        return total

    def scores(self, seeker: Seeker, unavailable: Collection[int] = (), declined: Collection[int] = ()) -> np.ndarray:
        """Final scores for every mentor, -inf where a hard rule forbids the pair."""
        if not len(self):
            return np.zeros(0)
        total = self._total(self.similarities(seeker), seeker).astype(np.float64)
        total[~self._allowed(seeker, unavailable, declined)] = -np.inf
        return total

    def suggest(self, seeker: Seeker, *, limit: int = 5, unavailable: Collection[int] = (),
                declined: Collection[int] = ()) -> list[Suggestion]:
        """The best ``limit`` mentors with their reasons; mentors who share nothing at all are not suggested."""
        if not len(self) or limit <= 0:
            return []
        vector = self.vector(seeker)
        similarity = self.matrix @ vector
        allowed = self._allowed(seeker, unavailable, declined)
        allowed &= similarity > 0
        total = np.where(allowed, self._total(similarity, seeker), np.float32(-np.inf))
        count = min(limit, int(np.count_nonzero(allowed)))
        if count == 0:
            return []
        top = np.argpartition(total, len(self) - count)[len(self) - count:] if len(self) > count else np.arange(len(self))
        top = top[np.isfinite(total[top])]
        top = top[np.lexsort((self.ids[top], -total[top]))]
        bonuses = self._bonuses_at(seeker, top)
        return [self._explain(int(i), seeker, vector, float(similarity[i]), float(total[i]), bonuses) for i in top]

    #: How many distinct questions suggest_kept remembers.
    ANSWERS_KEPT = 1024

    def suggest_kept(self, seeker: Seeker, *, limit: int = 5, unavailable: Collection[int] = (),
                     declined: Collection[int] = ()) -> list[Suggestion]:
        """``suggest``, remembered for the last ANSWERS_KEPT questions: an index never changes once built, so the
        same seeker with the same mentors left out gets the same answer, and a newcomer who comes back to their
        suggestions is not scored against every mentor again."""
        key = (seeker, limit, frozenset(unavailable), frozenset(declined))
        with self._answers_lock:
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
                return list(found)
        found = self.suggest(seeker, limit=limit, unavailable=unavailable, declined=declined)
        with self._answers_lock:
            self._answers[key] = found
            while len(self._answers) > self.ANSWERS_KEPT:
                self._answers.popitem(last=False)
        return list(found)

    def _bonuses_at(self, seeker: Seeker, positions: np.ndarray) -> dict[str, dict[int, float]]:
        """Each preference's bonus for a few mentors only (the suggested ones)."""
        table = self._group_bonuses(seeker)
        agency = self._agency_bonus_at(seeker, positions)
        found = {"agency": agency}
        for name in ("time_zone", "country", "format"):
            found[name] = {int(i): float(table[name][self.groups[i]]) for i in positions}
        return found

    def _agency_bonus_at(self, seeker: Seeker, positions: np.ndarray) -> dict[int, float]:
        own = seeker.agency_id if seeker.agency_id is not None else -2
        met = {"own": lambda a: a == own, "other": lambda a: a != own}.get(seeker.agency_preference)
        return {int(i): (self.weights.agency if met and met(int(self.agencies[i])) else 0.0) for i in positions}

    def candidates(self, seekers: Sequence[Seeker], k: int, unavailable: Collection[int] = (),
                   declined: Mapping[int, Collection[int]] = {}) -> tuple[np.ndarray, np.ndarray]:
        """For each seeker, their ``k`` best mentors as positions in ``ids`` (-1 to pad) and scores (-inf to pad),
        best first: one sparse-times-dense product per chunk of seekers."""
        n = len(seekers)
        positions = np.full((n, k), -1, dtype=np.int64)
        values = np.full((n, k), -np.inf)
        if not len(self) or not n or k <= 0:
            return positions, values
        blocked = np.zeros(len(self), dtype=bool)
        self._block(blocked, unavailable)
        chunk = max(1, 4_000_000 // max(len(self), 1))
        for start in range(0, n, chunk):
            part = seekers[start:start + chunk]
            sims = np.asarray(self.matrix @ np.stack([self.vector(s) for s in part], axis=1)).T
            for offset, seeker in enumerate(part):
                total = self._total(sims[offset], seeker).astype(np.float64)
                allowed = (self.levels > _rank(seeker.level)) & ~blocked & (sims[offset] > 0)
                self._block(allowed, (*declined.get(seeker.id, ()), seeker.id))
                total[~allowed] = -np.inf
                take = min(k, len(self))
                best = np.argpartition(-total, take - 1)[:take] if len(self) > take else np.arange(len(self))
                best = best[np.argsort(-total[best], kind="stable")]
                best = best[np.isfinite(total[best])]
                positions[start + offset, :best.size] = best
                values[start + offset, :best.size] = total[best]
        return positions, values

    def candidate_ids(self, seekers: Sequence[Seeker], k: int, unavailable: Collection[int] = (),
                      declined: Mapping[int, Collection[int]] = {}) -> tuple[np.ndarray, np.ndarray]:
        """``candidates`` with mentor ids (-1 to pad) in place of positions."""
        positions, values = self.candidates(seekers, k, unavailable, declined)
        ids = np.where(positions >= 0, self.ids[np.maximum(positions, 0)] if len(self) else -1, -1)
        return ids, values

    # ------------------------------------------------------------ reasons

    def _explain(self, i: int, seeker: Seeker, vector: np.ndarray, similarity: float, score: float,
                 bonuses: dict[str, dict[int, float]]) -> Suggestion:
        mentor = self.profiles[i]
        start, end = self.matrix.indptr[i], self.matrix.indptr[i + 1]
        columns = self.matrix.indices[start:end]
        products = self.matrix.data[start:end] * vector[columns]
        parts = {name: float(products[(columns >= part.start) & (columns < part.stop)].sum()) for name, part in self._slices.items()}
        return Suggestion(
            mentor_id=mentor.id, score=score, similarity=similarity,
            shared_skills=tuple(sorted(seeker.skills & mentor.skills)),
            shared_interests=tuple(sorted(seeker.interests & mentor.interests)),
            words=self._driving_words(columns, products),
            preferences=self._preferences(seeker, i, bonuses),
            parts={**parts, **{f"{name} bonus": float(values[i]) for name, values in bonuses.items()}},
        )

    def _driving_words(self, columns: np.ndarray, products: np.ndarray) -> tuple[str, ...]:
        if self._words is None:
            return ()
        text = self._slices["text"]
        mask = (columns >= text.start) & (columns < text.stop) & (products > 0)
        if not mask.any():
            return ()
        chosen, weights = columns[mask] - text.start, products[mask]
        names = self._word_names
        return tuple(str(names[chosen[j]]) for j in np.argsort(-weights, kind="stable")[:WORDS_SHOWN])

    def _preferences(self, seeker: Seeker, i: int, bonuses: dict[str, dict[int, float]]) -> tuple[Preference, ...]:
        mentor, w = self.profiles[i], self.weights
        found: list[Preference] = []
        if seeker.agency_preference in ("own", "other"):
            same = mentor.agency_id is not None and mentor.agency_id == seeker.agency_id
            wanted = "your own agency" if seeker.agency_preference == "own" else "another agency"
            found.append(Preference("agency", bool(bonuses["agency"][i]), w.agency,
                                    f"you asked for {wanted}; they work at {'yours' if same else 'another'}"))
        gap = float(_zone_gap(utc_offset_hours(seeker.time_zone), self.offsets[i:i + 1])[0])
        found.append(Preference("time zone", gap <= ZONE_HOURS, w.time_zone,
                                "the same time zone" if gap == 0 else f"{gap:g} hours apart"))
        if seeker.country:
            same_country = mentor.country == seeker.country
            found.append(Preference("country", same_country, w.country,
                                    f"both in {mentor.country}" if same_country else f"they are in {mentor.country or 'a country not given'}"))
        if seeker.format != "either":
            labels = {"online": "online", "in_person": "in person", "either": "online or in person"}
            found.append(Preference("format", bool(bonuses["format"][i]), w.format, f"they mentor {labels.get(mentor.format, 'online or in person')}"))
        return tuple(found)


def _unit_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    from sklearn.preprocessing import normalize

    return normalize(matrix) if matrix.shape[1] else matrix


def _scaled(block: sp.csr_matrix, weight: float) -> sp.csr_matrix:
    """A block with each row of unit length, times the root of its weight (an empty block as it is)."""
    return _unit_rows(block) * math.sqrt(weight) if block.shape[1] else block


def _has_words(text: str) -> bool:
    return any(ch.isalpha() for ch in text or "")
