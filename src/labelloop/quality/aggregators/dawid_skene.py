"""Dawid-Skene as an aggregator: each item's most probable class under the fitted model."""

from __future__ import annotations

import numpy as np

from labelloop.quality.aggregators.base import AGGREGATORS, Aggregator, Decision, plain
from labelloop.quality.dawid_skene import DawidSkene
from labelloop.quality.units import Ratings


@AGGREGATORS.register("dawid-skene")
class DawidSkeneVote(Aggregator):
    """Dawid-Skene posterior: value = most probable class, confidence = its posterior.

    ``n_iter`` and ``tol`` are the EM's; ``min_confidence`` flags items whose posterior is below it.
    After ``fit``: ``model_`` (the fitted ``DawidSkene``) and ``reliability_`` (the table).
    """

    name = "dawid-skene"

    def __init__(self, n_iter: int = 100, tol: float = 1e-5, min_confidence: float = 0.0):
        self.n_iter = n_iter
        self.tol = tol
        self.min_confidence = min_confidence

    def _decide(self, ratings: Ratings) -> list[Decision | None]:
        self.model_ = DawidSkene(n_iter=self.n_iter, tol=self.tol).fit(ratings)
        self.reliability_ = self.model_.reliability_
        post = self.model_.posteriors_
        cats = ratings.categories
        out: list[Decision | None] = []
        for i in range(ratings.n_items):
            p = post[i]
            order = np.argsort(-p, kind="stable")
            top = float(p[order[0]])
            d = Decision(plain(cats[order[0]]), top, details={
                "posterior": {str(plain(cats[c])): float(p[c]) for c in order[:3] if p[c] > 1e-6}})
            if len(order) > 1 and abs(top - float(p[order[1]])) <= 1e-9:
                d.value, d.needs_review = None, True
                d.reason = f"posterior tie between {plain(cats[order[0]])!r} and {plain(cats[order[1]])!r}"
            elif top < self.min_confidence:
                d.needs_review, d.reason = True, f"posterior {top:.2f} is below {self.min_confidence:.2f}"
            out.append(d)
        return out
