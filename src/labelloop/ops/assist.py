"""Machine help for the people who label: pre-labels (an LLM, or a model fit on the dataset's own labels),
a review of their annotations, draft guidelines, and which samples to label next.

The LLM provider is made here, once, for every operation and front end (the MCP server first narrows the
endpoint and key to what its operator configured)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from labelloop.assist.cache import AnswerCache
from labelloop.assist.llm import Provider, get_provider
from labelloop.data.io import atomic_open
from labelloop.errors import ParameterError
from labelloop.formats import save
from labelloop.ops._common import (
    Note,
    Progress,
    SchemaRef,
    load_dataset,
    load_datasets,
    no_note,
    no_progress,
    schema_for,
)


# ---------------------------------------------------------------------- the provider
def llm_provider(name: str | None, model: str | None = None, base_url: str | None = None,
                 api_key_env: str | None = None, *, temperature: float | None = None, timeout: float | None = None,
                 max_retries: int | None = None, seed: int | None = None, check: bool = True) -> Provider | None:
    """The LLM provider ``name`` (None: no provider, and then neither model, base URL nor key variable may be
    given); options left None take the provider's defaults. ``check``: fail now on a missing key or base URL,
    before a large file is read."""
    if name is None:
        if model or base_url or api_key_env:
            raise ParameterError("model", "{param}, {b} and {c} need {d}.", b="base_url", c="api_key_env",
                                 d="provider")
        return None
    prov = get_provider(name, model=model, base_url=base_url, temperature=temperature, timeout=timeout,
                        max_retries=max_retries, seed=seed, api_key_env=api_key_env)
    if check:
        prov.check_ready()
    return prov


def _answers(cache: Path | None, used: bool) -> AnswerCache:
    return AnswerCache(cache if used else None)


# ---------------------------------------------------------------------- prelabel
class PrelabelReport(BaseModel):
    """What a pre-labelling run did: the file written (None while batches are still running: nothing is
    written until every sample has its answer or its failure), who labelled, and the run's figures (the
    library's summary, as a dict)."""

    output: str | None
    annotator: str
    summary: dict[str, Any]


#: The most samples one call may carry (``per_call``).
MAX_PER_CALL = 100


def _need(dataset: str | Path | None, output: Path | None) -> None:
    if dataset is None:
        raise ParameterError("dataset", "Give {param}: the dataset to pre-label.")
    if output is None:
        raise ParameterError("output", "Give {param}: where the dataset with predictions is written.")


def _check_prelabel(output: Path | None, cache: Path | None, per_call: int, batch: bool, retry_failed: bool,
                    prov: Provider) -> None:
    if output is None:
        raise ParameterError("output", "Give {param}: where the dataset with predictions is written.")
    if not 1 <= per_call <= MAX_PER_CALL:
        raise ParameterError("per_call", f"{{param}} takes 1 to {MAX_PER_CALL} samples, not {per_call}.")
    if retry_failed and not batch:
        raise ParameterError("retry_failed", "{param} retries what batches failed; it needs {other}.", other="batch")
    if batch:
        if per_call > 1:
            raise ParameterError("per_call", "{param} is for live calls; a batch asks for each sample on its own "
                                 "(drop {param} or {other}).", other="batch")
        if cache is None:
            raise ParameterError("batch", "{param} keeps its batches in the answer cache directory ({other}), "
                                 "which is turned off.", other="cache")
        if prov.batch_api is None:
            raise ParameterError("batch", f"Provider {ParameterError.literal(repr(prov.name))} has no batch API; "
                                 "drop {param} (openai, anthropic and OpenAI-compatible servers have one).")


def prelabel(dataset: str | Path | None, output: Path | None, *, provider: str, model: str | None = None,
             base_url: str | None = None, api_key_env: str | None = None, template: str | None = None,
             schema: SchemaRef | None = None, concurrency: int = 8, cache: Path | None = None, limit: int | None = None,
             temperature: float | None = None, timeout: float | None = None, max_retries: int | None = None,
             max_attempts: int = 3, both_orders: bool = False, seed: int = 0, fmt: str = "auto",
             per_call: int = 1, batch: bool = False, wait: bool = True, poll: float = 60.0,
             retry_failed: bool = False, note: Note = no_note, reading: Progress = no_progress,
             progress: Progress = no_progress) -> PrelabelReport:
    """Ask an LLM for pre-labels; each valid answer becomes a prediction annotation. ``cache`` None: no cache.
    ``per_call``: samples per live call. ``batch``: through the provider's batch API (``wait``: poll every
    ``poll`` s until every batch ended; ``retry_failed``: ask live for what the batches failed).
    Runs its own event loop (see :func:`prelabel_async` from inside one)."""
    return asyncio.run(prelabel_async(
        dataset, output, provider=provider, model=model, base_url=base_url, api_key_env=api_key_env,
        template=template, schema=schema, concurrency=concurrency, cache=cache, limit=limit,
        temperature=temperature, timeout=timeout, max_retries=max_retries, max_attempts=max_attempts,
        both_orders=both_orders, seed=seed, fmt=fmt, per_call=per_call, batch=batch, wait=wait, poll=poll,
        retry_failed=retry_failed, note=note, reading=reading, progress=progress))


