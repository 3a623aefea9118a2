"""Tools for people, offline: create_annotator, import_results."""


from typing import Annotated

from mcp.server.mcpserver import MCPServer
from pydantic import Field

from labelloop.errors import InputFileError, LabelloopError
from labelloop.mcp.args import (
    Dataset_,
    Format_,
    Output_,
    Schema_,
)
from labelloop.mcp.models import (
    AnnotatorResult,
    Report,
)
from labelloop.mcp.state import State


def register(mcp: MCPServer, s: State) -> None:
    g, load = s.guard, s.load

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
        from labelloop.annotate.html import build_annotator

        with g.errors():
            ds = load(path, format)
            sch = g.schema(schema) or ds.schema
            if sch is None:
                raise LabelloopError(f"{path} carries no schema; name a template or schema file.")
            text = None
            if guidelines:
                gpath = g.path(guidelines, "guidelines file", exists=True)
                try:
                    text = gpath.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise InputFileError(f"Cannot read guidelines file {gpath}: {exc}.") from None
            info_ = build_annotator(ds, sch, g.path(output, "output"), guidelines=text, annotators=annotators,
                                    seed=seed, show_predictions=show_predictions, title=title)
            return g.clean(AnnotatorResult(output=str(info_.path), tasks=info_.n_tasks, bytes=info_.n_bytes,
                                           file_id=info_.file_id, schema_name=sch.name,
                                           schema_hash=info_.schema_hash, seed=seed))

    @mcp.tool()
    def import_results(
        path: Dataset_,
        results: Annotated[list[str], Field(description="Results exported from the annotator page (.json, .jsonl "
                                            "or .csv), under the roots.")],
        output: Output_, schema: Schema_ = None, format: Format_ = "auto",
    ) -> Report:
        """Add the annotator page's exported results to the dataset as human annotations, checking every value."""
        from labelloop.annotate.results import import_results as _import
        from labelloop.formats import save

        with g.errors():
            ds = load(path, format)
            merged, report = _import(ds, [g.path(r, "results file", exists=True) for r in results],
                                     schema=g.schema(schema))
            out = g.path(output, "output")
            save(merged, out)
            return g.clean(Report(output=str(out), report=report.as_dict()))

