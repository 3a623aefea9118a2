"""agreement (iaa), merge, adjudicate run | apply: measuring and settling what people said."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from labelloop.cli._common import (
    FormatOpt,
    JsonOpt,
    PredictionsOpt,
    QualityInputs,
    QualityQuestionOpt,
    QualitySchemaOpt,
    QuietOpt,
    out,
)
from labelloop.errors import LabelloopError
from labelloop.ops import quality as ops
from labelloop.ops._common import comma_list

AcceptedOpt = typer.Option(False, "--include-accepted-predictions", help="Count a person's annotation that is a "
                           "model prediction accepted unchanged (e.g. in Label Studio) as their own answer; by "
                           "default it is left out, and counted.")


# ---- quality (issue 3: agreement, merging, adjudication) ---------------------------------------
def agreement_cmd(
    datasets: list[str] = QualityInputs,
    question: list[str] | None = QualityQuestionOpt,
    level: str | None = typer.Option(None, "--level", help="Alpha level: nominal, ordinal, interval, ratio "
                                     "(masi or jaccard for multi-choice). Default: from the question type."),
    bootstrap: int = typer.Option(0, "--bootstrap", help="Bootstrap replicates (items resampled) for a 95% "
                                  "interval on alpha and kappa; 1000 is usual."),
    seed: int = typer.Option(0, "--seed", help="Seed for --bootstrap."),
    include_predictions: bool = PredictionsOpt,
    include_accepted: bool = AcceptedOpt,
    top: int = typer.Option(10, "--top", help="How many of the most disagreed items to list."),
    gold_min: float = typer.Option(0.7, "--gold-min", help="Flag people whose accuracy on hidden gold samples "
                                   "(from a plan) is below this share."),
    schema: str | None = QualitySchemaOpt,
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Inter-annotator agreement per question: alpha, kappas, AC1, per-annotator, disagreements."""
    from labelloop.quality.render import report_tables

    report = ops.agreement(datasets, question=question, level=level, bootstrap=bootstrap, seed=seed,
                           include_predictions=include_predictions, schema=schema, fmt=fmt,
                           include_accepted=include_accepted, gold_min=gold_min)
    if as_json:
        out.print_json(json.dumps(report.to_dict(), default=str))
        return
    for part in report_tables(report, top):
        out.print(part)


