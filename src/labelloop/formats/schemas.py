"""Finding the schema a command works with: a template name, a schema file (labelloop's or DataLabel's), or the
dataset's own.

This sits in ``formats`` and not beside the schema model in ``data``, because reading a schema file means knowing
other tools' schema formats (DataLabel's) and the named templates, both of which build on the model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from labelloop.data.schema import AnnotationSchema, schema_from_dict
from labelloop.errors import InputFileError, ParameterError, SchemaError
from labelloop.formats.datalabel import schema_from_datalabel
from labelloop.templates import TEMPLATES


def resolve_schema(template: str | None = None, schema: str | Path | None = None, dataset: Any = None, *,
                   required: bool = False) -> AnnotationSchema | None:
    """The schema a command works with: ``template`` or ``schema`` (not both), else the dataset's own.

    The errors are ``ParameterError``s naming ``template`` and ``schema``, so each front end names them in its
    own terms (``--template`` on the command line).
    """
    if template and schema:
        raise ParameterError("template", "Give {param} or {other}, not both.", other="schema")
    if template:
        return TEMPLATES.get(template)()
    if schema:
        return load_schema(schema)
    if dataset is not None and dataset.schema is not None:
        return dataset.schema
    if not required:
        return None
    if dataset is None:
        raise ParameterError("template", "Name a schema with {param} or {other} (or give a dataset that carries one).",
                             other="schema")
    raise ParameterError("template", "The dataset carries no schema; name one with {param} or {other}.",
                         other="schema")


def load_schema(path_or_name: str | Path) -> AnnotationSchema:
    """A schema from a template name, or a YAML / JSON file (labelloop's form or DataLabel's)."""
    text_name = str(path_or_name)
    path = Path(path_or_name)
    if not path.exists():
        if text_name in TEMPLATES:
            return TEMPLATES.get(text_name)()
        raise InputFileError(
            f"Schema {text_name!r} is neither a file nor a template (templates: {', '.join(TEMPLATES.names())})."
        )
    try:
        raw = path.read_text(encoding="utf-8")
        data = yaml.safe_load(raw) if path.suffix.lower() in (".yaml", ".yml") else json.loads(raw)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read schema file {path}: {exc}.") from None
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise SchemaError(f"Schema file {path} is not valid {path.suffix.lstrip('.').upper()}: {exc}.") from None
    if not isinstance(data, dict):
        raise SchemaError(f"Schema file {path} must hold a mapping at the top level.")
    if "questions" not in data and ("annotation_config" in data or "scoring_rubric" in data):
        return schema_from_datalabel(data, source=str(path))
    return schema_from_dict(data, source=str(path))


__all__ = ["load_schema", "resolve_schema"]
