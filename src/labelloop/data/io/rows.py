"""Plain table rows (training exports: DPO pairs, reward-model rows) as JSONL, JSON, CSV or Parquet."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from labelloop.data.io.atomic import atomic_open, atomic_path
from labelloop.data.io.canonical import CANONICAL_SUFFIXES
from labelloop.data.io.csvcells import csv_safe
from labelloop.data.io.jsontext import dumps
from labelloop.data.io.unwritable import UNWRITABLE, first_unwritable, row_unwritable
from labelloop.errors import OutputError


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
            except UNWRITABLE as exc:
                raise first_unwritable(path, rows, sources, exc) from None
            pq.write_table(table, tmp)
    elif fmt == "jsonl":
        with atomic_open(path) as fh:
            for i, r in enumerate(rows):
                try:
                    fh.write(dumps(r) + "\n")
                except UNWRITABLE as exc:
                    raise row_unwritable(path, r, i, sources, exc) from None
    elif fmt == "json":
        with atomic_open(path) as fh:
            try:
                json.dump(rows, fh, ensure_ascii=False, indent=1)
            except UNWRITABLE as exc:
                raise first_unwritable(path, rows, sources, exc) from None
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
                except UNWRITABLE as exc:
                    raise row_unwritable(path, r, i, sources, exc) from None
                quoted += sum(1 for k, v in cells.items() if v is not r[k] and isinstance(r[k], str))
            if stats is not None:
                stats["csv_cells_quoted"] = quoted
    else:
        raise OutputError(f"Cannot tell the output format of {path}; use .jsonl, .json, .parquet or .csv.")
    return len(rows)
