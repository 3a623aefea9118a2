"""Which questions to measure: the dataset's schema, a given one, or one inferred from the values.

Inference exists for result files that arrive without a schema; it is conservative (numbers
are ratings, strings choices, lists of all candidate ids rankings, other lists multi-choice,
mappings of candidate id to number per-candidate ratings) and the CLI says when it was used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelloop.data.model import Dataset
from labelloop.data.schema import AnnotationSchema, Option, Question
from labelloop.errors import ParameterError
from labelloop.quality.units import is_number, order_key


def infer_schema(dataset: Dataset, kinds: Sequence[str] = ("human",)) -> AnnotationSchema:
    seen: dict[str, list[tuple[Any, list[str]]]] = {}
    for s in dataset.samples:
        cids = [c.id for c in s.candidates]
        for a in s.annotations:
            if a.kind in kinds:
                for k, v in a.values.items():
                    if v is not None:
                        seen.setdefault(k, []).append((v, cids))
    return AnnotationSchema(name="inferred", questions=[q for k, vs in seen.items() if (q := _safe_infer(k, vs))])


def _safe_infer(name: str, values: list[tuple[Any, list[str]]]) -> Question | None:
    try:
        return _infer(name, values)
    except ValueError:  # e.g. a choice question whose answers are all empty: nothing to measure
        return None


def _infer(name: str, values: list[tuple[Any, list[str]]]) -> Question | None:
    vs = [v for v, _ in values]
    if all(is_number(v) for v in vs):
        return Question(name=name, type="rating", min=min(vs), max=max(vs))
    if all(isinstance(v, dict) and v and all(is_number(x) for x in v.values() if x is not None) for v in vs):
        nums = [x for v in vs for x in v.values() if x is not None]
        return Question(name=name, type="rating", per_candidate=True, min=min(nums), max=max(nums))
    if all(isinstance(v, str) for v in vs):
        cand_ids = {c for _, cids in values for c in cids}
        opts = sorted({v for v in vs if v not in cand_ids}, key=order_key)
        if all(v in cand_ids for v in vs):
            return Question(name=name, type="single_choice", options_from_candidates=True)
        if any(len(v) > 40 or any(ch.isspace() for ch in v) for v in vs) or len(set(vs)) > max(20, len(vs) // 2):
            return Question(name=name, type="text")  # sentences, or too many distinct answers to be options
        return Question(name=name, type="single_choice", options=[Option(value=o) for o in opts],
                        options_from_candidates=any(v in cand_ids for v in vs))
    if all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in vs):
        if all(sorted(v) == sorted(cids) and len(cids) > 1 for v, cids in values):
            return Question(name=name, type="ranking", options_from_candidates=True)
        cand_ids = {c for _, cids in values for c in cids}
        opts = sorted({x for v in vs for x in v if x not in cand_ids}, key=order_key)
        return Question(name=name, type="multi_choice", options=[Option(value=o) for o in opts],
                        options_from_candidates=any(x in cand_ids for v in vs for x in v))
    return None


def resolve(dataset: Dataset, schema: AnnotationSchema | None = None, names: Sequence[str] | None = None,
            kinds: Sequence[str] = ("human",)) -> tuple[list[Question], bool]:
    """The questions to work on, and whether they were inferred from the values."""
    sch = schema or dataset.schema
    inferred = sch is None
    if sch is None:
        sch = infer_schema(dataset, kinds)
        if not sch.questions:
            raise ParameterError("schema", f"Dataset {ParameterError.literal(repr(dataset.name))} has no schema and no "
                                           "annotation values to infer one from; pass {param}.")
    if names:
        return [sch.question(n) for n in names], inferred
    return list(sch.questions), inferred
