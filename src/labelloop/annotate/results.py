"""Reads what the offline annotator exports (JSON, JSONL, CSV) back into ``human`` annotations.

Nothing is taken on trust: the results must come from the file built from this very dataset (the file id
is recomputed from the dataset, schema and seed), the schema must be the one the file was built with
(its hash), every value must fit its question, and every candidate order must be a permutation of the
sample's candidate ids. Importing the same annotator's work twice keeps the latest version of each task.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from labelloop.annotate.html.generator import file_id_of
from labelloop.data.io import csv_unsafe
from labelloop.data.model import Annotation, Dataset
from labelloop.data.schema import AnnotationSchema
from labelloop.data.timestamps import last_changed
from labelloop.errors import AnnotationValueError, InputFileError, ParameterError, ResultsMismatchError, SchemaError

RESULT_FORMAT = "labelloop-results"
STATUSES = ("submitted", "skipped", "flagged", "draft")
CSV_FIXED = ("task_id", "annotator", "file_id", "schema_hash", "seed", "status", "reason", "created_at", "updated_at",
             "time_spent_s", "order")
MAX_LISTED = 20


@dataclass
class ResultsFile:
    """One exported results file, read but not yet checked against a dataset."""

    path: Path
    file_id: str
    schema_hash: str
    seed: int
    annotator: str | None
    schema: dict[str, Any] | None
    rows: list[dict[str, Any]]


@dataclass
class ImportReport:
    files: list[str] = field(default_factory=list)
    imported: int = 0
    replaced: int = 0
    kept_existing: int = 0
    by_annotator: dict[str, int] = field(default_factory=dict)
    by_status: dict[str, int] = field(default_factory=dict)
    file_id: str = ""
    schema_hash: str = ""

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# ---------------------------------------------------------------------- reading
def _fail(path: Path, msg: str) -> InputFileError:
    return InputFileError(f"{path}: {msg}")


def _read_json(path: Path, text: str) -> ResultsFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, f"not valid JSON (line {exc.lineno}: {exc.msg}).") from None
    if not isinstance(data, dict) or data.get("format") != RESULT_FORMAT:
        raise _fail(path, "not a labelloop results file (no \"format\": \"labelloop-results\"); export it from the "
                          "annotator page.")
    rows = data.get("results")
    if not isinstance(rows, list):
        raise _fail(path, "has no \"results\" list.")
    return ResultsFile(path, _need(path, data, "file_id"), _need(path, data, "schema_hash"), _seed(path, data),
                       data.get("annotator"), data.get("schema"), rows)


def _read_jsonl(path: Path, text: str) -> ResultsFile:
    rows: list[dict[str, Any]] = []
    head: dict[str, Any] | None = None
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _fail(path, f"line {n} is not valid JSON ({exc.msg}).") from None
        if not isinstance(obj, dict):
            raise _fail(path, f"line {n} is not a JSON object.")
        if obj.get("format") == f"{RESULT_FORMAT}-header":
            head = obj
            continue
        obj["_line"] = n
        rows.append(obj)
    src = head or (rows[0] if rows else None)
    if src is None:
        raise _fail(path, "is empty.")
    if "file_id" not in src:
        raise _fail(path, "not a labelloop results file (no file_id); export it from the annotator page.")
    res = ResultsFile(path, _need(path, src, "file_id"), _need(path, src, "schema_hash"), _seed(path, src),
                      src.get("annotator"), (head or {}).get("schema"), rows)
    _same_origin(res)
    return res


def _read_csv(path: Path, text: str) -> ResultsFile:
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in ("task_id", "file_id", "schema_hash", "seed") if c not in (reader.fieldnames or [])]
    if missing:
        raise _fail(path, f"not a labelloop results CSV (missing column {missing[0]!r}).")
    qcols = [c for c in reader.fieldnames or [] if c.startswith("q.")]
    rows = []
    for n, raw in enumerate(reader, 2):
        rec = {k: csv_unsafe(v) for k, v in raw.items()}  # the page quoted cells a spreadsheet would run
        row: dict[str, Any] = {k: rec.get(k) for k in CSV_FIXED}
        row["_line"] = n
        try:
            row["order"] = json.loads(rec["order"]) if rec.get("order") else None
            row["values"] = {c[2:]: json.loads(rec[c]) for c in qcols if rec.get(c) not in (None, "")}
            row["time_spent_s"] = float(rec["time_spent_s"]) if rec.get("time_spent_s") else None
        except (json.JSONDecodeError, ValueError) as exc:
            tid = rec.get("task_id")
            raise _fail(path, f"line {n} (task {tid!r}) has a cell that cannot be read: {exc}.") from None
        row["reason"] = rec.get("reason") or None
        row["created_at"] = rec.get("created_at") or None
        row["updated_at"] = rec.get("updated_at") or None
        rows.append(row)
    if not rows:
        raise _fail(path, "has no result rows.")
    first = rows[0]
    res = ResultsFile(path, _need(path, first, "file_id"), _need(path, first, "schema_hash"), _seed(path, first),
                      first.get("annotator"), None, rows)
    _same_origin(res)
    return res


def _need(path: Path, obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise _fail(path, f"has no {key}; export it again from the annotator page.")
    return value


def _seed(path: Path, obj: dict[str, Any]) -> int:
    try:
        return int(obj.get("seed"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise _fail(path, f"has no usable seed (got {obj.get('seed')!r}).") from None


def _same_origin(res: ResultsFile) -> None:
    for row in res.rows:
        for key, want in (("file_id", res.file_id), ("schema_hash", res.schema_hash)):
            if row.get(key) not in (None, want):
                raise ResultsMismatchError(
                    f"{res.path} line {row.get('_line')}: {key} {row.get(key)!r} differs from {want!r} in the same "
                    "file; results of different annotator files cannot be mixed.")


def read_results(path: str | Path) -> ResultsFile:
    """Read one exported results file (the format is told by its suffix, or by its content)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputFileError(f"Results file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read results file {path}: {exc}.") from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, text)
    if suffix in (".jsonl", ".ndjson"):
        return _read_jsonl(path, text)
    if suffix == ".json":
        return _read_json(path, text)
    stripped = text.lstrip()
    if stripped.startswith("{") and '"results"' in text[:2_000_000] and "\n{" not in stripped[:200]:
        return _read_json(path, text)
    if stripped.startswith("{"):
        return _read_jsonl(path, text)
    return _read_csv(path, text)


