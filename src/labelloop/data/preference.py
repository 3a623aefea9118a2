"""Reading a preference out of annotation values, and choosing which label a training export uses.

A preference is a list of tiers of candidate ids, best tier first. Every question type that can
express a preference maps onto it: a ranking, a choice among candidates, the set of correct
candidates, or per-candidate ratings.
"""

from __future__ import annotations

from typing import Any, Literal

from labelloop.data.model import Annotation, DataSample
from labelloop.data.provenance import independent
from labelloop.data.schema import AnnotationSchema, Question, ranking_tiers

LabelSource = Literal["auto", "aggregate", "human", "reference"]
Tiers = list[list[str]]


def canonical(value: Any) -> Any:
    """A hashable form where 1 and 1.0 are equal and lists compare by content."""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return tuple(canonical(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, canonical(v)) for k, v in value.items()))
    return value


def preference_questions(schema: AnnotationSchema | None, values_seen: set[str] | None = None) -> list[Question]:
    """Questions a preference can be read from, best first: ranking, choice, correct-set, rating."""
    if schema is None:
        return []
    order = [
        lambda q: q.type == "ranking" and q.options_from_candidates,
        lambda q: q.type == "single_choice" and q.options_from_candidates,
        lambda q: q.type == "multi_choice" and q.options_from_candidates,
        lambda q: q.type == "rating" and q.per_candidate,
    ]
    return [q for test in order for q in schema.questions if test(q) and (values_seen is None or q.name in values_seen)]


def preference_question(schema: AnnotationSchema | None, values_seen: set[str] | None = None) -> Question | None:
    found = preference_questions(schema, values_seen)
    return found[0] if found else None


def tiers_from_value(question: Question, value: Any, candidate_ids: list[str]) -> Tiers | None:
    """Tiers of candidate ids, or None when the value states no preference (tie, both bad)."""
    ids = list(candidate_ids)
    if value is None:
        return None
    if question.type == "ranking":
        # an item is an id or a tier (a list of equally good ids): no pair is made inside a tier
        ranked = [[c for c in tier if c in ids] for tier in ranking_tiers(value)]
        ranked = [t for t in ranked if t]
        placed = {c for t in ranked for c in t}
        rest = [c for c in ids if c not in placed]
        tiers = ranked + ([rest] if rest else [])
        return tiers if len(tiers) > 1 else None
    if question.type == "single_choice":
        if value not in ids:
            return None
        return [[value], [c for c in ids if c != value]]
    if question.type == "multi_choice":
        good = [c for c in ids if c in value]
        bad = [c for c in ids if c not in value]
        return [good, bad] if good and bad else None
    if question.type == "rating" and isinstance(value, dict):
        scores = {c: float(v) for c, v in value.items() if c in ids and v is not None}
        levels = sorted(set(scores.values()), reverse=True)
        tiers = [[c for c in ids if scores.get(c) == lv] for lv in levels]
        return tiers if len(tiers) > 1 else None
    return None


def choose_label(sample: DataSample, question: Question, source: LabelSource = "auto", *,
                 include_accepted: bool = False) -> tuple[Any, str] | None:
    """The value a training export uses for ``question``, and where it came from.

    ``auto`` prefers an ``aggregate`` annotation, then a unanimous human label, then the
    ``reference``; naming a source uses only that one. A person's annotation that is a model's
    prediction accepted unchanged (``labelloop.data.provenance``) is no human label unless
    ``include_accepted``: a sample only such annotations answered has no human label.
    """
    def submitted(kind: str) -> list[Annotation]:
        return [a for a in sample.annotations
                if a.kind == kind and a.status == "submitted" and a.values.get(question.name) is not None
                and (include_accepted or independent(a))]

    order = ["aggregate", "human", "reference"] if source == "auto" else [source]
    for kind in order:
        anns = submitted(kind)
        if not anns:
            continue
        if kind == "human":
            first = canonical(anns[0].values[question.name])
            if all(canonical(a.values[question.name]) == first for a in anns[1:]):
                return anns[0].values[question.name], "human"
            continue
        return anns[-1].values[question.name], kind
    return None