def merge_cmd(
    datasets: list[str] = QualityInputs,
    output: Path = typer.Option(..., "--output", "-o", help="Output dataset (.jsonl, .json, .parquet or .csv)."),
    strategy: str = typer.Option("majority", "--strategy", help="majority, average, median, strict, per-option, "
                                 "intersection, union, borda, dawid-skene, weighted or bradley-terry."),
    question: list[str] | None = QualityQuestionOpt,
    tie_breaker: str = typer.Option("review", "--tie-breaker", help="Majority ties: review (flag them), schema "
                                    "(first on the scale), random (seeded) or experts (needs --experts)."),
    experts: str | None = typer.Option(None, "--experts", help="Expert annotators, highest priority first: a,b."),
    min_agreement: float = typer.Option(0.0, "--min-agreement", help="Flag majority decisions whose winning share "
                                        "is below this."),
    min_confidence: float = typer.Option(0.0, "--min-confidence", help="Flag Dawid-Skene decisions whose "
                                         "posterior is below this."),
    seed: int = typer.Option(0, "--seed", help="Seed for the random tie-breaker."),
    round_to_scale: bool = typer.Option(False, "--round", help="With --strategy average, round each mean rating to "
                                        "the nearest point of the question's scale (by default the exact mean is "
                                        "kept: 1, 1 and 0.5 merge to 0.8333)."),
    include_predictions: bool = PredictionsOpt,
    include_accepted: bool = AcceptedOpt,
    schema: str | None = QualitySchemaOpt,
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Merge every annotator's answers into one aggregate annotation per sample."""
    r = ops.merge(datasets, output, strategy, question=question, tie_breaker=tie_breaker,
                  experts=comma_list(experts), min_agreement=min_agreement, min_confidence=min_confidence, seed=seed,
                  include_predictions=include_predictions, schema=schema, fmt=fmt, include_accepted=include_accepted,
                  round_to_scale=round_to_scale)
    summary = {**r.summary, "output": r.output}
    if as_json:
        out.print_json(json.dumps(summary, default=str))
        return
    _print_merge_summary(summary)
    out.print(f"Wrote {output}.", markup=False)


def _print_merge_summary(summary: dict[str, Any]) -> None:
    table = Table(title=f"{summary['strategy']} ({summary['annotator']})", title_justify="left")
    for c in ("question", "method", "items", "decided", "needs review"):
        table.add_column(c, justify="left" if c in ("question", "method") else "right")
    for name, q in summary["questions"].items():
        table.add_row(name, q["strategy"], str(q["items"]), str(q["decided"]), str(q["needs_review"]))
    out.print(table)
    for name, q in summary["questions"].items():
        if q.get("reliability"):
            rel = Table(title=f"Annotator reliability ({name}, Dawid-Skene)", title_justify="left")
            for c in ("annotator", "labels", "accuracy", "reliability"):
                rel.add_column(c, justify="left" if c == "annotator" else "right")
            for r in q["reliability"]:
                rel.add_row(r["annotator"], str(r["labels"]), f"{r['accuracy']:.3f}", f"{r['reliability']:.3f}")
            out.print(rel)
    out.print(f"{summary['merged_samples']} of {summary['samples']} samples merged; "
              f"{summary['needs_review_samples']} need review.", markup=False)
    if summary.get("accepted_predictions_left_out"):
        from labelloop.quality.render import accepted_note

        out.print(accepted_note(summary["accepted_predictions_left_out"]), markup=False)


class _AdjudicateGroup(TyperGroup):
    """``adjudicate DATASET …`` runs the default command; ``adjudicate apply …`` reads decisions back."""

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


adjudicate_app = typer.Typer(cls=_AdjudicateGroup, no_args_is_help=True, help="Settle disagreements by rule "
                             "(majority, expert priority, longest text) and queue the rest for a reviewer; "
                             "'adjudicate apply' reads the reviewer's decisions back.")


@adjudicate_app.command("run")
def adjudicate_cmd(
    datasets: list[str] = QualityInputs,
    output: Path = typer.Option(..., "--output", "-o", help="Output dataset (.jsonl, .json, .parquet or .csv)."),
    strategy: str = typer.Option("majority", "--strategy", help="majority, experts, longest (text) or review "
                                 "(only unanimous answers are taken)."),
    experts: str | None = typer.Option(None, "--experts", help="Expert annotators, highest priority first: a,b."),
    queue: Path | None = typer.Option(None, "--queue", help="Review queue (JSONL) for what still needs a person "
                                      "(default: OUTPUT's name with .review.jsonl)."),
    question: list[str] | None = QualityQuestionOpt,
    include_predictions: bool = PredictionsOpt,
    include_accepted: bool = AcceptedOpt,
    schema: str | None = QualitySchemaOpt,
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Adjudicate (the default command: 'labelloop adjudicate DATASET -o OUT --strategy S')."""
    r = ops.adjudicate(datasets, output, strategy, experts=comma_list(experts), queue=queue, question=question,
                       include_predictions=include_predictions, schema=schema, fmt=fmt,
                       include_accepted=include_accepted)
    summary = {**r.summary, "output": r.output}
    if as_json:
        out.print_json(json.dumps(summary, default=str))
        return
    _print_merge_summary(summary)
    out.print(f"Wrote {output}.", markup=False)
    if r.queue is not None:
        out.print(f"{r.pending} item(s) need a reviewer: fill in 'decision' and 'reviewer' in {r.queue}, then "
                  f"run: labelloop adjudicate apply {output} {r.queue} -o OUT", markup=False)


@adjudicate_app.command("apply")
def adjudicate_apply_cmd(
    paths: list[str] = typer.Argument(..., metavar="FILE", help="The dataset file(s), then the "
                                      "filled-in review queue (DECISIONS, last)."),
    output: Path = typer.Option(..., "--output", "-o", help="Output dataset (.jsonl, .json, .parquet or .csv)."),
    reviewer: str | None = typer.Option(None, "--reviewer", help="Reviewer name for decisions that name none."),
    schema: str | None = QualitySchemaOpt,
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Read a reviewer's decisions back as aggregate annotations in the reviewer's name."""
    if len(paths) < 2:
        raise LabelloopError("adjudicate apply needs a dataset and a decisions file: DATASET... DECISIONS.")
    r = ops.apply(paths[:-1], Path(paths[-1]), output, reviewer=reviewer, schema=schema, fmt=fmt)
    summary = {**r.summary, "output": r.output}
    if as_json:
        out.print_json(json.dumps(summary))
        return
    out.print(f"Applied {summary['applied']} decision(s) on {summary['samples']} sample(s) by "
              f"{', '.join(summary['reviewers']) or 'nobody'}; {summary['pending']} still pending. Wrote {output}.",
              markup=False)


# Commands that live in modules of their own (each imports labelloop.cli lazily, inside its functions).
