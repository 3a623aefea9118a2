"""Rows in, samples out: format detection, bad-row handling, duplicate ids, seeded limits.

``SampleReader`` streams, so a million-row file converts in bounded memory; ``load`` collects
the stream into a ``Dataset``.
"""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

from labelloop.data.io import (
    HEADER_KEY,
    MAX_LINE_BYTES,
    atomic_open,
    dumps,
    field_name,
    find_lone_surrogate,
    json_kind,
    surrogate_clause,
)
from labelloop.data.model import DataSample, Dataset
from labelloop.data.schema import AnnotationSchema, schema_from_dict
from labelloop.errors import (
    BadRowError,
    DuplicateIdError,
    FormatError,
    InputFileError,
    ParameterError,
    RowError,
    StoppedAtBadRowError,
)
from labelloop.formats.base import FORMATS, Format
from labelloop.formats.containers import Row, RowSource, open_rows

DEFAULT_SEED = 0


def detect_format(columns: set[str], first: dict[str, Any] | None) -> str | None:
    hits = []
    for name in FORMATS:
        cls = FORMATS.get(name)
        if cls.can_read and cls().detect(columns, first):
            hits.append((cls.priority, name))
    return max(hits)[1] if hits else None


class SampleReader:
    """Iterate the samples of one input, in input order (or a seeded sample of ``limit``)."""

    def __init__(
        self,
        path: str | Path,
        format: str = "auto",
        *,
        limit: int | None = None,
        seed: int = DEFAULT_SEED,
        skip_bad: bool = False,
        rejects: str | Path | None = None,
        options: dict[str, Any] | None = None,
        hf_split: str | None = None,
        hf_name: str | None = None,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self.path = str(path)
        self.limit = limit
        self.seed = seed
        self.skip_bad = skip_bad
        self.rejects_path = Path(rejects) if rejects else (
            Path(self.path + ".rejects.jsonl") if skip_bad and not self.path.startswith("hf:") else None)
        self.options = options or {}
        self._open_kw: dict[str, Any] = {"hf_split": hf_split, "hf_name": hf_name, "max_line_bytes": max_line_bytes}
        if limit is not None and limit < 1:
            raise ParameterError("limit", f"{{param}} must be at least 1, not {limit}.")
        self.rejected: list[dict[str, Any]] = []
        self.source = open_rows(self.path, **self._open_kw)
        _header_fields(self.source)  # before a format's begin() reads it
        self._pending: list[Row | BadRowError] = []
        first = self._peek()
        columns = set(self.source.columns or (first.data.keys() if first else []))
        self.columns = sorted(columns)
        if format == "auto":
            if first is None and not self.source.columns:
                self._nothing_readable()
            found = detect_format(columns, first.data if first else None)
            if found is None:
                found_cols = ParameterError.literal(f"{self.path}; columns found: {', '.join(self.columns)}")
                raise ParameterError("format", f"Cannot recognise the format of {found_cols}. Name one with {{param}} "
                                               f"({', '.join(n for n in FORMATS if FORMATS.get(n).can_read)}).")
            self.format_name, self.detected = found, True
        else:
            self.format_name, self.detected = format, False
        cls = FORMATS.get(self.format_name)
        if not cls.can_read:
            raise FormatError(f"Format {self.format_name!r} can be written but not read.")
        self.fmt: Format = cls(**self.options)
        missing = [c for c in self.fmt.required_columns() if c not in columns]
        if missing and (first is not None or self.source.columns):
            raise FormatError(
                f"Input {self.path} has no column {missing[0]!r} needed by format {self.format_name!r}; "
                f"columns found: {', '.join(self.columns) or 'none'}."
            )
        self.fmt.begin(self.source)
        name, schema_data, metadata = _header_fields(self.source)  # as begin() left it
        self.name = str(name or Path(self.path.split(":", 1)[-1]).stem or "dataset")
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.schema: AnnotationSchema | None = (
            schema_from_dict(schema_data, f"{self.source.header_at or self.path}: the {HEADER_KEY} header's schema")
            if schema_data else self.fmt.schema()
        )
        self.rows_read = 0
        self._used = False

    def _peek(self) -> Row | None:
        for item in self.source.rows:
            self._pending.append(item)
            if isinstance(item, Row):
                return item
        return None

    def _nothing_readable(self) -> None:
        """No row to recognise a format by: say why (the bad rows, one by one), not just "no rows"."""
        bad = [item for item in self._pending if isinstance(item, BadRowError)]
        if not bad:
            raise InputFileError(f"Input {self.path} holds no rows.")
        for err in bad:
            self._bad(err)  # without skip_bad, the first one is the error
        self._write_rejects()
        raise InputFileError(f"Input {self.path} holds no readable rows ({len(self.rejected)} rejected).")

    def _raw(self) -> Iterator[Row | BadRowError]:
        pending, self._pending = self._pending, []
        return chain(pending, self.source.rows)

    def _samples(self) -> Iterator[tuple[DataSample, str]]:
        for item in self._raw():
            if isinstance(item, BadRowError):
                self._bad(item)
                continue
            self.rows_read += 1
            try:
                produced = list(self.fmt.to_samples(item.data))
            except (RowError, KeyError, TypeError, ValueError, RecursionError) as exc:
                msg = exc.args[0] if isinstance(exc, (RowError, KeyError)) and exc.args else str(exc)
                if isinstance(exc, KeyError):
                    msg = f"column {msg!r} is missing"
                elif isinstance(exc, UnicodeEncodeError):
                    found = find_lone_surrogate(item.data)
                    where = field_name(found[0]) if found else "the row"
                    msg = surrogate_clause(exc.object[exc.start], where)
                elif isinstance(exc, RecursionError):
                    msg = "a value is nested too deeply"
                self._bad(BadRowError(f"{item.location}: {str(msg).rstrip('.')}.", item.location,
                                      _raw_text(item.data)))
                continue
            for s in produced:
                yield s, item.location

    def _bad(self, err: BadRowError) -> None:
        if not self.skip_bad:
            hint = "; use {param} to write such rows to a rejects file and go on."
            raise StoppedAtBadRowError(ParameterError.literal(str(err).rstrip(".")) + hint, err.location, err.raw)
        self.rejected.append({"location": err.location, "error": str(err), "raw": err.raw})

    def _first_location(self, sample_id: str) -> str:
        again = SampleReader(self.path, self.format_name, options=self.options, skip_bad=True, **self._open_kw)
        again.rejects_path = None
        for s, loc in again._samples():
            if s.id == sample_id:
                return loc
        return "an earlier row"  # pragma: no cover - the id was seen once already

    def _checked(self) -> Iterator[DataSample]:
        seen: set[str] = set()
        for s, loc in self._samples():
            if s.id in seen:
                raise DuplicateIdError(
                    f"Rows {self._first_location(s.id)} and {loc} share the sample id {s.id!r}; ids must be unique."
                )
            seen.add(s.id)
            yield s
        if not seen and not self.rejected:
            raise InputFileError(f"Input {self.path} holds no rows.")
        if not seen:
            self._write_rejects()
            raise InputFileError(f"Input {self.path} holds no readable rows ({len(self.rejected)} rejected).")
        self._write_rejects()

    def _write_rejects(self) -> None:
        if self.rejected and self.rejects_path:
            with atomic_open(self.rejects_path) as fh:
                for r in self.rejected:
                    try:
                        line = dumps(r)
                        line.encode("utf-8")
                    except UnicodeEncodeError:  # a lone surrogate in the raw row: \u escapes keep it
                        line = json.dumps(r)
                    fh.write(line + "\n")

    def __iter__(self) -> Iterator[DataSample]:
        if self._used:
            raise RuntimeError("a SampleReader can be iterated once")
        self._used = True
        if self.limit is None:
            return self._checked()
        return self._limited()

    def _limited(self) -> Iterator[DataSample]:
        # Seeded reservoir sampling (algorithm R), then input order.
        rng = random.Random(self.seed)
        keep: list[tuple[int, DataSample]] = []
        assert self.limit is not None
        for i, s in enumerate(self._checked()):
            if i < self.limit:
                keep.append((i, s))
            else:
                j = rng.randint(0, i)
                if j < self.limit:
                    keep[j] = (i, s)
        yield from (s for _, s in heapq.nsmallest(len(keep), keep, key=lambda t: t[0]))

    def load(self) -> Dataset:
        samples = list(self)
        return Dataset(name=self.name, samples=samples, schema=self.schema, metadata=self.metadata)


def _raw_text(data: dict[str, Any]) -> str | None:
    try:
        return json.dumps(data, ensure_ascii=False, default=str)[:100_000]
    except (TypeError, ValueError, RecursionError):
        try:
            return repr(data)[:100_000]
        except RecursionError:  # nested past what even repr can walk
            return None


def _header_fields(source: RowSource) -> tuple[str | None, Any, dict[str, Any] | None]:
    """(name, schema data, metadata) of the source's labelloop_dataset header, checked: one sentence,
    naming where the header is, for a header that is not an object or has fields of the wrong kind."""
    header = source.header
    if header is None:
        return None, None, None
    where = source.header_at or source.description
    if not isinstance(header, dict):
        raise FormatError(f"{where}: the {HEADER_KEY} header must be a JSON object, not {json_kind(header)}.")
    name, schema, metadata = header.get("name"), header.get("schema"), header.get("metadata")
    if name is not None and not isinstance(name, str):
        raise FormatError(f"{where}: the {HEADER_KEY} header's name must be a string, not {json_kind(name)}.")
    if metadata is not None and not isinstance(metadata, dict):
        raise FormatError(f"{where}: the {HEADER_KEY} header's metadata must be a JSON object, "
                          f"not {json_kind(metadata)}.")
    if schema is not None and not isinstance(schema, dict):
        raise FormatError(f"{where}: the {HEADER_KEY} header's schema must be a JSON object, not {json_kind(schema)}.")
    return name, schema, metadata


def load(path: str | Path, format: str = "auto", **kwargs: Any) -> Dataset:
    """Read any supported input into a ``Dataset``."""
    return SampleReader(path, format, **kwargs).load()


__all__ = ["SampleReader", "load", "detect_format", "RowSource"]
