"""convert, info, validate, export, formats: datasets in and out."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from labelloop.cli._common import (
    FormatOpt,
    JsonOpt,
    QuietOpt,
    note,
    notes,
    out,
    progress_callback,
)
from labelloop.cli.quality import AcceptedOpt
from labelloop.data.display import visible
from labelloop.ops import data as ops


# ---------------------------------------------------------------------- convert
def convert(
    src: str = typer.Argument(..., help="Input file, directory, or hf:NAME for a Hugging Face dataset."),
    output: Path = typer.Option(..., "--output", "-o", help="Output file: .jsonl, .json, .parquet or .csv."),
    fmt: str = FormatOpt,
    limit: int | None = typer.Option(None, "--limit", help="Keep a seeded random sample of N samples."),
    seed: int = typer.Option(0, "--seed", help="Seed for --limit."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Go on past bad rows; write them to a rejects file."),
    rejects: Path | None = typer.Option(None, "--rejects", help="Where --skip-bad writes bad rows "
                                           "(default: SRC.rejects.jsonl)."),
    prompt_column: str | None = typer.Option(None, help="pairs: the prompt column's name."),
    chosen_column: str | None = typer.Option(None, help="pairs: the chosen column's name."),
    rejected_column: str | None = typer.Option(None, help="pairs: the rejected column's name."),
    id_column: str | None = typer.Option(None, help="pairs: the id column's name."),
    split: str | None = typer.Option(None, "--split", help="Hugging Face split (default: train)."),
    subset: str | None = typer.Option(None, "--subset", help="Hugging Face configuration name."),
    quiet: bool = QuietOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Convert any supported dataset into labelloop's canonical file (streams large inputs)."""
    report, bar = progress_callback(quiet, "Converting")
    with bar:
        r = ops.convert(src, output, fmt, limit=limit, seed=seed, skip_bad=skip_bad, rejects=rejects,
                        columns={"prompt": prompt_column, "chosen": chosen_column, "rejected": rejected_column,
                                 "id": id_column}, hf_split=split, hf_subset=subset, note=notes(quiet),
                        progress=report)
    if as_json:
        out.print_json(json.dumps(r.model_dump(exclude={"rejects_file"})))
    else:
        out.print(f"Wrote {r.samples} samples ({r.format}) to {output}.", markup=False)


# ---------------------------------------------------------------------- info


