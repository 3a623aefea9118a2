"""Reading a preference out of annotation values, and choosing which label a training export uses.

A preference is a list of tiers of candidate ids, best tier first. Every question type that can
express a preference maps onto it: a ranking, a choice among candidates, the set of correct
candidates, or per-candidate ratings.
"""

from __future__ import annotations

from typing import Any, Literal

from labelloop.data.model import Annotation, DataSample
from labelloop.data.provenance import counts_as_person
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
                and counts_as_person(a, include_accepted)]

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


def contradictions(schema: AnnotationSchema | None, values: dict[str, Any],
                   candidate_ids: list[str]) -> list[tuple[tuple[str, str], str]]:
    """What one annotation says against itself, as ((question, question), sentence) pairs:

    * a best answer (a choice among the candidates) that is not in the first tier of its ranking;
    * a "correct" answer (the set of correct candidates) ranked below an answer not marked correct;
    * per-candidate ratings that order two answers against the ranking (rated higher, ranked lower).

    Tied answers contradict nothing: a tier, equal ratings and answers the ranking leaves out are no order.
    """
    if schema is None:
        return []
    ids = list(candidate_ids)
    out: list[tuple[tuple[str, str], str]] = []
    rankings = [q for q in schema.questions if q.type == "ranking" and q.options_from_candidates
                and isinstance(values.get(q.name), list)]
    for rq in rankings:
        tiers = [[c for c in t if c in ids] for t in ranking_tiers(values[rq.name])]
        tiers = [t for t in tiers if t]
        if not tiers:
            continue
        place = {c: k for k, t in enumerate(tiers) for c in t}
        for q in schema.questions:
            v = values.get(q.name)
            if v is None or not (q.options_from_candidates or q.per_candidate):
                continue
            if q.type == "single_choice" and q.options_from_candidates and v in place and place[v] > 0:
                out.append(((q.name, rq.name), f"best answer {v!r} ({q.name}) is not first in the ranking "
                            f"({rq.name}: place {place[v] + 1})"))
            elif q.type == "multi_choice" and q.options_from_candidates and isinstance(v, list):
                good = [c for c in v if c in place]
                bad = [c for c in place if c not in v]
                pairs = [(g, b) for g in good for b in bad if place[b] < place[g]]
                if pairs:
                    g, b = pairs[0]
                    out.append(((q.name, rq.name), f"correct answer {g!r} ({q.name}) is ranked below {b!r}, which "
                                f"is not marked correct ({rq.name})"))
            elif q.type == "rating" and q.per_candidate and isinstance(v, dict):
                scores = {c: float(x) for c, x in v.items() if c in place and isinstance(x, (int, float))
                          and not isinstance(x, bool)}
                pairs = [(a, b) for a in scores for b in scores if place[a] < place[b] and scores[a] < scores[b]]
                if pairs:
                    a, b = pairs[0]
                    out.append(((q.name, rq.name), f"{a!r} is ranked above {b!r} ({rq.name}) but rated lower "
                                f"({q.name}: {v[a]} < {v[b]})"))
    return out


def contradicted(sample: DataSample, schema: AnnotationSchema | None, question: str, kind: str, *,
                 include_accepted: bool = False) -> list[str]:
    """The contradictions involving ``question`` in the submitted annotations of ``kind`` that answered it."""
    ids = [c.id for c in sample.candidates]
    anns = [a for a in sample.annotations if a.kind == kind and a.status == "submitted"
            and a.values.get(question) is not None and (kind != "human" or counts_as_person(a, include_accepted))]
    if kind != "human":
        anns = anns[-1:]  # the one choose_label takes
    return [msg for a in anns for names, msg in contradictions(schema, a.values, ids) if question in names]
