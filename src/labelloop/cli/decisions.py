"""leaderboard (and evaluate): from labels to decisions (thin; the logic is in ``labelloop.ops.decisions``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from labelloop.cli._common import FormatOpt, QualityInputs, QualitySchemaOpt, QuietOpt, out
from labelloop.ops import decisions as ops

AcceptedOpt = typer.Option(False, "--include-accepted-predictions", help="Count a person's annotation that is a "
                           "model prediction accepted unchanged (e.g. in Label Studio) as their own vote; by "
                           "default it is left out.")


def leaderboard_cmd(
    datasets: list[str] = QualityInputs,
    source: str = typer.Option("auto", "--source", help="Whose preferences: human (each person's answer is a vote), "
                               "aggregate (the merged label), reference (labels that came with the data), "
                               "prediction (a model or LLM judge), or auto (the first of these the data has)."),
    annotators: str | None = typer.Option(None, "--annotator", help="Only these annotators of the source: a,b."),
    rounds: int = typer.Option(1000, "--rounds", help="Bootstrap rounds (votes resampled) for the 95% intervals; "
                               "0: none."),
    seed: int = typer.Option(0, "--seed", help="Seed for the bootstrap."),
    anchor: float = typer.Option(1000.0, "--anchor", help="Where the scale sits: the mean score, or with "
                                 "--anchor-model that model's score."),
    anchor_model: str | None = typer.Option(None, "--anchor-model", help="A model whose score is --anchor."),
    prior: float | None = typer.Option(None, "--prior", help="Ties added to every compared pair (default: none when "
                                       "the maximum-likelihood scores exist, else 0.5, with a warning)."),
    min_comparisons: int = typer.Option(10, "--min-comparisons", help="Warn about pairs of models compared fewer "
                                        "times than this."),
    position: str = typer.Option("auto", "--position", help="Rank again with the screen position as a covariate: "
                                 "auto (when picks are far from chance), on or off."),
    include_accepted: bool = AcceptedOpt,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the Markdown to this file instead of "
                                       "the terminal."),
    schema: str | None = QualitySchemaOpt,
    fmt: str = FormatOpt,
    as_json: bool = typer.Option(False, "--json", help="Print every figure as JSON instead of Markdown."),
    quiet: bool = QuietOpt,
) -> None:
    """Rank the models that wrote the answers: Bradley-Terry scores with bootstrap intervals, win rates, position."""
    r = ops.leaderboard(datasets, source=source, annotators=annotators or (), rounds=rounds, seed=seed,
                        anchor=anchor, anchor_model=anchor_model, prior=prior, min_comparisons=min_comparisons,
                        position=position, include_accepted=include_accepted, schema=schema, fmt=fmt,
                        output=None if as_json else output)
    if as_json:
        out.print_json(json.dumps(r.data, default=str))
        return
    if output is None:
        sys.stdout.write(r.text)
    elif not quiet:
        typer.echo(f"Wrote {output} ({len(r.data['models'])} models, {r.data['comparisons']} comparisons).",
                   err=True)


def evaluate_cmd(
    datasets: list[str] = QualityInputs,
    scores: str | None = typer.Option(None, "--scores", "-s", help="A reward model's scores: a table with the "
                                      "columns sample_id, candidate_id, score (.jsonl, .json, .csv or .parquet); or "
                                      "a dataset whose prediction annotations are LLM judges' answers. Default: the "
                                      "dataset's own predictions."),
    label_source: str = typer.Option("auto", "--labels", help="Which labels are right: auto (the merged label, else "
                                     "a unanimous human one, else the reference), aggregate, human or reference."),
    judges: str | None = typer.Option(None, "--judge", help="Only these judges (prediction annotators): a,b."),
    rounds: int = typer.Option(1000, "--rounds", help="Bootstrap rounds (samples resampled within each subset) for "
                               "the 95% intervals; 0: none."),
    seed: int = typer.Option(0, "--seed", help="Seed for the bootstrap."),
    subset_key: str = typer.Option("subset", "--subset-key", help="The sample metadata field that names the subset."),
    min_items: int = typer.Option(10, "--min-items", help="Items a judge and people must share on a subset before "
                                  "the report says whether the judge can stand in for people."),
    include_accepted: bool = AcceptedOpt,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the Markdown to this file instead of "
                                       "the terminal."),
    schema: str | None = QualitySchemaOpt,
    fmt: str = FormatOpt,
    as_json: bool = typer.Option(False, "--json", help="Print every figure as JSON instead of Markdown."),
    quiet: bool = QuietOpt,
) -> None:
    """A reward model's (or LLM judge's) accuracy against the labels, per subset; can a judge stand in for people."""
    r = ops.evaluate(datasets, scores, label_source=label_source, judges=judges or (), rounds=rounds, seed=seed,
                     subset_key=subset_key, min_items=min_items, include_accepted=include_accepted,
                     schema=schema, fmt=fmt, output=None if as_json else output)
    if as_json:
        out.print_json(json.dumps(r.data, default=str))
        return
    if output is None:
        sys.stdout.write(r.text)
    elif not quiet:
        typer.echo(f"Wrote {output} ({len(r.data['scorers'])} scorer(s)).", err=True)
