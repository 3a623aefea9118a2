"""Tools for people, offline: create_annotator, import_results."""


from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from labelloop.mcp.args import (
    Dataset_,
    Format_,
    Output_,
    Schema_,
)
from labelloop.mcp.models import Report
from labelloop.mcp.state import State
from labelloop.ops import annotate as ops
from labelloop.ops.annotate import AnnotatorResult

NAMES = {"dataset": "path", "fmt": "format", "template": "schema"}  # schema takes a template name too
"""The operations' parameters by this group's argument names."""


def register(mcp: MCPServer, s: State) -> None:
    g = s.guard

    # ------------------------------------------------------------------ people: the offline annotator
    @mcp.tool()
    def create_annotator(
        path: Dataset_, output: Output_ = "annotator.html", schema: Schema_ = None,
        guidelines: Annotated[str | None, Field(description="A Markdown file under the roots, shown in the page.")]
        = None,
        annotators: Annotated[list[str] | None, Field(description="Names the annotator picks from.")] = None,
        seed: int = 0, show_predictions: bool = True, title: str | None = None, format: Format_ = "auto",
    ) -> AnnotatorResult:
        """Write the offline annotator: one self-contained HTML file people label in, with no server or network.
        Its exported results come back with import_results."""
        with g.errors(NAMES):
            dataset = g.path(path, "dataset", exists=True)
            sch = g.schema(schema)
            text = g.path(guidelines, "guidelines file", exists=True) if guidelines else None
            return g.clean(ops.create(dataset, g.path(output, "output"), schema=sch, guidelines=text,
                                      annotators=annotators, seed=seed, show_predictions=show_predictions,
                                      title=title, fmt=format))

    @mcp.tool()
    def import_results(
        path: Dataset_,
        results: Annotated[list[str], Field(description="Results exported from the annotator page (.json, .jsonl "
                                            "or .csv), under the roots.")],
        output: Output_, schema: Schema_ = None, format: Format_ = "auto",
    ) -> Report:
        """Add the annotator page's exported results to the dataset as human annotations, checking every value."""
        with g.errors(NAMES):
            dataset = g.path(path, "dataset", exists=True)
            files = [g.path(r, "results file", exists=True) for r in results]
            res = ops.import_results(dataset, files, g.path(output, "output"), schema=g.schema(schema), fmt=format)
            return g.clean(Report(output=res.output, report=res.model_dump(exclude={"output"})))
