"""Canonical files (JSONL, JSON, Parquet, CSV) and atomic writes.

A canonical record is ``DataSample.model_dump(mode="json")``. JSONL files may start with one
header line holding the dataset's name, schema and metadata; Parquet keeps that header in the
file's key-value metadata; JSON wraps it all in one object. Nested values that Parquet and CSV
cannot type (annotations, metadata) are stored as JSON text, so every round trip is lossless.
"""

from __future__ import annotations

import contextlib
import contextvars
import csv
import functools
import hashlib
import io
import json
import math
import os
import re
import secrets
import socket
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import OutputError

HEADER_KEY = "labelloop_dataset"
CANONICAL_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".parquet": "parquet", ".csv": "csv"}
CSV_COLUMNS = ("id", "prompt", "candidates", "annotations", "metadata")
BATCH_ROWS = 10_000
#: deepest nesting of lists and objects accepted in one row (pydantic cannot serialise much past 250)
MAX_DEPTH = 200
#: longest line a JSONL or CSV reader takes (bytes, without the newline)
MAX_LINE_BYTES = 64 * 2**20


# ---------------------------------------------------------------------- atomic output
# Temporary files are ``.NAME.PID-HOST.RANDOM.tmp`` beside the output: a writer killed with -9 leaves one
# behind, and the next write of NAME removes it once its writer is gone (same host, process ended) or,
# when that cannot be told, once it is an hour old.
STALE_AFTER_S = 3600
HOST_TAG = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]
_TEMP = r"\.{name}\.(?:(?P<pid>\d+)-(?P<host>[0-9a-f]{{6}})\.)?[0-9a-f]{{12}}\.tmp\Z"  # and before: no pid
_LIVE_TEMPS: set[str] = set()  # this process's temporary files still being written (absolute paths)
_GROUP: contextvars.ContextVar[list[tuple[Path, Path]] | None] = contextvars.ContextVar("atomic_group", default=None)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _stale(entry: os.DirEntry, pid: str | None, host: str | None, now: float) -> bool:
    if pid is not None and host == HOST_TAG:
        if int(pid) == os.getpid():
            return os.path.abspath(entry.path) not in _LIVE_TEMPS  # left by an earlier process that had our pid
        if not pid_alive(int(pid)):
            return True
        return now - entry.stat(follow_symlinks=False).st_mtime > 24 * STALE_AFTER_S  # pid reused since
    return now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Delete temporary files of earlier, crashed writes of ``path`` (only ours, only for that name)."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    removed: list[Path] = []
    prefix = f".{path.name}."
    ours = re.compile(_TEMP.format(name=re.escape(path.name)), re.S)
    now = time.time()
    try:
        with os.scandir(parent) as entries:
            for entry in entries:
                if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
                    continue
                m = ours.match(entry.name)
                if m is None or not entry.is_file(follow_symlinks=False):
                    continue
                with contextlib.suppress(OSError):
                    if _stale(entry, m["pid"], m["host"], now):
                        os.unlink(entry.path)
                        removed.append(Path(entry.path))
    except OSError:
        pass
    return removed


@contextlib.contextmanager
def atomic_group() -> Iterator[None]:
    """Writes inside the block land together: each is renamed into place only when the whole block
    succeeds, and on any error every one of them is removed (a multi-file export is all or nothing)."""
    if _GROUP.get() is not None:
        yield
        return
    pending: list[tuple[Path, Path]] = []
    token = _GROUP.set(pending)
    try:
        yield
    except BaseException:
        for tmp, _ in pending:
            with contextlib.suppress(OSError):
                tmp.unlink()
            _LIVE_TEMPS.discard(os.path.abspath(tmp))
        raise
    finally:
        _GROUP.reset(token)
    try:
        for tmp, final in pending:
            os.replace(tmp, final)
            _LIVE_TEMPS.discard(os.path.abspath(tmp))
    except OSError as exc:
        for tmp, _ in pending:
            with contextlib.suppress(OSError):
                tmp.unlink()
            _LIVE_TEMPS.discard(os.path.abspath(tmp))
        raise OutputError(f"Cannot write {final}: {exc.strerror or exc}.") from None


