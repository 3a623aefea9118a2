"""Preferences among candidates: Borda count over rankings, and Bradley-Terry over any preference.

Both need to know what can be ranked on each item (the sample's candidates), which the answers
alone may not say: a partial ranking leaves some ids out. The planner passes it to the
constructor (``universes`` / ``candidates``: item → ids); without it, the ids the answers mention.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from labelloop.quality.aggregators.base import AGGREGATORS, Aggregator, Decision, raw_value, rows_by_item
from labelloop.quality.bradley_terry import BradleyTerry, comparisons
from labelloop.quality.ranking import kendall_tau_b, ranks
from labelloop.quality.stat import Undefined
from labelloop.quality.units import Ratings


@AGGREGATORS.register("borda")
class BordaCount(Aggregator):
    """Borda count: an id gets (n - rank) points from each ranking, with ties and unranked ids at
    their mid-rank, so partial rankings of different lengths weigh fairly. Equal totals are
    flagged. Confidence = mean over annotators of (tau-b with the merged order + 1) / 2.

    ``universes`` (item → ids) names what can be ranked; default: the ids the rankings mention.
    """

    name = "borda"

    def __init__(self, universes: dict[Any, list[str]] | None = None):
        self.universes = universes or {}

    def _decide(self, ratings: Ratings) -> list[Decision | None]:
        out: list[Decision | None] = []
        for i, rows in enumerate(rows_by_item(ratings)):
            rankings = [list(ratings.categories[c]) for c in ratings.code[rows]]
            universe = list(self.universes.get(ratings.items[i], []))
            for rk in rankings:
                universe += [x for item in rk for x in (item if isinstance(item, (list, tuple)) else [item])
                             if x not in universe]
            n = len(universe)
            mat = np.vstack([ranks(rk, universe) for rk in rankings])
            points = (n - mat).sum(axis=0)
            order = sorted(range(n), key=lambda j: -points[j])
            merged = [universe[j] for j in order]
            taus = []
            merged_ranks = ranks(merged, universe)
            for row in mat:
                try:
                    taus.append((kendall_tau_b(row, merged_ranks) + 1.0) / 2.0)
                except Undefined:
                    pass
            d = Decision(merged, float(np.mean(taus)) if taus else None,
                         details={"points": {universe[j]: float(points[j]) for j in order}})
            tied = [universe[j] for j in order if np.sum(np.isclose(points, points[j])) > 1]
            if tied:
                d.needs_review, d.reason = True, f"equal Borda points for {', '.join(tied)}"
            out.append(d)
        return out


@AGGREGATORS.register("bradley-terry")
class BradleyTerryVote(Aggregator):
    """Bradley-Terry per item over the pairwise outcomes each answer implies (a ranking, or a
    choice among candidates; "tie" is half a win each way): value = the candidates strongest
    first for a ranking, the strongest for a choice; confidence = P(first beats second); equal
    scores at the top need review. An item whose answers state no preference (all "both bad")
    gets ``None``.

    ``candidates`` (item → candidate ids, in the sample's order); ``prior``, ``n_iter``, ``tol``
    are ``BradleyTerry``'s. Needs ratings that know their question (``collect`` sets it).
    After ``fit``: ``model_`` (the fitted per-item ``BradleyTerry``).
    """

    name = "bradley-terry"

    def __init__(self, candidates: dict[Any, Sequence[str]] | None = None, prior: float = 0.5, n_iter: int = 1000,
                 tol: float = 1e-10):
        self.candidates = candidates or {}
        self.prior = prior
        self.n_iter = n_iter
        self.tol = tol

    def _decide(self, ratings: Ratings) -> list[Decision | None]:
        q = ratings.question
        if q is None:
            raise Undefined("bradley-terry needs ratings that know their question")
        fixed = set(q.allowed_values([]))
        per_item: dict[Any, tuple[list[str], list[tuple[str, str, float]]]] = {}
        for i, rows in enumerate(rows_by_item(ratings)):
            answers = [raw_value(ratings, r) for r in rows]
            item = ratings.items[i]
            if item in self.candidates:
                ids = list(self.candidates[item])
            else:
                mentioned = [x for a in answers for x in (a if isinstance(a, (list, tuple)) else [a])]
                ids = [x for x in dict.fromkeys(mentioned) if x not in fixed]
            games = [g for a in answers for g in comparisons(q, a, ids)]
            if games:
                per_item[item] = (ids, games)
        self.model_ = BradleyTerry(prior=self.prior, n_iter=self.n_iter, tol=self.tol).fit(per_item)
        bt = self.model_
        out: list[Decision | None] = []
        for item in ratings.items:
            order = bt.order_.get(item)
            if order is None:
                out.append(None)
                continue
            value: Any = order if q.type == "ranking" else order[0]
            d = Decision(value, bt.confidence_[item], bt.needs_review_[item],
                         details={"scores": {c: bt.scores_[item][c] for c in order}})
            if d.needs_review:
                d.value, d.reason = None, "equal Bradley-Terry scores at the top"
            out.append(d)
        return out
