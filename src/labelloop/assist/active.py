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

Each is a function of a ``Pool`` in ``SELECTION_STRATEGIES``. Every choice is seeded; ties break by
a seeded random order, never by row order.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from labelloop.assist.features import TfidfFeatures, sample_text
from labelloop.assist.predictors import LocalPredictor, Predictor, is_labelled, learnable, make_predictor
from labelloop.data.model import DataSample, Dataset
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import LabelloopError, ParameterError, UnknownNameError
from labelloop.registry import Registry

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


@dataclass
class Pool:
    """What a selection strategy reads: the samples split into labelled and not, the seeded
    randomness (``tiebreak`` drawn first, then ``rng`` for the strategy), and the predictor,
    fitted only when a strategy asks for it (``random`` never does)."""

    samples: list[DataSample]
    labelled: list[DataSample]
    unlabelled: list[DataSample]
    schema: AnnotationSchema
    kinds: tuple[str, ...]
    batch_size: int
    seed: int
    rng: random.Random
    tiebreak: dict[str, float]
    question: str | None
    predictor: str | Predictor
    fitted: bool
    _model: tuple[Any, bool] | None = field(default=None, init=False, repr=False)

    def model(self) -> tuple[Any, bool]:
        """The predictor, fit on the labelled samples unless it came fitted, and whether it learned anything."""
        if self._model is None:
            p = self.predictor
            model: Any = make_predictor(p, kinds=self.kinds, seed=self.seed) if isinstance(p, str) else p
            if not self.fitted and self.labelled:
                if isinstance(model, LocalPredictor):
                    model.fit(self.labelled, self.schema, unlabelled=self.unlabelled)
                else:
                    model.fit(self.labelled, self.schema)
            self._model = (model, bool(self.labelled) and getattr(model, "fitted", True))
        return self._model


SelectionStrategy = Callable[[Pool], list[Selection]]
# Registration order is the order users read them in; the kind keeps the error "Unknown strategy ...".
SELECTION_STRATEGIES: Registry[SelectionStrategy] = Registry("strategy", ordered=True)


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
    texts = [sample_text(s) for s in samples]
    feats.fit(texts)
    return feats.dense(texts)


