"""What every format module shares: the Format interface and the coercions from loose cells
(strings, chat lists, JSON text) to the data model."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from labelloop.data.io import JSONTextError, parse_json
from labelloop.data.model import Candidate, DataSample, Dataset, Message, content_id
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import OutputError, RowError
from labelloop.registry import Registry


class Format:
    """One outside format. Readers turn one raw row into samples; writers take a dataset."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    required: ClassVar[tuple[str, ...]] = ()
    can_read: ClassVar[bool] = True
    can_write: ClassVar[bool] = False
    #: higher wins in --format auto among formats whose detect() is true
    priority: ClassVar[int] = 0

    def __init__(self, **options: Any) -> None:
        self.options = options

    # reading -------------------------------------------------------------------------
    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        return bool(self.required) and set(self.required) <= columns

    def required_columns(self) -> tuple[str, ...]:
        return self.required

    def schema(self) -> AnnotationSchema | None:
        """The schema the source's labels fit, if the format implies one."""
        return None

    def begin(self, source: Any) -> None:
        """Called once with the RowSource before rows are read (for whole-file formats)."""

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        raise NotImplementedError

    # writing -------------------------------------------------------------------------
    def write(self, dataset: Dataset, path: Path) -> int:
        raise OutputError(f"Format {self.name!r} can be read but not written.")


FORMATS: Registry[type[Format]] = Registry("format")


def register(cls: type[Format]) -> type[Format]:
    FORMATS.register(cls.name, cls)
    return cls


# ---------------------------------------------------------------------- coercions
def _loads_if_json(value: Any, column: str = "") -> Any:
    """A cell holding JSON text is decoded; text that merely looks like JSON stays text. JSON that parses
    but cannot be used (nested too deeply, a huge integer, a lone surrogate) is the row's error."""
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in "[{" and s[-1:] in "]}":
            try:
                return parse_json(s)
            except json.JSONDecodeError:
                return value
            except JSONTextError as exc:
                raise RowError(f"column {column!r}: {exc}" if column else str(exc)) from None
    return value


def to_messages(value: Any, column: str) -> list[Message]:
    """A prompt cell: a string (one user turn) or a list of chat turns."""
    value = _loads_if_json(value, column)
    if value is None:
        raise RowError(f"column {column!r} is empty")
    if isinstance(value, str):
        return [Message(role="user", content=value)]
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict) and "role" in value:
        value = [value]
    if isinstance(value, list):
        out = []
        for i, turn in enumerate(value):
            if isinstance(turn, dict) and "content" in turn:
                content = turn["content"]
                if isinstance(content, list):  # OpenAI content parts
                    content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
                text = "" if content is None else str(content)
                out.append(Message(role=str(turn.get("role") or "user"), content=text))
            elif isinstance(turn, str):
                out.append(Message(role="user" if i % 2 == 0 else "assistant", content=turn))
            else:
                raise RowError(f"column {column!r} turn {i} is not a chat message")
        return out
    raise RowError(f"column {column!r} holds {type(value).__name__}, not text or chat turns")


def completion(value: Any, prompt: list[Message], column: str) -> tuple[str, dict[str, Any]]:
    """A response cell: text, or chat turns that may repeat the prompt first.

    Returns the response text and metadata (the turns, when the response spans more than one).
    """
    value = _loads_if_json(value, column)
    if value is None:
        raise RowError(f"column {column!r} is empty")
    if isinstance(value, str):
        return value, {}
    turns = to_messages(value, column)
    k = 0
    while k < len(prompt) and k < len(turns) and turns[k] == prompt[k]:
        k += 1
    rest = turns[k:] if k == len(prompt) else turns
    if len(rest) == 1:
        return rest[0].content, {}
    if not rest:
        return "", {}
    return (
        "\n\n".join(f"{m.role}: {m.content}" for m in rest),
        {"messages": [m.model_dump() for m in rest]},
    )


def as_list(value: Any, column: str) -> list[Any]:
    value = _loads_if_json(value, column)
    if value is None:
        return []
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        return [value]
    raise RowError(f"column {column!r} holds {type(value).__name__}, not a list")


def make_id(row_id: Any, prompt: list[Message], candidates: list[Candidate]) -> str:
    if row_id is not None and str(row_id) != "":
        return str(row_id)
    return content_id(prompt, candidates)


def scalar(value: Any) -> Any:
    """Plain JSON scalars from numpy / pandas cells."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return value
    if hasattr(value, "tolist"):
        return value.tolist()
    return value
