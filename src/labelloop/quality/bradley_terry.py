"""Bradley-Terry strengths from pairwise and best-of-N preferences.

P(i beats j) = s_i / (s_i + s_j). Fitted by Hunter's (2004) MM iteration with a symmetric prior
of ``prior`` wins each way for every compared pair, so one unanimous vote gives a finite,
honest score instead of infinity. Strengths are normalised to sum to 1.

Every preference becomes pairwise outcomes: a ranking or a choice is read as tiers
(``labelloop.data.preference.tiers_from_value``) and each id in a better tier beats each id in a
worse tier; "tie" gives half a win each way; "both_bad" and the like give nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from labelloop.data.preference import tiers_from_value
from labelloop.data.schema import Question

TIE_VALUES = ("tie",)


def comparisons(question: Question, value: Any, candidate_ids: Sequence[str]) -> list[tuple[str, str, float]]:
    """(winner, loser, weight) triples one answer implies."""
    ids = list(candidate_ids)
    if question.type == "single_choice" and value in TIE_VALUES:
        return [(a, b, 0.5) for i, a in enumerate(ids) for b in ids[i + 1:]] + \
               [(b, a, 0.5) for i, a in enumerate(ids) for b in ids[i + 1:]]
    tiers = tiers_from_value(question, value, ids)
    if not tiers:
        return []
    out = []
    for i, better in enumerate(tiers):
        for worse in tiers[i + 1:]:
            out += [(a, b, 1.0) for a in better for b in worse]
    return out


def fit_strengths(players: Sequence[str], games: Iterable[tuple[str, str, float]], *, prior: float = 0.5,
                  n_iter: int = 1000, tol: float = 1e-10) -> dict[str, float]:
    """Bradley-Terry strengths (summing to 1) of ``players`` from (winner, loser, weight) games."""
    idx = {p: i for i, p in enumerate(players)}
    n = len(players)
    wins = np.zeros((n, n))
    for a, b, w in games:
        wins[idx[a], idx[b]] += w
    played = wins + wins.T
    compared = played > 0
    wins = wins + prior * compared
    games_n = wins + wins.T
    total_wins = wins.sum(axis=1)
    s = np.full(n, 1.0 / max(n, 1))
    for _ in range(n_iter):
        denom = (games_n / (s[:, None] + s[None, :])).sum(axis=1)
        new = np.where(denom > 0, total_wins / np.where(denom > 0, denom, 1.0), s)
        new = new / new.sum() if new.sum() > 0 else s
        if np.abs(new - s).max() < tol:
            s = new
            break
        s = new
    return {p: float(s[i]) for p, i in idx.items()}


class BradleyTerry:
    """Per-item Bradley-Terry: ``fit(per_item)`` with ``per_item`` mapping an item to its candidate
    ids and the (winner, loser, weight) games its annotators' answers imply. The model behind the
    ``bradley-terry`` aggregator (``labelloop.quality.aggregators.BradleyTerryVote``), which reads
    the games out of ratings, as ``DawidSkene`` is behind ``DawidSkeneVote``.

    After ``fit``: ``scores_`` (item → {candidate: strength}), ``order_`` (item → ids, strongest
    first), ``confidence_`` (item → P(first beats second)), ``needs_review_`` (top two tie).
    """

    def __init__(self, prior: float = 0.5, n_iter: int = 1000, tol: float = 1e-10):
        self.prior = prior
        self.n_iter = n_iter
        self.tol = tol

    def fit(self, per_item: dict[Any, tuple[Sequence[str], list[tuple[str, str, float]]]]) -> BradleyTerry:
        self.scores_: dict[Any, dict[str, float]] = {}
        self.order_: dict[Any, list[str]] = {}
        self.confidence_: dict[Any, float | None] = {}
        self.needs_review_: dict[Any, bool] = {}
        for key, (ids, games) in per_item.items():
            if not games:
                continue
            scores = fit_strengths(ids, games, prior=self.prior, n_iter=self.n_iter, tol=self.tol)
            order = sorted(ids, key=lambda c: -scores[c])
            self.scores_[key] = scores
            self.order_[key] = order
            if len(order) >= 2:
                a, b = scores[order[0]], scores[order[1]]
                self.confidence_[key] = a / (a + b)
                self.needs_review_[key] = abs(a - b) <= 1e-9 * max(a, b)
            else:
                self.confidence_[key] = None
                self.needs_review_[key] = True
        return self