def _key(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


def select_batch(dataset: Dataset, *, strategy: str = "mix", batch_size: int = 20,
                 predictor: str | Predictor = "tfidf", seed: int = 0, label_kinds: Sequence[str] = ("human",),
                 question: str | None = None, fitted: bool = False) -> list[Selection]:
    """The next ``batch_size`` samples to label, best first, by a strategy of ``SELECTION_STRATEGIES``.

    ``predictor`` is a name or a Predictor; pass ``fitted=True`` when it is already fit on the
    labelled samples. ``question`` picks whose uncertainty counts (default: the first one the
    predictor learns).
    """
    select = SELECTION_STRATEGIES.get(strategy)
    if batch_size < 1:
        raise ParameterError("batch_size", f"{{param}} must be at least 1, not {batch_size}.")
    schema = dataset.schema
    if schema is None:
        raise LabelloopError(f"Dataset {dataset.name!r} carries no schema; add one (e.g. labelloop convert "
                             "with --template) before selecting.")
    kinds = tuple(label_kinds)
    rng = random.Random(seed)
    samples = list(dataset.samples)
    tiebreak = {s.id: rng.random() for s in samples}
    return select(Pool(samples=samples, labelled=[s for s in samples if is_labelled(s, kinds)],
                       unlabelled=[s for s in samples if not is_labelled(s, kinds)], schema=schema, kinds=kinds,
                       batch_size=batch_size, seed=seed, rng=rng, tiebreak=tiebreak, question=question,
                       predictor=predictor, fitted=fitted))


def _cold_start(p: Pool, model: Any) -> list[Selection]:
    picks = _diverse(model, p.labelled, p.unlabelled, p.batch_size, p.rng, p.seed)
    return [Selection(sid, r, d, f"cold start: no {'/'.join(p.kinds)} labels yet, so the most diverse "
                      f"(distance {d:.3f})") for r, (sid, d) in enumerate(picks, 1)]


def _scored(p: Pool, model: Any, measure: str) -> list[tuple[DataSample, float, str]]:
    """The unlabelled samples, most uncertain first (ties in the seeded order)."""
    qname = p.question or _primary_question(model, p.schema)
    preds = model.predict(p.unlabelled, p.schema)
    scored: list[tuple[DataSample, float, str]] = []
    for s, pred in zip(p.unlabelled, preds):
        probs = (pred.metadata.get("probabilities") or {}).get(qname) if pred is not None else None
        if probs:
            u = uncertainty(probs, measure)
            top = max(probs, key=lambda k: probs[k])
            scored.append((s, u, f"{measure} uncertainty {u:.3f} on {qname!r} (top {top!r} at {probs[top]:.2f})"))
        elif pred is not None and pred.score is not None:
            u = 1.0 - float(pred.score)
            scored.append((s, u, f"1 − score {u:.3f}"))
        else:
            scored.append((s, 1.0, "no prediction"))
    scored.sort(key=lambda t: (-t[1], p.tiebreak[t[0].id]))
    return scored


def _by_uncertainty(measure: str) -> SelectionStrategy:
    def select(p: Pool) -> list[Selection]:
        model, trained = p.model()
        if not trained:
            return _cold_start(p, model)
        scored = _scored(p, model, measure)
        return [Selection(s.id, r, round(u, 6), why) for r, (s, u, why) in enumerate(scored[:p.batch_size], 1)]

    select.__doc__ = f"The samples the predictor is least sure of, by {measure}."
    return select


for _measure in ("least_confidence", "margin", "entropy"):
    SELECTION_STRATEGIES.register(_measure, _by_uncertainty(_measure))


@SELECTION_STRATEGIES.register("disagreement")
def _select_disagreement(p: Pool) -> list[Selection]:
    """Samples whose answers (pre-labels, the fitted predictor, people) split most."""
    model, trained = p.model()
    return _disagreement(p.samples, p.schema, model if trained else None, p.question, p.batch_size, p.tiebreak,
                         p.kinds)


@SELECTION_STRATEGIES.register("diversity")
def _select_diversity(p: Pool) -> list[Selection]:
    """k-center greedy on embeddings, away from what is labelled."""
    model, _ = p.model()
    picks = _diverse(model, p.labelled, p.unlabelled, p.batch_size, p.rng, p.seed)
    return [Selection(sid, r, d, f"far from the labelled samples (distance {d:.3f})")
            for r, (sid, d) in enumerate(picks, 1)]


@SELECTION_STRATEGIES.register("mix")
def _select_mix(p: Pool) -> list[Selection]:
    """The most uncertain ``MIX_FACTOR × batch`` by margin, then k-center greedy among them."""
    model, trained = p.model()
    if not trained:
        return _cold_start(p, model)
    shortlist = _scored(p, model, "margin")[:MIX_FACTOR * p.batch_size]
    every = p.labelled + [t[0] for t in shortlist]
    x = _embed(model, every, p.seed)
    centers = list(range(len(p.labelled)))
    cand = list(range(len(p.labelled), len(every)))
    picks = k_center_greedy(x, centers, cand, p.batch_size, p.rng)
    out = []
    for r, (j, d) in enumerate(picks, 1):
        s, u, why = shortlist[j - len(p.labelled)]
        out.append(Selection(s.id, r, round(u, 6), f"{why}; distance {d:.3f} from labelled and earlier picks"))
    return out


@SELECTION_STRATEGIES.register("random")
def _select_random(p: Pool) -> list[Selection]:
    """The baseline: a seeded random order, without fitting anything."""
    order = sorted(p.unlabelled, key=lambda s: p.tiebreak[s.id])[:p.batch_size]
    return [Selection(s.id, r, 0.0, f"random (seed {p.seed})") for r, s in enumerate(order, 1)]


def _primary_question(model: Any, schema: Any) -> str:
    have = getattr(model, "models", None)
    for q in schema.questions:
        if learnable(q) and (have is None or q.name in have):
            return q.name
    raise ParameterError("strategy", f"Nothing in schema {ParameterError.literal(repr(schema.name))} that the "
                                     "predictor learns (single choice, rating or ranking questions with labels); use "
                                     "{param} diversity or random.")


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
