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


def independent(ann: Annotation) -> bool:
    """False for a person's annotation that is a model's prediction accepted unchanged; True otherwise."""
    return not (ann.kind == "human" and accepted_prediction(ann) is not None)


def count_accepted(dataset: Dataset) -> int:
    """How many submitted human annotations of ``dataset`` are accepted predictions."""
    return sum(1 for s in dataset.samples for a in s.annotations
               if a.status == "submitted" and not independent(a))


def without_accepted(dataset: Dataset) -> tuple[Dataset, int]:
    """A view of ``dataset`` without the human annotations that are accepted predictions, and how many
    submitted ones were left out. Samples without such annotations are shared, not copied: read the view,
    do not change it."""
    left_out = 0
    changed = False
    samples = []
    for s in dataset.samples:
        if all(independent(a) for a in s.annotations):
            samples.append(s)
            continue
        changed = True
        left_out += sum(1 for a in s.annotations if not independent(a) and a.status == "submitted")
        samples.append(s.model_copy(update={"annotations": [a for a in s.annotations if independent(a)]}))
    if not changed:
        return dataset, 0
    return dataset.model_copy(update={"samples": samples}), left_out


def independent_view(dataset: Dataset, include_accepted: bool = False) -> tuple[Dataset, int]:
    """The dataset the people-counting operations read: ``dataset`` itself with ``include_accepted``, else
    :func:`without_accepted`. The number is the annotations left out (0 with ``include_accepted``)."""
    if include_accepted:
        return dataset, 0
    return without_accepted(dataset)


__all__ = ["ACCEPTED_PREDICTION", "accepted_prediction", "count_accepted", "independent", "independent_view",
           "without_accepted"]
