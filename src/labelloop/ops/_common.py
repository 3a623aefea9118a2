"""What the operations share: parameter checks that name the parameter, the one way a dataset is read and a
schema found, and reading the small files an operation takes beside its dataset."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from labelloop.data.model import Dataset
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import InputFileError, ParameterError
from labelloop.formats.reader import SampleReader
from labelloop.formats.schemas import resolve_schema
from labelloop.quality.inputs import load_inputs

T = TypeVar("T")

Progress = Callable[[float, "float | None"], None]
"""A progress callback ``(done, total)``; ``total`` is None while unknown."""


def no_progress(done: float, total: float | None = None) -> None:
    """The progress callback that shows nothing."""


def at_least(param: str, value: float | None, minimum: float) -> None:
    """``value`` (when given) is ``minimum`` or more."""
    if value is not None and value < minimum:
        raise ParameterError(param, f"{{param}} must be {minimum} or more, not {value}.")


def one_of(param: str, value: Any, choices: Iterable[Any], what: str = "value") -> None:
    """``value`` is one of ``choices``."""
    known = list(choices)
    if value not in known:
        raise ParameterError(param, f"Unknown {what} {ParameterError.literal(repr(value))} for {{param}}; known: "
                             f"{ParameterError.literal(', '.join(map(str, known)))}.")


def comma_list(text: str | Iterable[str] | None) -> list[str]:
    """``"a, b,,c"`` (or a list of such strings) as ``["a", "b", "c"]``."""
    if text is None:
        return []
    parts = [text] if isinstance(text, str) else list(text)
    return [e.strip() for p in parts for e in p.split(",") if e.strip()]


def read_guidelines(path: Path | None) -> str | None:
    """The Markdown guidelines file's text (None: no file)."""
    if path is None:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read guidelines file {path}: {exc}.") from None


# ---------------------------------------------------------------------- paths, notes, loading
Note = Callable[[str], None]
"""Where an operation's notes go (the CLI prints them on stderr unless --quiet; MCP drops them)."""

CheckPath = Callable[[Path, str], Path]
"""Checks a path an operation derives itself (a rejects file, a default queue): MCP passes its roots guard."""


SchemaRef = str | Path | AnnotationSchema
"""A schema parameter: a template name, a schema file, or a schema already read (MCP reads files under its roots
itself)."""


def no_note(message: str) -> None:
    """The note callback that says nothing."""


def any_path(path: Path, what: str) -> Path:
    """The path check that allows every path (the CLI and Python)."""
    return path


def counted(items: Iterable[T], progress: Progress, every: int = 1000, seconds: float = 0.5) -> Iterator[T]:
    """Pass ``items`` through, reporting how many went by every ``every`` items (and at most every ``seconds``),
    and the total at the end, so a fast stream pays next to nothing."""
    n = 0
    last = time.monotonic()
    for n, item in enumerate(items, 1):
        yield item
        if n % every == 0 and (not seconds or time.monotonic() - last >= seconds):
            progress(n, None)
            last = time.monotonic()
    progress(n, n or None)


def open_reader(path: str | Path, fmt: str = "auto", *, limit: int | None = None, seed: int = 0,
                skip_bad: bool = False, rejects: Path | None = None, columns: dict[str, str | None] | None = None,
                hf_split: str | None = None, hf_subset: str | None = None, note: Note = no_note,
                check_path: CheckPath = any_path) -> SampleReader:
    """The one way an operation opens a dataset: the format named or recognised (said through ``note``),
    ``columns`` such as ``{"prompt": "question"}`` for the pairs format, a seeded ``limit``, bad rows skipped into
    ``rejects`` (checked with ``check_path``)."""
    options = {f"{k}_column": v for k, v in (columns or {}).items() if v}
    reader = SampleReader(path, fmt, limit=limit, seed=seed, skip_bad=skip_bad, rejects=rejects, options=options,
                          hf_split=hf_split, hf_name=hf_subset)
    if reader.rejects_path is not None:
        reader.rejects_path = check_path(reader.rejects_path, "rejects file")
    if reader.detected:
        note(f"Format: {reader.format_name} (recognised from columns: {', '.join(reader.columns)})")
    return reader