# ---------------------------------------------------------------------- checking and merging
def _resolve_schema(files: list[ResultsFile], dataset: Dataset, schema: AnnotationSchema | None) -> AnnotationSchema:
    want = files[0].schema_hash
    for f in files[1:]:
        if f.schema_hash != want:
            raise ResultsMismatchError(
                f"{f.path} was made with schema {f.schema_hash} but {files[0].path} with {want}; import results of "
                "one annotator file at a time.")
        if f.file_id != files[0].file_id:
            raise ResultsMismatchError(
                f"{f.path} comes from annotator file {f.file_id} but {files[0].path} from {files[0].file_id}; "
                "import results of one annotator file at a time.")
    embedded: AnnotationSchema | None = None
    for f in files:
        if f.schema is None:
            continue
        try:
            got = AnnotationSchema.model_validate(f.schema)
        except ValidationError as exc:
            raise SchemaError(f"{f.path}: the schema inside the results is not valid ({exc.errors()[0]['msg']}).") \
                from None
        if got.schema_hash() != f.schema_hash:
            raise ResultsMismatchError(
                f"{f.path}: the schema inside the results does not match its schema_hash {f.schema_hash}; the file "
                "was edited by hand.")
        embedded = got
    if schema is not None:
        if schema.schema_hash() != want:
            raise ResultsMismatchError(
                f"{files[0].path} was made with schema hash {want}, not with schema {schema.name!r} "
                f"(hash {schema.schema_hash()}); these results belong to a different schema.")
        return schema
    if dataset.schema is not None and dataset.schema.schema_hash() != want:
        raise ResultsMismatchError(
            f"{files[0].path} was made with schema hash {want} but the dataset's schema {dataset.schema.name!r} has "
            f"hash {dataset.schema.schema_hash()}; pass the schema the annotator was built with (--template or "
            "--schema) to import into this dataset.")
    if embedded is not None:
        return embedded
    if dataset.schema is not None:
        return dataset.schema
    raise ParameterError(
        "template", f"{ParameterError.literal(str(files[0].path))} does not carry its schema (CSV) and the dataset has "
                    "none; pass {param} or {other}, or import the JSON or JSONL export.", other="schema")


def _annotation(row: dict[str, Any], res: ResultsFile) -> Annotation:
    meta: dict[str, Any] = {"order": row.get("order"), "results_file": res.path.name}
    if row.get("reason"):
        meta["reason"] = row["reason"]
    return Annotation(
        annotator=str(row.get("annotator") or res.annotator),
        kind="human",
        values=row.get("values") or {},
        status=row.get("status") or "submitted",
        created_at=row.get("created_at"),
        updated_at=row.get("updated_at"),
        lead_time_s=row.get("time_spent_s"),
        origin=f"html:{res.file_id}",
        metadata=meta,
    )


