"""Why a write failed, in one sentence naming the sample or row and the field.

Writers call these only after a failure, so the usual case pays nothing for the search.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from labelloop.data.io.jsontext import dumps, field_name, find_lone_surrogate, surrogate_clause
from labelloop.data.model import DataSample
from labelloop.errors import OutputError

# Writing fails on what no file can hold (lone surrogates, integers past the digit limit, nesting past
# pydantic's or json's limit); these say which sample and field, in one sentence, and leave no output.
UNWRITABLE = (ValueError, RecursionError)


def why_unwritable(item: Any, exc: BaseException) -> str:
    """A clause naming the field of ``item`` (a record or a table row) that ``exc`` failed on."""
    found = find_lone_surrogate(item)
    if found is not None:
        return surrogate_clause(found[1], field_name(found[0]))
    if isinstance(exc, RecursionError) or "depth" in str(exc):
        return "a value is nested too deeply to write"
    if "integer string conversion" in str(exc):
        return f"a number has more than {sys.get_int_max_str_digits():,} digits"
    return str(exc).split("\n")[0].rstrip(".")


def sample_unwritable(path: Path, sample: DataSample, exc: BaseException) -> OutputError:
    try:
        item: Any = sample.model_dump(mode="python")
    except UNWRITABLE:
        item = sample
    return OutputError(f"Cannot write {path}: sample {sample.id!r}: {why_unwritable(item, exc)}.")


def parquet_unwritable(path: Path, batch: list[dict[str, Any]], exc: BaseException) -> OutputError:
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
        return OutputError(f"Cannot write {path}: sample {row['id']!r}: {surrogate_clause(ch, f'field {field}')}.")
    return OutputError(f"Cannot write {path}: {why_unwritable(None, exc)}.")


def _get_path(row: dict[str, Any], field: str) -> Any:
    value: Any = row
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", field):
        value = value[int(part[1:-1])] if part.startswith("[") else value[part]
    return value


def first_unwritable(path: Path, rows: Sequence[dict[str, Any]], sources: Sequence[str] | None,
                      exc: BaseException, start: int = 0) -> OutputError:
    """Find the row a whole-table write failed on (only on failure, so the usual case pays nothing)."""
    for i, row in enumerate(rows):
        try:
            if find_lone_surrogate(row) is None:
                dumps(row)
                continue
        except UNWRITABLE as row_exc:
            exc = row_exc
        return row_unwritable(path, row, start + i, sources, exc)
    return OutputError(f"Cannot write {path}: {why_unwritable(None, exc)}.")


def row_unwritable(path: Path, row: dict[str, Any], i: int, sources: Sequence[str] | None,
                    exc: BaseException) -> OutputError:
    who = f"row {i + 1} (sample {sources[i]!r})" if sources and i < len(sources) else f"row {i + 1}"
    return OutputError(f"Cannot write {path}: {who}: {why_unwritable(row, exc)}.")
