"""dashboard: one page that shows where an annotation project stands (thin; the logic is in
``labelloop.ops.report`` over ``labelloop.report``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer


def dashboard_cmd(
    datasets: list[str] = typer.Argument(..., metavar="DATASET", help="Dataset file(s); several files of the same "
                                         "samples (e.g. one results file per annotator) are combined."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Where to write the page (or the Markdown). "
                                       "Without it, --format md prints to the terminal."),
    fmt: str = typer.Option("html", "--format", help="html (one self-contained page) or md (the same figures as "
                            "Markdown)."),
    reference: str | None = typer.Option(None, "--reference", help="A dataset file whose labels are the reference "
                                         "(gold) for samples with the same id."),
    schema: str | None = typer.Option(None, "--schema", help="Template name or schema file (default: the "
                                      "dataset's own)."),
    wanted: int | None = typer.Option(None, "--wanted", help="Submitted human answers a sample needs to count as "
                                      "complete (default: one per annotator)."),
    bootstrap: int = typer.Option(500, "--bootstrap", help="Bootstrap replicates (items resampled) for the 95% "
                                  "intervals (0: none; 1000 for a report of record)."),
    seed: int = typer.Option(0, "--seed", help="Seed for the bootstrap."),
    top: int = typer.Option(200, "--top", help="How many of the most disagreed items to list."),
    merge_strategy: str = typer.Option("majority", "--merge", help="Merge strategy for the merged label when the "
                                       "dataset has no aggregate annotations."),
    title: str | None = typer.Option(None, "--title", help="Page title."),
    review: bool = typer.Option(True, "--review/--no-review", help="Show review flags (labelloop.assist.review) "
                                "when it is installed."),
    input_format: str = typer.Option("auto", "--input-format", help="Input format, or 'auto'."),
    include_accepted: bool = typer.Option(False, "--include-accepted-predictions", help="Count a person's "
                                          "annotation that is a model prediction accepted unchanged as their own "
                                          "answer in agreement, the merged label and the review; by default it is "
                                          "left out, and counted."),
    as_json: bool = typer.Option(False, "--json", help="Print every figure as JSON instead of writing a page."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No notes on stderr."),
) -> None:
    """A dashboard of the project: completion, agreement, annotators, models, disagreements, throughput."""
    from labelloop.errors import LabelloopError
    from labelloop.ops.report import dashboard

    if fmt == "html" and output is None and not as_json:
        raise LabelloopError("The html dashboard needs an output file: pass -o dashboard.html (or --format md).")
    r = dashboard(datasets, output, fmt, reference=reference, schema=schema, wanted=wanted, bootstrap=bootstrap,
                  seed=seed, top=top, merge_strategy=merge_strategy, title=title, review=review,
                  input_format=input_format, render=not as_json, include_accepted=include_accepted)
    if as_json:
        sys.stdout.write(json.dumps(r.data, default=str, ensure_ascii=False, indent=2) + "\n")
        return
    if output is None:
        sys.stdout.write(r.text or "")
        return
    if not quiet:
        typer.echo(f"Wrote {output} ({fmt}; {r.data['overview']['samples']} samples, "
                   f"{len(r.data['annotators'])} annotators).", err=True)
