"""Answer groups for the manual parts: a batch's free responses grouped by what they say, to be scored a group at a time.

Offline and deterministic: answers are compared by TF-IDF vectors (scikit-learn; word unigrams and bigrams plus
character n-grams, so that "length" and "lengths" meet) and clustered by average-linkage agglomerative clustering on
their cosine distances. Three levels show on the page: identical answers (equal once case, spacing and punctuation
are ignored), near duplicates (cosine similarity of at least NEAR) and answers that make the same point (one cluster).

Group numbers are what `manual_scores.csv` calls `group:N`. Once a sheet exists its `group` column is the record of
who is in which group: a later run keeps those numbers and only places students the sheet does not list (into the
group their answer clusters with, or a new one), so a number a TA already used never changes meaning.

Key points (`Part.key_points`) and the automatic checks' hints are matched against each group as a suggestion for
the TA; nothing here scores anything.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from grader.model import NOT_ANSWERED, PARTIAL, PASSED, PENDING, WRONG, Report, Status
from grader.problem import KeyPoint

DISTANCE = 0.8  # average cosine distance under which answers make the same point (tuned on paraphrases, see tests)
NEAR = 0.8  # cosine similarity from which two answers are near duplicates
LABEL_WORDS = 4
GROUPED = (PENDING, PASSED, PARTIAL, WRONG)  # answers a TA scores (or scored); the rest have nothing to score
TA_MESSAGE = "Scored by a TA"  # how grader.manual begins a TA score's message: never a hint

_PUNCTUATION = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """The answer with case, spacing and punctuation ignored: equal results are identical answers."""
    return _SPACE.sub(" ", _PUNCTUATION.sub(" ", text.lower())).strip()


@dataclass(frozen=True)
class Member:
    """One student's answer in a group."""

    student: str
    text: str
    status: Status
    likeness: str  # "identical" or "near duplicate" (of another member), else ""


@dataclass(frozen=True)
class Group:
    """Answers that make the same point: a number, its most telling words, a representative answer, the members.

    `members` starts with the representative (the answer closest to all the others). `key_points` is how many
    members state each of the rubric's key points; `hints` how many got each message of the part's automatic checks.
    """

    number: int
    label: tuple[str, ...]
    members: tuple[Member, ...]
    key_points: tuple[tuple[str, int], ...] = ()
    hints: tuple[tuple[str, int], ...] = ()

    @property
    def representative(self) -> Member:
        """The answer that stands for the group."""
        return self.members[0]

    @property
    def identical(self) -> int:
        """How many members gave an answer identical to another member's."""
        return sum(m.likeness == "identical" for m in self.members)

    @property
    def near(self) -> int:
        """How many members gave a near duplicate of another member's answer."""
        return sum(m.likeness == "near duplicate" for m in self.members)


@dataclass(frozen=True)
class PartGroups:
    """The groups of one manual part, largest first, and the students with nothing to score, by status."""

    key: str  # problem.part
    groups: tuple[Group, ...]
    nothing_to_score: tuple[tuple[str, Status], ...] = ()  # (student, status): no response, format error, ...

    def number_of(self, student: str) -> int | None:
        """The group number of a student's answer, None when it is in no group."""
        return next((g.number for g in self.groups for m in g.members if m.student == student), None)


def vectors(texts: list[str]):
    """L2-normalized TF-IDF rows for `texts`: word 1-2 grams (English stop words dropped) beside char 3-5 grams."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize as l2

    blocks = [TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(texts)]
    try:
        blocks.append(TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True).fit_transform(texts))
    except ValueError:  # only stop words in every answer: the characters alone decide
        pass
    return l2(sparse.hstack(blocks).tocsr())


def clusters(similarity: np.ndarray) -> list[int]:
    """A cluster number for each of distinct answers, from their cosine similarities; numbers are arbitrary."""
    if len(similarity) == 1:
        return [0]
    from sklearn.cluster import AgglomerativeClustering

    distance = np.clip(1.0 - similarity, 0.0, 2.0)
    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=DISTANCE, metric="precomputed",
                                     linkage="average").fit_predict(distance)
    return [int(c) for c in labels]


def _label(texts: list[str], members: list[list[int]]) -> list[tuple[str, ...]]:
    """The most telling words of each group: highest mean TF-IDF weight in the group above that outside it."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        vec = TfidfVectorizer(stop_words="english", token_pattern=r"(?u)\b[^\W\d_][\w-]+\b", sublinear_tf=True)
        x = vec.fit_transform(texts)
    except ValueError:  # no word that is not a stop word
        return [() for _ in members]
    words = vec.get_feature_names_out()
    total = np.asarray(x.sum(axis=0)).ravel()
    out = []
    for idx in members:
        inside = np.asarray(x[idx].sum(axis=0)).ravel()
        mean_in = inside / len(idx)
        rest = len(texts) - len(idx)
        score = mean_in - ((total - inside) / rest if rest else 0.0)
        order = sorted(np.flatnonzero(score > 0), key=lambda j: (-score[j], words[j]))
        out.append(tuple(str(words[j]) for j in order[:LABEL_WORDS]))
    return out


def _medoid_first(idx: list[int], sim: np.ndarray) -> list[int]:
    """`idx` with the member most similar to the others first, the rest by closeness to it (stable on ties)."""
    if len(idx) == 1:
        return idx
    sub = sim[np.ix_(idx, idx)]
    best = int(np.argmax(sub.sum(axis=1)))
    rest = sorted((i for i in range(len(idx)) if i != best), key=lambda i: -sub[best, i])
    return [idx[best]] + [idx[i] for i in rest]