def rejects_note(reader: SampleReader, note: Note) -> None:
    """Say how many bad rows ``reader`` skipped and where they went."""
    if reader.rejected:
        where = f"; written to {reader.rejects_path}" if reader.rejects_path else ""
        note(f"Skipped {len(reader.rejected)} bad row(s){where}.")


def load_dataset(path: str | Path, fmt: str = "auto", *, note: Note = no_note, progress: Progress = no_progress,
                 **options: Any) -> tuple[Dataset, SampleReader]:
    """The dataset at ``path`` and the reader that read it (its format, rejects); ``options`` as
    :func:`open_reader`'s."""
    reader = open_reader(path, fmt, note=note, **options)
    samples = list(counted(iter(reader), progress))
    rejects_note(reader, note)
    return Dataset(name=reader.name, samples=samples, schema=reader.schema, metadata=reader.metadata), reader


def load_datasets(paths: Sequence[str | Path], fmt: str = "auto", schema: SchemaRef | None = None) -> Dataset:
    """Several files of the same samples (e.g. one DataLabel results file per annotator) as one dataset, with
    ``schema`` (a template name, a schema file or a schema) when given: what the quality operations read.

    Results files the offline page exported (``is_page_results``) may follow their dataset (``data.parquet
    results_ana.json results_ben.json``): they are read as ``import-results`` reads them, every value checked,
    and added to the dataset read from the other paths as human annotations."""
    if not paths:
        raise ParameterError("datasets", "Give at least one dataset path.")
    sch = schema_for(None, None, schema, required=False)
    results = [p for p in paths if is_page_results(p)]
    rest = [p for p in paths if not any(p is r for r in results)]
    if results and not rest:
        raise ParameterError("datasets", f"{ParameterError.literal(', '.join(map(str, results)))}: results files "
                             "of the offline page name their tasks only; give the dataset the page was built from "
                             "first (DATASET RESULTS...).")
    ds = load_inputs(rest, fmt=fmt, schema=sch)
    if results:
        from labelloop.annotate.results import import_results

        ds, _ = import_results(ds, list(results), schema=sch)
    return ds


PAGE_RESULTS_SUFFIXES = (".json", ".jsonl", ".ndjson", ".csv")
_PAGE_JSON = re.compile(r'^\s*\{\s*"format"\s*:\s*"labelloop-results(-header)?"')
_PAGE_CSV = ("task_id", "file_id", "schema_hash", "seed")


def is_page_results(path: str | Path) -> bool:
    """Whether ``path`` is a results file exported from the offline annotator page (JSON or JSONL that opens
    with ``"format": "labelloop-results"``, or a CSV whose header names task_id, file_id, schema_hash and seed);
    only the file's first 4 KiB are read."""
    p = Path(path)
    if p.suffix.lower() not in PAGE_RESULTS_SUFFIXES or not p.is_file():
        return False
    try:
        with p.open("rb") as fh:
            head = fh.read(4096).decode("utf-8-sig", errors="replace")
    except OSError:
        return False
    first = head.splitlines()[0] if head else ""
    if p.suffix.lower() == ".csv":
        return all(c in [c.strip().strip('"') for c in first.split(",")] for c in _PAGE_CSV)
    if _PAGE_JSON.match(head):
        return True
    try:  # a JSONL export without its header line: rows that carry their file id
        row = json.loads(first)
    except ValueError:
        return False
    return isinstance(row, dict) and all(k in row for k in ("task_id", "file_id", "schema_hash"))


def schema_for(ds: Dataset | None, template: str | None = None, schema: SchemaRef | None = None,
               required: bool = True) -> AnnotationSchema | None:
    """The one way an operation finds its schema: ``template`` or ``schema`` (not both), else the dataset's own;
    ``required``: a ParameterError naming ``template`` when there is none."""
    if isinstance(schema, AnnotationSchema):
        if template:
            raise ParameterError("template", "Give {param} or {other}, not both.", other="schema")
        return schema
    return resolve_schema(template, schema, ds, required=required)
