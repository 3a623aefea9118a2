"""Apply a merge strategy to a whole dataset: one ``aggregate`` annotation per sample.

A strategy (one of ``MERGE_STRATEGIES``, or of ``ADJUDICATION_STRATEGIES`` for ``adjudicate``)
names a method; each question gets the aggregator that fits its type (``Strategy.plan``), and a
question the strategy does not cover falls back to the type's default, which is recorded. This
module is the one place that knows the strategy names: front ends pass a name on and let an
unknown one fail here.
The aggregate annotation carries ``score`` = the lowest confidence over its questions and
``metadata = {"needs_review", "strategy", "questions": {name: {strategy, confidence,
needs_review, reason, votes…}}}``. Re-running a merge replaces its own earlier annotation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from labelloop.data.model import Annotation, Dataset
from labelloop.data.provenance import independent_view
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import LabelloopError
from labelloop.quality.aggregators import (
    Aggregator,
    BordaCount,
    BradleyTerryVote,
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
from labelloop.quality.aggregators.vote import check_experts, check_tie_breaker
from labelloop.quality.questions import resolve
from labelloop.quality.stat import Undefined
from labelloop.quality.units import ItemKey, Ratings, collect
from labelloop.registry import Registry

Candidates = dict[ItemKey, list[str]]  # item -> the sample's candidate ids, in order


@dataclass
class Options:
    tie_breaker: str = "review"
    experts: Sequence[str] = ()
    seed: int = 0
    min_agreement: float = 0.0
    min_confidence: float = 0.0
    round_to_scale: bool = False


@dataclass(frozen=True)
class Strategy:
    """A merge or adjudication rule: what it does, and the aggregator it picks for a question
    (``None``: the question type's default, which is then recorded as the method used)."""

    name: str
    description: str
    pick: Callable[[Question, Options, Candidates], Aggregator | None]

    def plan(self, question: Question, options: Options, candidates: Candidates | None = None) -> Aggregator:
        """The aggregator this strategy uses for ``question``, built with every parameter it needs."""
        cands = candidates or {}
        return self.pick(question, options, cands) or default_aggregator(question, options, cands)


# Registration order is the order users read them in (help texts, the unknown-name error).
MERGE_STRATEGIES: Registry[Strategy] = Registry("merge strategy", ordered=True)
ADJUDICATION_STRATEGIES: Registry[Strategy] = Registry("adjudication strategy", ordered=True)


def default_aggregator(question: Question, o: Options, candidates: Candidates) -> Aggregator:
    """What a question gets when the strategy does not cover its type."""
    if question.type in ("text", "span"):
        return KeepAll()
    if question.type == "multi_choice":
        return MultiChoiceVote("majority")
    if question.type == "ranking":
        return BordaCount(universes={k: question.allowed_values(ids) for k, ids in candidates.items()})
    return MajorityVote(tie_breaker=o.tie_breaker, experts=o.experts, seed=o.seed, min_agreement=o.min_agreement)


def _strategy(name: str, description: str, pick: Callable[[Question, Options, Candidates], Aggregator | None],
              *registries: Registry[Strategy]) -> Strategy:
    s = Strategy(name, description, pick)
    for r in registries:
        r.register(name, s)
    return s


def _unanimous(q: Question, o: Options, c: Candidates) -> Aggregator:
    return KeepAll() if q.type in ("text", "span") else Strict()


def _experts(q: Question, o: Options, c: Candidates) -> Aggregator:
    # the fallback is planned without the candidates, so a ranking's Borda count there knows only the
    # ids the rankings mention (as it always has)
    return ExpertPriority(o.experts, fallback=default_aggregator(q, o, {}))


_strategy("majority", "most frequent answer; ties need review unless --tie-breaker; multi-choice per option, "
          "rankings by Borda, text kept for review", lambda q, o, c: None, MERGE_STRATEGIES, ADJUDICATION_STRATEGIES)
_strategy("average", "ratings: the arithmetic mean (rounded to the scale only with round_to_scale); other "
          "questions as majority",
          lambda q, o, c: MeanRating(snap=o.round_to_scale) if q.type == "rating" else None, MERGE_STRATEGIES)
_strategy("median", "ratings: the median, snapped to the scale; other questions as majority",
          lambda q, o, c: MedianRating() if q.type == "rating" else None, MERGE_STRATEGIES)
_strategy("strict", "only unanimous answers; everything else needs review", _unanimous, MERGE_STRATEGIES)
_strategy("per-option", "multi-choice: options chosen by more than half",
          lambda q, o, c: MultiChoiceVote("majority") if q.type == "multi_choice" else None, MERGE_STRATEGIES)
_strategy("intersection", "multi-choice: options everyone chose",
          lambda q, o, c: MultiChoiceVote("intersection") if q.type == "multi_choice" else None, MERGE_STRATEGIES)
_strategy("union", "multi-choice: options anyone chose",
          lambda q, o, c: MultiChoiceVote("union") if q.type == "multi_choice" else None, MERGE_STRATEGIES)
_strategy("borda", "rankings: Borda count", lambda q, o, c: None, MERGE_STRATEGIES)
_strategy("dawid-skene", "choices and ratings: Dawid-Skene EM posterior, with annotator reliability",
          lambda q, o, c: DawidSkeneVote(min_confidence=o.min_confidence)
          if q.type in ("single_choice", "rating") else None, MERGE_STRATEGIES)
_strategy("weighted", "choices and ratings: majority weighted by reliability (agreement with the majority)",
          lambda q, o, c: WeightedMajority(tie_breaker=o.tie_breaker, experts=o.experts, seed=o.seed,
                                           min_agreement=o.min_agreement)
          if q.type in ("single_choice", "rating") else None, MERGE_STRATEGIES)
_strategy("bradley-terry", "preferences (choice among candidates, rankings): Bradley-Terry score per candidate",
          lambda q, o, c: BradleyTerryVote(candidates=c)
          if q.type == "ranking" or (q.type == "single_choice" and q.options_from_candidates) else None,
          MERGE_STRATEGIES)
_strategy("experts", "the answer of the highest-priority expert who gave one; the rest as majority", _experts,
          ADJUDICATION_STRATEGIES)
_strategy("longest", "text: the longest answer; other questions as majority",
          lambda q, o, c: LongestAnswer() if q.type == "text" else None, ADJUDICATION_STRATEGIES)
_strategy("review", "only unanimous answers; everything else goes to the review queue", _unanimous,
          ADJUDICATION_STRATEGIES)


def find_strategy(name: str | Strategy) -> Strategy:
    """A strategy by name: a merge strategy, else an adjudication one (unknown: the merge error)."""
    if isinstance(name, Strategy):
        return name
    if name not in MERGE_STRATEGIES and name in ADJUDICATION_STRATEGIES:
        return ADJUDICATION_STRATEGIES.get(name)
    return MERGE_STRATEGIES.get(name)


@dataclass
class QuestionDecisions:
    question: Question
    strategy: str
    ratings: Ratings
    decisions: dict[Any, Decision] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def decide(dataset: Dataset, strategy: str | Strategy, *, questions: Sequence[str] | None = None,
           schema: AnnotationSchema | None = None, kinds: Sequence[str] = ("human",),
           options: Options | None = None) -> list[QuestionDecisions]:
    """Per question, each item's decision under a strategy (a name or a ``Strategy``)."""
    strat = find_strategy(strategy)
    o = options or Options()
    check_tie_breaker(o.tie_breaker)
    if strat.name == "experts" or o.tie_breaker == "experts":
        check_experts(o.experts)
    qs, _ = resolve(dataset, schema, questions, kinds)
    candidates: Candidates = {(s.id, None): [c.id for c in s.candidates] for s in dataset.samples}
    out = []
    for q in qs:
        ratings = collect(dataset.samples, q, kinds=kinds)
        agg = strat.plan(q, o, candidates)
        try:
            decisions = agg.fit(ratings).predict() if len(ratings) else []
        except Undefined as exc:
            raise LabelloopError(f"Question {q.name!r}: {exc}.") from None
        qd = QuestionDecisions(q, agg.name, ratings, {k: d for k, d in zip(ratings.items, decisions, strict=True)
                                                      if d is not None})
        for attr in ("reliability_", "skills_"):
            if hasattr(agg, attr):
                qd.extra[attr.rstrip("_")] = getattr(agg, attr)
        out.append(qd)
    return out


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


def people_view(dataset: Dataset, schema: AnnotationSchema | None, questions: Sequence[str] | None,
                kinds: Sequence[str], include_accepted: bool
                ) -> tuple[Dataset, int, list[str], AnnotationSchema]:
    """What merge and adjudicate decide on: the dataset without accepted predictions (unless
    ``include_accepted``), how many were left out, and the questions and schema resolved on the whole
    dataset (so a question only an accepted prediction answered is still listed, with nothing decided)."""
    qs, _ = resolve(dataset, schema, questions, kinds)
    sch = schema or dataset.schema or AnnotationSchema(name="inferred", questions=qs)
    view, left_out = independent_view(dataset, include_accepted)
    return view, left_out, [q.name for q in qs], sch


def merge(dataset: Dataset, strategy: str = "majority", *, questions: Sequence[str] | None = None,
          schema: AnnotationSchema | None = None, include_predictions: bool = False, tie_breaker: str = "review",
          experts: Sequence[str] = (), seed: int = 0, min_agreement: float = 0.0, min_confidence: float = 0.0,
          annotator: str | None = None, include_accepted: bool = False,
          round_to_scale: bool = False) -> tuple[Dataset, dict[str, Any]]:
    """Merge every question under ``strategy`` (a name in ``MERGE_STRATEGIES``); returns the new
    dataset and a summary. Accepted predictions (``labelloop.data.provenance``) are no person's vote
    unless ``include_accepted``; they stay in the dataset, and the summary counts the ones left out.
    ``average`` keeps the arithmetic mean of the ratings (5/6 stays 0.8333…) unless ``round_to_scale``,
    which rounds it to the nearest point of the question's scale (halves up)."""
    strat = MERGE_STRATEGIES.get(strategy)
    kinds = ("human", "prediction") if include_predictions else ("human",)
    o = Options(tie_breaker=tie_breaker, experts=list(experts), seed=seed, min_agreement=min_agreement,
                min_confidence=min_confidence, round_to_scale=round_to_scale)
    view, left_out, names, sch = people_view(dataset, schema, questions, kinds, include_accepted)
    results = decide(view, strat, questions=names, schema=sch, kinds=kinds, options=o)
    out, _, summary = apply(dataset, results, strategy, annotator or f"merge:{strategy}", schema)
    summary["accepted_predictions_left_out"] = left_out
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
