"""Seeded synthetic labelled pools and the active-learning simulation the benchmark runs.

The pools have a hidden scoring rule (marker words with different weights, plus noise), so a
model needs labels to learn it and some items are much harder than others: the setting where
choosing what to label matters.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.templates import TEMPLATES

TOPICS = ["tides", "volcanoes", "compilers", "bread", "taxes", "orbits", "vaccines", "chess", "rivers", "jazz",
          "batteries", "glaciers", "bees", "bridges", "markets", "poetry", "clouds", "enzymes", "maps", "engines"]
GOOD = ["because", "for example", "specifically", "measured", "evidence", "step by step", "in summary", "verified",
        "precisely", "the reason", "data shows", "consider", "defined as", "in practice", "first", "therefore"]
BAD = ["maybe", "whatever", "not sure", "probably", "i guess", "lol", "who knows", "kind of", "stuff",
       "basically", "anyway", "sort of", "honestly", "idk", "random", "somehow"]
FILLER = ["the", "a", "it", "is", "this", "that", "works", "about", "which", "often", "some", "many", "with",
          "when", "where", "also", "more", "less", "very", "quite"]


def _answer(rng: random.Random, topic: str, w_good: dict[str, float], w_bad: dict[str, float],
            level: float) -> tuple[str, float]:
    """An answer whose hidden quality rises with ``level`` (share of good markers)."""
    n_markers = rng.randint(2, 5)
    words: list[str] = [topic]
    quality = 0.0
    for _ in range(n_markers):
        if rng.random() < level:
            m = rng.choice(GOOD)
            quality += w_good[m]
        else:
            m = rng.choice(BAD)
            quality -= w_bad[m]
        words.append(m)
    words += rng.choices(FILLER, k=rng.randint(6, 14))
    rng.shuffle(words)
    return " ".join(words).capitalize() + ".", quality


def synthetic_preferences(n: int, seed: int = 0, noise: float = 0.05) -> Dataset:
    """``n`` pairwise samples (rewardbench schema); the true better answer is a ``reference`` label."""
    rng = random.Random(seed)
    wr = random.Random(12345)  # the hidden rule is the same for every seed
    w_good = {m: wr.uniform(0.2, 2.0) for m in GOOD}
    w_bad = {m: wr.uniform(0.2, 2.0) for m in BAD}
    samples = []
    for i in range(n):
        topic = rng.choice(TOPICS)
        prompt = f"Explain {topic} to a curious student ({i})."
        a, qa = _answer(rng, topic, w_good, w_bad, rng.random())
        b, qb = _answer(rng, topic, w_good, w_bad, rng.random())
        better = "0" if qa >= qb else "1"
        if rng.random() < noise:
            better = "1" if better == "0" else "0"
        samples.append(DataSample(
            id=f"p{seed}-{i:05d}", prompt=[Message(role="user", content=prompt)],
            candidates=[Candidate(id="0", content=a), Candidate(id="1", content=b)],
            annotations=[Annotation(annotator="oracle", kind="reference", values={"preference": better})]))
    return Dataset(name=f"synthetic-preferences-{seed}", samples=samples, schema=TEMPLATES.get("rewardbench")())


def synthetic_choices(n: int, seed: int = 0, noise: float = 0.05) -> Dataset:
    """``n`` one-answer samples labelled good/bad (single_choice schema) as ``reference``."""
    rng = random.Random(seed)
    wr = random.Random(12345)
    w_good = {m: wr.uniform(0.2, 2.0) for m in GOOD}
    w_bad = {m: wr.uniform(0.2, 2.0) for m in BAD}
    samples = []
    for i in range(n):
        topic = rng.choice(TOPICS)
        text, q = _answer(rng, topic, w_good, w_bad, rng.random())
        label = "good" if q >= 0 else "bad"
        if rng.random() < noise:
            label = "bad" if label == "good" else "good"
        samples.append(DataSample(
            id=f"c{seed}-{i:05d}", prompt=[Message(role="user", content=f"Tell me about {topic} ({i}).")],
            candidates=[Candidate(id="0", content=text)],
            annotations=[Annotation(annotator="oracle", kind="reference", values={"label": label})]))
    return Dataset(name=f"synthetic-choices-{seed}", samples=samples, schema=TEMPLATES.get("single_choice")())


def reveal(sample: DataSample) -> DataSample:
    """The sample with its reference label given as a person's (the simulated annotator)."""
    s = sample.model_copy(deep=True)
    s.annotations = [a.model_copy(update={"kind": "human", "annotator": "simulated"}) for a in s.annotations
                     if a.kind == "reference"]
    return s


def accuracy(predictions: Sequence[Annotation | None], samples: Sequence[DataSample], question: str) -> float:
    """Share of samples whose predicted value equals the reference (a missing prediction counts wrong)."""
    hits = 0
    for p, s in zip(predictions, samples):
        ref = next((a.values.get(question) for a in s.annotations if a.kind == "reference"), None)
        hits += int(p is not None and p.values.get(question) == ref)
    return hits / max(1, len(samples))


def simulate_active(pool: Dataset, test: Dataset, *, strategies: Sequence[str], budget: int, step: int,
                    seeds: Sequence[int], predictor: str = "tfidf", initial: int | None = None,
                    question: str | None = None) -> dict[str, Any]:
    """Label ``step`` samples at a time chosen by each strategy; test accuracy after every round, per seed."""
    from labelloop.assist.active import select_batch
    from labelloop.assist.predictors import make_predictor

    schema = pool.schema
    assert schema is not None
    qname = question or schema.questions[0].name
    initial = step if initial is None else initial
    curves: dict[str, list[list[float]]] = {s: [] for s in strategies}
    sizes: list[int] = []
    for seed in seeds:
        for strategy in strategies:
            rng = random.Random(seed)
            order = list(range(len(pool.samples)))
            rng.shuffle(order)
            labelled = {pool.samples[i].id for i in order[:initial]}
            accs: list[float] = []
            sizes_here: list[int] = []
            while True:
                samples = [reveal(s) if s.id in labelled else s.model_copy(update={"annotations": []})
                           for s in pool.samples]
                ds = Dataset(name=pool.name, samples=samples, schema=schema)
                model = make_predictor(predictor, seed=seed)
                fit_samples = [s for s in samples if s.id in labelled]
                model.fit(fit_samples, schema, unlabelled=[s for s in samples if s.id not in labelled])
                accs.append(accuracy(model.predict(test.samples, schema), test.samples, qname))
                sizes_here.append(len(labelled))
                if len(labelled) >= budget:
                    break
                k = min(step, budget - len(labelled))
                picked = select_batch(ds, strategy=strategy, batch_size=k, predictor=model, seed=seed, fitted=True)
                labelled |= {p.sample_id for p in picked}
            curves[strategy].append(accs)
            sizes = sizes_here
    mean = {s: [float(np.mean(col)) for col in zip(*runs)] for s, runs in curves.items()}
    return {"labels": sizes, "accuracy": mean, "runs": curves}


def labels_to_reach(labels: Sequence[int], curve: Sequence[float], target: float) -> int | None:
    """The first label count at which a mean curve reaches ``target`` (None if it never does)."""
    for n, acc in zip(labels, curve):
        if acc >= target - 1e-12:
            return n
    return None
