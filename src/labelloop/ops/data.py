"""convert, info, validate, export, formats: datasets in and out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from labelloop.data.io import write_samples
from labelloop.data.preference import contradictions
from labelloop.data.split import check_ratios
from labelloop.data.summary import dataset_summary
from labelloop.errors import ParameterError
from labelloop.formats import FORMATS, writer_names
from labelloop.formats.export import export_dataset
from labelloop.ops._common import (
    CheckPath,
    Note,
    Progress,
    SchemaRef,
    any_path,
    counted,
    load_dataset,
    no_note,
    no_progress,
    open_reader,
    rejects_note,
    schema_for,
)


# ---------------------------------------------------------------------- results (JSON Schemas in tools/list)
class DatasetInfo(BaseModel):
    name: str
    samples: int
    schema_name: str | None = Field(description="The dataset's schema (template) name, if it carries one.")
    format: str
    candidates_per_sample: dict[str, int]
    prompt_turns: dict[str, int]
    subsets: dict[str, int]
    annotations_by_kind: dict[str, int]
    annotations_by_annotator: dict[str, int]


class ValidateResult(BaseModel):
    samples: int
    schema_name: str | None
    valid: bool
    problems: int
    details: list[str] = Field(description="The first 1000 problems, each naming sample, question and value.")


class ConvertResult(BaseModel):
    input: str
    format: str
    output: str
    samples: int
    rejected: int
    rejects_file: str | None = None


class ExportFile(BaseModel):
    path: str
    rows: int
    stats: dict[str, Any] | None = None
    accepted_predictions_left_out: int | None = Field(
        default=None, description="Training exports: people's annotations that are model predictions accepted "
        "unchanged, not taken as human labels (0 when none, or with include_accepted).")


class ExportResult(BaseModel):
    format: str
    files: dict[str, ExportFile] = Field(description="Per split ('all' without a split): the file written.")


class FormatInfo(BaseModel):
    name: str
    read: bool
    write: bool
    description: str


# ---------------------------------------------------------------------- operations
def convert(src: str | Path, output: Path, fmt: str = "auto", *, limit: int | None = None, seed: int = 0,
            skip_bad: bool = False, rejects: Path | None = None, columns: dict[str, str | None] | None = None,
            hf_split: str | None = None, hf_subset: str | None = None, note: Note = no_note,
            progress: Progress = no_progress, check_path: CheckPath = any_path) -> ConvertResult:
    """Any supported input as labelloop's canonical file, streamed (a large input is never held whole)."""
    reader = open_reader(src, fmt, limit=limit, seed=seed, skip_bad=skip_bad, rejects=rejects, columns=columns,
                         hf_split=hf_split, hf_subset=hf_subset, note=note, check_path=check_path)
    n = write_samples(counted(iter(reader), progress), output, name=reader.name, schema=reader.schema,
                      metadata=reader.metadata)
    rejects_note(reader, note)
    return ConvertResult(input=str(src), format=reader.format_name, output=str(output), samples=n,
                         rejected=len(reader.rejected),
                         rejects_file=str(reader.rejects_path) if reader.rejected else None)


def info(path: str | Path, fmt: str = "auto", *, note: Note = no_note,
         progress: Progress = no_progress) -> DatasetInfo:
    """The dataset's counts: samples, schema, candidates per sample, subsets, annotations by kind and annotator."""
    ds, reader = load_dataset(path, fmt, note=note, progress=progress)
    s = dataset_summary(ds)
    return DatasetInfo(name=s["name"], samples=s["samples"], schema_name=s["schema"], format=reader.format_name,
                       **{k: {str(a): b for a, b in s[k].items()} for k in (
                           "candidates_per_sample", "prompt_turns", "subsets", "annotations_by_kind",
                           "annotations_by_annotator")})


def validate(path: str | Path, schema: SchemaRef | None = None, fmt: str = "auto", *, note: Note = no_note,
             progress: Progress = no_progress) -> ValidateResult:
    """Every row read and every human / merged annotation checked against ``schema`` (default: the dataset's),
    and against itself (a best answer not first in its ranking, a correct answer ranked below an incorrect one,
    ratings that order answers against the ranking: ``labelloop.data.preference.contradictions``)."""
    ds, _ = load_dataset(path, fmt, note=note, progress=progress)
    sch = schema_for(ds, None, schema, required=False)
    problems = [p for s in ds.samples for p in sch.validate_sample(s)] if sch is not None else []
    problems += [f"sample {s.id!r}: {msg} (annotator {a.annotator!r})" for s in ds.samples for a in s.annotations
                 if a.kind in ("human", "aggregate") and a.status == "submitted"
                 for _, msg in contradictions(sch, a.values, [c.id for c in s.candidates])] if sch else []
    return ValidateResult(samples=len(ds.samples), schema_name=sch.name if sch else None, valid=not problems,
                          problems=len(problems), details=problems[:1000])


def parse_split(text: str | None) -> dict[str, float]:
    """``"train=0.9,test=0.1"`` as ``{"train": 0.9, "test": 0.1}``; None or "": no split."""
    if not text:
        return {}
    ratios: dict[str, float] = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if name.strip() in ratios:
            raise ParameterError("split", f"{{param}} {ParameterError.literal(repr(text))} names split "
                                 f"{ParameterError.literal(repr(name.strip()))} twice.")
        try:
            ratios[name.strip()] = float(value)
        except ValueError:
            raise ParameterError("split", f"{{param}} {ParameterError.literal(repr(text))}: write it as name=ratio "
                                 "pairs, e.g. train=0.9,test=0.1.") from None
    return ratios


def export(path: str | Path, output: Path, to: str, *, pairs: str = "best-vs-rest", label_source: str = "auto",
           question: str | None = None, prompt_style: str = "auto", split: dict[str, float] | str | None = None,
           seed: int = 0, in_fmt: str = "auto", include_accepted: bool = False, note: Note = no_note,
           progress: Progress = no_progress) -> ExportResult:
    """Training data (DPO pairs, reward-model pairs) or another format; with ``split`` (ratios, or their text
    for :func:`parse_split`) one file per split. Names and ratios are checked before the dataset is read.
    ``include_accepted``: take a person's annotation that is a model prediction accepted unchanged as a human
    label (by default it is none, and counted)."""
    if to not in writer_names():  # before a large file is read
        raise ParameterError("to", f"Unknown output format {ParameterError.literal(repr(to))}; known: "
                             f"{', '.join(writer_names())}.")
    if isinstance(split, str):
        split = parse_split(split)
    if split:
        check_ratios(split)
    ds, _ = load_dataset(path, in_fmt, note=note, progress=progress)
    files = export_dataset(ds, output, to, pairs=pairs, label_source=label_source, question=question,
                           prompt_style=prompt_style, ratios=split, seed=seed, include_accepted=include_accepted)
    return ExportResult(format=to, files={k: ExportFile(**v) for k, v in files.items()})


def formats() -> list[FormatInfo]:
    """The formats labelloop reads and writes, in the registry's order."""
    return [FormatInfo(name=n, read=FORMATS.get(n).can_read, write=FORMATS.get(n).can_write,
                       description=FORMATS.get(n).description) for n in FORMATS]