def group_part(key: str, answers: list[tuple[str, str, Status]], kept: dict[str, int] | None = None,
               key_points: tuple[KeyPoint, ...] = (), hints: dict[str, str] | None = None,
               nothing_to_score: tuple[tuple[str, Status], ...] = ()) -> PartGroups:
    """The groups of one part's answers, given as (student, text, status) in batch order.

    `kept` maps students to the group number a sheet already gives them; they stay there, and the others join
    the kept group that most of their cluster is in, or a new group numbered after every kept one.
    `hints` maps students to their automatic check's message for the part.
    """
    kept = kept or {}
    hints = hints or {}
    if not answers:
        return PartGroups(key, (), nothing_to_score)
    texts = [t for _, t, _ in answers]
    keys = [normalize(t) for t in texts]
    unique = list(dict.fromkeys(keys))  # identical answers are one point: they always share a cluster
    if len(unique) == 1:
        unique_sim = np.ones((1, 1))
    else:
        x = vectors(unique)
        unique_sim = (x @ x.T).toarray()
    index = {k: i for i, k in enumerate(unique)}
    row = [index[k] for k in keys]
    sim = unique_sim[np.ix_(row, row)]
    of_unique = clusters(unique_sim)
    numbers = _numbers(answers, [of_unique[i] for i in row], kept)
    by_number: dict[int, list[int]] = {}
    for i, n in enumerate(numbers):
        by_number.setdefault(n, []).append(i)
    ordered = sorted(by_number, key=lambda n: (-len(by_number[n]), n))
    labels = _label(texts, [by_number[n] for n in ordered])
    groups = []
    for n, label in zip(ordered, labels):
        idx = _medoid_first(by_number[n], sim)
        members = []
        for i in idx:
            others = [j for j in idx if j != i]
            if any(keys[j] == keys[i] for j in others):
                likeness = "identical"
            elif any(sim[i, j] >= NEAR for j in others):
                likeness = "near duplicate"
            else:
                likeness = ""
            members.append(Member(answers[i][0], texts[i], answers[i][2], likeness))
        stated = tuple((kp.label, sum(kp.found_in(m.text) for m in members)) for kp in key_points)
        given = Counter(hints[m.student] for m in members if hints.get(m.student))
        groups.append(Group(n, label, tuple(members), stated, tuple(sorted(given.items(), key=lambda kv: -kv[1]))))
    return PartGroups(key, tuple(groups), nothing_to_score)


def _numbers(answers: list, found: list[int], kept: dict[str, int]) -> list[int]:
    """Group numbers: kept ones as given, the others by their cluster (largest new cluster first)."""
    if not kept:
        sizes = Counter(found)
        first = {c: found.index(c) for c in sizes}
        order = sorted(sizes, key=lambda c: (-sizes[c], first[c]))
        return [order.index(c) + 1 for c in found]
    numbers: list[int | None] = [kept.get(s) for s, _, _ in answers]
    votes: dict[int, Counter] = {}
    for n, c in zip(numbers, found):
        if n is not None:
            votes.setdefault(c, Counter())[n] += 1
    fresh = max(kept.values()) + 1
    new: dict[int, int] = {}
    for i, c in enumerate(found):
        if numbers[i] is not None:
            continue
        if c in votes:
            numbers[i] = min(votes[c].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        else:
            if c not in new:
                new[c], fresh = fresh, fresh + 1
            numbers[i] = new[c]
    return [int(n) for n in numbers]


def key_points_of(problems) -> dict[str, tuple[KeyPoint, ...]]:
    """{'problem.part': its key points} for the manual parts of `problems` that declare some."""
    return {f"{p.name}.{part.name}": part.key_points for p in problems for part in p.parts if part.key_points}


def answer_groups(reports: list[Report], key_points: dict[str, tuple[KeyPoint, ...]] | None = None,
                  kept: dict[tuple[str, str], int] | None = None) -> dict[str, PartGroups]:
    """The groups of every manual part of a batch, keyed 'problem.part', in the parts' order.

    Give the reports as graded (before TA scores are applied): the hints are the automatic checks' messages.
    `kept` maps (student, 'problem.part') to a group number from the sheet.
    """
    key_points, kept = key_points or {}, kept or {}
    keys = list(dict.fromkeys(f"{p.problem}.{p.part}" for r in reports for p in r.parts if p.kind == "manual"))
    out = {}
    for key in keys:
        answers, idle, hints = [], [], {}
        for r in reports:
            part = next((p for p in r.parts if f"{p.problem}.{p.part}" == key), None)
            if part is None:
                continue
            text = next((t for a, b, t in r.responses if f"{a}.{b}" == key), None)
            if text is None or not text.strip() or part.status not in GROUPED:
                idle.append((r.student, part.status if part.status not in GROUPED else NOT_ANSWERED))
                continue
            answers.append((r.student, text, part.status))
            said = [c.message for c in r.checks if f"{c.problem}.{c.part}" == key and c.message
                    and not c.message.startswith(TA_MESSAGE)]
            if said:
                hints[r.student] = " ".join(said)
        mine = {s: n for (s, k), n in kept.items() if k == key}
        out[key] = group_part(key, answers, mine, key_points.get(key, ()), hints, tuple(idle))
    return out

