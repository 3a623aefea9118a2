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
    load,
    note,
    open_reader,
    out,
    progress,
    report_rejects,
)
from labelloop.data.display import visible
from labelloop.errors import LabelloopError


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
    from labelloop.data.io import write_samples

    reader = open_reader(src, fmt, limit=limit, seed=seed, skip_bad=skip_bad, rejects=rejects,
                     columns={"prompt": prompt_column, "chosen": chosen_column, "rejected": rejected_column,
                              "id": id_column}, hf_split=split, hf_subset=subset, quiet=quiet)
    n = write_samples(progress(iter(reader), quiet, "Converting"), output, name=reader.name, schema=reader.schema,
                      metadata=reader.metadata)
    report_rejects(reader, quiet)
    result = {"input": src, "format": reader.format_name, "output": str(output), "samples": n,
              "rejected": len(reader.rejected)}
    if as_json:
        out.print_json(json.dumps(result))
    else:
        out.print(f"Wrote {n} samples ({reader.format_name}) to {output}.", markup=False)


# ---------------------------------------------------------------------- info


def info(
    dataset: str = typer.Argument(..., help="Dataset file, directory or hf:NAME."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Counts: samples, subsets, candidates per sample, annotations by kind and annotator."""
    from labelloop.data.summary import dataset_summary

    ds, reader = load(dataset, fmt, quiet=quiet or as_json)
    summary = dataset_summary(ds)
    summary["format"] = reader.format_name
    if as_json:
        out.print_json(json.dumps(summary))
        return
    out.print(Text.assemble((visible(ds.name), "bold"), visible(
        f": {summary['samples']} samples, format {reader.format_name}, schema {summary['schema'] or '(none)'}")))
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
    from labelloop.formats.schemas import load_schema

    ds, _ = load(dataset, fmt, quiet=quiet or as_json)
    sch = load_schema(schema) if schema else ds.schema
    problems: list[str] = []
    if sch is not None:
        for s in ds.samples:
            problems += sch.validate_sample(s)
    result = {"samples": len(ds.samples), "schema": sch.name if sch else None, "problems": len(problems),
              "details": problems[:1000]}
    if as_json:
        out.print_json(json.dumps(result))
    else:
        for p in problems[:50]:
            out.print(f"- {p}", markup=False)
        if len(problems) > 50:
            out.print(f"… and {len(problems) - 50} more", markup=False)
        verdict = "no problems" if not problems else f"{len(problems)} problem(s)"
        out.print(f"{len(ds.samples)} samples read; schema {result['schema'] or '(none)'}: {verdict}.", markup=False)
    if problems:
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
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Write training data (DPO pairs, reward-model pairs) or another format."""
    from labelloop.formats.export import export_dataset
    from labelloop.formats import writer_names

    if to not in writer_names():  # before a large file is read
        raise LabelloopError(f"Unknown output format {to!r}; known: {', '.join(writer_names())}.")
    ratios = _parse_split(split) if split else {}
    ds, _ = load(dataset, in_fmt, quiet=quiet or as_json)
    results = export_dataset(ds, output, to, pairs=pairs, label_source=label_source, question=question,
                             prompt_style=prompt_style, ratios=ratios, seed=seed)
    for r in results.values():
        if not as_json:
            stats = r.get("stats")
            extra = ""
            if stats:
                extra = (f" from {stats['with_pairs']} of {stats['samples']} samples (labels: "
                         + ", ".join(f"{k} {stats[k]}" for k in ("aggregate", "human", "reference") if stats[k])
                         + ")")
            out.print(f"Wrote {r['rows']} rows ({to}) to {r['path']}{extra}.", markup=False)
            if stats and stats.get("csv_cells_quoted"):
                note(f"{stats['csv_cells_quoted']} CSV cell(s) of {r['path']} began with = + - @, tab or CR and were "
                     "written with a leading ' so that spreadsheets do not run them as formulas; for training "
                     "data write .jsonl or .parquet, which keep every text as it is.", quiet)
    if as_json:
        out.print_json(json.dumps(results))


def _parse_split(text: str) -> dict[str, float]:
    from labelloop.data.split import check_ratios

    ratios: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() in ratios:
            raise LabelloopError(f"--split {text!r} names split {name.strip()!r} twice.")
        try:
            ratios[name.strip()] = float(value)
        except ValueError:
            raise LabelloopError(f"--split {text!r}: write it as name=ratio pairs, e.g. train=0.9,test=0.1.") from None
    check_ratios(ratios)  # before a large file is read
    return ratios


# ---------------------------------------------------------------------- formats
def list_formats(as_json: bool = JsonOpt) -> None:
    """List the formats labelloop reads and writes."""
    from labelloop.formats import FORMATS

    rows = [{"name": n, "read": FORMATS.get(n).can_read, "write": FORMATS.get(n).can_write,
             "description": FORMATS.get(n).description} for n in FORMATS]
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("format", "read", "write", "description")
    for r in rows:
        table.add_row(r["name"], "yes" if r["read"] else "", "yes" if r["write"] else "", r["description"])
    out.print(table)


