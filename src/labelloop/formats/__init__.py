"""Outside formats, one module each, all in the ``FORMATS`` registry.

``load`` reads any of them (``format="auto"`` recognises them by their columns); ``save``
writes a dataset as canonical JSONL / JSON / CSV / Parquet or as any writable format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from labelloop.data.io import CANONICAL_SUFFIXES
from labelloop.data.model import Dataset
from labelloop.errors import OutputError, ParameterError
from labelloop.formats import canonical, chat, dpo, hh_rlhf, pairs, rewardbench2  # noqa: F401  (registration)
from labelloop.formats.base import FORMATS, Format, register
from labelloop.formats.reader import SampleReader, detect_format, load

CANONICAL_WRITERS = ("jsonl", "json", "csv", "parquet")

for _optional in ("rm_gallery", "datalabel", "labelstudio", "labelbox"):
    try:
        __import__(f"labelloop.formats.{_optional}")
    except ModuleNotFoundError as _exc:  # pragma: no cover - modules land in their own commits
        if _exc.name != f"labelloop.formats.{_optional}":
            raise


def writer_names() -> list[str]:
    return list(CANONICAL_WRITERS) + [n for n in FORMATS if FORMATS.get(n).can_write and n != "labelloop"]


def reader_names() -> list[str]:
    return [n for n in FORMATS if FORMATS.get(n).can_read]


def save(dataset: Dataset, path: str | Path, format: str | None = None, **options: Any) -> int:
    """Write ``dataset`` to ``path``; the format defaults to the canonical one named by the suffix."""
    path = Path(path)
    fmt = format or CANONICAL_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(writer_names())
        raise ParameterError("format", f"Cannot tell the output format of {ParameterError.literal(str(path))}; "
                                       f"name one with {{param}} ({known}).")
    if fmt in CANONICAL_WRITERS:
        from labelloop.data.io import write_dataset

        return write_dataset(dataset, path, fmt)
    cls = FORMATS.get(fmt)
    if not cls.can_write:
        raise OutputError(f"Format {fmt!r} can be read but not written; writable: {', '.join(writer_names())}.")
    return cls(**options).write(dataset, path)


__all__ = ["FORMATS", "Format", "register", "SampleReader", "load", "save", "detect_format", "writer_names",
           "reader_names"]
