"""create, import-results: the offline annotator page and its results."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from labelloop.cli._common import (
    FormatOpt,
    JsonOpt,
    QuietOpt,
    load,
    out,
    read_guidelines,
    schema_for,
)


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
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Write the offline annotator: one HTML file that works from disk with no network."""
    from labelloop.annotate.html import build_annotator

    ds, _ = load(dataset, fmt, quiet=quiet or as_json)
    sch = schema_for(ds, template, schema)
    text = read_guidelines(guidelines)
    names = [a.strip() for a in annotators.split(",") if a.strip()] if annotators else None
    info = build_annotator(ds, sch, output, guidelines=text, annotators=names, seed=seed,
                           show_predictions=show_predictions, title=title)
    result = {"output": str(info.path), "tasks": info.n_tasks, "bytes": info.n_bytes, "file_id": info.file_id,
              "schema": sch.name, "schema_hash": info.schema_hash, "seed": seed}
    if as_json:
        out.print_json(json.dumps(result))
    else:
        out.print(f"Wrote {info.path}: {info.n_tasks} tasks, schema {sch.name}, file id {info.file_id} "
                  f"({info.n_bytes / 1e6:.1f} MB). Open it in a browser; no server needed.", markup=False)


def import_results_cmd(
    dataset: str = typer.Argument(..., help="The dataset the annotator file was built from."),
    results: list[Path] = typer.Argument(..., help="Results exported from the page (.json, .jsonl or .csv)."),
    output: Path = typer.Option(..., "--output", "-o", help="Where the dataset with the human annotations goes."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template the annotator was built with "
                                        "(default: the schema inside the results or the dataset's)."),
    schema: str | None = typer.Option(None, "--schema", "-s", help="Schema file the annotator was built with."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Add the page's exported results to the dataset as human annotations, checking every value."""
    from labelloop.annotate.results import import_results
    from labelloop.formats.schemas import resolve_schema
    from labelloop.formats import save

    ds, _ = load(dataset, fmt, quiet=quiet or as_json)
    sch = resolve_schema(template, schema)  # None: the one the results files name
    merged, report = import_results(ds, list(results), schema=sch)
    save(merged, output)
    summary = {"output": str(output), **report.as_dict()}
    if as_json:
        out.print_json(json.dumps(summary))
        return
    who = ", ".join(f"{k} {v}" for k, v in sorted(report.by_annotator.items())) or "none"
    status = ", ".join(f"{k} {v}" for k, v in sorted(report.by_status.items())) or "none"
    extra = f"; replaced {report.replaced} older" if report.replaced else ""
    extra += f"; kept {report.kept_existing} newer already in the dataset" if report.kept_existing else ""
    out.print(f"Imported {report.imported} result(s) from {len(report.files)} file(s) (annotators: {who}; "
              f"status: {status}{extra}). Wrote {output}.", markup=False)


