"""Adjudication: settle what merging could not, by rule or by a person.

Strategies: ``majority``; ``experts`` (a ranked list of expert annotators: the first who
answered wins; items no expert answered fall back to majority); ``longest`` (text: the longest
answer); ``review`` (only unanimous answers are taken). Whatever still needs a person goes to a
review queue: a JSONL file with one line per (sample, question), holding the prompt, the
candidates, every annotator's answer and a suggestion. The reviewer fills in ``decision`` (and
``reviewer``, ``note``); ``apply_decisions`` reads the file back as ``aggregate`` annotations in
the reviewer's name, checked against the schema.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_open, dumps
from labelloop.data.model import Annotation, Dataset
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import InputFileError, LabelloopError, ParameterError
from labelloop.quality.aggregators import Decision
from labelloop.quality.merge import (
    ADJUDICATION_STRATEGIES,
    Options,
    QuestionDecisions,
    apply,
    decide,
    people_view,
    per_sample,
)
from labelloop.quality.units import latest_by_annotator


def adjudicate(dataset: Dataset, strategy: str = "majority", *, experts: Sequence[str] = (),
               questions: Sequence[str] | None = None, schema: AnnotationSchema | None = None,
               include_predictions: bool = False, tie_breaker: str = "review", seed: int = 0,
               annotator: str | None = None, include_accepted: bool = False,
               ) -> tuple[Dataset, list[dict[str, Any]], dict[str, Any]]:
    """Apply an adjudication strategy (a name in ``ADJUDICATION_STRATEGIES``); returns the dataset,
    the review queue and a summary. Accepted predictions are no person's answer (not decided on, not
    listed in the queue) unless ``include_accepted``; the summary counts the ones left out."""
    strat = ADJUDICATION_STRATEGIES.get(strategy)
    kinds = ("human", "prediction") if include_predictions else ("human",)
    o = Options(tie_breaker=tie_breaker, experts=list(experts), seed=seed)
    view, left_out, names, sch = people_view(dataset, schema, questions, kinds, include_accepted)
    results = decide(view, strat, questions=names, schema=sch, kinds=kinds, options=o)
    out, by_sample, summary = apply(dataset, results, strategy, annotator or f"adjudicate:{strategy}", schema)
    queue = review_queue(view, results, kinds, by_sample=by_sample)
    summary["queued"] = len(queue)
    summary["accepted_predictions_left_out"] = left_out
    return out, queue, summary


def review_queue(dataset: Dataset, results: list[QuestionDecisions], kinds: Sequence[str] = ("human",), *,
                 by_sample: dict[str, dict[str, tuple[str, Decision]]] | None = None) -> list[dict[str, Any]]:
    """One entry per (sample, question) whose decision still needs a person, in dataset order.
    ``by_sample`` is ``per_sample(results)`` when the caller already has it."""
    flagged: dict[str, dict[str, Any]] = {}
    for sid, per_q in (by_sample if by_sample is not None else per_sample(results)).items():
        for qname, (used, d) in per_q.items():
            if d.needs_review:
                flagged.setdefault(sid, {})[qname] = (used, d)
    questions = {qd.question.name: qd.question for qd in results}
    out = []
    for s in dataset.samples:
        for qname, (used, d) in flagged.get(s.id, {}).items():
            q = questions[qname]
            answers = [{"annotator": n, "value": a.values[qname]}
                       for n, a in sorted(latest_by_annotator(s, kinds).items()) if a.values.get(qname) is not None]
            entry: dict[str, Any] = {
                "sample_id": s.id, "question": qname, "type": q.type, "per_candidate": q.per_candidate,
                "prompt": s.prompt_text, "candidates": [{"id": c.id, "content": c.content} for c in s.candidates],
                "answers": answers, "suggestion": d.value, "strategy": used, "reason": d.reason,
                "decision": None, "reviewer": None, "note": None}
            allowed = q.allowed_values([c.id for c in s.candidates])
            if allowed and q.type in ("single_choice", "multi_choice", "ranking"):
                entry["options"] = allowed
            out.append(entry)
    return out


def default_queue_path(output: str | Path) -> Path:
    """Where the review queue goes when none is named: beside OUTPUT, as ``<stem>.review.jsonl``."""
    output = Path(output)
    return output.with_name(f"{output.name.split('.')[0]}.review.jsonl")


def write_queue(queue: list[dict[str, Any]], path: str | Path) -> int:
    with atomic_open(path) as fh:
        for entry in queue:
            fh.write(dumps(entry) + "\n")
    return len(queue)


def read_decisions(path: str | Path) -> list[tuple[int, dict[str, Any]]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(f"Decisions file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read decisions file {path}: {exc}.") from None
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabelloopError(f"{path}, line {n}: not valid JSON ({exc.msg}).") from None
        if not isinstance(row, dict) or "sample_id" not in row or "question" not in row:
            raise LabelloopError(f"{path}, line {n}: a decision needs sample_id and question.")
        rows.append((n, row))
    return rows


def apply_decisions(dataset: Dataset, path: str | Path, *, reviewer: str | None = None,
                    schema: AnnotationSchema | None = None) -> tuple[Dataset, dict[str, Any]]:
    """Read a filled-in review queue back as ``aggregate`` annotations in each reviewer's name.

    Lines whose ``decision`` is still null are pending and left alone. A decision that does not
    fit its question is an error naming the file and line.
    """
    sch = schema or dataset.schema
    ds = dataset.model_copy(deep=True)
    samples = ds.by_id()
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    notes: dict[tuple[str, str], dict[str, str]] = {}
    pending = 0
    for n, row in read_decisions(path):
        decision = row.get("decision")
        if decision is None:
            pending += 1
            continue
        sid, qname = str(row["sample_id"]), str(row["question"])
        where = f"{path}, line {n}"
        sample = samples.get(sid)
        if sample is None:
            raise LabelloopError(f"{where}: sample {sid!r} is not in the dataset.")
        who = row.get("reviewer") or reviewer
        if not who:
            raise ParameterError("reviewer", f"{ParameterError.literal(where)}: the decision has no reviewer; fill in "
                                             "\"reviewer\" or pass {param}.")
        if sch is not None:
            try:
                sch.question(qname)
            except LabelloopError:
                raise LabelloopError(f"{where}: schema {sch.name!r} has no question {qname!r}.") from None
            problems = sch.validate_values(sample, {qname: decision}, partial=True)
            if problems:
                raise LabelloopError(f"{where}: {problems[0]}.")
        grouped.setdefault((sid, str(who)), {})[qname] = decision
        if row.get("note"):
            notes.setdefault((sid, str(who)), {})[qname] = str(row["note"])
    for (sid, who), values in grouped.items():
        s = samples[sid]
        existing = next((a for a in s.annotations if a.kind == "aggregate" and a.annotator == who
                         and a.metadata.get("strategy") == "review"), None)
        if existing is not None:
            existing.values.update(values)
            existing.metadata.setdefault("notes", {}).update(notes.get((sid, who), {}))
            continue
        meta: dict[str, Any] = {"needs_review": False, "strategy": "review", "decisions_file": Path(path).name}
        if (sid, who) in notes:
            meta["notes"] = notes[(sid, who)]
        s.annotations.append(Annotation(annotator=who, kind="aggregate", values=values, score=1.0,
                                        status="submitted", origin="labelloop.review", metadata=meta))
    applied = sum(len(v) for v in grouped.values())
    summary = {"applied": applied, "samples": len({sid for sid, _ in grouped}), "pending": pending,
               "reviewers": sorted({who for _, who in grouped})}
    return ds, summary
