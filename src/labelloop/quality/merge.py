"""Apply a merge strategy to a whole dataset: one ``aggregate`` annotation per sample.

A strategy names a method; each question gets the aggregator that fits its type (``plan``), and
a question the strategy does not cover falls back to the type's default, which is recorded.
The aggregate annotation carries ``score`` = the lowest confidence over its questions and
``metadata = {"needs_review", "strategy", "questions": {name: {strategy, confidence,
needs_review, reason, votes…}}}``. Re-running a merge replaces its own earlier annotation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from labelloop.data.model import Annotation, Dataset
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import LabelloopError, UnknownNameError
from labelloop.quality.aggregate import (
    TIE_BREAKERS,
    Aggregator,
    BordaCount,
    DawidSkeneVote,
    Decision,
    ExpertPriority,
    KeepAll,
    LongestAnswer,
    MajorityVote,
    MeanRating,
    MedianRating,
    MultiChoiceVote,
    Strict,
    WeightedMajority,
)
from labelloop.quality.bradley_terry import BradleyTerry, comparisons
from labelloop.quality.questions import resolve
from labelloop.quality.stat import Undefined
from labelloop.quality.units import Ratings, collect, latest_by_annotator

STRATEGIES: dict[str, str] = {
    "majority": "most frequent answer; ties need review unless --tie-breaker; multi-choice per option, "
                "rankings by Borda, text kept for review",
    "average": "ratings: the mean, snapped to the scale; other questions as majority",
    "median": "ratings: the median, snapped to the scale; other questions as majority",
    "strict": "only unanimous answers; everything else needs review",
    "per-option": "multi-choice: options chosen by more than half",
    "intersection": "multi-choice: options everyone chose",
    "union": "multi-choice: options anyone chose",
    "borda": "rankings: Borda count",
    "dawid-skene": "choices and ratings: Dawid-Skene EM posterior, with annotator reliability",
    "weighted": "choices and ratings: majority weighted by reliability (agreement with the majority)",
    "bradley-terry": "preferences (choice among candidates, rankings): Bradley-Terry score per candidate",
}
ADJUDICATION = ("majority", "experts", "longest", "review")


@dataclass
class Options:
    tie_breaker: str = "review"
    experts: Sequence[str] = ()
    seed: int = 0
    min_agreement: float = 0.0
    min_confidence: float = 0.0


def _default(question: Question, o: Options) -> Aggregator:
    if question.type in ("text", "span"):
        return KeepAll()
    if question.type == "multi_choice":
        return MultiChoiceVote("majority")
    if question.type == "ranking":
        return BordaCount()
    return MajorityVote(tie_breaker=o.tie_breaker, experts=o.experts, seed=o.seed, min_agreement=o.min_agreement)


def plan(strategy: str, question: Question, o: Options) -> Aggregator | str:
    """The aggregator for one question (or "bradley-terry", which needs candidate ids)."""
    t = question.type
    if strategy in ("strict", "review"):  # only unanimous answers are decided; the rest wait for a person
        return KeepAll() if t in ("text", "span") else Strict()
    if strategy in ("average", "median") and t == "rating":
        return MeanRating() if strategy == "average" else MedianRating()
    if strategy in ("per-option", "intersection", "union") and t == "multi_choice":
        return MultiChoiceVote({"per-option": "majority"}.get(strategy, strategy))
    if strategy == "dawid-skene" and t in ("single_choice", "rating"):
        return DawidSkeneVote(min_confidence=o.min_confidence)
    if strategy == "weighted" and t in ("single_choice", "rating"):
        return WeightedMajority(tie_breaker=o.tie_breaker, experts=o.experts, seed=o.seed,
                                min_agreement=o.min_agreement)
    if strategy == "bradley-terry" and (t == "ranking" or (t == "single_choice" and question.options_from_candidates)):
        return "bradley-terry"
    if strategy == "experts":
        return ExpertPriority(o.experts, fallback=_default(question, o))
    if strategy == "longest" and t == "text":
        return LongestAnswer()
    return _default(question, o)


@dataclass
class QuestionDecisions:
    question: Question
    strategy: str
    ratings: Ratings
    decisions: dict[Any, Decision] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def decide(dataset: Dataset, strategy: str, *, questions: Sequence[str] | None = None,
           schema: AnnotationSchema | None = None, kinds: Sequence[str] = ("human",),
           options: Options | None = None) -> list[QuestionDecisions]:
    """Per question, each item's decision under ``strategy``."""
    if strategy not in STRATEGIES and strategy not in ADJUDICATION:
        known = ", ".join([*STRATEGIES, *ADJUDICATION[1:]])
        raise UnknownNameError(f"Unknown strategy {strategy!r}; known: {known}.")
    o = options or Options()
    if o.tie_breaker not in TIE_BREAKERS:
        raise UnknownNameError(f"Unknown tie-breaker {o.tie_breaker!r}; known: {', '.join(TIE_BREAKERS)}.")
    if (strategy == "experts" or o.tie_breaker == "experts") and not o.experts:
        raise LabelloopError("Expert priority needs a list of experts (--experts a,b).")
    qs, _ = resolve(dataset, schema, questions, kinds)
    out = []
    for q in qs:
        ratings = collect(dataset.samples, q, kinds=kinds)
        agg = plan(strategy, q, o)
        if agg == "bradley-terry":
            out.append(_bradley_terry(dataset, q, ratings, kinds))
            continue
        assert isinstance(agg, Aggregator)
        if isinstance(agg, BordaCount):
            agg.universes = {(s.id, None): q.allowed_values([c.id for c in s.candidates]) for s in dataset.samples}
        try:
            decisions = agg.fit(ratings).predict() if len(ratings) else []
        except Undefined as exc:
            raise LabelloopError(f"Question {q.name!r}: {exc}.") from None
        qd = QuestionDecisions(q, agg.name, ratings, dict(zip(ratings.items, decisions, strict=True)))
        for attr in ("reliability_", "skills_"):
            if hasattr(agg, attr):
                qd.extra[attr.rstrip("_")] = getattr(agg, attr)
        out.append(qd)
    return out


