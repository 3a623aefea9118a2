"""What every command group shares: the consoles, the options declared once, reading a dataset with a progress
bar, and the notes on stderr."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from labelloop.data.display import visible
from labelloop.errors import LabelloopError


class _Console(Console):
    """Markup off (data may hold ``[/x]``) and control characters shown as escapes, in every string printed,
    table cells included: what the CLI prints comes from data."""

    def render_str(self, text: str, **kwargs: Any):
        return super().render_str(visible(text), **kwargs)


out = _Console(highlight=False, soft_wrap=True, markup=False)
err = _Console(stderr=True, highlight=False, soft_wrap=True, markup=False)

FormatOpt = typer.Option("auto", "--format", "-f", help="Input format, or 'auto' to recognise it by its columns.")
JsonTextOpt = typer.Option(False, "--json", help="Print machine-readable JSON instead of text.")
QuietOpt = typer.Option(False, "--quiet", "-q", help="No progress bar or notes on stderr.")
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")


def note(message: str, quiet: bool) -> None:
    if not quiet:
        err.print(message, markup=False)


def open_reader(path: str, fmt: str, *, limit: int | None = None, seed: int = 0, skip_bad: bool = False,
            rejects: Path | None = None, columns: dict[str, str | None] | None = None,
            hf_split: str | None = None, hf_subset: str | None = None, quiet: bool = True):
    from labelloop.formats import SampleReader

    options = {f"{k}_column": v for k, v in (columns or {}).items() if v}
    reader = SampleReader(path, fmt, limit=limit, seed=seed, skip_bad=skip_bad, rejects=rejects, options=options,
                          hf_split=hf_split, hf_name=hf_subset)
    if reader.detected:
        note(f"Format: {reader.format_name} (recognised from columns: {', '.join(reader.columns)})", quiet)
    return reader


def progress(iterable, quiet: bool, label: str):
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


def load(path: str, fmt: str = "auto", quiet: bool = True, **kw: Any):
    reader = open_reader(path, fmt, quiet=quiet, **kw)
    from labelloop.data.model import Dataset

    samples = list(progress(iter(reader), quiet, "Reading"))
    report_rejects(reader, quiet)
    return Dataset(name=reader.name, samples=samples, schema=reader.schema, metadata=reader.metadata), reader


def report_rejects(reader, quiet: bool) -> None:
    if reader.rejected:
        where = f"; written to {reader.rejects_path}" if reader.rejects_path else ""
        note(f"Skipped {len(reader.rejected)} bad row(s){where}.", quiet)


ProviderOpt = typer.Option(None, "--provider", "-p", help="openai, anthropic, moonshot or compatible (any "
                           "OpenAI-compatible server; give --base-url).")
ModelOpt = typer.Option(None, "--model", "-m", help="Model name (default: the provider's).")
BaseUrlOpt = typer.Option(None, "--base-url", help="API base URL, e.g. http://127.0.0.1:8000/v1.")
ApiKeyEnvOpt = typer.Option(None, "--api-key-env", metavar="NAME", help="The environment variable holding the "
                            "API key (default: the provider's own, e.g. OPENAI_API_KEY; the compatible provider "
                            "sends no key unless given this).")
CacheOpt = typer.Option(Path(".labelloop/cache"), "--cache", help="Answer cache directory; a rerun makes no call "
                        "it already paid for.")
NoCacheOpt = typer.Option(False, "--no-cache", help="Neither read nor write the cache.")


def make_provider(name: str | None, model: str | None, base_url: str | None, temperature: float, timeout: float,
              max_retries: int, seed: int, api_key_env: str | None = None):
    if name is None:
        if model or base_url or api_key_env:
            raise LabelloopError("--model, --base-url and --api-key-env need --provider.")
        return None
    from labelloop.assist.llm import get_provider

    prov = get_provider(name, model=model, base_url=base_url, temperature=temperature, timeout=timeout,
                        max_retries=max_retries, seed=seed, api_key_env=api_key_env)
    prov.check_ready()
    return prov


def resolve(ds, template: str | None, schema: str | None, required: bool):
    from labelloop.formats.schemas import resolve_schema

    return resolve_schema(template, schema, ds, required=required)


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


def progress_callback(quiet: bool, label: str):
    """A rich progress callback ``(done, total)`` and the context that shows it (or no-ops when quiet)."""
    import contextlib

    if quiet or not err.is_terminal:
        return (lambda done, total: None), contextlib.nullcontext()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                   transient=True)
    task = bar.add_task(label, total=None)
    return (lambda done, total: bar.update(task, completed=done, total=total or None)), bar


def read_guidelines(path: Path | None) -> str | None:
    from labelloop.errors import InputFileError

    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read guidelines file {path}: {exc}.") from None


GuidelinesOpt = typer.Option(None, "--guidelines", "-g", help="Markdown guidelines (e.g. from labelloop "
                             "guidelines) for the project's instructions, after the schema's own.")


QualityInputs = typer.Argument(..., metavar="DATASET", help="Dataset file(s). Several files of the same samples "
                               "(e.g. one DataLabel results file per annotator) are combined into one.")
QualitySchemaOpt = typer.Option(None, "--schema", help="Template name or schema file (default: the dataset's own; "
                                "without one, question types are inferred from the values).")
QualityQuestionOpt = typer.Option(None, "--question", "-Q", help="Only this question (repeat for several).")
PredictionsOpt = typer.Option(False, "--include-predictions", help="Count model pre-labels (kind prediction) as "
                              "annotators too.")


def quality_load(paths: list[str], fmt: str, schema: str | None):
    from labelloop.formats.schemas import load_schema
    from labelloop.quality.inputs import load_inputs

    return load_inputs(paths, fmt=fmt, schema=load_schema(schema) if schema else None)


def comma_list(text: str | None) -> list[str]:
    return [e.strip() for e in (text or "").split(",") if e.strip()]


def schema_for(ds, template: str | None, schema: str | None):
    from labelloop.formats.schemas import resolve_schema

    return resolve_schema(template, schema, ds, required=True)