def info(
    dataset: str = typer.Argument(..., help="Dataset file, directory or hf:NAME."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Counts: samples, subsets, candidates per sample, annotations by kind and annotator."""
    quiet = quiet or as_json
    report, bar = progress_callback(quiet, "Reading")
    with bar:
        r = ops.info(dataset, fmt, note=notes(quiet), progress=report)
    summary = {"name": r.name, "samples": r.samples, "schema": r.schema_name,
               **r.model_dump(include={"candidates_per_sample", "prompt_turns", "subsets", "annotations_by_kind",
                                       "annotations_by_annotator"}), "format": r.format}
    if as_json:
        out.print_json(json.dumps(summary))
        return
    out.print(Text.assemble((visible(r.name), "bold"), visible(
        f": {r.samples} samples, format {r.format}, schema {r.schema_name or '(none)'}")))
    for title, key, col in (("Candidates per sample", "candidates_per_sample", "candidates"),
                            ("Subsets", "subsets", "subset"),
                            ("Annotations by kind", "annotations_by_kind", "kind"),
                            ("Annotations by annotator", "annotations_by_annotator", "annotator")):
        if summary[key]:
            table = Table(title=title, title_justify="left")
            table.add_column(col)
            table.add_column("count", justify="right")
            for k, v in summary[key].items():
                table.add_row(str(k), str(v))
            out.print(table)


# ---------------------------------------------------------------------- validate
def validate(
    dataset: str = typer.Argument(..., help="Dataset file, directory or hf:NAME."),
    schema: str | None = typer.Option(None, "--schema", "-s", help="Template name or schema file "
                                         "(default: the dataset's own schema)."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Check every row reads and every human / merged annotation fits the schema."""
    quiet = quiet or as_json
    report, bar = progress_callback(quiet, "Reading")
    with bar:
        r = ops.validate(dataset, schema, fmt, note=notes(quiet), progress=report)
    if as_json:
        out.print_json(json.dumps({"samples": r.samples, "schema": r.schema_name, "problems": r.problems,
                                   "details": r.details}))
    else:
        for p in r.details[:50]:
            out.print(f"- {p}", markup=False)
        if r.problems > 50:
            out.print(f"… and {r.problems - 50} more", markup=False)
        verdict = "no problems" if not r.problems else f"{r.problems} problem(s)"
        out.print(f"{r.samples} samples read; schema {r.schema_name or '(none)'}: {verdict}.", markup=False)
    if r.problems:
        raise typer.Exit(1)


# ---------------------------------------------------------------------- export
def export(
    dataset: str = typer.Argument(..., help="Dataset file, directory or hf:NAME."),
    output: Path = typer.Option(..., "--output", "-o", help="Output file (.jsonl, .json, .csv or .parquet)."),
    to: str = typer.Option(..., "--format", "-f", help="Output format: dpo, rm_pairwise, rm_gallery, jsonl, json, "
                           "csv, parquet, …"),
    pairs: str = typer.Option("best-vs-rest", "--pairs", help="How a best-of-N or ranking label becomes pairs: "
                              "best-vs-rest, adjacent or all."),
    label_source: str = typer.Option("auto", "--label-source", help="Which label trains: auto (aggregate, then "
                                     "unanimous human, then reference), aggregate, human or reference."),
    question: str | None = typer.Option(None, "--question", help="The question the preference is read from "
                                           "(default: the schema's ranking, choice, correct-set or rating)."),
    prompt_style: str = typer.Option("auto", "--prompt-style", help="dpo: text, chat, or auto (chat when any "
                                     "prompt has more than one turn)."),
    split: str | None = typer.Option(None, "--split", help="Split by prompt, e.g. train=0.9,test=0.1; files get "
                                        "_train / _test suffixes."),
    seed: int = typer.Option(0, "--seed", help="Seed for --split."),
    in_fmt: str = typer.Option("auto", "--input-format", help="Input format, or auto."),
    include_accepted: bool = AcceptedOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Write training data (DPO pairs, reward-model pairs) or another format."""
    quiet = quiet or as_json
    report, bar = progress_callback(quiet, "Reading")
    with bar:
        r = ops.export(dataset, output, to, pairs=pairs, label_source=label_source, question=question,
                       prompt_style=prompt_style, split=split, seed=seed, in_fmt=in_fmt,
                       include_accepted=include_accepted, note=notes(quiet),
                       progress=report)
    if as_json:
        out.print_json(json.dumps({k: f.model_dump(exclude_unset=True) for k, f in r.files.items()}))
        return
    for f in r.files.values():
        stats = f.stats
        extra = ""
        if stats:
            extra = (f" from {stats['with_pairs']} of {stats['samples']} samples (labels: "
                     + ", ".join(f"{k} {stats[k]}" for k in ("aggregate", "human", "reference") if stats[k])
                     + ")")
        out.print(f"Wrote {f.rows} rows ({to}) to {f.path}{extra}.", markup=False)
        if stats and stats.get("reference_pairs") and label_source == "auto":
            note(f"{stats['reference_pairs']} of {f.rows} rows of {f.path} come from the reference labels (the "
                 f"source data's, not people's), for {stats['reference']} sample(s) with no merged or unanimous "
                 "human label; --label-source human takes people's labels only.", quiet)
        if stats and stats.get("contradicted"):
            asked = ", ".join(repr(q) for q in stats.get("contradicted_questions", {}))
            note(f"{stats['contradicted']} sample(s) left out of {f.path}: their label for {asked} contradicts "
                 "itself (a best answer not first in the ranking, a correct answer ranked below an incorrect one, "
                 "or ratings against the ranking; 'labelloop validate' lists them); --question picks another "
                 "question.", quiet)
        if f.accepted_predictions_left_out:
            note(f"{f.accepted_predictions_left_out} annotation(s) in {f.path} are model predictions accepted "
                 "unchanged and were not taken as human labels (take them with --include-accepted-predictions).",
                 quiet)
        if stats and stats.get("csv_cells_quoted"):
            note(f"{stats['csv_cells_quoted']} CSV cell(s) of {f.path} began with = + - @, tab or CR and were "
                 "written with a leading ' so that spreadsheets do not run them as formulas; for training "
                 "data write .jsonl or .parquet, which keep every text as it is.", quiet)


# ---------------------------------------------------------------------- formats
def list_formats(as_json: bool = JsonOpt) -> None:
    """List the formats labelloop reads and writes."""
    rows = ops.formats()
    if as_json:
        out.print_json(json.dumps([r.model_dump() for r in rows]))
        return
    table = Table("format", "read", "write", "description")
    for r in rows:
        table.add_row(r.name, "yes" if r.read else "", "yes" if r.write else "", r.description)
    out.print(table)
