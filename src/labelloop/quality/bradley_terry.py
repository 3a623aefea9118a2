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


# ---------------------------------------------------------------------- maximum likelihood on a logit scale
# The leaderboard (``labelloop.quality.leaderboard``) needs what ``fit_strengths`` does not give: the plain
# maximum-likelihood fit (no prior) as Chatbot Arena computes it, covariates beside the players (the screen
# position), and thousands of bootstrap refits of a million comparisons. So the games are first counted into
# unique rows (who against whom, at which positions, with which outcome) and the log-likelihood is maximised by
# Newton's method over those rows: the cost of a refit is the number of distinct rows, not of comparisons.
def fit_logit(plus: np.ndarray, minus: np.ndarray, outcome: np.ndarray, weight: np.ndarray, n_params: int,
              n_players: int, *, n_iter: int = 100, tol: float = 1e-10, max_abs: float = 60.0,
              ) -> tuple[np.ndarray, bool]:
    """Bradley-Terry log-strengths (natural log odds) by Newton's method, and whether it converged.

    Row ``r`` says: the parameters ``plus[r]`` (a 2-d array of column indices, -1 for none) against
    ``minus[r]`` gave ``outcome[r]`` (1 a win, 0.5 a tie, 0 a loss for the plus side) ``weight[r]`` times;
    P(plus side wins) = sigmoid(sum of plus parameters - sum of minus parameters). The first ``n_players``
    parameters are the players, whose sum is held at 0 (the likelihood does not see a common shift); the rest
    are covariates. A tie counts as half a win and half a loss, so it is the same fit as half a win each way.
    ``max_abs``: a parameter that grows past it means the maximum does not exist (a player never lost or never
    won against the rest): the fit stops and says it did not converge.

    Each row has a few ±1 entries, so the gradient and the Hessian are sums by index (``np.bincount``), not
    products of a dense design matrix: no BLAS, linear in the rows.
    """
    keep = weight > 0
    cols = np.concatenate([plus[keep], minus[keep]], axis=1).astype(np.int64)
    signs = np.concatenate([np.ones(plus.shape[1]), -np.ones(minus.shape[1])])
    y, w = outcome[keep].astype(float), weight[keep].astype(float)
    slots = [(cols[:, k] >= 0, np.where(cols[:, k] >= 0, cols[:, k], 0), signs[k]) for k in range(cols.shape[1])]
    pin = np.zeros(n_params)
    pin[:n_players] = 1.0
    pin_h = np.outer(pin, pin)
    beta = np.zeros(n_params)

    def eta_of(b: np.ndarray) -> np.ndarray:
        eta = np.zeros(len(y))
        for ok, c, sg in slots:
            eta += np.where(ok, sg * b[c], 0.0)
        return eta

    def loglik(b: np.ndarray) -> float:
        eta = eta_of(b)
        return float((w * (y * -np.logaddexp(0.0, -eta) + (1.0 - y) * -np.logaddexp(0.0, eta))).sum())

    ll = loglik(beta)
    grad = np.zeros(n_params)
    for _ in range(n_iter):
        p = 1.0 / (1.0 + np.exp(-eta_of(beta)))
        r = w * (y - p)
        v = w * p * (1.0 - p)
        grad = -pin * pin.dot(beta)
        hess = pin_h.copy()
        for ok, c, sg in slots:
            grad += np.bincount(c, weights=np.where(ok, sg * r, 0.0), minlength=n_params)
            for ok2, c2, sg2 in slots:
                hess += np.bincount(c * n_params + c2, weights=np.where(ok & ok2, sg * sg2 * v, 0.0),
                                    minlength=n_params * n_params).reshape(n_params, n_params)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        t = 1.0
        while True:
            new = beta + t * step
            new_ll = loglik(new)
            if new_ll >= ll - 1e-12 or t < 1e-8:
                break
            t /= 2.0
        beta, ll = new, new_ll
        if np.abs(beta).max() > max_abs:
            return beta, False
        if np.abs(t * step).max() < tol:
            return beta, True
    return beta, bool(np.abs(grad).max() < 1e-6)


def strongly_connected(n: int, beats: np.ndarray) -> bool:
    """Whether every player can be reached from every other by "beat (or tied) someone who beat …" links:
    Zermelo's condition for the maximum-likelihood strengths to exist. ``beats[i, j]`` > 0 when i beat j."""
    if n <= 1:
        return True
    adj = beats > 0

    def reach(a: np.ndarray) -> bool:
        seen = np.zeros(n, bool)
        seen[0] = True
        stack = [0]
        while stack:
            i = stack.pop()
            for j in np.nonzero(a[i] & ~seen)[0]:
                seen[j] = True
                stack.append(int(j))
        return bool(seen.all())

    return reach(adj) and reach(adj.T)
