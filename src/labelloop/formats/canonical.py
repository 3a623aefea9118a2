"""labelloop's own files: one ``DataSample`` record per row (JSONL, JSON, Parquet, CSV)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from labelloop.data.io import flat_to_record, parquet_row_to_sample, record_to_sample, write_dataset
from labelloop.data.model import DataSample, Dataset
from labelloop.errors import RowError
from labelloop.formats.base import Format, register


@register
class CanonicalFormat(Format):
    name = "labelloop"
    description = "labelloop's canonical samples (id, prompt, candidates, annotations, metadata)"
    required = ("id", "candidates")
    can_write = True
    priority = 100

    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        return {"id", "prompt", "candidates", "annotations"} <= columns

    def begin(self, source: Any) -> None:
        self._parquet = bool(source.extra.get("canonical"))

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        try:
            if getattr(self, "_parquet", False):
                return [parquet_row_to_sample(row)]
            return [record_to_sample(flat_to_record(row))]
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise RowError(f"field {where}: {err['msg']}") from None

    def write(self, dataset: Dataset, path: Path) -> int:
        return write_dataset(dataset, path)
