"""Active learning: which samples people should label next.

The pool is every sample without a person's label. A predictor is fit on the labelled ones and
scores the pool; the strategies read its class probabilities (``metadata["probabilities"]`` of the
prediction) or its embeddings:

- ``least_confidence``: 1 − p(top answer); ``margin``: 1 − (p1 − p2); ``entropy``: normalised entropy;
- ``disagreement``: vote split among the predictions already on a sample (pre-labels, several
  models), the fitted predictor and people — it also finds labelled samples whose pre-label
  people contradicted, worth a second look;
- ``diversity``: k-center greedy on embeddings, away from what is labelled;
- ``mix``: the most uncertain ``4 × batch`` by margin, then k-center greedy among them, so a batch
  is not ten near-copies of one hard case;
- ``random``: the baseline.

Every choice is seeded; ties break by a seeded random order, never by row order.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from labelloop.assist.predictors import (
    LocalPredictor,
    Predictor,
    TfidfFeatures,
    is_labelled,
    learnable,
    make_predictor,
)
from labelloop.data.model import DataSample, Dataset
from labelloop.errors import LabelloopError, UnknownNameError

STRATEGIES = ("least_confidence", "margin", "entropy", "disagreement", "diversity", "mix", "random")
MIX_FACTOR = 4


@dataclass
class Selection:
    """One sample to label next: its place in the batch, the strategy's score and why."""

    sample_id: str
    rank: int
    score: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def uncertainty(probs: dict[str, float], strategy: str) -> float:
    """How unsure a probability distribution is, in [0, 1] (1 = most unsure)."""
    p = sorted((float(v) for v in probs.values()), reverse=True)
    if not p:
        return 0.0
    if strategy == "least_confidence":
        return 1.0 - p[0]
    if strategy == "margin":
        return 1.0 - (p[0] - (p[1] if len(p) > 1 else 0.0))
    if strategy == "entropy":
        k = len(p)
        if k < 2:
            return 0.0
        h = -sum(x * math.log(x) for x in p if x > 0)
        return h / math.log(k)
    raise UnknownNameError(f"Unknown uncertainty measure {strategy!r}.")  # pragma: no cover


def k_center_greedy(x: np.ndarray, centers: Sequence[int], candidates: Sequence[int], k: int,
                    rng: random.Random) -> list[tuple[int, float]]:
    """Pick ``k`` of ``candidates`` (rows of unit vectors ``x``), each the farthest from everything picked so far."""
    cand = list(candidates)
    if not cand or k <= 0:
        return []
    xc = x[cand]
    if centers:
        sims = xc @ x[list(centers)].T
        dist = 1.0 - sims.max(axis=1)
    else:
        dist = np.full(len(cand), np.inf)
    jitter = np.array([rng.random() * 1e-9 for _ in cand])
    out: list[tuple[int, float]] = []
    taken = np.zeros(len(cand), dtype=bool)
    for _ in range(min(k, len(cand))):
        score = np.where(taken, -np.inf, dist + jitter)
        j = int(np.argmax(score))
        d = float(dist[j]) if np.isfinite(dist[j]) else 1.0
        out.append((cand[j], max(0.0, d)))
        taken[j] = True
        dist = np.minimum(dist, 1.0 - xc @ xc[j])
    return out


def _embed(model: Any, samples: list[DataSample], seed: int) -> np.ndarray:
    if hasattr(model, "embed"):
        return np.asarray(model.embed(samples), dtype=np.float64)
    feats = TfidfFeatures(seed=seed)
    from labelloop.assist.predictors import _sample_text

    texts = [_sample_text(s) for s in samples]
    feats.fit(texts)
    return feats.dense(texts)


def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