async def prelabel_async(dataset: str | Path | None, output: Path | None, *, provider: str, model: str | None = None,
                         base_url: str | None = None, api_key_env: str | None = None, template: str | None = None,
                         schema: SchemaRef | None = None, concurrency: int = 8, cache: Path | None = None,
                         limit: int | None = None, temperature: float | None = None, timeout: float | None = None,
                         max_retries: int | None = None, max_attempts: int = 3, both_orders: bool = False,
                         seed: int = 0, fmt: str = "auto", per_call: int = 1, batch: bool = False,
                         wait: bool = True, poll: float = 60.0, retry_failed: bool = False, note: Note = no_note,
                         reading: Progress = no_progress, progress: Progress = no_progress,
                         in_thread: Callable[..., Any] | None = None) -> PrelabelReport:
    """:func:`prelabel` inside a running event loop; ``in_thread(fn, *args)`` runs the file work off the loop
    (the MCP server's worker threads; default: on it)."""
    from labelloop.assist.batch import BatchStore
    from labelloop.assist.prelabel import prelabel_async as run_prelabel

    async def off(fn: Callable[..., Any], *args: Any) -> Any:
        return await in_thread(fn, *args) if in_thread is not None else fn(*args)

    prov = llm_provider(provider, model, base_url, api_key_env, temperature=temperature, timeout=timeout,
                        max_retries=max_retries, seed=seed)
    assert prov is not None
    _need(dataset, output)
    _check_prelabel(output, cache, per_call, batch, retry_failed, prov)
    assert output is not None and dataset is not None
    if poll <= 0:
        raise ParameterError("poll", "{param} takes a number of seconds above 0.")
    ds, _ = await off(lambda: load_dataset(dataset, fmt, note=note, progress=reading))
    sch = schema_for(ds, template, schema, required=True)
    answers = AnswerCache(cache)
    try:
        result = await run_prelabel(ds, sch, prov, concurrency=concurrency, cache=answers, limit=limit, seed=seed,
                                    both_orders=both_orders, max_attempts=max_attempts, on_progress=progress,
                                    per_call=per_call, batch=BatchStore(cache) if batch and cache else None,
                                    wait=wait, poll=poll, retry_failed=retry_failed)
    finally:
        answers.close()
    if result.summary.waiting:  # a half-labelled file would pass for a finished one: nothing is written yet
        return PrelabelReport(output=None, annotator=prov.annotator, summary=result.summary.as_dict())
    await off(save, result.dataset, output)
    return PrelabelReport(output=str(output), annotator=prov.annotator, summary=result.summary.as_dict())


def prelabel_batch_status(cache: Path | None, *, provider: str | None = None, model: str | None = None,
                          base_url: str | None = None, api_key_env: str | None = None,
                          timeout: float | None = None) -> list[dict[str, Any]]:
    """The batches kept in ``cache``, oldest first; with ``provider``, those of its endpoint asked afresh
    (results fetched when they ended)."""
    from labelloop.assist.batch import BatchStore, batch_status

    if cache is None:
        raise ParameterError("cache", "The batches are kept in the cache directory; give {param}.")
    prov = llm_provider(provider, model, base_url, api_key_env, timeout=timeout) if provider else None
    return asyncio.run(batch_status(BatchStore(cache), prov))


FIT_ON = ("human", "reference", "aggregate")


def fit_on_kinds(fit_on: str) -> tuple[str, ...]:
    """``"human,reference"`` as the annotation kinds a local predictor learns from."""
    kinds = tuple(k.strip() for k in fit_on.split(",") if k.strip())
    if not kinds or any(k not in FIT_ON for k in kinds):
        raise ParameterError("fit_on", "{param} takes human, reference or aggregate (comma-separated), not "
                             f"{ParameterError.literal(repr(fit_on))}.")
    return kinds


