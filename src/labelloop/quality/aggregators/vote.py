"""Votes over categories: the plain majority, unanimity, and an expert's word first.

Ties are never given silently to whoever came first: they are flagged for review unless a named
tie-breaker is chosen.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from labelloop.errors import ParameterError, UnknownNameError
from labelloop.quality.aggregators.base import AGGREGATORS, Aggregator, Decision, plain, rows_by_item, votes
from labelloop.quality.units import Ratings

TIE_BREAKERS = ("review", "schema", "random", "experts")


def check_tie_breaker(tie_breaker: str) -> None:
    """The one check of a tie-breaker's name, for the aggregators and the merge planner alike."""
    if tie_breaker not in TIE_BREAKERS:
        raise UnknownNameError(f"Unknown tie-breaker {tie_breaker!r}; known: {', '.join(TIE_BREAKERS)}.")


def check_experts(experts: Sequence[str]) -> None:
    """Expert priority without experts cannot rank anyone."""
    if not experts:
        raise ParameterError("experts", "Expert priority needs a list of experts ({param} a,b).")


@AGGREGATORS.register("majority")
class MajorityVote(Aggregator):
    """The most frequent answer; confidence = its share of the votes.

    ``tie_breaker``: ``review`` (default: no value, flagged), ``schema`` (the tied value that
    comes first on the question's scale), ``random`` (seeded), or ``experts`` (the tied value of
    the highest-priority expert in ``experts``; flagged if none of them voted for a tied value).
    ``min_agreement`` flags items whose winning share is below it. ``weights`` (annotator →
    weight) turns it into a weighted vote.
    """

    name = "majority"

    def __init__(self, tie_breaker: str = "review", experts: Sequence[str] = (), seed: int = 0,
                 min_agreement: float = 0.0, weights: dict[str, float] | None = None):
        check_tie_breaker(tie_breaker)
        self.tie_breaker = tie_breaker
        self.experts = list(experts)
        self.seed = seed
        self.min_agreement = min_agreement
        self.weights = weights

    def _vote_weights(self, ratings: Ratings) -> np.ndarray | None:
        if self.weights is None:
            return None
        w = np.asarray([float(self.weights.get(a, 0.0)) for a in ratings.annotators])
        return w[ratings.annotator]

    def _decide(self, ratings: Ratings) -> list[Decision | None]:
        k = max(ratings.n_categories, 1)
        w = self._vote_weights(ratings)
        table = np.bincount(ratings.item * k + ratings.code, weights=w,
                            minlength=ratings.n_items * k).reshape(ratings.n_items, k)
        total = table.sum(axis=1)
        top = table.max(axis=1)
        tied = np.isclose(table, top[:, None], rtol=1e-12, atol=1e-12) & (table > 0)
        n_tied = tied.sum(axis=1)
        rng = np.random.default_rng(self.seed)
        groups = rows_by_item(ratings) if self.tie_breaker == "experts" else None
        cats = ratings.categories
        out: list[Decision | None] = []
        for i in range(ratings.n_items):
            counted = [{"value": plain(cats[c]), "count": float(table[i, c]) if w is not None else int(table[i, c])}
                       for c in np.flatnonzero(table[i] > 0)]
            counted.sort(key=lambda v: -v["count"])
            if total[i] <= 0:
                out.append(Decision(None, None, True, "no votes with positive weight", {"votes": counted}))
                continue
            share = float(top[i] / total[i])
            d = Decision(confidence=share, details={"votes": counted})
            if n_tied[i] == 1:
                d.value = plain(cats[int(np.argmax(table[i]))])
            else:
                options = [int(c) for c in np.flatnonzero(tied[i])]
                names = ", ".join(repr(plain(cats[c])) for c in options)
                if self.tie_breaker == "schema":
                    d.value, d.reason = plain(cats[options[0]]), f"tie between {names} broken by scale order"
                elif self.tie_breaker == "random":
                    d.value = plain(cats[int(rng.choice(options))])
                    d.reason = f"tie between {names} broken at random (seed {self.seed})"
                elif self.tie_breaker == "experts" and groups is not None:
                    pick = self._expert_pick(ratings, groups[i], set(options))
                    if pick is None:
                        d.needs_review, d.reason = True, f"tie between {names}; no expert chose one of them"
                    else:
                        d.value, d.reason = plain(cats[pick[1]]), f"tie between {names} broken by expert {pick[0]!r}"
                else:
                    d.needs_review, d.reason = True, f"tie between {names}"
            if d.value is not None and share < self.min_agreement:
                d.needs_review = True
                d.reason = f"winning share {share:.2f} is below {self.min_agreement:.2f}"
            out.append(d)
        return out

    def _expert_pick(self, ratings: Ratings, rows: np.ndarray, allowed: set[int]) -> tuple[str, int] | None:
        by_name = {ratings.annotators[ratings.annotator[r]]: int(ratings.code[r]) for r in rows}
        for e in self.experts:
            if e in by_name and by_name[e] in allowed:
                return e, by_name[e]
        return None


@AGGREGATORS.register("strict")
class Strict(Aggregator):
    """Only a unanimous answer is taken; anything else needs review."""

    name = "strict"

    def _decide(self, ratings: Ratings) -> list[Decision | None]:
        out: list[Decision | None] = []
        for rows in rows_by_item(ratings):
            codes = set(ratings.code[rows].tolist())
            counted = votes(ratings, rows)
            if len(codes) == 1:
                out.append(Decision(plain(ratings.categories[codes.pop()]), 1.0, details={"votes": counted}))
            else:
                out.append(Decision(None, None, True, "annotators disagree", {"votes": counted}))
        return out


@AGGREGATORS.register("experts")
class ExpertPriority(Aggregator):
    """The answer of the highest-priority expert who gave one; items no expert answered fall back
    to ``fallback`` (majority vote by default). Confidence = share of all annotators agreeing
    with the chosen answer."""

    name = "experts"

    def __init__(self, experts: Sequence[str], fallback: Aggregator | None = None):
        check_experts(experts)
        self.experts = list(experts)
        self.fallback = fallback or MajorityVote()

    def _decide(self, ratings: Ratings) -> list[Decision | None]:
        base = self.fallback.fit(ratings).predict()
        out: list[Decision | None] = []
        for i, rows in enumerate(rows_by_item(ratings)):
            by_name = {ratings.annotators[ratings.annotator[r]]: r for r in rows}
            expert = next((e for e in self.experts if e in by_name), None)
            if expert is None:
                d = base[i]
                if d is not None:
                    d.details["fallback"] = self.fallback.name
                out.append(d)
                continue
            r = by_name[expert]
            code = ratings.code[r]
            share = float(np.mean(ratings.code[rows] == code))
            out.append(Decision(plain(ratings.categories[code]), share,
                                details={"expert": expert, "votes": votes(ratings, rows)}))
        return out
