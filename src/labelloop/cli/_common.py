"""What every command group shares: the consoles, the options declared once, the one progress bar, reading a
dataset with it (through ``labelloop.ops``), and the notes on stderr."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from labelloop.data.display import visible
from labelloop.ops._common import Note, Progress, load_dataset


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


def notes(quiet: bool) -> Note:
    """The operations' note callback: on stderr unless quiet."""
    return lambda message: note(message, quiet)


def load(path: str, fmt: str = "auto", quiet: bool = True, **options: Any):
    """The dataset and its reader, read by :func:`labelloop.ops._common.load_dataset` with a progress bar."""
    report, bar = progress_callback(quiet, "Reading")
    with bar:
        return load_dataset(path, fmt, note=notes(quiet), progress=report, **options)


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


LsDataDirOpt = typer.Option(Path(".labelloop/label-studio"), "--data-dir", help="Label Studio's data, the "
                            "credentials file and the pushed datasets.")
LsUrlOpt = typer.Option(None, "--url", help="Label Studio URL (default: $LABEL_STUDIO_URL, else the one "
                        "started from --data-dir).")
LsTokenOpt = typer.Option(None, "--token", help="API token, legacy or personal access token (default: "
                          "$LABEL_STUDIO_API_KEY when the URL is $LABEL_STUDIO_URL, else the credentials file in "
                          "--data-dir when the URL is its server's).")
LsBinOpt = typer.Option(None, "--label-studio-bin", help="The label-studio executable (default: "
                        "$LABELLOOP_LABEL_STUDIO_BIN, PATH, or beside this Python).")


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


@contextlib.contextmanager
def progress_phases(quiet: bool, *labels: str) -> Iterator[list[Progress]]:
    """One progress callback per phase of an operation (``"Reading"``, then ``"Pre-labelling"``): a phase's bar
    shows from its first report until it reports its total done (or another phase reports), so no bar stands
    while other work runs."""
    with contextlib.ExitStack() as stack:
        shown: list[str] = []

        def phase(label: str) -> Progress:
            report, bar = progress_callback(quiet, label)

            def show(done: float, total: float | None = None) -> None:
                if shown[-1:] != [label]:
                    stack.close()
                    stack.enter_context(bar)
                    shown.append(label)
                report(done, total)
                if total is not None and done >= total:
                    stack.close()
                    shown.clear()

            return show

        yield [phase(label) for label in labels]


GuidelinesOpt = typer.Option(None, "--guidelines", "-g", help="Markdown guidelines (e.g. from labelloop "
                             "guidelines) for the project's instructions, after the schema's own.")


QualityInputs = typer.Argument(..., metavar="DATASET", help="Dataset file(s). Several files of the same samples "
                               "(e.g. one DataLabel results file per annotator) are combined into one.")
QualitySchemaOpt = typer.Option(None, "--schema", help="Template name or schema file (default: the dataset's own; "
                                "without one, question types are inferred from the values).")
QualityQuestionOpt = typer.Option(None, "--question", "-Q", help="Only this question (repeat for several).")
PredictionsOpt = typer.Option(False, "--include-predictions", help="Count model pre-labels (kind prediction) as "
                              "annotators too.")
