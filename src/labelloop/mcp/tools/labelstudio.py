"""Tools for Label Studio: labelstudio_status, labelstudio_push, labelstudio_pull."""


from typing import Annotated

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from labelloop.mcp.args import (
    Dataset_,
    Format_,
    LsDir_,
    LsUrl_,
    Schema_,
)
from labelloop.mcp.guard import plain, progress
from labelloop.mcp.models import Report
from labelloop.mcp.state import State
from labelloop.ops import labelstudio as ops
from labelloop.ops.labelstudio import PushOutput

PUSH_NAMES = {"dataset": "path", "fmt": "format"}
"""labelstudio_push's arguments for the push operation's parameters (pull's have the same names)."""


def register(mcp: MCPServer, s: State) -> None:
    g, label_studio = s.guard, s.label_studio

    @mcp.tool()
    def labelstudio_status(data_dir: LsDir_ = None) -> Report:
        """URL, version, PIDs and whether the API answers for the Label Studio started from data_dir."""
        with g.errors():
            st = ops.status(g.ls_dir(data_dir))
            return g.clean(Report(report=plain(st)))

    @mcp.tool()
    async def labelstudio_push(
        path: Dataset_, ctx: Context, template: Schema_ = None, project_title: str | None = None,
        project_description: str = "",
        project: Annotated[int | None, Field(description="Add to this existing project instead.")] = None,
        url: LsUrl_ = None, data_dir: LsDir_ = None, batch_size: Annotated[int, Field(ge=1)] = 500, seed: int = 0,
        shuffle: bool = True, overlap: Annotated[int, Field(ge=1)] = 1,
        reference_prelabels: bool = False, format: Format_ = "auto",
    ) -> PushOutput:
        """Create a Label Studio project and import the samples as tasks, prediction annotations as pre-labels.
        Reports progress."""
        with g.errors(PUSH_NAMES):
            ddir = g.ls_dir(data_dir)
            tpl = g.template(template)
            ls_url, token = label_studio(url, ddir)
            source = g.path(path, "dataset", exists=True)

            def work(report: ops.Progress) -> PushOutput:
                return ops.push(source, template=tpl, project_title=project_title,
                                project_description=project_description, project=project, url=ls_url, token=token,
                                data_dir=ddir, batch_size=batch_size, seed=seed, shuffle=shuffle, overlap=overlap,
                                reference_prelabels=reference_prelabels, fmt=format, progress=report)

            async with progress(ctx) as prog:
                result = await anyio.to_thread.run_sync(work, prog.in_thread)
            return g.clean(result)

    @mcp.tool()
    async def labelstudio_pull(
        project: int, ctx: Context,
        output: Annotated[str | None, Field(description="Output dataset (default labelstudio-project-ID.jsonl); "
                                            "pulled into again, it gains only what is new or changed.")] = None,
        dataset: Annotated[str | None, Field(description="Dataset to add the annotations to (default: the output if "
                                             "it exists, else the copy kept at push time).")] = None,
        template: Schema_ = None, url: LsUrl_ = None, data_dir: LsDir_ = None,
        pages: Annotated[bool, Field(description="Read tasks a page at a time instead of one export.")] = False,
        strict: Annotated[bool, Field(description="An answer that fits no question or option is an error and "
                                      "nothing is written (default: counted in the report's unmapped).")] = False,
    ) -> Report:
        """Every annotation of every annotator of a Label Studio project, as human annotations in candidate ids.
        Reports progress."""
        with g.errors():
            ddir = g.ls_dir(data_dir)
            ls_url, token = label_studio(url, ddir)
            out = g.path(output, "output") if output else None
            tpl = g.template(template)
            base = g.path(dataset, "dataset", exists=True) if dataset else None

            def work(report: ops.Progress) -> Report:
                res = ops.pull(project, output=out, dataset=base, template=tpl, url=ls_url, token=token,
                               data_dir=ddir, pages=pages, strict=strict, progress=report, check_path=g.check)
                return Report(output=res.output, report=res.stats)

            async with progress(ctx) as prog:
                result = await anyio.to_thread.run_sync(work, prog.in_thread)
            return g.clean(result)
