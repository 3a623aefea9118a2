"""Tools for machine help: prelabel, review, guidelines, select_next_batch."""


from typing import Annotated

import anyio
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from labelloop.mcp.args import (
    BaseUrl_,
    Dataset_,
    Format_,
    Output_,
    Provider_,
    ProviderOpt_,
    Schema_,
)
from labelloop.mcp.guard import plain, progress
from labelloop.mcp.models import Report, TextResult
from labelloop.mcp.state import State
from labelloop.ops import assist as ops
from labelloop.ops.assist import SelectResult

NAMES = {"dataset": "path", "fmt": "format", "markdown": "output", "samples_output": "output",
         "template": "schema"}  # schema takes a template name too
"""The operations' parameters by this group's argument names."""


def register(mcp: MCPServer, s: State) -> None:
    g = s.guard

    def endpoint(provider: str | None, base_url: str | None) -> tuple[str | None, str | None]:
        """The base URL and key variable the operator configured for ``provider`` (the caller's
        ``base_url`` only when it is one of them)."""
        return s.ends.provider(provider, base_url) if provider else (base_url, None)

    # ------------------------------------------------------------------ machine help
    @mcp.tool()
    async def prelabel(
        path: Dataset_, output: Output_, provider: Provider_, ctx: Context,
        model: str | None = None,
        base_url: BaseUrl_ = None,
        schema: Schema_ = None,
        concurrency: Annotated[int, Field(ge=1)] = 8,
        cache: Annotated[str, Field(description="Answer cache directory under the roots; a rerun makes no call it "
                                    "already paid for.")] = ".labelloop/cache",
        no_cache: bool = False,
        limit: Annotated[int | None, Field(ge=1, description="Pre-label a seeded random sample of N.")] = None,
        temperature: float = 0.0, timeout: float = 60.0,
        max_retries: Annotated[int, Field(ge=0)] = 4, max_attempts: Annotated[int, Field(ge=1)] = 3,
        both_orders: bool = False, seed: int = 0, format: Format_ = "auto",
        per_call: Annotated[int, Field(ge=1, le=100, description="Samples asked about in one call; each answer "
                                       "is checked alone.")] = 1,
        batch: Annotated[bool, Field(description="Through the provider's batch API (half the price, within 24 h): "
                                     "submits, collects what has ended and returns; call again to continue (the "
                                     "file is written once every sample has its answer or failure).")] = False,
        retry_failed: Annotated[bool, Field(description="With batch: ask live for what the batches failed.")]
        = False,
    ) -> Report:
        """Ask an LLM for pre-labels; each valid answer becomes a prediction annotation. Reports progress."""
        with g.errors(NAMES):
            url, key_env = endpoint(provider, base_url)
            async with progress(ctx) as prog:
                res = await ops.prelabel_async(
                    g.path(path, "dataset", exists=True), g.path(output, "output"), provider=provider,
                    model=model, base_url=url, api_key_env=key_env, schema=g.schema(schema),
                    concurrency=concurrency, cache=None if no_cache else g.path(cache, "cache dir"), limit=limit,
                    temperature=temperature, timeout=timeout, max_retries=max_retries, max_attempts=max_attempts,
                    both_orders=both_orders, seed=seed, fmt=format, per_call=per_call, batch=batch, wait=False,
                    retry_failed=retry_failed, progress=prog.in_loop, in_thread=anyio.to_thread.run_sync)
            return g.clean(Report(output=res.output, report={"annotator": res.annotator, **res.summary}))

    @mcp.tool()
    def review(
        path: Dataset_,
        output: Annotated[str | None, Field(description="Also write the review as Markdown here.")] = None,
        schema: Schema_ = None, provider: ProviderOpt_ = None, model: str | None = None,
        base_url: BaseUrl_ = None, format: Format_ = "auto",
        more_paths: Annotated[list[str] | None, Field(description="More files of the same samples, read with the "
                                                      "dataset as agreement reads them: the offline page's exported "
                                                      "results files, DataLabel results files.")] = None,
        include_accepted: Annotated[bool, Field(description="Count a person's annotation that is a model "
                                                "prediction accepted unchanged (e.g. in Label Studio) as their own "
                                                "answer; by default it is left out of the checks, and counted.")]
        = False,
    ) -> Report:
        """Review a dataset's annotations for likely mistakes (and, with an LLM provider, a judge's second look)."""
        with g.errors(NAMES):
            url, key_env = endpoint(provider, base_url)
            files = [g.path(p, "dataset", exists=True) for p in [path, *(more_paths or [])]]
            res = ops.review(files if more_paths else files[0],
                             markdown=g.path(output, "output") if output else None, schema=g.schema(schema),
                             provider=provider, model=model, base_url=url, api_key_env=key_env, fmt=format,
                             include_accepted=include_accepted)
            return g.clean(Report(output=res.markdown, report=plain(res.report)))

    @mcp.tool()
    def guidelines(
        schema: Annotated[str, Field(description="A template name or schema file under the roots.")],
        path: Annotated[str | None, Field(description="A dataset whose samples illustrate the guidelines.")] = None,
        output: Annotated[str | None, Field(description="Also write the Markdown here.")] = None,
        provider: ProviderOpt_ = None, model: str | None = None, base_url: BaseUrl_ = None,
        language: str = "en",
        samples: Annotated[int, Field(ge=0, description="How many of the dataset's samples to show the writer.")]
        = 5,
    ) -> TextResult:
        """Draft annotation guidelines (Markdown) for a schema, optionally from example samples and an LLM."""
        with g.errors(NAMES):
            sch = g.schema(schema)
            url, key_env = endpoint(provider, base_url)
            res = ops.guidelines(g.path(path, "dataset", exists=True) if path else None,
                                 output=g.path(output, "output") if output else None, schema=sch,
                                 samples=samples, language=language, provider=provider, model=model,
                                 base_url=url, api_key_env=key_env)
            return g.clean(TextResult(output=res.output, text=res.text))

    @mcp.tool()
    def select_next_batch(
        path: Dataset_,
        strategy: Annotated[str, Field(description="least_confidence, margin, entropy, disagreement, diversity, mix "
                                       "or random.")] = "mix",
        batch_size: Annotated[int, Field(ge=1)] = 20,
        predictor: Annotated[str, Field(description="tfidf (light), embedding (the ml extra) or llm.")] = "tfidf",
        seed: int = 0,
        output: Annotated[str | None, Field(description="Also write the selected samples as a dataset here.")]
        = None,
        format: Format_ = "auto",
    ) -> SelectResult:
        """Active learning: which samples people should label next, best first, with the reason for each."""
        with g.errors(NAMES):
            sel = ops.select(g.path(path, "dataset", exists=True),
                             samples_output=g.path(output, "output") if output else None, strategy=strategy,
                             batch_size=batch_size, predictor=predictor, seed=seed, fmt=format)
            return g.clean(sel.result)
