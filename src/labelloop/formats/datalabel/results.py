"""DataLabel results files: one annotator's export (or the file DataLabel's merge writes) read as
annotations, and several of them, with the tasks file, read into one dataset."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from labelloop.data.model import Annotation, DataSample, Dataset, combine_datasets
from labelloop.data.numbers import plain_number
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import FormatError, InputFileError, LabelloopError, RowError
from labelloop.formats.base import Format, _loads_if_json, register, scalar
from labelloop.formats.datalabel.schema import HINT_KEY, VALUE_KEYS, schema_from_datalabel
from labelloop.formats.datalabel.tasks import sample_from_data, task_parts

#: DataLabel's letters -> candidate ids; ``None`` for a position the task leaves empty.
Letters = dict[str, str | None]


@register
class DataLabelResultsFormat(Format):
    name = "datalabel_results"
    description = "DataLabel results: {schema, metadata, responses: [{task_id, data, score|choice|..., comment}]}"
    required = ("task_id",)
    priority = 25

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.merged = False
        self.dl_schema: dict[str, Any] | None = None
        self.target: AnnotationSchema | None = None
        self.annotator = str(options.get("annotator") or "datalabel")
        self.file_meta: dict[str, Any] = {}

    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        return "task_id" in columns and bool(set(VALUE_KEYS) & columns or any(c.startswith("individual_")
                                                                               for c in columns))

    def begin(self, source: Any) -> None:
        doc = source.extra.get("document") if isinstance(source.extra.get("document"), dict) else {}
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        where = str(source.description)
        self.merged = "merged_at" in meta or "annotator_count" in meta
        self.dl_schema = doc.get("schema") if isinstance(doc.get("schema"), dict) else None
        given = self.options.get("schema")
        if given is not None and not isinstance(given, AnnotationSchema):
            raise LabelloopError("The 'schema' option of format 'datalabel_results' must be an AnnotationSchema.")
        self.target = given or (
            schema_from_datalabel(self.dl_schema, where) if self.dl_schema else None)
        if self.options.get("annotator"):
            self.annotator = str(self.options["annotator"])
        elif self.merged:
            self.annotator = f"datalabel:{meta.get('strategy') or 'merge'}"
        elif meta.get("annotator"):
            self.annotator = str(meta["annotator"])
        else:
            p = Path(where)
            self.annotator = p.stem if p.is_file() else "datalabel"
        self.file_meta = {k: v for k, v in meta.items() if k in ("strategy", "merged_at", "exported_at", "tool",
                                                                 "version", "source_files")}
        source.header = {"name": str((self.dl_schema or {}).get("project_name") or Path(where).stem),
                         "schema": self.target.model_dump() if self.target else None, "metadata": {}}

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        return [self.response_sample(row)[0]]

    def response_sample(self, row: dict[str, Any]) -> tuple[DataSample, Letters]:
        task_id = scalar(row.get("task_id"))
        if task_id in (None, ""):
            raise RowError("field 'task_id' is missing")
        data = _loads_if_json(row.get("data"))
        if isinstance(data, dict):
            sample, letters = sample_from_data(task_id, data)
        else:
            sample, letters = DataSample(id=str(task_id)), {}
        ann = self.annotation(row)
        sample.annotations = [ann]
        target = self.target
        if target is not None:
            to_ids(target, ann, letters)
        if target is not None and (sample.candidates or not any(
                q.options_from_candidates for q in target.questions if q.name in ann.values)):
            check(target, sample, ann)
        return sample, letters

    def annotation(self, row: dict[str, Any]) -> Annotation:
        values: dict[str, Any] = {}
        ann_meta: dict[str, Any] = {}
        flagged = False
        for key in VALUE_KEYS:
            if key not in row:
                continue
            value = _value(key, row[key])
            if value is None:
                flagged = flagged or self.merged  # "strict" merge writes null on disagreement
                continue
            values[self.question_name(key)] = value
        if not values and not flagged:
            raise RowError(f"no answer: none of {', '.join(VALUE_KEYS)} is set")
        comment = row.get("comment")
        if isinstance(comment, str) and comment.strip():
            if self.target is None or any(q.name == "comment" for q in self.target.questions):
                values["comment"] = comment
            else:
                ann_meta["comment"] = comment
        for k, v in row.items():
            if k.startswith("individual_") or k in ("annotation_count", "merged_at"):
                ann_meta[k] = v
        kind = "aggregate" if self.merged or any(k.startswith("individual_") for k in row) else "human"
        if kind == "aggregate":
            ann_meta.update(self.file_meta)
        if row.get("source") == "llm_prelabel":
            kind = "prediction"
        when = row.get("annotated_at") or row.get("merged_at")
        return Annotation(annotator=self.annotator, kind=kind, values=values, origin="datalabel",
                          status="flagged" if flagged else "submitted",
                          created_at=_time(when), metadata=ann_meta)

    def question_name(self, key: str) -> str:
        """The question of the target schema a DataLabel value key answers."""
        schema = self.target
        if schema is None:
            return key
        qtype = VALUE_KEYS[key]
        hint = (self.dl_schema or {}).get(HINT_KEY)  # written by schema_to_datalabel
        named = next((q for q in schema.questions if q.name == hint), None)
        if named is not None and named.type == qtype:
            return named.name
        fits = [q for q in schema.questions if q.type == qtype and not (qtype == "rating" and q.per_candidate)]
        if qtype == "text":
            fits = [q for q in fits if q.name != "comment"] or fits
        if not fits:
            raise RowError(f"answer {key!r} fits no {qtype} question of schema {schema.name!r}")
        return fits[0].name


def to_ids(schema: AnnotationSchema, ann: Annotation, letters: Letters) -> None:
    """The letters in ``ann``'s answers to questions over candidates, as candidate ids, in place.

    DataLabel makes a ranking order every option, so a ranking also orders the positions its task left
    empty (``None`` in ``letters``): those are dropped. Any other pick of an empty position stays a letter,
    which validation then refuses.
    """
    for name, value in list(ann.values.items()):
        q = next((q for q in schema.questions if q.name == name), None)
        if q is None or not q.options_from_candidates:
            continue
        if isinstance(value, list):
            if q.type == "ranking":  # an item may be a tier (a list of letters sharing one place)
                def kept(xs: list[Any]) -> list[Any]:
                    return [letters.get(x) or x for x in xs if not (x in letters and letters[x] is None)]
                tiers = [kept(x) if isinstance(x, list) else kept([x]) for x in value]
                ann.values[name] = [t if isinstance(x, list) and len(t) > 1 else t[0]
                                    for x, t in zip(value, tiers, strict=True) if t]
                continue
            ann.values[name] = [letters.get(x) or x for x in value]
        else:
            ann.values[name] = letters.get(value) or value


def check(schema: AnnotationSchema, sample: DataSample, ann: Annotation) -> None:
    problems = schema.validate_values(sample, ann.values, partial=True)
    if problems:
        raise RowError(problems[0])


def _value(key: str, v: Any) -> Any:
    v = _loads_if_json(scalar(v))
    if v is None or (isinstance(v, str) and v == "" and key != "text"):
        return None
    if key == "score":
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                raise RowError(f"score {v!r} is not a number") from None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise RowError(f"score {v!r} is not a number")
        return plain_number(v) if isinstance(v, float) else v  # an int stays exactly the int it is
    if key in ("choices", "ranking"):
        if not isinstance(v, list):
            raise RowError(f"{key} {v!r} is not a list")
        if key == "ranking":  # a tier of equally good answers is a list inside the ranking
            return [[str(y) for y in x] if isinstance(x, list) else str(x) for x in v]
        return [str(x) for x in v]
    return str(v)


def _time(v: Any) -> datetime | None:
    if v in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"annotated_at {v!r} is not an ISO 8601 time") from None


def load_results(paths: list[str | Path] | str | Path, schema: AnnotationSchema | None = None, *,
                 tasks: str | Path | Dataset | None = None, name: str | None = None,
                 all_tasks: bool = False) -> Dataset:
    """One dataset from several DataLabel results files (one per annotator, or a merged file).

    With ``tasks`` (the tasks file, or its dataset), samples take their prompt and candidates from
    the tasks, letters in answers map back to candidate ids, and a ``task_id`` that is not a task is
    an error; ``all_tasks`` keeps the tasks no file answers too, in the tasks file's order (tasks with
    their ``pre.json`` pre-labels are the whole project). Without it they come from each response's ``data``.
    """
    from labelloop.formats.reader import SampleReader

    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise InputFileError("No DataLabel results files were given.")
    task_samples: dict[str, tuple[DataSample, Letters]] | None = None
    if tasks is not None:
        task_samples = _read_tasks(tasks)
    datasets = []
    seen: dict[str, str | Path] = {}
    for path in paths:
        reader = SampleReader(path, "datalabel_results", options={"schema": schema} if schema else None)
        fmt: DataLabelResultsFormat = reader.fmt  # type: ignore[assignment]
        ds = reader.load()
        if not fmt.merged and fmt.annotator in seen:
            raise LabelloopError(f"Results files {seen[fmt.annotator]} and {path} both read as annotator "
                                 f"{fmt.annotator!r}; rename one or set its metadata.annotator.")
        seen[fmt.annotator] = path
        if task_samples is not None:
            ds.samples = [_onto_task(s, task_samples, fmt, path) for s in ds.samples]
        datasets.append(ds)
    if task_samples is None:
        _fill_candidates(datasets)
    out = combine_datasets(datasets, name=name)
    if all_tasks and task_samples is not None:
        have = out.by_id()
        out.samples = [have.get(tid) or task.model_copy(deep=True, update={"annotations": []})
                       for tid, (task, _) in task_samples.items()]
    if out.schema is None and schema is not None:
        out.schema = schema
    return out


def _read_tasks(tasks: str | Path | Dataset) -> dict[str, tuple[DataSample, Letters]]:
    if isinstance(tasks, Dataset):
        return {s.id: (s, {c.id: c.id for c in s.candidates}) for s in tasks.samples}
    from labelloop.formats.containers import Row, open_rows

    out: dict[str, tuple[DataSample, Letters]] = {}
    for index, item in enumerate(open_rows(tasks).rows, start=1):
        if not isinstance(item, Row):
            raise item
        try:
            sid, data, task_type, extra = task_parts(item.data, index)
            sample, letters = sample_from_data(sid, data, task_type, extra)
        except RowError as exc:
            raise FormatError(f"{item.location}: {exc}.") from None
        if sample.id in out:
            raise FormatError(f"{item.location}: task id {sample.id!r} repeats in {tasks}.")
        out[sample.id] = (sample, letters)
    return out


def _onto_task(result: DataSample, task_samples: dict[str, tuple[DataSample, Letters]],
               fmt: DataLabelResultsFormat, path: str | Path) -> DataSample:
    if result.id not in task_samples:
        raise FormatError(f"{path}: task_id {result.id!r} is not a task in the tasks file.")
    task, letters = task_samples[result.id]
    sample = task.model_copy(deep=True)
    sample.annotations = []
    for ann in result.annotations:
        ann = ann.model_copy(deep=True)
        if fmt.target is not None:
            to_ids(fmt.target, ann, letters)
            try:
                check(fmt.target, sample, ann)
            except RowError as exc:
                raise FormatError(f"{path}: task {result.id!r}: {exc}.") from None
        sample.annotations.append(ann)
    return sample


def _fill_candidates(datasets: list[Dataset]) -> None:
    """A merged file's responses carry no ``data``: borrow prompt and candidates from another file."""
    known = {s.id: s for ds in datasets for s in ds.samples if s.candidates or s.prompt}
    for ds in datasets:
        for s in ds.samples:
            if not s.candidates and not s.prompt and s.id in known:
                src = known[s.id]
                s.prompt, s.candidates = list(src.prompt), list(src.candidates)
                s.metadata = {**src.metadata, **s.metadata}
