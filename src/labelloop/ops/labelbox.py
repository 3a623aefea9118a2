"""labelbox ontology: the Labelbox ontology a project needs to receive a schema's labels (data rows and labels go
out and come back through the ``labelbox`` format of export and convert)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from labelloop.errors import ParameterError
from labelloop.formats.labelbox import ontology_from_schema, write_ontology
from labelloop.ops._common import at_least, schema_for


class OntologyResult(BaseModel):
    output: str
    schema_name: str
    tools: int
    classifications: int


def ontology(output: Path, *, template: str | None = None, schema: str | Path | None = None,
             candidates: int = 2) -> OntologyResult:
    """Write the ontology (radio, checklist, text, NER tools, nested options) for one template or schema file;
    ``candidates``: how many model outputs a choice among answers offers."""
    if bool(template) == bool(schema):
        raise ParameterError("template", "Give exactly one of {param} or {other}.", other="schema")
    at_least("candidates", candidates, 1)
    sch = schema_for(None, None, template or schema)  # a file given as --template is read as well
    write_ontology(sch, output, candidates)
    ont = ontology_from_schema(sch, candidates)
    return OntologyResult(output=str(output), schema_name=sch.name, tools=len(ont["tools"]),
                          classifications=len(ont["classifications"]))