def prelabel_local(dataset: str | Path | None, output: Path | None, *, template: str | None = None,
                   schema: SchemaRef | None = None, predictor: str = "tfidf", fit_on: str = "human",
                   limit: int | None = None, seed: int = 0,
                   fmt: str = "auto", note: Note = no_note, reading: Progress = no_progress) -> dict[str, Any]:
    """``prelabel --provider local``: fit on the dataset's own labels, predict the rest, no network. The
    library's summary and the file written (``output``)."""
    from labelloop.assist.predictors import prelabel_local as run_local

    _need(dataset, output)
    assert dataset is not None and output is not None
    kinds = fit_on_kinds(fit_on)
    ds, _ = load_dataset(dataset, fmt, note=note, progress=reading)
    sch = schema_for(ds, template, schema, required=True)
    note(f"Fitting the {predictor} predictor on {'/'.join(kinds)} labels…")
    result, summary = run_local(ds, sch, predictor=predictor, fit_on=kinds, limit=limit, seed=seed)
    save(result, output)
    summary["output"] = str(output)
    return summary


# ---------------------------------------------------------------------- review
class ReviewResult(BaseModel):
    """The review written (JSON ``output``, ``markdown``), its one-screen summary and the whole report."""

    output: str | None
    markdown: str | None
    summary: dict[str, Any]
    report: dict[str, Any]


def review(dataset: str | Path | Sequence[str | Path], *, output: Path | None = None, markdown: Path | None = None,
           template: str | None = None, schema: SchemaRef | None = None, provider: str | None = None,
           model: str | None = None, base_url: str | None = None, api_key_env: str | None = None,
           temperature: float | None = None, timeout: float | None = None, max_retries: int | None = None,
           concurrency: int = 8, max_explanations: int | None = None, cache: Path | None = None,
           min_seconds: float = 3.0, fast_ratio: float = 0.25, straight_run: int = 10,
           position_alpha: float = 0.01, position_min_answers: int = 10, prediction_min_score: float = 0.7,
           rating_gap: float = 2.0, min_annotators: int = 3, seed: int = 0, fmt: str = "auto",
           note: Note = no_note, reading: Progress = no_progress, progress: Progress = no_progress,
           include_accepted: bool = False, gold_min: float = 0.7) -> ReviewResult:
    """Flag suspicious human annotations; with a provider an LLM explains each disagreement. Writes the JSON
    report to ``output`` and the Markdown one to ``markdown`` (each when given). ``dataset`` may be several
    files of the same samples, as for agreement (e.g. the dataset, then the offline page's results files).
    ``include_accepted``: count people's annotations that are model predictions accepted unchanged as their own
    answers (by default they are left out of the checks, and counted)."""
    from labelloop.assist.review import review_dataset

    prov = llm_provider(provider, model, base_url, api_key_env, temperature=temperature, timeout=timeout,
                        max_retries=max_retries, seed=seed)
    paths = [dataset] if isinstance(dataset, (str, Path)) else list(dataset)
    if len(paths) == 1:
        ds, _ = load_dataset(paths[0], fmt, note=note, progress=reading)
    else:
        ds = load_datasets(paths, fmt)
    sch = schema_for(ds, template, schema, required=False)
    answers = _answers(cache, prov is not None)
    try:
        report = review_dataset(ds, schema=sch, provider=prov, cache=answers, gold_min=gold_min,
                                on_progress=progress if prov is not None else None,
                                min_seconds=min_seconds, fast_ratio=fast_ratio, straight_run=straight_run,
                                position_alpha=position_alpha, position_min_answers=position_min_answers,
                                prediction_min_score=prediction_min_score, rating_gap=rating_gap,
                                min_annotators=min_annotators, concurrency=concurrency, seed=seed,
                                max_explanations=max_explanations, include_accepted=include_accepted)
    finally:
        answers.close()
    whole = report.to_dict()
    if output is not None:
        with atomic_open(output) as fh:
            json.dump(whole, fh, ensure_ascii=False, indent=2, default=str)
    if markdown is not None:
        with atomic_open(markdown) as fh:
            fh.write(report.to_markdown())
    return ReviewResult(output=str(output) if output else None, markdown=str(markdown) if markdown else None,
                        summary=report.summary(), report=whole)


# ---------------------------------------------------------------------- guidelines
class GuidelinesResult(BaseModel):
    """The guidelines' Markdown, the file written, and what they cover."""

    output: str | None
    schema_name: str
    language: str
    text: str
    examples: int
    by: str

    def as_dict(self) -> dict[str, Any]:
        """The CLI's --json summary."""
        return {"output": self.output, "schema": self.schema_name, "language": self.language,
                "bytes": len(self.text.encode("utf-8")), "examples": self.examples, "by": self.by}


