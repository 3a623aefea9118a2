"""How far people and pre-labelling models can be trusted beyond agreement: accuracy against the merged
label and calibration of a model's scores. Position bias (picking whichever candidate was shown first) is
``labelloop.quality.position_bias``.

The merged label is the dataset's own ``aggregate`` annotation when it has one, otherwise a majority
merge of the human answers (``labelloop.quality.merge``). Note that a person's accuracy against the
merged label counts their own vote in the merge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelloop.data.model import DataSample, Dataset
from labelloop.data.schema import Question
from labelloop.quality.agreement import NOT_MEASURED, _norm, accuracy_against_reference
from labelloop.quality.units import latest_by_annotator, reference_values


def merged_dataset(dataset: Dataset, strategy: str = "majority", include_accepted: bool = False
                   ) -> tuple[Dataset, str]:
    """The dataset with merged labels: as it is when it has ``aggregate`` annotations, else merged
    (accepted predictions left out unless ``include_accepted``, as ``merge`` does)."""
    if any(a.kind == "aggregate" for s in dataset.samples for a in s.annotations):
        return dataset, "aggregate annotations in the dataset"
    if not any(a.kind == "human" and a.status == "submitted" for s in dataset.samples for a in s.annotations):
        return dataset, "no human answers to merge"
    from labelloop.quality.merge import merge

    out, _ = merge(dataset, strategy, include_accepted=include_accepted)
    return out, f"{strategy} merge of the human answers"


def accuracy_against_merged(merged: Dataset | Sequence[DataSample], question: Question) -> list[dict[str, Any]]:
    """Each person's and each model's agreement with the merged (``aggregate``) label."""
    samples = merged.samples if isinstance(merged, Dataset) else merged
    return accuracy_against_reference(samples, question, truth_kind="aggregate")


def _truth(sample: DataSample, question: Question, truth_kinds: Sequence[str]) -> tuple[Any, str] | None:
    for kind in truth_kinds:
        v = reference_values(sample, question, kind).get(None)
        if v is not None:
            return v, kind
    return None


def calibration(samples: Sequence[DataSample], question: Question, *, bins: int = 5,
                truth_kinds: Sequence[str] = ("aggregate", "reference")) -> list[dict[str, Any]]:
    """Per model: its ``score`` against whether its answer was right, in equal-width score bins, with the
    expected calibration error (|accuracy - mean score| weighted by bin size).

    Right means equal to the first truth found per sample among ``truth_kinds`` (the merged human label,
    then the reference). Per-candidate and unmeasured questions have no single answer to check.
    """
    if question.type in NOT_MEASURED or question.per_candidate or bins < 1:
        return []
    rows: dict[str, list[tuple[float, bool]]] = {}
    truth_used: dict[str, set[str]] = {}
    for s in samples:
        truth = _truth(s, question, truth_kinds)
        if truth is None:
            continue
        for name, ann in latest_by_annotator(s, ("prediction",)).items():
            v = ann.values.get(question.name)
            if v is None or ann.score is None:
                continue
            rows.setdefault(name, []).append((min(max(float(ann.score), 0.0), 1.0),
                                              _norm(question, v) == _norm(question, truth[0])))
            truth_used.setdefault(name, set()).add(truth[1])
    out = []
    for name in sorted(rows):
        pairs = rows[name]
        table = []
        ece = 0.0
        for b in range(bins):
            lo, hi = b / bins, (b + 1) / bins
            inside = [(p, ok) for p, ok in pairs if lo <= p < hi or (b == bins - 1 and p == 1.0)]
            if not inside:
                table.append({"lo": lo, "hi": hi, "n": 0, "mean_score": None, "accuracy": None})
                continue
            mean_p = sum(p for p, _ in inside) / len(inside)
            acc = sum(ok for _, ok in inside) / len(inside)
            ece += len(inside) / len(pairs) * abs(acc - mean_p)
            table.append({"lo": lo, "hi": hi, "n": len(inside), "mean_score": mean_p, "accuracy": acc})
        out.append({"annotator": name, "items": len(pairs), "accuracy": sum(ok for _, ok in pairs) / len(pairs),
                    "mean_score": sum(p for p, _ in pairs) / len(pairs), "ece": ece, "bins": table,
                    "truth": sorted(truth_used[name])})
    return out
