"""The tools' own result shapes, for operations whose result is a library report or a text (their JSON Schemas
are part of tools/list). Every other tool returns its operation's result model from ``labelloop.ops``."""


from typing import Any

from pydantic import BaseModel


class Report(BaseModel):
    """A library report as the library returns it (``as_dict`` / ``to_dict``), plus the file written."""

    output: str | None = None
    report: dict[str, Any]


class TextResult(BaseModel):
    output: str | None = None
    text: str