def _bradley_terry(dataset: Dataset, q: Question, ratings: Ratings, kinds: Sequence[str]) -> QuestionDecisions:
    per_item: dict[Any, tuple[list[str], list[tuple[str, str, float]]]] = {}
    for s in dataset.samples:
        cids = [c.id for c in s.candidates]
        games: list[tuple[str, str, float]] = []
        for ann in latest_by_annotator(s, kinds).values():
            v = ann.values.get(q.name)
            if v is not None:
                games += comparisons(q, v, cids)
        if games:
            per_item[(s.id, None)] = (cids, games)
    bt = BradleyTerry().fit(per_item)
    qd = QuestionDecisions(q, "bradley-terry", ratings)
    for key, order in bt.order_.items():
        value: Any = order if q.type == "ranking" else order[0]
        d = Decision(value, bt.confidence_[key], bt.needs_review_[key],
                     details={"scores": {c: bt.scores_[key][c] for c in order}})
        if d.needs_review:
            d.value, d.reason = None, "equal Bradley-Terry scores at the top"
        qd.decisions[key] = d
    return qd


# ---------------------------------------------------------------------- writing
def _combine(decs: dict[str | None, Decision]) -> Decision:
    """One per-candidate question's decisions as one value {candidate: value}."""
    if list(decs) == [None]:
        return decs[None]
    confs = [d.confidence for d in decs.values() if d.confidence is not None]
    reasons = [f"candidate {c}: {d.reason}" for c, d in decs.items() if d.reason]
    return Decision(
        value={c: d.value for c, d in decs.items() if d.value is not None} or None,
        confidence=min(confs) if confs else None,
        needs_review=any(d.needs_review for d in decs.values()),
        reason="; ".join(reasons) or None,
        details={"candidates": {c: {"confidence": d.confidence, "needs_review": d.needs_review, **d.details}
                                for c, d in decs.items()}})


