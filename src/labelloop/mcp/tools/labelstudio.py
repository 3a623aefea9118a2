"""Tools for Label Studio: labelstudio_status, labelstudio_push, labelstudio_pull."""


from collections.abc import Callable
from typing import Annotated

import anyio
import anyio.from_thread
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
from labelloop.mcp.models import (
    PushOutput,
    Report,
)
from labelloop.mcp.state import State


def register(mcp: MCPServer, s: State) -> None:
    g, load, label_studio = s.guard, s.load, s.label_studio

    @mcp.tool()
    def labelstudio_status(data_dir: LsDir_ = None) -> Report:
        """URL, version, PIDs and whether the API answers for the Label Studio started from data_dir."""
        from labelloop.annotate.labelstudio import LabelStudioServer

        with g.errors():
            st = LabelStudioServer(g.ls_dir(data_dir)).status()
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
        from labelloop.annotate.labelstudio import create_annotator as ls_annotator
        from labelloop.annotate.labelstudio import reference_as_prelabels

        with g.errors():
            ddir = g.ls_dir(data_dir)
            tpl = g.template(template)
            ls_url, token = label_studio(url, ddir)

            def work(report: Callable[[float, float | None], None]) -> PushOutput:
                ds = load(path, format)
                if reference_prelabels:
                    ds = reference_as_prelabels(ds)
                annotator = ls_annotator(server_url=ls_url, api_token=token, project_title=project_title,
                                         template_name=tpl, project_description=project_description, data_dir=ddir,
                                         batch_size=batch_size, seed=seed, shuffle=shuffle, overlap=overlap,
                                         progress=report)
                res = annotator.run(ds, create_new_project=project is None, project_id=project)
                return PushOutput(**res.as_dict())

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
    ) -> Report:
        """Every annotation of every annotator of a Label Studio project, as human annotations in candidate ids.
        Reports progress."""
        from labelloop.annotate.labelstudio import pull_project
        from labelloop.formats import save

        with g.errors():
            ddir = g.ls_dir(data_dir)
            ls_url, token = label_studio(url, ddir)
            out = g.path(output or f"labelstudio-project-{project}.jsonl", "output")
            tpl = g.template(template)
            base_path = g.path(dataset, "dataset", exists=True) if dataset else (out if out.exists() else None)

            def work(report: Callable[[float, float | None], None]) -> Report:
                from labelloop.formats import load as _load

                base = _load(base_path) if base_path is not None else None
                ds, stats = pull_project(project, ls_url, token, dataset=base, data_dir=ddir, template=tpl,
                                         progress=report, method="pages" if pages else "export")
                save(ds, out)
                return Report(output=str(out), report=stats.as_dict())

            async with progress(ctx) as prog:
                result = await anyio.to_thread.run_sync(work, prog.in_thread)
            return g.clean(result)

