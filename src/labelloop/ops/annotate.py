"""create, import-results: the offline annotator page and the results people export from it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from labelloop.annotate.html import build_annotator
from labelloop.annotate.results import import_results as _import_results
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
    ``output``. Without ``template`` / ``schema`` the schema is the one the results files name."""
    ds, _ = load_dataset(dataset, fmt, note=note, progress=progress)
    sch = schema_for(None, template, schema, required=False)
    merged, report = _import_results(ds, list(results), schema=sch)
    save(merged, output)
    return ImportResult(output=str(output), **report.as_dict())
