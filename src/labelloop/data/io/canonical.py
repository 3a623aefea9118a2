"""Canonical files (JSONL, JSON, Parquet, CSV): records, the dataset header, and the streaming writer.

A canonical record is ``DataSample.model_dump(mode="json")``. JSONL files may start with one header line
holding the dataset's name, schema and metadata; Parquet keeps that header in the file's key-value metadata;
JSON wraps it all in one object. Nested values that Parquet and CSV cannot type (annotations, metadata) are
stored as JSON text, so every round trip is lossless.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from labelloop.data.io.atomic import atomic_open, atomic_path
from labelloop.data.io.csvcells import csv_safe
from labelloop.data.io.jsontext import JSONTextError, dumps, parse_json
from labelloop.data.io.unwritable import UNWRITABLE, parquet_unwritable, sample_unwritable, why_unwritable
from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import OutputError

HEADER_KEY = "labelloop_dataset"
CANONICAL_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet", ".csv": "csv"}
CSV_COLUMNS = ("id", "prompt", "candidates", "annotations", "metadata")
BATCH_ROWS = 10_000


def sample_to_record(sample: DataSample) -> dict[str, Any]:
    return sample.model_dump(mode="json")


def record_to_sample(record: dict[str, Any]) -> DataSample:
    return DataSample.model_validate(record)


def header_of(dataset_name: str, schema: AnnotationSchema | None, metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": dataset_name,
        "schema": schema.dump() if schema else None,
        "metadata": metadata,
    }


def _json_text(value: str, column: str) -> Any:
    try:
        return parse_json(value)
    except json.JSONDecodeError as exc:
        raise JSONTextError(f"column {column!r} is not valid JSON ({exc.msg} at character {exc.pos + 1})") from None
    except JSONTextError as exc:
        raise JSONTextError(f"column {column!r}: {exc}") from None


def _json_col(value: Any, column: str) -> Any:
    return _json_text(value, column) if isinstance(value, str) else value


def flat_to_record(row: dict[str, Any]) -> dict[str, Any]:
    """Undo the JSON-text columns of canonical Parquet and CSV."""
    out = dict(row)
    for key in ("prompt", "candidates", "annotations", "metadata"):
        if key in out:
            out[key] = _json_col(out[key], key)
    for i, cand in enumerate(out.get("candidates") or []):
        if isinstance(cand, dict) and isinstance(cand.get("metadata"), str):
            cand["metadata"] = _json_text(cand["metadata"], f"candidates[{i}].metadata")
    return out


def _parquet_schema():
    import pyarrow as pa

    msg = pa.struct([("role", pa.string()), ("content", pa.string())])
    cand = pa.struct(
        [("id", pa.string()), ("content", pa.string()), ("model", pa.string()), ("metadata", pa.string())]
    )
    return pa.schema(
        [
            ("id", pa.string()),
            ("prompt", pa.list_(msg)),
            ("candidates", pa.list_(cand)),
            ("annotations", pa.string()),
            ("metadata", pa.string()),
        ]
    )


def _parquet_row(s: DataSample) -> dict[str, Any]:
    return {
        "id": s.id,
        "prompt": [{"role": m.role, "content": m.content} for m in s.prompt],
        "candidates": [
            {"id": c.id, "content": c.content, "model": c.model, "metadata": dumps(c.metadata)} for c in s.candidates
        ],
        "annotations": dumps([a.model_dump(mode="json") for a in s.annotations]),
        "metadata": dumps(s.metadata),
    }


def parquet_row_to_sample(row: dict[str, Any]) -> DataSample:
    """Fast path for canonical Parquet rows (no generic JSON detection)."""
    return DataSample(
        id=row["id"],
        prompt=[Message(role=m["role"], content=m["content"]) for m in row["prompt"] or []],
        candidates=[
            Candidate(id=c["id"], content=c["content"], model=c["model"],
                      metadata=_json_text(c["metadata"] or "{}", f"candidates[{i}].metadata"))
            for i, c in enumerate(row["candidates"] or [])
        ],
        annotations=_json_text(row["annotations"] or "[]", "annotations"),
        metadata=_json_text(row["metadata"] or "{}", "metadata"),
    )


def write_samples(
    samples: Iterable[DataSample],
    path: str | Path,
    fmt: str | None = None,
    *,
    name: str = "dataset",
    schema: AnnotationSchema | None = None,
    metadata: dict[str, Any] | None = None,
) -> int:
    """Stream samples into a canonical file, atomically. Returns the number written.

    A sample no file can hold (a lone surrogate, a value nested too deeply) stops the write with an
    ``OutputError`` naming the sample and field; nothing is left behind.
    """
    path = Path(path)
    fmt = fmt or CANONICAL_SUFFIXES.get(path.suffix.lower())
    if fmt not in ("jsonl", "json", "parquet", "csv"):
        raise OutputError(f"Cannot tell the output format of {path}; use .jsonl, .json, .parquet or .csv.")
    header = header_of(name, schema, metadata or {})
    has_header = schema is not None or bool(metadata)
    try:
        header_text = dumps(header)
        header_text.encode("utf-8")
    except UNWRITABLE as exc:
        raise OutputError(f"Cannot write {path}: the dataset's name, schema or metadata: "
                          f"{why_unwritable(header, exc)}.") from None
    n = 0
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pschema = _parquet_schema().with_metadata({HEADER_KEY: header_text})
        with atomic_path(path) as tmp:
            writer = pq.ParquetWriter(tmp, pschema, compression="zstd")
            try:
                batch: list[dict[str, Any]] = []

                def flush() -> None:
                    try:
                        table = pa.Table.from_pylist(batch, schema=pschema)
                    except UNWRITABLE as exc:
                        raise parquet_unwritable(path, batch, exc) from None
                    writer.write_table(table)

                for s in samples:
                    try:
                        batch.append(_parquet_row(s))
                    except UNWRITABLE as exc:
                        raise sample_unwritable(path, s, exc) from None
                    n += 1
                    if len(batch) >= BATCH_ROWS:
                        flush()
                        batch = []
                if batch or n == 0:
                    flush()
            finally:
                writer.close()
        return n
    with atomic_open(path) as fh:
        if fmt == "jsonl":
            if has_header:
                fh.write(dumps({HEADER_KEY: header}) + "\n")
            for s in samples:
                try:
                    fh.write(dumps(sample_to_record(s)) + "\n")
                except UNWRITABLE as exc:
                    raise sample_unwritable(path, s, exc) from None
                n += 1
        elif fmt == "json":
            fh.write("{" + f'"name":{dumps(name)},"schema":{dumps(header["schema"])},')
            fh.write(f'"metadata":{dumps(header["metadata"])},"samples":[')
            for s in samples:
                try:
                    fh.write(("," if n else "") + "\n" + dumps(sample_to_record(s)))
                except UNWRITABLE as exc:
                    raise sample_unwritable(path, s, exc) from None
                n += 1
            fh.write("\n]}\n")
        else:
            writer = csv.writer(fh)
            writer.writerow(CSV_COLUMNS)
            for s in samples:
                try:
                    rec = sample_to_record(s)
                    # Only the id is plain text; the other cells are JSON, which starts with [ or {.
                    writer.writerow([csv_safe(rec["id"], reversible=True), dumps(rec["prompt"]),
                                     dumps(rec["candidates"]), dumps(rec["annotations"]), dumps(rec["metadata"])])
                except UNWRITABLE as exc:
                    raise sample_unwritable(path, s, exc) from None
                n += 1
    return n


def write_dataset(dataset: Dataset, path: str | Path, fmt: str | None = None) -> int:
    return write_samples(
        dataset.samples, path, fmt, name=dataset.name, schema=dataset.schema, metadata=dataset.metadata
    )


def to_jsonl_string(samples: Iterable[DataSample]) -> str:
    buf = io.StringIO()
    for s in samples:
        buf.write(dumps(sample_to_record(s)) + "\n")
    return buf.getvalue()
