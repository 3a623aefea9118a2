"""Canonical files (JSONL, JSON, Parquet, CSV) and atomic writes.

A canonical record is ``DataSample.model_dump(mode="json")``. JSONL files may start with one
header line holding the dataset's name, schema and metadata; Parquet keeps that header in the
file's key-value metadata; JSON wraps it all in one object. Nested values that Parquet and CSV
cannot type (annotations, metadata) are stored as JSON text, so every round trip is lossless.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import OutputError

HEADER_KEY = "labelloop_dataset"
CANONICAL_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet", ".csv": "csv"}
BATCH_ROWS = 10_000


# ---------------------------------------------------------------------- atomic output
@contextlib.contextmanager
def atomic_path(path: str | Path, perm: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success.

    The file gets ``perm`` (e.g. 0o600 for secrets), else the permissions a plain ``open`` would give.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        for _ in range(100):  # like mkstemp, but created with 0666 & ~umask (mkstemp's files are 0600)
            tmp = parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if perm is None else perm)
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(f"no free temporary name beside {path}")
        if perm is not None:
            os.fchmod(fd, perm)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", *, perm: int | None = None, **kwargs: Any) -> Iterator[IO[Any]]:
    with atomic_path(path, perm) as tmp:
        if "b" not in mode:
            kwargs.setdefault("encoding", "utf-8")
            kwargs.setdefault("newline", "")
        with open(tmp, mode, **kwargs) as fh:
            yield fh


# One encoder for every call: json.dumps with options builds a new JSONEncoder each time, which is a
# measurable share of converting a million rows. Output is the same as json.dumps with these options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(obj: Any) -> str:
    if type(obj) is dict and not obj:
        return "{}"
    return _ENCODER.encode(obj)


# ---------------------------------------------------------------------- records
def sample_to_record(sample: DataSample) -> dict[str, Any]:
    return sample.model_dump(mode="json")


def record_to_sample(record: dict[str, Any]) -> DataSample:
    return DataSample.model_validate(record)


def header_of(dataset_name: str, schema: AnnotationSchema | None, metadata: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": dataset_name,
        "schema": schema.model_dump(mode="json") if schema else None,
        "metadata": metadata,
    }


def _json_col(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def flat_to_record(row: dict[str, Any]) -> dict[str, Any]:
    """Undo the JSON-text columns of canonical Parquet and CSV."""
    out = dict(row)
    for key in ("prompt", "candidates", "annotations", "metadata"):
        if key in out:
            out[key] = _json_col(out[key])
    for cand in out.get("candidates") or []:
        if isinstance(cand, dict) and isinstance(cand.get("metadata"), str):
            cand["metadata"] = json.loads(cand["metadata"])
    return out


# ---------------------------------------------------------------------- writers
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
            Candidate(id=c["id"], content=c["content"], model=c["model"], metadata=json.loads(c["metadata"] or "{}"))
            for c in row["candidates"] or []
        ],
        annotations=json.loads(row["annotations"] or "[]"),
        metadata=json.loads(row["metadata"] or "{}"),
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
    """Stream samples into a canonical file, atomically. Returns the number written."""
    path = Path(path)
    fmt = fmt or CANONICAL_SUFFIXES.get(path.suffix.lower())
    if fmt not in ("jsonl", "json", "parquet", "csv"):
        raise OutputError(f"Cannot tell the output format of {path}; use .jsonl, .json, .parquet or .csv.")
    header = header_of(name, schema, metadata or {})
    has_header = schema is not None or bool(metadata)
    n = 0
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pschema = _parquet_schema().with_metadata({HEADER_KEY: dumps(header)})
        with atomic_path(path) as tmp:
            writer = pq.ParquetWriter(tmp, pschema, compression="zstd")
            try:
                batch: list[dict[str, Any]] = []
                for s in samples:
                    batch.append(_parquet_row(s))
                    n += 1
                    if len(batch) >= BATCH_ROWS:
                        writer.write_table(pa.Table.from_pylist(batch, schema=pschema))
                        batch = []
                if batch or n == 0:
                    writer.write_table(pa.Table.from_pylist(batch, schema=pschema))
            finally:
                writer.close()
        return n
    with atomic_open(path) as fh:
        if fmt == "jsonl":
            if has_header:
                fh.write(dumps({HEADER_KEY: header}) + "\n")
            for s in samples:
                fh.write(dumps(sample_to_record(s)) + "\n")
                n += 1
        elif fmt == "json":
            fh.write("{" + f'"name":{dumps(name)},"schema":{dumps(header["schema"])},')
            fh.write(f'"metadata":{dumps(header["metadata"])},"samples":[')
            for s in samples:
                fh.write(("," if n else "") + "\n" + dumps(sample_to_record(s)))
                n += 1
            fh.write("\n]}\n")
        else:
            writer = csv.writer(fh)
            writer.writerow(["id", "prompt", "candidates", "annotations", "metadata"])
            for s in samples:
                rec = sample_to_record(s)
                writer.writerow(
                    [rec["id"], dumps(rec["prompt"]), dumps(rec["candidates"]), dumps(rec["annotations"]),
                     dumps(rec["metadata"])]
                )
                n += 1
    return n


def write_dataset(dataset: Dataset, path: str | Path, fmt: str | None = None) -> int:
    return write_samples(
        dataset.samples, path, fmt, name=dataset.name, schema=dataset.schema, metadata=dataset.metadata
    )


def write_rows(rows: Iterable[dict[str, Any]], path: str | Path, fmt: str | None = None) -> int:
    """Write plain table rows (training exports) as JSONL, JSON, CSV or Parquet, atomically."""
    path = Path(path)
    fmt = fmt or CANONICAL_SUFFIXES.get(path.suffix.lower())
    rows = list(rows)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        with atomic_path(path) as tmp:
            pq.write_table(pa.Table.from_pylist(rows), tmp)
    elif fmt == "jsonl":
        with atomic_open(path) as fh:
            for r in rows:
                fh.write(dumps(r) + "\n")
    elif fmt == "json":
        with atomic_open(path) as fh:
            json.dump(rows, fh, ensure_ascii=False, indent=1)
            fh.write("\n")
    elif fmt == "csv":
        cols: list[str] = []
        for r in rows:
            cols += [k for k in r if k not in cols]
        with atomic_open(path) as fh:
            writer = csv.DictWriter(fh, fieldnames=cols)
            writer.writeheader()
            for r in rows:
                writer.writerow({k: v if isinstance(v, (str, int, float)) or v is None else dumps(v)
                                 for k, v in r.items()})
    else:
        raise OutputError(f"Cannot tell the output format of {path}; use .jsonl, .json, .parquet or .csv.")
    return len(rows)


def to_jsonl_string(samples: Iterable[DataSample]) -> str:
    buf = io.StringIO()
    for s in samples:
        buf.write(dumps(sample_to_record(s)) + "\n")
    return buf.getvalue()
