"""Raw rows out of files: JSON, JSONL, CSV, Parquet, a directory of them, or Hugging Face datasets.

Rows stream (Parquet in record batches, JSONL line by line) and carry a location
(``file:line``) so every later error can point at the row it came from.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelloop.errors import BadRowError, FormatError, InputFileError, MissingDependencyError

SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".parquet")
PARQUET_BATCH = 8192
PARQUET_READ_BUFFER = 1 << 20


@dataclass
class Row:
    data: dict[str, Any]
    location: str


@dataclass
class RowSource:
    """An iterable of rows plus what is known of the file before reading it."""

    rows: Iterator[Row | BadRowError]
    columns: list[str] | None = None  # known up front for Parquet and CSV
    header: dict[str, Any] | None = None  # labelloop dataset header, if the file has one
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    #: raw rows decoded from the file so far (Parquet: whole batches); shows that reading streams
    loaded: int = 0


def is_hf_spec(path: str) -> bool:
    return path.startswith("hf:") or path.startswith("hf://")


def open_rows(path: str | Path, *, hf_split: str | None = None, hf_name: str | None = None) -> RowSource:
    spec = str(path)
    if is_hf_spec(spec):
        return _hf_spec_rows(spec, split=hf_split, name_config=hf_name)
    p = Path(spec)
    if not p.exists():
        raise InputFileError(f"Input {spec} does not exist.")
    if p.is_dir():
        if (p / "dataset_info.json").exists() or (p / "state.json").exists() or (p / "dataset_dict.json").exists():
            return _hf_disk_rows(p, split=hf_split)
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
        if not files:
            raise InputFileError(f"Directory {spec} holds no .json, .jsonl, .csv or .parquet file.")
        sources = [open_rows(f) for f in files]
        cols = sources[0].columns

        def chain() -> Iterator[Row | BadRowError]:
            for src in sources:
                yield from src.rows

        return RowSource(chain(), cols, sources[0].header, f"{len(files)} files in {spec}")
    suffix = p.suffix.lower()
    if p.stat().st_size == 0:
        raise InputFileError(f"Input {spec} is empty.")
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl_rows(p)
    if suffix == ".json":
        return _json_rows(p)
    if suffix == ".csv":
        return _csv_rows(p)
    if suffix == ".parquet":
        return _parquet_rows(p)
    raise InputFileError(f"Input {spec} has an unknown file type {suffix or '(none)'}; use {', '.join(SUFFIXES)}.")


def _jsonl_rows(p: Path) -> RowSource:
    from labelloop.data.io import HEADER_KEY

    header: dict[str, Any] | None = None
    try:
        fh = open(p, encoding="utf-8")
        first = fh.readline()
        fh.close()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read {p}: {exc}.") from None
    try:
        obj = json.loads(first)
        if isinstance(obj, dict) and HEADER_KEY in obj:
            header = obj[HEADER_KEY]
    except json.JSONDecodeError:
        pass

    def gen() -> Iterator[Row | BadRowError]:
        with open(p, encoding="utf-8", errors="strict") as fh:
            lineno = 0
            while True:
                try:
                    line = fh.readline()
                except UnicodeDecodeError:
                    yield BadRowError(f"{p}:{lineno + 1}: the line is not UTF-8.", f"{p}:{lineno + 1}")
                    return
                if not line:
                    return
                lineno += 1
                src.loaded += 1
                if header is not None and lineno == 1:
                    continue
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield BadRowError(f"{p}:{lineno}: malformed JSON ({exc.msg} at column {exc.colno}).",
                                      f"{p}:{lineno}", line.rstrip("\n"))
                    continue
                if not isinstance(obj, dict):
                    yield BadRowError(f"{p}:{lineno}: expected a JSON object, found {type(obj).__name__}.",
                                      f"{p}:{lineno}", line.rstrip("\n"))
                    continue
                yield Row(obj, f"{p}:{lineno}")

    src = RowSource(gen(), None, header, str(p))
    return src


def _json_rows(p: Path) -> RowSource:
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read {p}: {exc}.") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{p}:{exc.lineno}: malformed JSON ({exc.msg} at column {exc.colno}).") from None
    header = None
    if isinstance(data, dict):
        if isinstance(data.get("samples"), list):
            if "schema" in data or "name" in data:
                header = {k: data.get(k) for k in ("name", "schema", "metadata")}
            items = data["samples"]
        else:
            keys = ("data", "tasks", "rows", "items", "datasamples", "responses")  # + RM-Gallery, DataLabel results
            key = next((k for k in keys if isinstance(data.get(k), list)), None)
            if key is None:
                items = [data]
            else:
                items = data[key]
    elif isinstance(data, list):
        items = data
    else:
        raise FormatError(f"{p}: expected a JSON list of rows or an object, found {type(data).__name__}.")

    def gen() -> Iterator[Row | BadRowError]:
        for i, obj in enumerate(items, start=1):
            if not isinstance(obj, dict):
                yield BadRowError(f"{p}: item {i} is not a JSON object.", f"{p}#{i}", json.dumps(obj)[:2000])
                continue
            yield Row(obj, f"{p}#{i}")

    src = RowSource(gen(), None, header, str(p))
    src.extra["document"] = data if isinstance(data, dict) else None
    return src


def _csv_rows(p: Path) -> RowSource:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            columns = next(csv.reader(fh), None)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read {p}: {exc}.") from None
    if not columns:
        raise InputFileError(f"Input {p} is empty.")

    def gen() -> Iterator[Row | BadRowError]:
        with open(p, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            for rec in reader:
                line = reader.line_num
                if None in rec:
                    yield BadRowError(f"{p}:{line}: the record has more cells than the header.", f"{p}:{line}")
                    continue
                yield Row({k: _csv_cell(v) for k, v in rec.items()}, f"{p}:{line}")

    return RowSource(gen(), columns, None, str(p))


def _csv_cell(v: str | None) -> Any:
    """CSV cells are text; JSON lists and objects inside them are decoded where they parse."""
    if v is None:
        return None
    s = v.strip()
    if s[:1] in "[{" and s[-1:] in "]}":
        try:
            return json.loads(s)
        except json.JSONDecodeError:
            return v
    return v


def _parquet_rows(p: Path) -> RowSource:
    import pyarrow.parquet as pq

    from labelloop.data.io import HEADER_KEY

    sys.audit("labelloop.open", str(p))  # pyarrow opens it natively: let an audit hook (the MCP server's) see it
    try:
        # No pre-buffering and a buffered stream: otherwise pyarrow holds the whole file's (or row
        # group's) column chunks in memory, about the file's size, while batches are iterated.
        pf = pq.ParquetFile(p, pre_buffer=False, buffer_size=PARQUET_READ_BUFFER)
    except Exception as exc:  # pyarrow raises several types for a non-Parquet file
        raise InputFileError(f"Cannot read {p} as Parquet: {exc}.") from None
    meta = pf.schema_arrow.metadata or {}
    header = json.loads(meta[HEADER_KEY.encode()]) if HEADER_KEY.encode() in meta else None

    def gen() -> Iterator[Row | BadRowError]:
        n = 0
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH):
            src.loaded += batch.num_rows
            for rec in batch.to_pylist():
                n += 1
                yield Row(rec, f"{p}:row {n}")

    src = RowSource(gen(), list(pf.schema_arrow.names), header, str(p))
    src.extra["canonical"] = header is not None or set(pf.schema_arrow.names) == {
        "id", "prompt", "candidates", "annotations", "metadata"}
    return src


def _require_datasets():
    try:
        import datasets  # noqa: F401
    except ImportError:
        raise MissingDependencyError(
            "Reading Hugging Face datasets needs the 'datasets' package: pip install 'labelloop[hf]'."
        ) from None
    return datasets


def _iter_hf(ds: Any, label: str) -> Iterator[Row | BadRowError]:
    for i, rec in enumerate(ds, start=1):
        yield Row(dict(rec), f"{label}:row {i}")


HF_QUERY_KEYS = ("data_files", "data_dir", "split", "name", "revision", "cache_dir")


def _hf_spec_rows(spec: str, *, split: str | None, name_config: str | None) -> RowSource:
    """``hf:NAME[?key=value&...]``: a Hub dataset (or its local cache), a directory written by
    ``save_to_disk``, or a builder over local files, e.g. ``hf:parquet?data_files=/data/rb.parquet``.
    Query keys: data_files (repeatable), data_dir, split, name (the config), revision, cache_dir."""
    from urllib.parse import parse_qs

    rest = spec[5:] if spec.startswith("hf://") else spec[3:]
    if spec.startswith("hf://") and rest.startswith("datasets/"):  # hf://datasets/owner/name
        rest = rest[len("datasets/"):]
    name, _, query = rest.partition("?")
    params = parse_qs(query)
    unknown = sorted(set(params) - set(HF_QUERY_KEYS))
    if unknown:
        raise InputFileError(f"Unknown key {unknown[0]!r} in {spec}; use {', '.join(HF_QUERY_KEYS)}.")
    one = {k: v[-1] for k, v in params.items()}
    split = split or one.pop("split", None)
    name_config = name_config or one.pop("name", None)
    local = Path(name)
    if local.is_dir() and any((local / f).exists() for f in ("dataset_info.json", "state.json", "dataset_dict.json")):
        return _hf_disk_rows(local, split=split)
    kwargs: dict[str, Any] = {k: one[k] for k in ("data_dir", "revision", "cache_dir") if k in one}
    if "data_files" in params:
        files = params["data_files"]
        kwargs["data_files"] = files[0] if len(files) == 1 else files
    src = _hf_rows(name, split=split, name_config=name_config, **kwargs)
    if query:  # name the dataset after its data, not after the query string
        src.header = {"name": Path(params["data_files"][0]).stem if "data_files" in params else Path(name).name}
    return src


def _hf_rows(name: str, *, split: str | None, name_config: str | None = None, **load_kwargs: Any) -> RowSource:
    datasets = _require_datasets()
    split = split or "train"
    try:
        ds = datasets.load_dataset(name, name_config, split=split, **load_kwargs)
    except Exception as exc:  # the hub client raises many types; all mean "cannot load"
        raise InputFileError(
            f"Cannot load Hugging Face dataset {name!r} (split {split!r}): {str(exc).splitlines()[0]}"
            + ("" if str(exc).rstrip().endswith(".") else ".")
        ) from None
    return RowSource(_iter_hf(ds, f"hf:{name}[{split}]"), list(ds.column_names), None, f"hf:{name}[{split}]")


def _hf_disk_rows(p: Path, *, split: str | None) -> RowSource:
    datasets = _require_datasets()
    for f in sorted(p.rglob("*")):  # arrow files are opened natively: let an audit hook see each
        sys.audit("labelloop.open", str(f))
    try:
        ds = datasets.load_from_disk(str(p))
    except Exception as exc:
        raise InputFileError(f"Cannot load the saved Hugging Face dataset in {p}: {exc}.") from None
    if isinstance(ds, datasets.DatasetDict):
        keys = list(ds.keys())
        use = split or ("train" if "train" in keys else keys[0])
        if use not in ds:
            raise InputFileError(f"Saved dataset {p} has no split {use!r}; splits: {', '.join(keys)}.")
        ds = ds[use]
    return RowSource(_iter_hf(ds, str(p)), list(ds.column_names), None, str(p))