def per_sample(results: list[QuestionDecisions]) -> dict[str, dict[str, tuple[str, Decision]]]:
    """sample id → question → (strategy used, decision)."""
    out: dict[str, dict[str, tuple[str, Decision]]] = {}
    for qd in results:
        grouped: dict[str, dict[str | None, Decision]] = {}
        for (sid, cid), d in qd.decisions.items():
            grouped.setdefault(sid, {})[cid] = d
        for sid, decs in grouped.items():
            out.setdefault(sid, {})[qd.question.name] = (qd.strategy, _combine(decs))
    return out


def write_aggregates(dataset: Dataset, decisions: dict[str, dict[str, tuple[str, Decision]]], annotator: str,
                     strategy: str) -> Dataset:
    """A copy of ``dataset`` with one aggregate annotation per decided sample (replacing an earlier
    one by the same annotator)."""
    ds = dataset.model_copy(deep=True)
    for s in ds.samples:
        per_q = decisions.get(s.id)
        if not per_q:
            continue
        values: dict[str, Any] = {}
        meta_q: dict[str, Any] = {}
        confs: list[float] = []
        for name, (used, d) in per_q.items():
            if d.value is not None:
                values[name] = d.value
            if d.confidence is not None:
                confs.append(d.confidence)
            meta_q[name] = {"strategy": used, "confidence": d.confidence, "needs_review": d.needs_review,
                            **({"reason": d.reason} if d.reason else {}), **d.details}
        ann = Annotation(annotator=annotator, kind="aggregate", values=values, score=min(confs) if confs else None,
                         status="submitted", origin="labelloop.quality",
                         metadata={"needs_review": any(m["needs_review"] for m in meta_q.values()),
                                   "strategy": strategy, "questions": meta_q})
        for i, old in enumerate(s.annotations):
            if old.kind == "aggregate" and old.annotator == annotator:
                s.annotations[i] = ann
                break
        else:
            s.annotations.append(ann)
    return ds


def summarize(results: list[QuestionDecisions], by_sample: dict[str, dict[str, tuple[str, Decision]]],
              strategy: str, annotator: str, n_samples: int) -> dict[str, Any]:
    questions = {}
    for qd in results:
        decs = list(qd.decisions.values())
        questions[qd.question.name] = {
            "strategy": qd.strategy, "items": len(decs),
            "decided": sum(d.value is not None for d in decs),
            "needs_review": sum(d.needs_review for d in decs), **qd.extra}
    review = sum(any(d.needs_review for _, d in qs.values()) for qs in by_sample.values())
    return {"strategy": strategy, "annotator": annotator, "samples": n_samples, "merged_samples": len(by_sample),
            "needs_review_samples": review, "questions": questions}


def merge(dataset: Dataset, strategy: str = "majority", *, questions: Sequence[str] | None = None,
          schema: AnnotationSchema | None = None, include_predictions: bool = False, tie_breaker: str = "review",
          experts: Sequence[str] = (), seed: int = 0, min_agreement: float = 0.0, min_confidence: float = 0.0,
          annotator: str | None = None) -> tuple[Dataset, dict[str, Any]]:
    """Merge every question under ``strategy``; returns the new dataset and a summary."""
    kinds = ("human", "prediction") if include_predictions else ("human",)
    o = Options(tie_breaker=tie_breaker, experts=list(experts), seed=seed, min_agreement=min_agreement,
                min_confidence=min_confidence)
    results = decide(dataset, strategy, questions=questions, schema=schema, kinds=kinds, options=o)
    out, _, summary = apply(dataset, results, strategy, annotator or f"merge:{strategy}", schema)
    return out, summary


def apply(dataset: Dataset, results: list[QuestionDecisions], strategy: str, annotator: str,
          schema: AnnotationSchema | None = None,
          ) -> tuple[Dataset, dict[str, dict[str, tuple[str, Decision]]], dict[str, Any]]:
    """Write ``results`` as aggregate annotations; returns the new dataset, the decisions per sample
    and a summary (shared by ``merge`` and ``adjudicate``)."""
    by_sample = per_sample(results)
    out = write_aggregates(dataset, by_sample, annotator, strategy)
    if schema is not None and out.schema is None:
        out.schema = schema
    return out, by_sample, summarize(results, by_sample, strategy, annotator, len(dataset.samples))