def select_batch(dataset: Dataset, *, strategy: str = "mix", batch_size: int = 20,
                 predictor: str | Predictor = "tfidf", seed: int = 0, label_kinds: Sequence[str] = ("human",),
                 question: str | None = None, fitted: bool = False) -> list[Selection]:
    """The next ``batch_size`` samples to label, best first.

    ``predictor`` is a name or a Predictor; pass ``fitted=True`` when it is already fit on the
    labelled samples. ``question`` picks whose uncertainty counts (default: the first one the
    predictor learns).
    """
    if strategy not in STRATEGIES:
        raise UnknownNameError(f"Unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}.")
    if batch_size < 1:
        raise LabelloopError(f"Batch size must be at least 1, not {batch_size}.")
    schema = dataset.schema
    if schema is None:
        raise LabelloopError(f"Dataset {dataset.name!r} carries no schema; add one (e.g. labelloop convert "
                             "with --template) before selecting.")
    kinds = tuple(label_kinds)
    rng = random.Random(seed)
    samples = list(dataset.samples)
    tiebreak = {s.id: rng.random() for s in samples}
    labelled = [s for s in samples if is_labelled(s, kinds)]
    pool = [s for s in samples if not is_labelled(s, kinds)]

    if strategy == "random":
        order = sorted(pool, key=lambda s: tiebreak[s.id])[:batch_size]
        return [Selection(s.id, r, 0.0, f"random (seed {seed})") for r, s in enumerate(order, 1)]

    model: Any = make_predictor(predictor, kinds=kinds, seed=seed) if isinstance(predictor, str) else predictor
    if not fitted and labelled:
        if isinstance(model, LocalPredictor):
            model.fit(labelled, schema, unlabelled=pool)
        else:
            model.fit(labelled, schema)
    trained = bool(labelled) and getattr(model, "fitted", True)

    if strategy == "disagreement":
        return _disagreement(samples, schema, model if trained else None, question, batch_size, tiebreak, kinds)

    if strategy in ("least_confidence", "margin", "entropy", "mix") and not trained:
        picks = _diverse(model, labelled, pool, batch_size, rng, seed)
        return [Selection(sid, r, d, f"cold start: no {'/'.join(kinds)} labels yet, so the most diverse "
                          f"(distance {d:.3f})") for r, (sid, d) in enumerate(picks, 1)]
    if strategy == "diversity":
        picks = _diverse(model, labelled, pool, batch_size, rng, seed)
        return [Selection(sid, r, d, f"far from the labelled samples (distance {d:.3f})")
                for r, (sid, d) in enumerate(picks, 1)]

    qname = question or _primary_question(model, schema)
    preds = model.predict(pool, schema)
    measure = "margin" if strategy == "mix" else strategy
    scored: list[tuple[DataSample, float, str]] = []
    for s, p in zip(pool, preds):
        probs = (p.metadata.get("probabilities") or {}).get(qname) if p is not None else None
        if probs:
            u = uncertainty(probs, measure)
            top = max(probs, key=lambda k: probs[k])
            scored.append((s, u, f"{measure} uncertainty {u:.3f} on {qname!r} (top {top!r} at {probs[top]:.2f})"))
        elif p is not None and p.score is not None:
            u = 1.0 - float(p.score)
            scored.append((s, u, f"1 − score {u:.3f}"))
        else:
            scored.append((s, 1.0, "no prediction"))
    scored.sort(key=lambda t: (-t[1], tiebreak[t[0].id]))
    if strategy != "mix":
        return [Selection(s.id, r, round(u, 6), why) for r, (s, u, why) in enumerate(scored[:batch_size], 1)]
    shortlist = scored[:MIX_FACTOR * batch_size]
    every = labelled + [t[0] for t in shortlist]
    x = _embed(model, every, seed)
    centers = list(range(len(labelled)))
    cand = list(range(len(labelled), len(every)))
    picks = k_center_greedy(x, centers, cand, batch_size, rng)
    out = []
    for r, (j, d) in enumerate(picks, 1):
        s, u, why = shortlist[j - len(labelled)]
        out.append(Selection(s.id, r, round(u, 6), f"{why}; distance {d:.3f} from labelled and earlier picks"))
    return out


