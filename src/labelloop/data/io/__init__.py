"""Canonical files and safe output: the one place labelloop's own files are read from records and written.

``atomic`` (a file appears whole or not at all), ``jsontext`` (the bounded JSON parser and the encoder),
``canonical`` (JSONL / JSON / Parquet / CSV datasets), ``rows`` (plain table rows for training exports),
``csvcells`` (formula quoting) and ``unwritable`` (why a write failed). Every public name is importable from
``labelloop.data.io`` itself.
"""

from labelloop.data.io.atomic import (
    HOST_TAG,
    STALE_AFTER_S,
    atomic_group,
    atomic_open,
    atomic_path,
    pid_alive,
    remove_stale_temps,
)
from labelloop.data.io.canonical import (
    BATCH_ROWS,
    CANONICAL_SUFFIXES,
    CSV_COLUMNS,
    HEADER_KEY,
    flat_to_record,
    header_of,
    parquet_row_to_sample,
    record_to_sample,
    sample_to_record,
    to_jsonl_string,
    write_dataset,
    write_samples,
)
from labelloop.data.io.csvcells import FORMULA_START, csv_safe, csv_unsafe
from labelloop.data.io.jsontext import (
    ESCAPED_SURROGATE_B,
    LONE_SURROGATE,
    MAX_DEPTH,
    MAX_LINE_BYTES,
    JSONTextError,
    check_json_value,
    dumps,
    field_name,
    find_lone_surrogate,
    json_kind,
    json_value_problem,
    nested_too_deep,
    parse_json,
    surrogate_clause,
)
from labelloop.data.io.rows import write_rows

__all__ = [
    "BATCH_ROWS", "CANONICAL_SUFFIXES", "CSV_COLUMNS", "ESCAPED_SURROGATE_B", "FORMULA_START", "HEADER_KEY",
    "HOST_TAG", "LONE_SURROGATE", "MAX_DEPTH", "MAX_LINE_BYTES", "STALE_AFTER_S", "JSONTextError", "atomic_group",
    "atomic_open", "atomic_path", "check_json_value", "csv_safe", "csv_unsafe", "dumps", "field_name",
    "find_lone_surrogate", "flat_to_record", "header_of", "json_kind", "json_value_problem", "nested_too_deep",
    "parquet_row_to_sample", "parse_json", "pid_alive", "record_to_sample", "remove_stale_temps", "sample_to_record",
    "surrogate_clause", "to_jsonl_string", "write_dataset", "write_rows", "write_samples",
]
