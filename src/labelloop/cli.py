"""The ``labelloop`` command. Thin: it parses arguments and calls the library.

Errors a user can cause are printed as one sentence, with a non-zero exit and no traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from labelloop.cli_review import ApiKeyEnvOpt
from labelloop.data.display import visible
from labelloop.errors import LabelloopError

app = typer.Typer(
    name="labelloop",
    help="Human-in-the-loop annotation of LLM data: load preference and chat data, label it, "
    "measure agreement and export training data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _Console(Console):
    """Markup off (data may hold ``[/x]``) and control characters shown as escapes, in every string printed,
    table cells included: what the CLI prints comes from data."""

    def render_str(self, text: str, **kwargs: Any):
        return super().render_str(visible(text), **kwargs)


out = _Console(highlight=False, soft_wrap=True, markup=False)
err = _Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

FormatOpt = typer.Option("auto", "--format", "-f", help="Input format, or 'auto' to recognise it by its columns.")
QuietOpt = typer.Option(False, "--quiet", "-q", help="No progress bar or notes on stderr.")
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")


def note(message: str, quiet: bool) -> None:
    if not quiet:
        err.print(message, markup=False)


def _reader(path: str, fmt: str, *, limit: int | None = None, seed: int = 0, skip_bad: bool = False,
            rejects: Path | None = None, columns: dict[str, str | None] | None = None,
            hf_split: str | None = None, hf_subset: str | None = None, quiet: bool = True):
    from labelloop.formats import SampleReader

    options = {f"{k}_column": v for k, v in (columns or {}).items() if v}
    reader = SampleReader(path, fmt, limit=limit, seed=seed, skip_bad=skip_bad, rejects=rejects, options=options,
                          hf_split=hf_split, hf_name=hf_subset)
    if reader.detected:
        note(f"Format: {reader.format_name} (recognised from columns: {', '.join(reader.columns)})", quiet)
    return reader


def _progress(iterable, quiet: bool, label: str):
    if quiet or not err.is_terminal:
        yield from iterable
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as progress:
        task = progress.add_task(label, total=None)
        for i, item in enumerate(iterable, 1):
            yield item
            if i % 1000 == 0:
                progress.update(task, completed=i)


def _load(path: str, fmt: str = "auto", quiet: bool = True, **kw: Any):
    reader = _reader(path, fmt, quiet=quiet, **kw)
    from labelloop.data.model import Dataset

    samples = list(_progress(iter(reader), quiet, "Reading"))
    _report_rejects(reader, quiet)
    return Dataset(name=reader.name, samples=samples, schema=reader.schema, metadata=reader.metadata), reader


def _report_rejects(reader, quiet: bool) -> None:
    if reader.rejected:
        where = f"; written to {reader.rejects_path}" if reader.rejects_path else ""
        note(f"Skipped {len(reader.rejected)} bad row(s){where}.", quiet)


# ---------------------------------------------------------------------- convert
@app.command()
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

    reader = _reader(src, fmt, limit=limit, seed=seed, skip_bad=skip_bad, rejects=rejects,
                     columns={"prompt": prompt_column, "chosen": chosen_column, "rejected": rejected_column,
                              "id": id_column}, hf_split=split, hf_subset=subset, quiet=quiet)
    n = write_samples(_progress(iter(reader), quiet, "Converting"), output, name=reader.name, schema=reader.schema,
                      metadata=reader.metadata)
    _report_rejects(reader, quiet)
    result = {"input": src, "format": reader.format_name, "output": str(output), "samples": n,
              "rejected": len(reader.rejected)}
    if as_json:
        out.print_json(json.dumps(result))
    else:
        out.print(f"Wrote {n} samples ({reader.format_name}) to {output}.", markup=False)


# ---------------------------------------------------------------------- info
from labelloop.data.summary import dataset_summary  # noqa: E402  (moved to the library; kept importable here)


@app.command()
def info(
    dataset: str = typer.Argument(..., help="Dataset file, directory or hf:NAME."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Counts: samples, subsets, candidates per sample, annotations by kind and annotator."""
    ds, reader = _load(dataset, fmt, quiet=quiet or as_json)
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
@app.command()
def validate(
    dataset: str = typer.Argument(..., help="Dataset file, directory or hf:NAME."),
    schema: str | None = typer.Option(None, "--schema", "-s", help="Template name or schema file "
                                         "(default: the dataset's own schema)."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Check every row reads and every human / merged annotation fits the schema."""
    from labelloop.data.schema import load_schema

    ds, _ = _load(dataset, fmt, quiet=quiet or as_json)
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
@app.command()
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
    from labelloop.data.export import export_dataset
    from labelloop.formats import writer_names

    if to not in writer_names():  # before a large file is read
        raise LabelloopError(f"Unknown output format {to!r}; known: {', '.join(writer_names())}.")
    ratios = _parse_split(split) if split else {}
    ds, _ = _load(dataset, in_fmt, quiet=quiet or as_json)
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
@app.command("formats")
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


# ---- machine help (issue 6: LLM pre-labels) ------------------------------------
def _schema_for(ds, template: str | None, schema: str | None):
    from labelloop.data.schema import resolve_schema

    return resolve_schema(template, schema, ds, required=True)


@app.command()
def prelabel(
    dataset: str = typer.Argument(..., help="Dataset file, directory or hf:NAME."),
    output: Path = typer.Option(..., "--output", "-o", help="Where the dataset with predictions is written."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template name (e.g. rewardbench)."),
    schema: str | None = typer.Option(None, "--schema", "-s", help="Schema file (YAML / JSON) or template name."),
    provider: str = typer.Option(..., "--provider", "-p", help="openai, anthropic, moonshot or compatible "
                                 "(any OpenAI-compatible server; give --base-url), or local (no network)."),
    model: str | None = typer.Option(None, "--model", "-m", help="Model name (default: the provider's)."),
    base_url: str | None = typer.Option(None, "--base-url", help="API base URL, e.g. http://127.0.0.1:8000/v1."),
    api_key_env: str | None = ApiKeyEnvOpt,
    concurrency: int = typer.Option(8, "--concurrency", "-c", min=1, help="Calls in flight at once."),
    cache: Path = typer.Option(Path(".labelloop/cache"), "--cache", help="Answer cache directory; a rerun makes "
                               "no call it already paid for."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the cache."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Pre-label a seeded random sample of N samples "
                                      "(--seed)."),
    temperature: float = typer.Option(0.0, "--temperature", help="Sampling temperature."),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for one answer before retrying."),
    max_retries: int = typer.Option(4, "--max-retries", min=0, help="Retries of a call on 429, 5xx or timeout."),
    max_attempts: int = typer.Option(3, "--max-attempts", min=1, help="Answers asked for per sample when "
                                     "the previous one does not fit the schema."),
    both_orders: bool = typer.Option(False, "--both-orders", help="Judge each sample again with the answers in "
                                     "reverse order; disagreement lowers the confidence."),
    seed: int = typer.Option(0, "--seed", help="Seed of the order the answers are shown in and of --limit."),
    predictor: str = typer.Option("tfidf", "--predictor", help="With --provider local: tfidf (light) or "
                                  "embedding (MiniLM, the ml extra)."),
    fit_on: str = typer.Option("human", "--fit-on", help="With --provider local: the labels to learn from "
                               "(human, reference or both, comma-separated)."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Ask an LLM for pre-labels (or --provider local: a model fit on the dataset's own labels, no network)."""
    if provider == "local":
        from labelloop.cli_loop import prelabel_local_command

        return prelabel_local_command(dataset, output, schema=(template, schema), predictor=predictor, fit_on=fit_on,
                                      limit=limit, seed=seed, fmt=fmt, as_json=as_json, quiet=quiet)
    import asyncio

    from labelloop.assist.cache import AnswerCache
    from labelloop.assist.llm import get_provider
    from labelloop.assist.prelabel import prelabel_async
    from labelloop.formats import save

    prov = get_provider(provider, model=model, base_url=base_url, temperature=temperature, timeout=timeout,
                        max_retries=max_retries, seed=seed, api_key_env=api_key_env)
    prov.check_ready()  # a missing key fails before a large file is read
    ds, _ = _load(dataset, fmt, quiet=quiet or as_json)
    sch = _schema_for(ds, template, schema)
    answers = AnswerCache(None if no_cache else cache)
    show = not (quiet or as_json) and err.is_terminal
    try:
        if show:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            with Progress(TextColumn("Pre-labelling"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=err, transient=True) as bar:
                task = bar.add_task("prelabel", total=None)
                result = asyncio.run(prelabel_async(
                    ds, sch, prov, concurrency=concurrency, cache=answers, limit=limit, seed=seed,
                    both_orders=both_orders, max_attempts=max_attempts,
                    on_progress=lambda done, total: bar.update(task, completed=done, total=total)))
        else:
            result = asyncio.run(prelabel_async(ds, sch, prov, concurrency=concurrency, cache=answers, limit=limit,
                                                seed=seed, both_orders=both_orders, max_attempts=max_attempts))
    finally:
        answers.close()
    save(result.dataset, output)
    summary = {"output": str(output), "annotator": prov.annotator, **result.summary.as_dict()}
    if as_json:
        out.print_json(json.dumps(summary))
        return
    s = result.summary
    cost = f", cost ${s.cost_usd:.4f}" if s.cost_usd is not None else ""
    out.print(f"Pre-labelled {s.predicted} of {s.samples} samples ({s.failed} failed) with {prov.annotator}: "
              f"{s.calls} calls, {s.cached} from cache, {s.http_retries} retries, {s.input_tokens} input and "
              f"{s.output_tokens} output tokens{cost}. Wrote {output}.", markup=False)
    for f in s.failures[:20]:
        out.print(f"- failed {f['sample']}: {f['reason']}", markup=False)
    if s.order_disagreements:
        out.print(f"{s.order_disagreements} sample(s) judged differently in the two orders (low confidence).",
                  markup=False)


# ---- offline annotator (issue 4: one self-contained HTML file) --------------------
@app.command()
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

    ds, _ = _load(dataset, fmt, quiet=quiet or as_json)
    sch = _schema_for(ds, template, schema)
    text = _read_guidelines(guidelines)
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


@app.command("import-results")
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
    from labelloop.data.schema import resolve_schema
    from labelloop.formats import save

    ds, _ = _load(dataset, fmt, quiet=quiet or as_json)
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


# ---- label studio (issue 5: start it, push tasks with pre-labels, pull every annotator's work) -------
labelstudio_app = typer.Typer(help="Run a local Label Studio, push datasets to it and pull every annotator's work "
                              "back.", no_args_is_help=True)
app.add_typer(labelstudio_app, name="labelstudio")
ls_webhook_app = typer.Typer(help="Label Studio webhooks.", no_args_is_help=True)
labelstudio_app.add_typer(ls_webhook_app, name="webhook")
ls_user_app = typer.Typer(help="Label Studio annotator accounts.", no_args_is_help=True)
labelstudio_app.add_typer(ls_user_app, name="user")

LsDataDirOpt = typer.Option(Path(".labelloop/label-studio"), "--data-dir", help="Label Studio's data, the "
                            "credentials file and the pushed datasets.")
LsUrlOpt = typer.Option(None, "--url", help="Label Studio URL (default: $LABEL_STUDIO_URL, else the one "
                        "started from --data-dir).")
LsTokenOpt = typer.Option(None, "--token", help="API token, legacy or personal access token (default: "
                          "$LABEL_STUDIO_API_KEY when the URL is $LABEL_STUDIO_URL, else the credentials file in "
                          "--data-dir when the URL is its server's).")
LsBinOpt = typer.Option(None, "--label-studio-bin", help="The label-studio executable (default: "
                        "$LABELLOOP_LABEL_STUDIO_BIN, PATH, or beside this Python).")
DEMO_DATASET = "examples/rewardbench2_example.jsonl"


def _ls_progress(quiet: bool, label: str):
    """A rich progress callback ``(done, total)`` and the context that shows it (or no-ops when quiet)."""
    import contextlib

    if quiet or not err.is_terminal:
        return (lambda done, total: None), contextlib.nullcontext()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                   transient=True)
    task = bar.add_task(label, total=None)
    return (lambda done, total: bar.update(task, completed=done, total=total or None)), bar


def _ls_push(ds, *, template: str | None, title: str | None, description: str, project: int | None, url: str | None,
             token: str | None, data_dir: Path, batch_size: int, seed: int, shuffle: bool, overlap: int,
             quiet: bool, guidelines: Path | None = None):
    from labelloop.annotate.labelstudio import create_annotator

    progress, ctx = _ls_progress(quiet, "Pushing")
    annotator = create_annotator(server_url=url, api_token=token, project_title=title, template_name=template,
                                 project_description=description, data_dir=data_dir, batch_size=batch_size,
                                 seed=seed, shuffle=shuffle, overlap=overlap, progress=progress,
                                 guidelines=_read_guidelines(guidelines))
    with ctx:
        return annotator.run(ds, create_new_project=project is None, project_id=project)


def _read_guidelines(path: Path | None) -> str | None:
    from labelloop.errors import InputFileError

    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read guidelines file {path}: {exc}.") from None


GuidelinesOpt = typer.Option(None, "--guidelines", "-g", help="Markdown guidelines (e.g. from labelloop "
                             "guidelines) for the project's instructions, after the schema's own.")


def _ls_print_start(info, push_result, show_password: bool, data_dir: Path) -> None:
    from labelloop.annotate.labelstudio import Credentials

    state = "already running" if info.already_running else f"started ({info.mode}, version {info.version or '?'})"
    if info.port_note:
        out.print(info.port_note, markup=False)
    out.print(f"Label Studio {state} at {info.url}", markup=False)
    if push_result is not None:
        out.print(f"Project {push_result.project_id}: {push_result.project_url} ({push_result.tasks} tasks, "
                  f"{push_result.predictions} pre-labels, template {push_result.template})", markup=False)
    creds = Credentials.load(data_dir)
    login = f"Log in as {info.email}"
    if show_password and creds is not None:
        login += f" with password {creds.password}"
    out.print(f"{login}; the password and API token are in {info.credentials_file} (readable only by you).",
              markup=False)
    out.print(f"Stop it with: labelloop labelstudio stop --data-dir {data_dir}", markup=False)


def _ls_server(data_dir: Path, quiet: bool = False, **kw: Any):
    from labelloop.annotate.labelstudio import LabelStudioServer

    return LabelStudioServer(data_dir, log=lambda m: note(m, quiet), **kw)


@labelstudio_app.command("start")
def ls_start(
    port: int | None = typer.Option(None, "--port", help="Port (default 8080, or the next free one; 0 = any free)."),
    host: str | None = typer.Option(None, "--host", help="Public URL people open, e.g. https://ls.example.org "
                                    "(default http://127.0.0.1:PORT)."),
    bind: str = typer.Option("127.0.0.1", "--bind", help="Interface to listen on; 0.0.0.0 exposes it to the network."),
    data_dir: Path = LsDataDirOpt,
    docker: bool = typer.Option(False, "--docker", help="Run the Label Studio Docker image (named volume) instead."),
    image: str = typer.Option("heartexlabs/label-studio:latest", "--image", help="Docker image for --docker."),
    database: str | None = typer.Option(None, "--database", help="postgresql://user:password@host:port/name "
                                        "instead of SQLite."),
    username: str | None = typer.Option(None, "--username", help="Admin email (default admin@example.com)."),
    password: str | None = typer.Option(None, "--password", help="Admin password (default: generated)."),
    label_studio_bin: str | None = LsBinOpt,
    timeout: float = typer.Option(240.0, "--timeout", help="Seconds to wait for Label Studio to answer."),
    push: str | None = typer.Option(None, "--push", help="Also push this dataset as a new project."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template for --push."),
    prelabels_from_reference: bool = typer.Option(False, "--reference-prelabels", help="With --push: show the "
                                                  "source's reference labels as pre-labels (model version "
                                                  "reference-as-prelabel)."),
    guidelines: Path | None = GuidelinesOpt,
    show_password: bool = typer.Option(False, "--show-password", help="Print the admin password too."),
    allow_loopback_hooks: bool | None = typer.Option(None, "--allow-loopback-hooks/--no-allow-loopback-hooks",
                                                     help="Let webhooks and ML backends be on 127.0.0.1 (default: "
                                                     "yes when bound to 127.0.0.1)."),
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Start Label Studio bound to 127.0.0.1 with an admin account and a working API token."""
    from labelloop.annotate.labelstudio import reference_as_prelabels

    server = _ls_server(data_dir, port=port, host=host, bind=bind, docker=docker, image=image, database=database,
                        username=username, password=password, label_studio_bin=label_studio_bin, timeout=timeout,
                        allow_loopback_hooks=allow_loopback_hooks, quiet=quiet or as_json)
    ds = None
    if push:
        ds, _ = _load(push, quiet=quiet or as_json)
        if prelabels_from_reference:
            ds = reference_as_prelabels(ds)
    info = server.start()
    result = None
    if ds is not None:
        result = _ls_push(ds, template=template, title=None, description="", project=None, url=info.url, token=None,
                          data_dir=data_dir, batch_size=500, seed=0, shuffle=True, overlap=1, quiet=quiet or as_json,
                          guidelines=guidelines)
    if as_json:
        out.print_json(json.dumps({**info.as_dict(), "project": result.as_dict() if result else None}))
        return
    _ls_print_start(info, result, show_password, data_dir)


@labelstudio_app.command("demo")
def ls_demo(
    dataset: str = typer.Argument(DEMO_DATASET, help="Dataset to push (default: the bundled RewardBench 2 example)."),
    template: str = typer.Option("rewardbench2", "--template", "-t", help="Template of the project."),
    port: int | None = typer.Option(None, "--port", help="Port (default 8080, or the next free one)."),
    data_dir: Path = LsDataDirOpt,
    docker: bool = typer.Option(False, "--docker", help="Run the Label Studio Docker image instead."),
    label_studio_bin: str | None = LsBinOpt,
    show_password: bool = typer.Option(False, "--show-password", help="Print the admin password too."),
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Start Label Studio with the example pushed as a ready project, pre-labelled from its reference labels."""
    ls_start(port=port, host=None, bind="127.0.0.1", data_dir=data_dir, docker=docker,
             image="heartexlabs/label-studio:latest", database=None, username=None, password=None,
             label_studio_bin=label_studio_bin, timeout=240.0, push=dataset, template=template,
             prelabels_from_reference=True, guidelines=None, show_password=show_password, allow_loopback_hooks=None,
             as_json=as_json, quiet=quiet)


@labelstudio_app.command("stop")
def ls_stop(data_dir: Path = LsDataDirOpt, quiet: bool = QuietOpt) -> None:
    """Stop the Label Studio started from --data-dir (its own process group only); the data stays."""
    stopped = _ls_server(data_dir).stop()
    out.print(f"Stopped Label Studio; its data stays in {data_dir}." if stopped
              else f"No Label Studio started from {data_dir} is running.", markup=False)


@labelstudio_app.command("status")
def ls_status(data_dir: Path = LsDataDirOpt, as_json: bool = JsonOpt) -> None:
    """URL, version, PIDs, data dir, credentials file and whether the API answers."""
    st = _ls_server(data_dir).status()
    if as_json:
        out.print_json(json.dumps(st))
        return
    if not st.get("url"):
        out.print(f"No Label Studio started from {data_dir}." + (
            f" Credentials: {st['credentials_file']}." if st.get("credentials_file") else ""), markup=False)
        return
    rows = [("running", "yes" if st["running"] else "no"), ("url", st.get("url")), ("version", st.get("version")),
            ("mode", st.get("mode")), ("pid", st.get("pid")), ("container", st.get("container")),
            ("api", st.get("api")), ("data dir", st["data_dir"]), ("credentials", st.get("credentials_file")),
            ("log", st.get("log_file")), ("started", st.get("started_at"))]
    for k, v in rows:
        if v is not None:
            out.print(f"{k:12} {v}", markup=False)


@labelstudio_app.command("push")
def ls_push(
    dataset: str = typer.Argument(..., help="Dataset file, directory or hf:NAME."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template or schema file (default: the "
                                        "dataset's schema)."),
    project_title: str | None = typer.Option(None, "--project-title", help="Title (default: the dataset's name)."),
    project_description: str = typer.Option("", "--project-description", help="Project description."),
    project: int | None = typer.Option(None, "--project", help="Add to this existing project instead."),
    url: str | None = LsUrlOpt,
    token: str | None = LsTokenOpt,
    data_dir: Path = LsDataDirOpt,
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Tasks per import request."),
    seed: int = typer.Option(0, "--seed", help="Seed of the per-task answer order."),
    shuffle: bool = typer.Option(True, "--shuffle/--no-shuffle", help="Show answers in a seeded random order."),
    overlap: int = typer.Option(1, "--overlap", min=1, help="Annotators per task Label Studio hands out."),
    reference_prelabels: bool = typer.Option(False, "--reference-prelabels", help="Show reference labels as "
                                             "pre-labels (model version reference-as-prelabel)."),
    guidelines: Path | None = GuidelinesOpt,
    only: Path | None = typer.Option(None, "--only", help="Push only the samples this selection file names "
                                     "(from labelloop select: JSONL, JSON or one id a line), in its order."),
    ids: str | None = typer.Option(None, "--ids", help="Push only these sample ids (comma-separated)."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Create a project and import the samples as tasks, with prediction annotations as pre-labels."""
    from labelloop.annotate.labelstudio import reference_as_prelabels

    ds, _ = _load(dataset, fmt, quiet=quiet or as_json)
    if only is not None or ids is not None:
        from labelloop.annotate.labelstudio.project import only_samples
        from labelloop.assist.active import selection_ids

        wanted = (selection_ids(only) if only is not None else []) + [i.strip() for i in (ids or "").split(",")
                                                                       if i.strip()]
        ds = only_samples(ds, wanted, source=str(only) if only is not None else "--ids")
    if reference_prelabels:
        ds = reference_as_prelabels(ds)
    res = _ls_push(ds, template=template, title=project_title, description=project_description, project=project,
                   url=url, token=token, data_dir=data_dir, batch_size=batch_size, seed=seed, shuffle=shuffle,
                   overlap=overlap, quiet=quiet or as_json, guidelines=guidelines)
    if as_json:
        out.print_json(json.dumps(res.as_dict()))
    else:
        out.print(f"Pushed {res.tasks} tasks ({res.predictions} pre-labels, template {res.template}) to project "
                  f"{res.project_id}: {res.project_url}", markup=False)


@labelstudio_app.command("pull")
def ls_pull(
    project: int = typer.Option(..., "--project", help="Project id."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output dataset (default: "
                                       "labelstudio-project-ID.jsonl); pulled into again, it gains only what is "
                                       "new or changed."),
    dataset: str | None = typer.Option(None, "--dataset", help="Dataset to add the annotations to (default: the "
                                       "output if it exists, else the copy kept at push time)."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template, for projects labelloop did not "
                                        "make."),
    url: str | None = LsUrlOpt,
    token: str | None = LsTokenOpt,
    data_dir: Path = LsDataDirOpt,
    pages: bool = typer.Option(False, "--pages", help="Read tasks a page at a time instead of one JSON export "
                               "(for projects too large to export at once)."),
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Every annotation of every annotator, as human annotations in candidate ids, next to the originals."""
    from labelloop.annotate.labelstudio import pull_project
    from labelloop.formats import save

    output = output or Path(f"labelstudio-project-{project}.jsonl")
    base = None
    if dataset:
        base, _ = _load(dataset, quiet=True)
    elif output.exists():
        base, _ = _load(str(output), quiet=True)
    progress, ctx = _ls_progress(quiet or as_json, "Pulling")
    with ctx:
        ds, stats = pull_project(project, url, token, dataset=base, data_dir=data_dir, template=template,
                                 progress=progress, method="pages" if pages else "export")
    save(ds, output)
    if as_json:
        out.print_json(json.dumps({"output": str(output), **stats.as_dict()}))
        return
    out.print(f"Pulled {stats.annotations} annotation(s) from {stats.tasks} task(s) of project {project}: "
              f"{stats.new} new, {stats.updated} changed, {stats.unchanged} already here, {stats.skipped} skipped "
              f"by the annotator; annotators: {', '.join(stats.annotators) or 'none'}. Wrote {output}.", markup=False)


@ls_webhook_app.command("add")
def ls_webhook_add(
    project: int = typer.Option(..., "--project", help="Project id."),
    hook_url: str = typer.Option(..., "--url", help="URL Label Studio calls."),
    events: list[str] = typer.Option([], "--events", help="Events, e.g. ANNOTATION_CREATED ANNOTATION_UPDATED "
                                     "(repeat or comma-separate; default: all)."),
    server: str | None = typer.Option(None, "--server", help="Label Studio URL (default as for push)."),
    token: str | None = LsTokenOpt,
    data_dir: Path = LsDataDirOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Ask Label Studio to call a URL when annotations or tasks change."""
    from labelloop.annotate.labelstudio import connect

    actions = [e.strip().upper() for x in events for e in x.split(",") if e.strip()]
    with connect(server, token, data_dir) as client:
        client.get_project(project)
        hook = client.create_webhook(project, hook_url, actions)
    if as_json:
        out.print_json(json.dumps(hook))
    else:
        out.print(f"Webhook {hook.get('id')} on project {project} calls {hook_url} for "
                  f"{', '.join(actions) or 'every event'}.", markup=False)


@ls_user_app.command("add")
def ls_user_add(
    email: str = typer.Argument(..., help="The annotator's email (their login)."),
    password: str | None = typer.Option(None, "--password", help="Password (default: generated and printed)."),
    server: str | None = typer.Option(None, "--server", help="Label Studio URL (default as for push)."),
    token: str | None = LsTokenOpt,
    data_dir: Path = LsDataDirOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Create an annotator account through the organisation's invite link."""
    import secrets

    from labelloop.annotate.labelstudio import connect
    from labelloop.annotate.labelstudio.session import add_user

    password = password or secrets.token_urlsafe(12)
    with connect(server, token, data_dir) as client:
        user = add_user(client, email, password)
    if as_json:
        out.print_json(json.dumps({**user, "password": password}))
    else:
        out.print(f"Created {user['email']} (user {user['id']}) with password {password}; API token "
                  f"{user['token']}.", markup=False)


# ---- quality (issue 3: agreement, merging, adjudication) ---------------------------------------
QualityInputs = typer.Argument(..., metavar="DATASET", help="Dataset file(s). Several files of the same samples "
                               "(e.g. one DataLabel results file per annotator) are combined into one.")
QualitySchemaOpt = typer.Option(None, "--schema", help="Template name or schema file (default: the dataset's own; "
                                "without one, question types are inferred from the values).")
QualityQuestionOpt = typer.Option(None, "--question", "-Q", help="Only this question (repeat for several).")
PredictionsOpt = typer.Option(False, "--include-predictions", help="Count model pre-labels (kind prediction) as "
                              "annotators too.")


def _quality_load(paths: list[str], fmt: str, schema: str | None):
    from labelloop.data.schema import load_schema
    from labelloop.quality.inputs import load_inputs

    return load_inputs(paths, fmt=fmt, schema=load_schema(schema) if schema else None)


def _experts(text: str | None) -> list[str]:
    return [e.strip() for e in (text or "").split(",") if e.strip()]


def agreement_cmd(
    datasets: list[str] = QualityInputs,
    question: list[str] | None = QualityQuestionOpt,
    level: str | None = typer.Option(None, "--level", help="Alpha level: nominal, ordinal, interval, ratio "
                                     "(masi or jaccard for multi-choice). Default: from the question type."),
    bootstrap: int = typer.Option(0, "--bootstrap", help="Bootstrap replicates (items resampled) for a 95% "
                                  "interval on alpha and kappa; 1000 is usual."),
    seed: int = typer.Option(0, "--seed", help="Seed for --bootstrap."),
    include_predictions: bool = PredictionsOpt,
    top: int = typer.Option(10, "--top", help="How many of the most disagreed items to list."),
    schema: str | None = QualitySchemaOpt,
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Inter-annotator agreement per question: alpha, kappas, AC1, per-annotator, disagreements."""
    from labelloop.quality.agreement import agreement
    from labelloop.quality.render import report_tables

    if bootstrap < 0:
        raise LabelloopError(f"--bootstrap must be 0 or more, not {bootstrap}.")
    ds = _quality_load(datasets, fmt, schema)
    report = agreement(ds, questions=question or None, level=level, include_predictions=include_predictions,
                       bootstrap=bootstrap, seed=seed)
    if as_json:
        out.print_json(json.dumps(report.to_dict(), default=str))
        return
    for part in report_tables(report, top):
        out.print(part)


app.command("agreement")(agreement_cmd)
app.command("iaa", help="Same as 'agreement'.")(agreement_cmd)


@app.command("merge")
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
    include_predictions: bool = PredictionsOpt,
    schema: str | None = QualitySchemaOpt,
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Merge every annotator's answers into one aggregate annotation per sample."""
    from labelloop.formats import save
    from labelloop.quality.merge import STRATEGIES, merge

    if strategy not in STRATEGIES:
        raise LabelloopError(f"Unknown merge strategy {strategy!r}; known: {', '.join(STRATEGIES)}.")
    ds = _quality_load(datasets, fmt, schema)
    merged, summary = merge(ds, strategy, questions=question or None, include_predictions=include_predictions,
                            tie_breaker=tie_breaker, experts=_experts(experts), seed=seed,
                            min_agreement=min_agreement, min_confidence=min_confidence)
    save(merged, output)
    summary["output"] = str(output)
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


class _AdjudicateGroup(TyperGroup):
    """``adjudicate DATASET …`` runs the default command; ``adjudicate apply …`` reads decisions back."""

    def parse_args(self, ctx, args):  # type: ignore[no-untyped-def]
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


adjudicate_app = typer.Typer(cls=_AdjudicateGroup, no_args_is_help=True, help="Settle disagreements by rule "
                             "(majority, expert priority, longest text) and queue the rest for a reviewer; "
                             "'adjudicate apply' reads the reviewer's decisions back.")
app.add_typer(adjudicate_app, name="adjudicate")


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
    schema: str | None = QualitySchemaOpt,
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Adjudicate (the default command: 'labelloop adjudicate DATASET -o OUT --strategy S')."""
    from labelloop.formats import save
    from labelloop.quality.adjudicate import adjudicate, default_queue_path, write_queue

    ds = _quality_load(datasets, fmt, schema)
    result, items, summary = adjudicate(ds, strategy, experts=_experts(experts), questions=question or None,
                                        include_predictions=include_predictions)
    save(result, output)
    queue_path = queue or default_queue_path(output)
    if items or queue is not None:
        write_queue(items, queue_path)
        summary["queue"] = str(queue_path)
    summary["output"] = str(output)
    if as_json:
        out.print_json(json.dumps(summary, default=str))
        return
    _print_merge_summary(summary)
    out.print(f"Wrote {output}.", markup=False)
    if items or queue is not None:
        out.print(f"{len(items)} item(s) need a reviewer: fill in 'decision' and 'reviewer' in {queue_path}, then "
                  f"run: labelloop adjudicate apply {output} {queue_path} -o OUT", markup=False)


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
    from labelloop.formats import save
    from labelloop.quality.adjudicate import apply_decisions

    if len(paths) < 2:
        raise LabelloopError("adjudicate apply needs a dataset and a decisions file: DATASET... DECISIONS.")
    ds = _quality_load(paths[:-1], fmt, schema)
    result, summary = apply_decisions(ds, paths[-1], reviewer=reviewer)
    save(result, output)
    summary["output"] = str(output)
    if as_json:
        out.print_json(json.dumps(summary))
        return
    out.print(f"Applied {summary['applied']} decision(s) on {summary['samples']} sample(s) by "
              f"{', '.join(summary['reviewers']) or 'nobody'}; {summary['pending']} still pending. Wrote {output}.",
              markup=False)


# Commands that live in modules of their own (each imports labelloop.cli lazily, inside its functions).
from labelloop import cli_dashboard, cli_labelbox, cli_loop, cli_mcp, cli_review  # noqa: E402

for _commands in (cli_review, cli_loop, cli_dashboard, cli_labelbox, cli_mcp):
    _commands.register(app)


def main(argv: list[str] | None = None) -> None:
    try:
        rc = app(args=argv, standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except LabelloopError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click's own usage errors (typer may vendor its own copy of click)
        if type(exc).__name__ == "Abort":
            sys.exit(1)
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
