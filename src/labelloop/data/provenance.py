"""Where a label came from, as far as it matters for counting people: the one home of "accepted prediction".

A person who opens a task with a model's suggestion already filled in and submits it unchanged has not
given an independent judgement: the value is the model's. Label Studio does this (an annotation created
from a prediction, ``parent_prediction`` set, result equal to the prediction); the pull keeps such an
annotation as the person's (kind ``human``, annotator the person) and records its origin in
``Annotation.metadata["accepted_prediction"] = {"prediction_id": ..., "model_version": ...}``.

Agreement, merging, adjudication, review and training exports leave these annotations out of the
independent human answers unless asked to (``include_accepted``), and say how many they left out.

The offline HTML page does not record whether a shown suggestion was accepted unchanged (its "accept"
copies the values into the answer), so its results never carry the key.

A person's answer on a hidden gold sample of a plan (``labelloop assign``) is a check of that person, not a
label: imports and pulls by plan mark it ``Annotation.metadata["gold_check"] = True``. It is never one of the
independent human answers (not even with ``include_accepted``): agreement, merging, review, the dashboard's
people figures and training exports leave it out; gold accuracy (``quality.gold``) reads it.
"""

from __future__ import annotations

from typing import Any

from labelloop.data.model import Annotation, Dataset

ACCEPTED_PREDICTION = "accepted_prediction"
"""The ``Annotation.metadata`` key that marks a person's annotation as a model's prediction accepted unchanged."""


def accepted_prediction(ann: Annotation) -> dict[str, Any] | None:
    """The prediction a person accepted unchanged (``prediction_id``, ``model_version``), or None when the
    annotation is the annotator's own. A marker that is not a mapping (untrusted input) still marks the
    annotation, with both fields None."""
    mark = ann.metadata.get(ACCEPTED_PREDICTION) if isinstance(ann.metadata, dict) else None
    if mark is None or mark is False:
        return None
    if not isinstance(mark, dict):
        return {"prediction_id": None, "model_version": None}
    return {"prediction_id": mark.get("prediction_id"), "model_version": mark.get("model_version"), **mark}


GOLD_CHECK = "gold_check"
"""The ``Annotation.metadata`` key that marks a person's answer on a hidden gold sample: a check, not a label."""


def is_gold_check(ann: Annotation) -> bool:
    """Whether a person's annotation is their answer on a hidden gold sample (a check of them, not a label)."""
    return ann.kind == "human" and isinstance(ann.metadata, dict) and bool(ann.metadata.get(GOLD_CHECK))


def independent(ann: Annotation) -> bool:
    """False for a person's annotation that is a model's prediction accepted unchanged or a gold check; True
    otherwise."""
    return not (ann.kind == "human" and (accepted_prediction(ann) is not None or is_gold_check(ann)))


def counts_as_person(ann: Annotation, include_accepted: bool = False) -> bool:
    """Whether an annotation counts as a person's own answer where people are counted: never a gold check; an
    accepted prediction only with ``include_accepted``."""
    return not is_gold_check(ann) and (include_accepted or independent(ann))


def count_accepted(dataset: Dataset) -> int:
    """How many submitted human annotations of ``dataset`` are accepted predictions."""
    return sum(1 for s in dataset.samples for a in s.annotations
               if a.status == "submitted" and a.kind == "human" and accepted_prediction(a) is not None)


def without_accepted(dataset: Dataset, *, accepted: bool = True) -> tuple[Dataset, int]:
    """A view of ``dataset`` without the human annotations that are accepted predictions (``accepted``) and
    gold checks (always), and how many submitted accepted predictions were left out. Samples without such
    annotations are shared, not copied: read the view, do not change it."""
    left_out = 0
    changed = False
    samples = []

    def keep(a: Annotation) -> bool:
        return not is_gold_check(a) and (not accepted or independent(a))

    for s in dataset.samples:
        if all(keep(a) for a in s.annotations):
            samples.append(s)
            continue
        changed = True
        left_out += sum(1 for a in s.annotations if not keep(a) and a.status == "submitted"
                        and not is_gold_check(a))
        samples.append(s.model_copy(update={"annotations": [a for a in s.annotations if keep(a)]}))
    if not changed:
        return dataset, 0
    return dataset.model_copy(update={"samples": samples}), left_out


def independent_view(dataset: Dataset, include_accepted: bool = False) -> tuple[Dataset, int]:
    """The dataset the people-counting operations read: without gold checks, and without accepted predictions
    unless ``include_accepted``. The number is the accepted predictions left out (0 with ``include_accepted``)."""
    view, left_out = without_accepted(dataset, accepted=not include_accepted)
    return view, (0 if include_accepted else left_out)


__all__ = ["ACCEPTED_PREDICTION", "GOLD_CHECK", "accepted_prediction", "count_accepted", "counts_as_person",
           "independent",
           "independent_view", "is_gold_check", "without_accepted"]
