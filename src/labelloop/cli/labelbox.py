"""``labelloop labelbox ontology``: the Labelbox ontology a project needs to receive a schema's labels.

Data rows, pre-labels and ground truth go out with ``labelloop export --format labelbox`` and come back with
``labelloop convert --format labelbox``; this command only writes the ontology on its own.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

app = typer.Typer(help="Labelbox files: the ontology for a schema (data and labels: export/convert --format "
                      "labelbox).", no_args_is_help=True)

@app.command("ontology")
def ontology_cmd(
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the ontology JSON."),
    template: str | None = typer.Option(None, "--template", "-t", help="A template name."),
    schema: str | None = typer.Option(None, "--schema", help="A schema file (YAML or JSON)."),
    candidates: int = typer.Option(2, "--candidates", "-n", min=1,
                                   help="How many model outputs a choice among answers offers."),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
) -> None:
    """Write the Labelbox ontology (radio, checklist, text, NER tools, nested options) for a schema."""
    from labelloop.ops.labelbox import ontology

    r = ontology(output, template=template, schema=schema, candidates=candidates)
    summary = {"output": r.output, "schema": r.schema_name, "tools": r.tools, "classifications": r.classifications}
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(f"Wrote the Labelbox ontology for {r.schema_name!r} ({r.classifications} "
                   f"classification(s), {r.tools} tool(s)) to {output}.")
