"""create, import-results: the offline annotator page and the results people export from it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from labelloop.annotate.html import build_annotator
from labelloop.annotate.results import import_results as _import_results
from labelloop.data.model import Dataset
from labelloop.errors import LabelloopError, ParameterError
from labelloop.formats import save
from labelloop.ops._common import (
    Note,
    Progress,
    SchemaRef,
    load_dataset,
    no_note,
    no_progress,
    read_guidelines,
    schema_for,
)


class AnnotatorResult(BaseModel):
    output: str
    tasks: int
    bytes: int
    file_id: str
    schema_name: str
    schema_hash: str
    seed: int


class ImportResult(BaseModel):
    """The dataset written and what was imported: the library's import report, field for field."""

    output: str
    files: list[str]
    imported: int
    replaced: int
    kept_existing: int
    by_annotator: dict[str, int]
    by_status: dict[str, int]
    file_id: str
    schema_hash: str
    added_to_output: bool = False
    """The output already held this dataset's samples: the results were added to the labels it holds."""
    output_annotators: list[str] = []
    """With ``added_to_output``: the people whose labels the output held before this import."""


def create(dataset: str | Path, output: Path = Path("annotator.html"), *, template: str | None = None,
           schema: SchemaRef | None = None, guidelines: Path | None = None,
           annotators: Sequence[str] | None = None, seed: int = 0, show_predictions: bool = True,
           title: str | None = None, fmt: str = "auto", note: Note = no_note,
           progress: Progress = no_progress) -> AnnotatorResult:
    """The offline annotator: one self-contained HTML file people label in, with no server or network."""
    ds, _ = load_dataset(dataset, fmt, note=note, progress=progress)
    sch = schema_for(ds, template, schema)
    info = build_annotator(ds, sch, output, guidelines=read_guidelines(guidelines),
                           annotators=list(annotators) if annotators is not None else None, seed=seed,
                           show_predictions=show_predictions, title=title)
    return AnnotatorResult(output=str(info.path), tasks=info.n_tasks, bytes=info.n_bytes, file_id=info.file_id,
                           schema_name=sch.name, schema_hash=info.schema_hash, seed=seed)


def import_results(dataset: str | Path, results: Sequence[Path], output: Path, *, template: str | None = None,
                   schema: SchemaRef | None = None, fmt: str = "auto", note: Note = no_note,
                   progress: Progress = no_progress) -> ImportResult:
    """The page's exported results added to the dataset as human annotations, every value checked, saved to
    ``output``. Without ``template`` / ``schema`` the schema is the one the results files name.

    An ``output`` that already exists and holds the same samples (an earlier import, say of another person's
    results) is what the results are added to, so importing people one after the other keeps everyone's
    labels (a person's own earlier import is replaced by their newer one, as within one import). An existing
    ``output`` with other samples, or that cannot be read, is refused with a sentence, never overwritten."""
    ds, _ = load_dataset(dataset, fmt, note=note, progress=progress)
    sch = schema_for(None, template, schema, required=False)
    base, before = ds, None
    out = Path(output)
    if out.exists() and not _same_path(out, dataset):
        base = _existing_output(out, ds)
        before = sorted({a.annotator for s in base.samples for a in s.annotations if a.kind == "human"})
    merged, report = _import_results(base, list(results), schema=sch)
    save(merged, output)
    return ImportResult(output=str(output), **report.as_dict(), added_to_output=before is not None,
                        output_annotators=before or [])


def _same_path(a: Path, b: str | Path) -> bool:
    try:
        return a.resolve() == Path(b).resolve()
    except OSError:
        return False


def _existing_output(out: Path, ds: Dataset) -> Dataset:
    """The dataset ``out`` holds, when it holds the samples of ``ds`` (same ids, prompts and candidates, in the
    same order); otherwise a ParameterError naming ``output``."""
    try:
        held, _ = load_dataset(out)
    except LabelloopError as exc:
        raise ParameterError("output", f"{ParameterError.literal(str(out))} already exists and cannot be read as a "
                             f"dataset ({ParameterError.literal(str(exc).rstrip('.'))}); import into a new file, "
                             "or remove it first.") from None
    same = len(held.samples) == len(ds.samples) and all(
        h.id == s.id and h.prompt == s.prompt and [(c.id, c.content) for c in h.candidates] ==
        [(c.id, c.content) for c in s.candidates] for h, s in zip(held.samples, ds.samples, strict=True))
    if not same:
        raise ParameterError("output", f"{ParameterError.literal(str(out))} already exists and holds other samples "
                             f"than {ParameterError.literal(ds.name)}; importing into it would replace its labels: "
                             "choose a new {param}, or remove it first.")
    return held