@contextlib.contextmanager
def atomic_path(path: str | Path, perm: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success.

    The file gets ``perm`` (e.g. 0o600 for secrets), else the permissions a plain ``open`` would give.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(path)
        for _ in range(100):  # like mkstemp, but created with 0666 & ~umask (mkstemp's files are 0600)
            tmp = parent / f".{path.name}.{os.getpid()}-{HOST_TAG}.{secrets.token_hex(6)}.tmp"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if perm is None else perm)
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(f"no free temporary name beside {path}")
        _LIVE_TEMPS.add(os.path.abspath(tmp))
        if perm is not None:
            os.fchmod(fd, perm)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    tmp_path = Path(tmp)
    group = _GROUP.get()
    try:
        yield tmp_path
        if group is not None:
            group.append((tmp_path, path))  # renamed when the group ends
        else:
            os.replace(tmp_path, path)
            _LIVE_TEMPS.discard(os.path.abspath(tmp_path))
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        _LIVE_TEMPS.discard(os.path.abspath(tmp_path))
        if isinstance(exc, UnicodeEncodeError):  # a writer that did not say which text: still one sentence
            ch = exc.object[exc.start]
            why = (_surrogate_clause(ch) if _SURROGATE.match(ch)
                   else f"the text holds {ch!r}, which {exc.encoding} cannot encode")
            raise OutputError(f"Cannot write {path}: {why}.") from None
        raise


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", *, perm: int | None = None, **kwargs: Any) -> Iterator[IO[Any]]:
    with atomic_path(path, perm) as tmp:
        if "b" not in mode:
            kwargs.setdefault("encoding", "utf-8")
            kwargs.setdefault("newline", "")
        with open(tmp, mode, **kwargs) as fh:
            yield fh


# ---------------------------------------------------------------------- untrusted JSON text
class JSONTextError(ValueError):
    """JSON that parses, or would, but cannot be used: nested too deeply, a huge integer, a lone
    surrogate. The message is a clause ("JSON nested deeper than 200 levels") for the caller to place;
    ``phrase`` says the same after a subject ("nests deeper than 200 levels"), for "the reply {phrase}"."""

    def __init__(self, clause: str, phrase: str | None = None) -> None:
        super().__init__(clause)
        self.phrase = phrase or clause


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _surrogate_clause(ch: str, where: str = "the text") -> str:
    return f"{where} holds a lone surrogate (\\u{ord(ch):04x}), which UTF-8 cannot encode"


