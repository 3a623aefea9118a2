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
from labelloop.mcp.guard import counting, progress
from labelloop.mcp.models import (
    ConvertResult,
    DatasetInfo,
    ExportFile,
    ExportResult,
    ValidateResult,
)
from labelloop.mcp.state import State


def register(mcp: MCPServer, s: State) -> None:
    g, load = s.guard, s.load

    # ------------------------------------------------------------------ reading and writing data
    @mcp.tool()
    def info(path: Dataset_, format: Format_ = "auto") -> DatasetInfo:
        """Counts of a dataset: samples, schema, candidates per sample, subsets, annotations by kind and annotator."""
        from labelloop.data.summary import dataset_summary
        from labelloop.formats import SampleReader

        with g.errors():
            reader = SampleReader(g.path(path, "dataset", exists=True), format)
            s = dataset_summary(reader.load())
            return g.clean(DatasetInfo(
                name=s["name"], samples=s["samples"], schema_name=s["schema"], format=reader.format_name,
                **{k: {str(a): b for a, b in s[k].items()} for k in (
                    "candidates_per_sample", "prompt_turns", "subsets", "annotations_by_kind",
                    "annotations_by_annotator")}))

    @mcp.tool()
    def validate(path: Dataset_, schema: Schema_ = None, format: Format_ = "auto") -> ValidateResult:
        """Check every human and merged annotation against the schema; lists each problem."""
        with g.errors():
            ds = load(path, format)
            sch = g.schema(schema) or ds.schema
            problems = [p for s in ds.samples for p in sch.validate_sample(s)] if sch is not None else []
            return g.clean(ValidateResult(samples=len(ds.samples), schema_name=sch.name if sch else None,
                                          valid=not problems, problems=len(problems), details=problems[:1000]))

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
        from labelloop.data.io import write_samples
        from labelloop.formats import SampleReader

        with g.errors():
            src_path = g.path(src, "input", exists=True)
            out_path = g.path(output, "output")
            options = {f"{k}_column": v for k, v in (("prompt", prompt_column), ("chosen", chosen_column),
                                                      ("rejected", rejected_column), ("id", id_column)) if v}

            def work(report: Callable[[float, float | None], None]) -> ConvertResult:
                reader = SampleReader(src_path, format, limit=limit, seed=seed, skip_bad=skip_bad, options=options)
                if reader.rejects_path is not None:
                    g.path(str(reader.rejects_path), "rejects file")
                n = write_samples(counting(iter(reader), report), out_path, name=reader.name, schema=reader.schema,
                                  metadata=reader.metadata)
                return ConvertResult(input=str(src_path), format=reader.format_name, output=str(out_path), samples=n,
                                     rejected=len(reader.rejected),
                                     rejects_file=str(reader.rejects_path) if reader.rejected else None)

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
    ) -> ExportResult:
        """Write training data (DPO pairs, reward-model pairs) or another format. Labels come from an aggregate,
        else a unanimous human label, else the reference (label_source picks one)."""
        from labelloop.formats.export import export_dataset

        with g.errors():
            ds = load(path, input_format)
            files = export_dataset(ds, g.path(output, "output"), format, pairs=pairs, label_source=label_source,
                                   question=question, prompt_style=prompt_style, ratios=split, seed=seed)
            return g.clean(ExportResult(format=format, files={k: ExportFile(**v) for k, v in files.items()}))

