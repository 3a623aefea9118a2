"""Tools for reading and writing data: info, validate, convert, export."""


from collections.abc import Callable
from typing import Annotated, Literal

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from labelloop.mcp.args import (
    Dataset_,
    Format_,
    Output_,
    Schema_,
)
from labelloop.mcp.guard import progress
from labelloop.mcp.state import State
from labelloop.ops import data as ops
from labelloop.ops.data import ConvertResult, DatasetInfo, ExportResult, ValidateResult

NAMES = {"fmt": "format"}
"""The operations' parameters by this group's argument names (export's own in ``EXPORT_NAMES``)."""
EXPORT_NAMES = {"to": "format", "format": "input_format", "in_fmt": "input_format"}


def register(mcp: MCPServer, s: State) -> None:
    g = s.guard

    # ------------------------------------------------------------------ reading and writing data
    @mcp.tool()
    def info(path: Dataset_, format: Format_ = "auto") -> DatasetInfo:
        """Counts of a dataset: samples, schema, candidates per sample, subsets, annotations by kind and annotator."""
        with g.errors(NAMES):
            return g.clean(ops.info(g.path(path, "dataset", exists=True), format))

    @mcp.tool()
    def validate(path: Dataset_, schema: Schema_ = None, format: Format_ = "auto") -> ValidateResult:
        """Check every human and merged annotation against the schema; lists each problem."""
        with g.errors(NAMES):
            return g.clean(ops.validate(g.path(path, "dataset", exists=True), g.schema(schema), format))

    @mcp.tool()
    async def convert(
        src: Dataset_, output: Output_, ctx: Context, format: Format_ = "auto",
        limit: Annotated[int | None, Field(ge=1, description="Keep a seeded random sample of N samples.")] = None,
        seed: int = 0,
        skip_bad: Annotated[bool, Field(description="Go on past bad rows; write them to SRC.rejects.jsonl.")] = False,
        prompt_column: str | None = None, chosen_column: str | None = None, rejected_column: str | None = None,
        id_column: str | None = None,
    ) -> ConvertResult:
        """Convert any supported file (RewardBench, pairs, chat, HH-RLHF, ...) into labelloop's canonical dataset.
        Streams large inputs and reports progress."""
        with g.errors(NAMES):
            src_path = g.path(src, "input", exists=True)
            out_path = g.path(output, "output")
            columns = {"prompt": prompt_column, "chosen": chosen_column, "rejected": rejected_column, "id": id_column}

            def work(report: Callable[[float, float | None], None]) -> ConvertResult:
                return ops.convert(src_path, out_path, format, limit=limit, seed=seed, skip_bad=skip_bad,
                                   columns=columns, progress=report, check_path=g.check)

            async with progress(ctx) as prog:
                result = await anyio.to_thread.run_sync(work, prog.in_thread)
            return g.clean(result)

    @mcp.tool()
    def export(
        path: Dataset_, output: Output_,
        format: Annotated[str, Field(description="Output format: dpo, rm_pairwise, rm_gallery, jsonl, json, csv, "
                                     "parquet, ...")] = "dpo",
        pairs: Literal["best-vs-rest", "adjacent", "all"] = "best-vs-rest",
        label_source: Literal["auto", "aggregate", "human", "reference"] = "auto",
        question: str | None = None,
        prompt_style: Literal["auto", "text", "chat"] = "auto",
        split: Annotated[dict[str, float] | None, Field(description="Split by prompt, e.g. {'train': 0.9, 'test': "
                                                       "0.1}; files get _train / _test suffixes.")] = None,
        seed: int = 0, input_format: Format_ = "auto",
        include_accepted: Annotated[bool, Field(description="Take a person's annotation that is a model prediction "
                                                "accepted unchanged as a human label; by default it is none, and "
                                                "counted.")] = False,
    ) -> ExportResult:
        """Write training data (DPO pairs, reward-model pairs) or another format. Labels come from an aggregate,
        else a unanimous human label, else the reference (label_source picks one)."""
        with g.errors(EXPORT_NAMES):
            return g.clean(ops.export(g.path(path, "dataset", exists=True), g.path(output, "output"), format,
                                      pairs=pairs, label_source=label_source, question=question,
                                      prompt_style=prompt_style, split=split, seed=seed, in_fmt=input_format,
                                      include_accepted=include_accepted))