def _primary_question(model: Any, schema: Any) -> str:
    have = getattr(model, "models", None)
    for q in schema.questions:
        if learnable(q) and (have is None or q.name in have):
            return q.name
    raise LabelloopError(f"Nothing in schema {schema.name!r} that the predictor learns (single choice, rating or "
                         "ranking questions with labels); use --strategy diversity or random.")


def _diverse(model: Any, labelled: list[DataSample], pool: list[DataSample], k: int, rng: random.Random,
             seed: int) -> list[tuple[str, float]]:
    if not pool:
        return []
    every = labelled + pool
    x = _embed(model, every, seed)
    centers = list(range(len(labelled)))
    if not centers:  # nothing labelled: start from the sample nearest the centre of the pool
        mean = x.mean(axis=0)
        first = int(np.argmax(x @ mean))
        rest = k_center_greedy(x, [first], [i for i in range(len(every)) if i != first], k - 1, rng)
        picks = [(first, 1.0), *rest]
    else:
        picks = k_center_greedy(x, centers, list(range(len(labelled), len(every))), k, rng)
    return [(every[i].id, round(d, 6)) for i, d in picks]


def _disagreement(samples: list[DataSample], schema: Any, model: Any, question: str | None, k: int,
                  tiebreak: dict[str, float], kinds: tuple[str, ...]) -> list[Selection]:
    qname = question or next((q.name for q in schema.questions if learnable(q)), None)
    if qname is None:
        raise LabelloopError(f"Schema {schema.name!r} has no question to compare answers on.")
    fresh = model.predict(samples, schema) if model is not None else [None] * len(samples)
    scored = []
    for s, p in zip(samples, fresh):
        votes: list[tuple[str, Any]] = []
        for a in s.annotations:
            if a.status != "submitted" or qname not in a.values:
                continue
            if a.kind == "prediction" or a.kind in kinds:
                votes.append(("people" if a.kind in kinds else a.annotator, a.values[qname]))
        if p is not None and qname in p.values:
            votes.append((p.annotator, p.values[qname]))
        if len(votes) < 2:
            continue
        counts = Counter(_key(v) for _, v in votes)
        top = counts.most_common(1)[0][1]
        split = 1.0 - top / len(votes)
        if split <= 0:
            continue
        shown = ", ".join(f"{who}: {json.dumps(v, default=str)}" for who, v in votes[:6])
        scored.append((s, split, f"answers to {qname!r} disagree ({shown})"))
    scored.sort(key=lambda t: (-t[1], tiebreak[t[0].id]))
    return [Selection(s.id, r, round(u, 6), why) for r, (s, u, why) in enumerate(scored[:k], 1)]


def selection_ids(path: Any) -> list[str]:
    """Sample ids from a selection file (JSONL / JSON of selections or ids, or plain text, one id a line)."""
    from pathlib import Path

    from labelloop.errors import InputFileError

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read the selection file {p}: {exc}.") from None
    ids: list[str] = []
    stripped = text.strip()
    if p.suffix.lower() == ".json" or stripped.startswith("["):
        try:
            data = json.loads(stripped or "[]")
        except json.JSONDecodeError as exc:
            raise InputFileError(f"Selection file {p} is not valid JSON: {exc.msg} (line {exc.lineno}).") from None
        items = data.get("selections", data) if isinstance(data, dict) else data
        for item in items if isinstance(items, list) else []:
            ids.append(str(item["sample_id"] if isinstance(item, dict) else item))
        return ids
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputFileError(f"{p}, line {n}: not valid JSON ({exc.msg}).") from None
            if "labelloop_dataset" in rec:  # the header line of a canonical dataset file
                continue
            sid = rec.get("sample_id", rec.get("id"))
            if sid is None:
                raise InputFileError(f"{p}, line {n}: no sample_id.")
            ids.append(str(sid))
        else:
            ids.append(line)
    return ids
