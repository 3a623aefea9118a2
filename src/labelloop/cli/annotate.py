"""create, import-results: the offline annotator page and its results."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from labelloop.cli._common import (
    FormatOpt,
    JsonOpt,
    QuietOpt,
    notes,
    out,
    progress_callback,
)
from labelloop.ops import annotate as ops
from labelloop.ops._common import comma_list


# ---- offline annotator (issue 4: one self-contained HTML file) --------------------
def create(
    dataset: str = typer.Argument(..., help="Dataset file, directory or hf:NAME."),
    output: Path = typer.Option(Path("annotator.html"), "--output", "-o", help="The HTML file to write."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template name: rewardbench, rewardbench2, "
                                        "single_choice, multi_choice, rating, ranking, text or span."),
    schema: str | None = typer.Option(None, "--schema", "-s", help="Schema file: labelloop YAML / JSON or a "
                                      "DataLabel schema."),
    guidelines: Path | None = typer.Option(None, "--guidelines", "-g", help="Markdown guidelines shown in the page "
                                           "(added to the schema's own)."),
    annotators: str | None = typer.Option(None, "--annotators", help="Comma-separated names the annotator picks "
                                          "from (default: they type their name)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the per-annotator candidate shuffle."),
    show_predictions: bool = typer.Option(True, "--show-predictions/--no-show-predictions", help="Show pre-labels "
                                          "(prediction annotations) as suggestions; turn off for blind work."),
    title: str | None = typer.Option(None, "--title", help="Page title (default: dataset and schema names)."),
    plan: Path | None = typer.Option(None, "--plan", help="A plan from labelloop assign: one page per annotator "
                                     "in the --output directory, each with only their tasks and their name."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Write the offline annotator: one HTML file that works from disk with no network."""
    quiet = quiet or as_json
    report, bar = progress_callback(quiet, "Reading")
    if plan is not None:
        _create_from_plan(dataset, plan, output, template, schema, guidelines, annotators, seed, show_predictions,
                          title, fmt, as_json, quiet)
        return
    with bar:
        r = ops.create(dataset, output, template=template, schema=schema, guidelines=guidelines,
                       annotators=comma_list(annotators) if annotators else None, seed=seed,
                       show_predictions=show_predictions, title=title, fmt=fmt, note=notes(quiet), progress=report)
    if as_json:
        out.print_json(json.dumps({"output": r.output, "tasks": r.tasks, "bytes": r.bytes, "file_id": r.file_id,
                                   "schema": r.schema_name, "schema_hash": r.schema_hash, "seed": r.seed}))
    else:
        out.print(f"Wrote {r.output}: {r.tasks} tasks, schema {r.schema_name}, file id {r.file_id} "
                  f"({r.bytes / 1e6:.1f} MB). Open it in a browser; no server needed.", markup=False)


def import_results_cmd(
    dataset: str = typer.Argument(..., help="The dataset the annotator file was built from."),
    results: list[Path] = typer.Argument(..., help="Results exported from the page (.json, .jsonl or .csv)."),
    output: Path = typer.Option(..., "--output", "-o", help="Where the dataset with the human annotations goes; "
                                "when it exists and holds the same samples (an earlier import), the results are "
                                "added to the labels it holds."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template the annotator was built with "
                                        "(default: the schema inside the results or the dataset's)."),
    schema: str | None = typer.Option(None, "--schema", "-s", help="Schema file the annotator was built with."),
    plan: Path | None = typer.Option(None, "--plan", help="The plan the pages were made from (create --plan): "
                                     "each file is matched to its person's page; gold answers are marked."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Add the page's exported results to the dataset as human annotations, checking every value."""
    quiet = quiet or as_json
    report, bar = progress_callback(quiet, "Reading")
    if plan is not None:
        _import_from_plan(dataset, plan, results, output, template, schema, fmt, as_json, quiet)
        return
    with bar:
        r = ops.import_results(dataset, results, output, template=template, schema=schema, fmt=fmt,
                               note=notes(quiet), progress=report)
    if as_json:
        out.print_json(json.dumps(r.model_dump()))
        return
    who = ", ".join(f"{k} {v}" for k, v in sorted(r.by_annotator.items())) or "none"
    status = ", ".join(f"{k} {v}" for k, v in sorted(r.by_status.items())) or "none"
    extra = f"; replaced {r.replaced} older" if r.replaced else ""
    extra += f"; kept {r.kept_existing} newer already in the dataset" if r.kept_existing else ""
    if r.added_to_output:
        extra += (f"; added to the labels {output} already held ({', '.join(r.output_annotators)})"
                  if r.output_annotators else f"; added to {output}, which held no one's labels yet")
    out.print(f"Imported {r.imported} result(s) from {len(r.files)} file(s) (annotators: {who}; "
              f"status: {status}{extra}). Wrote {output}.", markup=False)


def _create_from_plan(dataset: str, plan: Path, output: Path, template: str | None, schema: str | None,
                      guidelines: Path | None, annotators: str | None, seed: int, show_predictions: bool,
                      title: str | None, fmt: str, as_json: bool, quiet: bool) -> None:
    from labelloop.errors import ParameterError
    from labelloop.ops import assign as assign_ops

    if annotators:
        raise ParameterError("annotators", "{param} does not go with --plan: the plan names each page's annotator.")
    report, bar = progress_callback(quiet, "Reading")
    with bar:
        r = assign_ops.create_pages(dataset, plan, Path("pages") if output == Path("annotator.html") else output,
                                    template=template, schema=schema, guidelines=guidelines, seed=seed,
                                    show_predictions=show_predictions, title=title, fmt=fmt, note=notes(quiet),
                                    progress=report)
    if as_json:
        out.print_json(json.dumps(r.model_dump()))
        return
    for name, page in r.pages.items():
        out.print(f"Wrote {page}: {r.tasks[name]} tasks for {name}, file id {r.file_ids[name]}.", markup=False)
    out.print(f"{len(r.pages)} page(s) in {r.output_dir}, schema {r.schema_name}. Send each person their own page.",
              markup=False)


def _import_from_plan(dataset: str, plan: Path, results: list[Path], output: Path, template: str | None,
                      schema: str | None, fmt: str, as_json: bool, quiet: bool) -> None:
    from labelloop.ops import assign as assign_ops

    report, bar = progress_callback(quiet, "Reading")
    with bar:
        r = assign_ops.import_plan_results(dataset, plan, results, output, template=template, schema=schema,
                                           fmt=fmt, note=notes(quiet), progress=report)
    if as_json:
        out.print_json(json.dumps(r.model_dump()))
        return
    who = ", ".join(f"{k} {v}" for k, v in sorted(r.by_annotator.items())) or "none"
    extra = f"; replaced {r.replaced} older" if r.replaced else ""
    extra += f"; {r.gold_checks} gold check(s) marked" if r.gold_checks else ""
    extra += f"; {r.gold_samples_added} gold sample(s) added" if r.gold_samples_added else ""
    out.print(f"Imported {r.imported} result(s) from {len(r.files)} page(s) of {plan} (annotators: {who}{extra}). "
              f"Wrote {r.output}.", markup=False)
