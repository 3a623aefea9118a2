"""The typed results the tools return (their JSON Schemas are part of tools/list)."""


from typing import Any

from pydantic import BaseModel, Field


# ---------------------------------------------------------------------- typed results
class DatasetInfo(BaseModel):
    name: str
    samples: int
    schema_name: str | None = Field(description="The dataset's schema (template) name, if it carries one.")
    format: str
    candidates_per_sample: dict[str, int]
    prompt_turns: dict[str, int]
    subsets: dict[str, int]
    annotations_by_kind: dict[str, int]
    annotations_by_annotator: dict[str, int]


class ValidateResult(BaseModel):
    samples: int
    schema_name: str | None
    valid: bool
    problems: int
    details: list[str] = Field(description="The first 1000 problems, each naming sample, question and value.")


class ConvertResult(BaseModel):
    input: str
    format: str
    output: str
    samples: int
    rejected: int
    rejects_file: str | None = None


class ExportFile(BaseModel):
    path: str
    rows: int
    stats: dict[str, Any] | None = None


class ExportResult(BaseModel):
    format: str
    files: dict[str, ExportFile] = Field(description="Per split ('all' without a split): the file written.")


class AnnotatorResult(BaseModel):
    output: str
    tasks: int
    bytes: int
    file_id: str
    schema_name: str
    schema_hash: str
    seed: int


class Report(BaseModel):
    """A library report as the library returns it (``as_dict`` / ``to_dict``), plus the file written."""

    output: str | None = None
    report: dict[str, Any]


class TextResult(BaseModel):
    output: str | None = None
    text: str