def _path(parts: Sequence[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def field_name(path: str) -> str:
    """``field prompt[0].content``, or ``the value`` for the top level."""
    return f"field {path}" if path else "the value"


def find_lone_surrogate(obj: Any) -> tuple[str, str] | None:
    """(path, character) of the first string or key holding a lone surrogate, e.g. ``("prompt[0].content",
    "\\ud800")``, path ``""`` for the value itself; None when every string is valid Unicode. Iterative:
    safe on deeply nested input."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(obj, ())]
    while stack:
        o, where = stack.pop()
        if isinstance(o, str):
            m = _SURROGATE.search(o)
            if m:
                return _path(where), m.group()
        elif isinstance(o, dict):
            for k, v in reversed(list(o.items())):
                if isinstance(k, str) and (m := _SURROGATE.search(k)):
                    return _path((*where, k)), m.group()
                stack.append((v, (*where, k)))
        elif isinstance(o, (list, tuple)):
            stack.extend((v, (*where, i)) for i, v in reversed(list(enumerate(o))))
    return None


def nested_too_deep(obj: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects nest more than ``limit`` levels. Level by level, not recursive: safe on
    hostile input, and about half the cost of parsing the JSON."""
    if not isinstance(obj, (dict, list)):
        return False
    level, depth = [obj], 1
    while level:
        if depth > limit:
            return True
        deeper: list[Any] = []
        add = deeper.append
        for o in level:
            for c in (o.values() if isinstance(o, dict) else o):
                if isinstance(c, (dict, list)):
                    add(c)
        level, depth = deeper, depth + 1
    return False


def json_value_problem(obj: Any) -> str | None:
    """Why a parsed JSON value cannot go on (nested deeper than MAX_DEPTH, a lone surrogate), or None."""
    if nested_too_deep(obj):
        return f"JSON nested deeper than {MAX_DEPTH} levels"
    found = find_lone_surrogate(obj)
    if found:
        return _surrogate_clause(found[1], field_name(found[0]))
    return None


_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
ESCAPED_SURROGATE_B = re.compile(rb"\\u[dD][89a-fA-F]")


def _too_deep(limit: int) -> JSONTextError:
    return JSONTextError(f"JSON nested deeper than {limit} levels", f"nests deeper than {limit} levels")


def check_json_value(obj: Any, text: str | bytes, max_depth: int = MAX_DEPTH) -> None:
    """Raise ``JSONTextError`` for what ``json_value_problem`` refuses (nesting past ``max_depth``, a lone
    surrogate). ``text`` is the JSON the value was parsed from: cheap tests on it (enough brackets? a
    ``\\udXXX`` escape?) skip the walks in the usual case."""
    if len(text) > 2 * max_depth:
        brackets = text.count(b"[") + text.count(b"{") if isinstance(text, bytes) else text.count("[") + text.count("{")
        if brackets > max_depth and nested_too_deep(obj, max_depth):
            raise _too_deep(max_depth)
    if (ESCAPED_SURROGATE_B if isinstance(text, bytes) else _ESCAPED_SURROGATE).search(text):
        found = find_lone_surrogate(obj)
        if found:
            raise JSONTextError(_surrogate_clause(found[1], field_name(found[0])),
                                f"has a lone surrogate (\\u{ord(found[1]):04x}), which UTF-8 cannot encode")


def _shown(number: str) -> str:
    return number if len(number) <= 24 else number[:23] + "…"


def _limited_int(max_digits: int) -> Callable[[str], int]:
    def parse_int(text: str) -> int:
        digits = len(text) - (text[:1] == "-")
        if digits > max_digits:
            raise JSONTextError(f"a number has {digits:,} digits (at most {max_digits} are accepted)",
                                f"has a number with {digits} digits (at most {max_digits} are accepted)")
        return int(text)
    return parse_int


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise JSONTextError(f"the number {_shown(text)} is too large for a float",
                            f"has a number too large for a float ({_shown(text)})")
    return value


def _no_constant(name: str) -> Any:
    raise JSONTextError(f"{name} is not a JSON number", f"has {name}, which is not JSON")


@functools.lru_cache(maxsize=16)
def _decoder(max_int_digits: int | None, finite: bool) -> Callable[[str], Any]:
    """``json.loads`` with the number hooks asked for (the plain C decoder when none are: the fast path)."""
    if max_int_digits is None and not finite:
        return json.loads
    hooks: dict[str, Any] = {}
    if max_int_digits is not None:
        hooks["parse_int"] = _limited_int(max_int_digits)
    if finite:
        hooks.update(parse_float=_finite_float, parse_constant=_no_constant)
    return json.JSONDecoder(**hooks).decode


def parse_json(text: str | bytes, *, check: bool = True, max_depth: int = MAX_DEPTH, max_size: int | None = None,
               max_int_digits: int | None = None, finite: bool = False) -> Any:
    """``json.loads`` for untrusted text, the one bounded JSON parser of the code base.

    Malformed JSON raises ``json.JSONDecodeError`` as usual (its line and column are the caller's to report);
    bytes must be valid UTF-8 (or UTF-16/32), else ``UnicodeDecodeError``. What a hostile text can add raises
    :class:`JSONTextError` with one clause (and its ``phrase``): nesting past ``max_depth`` (that would exhaust
    the stack or break whatever walks the value next), integers past Python's digit limit, lone surrogates
    (``check``), and, when asked, a text longer than ``max_size`` (characters, or bytes for bytes), integers
    longer than ``max_int_digits`` digits, and (``finite``) NaN, Infinity and numbers like ``1e999`` that
    only a float's infinity could hold."""
    if max_size is not None and len(text) > max_size:
        unit = "bytes" if isinstance(text, (bytes, bytearray)) else "characters"
        raise JSONTextError(f"the JSON text is {len(text):,} {unit} long, more than the {max_size:,} accepted",
                            f"is {len(text)} {unit} long, more than the {max_size} accepted")
    if isinstance(text, (bytes, bytearray)):  # strictly: json.loads would let encoded lone surrogates through
        text = bytes(text).decode(json.detect_encoding(text))
    try:
        obj = _decoder(max_int_digits, finite)(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise _too_deep(max_depth) from None
    except JSONTextError:
        raise
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            limit = sys.get_int_max_str_digits()
            raise JSONTextError(f"a number has more than {limit:,} digits",
                                f"has a number with more than {limit} digits") from None
        raise
    if check:
        check_json_value(obj, text, max_depth)
    return obj


# ---------------------------------------------------------------------- CSV cells
#: a cell starting with one of these is read as a formula by spreadsheets (OWASP: CSV injection)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUOTED_FORMULA = re.compile("'+[=+\\-@\t\r]")


def csv_safe(value: Any, *, reversible: bool = False) -> Any:
    """The one rule every CSV writer applies: a string cell whose first character is one of
    ``= + - @ TAB CR`` gets a leading ``'`` so spreadsheets show it as text (OWASP's advice; the offline
    page's export does the same). Numbers are not strings and pass as they are; JSON cells start with
    ``[`` or ``{``. With ``reversible`` (canonical CSV, which labelloop reads back), a cell that already
    starts with quotes before such a character gets one more, so ``csv_unsafe`` restores every value."""
    if isinstance(value, str) and value:
        if value[0] in FORMULA_START or (reversible and value[0] == "'" and _QUOTED_FORMULA.match(value)):
            return "'" + value
    return value


def csv_unsafe(value: Any) -> Any:
    """Undo ``csv_safe(..., reversible=True)``: drop the one quote it added."""
    if isinstance(value, str) and value[:1] == "'" and _QUOTED_FORMULA.match(value):
        return value[1:]
    return value


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
            Candidate(id=c["id"], content=c["content"], model=c["model"],
                      metadata=_json_text(c["metadata"] or "{}", f"candidates[{i}].metadata"))
            for i, c in enumerate(row["candidates"] or [])
        ],
        annotations=_json_text(row["annotations"] or "[]", "annotations"),
        metadata=_json_text(row["metadata"] or "{}", "metadata"),
    )


# Writing fails on what no file can hold (lone surrogates, integers past the digit limit, nesting past
# pydantic's or json's limit); these say which sample and field, in one sentence, and leave no output.
_UNWRITABLE = (ValueError, RecursionError)


def _why_unwritable(item: Any, exc: BaseException) -> str:
    """A clause naming the field of ``item`` (a record or a table row) that ``exc`` failed on."""
    found = find_lone_surrogate(item)
    if found is not None:
        return _surrogate_clause(found[1], field_name(found[0]))
    if isinstance(exc, RecursionError) or "depth" in str(exc):
        return "a value is nested too deeply to write"
    if "integer string conversion" in str(exc):
        return f"a number has more than {sys.get_int_max_str_digits():,} digits"
    return str(exc).split("\n")[0].rstrip(".")


def _sample_unwritable(path: Path, sample: DataSample, exc: BaseException) -> OutputError:
    try:
        item: Any = sample.model_dump(mode="python")
    except _UNWRITABLE:
        item = sample
    return OutputError(f"Cannot write {path}: sample {sample.id!r}: {_why_unwritable(item, exc)}.")


def _parquet_unwritable(path: Path, batch: list[dict[str, Any]], exc: BaseException) -> OutputError:
    """The sample of a Parquet batch that pyarrow could not encode (rows, not samples, are kept: holding
    the batch's samples as well costs memory and garbage-collector time on every batch)."""
    for row in batch:
        found = find_lone_surrogate(row)
        if found is None:
            continue
        field, ch = found
        top = field.split(".")[0]
        if field in ("annotations", "metadata") or (top.startswith("candidates[") and field.endswith(".metadata")):
            inner = find_lone_surrogate(json.loads(_get_path(row, field)))  # JSON text: say where inside it
            if inner is not None:
                field = field + (inner[0] if inner[0].startswith("[") else "." + inner[0])
        return OutputError(f"Cannot write {path}: sample {row['id']!r}: {_surrogate_clause(ch, f'field {field}')}.")
    return OutputError(f"Cannot write {path}: {_why_unwritable(None, exc)}.")


def _get_path(row: dict[str, Any], field: str) -> Any:
    value: Any = row
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", field):
        value = value[int(part[1:-1])] if part.startswith("[") else value[part]
    return value


def _first_unwritable(path: Path, rows: Sequence[dict[str, Any]], sources: Sequence[str] | None,
                      exc: BaseException, start: int = 0) -> OutputError:
    """Find the row a whole-table write failed on (only on failure, so the usual case pays nothing)."""
    for i, row in enumerate(rows):
        try:
            if find_lone_surrogate(row) is None:
                dumps(row)
                continue
        except _UNWRITABLE as row_exc:
            exc = row_exc
        return _row_unwritable(path, row, start + i, sources, exc)
    return OutputError(f"Cannot write {path}: {_why_unwritable(None, exc)}.")


def _row_unwritable(path: Path, row: dict[str, Any], i: int, sources: Sequence[str] | None,
                    exc: BaseException) -> OutputError:
    who = f"row {i + 1} (sample {sources[i]!r})" if sources and i < len(sources) else f"row {i + 1}"
    return OutputError(f"Cannot write {path}: {who}: {_why_unwritable(row, exc)}.")


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
    except _UNWRITABLE as exc:
        raise OutputError(f"Cannot write {path}: the dataset's name, schema or metadata: "
                          f"{_why_unwritable(header, exc)}.") from None
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
                    except _UNWRITABLE as exc:
                        raise _parquet_unwritable(path, batch, exc) from None
                    writer.write_table(table)

                for s in samples:
                    try:
                        batch.append(_parquet_row(s))
                    except _UNWRITABLE as exc:
                        raise _sample_unwritable(path, s, exc) from None
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
                except _UNWRITABLE as exc:
                    raise _sample_unwritable(path, s, exc) from None
                n += 1
        elif fmt == "json":
            fh.write("{" + f'"name":{dumps(name)},"schema":{dumps(header["schema"])},')
            fh.write(f'"metadata":{dumps(header["metadata"])},"samples":[')
            for s in samples:
                try:
                    fh.write(("," if n else "") + "\n" + dumps(sample_to_record(s)))
                except _UNWRITABLE as exc:
                    raise _sample_unwritable(path, s, exc) from None
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
                except _UNWRITABLE as exc:
                    raise _sample_unwritable(path, s, exc) from None
                n += 1
    return n


def write_dataset(dataset: Dataset, path: str | Path, fmt: str | None = None) -> int:
    return write_samples(
        dataset.samples, path, fmt, name=dataset.name, schema=dataset.schema, metadata=dataset.metadata
    )


def _csv_row_cells(r: dict[str, Any]) -> dict[str, Any]:
    return {k: csv_safe(v) if isinstance(v, (str, int, float)) or v is None else dumps(v) for k, v in r.items()}


def write_rows(rows: Iterable[dict[str, Any]], path: str | Path, fmt: str | None = None, *,
               sources: Sequence[str] | None = None, stats: dict[str, Any] | None = None) -> int:
    """Write plain table rows (training exports) as JSONL, JSON, CSV or Parquet, atomically.

    ``sources`` names, per row, the sample it came from, for errors. CSV cells pass through ``csv_safe``;
    how many it changed goes to ``stats["csv_cells_quoted"]``, so the user is told their text changed.
    """
    path = Path(path)
    fmt = fmt or CANONICAL_SUFFIXES.get(path.suffix.lower())
    rows = list(rows)
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        with atomic_path(path) as tmp:
            try:
                table = pa.Table.from_pylist(rows)
            except _UNWRITABLE as exc:
                raise _first_unwritable(path, rows, sources, exc) from None
            pq.write_table(table, tmp)
    elif fmt == "jsonl":
        with atomic_open(path) as fh:
            for i, r in enumerate(rows):
                try:
                    fh.write(dumps(r) + "\n")
                except _UNWRITABLE as exc:
                    raise _row_unwritable(path, r, i, sources, exc) from None
    elif fmt == "json":
        with atomic_open(path) as fh:
            try:
                json.dump(rows, fh, ensure_ascii=False, indent=1)
            except _UNWRITABLE as exc:
                raise _first_unwritable(path, rows, sources, exc) from None
            fh.write("\n")
    elif fmt == "csv":
        cols: list[str] = []
        for r in rows:
            cols += [k for k in r if k not in cols]
        with atomic_open(path) as fh:
            writer = csv.DictWriter(fh, fieldnames=cols)
            writer.writeheader()
            quoted = 0
            for i, r in enumerate(rows):
                try:
                    cells = _csv_row_cells(r)
                    writer.writerow(cells)
                except _UNWRITABLE as exc:
                    raise _row_unwritable(path, r, i, sources, exc) from None
                quoted += sum(1 for k, v in cells.items() if v is not r[k] and isinstance(r[k], str))
            if stats is not None:
                stats["csv_cells_quoted"] = quoted
    else:
        raise OutputError(f"Cannot tell the output format of {path}; use .jsonl, .json, .parquet or .csv.")
    return len(rows)


def to_jsonl_string(samples: Iterable[DataSample]) -> str:
    buf = io.StringIO()
    for s in samples:
        buf.write(dumps(sample_to_record(s)) + "\n")
    return buf.getvalue()
