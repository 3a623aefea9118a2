"""Tools for machine help: prelabel, review, guidelines, select_next_batch."""


from typing import Annotated

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from pydantic import Field

from labelloop.errors import LabelloopError
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
from labelloop.mcp.models import (
    Report,
    SelectionOut,
    SelectResult,
    TextResult,
)
from labelloop.mcp.state import State


def register(mcp: MCPServer, s: State) -> None:
    g, load, make_provider = s.guard, s.load, s.make_provider

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
    ) -> Report:
        """Ask an LLM for pre-labels; each valid answer becomes a prediction annotation. Reports progress."""
        from labelloop.assist.cache import AnswerCache
        from labelloop.assist.prelabel import prelabel_async
        from labelloop.formats import save

        with g.errors():
            prov = make_provider(provider, model, base_url, temperature=temperature, timeout=timeout,
                            max_retries=max_retries, seed=seed)
            out = g.path(output, "output")
            cache_dir = None if no_cache else g.path(cache, "cache dir")
            ds = await anyio.to_thread.run_sync(load, path, format)
            sch = g.schema(schema) or ds.schema
            if sch is None:
                raise LabelloopError(f"{path} carries no schema; name a template or schema file.")
            answers = AnswerCache(cache_dir)
            try:
                async with progress(ctx) as prog:
                    result = await prelabel_async(ds, sch, prov, concurrency=concurrency, cache=answers, limit=limit,
                                                  seed=seed, both_orders=both_orders, max_attempts=max_attempts,
                                                  on_progress=prog.in_loop)
            finally:
                answers.close()
            await anyio.to_thread.run_sync(save, result.dataset, out)
            return g.clean(Report(output=str(out), report={"annotator": prov.annotator,
                                                           **result.summary.as_dict()}))

    @mcp.tool()
    def review(
        path: Dataset_,
        output: Annotated[str | None, Field(description="Also write the review as Markdown here.")] = None,
        schema: Schema_ = None, provider: ProviderOpt_ = None, model: str | None = None,
        base_url: BaseUrl_ = None, format: Format_ = "auto",
    ) -> Report:
        """Review a dataset's annotations for likely mistakes (and, with an LLM provider, a judge's second look)."""
        from labelloop.data.io import atomic_open

        with g.errors():
            from labelloop.assist.review import review_dataset

            prov = make_provider(provider, model, base_url) if provider else None
            out = g.path(output, "output") if output else None
            rep = review_dataset(load(path, format), schema=g.schema(schema), provider=prov)
            if out is not None:
                with atomic_open(out) as fh:
                    fh.write(rep.to_markdown())
            return g.clean(Report(output=str(out) if out else None,
                                  report=plain(rep.to_dict())))

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
        from labelloop.data.io import atomic_open

        with g.errors():
            from labelloop.assist.guidelines import draft_guidelines

            sch = g.schema(schema)
            prov = make_provider(provider, model, base_url) if provider else None
            out = g.path(output, "output") if output else None
            examples = load(path).samples[:samples] if path else None
            text = draft_guidelines(sch, examples, provider=prov, language=language)
            if out is not None:
                with atomic_open(out) as fh:
                    fh.write(text)
            return g.clean(TextResult(output=str(out) if out else None, text=text))

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
        with g.errors():
            from labelloop.assist.active import select_batch

            ds = load(path, format)
            picks = select_batch(ds, strategy=strategy, batch_size=batch_size, predictor=predictor, seed=seed)
            written = None
            if output:
                from labelloop.formats import save

                by_id = ds.by_id()
                out = g.path(output, "output")
                save(ds.model_copy(update={"samples": [by_id[p.sample_id] for p in picks]}), out)
                written = str(out)
            return g.clean(SelectResult(strategy=strategy, output=written, selections=[
                SelectionOut(sample_id=p.sample_id, rank=p.rank, score=p.score, reason=p.reason) for p in picks]))

