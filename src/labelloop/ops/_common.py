"""What the operations share: parameter checks that name the parameter, and reading the small files an
operation takes beside its dataset."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from labelloop.errors import InputFileError, ParameterError

Progress = Callable[[float, "float | None"], None]
"""A progress callback ``(done, total)``; ``total`` is None while unknown."""


def no_progress(done: float, total: float | None = None) -> None:
    """The progress callback that shows nothing."""


def at_least(param: str, value: float | None, minimum: float) -> None:
    """``value`` (when given) is ``minimum`` or more."""
    if value is not None and value < minimum:
        raise ParameterError(param, f"{{param}} must be {minimum} or more, not {value}.")


def one_of(param: str, value: Any, choices: Iterable[Any], what: str = "value") -> None:
    """``value`` is one of ``choices``."""
    known = list(choices)
    if value not in known:
        raise ParameterError(param, f"Unknown {what} {value!r} for {{param}}; known: "
                             f"{', '.join(map(str, known))}.")


def comma_list(text: str | Iterable[str] | None) -> list[str]:
    """``"a, b,,c"`` (or a list of such strings) as ``["a", "b", "c"]``."""
    if text is None:
        return []
    parts = [text] if isinstance(text, str) else list(text)
    return [e.strip() for p in parts for e in p.split(",") if e.strip()]


def read_guidelines(path: Path | None) -> str | None:
    """The Markdown guidelines file's text (None: no file)."""
    if path is None:
        return None
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read guidelines file {path}: {exc}.") from None