def guidelines(dataset: str | Path | None = None, *, output: Path | None = None, template: str | None = None,
               schema: SchemaRef | None = None, language: str = "en", examples: int = 3, samples: int | None = None,
               provider: str | None = None, model: str | None = None, base_url: str | None = None,
               api_key_env: str | None = None, temperature: float | None = None, timeout: float | None = None,
               max_retries: int | None = None, cache: Path | None = None, seed: int = 0, fmt: str = "auto",
               note: Note = no_note, reading: Progress = no_progress) -> GuidelinesResult:
    """Draft annotation guidelines from the schema and worked examples from ``dataset`` (its first ``samples``
    when given); with a provider an LLM improves the draft. Written to ``output`` when given."""
    from labelloop.assist.guidelines import draft_guidelines

    prov = llm_provider(provider, model, base_url, api_key_env, temperature=temperature, timeout=timeout,
                        max_retries=max_retries, seed=seed)
    ds = load_dataset(dataset, fmt, note=note, progress=reading)[0] if dataset else None
    sch = schema_for(ds, template, schema, required=True)
    assert sch is not None
    shown = None if ds is None else ds.samples if samples is None else ds.samples[:samples]
    answers = _answers(cache, prov is not None)
    try:
        text = draft_guidelines(sch, shown, provider=prov, language=language, examples=examples, seed=seed,
                                cache=answers)
    finally:
        answers.close()
    if output is not None:
        with atomic_open(output) as fh:
            fh.write(text)
    return GuidelinesResult(output=str(output) if output else None, schema_name=sch.name, language=language,
                            text=text, examples=text.count("\n### Example "),
                            by=prov.annotator if prov else "draft")


# ---------------------------------------------------------------------- select
class SelectionOut(BaseModel):
    sample_id: str
    rank: int
    score: float
    reason: str


class SelectResult(BaseModel):
    strategy: str
    selections: list[SelectionOut]
    output: str | None = None


class Selected(BaseModel):
    """What ``select`` picked: the selections, the selection file and samples dataset written, and how many
    samples were labelled already."""

    result: SelectResult
    selection_file: str | None
    labelled: int
    samples: int


def write_selection(picks: list[Any], output: Path, strategy: str, seed: int) -> None:
    """The selection file, by its suffix: ``.txt`` one id a line, ``.json`` one document, else JSONL."""
    suffix = output.suffix.lower()
    with atomic_open(output) as fh:
        if suffix == ".txt":
            fh.writelines(f"{p.sample_id}\n" for p in picks)
        elif suffix == ".json":
            json.dump({"strategy": strategy, "seed": seed, "selections": [p.as_dict() for p in picks]}, fh,
                      ensure_ascii=False, indent=2)
        else:
            fh.writelines(json.dumps(p.as_dict(), ensure_ascii=False) + "\n" for p in picks)


def select(dataset: str | Path, *, output: Path | None = None, samples_output: Path | None = None,
           strategy: str = "mix", batch_size: int = 20, predictor: str = "tfidf", fit_on: str = "human",
           template: str | None = None, seed: int = 0, fmt: str = "auto", note: Note = no_note,
           reading: Progress = no_progress) -> Selected:
    """The samples people should label next, best first: written as a selection file to ``output`` and/or as
    a dataset of the selected samples to ``samples_output``. ``fit_on``: the kinds that count as labelled."""
    from labelloop.assist.active import select_batch

    ds, _ = load_dataset(dataset, fmt, note=note, progress=reading)
    ds.schema = schema_for(ds, template, None, required=True)
    kinds = tuple(k.strip() for k in fit_on.split(",") if k.strip())
    picks = select_batch(ds, strategy=strategy, batch_size=batch_size, predictor=predictor, seed=seed,
                         label_kinds=kinds)
    if output is not None:
        write_selection(picks, output, strategy, seed)
    if samples_output is not None:
        by_id = ds.by_id()
        save(ds.model_copy(update={"samples": [by_id[p.sample_id] for p in picks]}), samples_output)
    labelled = sum(1 for s in ds.samples if any(a.kind in kinds and a.status == "submitted" for a in s.annotations))
    result = SelectResult(strategy=strategy, output=str(samples_output) if samples_output else None, selections=[
        SelectionOut(sample_id=p.sample_id, rank=p.rank, score=p.score, reason=p.reason) for p in picks])
    return Selected(result=result, selection_file=str(output) if output else None, labelled=labelled,
                    samples=len(ds.samples))
