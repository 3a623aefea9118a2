"""RewardBench 2: one prompt, every chosen and rejected completion as a candidate.

Which completions are correct is a ``reference`` annotation (``correct``: the chosen ids, and
``best`` when exactly one is correct). No cap on N: the Ties subset has many completions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from labelloop.data.model import Annotation, Candidate, DataSample
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import RowError
from labelloop.formats.base import Format, as_list, completion, make_id, register, scalar, to_messages
from labelloop.templates import TEMPLATES

COUNTS = ("num_correct", "num_rejected", "total_completions")


@register
class RewardBench2Format(Format):
    name = "rewardbench2"
    description = "RewardBench 2: id, prompt, chosen (list), rejected (list), num_correct, models, subset"
    required = ("prompt", "chosen", "rejected")
    priority = 30

    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        if not {"prompt", "chosen", "rejected"} <= columns:
            return False
        if {"num_correct", "total_completions", "num_rejected"} & columns:
            return True
        return first is not None and isinstance(first.get("chosen"), list) and (
            not first["chosen"] or isinstance(first["chosen"][0], str))

    def schema(self) -> AnnotationSchema:
        return TEMPLATES.get("rewardbench2")()

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        prompt = to_messages(row["prompt"], "prompt")
        chosen = as_list(row["chosen"], "chosen")
        rejected = as_list(row["rejected"], "rejected")
        if not chosen:
            raise RowError("column 'chosen' holds no completion")
        models = [scalar(m) for m in as_list(row.get("models"), "models")]
        texts = chosen + rejected
        if models and len(models) != len(texts):
            models_meta, models = models, []
        else:
            models_meta = None
        cands = []
        for i, text in enumerate(texts):
            content, meta = completion(text, prompt, "chosen" if i < len(chosen) else "rejected")
            model = models[i] if models else None
            cands.append(Candidate(id=str(i), content=content, model=None if model is None else str(model),
                                   metadata=meta))
        correct = [str(i) for i in range(len(chosen))]
        values: dict[str, Any] = {"correct": correct}
        if len(correct) == 1:
            values["best"] = correct[0]
        metadata = {k: scalar(v) for k, v in row.items() if k not in ("id", "prompt", "chosen", "rejected", "models")}
        for k in COUNTS:
            if isinstance(metadata.get(k), str) and metadata[k].strip().lstrip("-").isdigit():
                metadata[k] = int(metadata[k])
        if models_meta is not None:
            metadata["models"] = models_meta
        if row.get("id") not in (None, ""):
            metadata["source_id"] = scalar(row["id"])
        return [
            DataSample(
                id=make_id(scalar(row.get("id")), prompt, cands),
                prompt=prompt,
                candidates=cands,
                annotations=[Annotation(annotator=self.name, kind="reference", values=values, origin=self.name)],
                metadata=metadata,
            )
        ]
