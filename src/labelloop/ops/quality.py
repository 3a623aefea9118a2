"""agreement, merge, adjudicate and apply: measuring and settling what people said.

Each reads one dataset or several files of the same samples (``load_datasets``) and, for the three that write,
saves the result to ``output``; the summaries are the library's, as the library returns them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from labelloop.errors import ParameterError
from labelloop.formats import save
from labelloop.ops._common import CheckPath, SchemaRef, any_path, load_datasets
from labelloop.quality.adjudicate import adjudicate as _adjudicate
from labelloop.quality.adjudicate import apply_decisions, default_queue_path, write_queue
from labelloop.quality.agreement import AgreementReport
from labelloop.quality.agreement import agreement as _agreement
from labelloop.quality.merge import ADJUDICATION_STRATEGIES, MERGE_STRATEGIES
from labelloop.quality.merge import merge as _merge
from labelloop.quality.stat import check_interval


class MergeResult(BaseModel):
    """The file written and the library's summary (strategy, per-question counts, reliability)."""

    output: str
    summary: dict[str, Any]


class AdjudicateResult(BaseModel):
    """The file written, the review queue (when one was written), how many items wait for a person, and the
    library's summary (with ``queue`` when one was written)."""

    output: str
    queue: str | None
    pending: int
    summary: dict[str, Any]


class ApplyResult(BaseModel):
    """The file written and the library's summary (applied, pending, reviewers)."""

    output: str
    summary: dict[str, Any]


def agreement(datasets: Sequence[str | Path], *, question: Sequence[str] | None = None, level: str | None = None,
              bootstrap: int = 0, seed: int = 0, ci_level: float = 0.95, include_predictions: bool = False,
              schema: SchemaRef | None = None, fmt: str = "auto", include_accepted: bool = False,
              gold_min: float = 0.7) -> AgreementReport:
    """Inter-annotator agreement per question: alpha, kappas, AC1, per-annotator figures, disagreements.
    ``include_accepted``: count people's annotations that are model predictions accepted unchanged as their
    answers (by default they are left out, and counted in the report)."""
    check_interval(bootstrap, ci_level)  # the library's one check, before the files are read
    if not 0 <= gold_min <= 1:
        raise ParameterError("gold_min", "{param} is a share of gold answers right, between 0 and 1.")
    ds = load_datasets(datasets, fmt, schema)
    return _agreement(ds, questions=list(question) if question else None, level=level,
                      include_predictions=include_predictions, bootstrap=bootstrap, seed=seed, ci_level=ci_level,
                      include_accepted=include_accepted, gold_min=gold_min)


def merge(datasets: Sequence[str | Path], output: Path, strategy: str = "majority", *,
          question: Sequence[str] | None = None, tie_breaker: str = "review", experts: Sequence[str] = (),
          min_agreement: float = 0.0, min_confidence: float = 0.0, seed: int = 0, include_predictions: bool = False,
          schema: SchemaRef | None = None, fmt: str = "auto", include_accepted: bool = False,
          round_to_scale: bool = False) -> MergeResult:
    """Every annotator's answers merged into one aggregate annotation per sample, saved to ``output``;
    accepted predictions are no vote unless ``include_accepted`` (the summary counts those left out).
    ``round_to_scale``: ``average`` rounds each mean to the question's scale (by default it is the exact mean)."""
    MERGE_STRATEGIES.get(strategy)  # the library's refusal, before a large file is read
    ds = load_datasets(datasets, fmt, schema)
    merged, summary = _merge(ds, strategy, questions=list(question) if question else None,
                             include_predictions=include_predictions, tie_breaker=tie_breaker,
                             experts=list(experts), seed=seed, min_agreement=min_agreement,
                             min_confidence=min_confidence, include_accepted=include_accepted,
                             round_to_scale=round_to_scale)
    save(merged, output)
    return MergeResult(output=str(output), summary=summary)


def queue_path(output: Path, queue: Path | None = None) -> Path:
    """Where adjudicate writes its review queue: ``queue``, else beside ``output`` as ``<stem>.review.jsonl``."""
    return queue or default_queue_path(output)


def adjudicate(datasets: Sequence[str | Path], output: Path, strategy: str = "majority", *,
               experts: Sequence[str] = (), queue: Path | None = None, question: Sequence[str] | None = None,
               include_predictions: bool = False, schema: SchemaRef | None = None, fmt: str = "auto",
               check_path: CheckPath = any_path, include_accepted: bool = False) -> AdjudicateResult:
    """Disagreements settled by rule; what still needs a person goes to the review queue (written when there is
    any, or when ``queue`` is named). Accepted predictions are no person's answer unless ``include_accepted``."""
    ADJUDICATION_STRATEGIES.get(strategy)  # the library's refusal, before a large file is read
    ds = load_datasets(datasets, fmt, schema)
    result, items, summary = _adjudicate(ds, strategy, experts=list(experts),
                                         questions=list(question) if question else None,
                                         include_predictions=include_predictions,
                                         include_accepted=include_accepted)
    save(result, output)
    written = None
    if items or queue is not None:
        written = check_path(queue_path(output, queue), "queue")
        write_queue(items, written)
        summary["queue"] = str(written)
    return AdjudicateResult(output=str(output), queue=str(written) if written else None, pending=len(items),
                            summary=summary)


def apply(datasets: Sequence[str | Path], decisions: Path, output: Path, *, reviewer: str | None = None,
          schema: SchemaRef | None = None, fmt: str = "auto") -> ApplyResult:
    """A reviewer's decisions (a filled-in review queue) read back as aggregate annotations, saved to
    ``output``."""
    ds = load_datasets(datasets, fmt, schema)
    result, summary = apply_decisions(ds, decisions, reviewer=reviewer)
    save(result, output)
    return ApplyResult(output=str(output), summary=summary)
