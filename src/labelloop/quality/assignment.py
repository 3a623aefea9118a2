"""Who labels what: overlap plans, hidden gold checks, and the next round's extra labels.

The plan (``plan_overlap``) walks the samples in order and gives each one ``overlap`` distinct people, picked
the least-loaded people, then among those tied at the last load level the ones who share fewest samples with
the others picked, then a seeded coin. Picking the least loaded every time is what keeps loads
level: with equal capacities the loads never differ by more than one, after every sample (the ``k`` least-loaded
people gain one; if fewer than ``k`` were at the minimum, all of them move up to the next level). The pair
tie-break is what spreads the overlap: among the people tied at the last load level, the ones picked are those
that add the fewest pairs already shared (all such subsets tried when there are at most 70, else one person at a
time), so every pair of people shares about ``N·k(k-1) / (m(m-1))`` samples (``expected_shared``), never the same
two people on every sample. The tests check, for 2 to 8 people, overlap 1 to 4 and up to 1,000 samples, that
every pair is within 2 of that figure for overlap 2 and 3 and within 2.5 for overlap 4 (4 people, overlap 2,
1,000 samples: every pair shares 166 or 167). A person at capacity is left out; a sample that finds fewer
than ``overlap`` free people gets fewer, and the plan lists it.

Gold (``mix_gold``): each person's list gets ``round(tasks · rate / (1 - rate))`` gold samples (at least one
when the rate is positive), so gold is ``rate`` of what they see, at seeded positions, in a seeded order.

The next round (``next_round``): Dawid–Skene over everyone's answers; each person's answers on gold enter their
confusion matrix as fixed counts (a prior that EM cannot argue away), so a person who fails gold weighs little
from the first round. A sample is settled when it has a label and its top posterior reaches the target; an
unsettled sample below ``max_per_sample`` labels gets one more person who has not seen it (least loaded this
round, then the most reliable, then a seeded coin).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from labelloop.quality.dawid_skene import DawidSkene
from labelloop.quality.units import Ratings, order_key


def seeded_rng(seed: int, *parts: Any) -> random.Random:
    """A seeded generator per purpose (and per person), stable across runs and Python versions."""
    return random.Random(":".join(["labelloop", str(seed), *map(str, parts)]))


# ---------------------------------------------------------------------- the overlap plan
@dataclass
class OverlapPlan:
    """``assignments``: person -> sample ids in dataset order; ``short``: sample id -> copies it got, for samples
    that got fewer than ``overlap`` (capacity ran out)."""

    assignments: dict[str, list[str]]
    short: dict[str, int] = field(default_factory=dict)


def plan_overlap(sample_ids: Sequence[str], annotators: Sequence[str], overlap: int,
                 capacity: Mapping[str, int] | None = None, seed: int = 0) -> OverlapPlan:
    """Each sample to ``overlap`` distinct people (see the module's docstring for the rule and its guarantees)."""
    names = list(annotators)
    if overlap < 1 or overlap > len(names):
        raise ValueError(f"overlap {overlap} needs between 1 and {len(names)} people")
    m = len(names)
    cap = [int(capacity[n]) if capacity and n in capacity else None for n in names]
    load = [0] * m
    shared = [[0] * m for _ in range(m)]
    out: dict[str, list[str]] = {n: [] for n in names}
    short: dict[str, int] = {}
    rng = seeded_rng(seed, "overlap")
    for sid in sample_ids:
        coin = [rng.random() for _ in range(m)]
        free = [i for i in range(m) if cap[i] is None or load[i] < cap[i]]
        chosen = _pick(free, overlap, load, shared, coin)
        for a in chosen:
            load[a] += 1
            out[names[a]].append(sid)
            for b in chosen:
                if a != b:
                    shared[a][b] += 1
        if len(chosen) < overlap:
            short[sid] = len(chosen)
    return OverlapPlan(out, short)


EXACT_LIMIT = 70  # subsets tried exactly per sample (8 choose 4); past it the pick is greedy, one at a time


def _pick(free: list[int], k: int, load: list[int], shared: list[list[int]], coin: list[float]) -> list[int]:
    """The ``k`` least-loaded free people; among those tied at the last load level, the ones that add the
    fewest already-shared pairs (then the seeded coin)."""
    if len(free) <= k:
        return list(free)
    ranked = sorted(free, key=lambda i: (load[i], coin[i]))
    level = load[ranked[k - 1]]
    forced = [i for i in ranked if load[i] < level]
    tied = [i for i in ranked if load[i] == level]
    need = k - len(forced)
    if len(tied) == need:
        return forced + tied
    n_sets = 1
    for j in range(need):
        n_sets = n_sets * (len(tied) - j) // (j + 1)
    if n_sets <= EXACT_LIMIT:
        def cost(extra: tuple[int, ...]) -> tuple[int, float]:
            group = forced + list(extra)
            return sum(shared[a][b] for a, b in combinations(group, 2)), sum(coin[i] for i in extra)
        return forced + list(min(combinations(tied, need), key=cost))
    chosen = list(forced)
    pool = list(tied)
    for _ in range(need):
        best = min(pool, key=lambda i: (sum(shared[i][j] for j in chosen), coin[i]))
        chosen.append(best)
        pool.remove(best)
    return chosen


def pair_counts(assignments: Mapping[str, Sequence[str]], among: Sequence[str] | None = None) -> dict[tuple[str, str],
                                                                                                     int]:
    """Samples each pair of people shares (pairs in the order of ``among``, default the assignments' order)."""
    names = list(among or assignments)
    sets = {n: set(assignments.get(n, ())) for n in names}
    return {(a, b): len(sets[a] & sets[b]) for a, b in combinations(names, 2)}


def expected_shared(n_samples: int, n_annotators: int, overlap: int) -> float:
    """What a pair shares when the overlap is spread evenly: N·k(k-1) / (m(m-1))."""
    if n_annotators < 2:
        return 0.0
    return n_samples * overlap * (overlap - 1) / (n_annotators * (n_annotators - 1))


# ---------------------------------------------------------------------- gold
def gold_count(tasks: int, rate: float) -> int:
    """Gold samples for a list of ``tasks`` ordinary ones, so gold is ``rate`` of the whole (at least one)."""
    if rate <= 0:
        return 0
    return max(1, round(tasks * rate / (1 - rate)))


def mix_gold(assignments: Mapping[str, Sequence[str]], gold_pool: Sequence[str], rate: float,
             capacity: Mapping[str, int] | None = None, seed: int = 0) -> tuple[dict[str, list[str]],
                                                                                dict[str, int]]:
    """Each person's list with their gold samples mixed in at seeded positions; and how many each got. A person
    gets ``gold_count`` of their list, fewer when the pool or their capacity is smaller; which gold samples
    (drawn without repeats) and where they go are seeded per person."""
    out: dict[str, list[str]] = {}
    got: dict[str, int] = {}
    for name, tasks in assignments.items():
        g = min(gold_count(len(tasks), rate), len(gold_pool))
        if capacity and name in capacity:
            g = max(0, min(g, int(capacity[name]) - len(tasks)))
        rng = seeded_rng(seed, "gold", name)
        picked = rng.sample(list(gold_pool), g)
        total = len(tasks) + g
        spots = set(rng.sample(range(total), g))
        regular = iter(tasks)
        golds = iter(picked)
        out[name] = [next(golds) if i in spots else next(regular) for i in range(total)]
        got[name] = g
    return out, got


# ---------------------------------------------------------------------- the next round
class GoldDawidSkene(DawidSkene):
    """Dawid–Skene with gold: ``gold_counts[w, true, answer]`` is added to what EM estimates of every confusion
    matrix in every M-step, so gold answers weigh as much as the same labels with a known truth; the gold
    samples' classes (``gold_classes``, a count per class) and one pseudo-count per class enter the class priors,
    so a few samples that all look alike cannot push a prior to 1 (which would settle unlabelled samples)."""

    def __init__(self, gold_counts: np.ndarray | None = None, gold_classes: np.ndarray | None = None, **kw: Any):
        super().__init__(**kw)
        self.gold_counts = gold_counts
        self.gold_classes = gold_classes

    def _m_step(self, post: np.ndarray, n_w: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        priors = post.sum(axis=0) + 1.0 + (self.gold_classes if self.gold_classes is not None else 0.0)
        priors /= priors.sum()
        item_by_key, keys, starts = self._mstep_index
        table = np.zeros((n_w * k, k))
        if keys.size:
            table[keys] = np.add.reduceat(np.take(post, item_by_key, axis=0), starts, axis=0)
        errors = table.reshape(n_w, k, k).transpose(0, 2, 1) + self.smoothing
        if self.gold_counts is not None:
            errors = errors + self.gold_counts
        errors /= errors.sum(axis=2, keepdims=True)
        return priors, errors


@dataclass
class SampleState:
    sample_id: str
    labels: int
    label: Any
    posterior: float
    settled: bool
    next_annotator: str | None = None
    reason: str = ""


@dataclass
class RoundPlan:
    """The next round: ``assignments`` person -> sample ids (in dataset order), every sample's state, each
    person's Dawid–Skene accuracy (with gold as a prior) and the classes seen."""

    assignments: dict[str, list[str]]
    samples: list[SampleState]
    reliability: dict[str, float]
    accuracy: dict[str, float]
    categories: list[Any]

    @property
    def settled(self) -> list[str]:
        return [s.sample_id for s in self.samples if s.settled]

    @property
    def unsettled(self) -> list[str]:
        return [s.sample_id for s in self.samples if not s.settled]


def next_round(labels: Mapping[str, Mapping[str, Any]], annotators: Sequence[str], *, target: float = 0.9,
               max_per_sample: int = 5, gold: Mapping[str, Any] | None = None,
               gold_labels: Mapping[str, Mapping[str, Any]] | None = None,
               seen: Mapping[str, set[str]] | None = None, categories: Sequence[Any] = (),
               capacity: Mapping[str, int] | None = None, smoothing: float = 1.0, seed: int = 0) -> RoundPlan:
    """The next round from ``labels`` (sample id -> {person: answer}, every sample to be settled, in order).

    ``gold`` maps gold sample ids to their reference answer and ``gold_labels`` holds people's answers on them;
    they only shape the confusion matrices. ``seen`` adds, per sample, people who already had it (an earlier
    plan) though they gave no answer; they are not asked again. ``categories`` lists answers nobody gave yet.
    ``smoothing`` is the pseudo-count in every confusion cell: 1 (Laplace) keeps eight right answers on gold from
    reading as a person who is never wrong.
    """
    gold = dict(gold or {})
    gold_labels = dict(gold_labels or {})
    people: dict[str, None] = dict.fromkeys(map(str, annotators))
    for answers in (*labels.values(), *gold_labels.values()):
        people.update(dict.fromkeys(map(str, answers)))
    names = list(people)
    w_ix = {n: i for i, n in enumerate(names)}
    values: set[Any] = {v for answers in labels.values() for v in answers.values()}
    values |= {v for answers in gold_labels.values() for v in answers.values()} | set(gold.values())
    cats = list(categories) + sorted((v for v in values if v not in set(categories)), key=order_key)
    c_ix = {c: i for i, c in enumerate(cats)}
    k = max(len(cats), 1)
    ids = list(labels)
    rows = [(i, w_ix[str(w)], c_ix[v]) for i, sid in enumerate(ids) for w, v in labels[sid].items()]
    arr = np.asarray(rows, dtype=np.int64).reshape(-1, 3)
    ratings = Ratings(items=list(ids), annotators=names, categories=cats, item=arr[:, 0],
                      annotator=arr[:, 1], code=arr[:, 2])
    counts = np.zeros((len(names), k, k))
    classes = np.zeros(k)
    for sid, truth in gold.items():
        classes[c_ix[truth]] += 1
        for w, v in gold_labels.get(sid, {}).items():
            counts[w_ix[str(w)], c_ix[truth], c_ix[v]] += 1
    ds = GoldDawidSkene(gold_counts=counts, gold_classes=classes, smoothing=smoothing).fit(ratings)
    post = ds.posteriors_
    rel = {r["annotator"]: r["reliability"] for r in ds.reliability_}
    acc = {r["annotator"]: r["accuracy"] for r in ds.reliability_}
    load = dict.fromkeys(map(str, annotators), 0)
    cap = {n: int(capacity[n]) for n in load if capacity and n in capacity}
    rng = seeded_rng(seed, "next-round")
    out: dict[str, list[str]] = {n: [] for n in load}
    states: list[SampleState] = []
    for i, sid in enumerate(ids):
        top = int(post[i].argmax()) if post.shape[1] else 0
        p = float(post[i, top]) if post.shape[1] else 0.0
        had = set(map(str, labels[sid])) | set((seen or {}).get(sid, ()))
        state = SampleState(sid, len(labels[sid]), cats[top] if cats else None, p, bool(labels[sid]) and p >= target)
        coin = {n: rng.random() for n in load}
        if not state.settled:
            free = [n for n in load if n not in had and (n not in cap or load[n] < cap[n])]
            if len(labels[sid]) >= max_per_sample:
                state.reason = "at max_per_sample"
            elif not free:
                state.reason = "nobody left who has not seen it" if all(n in had for n in load) else \
                    "capacity ran out"
            else:
                pick = min(free, key=lambda n: (load[n], -rel.get(n, 0.0), coin[n]))
                load[pick] += 1
                out[pick].append(sid)
                state.next_annotator = pick
        states.append(state)
    return RoundPlan(out, states, rel, acc, cats)