def import_results(
    dataset: Dataset, paths: list[str | Path], *, schema: AnnotationSchema | None = None
) -> tuple[Dataset, ImportReport]:
    """``dataset`` with every result in ``paths`` added as a ``human`` annotation; refuses anything that does not fit.

    A bad value, an unknown task or a wrong candidate order raises ``AnnotationValueError`` naming the file,
    task and question; results from another annotator file or schema raise ``ResultsMismatchError``.
    """
    if not paths:
        raise InputFileError("No results files were given.")
    files = [read_results(p) for p in paths]
    sch = _resolve_schema(files, dataset, schema)
    file_id, seed = files[0].file_id, files[0].seed
    for f in files:
        if f.seed != seed:
            raise ResultsMismatchError(f"{f.path} was made with seed {f.seed} but {files[0].path} with {seed}.")
    expected = file_id_of(dataset.samples, sch, seed)
    if expected != file_id:
        raise ResultsMismatchError(
            f"{files[0].path} comes from annotator file {file_id}, but this dataset with schema {sch.name!r} and seed "
            f"{seed} builds file {expected}; the results belong to a different file (or the dataset changed).")

    by_id = dataset.by_id()
    problems: list[str] = []
    fresh: dict[tuple[str, str], Annotation] = {}
    for f in files:
        for row in f.rows:
            where = f"{f.path.name}" + (f" line {row['_line']}" if "_line" in row else "")
            tid = row.get("task_id")
            sample = by_id.get(str(tid)) if tid is not None else None
            if sample is None:
                problems.append(f"{where}: task {tid!r} is not in the dataset")
                continue
            status = row.get("status") or "submitted"
            if status not in STATUSES:
                problems.append(f"{where}: task {tid!r}: status {status!r} is not one of {list(STATUSES)}")
                continue
            if not (row.get("annotator") or f.annotator):
                problems.append(f"{where}: task {tid!r} has no annotator")
                continue
            values = row.get("values")
            if not isinstance(values, dict):
                problems.append(f"{where}: task {tid!r}: values {values!r} are not a mapping of question to value")
                continue
            found = sch.validate_values(sample, values, partial=status != "submitted")
            problems += [f"{where}: task {p.removeprefix('sample ')}" for p in found]
            order = row.get("order")
            cand_ids = [c.id for c in sample.candidates]
            if order is not None and (not isinstance(order, list) or sorted(map(str, order)) != sorted(cand_ids)):
                problems.append(f"{where}: task {tid!r}: candidate order {order!r} is not a permutation of {cand_ids}")
            if found:
                continue
            try:
                ann = _annotation(row, f)
            except ValidationError as exc:
                err = exc.errors()[0]
                problems.append(f"{where}: task {tid!r}: {'.'.join(map(str, err['loc']))}: {err['msg']}")
                continue
            key = (sample.id, ann.annotator)
            have = fresh.get(key)
            if have is None or _newer(ann, have):
                fresh[key] = ann
    if problems:
        listed = "; ".join(problems[:MAX_LISTED])
        more = f" (and {len(problems) - MAX_LISTED} more)" if len(problems) > MAX_LISTED else ""
        raise AnnotationValueError(f"{len(problems)} problem(s) in the results: {listed}{more}.")

    report = ImportReport(files=[str(f.path) for f in files], file_id=file_id, schema_hash=sch.schema_hash())
    origin = f"html:{file_id}"
    by_sample: dict[str, dict[str, Annotation]] = {}
    for (sid, annotator), ann in fresh.items():
        by_sample.setdefault(sid, {})[annotator] = ann
    # a new dataset that shares what it does not change: only samples that gain annotations are copied (with
    # their own annotation list), so the input stays as it was without a deep copy of every sample
    samples = [s.model_copy(update={"annotations": list(s.annotations)}) if s.id in by_sample else s
               for s in dataset.samples]
    out = dataset.model_copy(update={"samples": samples, "schema_": sch})
    for sample in out.samples:
        mine = by_sample.get(sample.id)
        for annotator in sorted(mine or ()):
            ann = mine[annotator]
            old = [a for a in sample.annotations
                   if a.kind == "human" and a.annotator == annotator and a.origin == origin]
            if old and any(_newer(o, ann) for o in old):
                report.kept_existing += 1
                continue
            if old:
                report.replaced += 1
                sample.annotations = [a for a in sample.annotations if not any(a is o for o in old)]
            sample.annotations.append(ann)
            report.imported += 1
            report.by_annotator[annotator] = report.by_annotator.get(annotator, 0) + 1
            report.by_status[ann.status] = report.by_status.get(ann.status, 0) + 1
    return out, report


def _newer(a: Annotation, b: Annotation) -> bool:
    """Whether ``a`` was updated strictly later than ``b`` (ties keep the one seen first)."""
    ta, tb = last_changed(a), last_changed(b)
    if ta is None or tb is None:
        return ta is not None
    return ta > tb
