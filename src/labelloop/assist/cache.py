"""A persistent answer cache: one JSONL file, one line per finished call chain, appended atomically.

Each record is written with a single ``os.write`` on an ``O_APPEND`` descriptor as the answer arrives, so
a killed run loses only the calls in flight and a rerun pays for nothing twice. The file is fsync'd at most
every :data:`FSYNC_INTERVAL` seconds and on close, so a crash of the whole machine loses at most that much;
an fsync per answer (a few ms each) used to cap a run at a few hundred answers a second.
A torn last line (a crash mid-write on a filesystem without atomic appends) is ignored on reading, and
so is any line that is not a JSON object with a string ``key``; lines are read with the bounds of untrusted
JSON (:func:`labelloop.data.io.parse_json`: nesting, size, number lengths, NaN and infinities, lone surrogates).
What a record means, and which records are worth reusing, is the caller's business: pre-labelling keeps
only valid answers and checks their shape when it reads them back.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from labelloop.data.io import MAX_LINE_BYTES, parse_json
from labelloop.errors import LabelloopError

CACHE_FILE = "answers.jsonl"
#: The longest the newest answers go without an fsync (a crash of the process loses nothing written).
FSYNC_INTERVAL = 0.5
#: The deepest record read back: a record holds one answer's values, a few levels deep (as a reply's JSON).
MAX_RECORD_DEPTH = 64
#: The longest integer in a record read back (token counts, confidences; as a reply's JSON).
MAX_RECORD_INT_DIGITS = 64


def cache_key(**parts: Any) -> str:
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class AnswerCache:
    """Finished answers by key. ``None`` as the directory gives a cache that remembers nothing."""

    def __init__(self, directory: str | Path | None) -> None:
        self.path = Path(directory) / CACHE_FILE if directory is not None else None
        self._entries: dict[str, dict[str, Any]] = {}
        self._fd: int | None = None
        self._synced = 0.0  # when the file was last fsync'd (monotonic): the first answer is synced at once
        self.torn_lines = 0
        if self.path is not None:
            self._load()

    def _load(self) -> None:
        assert self.path is not None
        if not self.path.exists():
            return
        try:
            with open(self.path, "rb") as fh:  # bytes: a line that is not UTF-8 is one unreadable line
                for line in fh:
                    try:
                        rec = parse_json(line, max_depth=MAX_RECORD_DEPTH, max_size=MAX_LINE_BYTES,
                                         max_int_digits=MAX_RECORD_INT_DIGITS, finite=True)
                    except ValueError:  # malformed, torn, not UTF-8 or past a bound (JSONTextError)
                        self.torn_lines += 1
                        continue
                    if isinstance(rec, dict) and isinstance(rec.get("key"), str):
                        self._entries[rec["key"]] = rec
        except OSError as exc:
            raise LabelloopError(f"Cannot read the cache {self.path}: {exc.strerror or exc}.") from None

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> dict[str, Any] | None:
        return self._entries.get(key)

    def put(self, key: str, record: dict[str, Any]) -> None:
        rec = {"key": key, **record}
        self._entries[key] = rec
        if self.path is None:
            return
        if self._fd is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                # a torn line left by a crash must not glue itself to our first record
                if self.path.stat().st_size and not _ends_with_newline(self.path):
                    os.write(self._fd, b"\n")
            except OSError as exc:
                raise LabelloopError(f"Cannot write the cache {self.path}: {exc.strerror or exc}.") from None
        data = (json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        os.write(self._fd, data)
        now = time.monotonic()
        if now - self._synced >= FSYNC_INTERVAL:
            os.fsync(self._fd)
            self._synced = now

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"
