"""Training exports: DPO pairs and pairwise reward-model data.

Which label is used: an ``aggregate`` annotation, else a unanimous human label, else the
``reference`` (``label_source`` picks one); accepted model predictions are no human label unless the
``include_accepted`` option is set. A best-of-N choice, a set of correct answers, a
ranking or per-candidate ratings become tiers of candidates, expanded into pairs by ``policy``:

* ``best-vs-rest``: every top-tier candidate against every lower one (the default);
* ``adjacent``: each tier against the next one down;
* ``all``: every tier against every lower tier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from labelloop.data.io import write_rows
from labelloop.data.model import DataSample, Dataset
from labelloop.data.preference import (
    LabelSource,
    Tiers,
    choose_label,
    contradicted,
    preference_questions,
    tiers_from_value,
)
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import LabelloopError
from labelloop.formats.base import Format, register

PairPolicy = Literal["best-vs-rest", "adjacent", "all"]
POLICIES = ("best-vs-rest", "adjacent", "all")


def expand_pairs(tiers: Tiers, policy: PairPolicy = "best-vs-rest") -> list[tuple[str, str]]:
    if policy not in POLICIES:
        raise LabelloopError(f"Unknown pair policy {policy!r}; use one of {', '.join(POLICIES)}.")
    pairs: list[tuple[str, str]] = []
    for i, upper in enumerate(tiers):
        if policy == "best-vs-rest" and i > 0:
            break
        lowers = tiers[i + 1: i + 2] if policy == "adjacent" else tiers[i + 1:]
        for lower in lowers:
            pairs += [(a, b) for a in upper for b in lower]
    return pairs


def sample_pairs(
    sample: DataSample,
    schema: AnnotationSchema | None,
    *,
    policy: PairPolicy = "best-vs-rest",
    label_source: LabelSource = "auto",
    question: str | None = None,
    include_accepted: bool = False,
) -> tuple[list[tuple[str, str]], str | None, Any]:
    """(chosen id, rejected id) pairs for one sample, the label's source, and the label value.

    Sources are tried in order (aggregate, unanimous human, reference, or just the one named);
    within a source, the preference questions it answered are tried best first.
    """
    pairs, source, value, _ = pick_pairs(sample, schema, policy=policy, label_source=label_source,
                                         question=question, include_accepted=include_accepted)
    return pairs, source, value


def pick_pairs(
    sample: DataSample,
    schema: AnnotationSchema | None,
    *,
    policy: PairPolicy = "best-vs-rest",
    label_source: LabelSource = "auto",
    question: str | None = None,
    include_accepted: bool = False,
) -> tuple[list[tuple[str, str]], str | None, Any, str | None]:
    """:func:`sample_pairs` and the name of the question the label was read from."""
    if question and schema is None:
        raise LabelloopError(f"Cannot use question {question!r}: the dataset has no schema.")
    kinds = ["aggregate", "human", "reference"] if label_source == "auto" else [label_source]
    ids = [c.id for c in sample.candidates]
    for kind in kinds:
        seen = {k for a in sample.annotations if a.kind == kind and a.status == "submitted"
                for k, v in a.values.items() if v is not None}
        questions = [schema.question(question)] if question else preference_questions(schema, seen)
        for q in questions:
            picked = choose_label(sample, q, kind, include_accepted=include_accepted)  # type: ignore[arg-type]
            if picked is None:
                continue
            value, source = picked
            tiers = tiers_from_value(q, value, ids)
            return (expand_pairs(tiers, policy) if tiers else []), source, value, q.name
    return [], None, None, None


def _chat_prompt(dataset: Dataset) -> bool:
    return any(len(s.prompt) != 1 or s.prompt[0].role != "user" for s in dataset.samples)


class _PairExport(Format):
    can_read = False
    can_write = True

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.policy: PairPolicy = options.get("policy") or "best-vs-rest"
        self.label_source: LabelSource = options.get("label_source") or "auto"
        self.question: str | None = options.get("question")
        self.prompt_style: str = options.get("prompt_style") or "auto"
        self.include_accepted = bool(options.get("include_accepted"))
        if self.policy not in POLICIES:
            raise LabelloopError(f"Unknown pair policy {self.policy!r}; use one of {', '.join(POLICIES)}.")
        if self.label_source not in ("auto", "aggregate", "human", "reference"):
            raise LabelloopError(
                f"Unknown label source {self.label_source!r}; use auto, aggregate, human or reference.")
        self.stats: dict[str, Any] = {}
        self.sources: list[str] = []  # per row of the last rows(): the sample it came from

    def rows(self, dataset: Dataset) -> list[dict[str, Any]]:
        chat = self.prompt_style == "chat" or (self.prompt_style == "auto" and _chat_prompt(dataset))
        out: list[dict[str, Any]] = []
        self.sources = []
        stats = {"samples": 0, "with_pairs": 0, "pairs": 0, "aggregate": 0, "human": 0, "reference": 0,
                 "contradicted": 0, "reference_pairs": 0}
        self.contradicted: dict[str, int] = {}  # question -> samples skipped because their label contradicts itself
        for s in dataset.samples:
            stats["samples"] += 1
            pairs, source, value, qname = pick_pairs(s, dataset.schema, policy=self.policy,
                                                     label_source=self.label_source, question=self.question,
                                                     include_accepted=self.include_accepted)
            if not pairs:
                continue
            if qname is not None and source is not None and contradicted(
                    s, dataset.schema, qname, source, include_accepted=self.include_accepted):
                # the annotation says two things (e.g. best answer not first in its ranking): no pair is sure
                stats["contradicted"] += 1
                self.contradicted[qname] = self.contradicted.get(qname, 0) + 1
                continue
            if source == "reference":
                stats["reference_pairs"] += len(pairs)
            stats["with_pairs"] += 1
            stats[source or "reference"] += 1
            for a, b in pairs:
                out.append(self.row(s, a, b, chat, value))
                self.sources.append(s.id)
                stats["pairs"] += 1
        if self.contradicted:
            stats["contradicted_questions"] = dict(sorted(self.contradicted.items()))
        self.stats = stats
        return out

    def row(self, s: DataSample, a: str, b: str, chat: bool, value: Any) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def _content(s: DataSample, cid: str, chat: bool) -> Any:
        cand = s.candidate(cid)
        assert cand is not None
        if not chat:
            return cand.content
        turns = cand.metadata.get("messages") or [{"role": "assistant", "content": cand.content}]
        return turns

    @staticmethod
    def _prompt(s: DataSample, chat: bool) -> Any:
        if chat:
            return [m.model_dump() for m in s.prompt]
        return s.prompt[0].content if len(s.prompt) == 1 else s.prompt_text

    def write(self, dataset: Dataset, path: Path) -> int:
        rows = self.rows(dataset)
        return write_rows(rows, path, sources=self.sources, stats=self.stats)


@register
class DPOFormat(_PairExport):
    name = "dpo"
    description = "DPO pairs: prompt, chosen, rejected (text, or chat turns when prompts are multi-turn)"

    def row(self, s: DataSample, a: str, b: str, chat: bool, value: Any) -> dict[str, Any]:
        return {"prompt": self._prompt(s, chat), "chosen": self._content(s, a, chat),
                "rejected": self._content(s, b, chat)}


@register
class RMPairwiseFormat(_PairExport):
    name = "rm_pairwise"
    description = "reward-model pairs in RewardBench's layout: id, prompt, chosen, rejected, models, subset, margin"

    def row(self, s: DataSample, a: str, b: str, chat: bool, value: Any) -> dict[str, Any]:
        ca, cb = s.candidate(a), s.candidate(b)
        assert ca is not None and cb is not None
        row = {
            "id": f"{s.id}:{a}>{b}",
            "prompt": self._prompt(s, chat),
            "chosen": self._content(s, a, chat),
            "rejected": self._content(s, b, chat),
            "chosen_model": ca.model,
            "rejected_model": cb.model,
            "subset": s.metadata.get("subset"),
        }
        if isinstance(value, dict) and a in value and b in value:
            row["margin"] = float(value[a]) - float(value[b])
        return row
