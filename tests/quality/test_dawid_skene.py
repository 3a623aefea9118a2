"""Dawid-Skene on simulated annotators with known confusion matrices, some of them spammers."""

from __future__ import annotations

import numpy as np
import pytest

from labelloop.quality.aggregators import DawidSkeneVote, MajorityVote, WeightedMajority
from labelloop.quality.dawid_skene import DawidSkene
from labelloop.quality.units import Ratings

K = 3


def _confusion(acc: float, bias_to: int | None = None) -> np.ndarray:
    m = np.full((K, K), (1 - acc) / (K - 1))
    np.fill_diagonal(m, acc)
    if bias_to is not None:  # errors all go to one class
        for k in range(K):
            if k != bias_to:
                m[k] = 0.0
                m[k, k] = acc
                m[k, bias_to] = 1 - acc
    return m


WORKERS = {
    "good1": _confusion(0.85), "good2": _confusion(0.8), "good3": _confusion(0.75, bias_to=2),
    "ok1": _confusion(0.65), "ok2": _confusion(0.6, bias_to=0),
    "spam_random": np.full((K, K), 1 / K),
    "spam_constant": np.tile(np.eye(K)[0], (K, 1)),
}


def simulate(n_tasks: int = 3000, coverage: float = 0.7, seed: int = 0):
    rng = np.random.default_rng(seed)
    truth = rng.choice(K, n_tasks, p=[0.5, 0.3, 0.2])
    tasks, workers, labels = [], [], []
    for name, conf in WORKERS.items():
        mask = rng.random(n_tasks) < coverage
        for t in np.flatnonzero(mask):
            tasks.append(int(t))
            workers.append(name)
            labels.append(f"c{rng.choice(K, p=conf[truth[t]])}")
    return Ratings.from_triples(tasks, workers, labels), truth


def _accuracy(ratings: Ratings, labels: list, truth: np.ndarray) -> float:
    return float(np.mean([lab == f"c{truth[t]}" for t, lab in zip(ratings.items, labels, strict=True)]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dawid_skene_beats_majority_and_ranks_spammers_last(seed: int) -> None:
    ratings, truth = simulate(seed=seed)
    ds = DawidSkeneVote().fit(ratings)
    mv = MajorityVote(tie_breaker="random", seed=seed).fit(ratings)
    acc_ds, acc_mv = _accuracy(ratings, ds.labels_, truth), _accuracy(ratings, mv.labels_, truth)
    assert acc_ds > acc_mv + 0.02
    order = [r["annotator"] for r in ds.reliability_]
    assert set(order[-2:]) == {"spam_random", "spam_constant"}
    rel = {r["annotator"]: r["reliability"] for r in ds.reliability_}
    assert abs(rel["spam_random"]) < 0.1 and abs(rel["spam_constant"]) < 0.1
    assert rel["good1"] > 0.6


def test_recovers_the_confusion_matrices() -> None:
    ratings, _ = simulate(n_tasks=6000, coverage=0.8, seed=5)
    model = DawidSkene().fit(ratings)
    classes = [ratings.categories.index(f"c{k}") for k in range(K)]
    for name in ("good1", "good3", "spam_constant"):
        w = ratings.annotators.index(name)
        est = model.errors_[w][np.ix_(classes, classes)]
        assert np.abs(est - WORKERS[name]).max() < 0.05
    assert model.priors_[classes] == pytest.approx([0.5, 0.3, 0.2], abs=0.03)


def test_posteriors_are_probabilities_and_deterministic() -> None:
    ratings, _ = simulate(n_tasks=500, seed=3)
    a = DawidSkene().fit(ratings)
    b = DawidSkene().fit(ratings)
    assert np.array_equal(a.posteriors_, b.posteriors_)
    assert np.allclose(a.posteriors_.sum(axis=1), 1.0)
    decisions = DawidSkeneVote().fit(ratings).predict()
    assert all(d.confidence == pytest.approx(float(p.max())) for d, p in zip(decisions, a.posteriors_, strict=True))


def test_weighted_majority_downweights_spammers() -> None:
    ratings, truth = simulate(seed=4)
    wm = WeightedMajority().fit(ratings)
    assert wm.skills_["good1"] > wm.skills_["spam_random"]
    ds_weighted = WeightedMajority(skills="dawid-skene").fit(ratings)
    assert ds_weighted.skills_["spam_random"] < 0.1
    mv = MajorityVote(tie_breaker="random").fit(ratings)
    assert _accuracy(ratings, ds_weighted.labels_, truth) > _accuracy(ratings, mv.labels_, truth)
