"""LLM pre-labels: concurrent, cached, validated, and honest about what it did not get.

Each sample (or each of its two presentations with ``both_orders``) is one job: a call, and on an
invalid answer follow-up calls quoting the problem, up to ``max_attempts``. A job that never gets a
valid answer is recorded as failed with the reason; no label is ever made up, and one bad reply fails
its own sample, never the run. Valid answers go to the cache the moment they arrive, so a rerun only pays
for what is missing; failed jobs are not cached (and failed records left by older versions are ignored), so
a rerun asks again.

With ``batch`` (a :class:`labelloop.assist.batch.BatchStore`) the jobs not in the cache go to the provider's
batch API instead (:mod:`labelloop.assist.batch`): at half the price, resumable across runs; what the batches
failed is recorded as failed, or asked for live with ``retry_failed``. With ``per_call`` > 1 several samples
share one live call (:mod:`labelloop.assist.multiprompt`); an answer that does not fit is asked for alone.

The cache key covers the provider's name, model and base URL, the temperature, the schema and the prompt.
Keys written before the base URL was part of them are still read, for valid answers only: such an answer
may have come from any server with the same provider name and model.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labelloop.assist.batch import BatchStore, run_batches
from labelloop.assist.cache import AnswerCache, cache_key
from labelloop.assist.llm.base import WORKER_CLIENT, Provider
from labelloop.assist.llm.batches import BATCH_PRICE
from labelloop.assist.multiprompt import MULTI_SCHEMA, MULTI_SYSTEM, build_multi_message, split_answers
from labelloop.assist.prompt import (
    SYSTEM,
    View,
    answer_schema,
    build_user_message,
    clip,
    parse_answer,
    unit_number,
)
from labelloop.data.model import Annotation, DataSample, Dataset
from labelloop.data.positions import candidate_order
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import ProviderError

PROMPT_VERSION = "prelabel-v1"


@dataclass
class Job:
    index: int
    sample: DataSample
    view: View
    variant: int  # 0: the seeded order; 1: the same order reversed
    user: str = ""  # the first user message when already built (it is also part of the cache key)


@dataclass
class Summary:
    samples: int = 0
    predicted: int = 0
    failed: int = 0
    jobs: int = 0
    cached: int = 0
    calls: int = 0
    http_requests: int = 0
    http_retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    order_disagreements: int = 0
    failures: list[dict[str, str]] = field(default_factory=list)
    retried_alone: int = 0  # with per_call > 1: jobs whose answer in a shared call did not fit
    waiting: int = 0  # samples whose answers are still in a batch that has not ended
    batch: dict[str, Any] | None = None  # with --batch: the batches' figures (BatchRun.summary)
    per_call: int = 1

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PrelabelResult:
    dataset: Dataset
    summary: Summary


def _sensitive(schema: AnnotationSchema) -> list[str]:
    """Questions whose answer names candidates: the ones position bias can sway."""
    return [q.name for q in schema.questions
            if q.options_from_candidates and q.type in ("single_choice", "ranking", "multi_choice")]


async def run_job(job: Job, schema: AnnotationSchema, provider: Provider, max_attempts: int) -> dict[str, Any]:
    messages = [{"role": "user", "content": job.user or build_user_message(schema, job.sample, job.view)}]
    reply_schema = answer_schema(schema)
    out: dict[str, Any] = {"calls": 0, "input_tokens": 0, "output_tokens": 0}
    problems: list[str] = []
    for _ in range(max_attempts):
        res = await provider.complete(SYSTEM, messages, reply_schema)
        out["calls"] += 1
        out["input_tokens"] += res.input_tokens
        out["output_tokens"] += res.output_tokens
        parsed = parse_answer(res.text, schema, job.sample, job.view)
        if not parsed.problems:  # res is redacted already; values decoded from JSON escapes are redacted again
            out.update(status="ok", values=provider.redact(parsed.values), confidence=parsed.confidence,
                       rationale=provider.redact(parsed.rationale), model_version=res.model_version)
            return out
        problems = parsed.problems
        messages += [
            {"role": "assistant", "content": res.text or "(empty)"},
            {"role": "user", "content": "Your answer cannot be used: " + "; ".join(problems)
             + ". Reply again with the corrected JSON object only."},
        ]
    out.update(status="failed",
               reason=provider.redact(f"no valid answer after {max_attempts} attempts: " + "; ".join(problems)))
    return out


async def run_group(jobs: list[Job], schema: AnnotationSchema, provider: Provider) -> tuple[dict[str, Any],
                                                                                         list[dict[str, Any] | None]]:
    """One call for several jobs: the call's figures, and per job its valid answer or None (to ask alone)."""
    res = await provider.complete(MULTI_SYSTEM, [{"role": "user", "content": build_multi_message(schema, jobs)}],
                                  MULTI_SCHEMA)
    figures = {"calls": 1, "input_tokens": res.input_tokens, "output_tokens": res.output_tokens}
    out: list[dict[str, Any] | None] = []
    for parsed in split_answers(res.text, schema, jobs):
        out.append(None if parsed.problems else {
            "status": "ok", "values": provider.redact(parsed.values), "confidence": parsed.confidence,
            "rationale": provider.redact(parsed.rationale), "model_version": res.model_version,
            "per_call": len(jobs)})
    return figures, out


def sample_subset(samples: list[DataSample], limit: int | None, seed: int = 0) -> list[DataSample]:
    """A seeded random ``limit`` of the samples, kept in file order: the first N would be biased by file order."""
    if limit is None or limit >= len(samples):
        return list(samples)
    keep = sorted(random.Random(f"limit:{seed}").sample(range(len(samples)), max(0, limit)))
    return [samples[i] for i in keep]


def job_key(provider: Provider, schema: AnnotationSchema, job: Job, schema_hash: str | None = None, *,
            legacy: bool = False) -> str:
    """The cache key of ``job``; ``legacy`` gives the key older versions wrote, without the base URL."""
    parts: dict[str, Any] = dict(v=PROMPT_VERSION, provider=provider.name, model=provider.model,
                                 temperature=provider.temperature, schema=schema_hash or schema.schema_hash(),
                                 system=SYSTEM, user=job.user or build_user_message(schema, job.sample, job.view))
    if not legacy:
        parts["base_url"] = provider.base_url
    return cache_key(**parts)


def cached_answer(rec: Any) -> dict[str, Any] | None:
    """A cached record fit to reuse: a valid answer of the right shape (the file may be old or edited), else None."""
    if not isinstance(rec, dict) or rec.get("status") != "ok" or not isinstance(rec.get("values"), dict):
        return None
    version = rec.get("model_version")
    out = {"status": "ok", "values": rec["values"], "confidence": unit_number(rec.get("confidence")),
           "rationale": rec["rationale"] if isinstance(rec.get("rationale"), str) else "",
           "model_version": version if isinstance(version, str) else None}
    if isinstance(rec.get("per_call"), int) and not isinstance(rec["per_call"], bool) and rec["per_call"] > 1:
        out["per_call"] = rec["per_call"]
    if isinstance(rec.get("batch"), str):
        out["batch"] = rec["batch"]
    return out


def group_key(key: str, per_call: int) -> str:
    """The cache key of an answer given with ``per_call`` samples in the call (its prompt was not ``key``'s)."""
    return cache_key(key=key, per_call=per_call)


async def prelabel_async(
    dataset: Dataset,
    schema: AnnotationSchema,
    provider: Provider,
    *,
    concurrency: int = 8,
    cache: AnswerCache | None = None,
    limit: int | None = None,
    seed: int = 0,
    both_orders: bool = False,
    max_attempts: int = 3,
    on_progress: Callable[[int, int], None] | None = None,
    per_call: int = 1,
    batch: BatchStore | None = None,
    wait: bool = True,
    poll: float = 60.0,
    retry_failed: bool = False,
) -> PrelabelResult:
    samples = sample_subset(dataset.samples, limit, seed)
    cache = cache if cache is not None else AnswerCache(None)
    per_call = max(1, per_call)
    jobs: list[Job] = []
    for i, s in enumerate(samples):
        view = View(candidate_order(s, seed))
        jobs.append(Job(i, s, view, 0, build_user_message(schema, s, view)))
        if both_orders and len(s.candidates) > 1:
            back = View(list(reversed(view.order)))
            jobs.append(Job(i, s, back, 1, build_user_message(schema, s, back)))
    summary = Summary(samples=len(samples), jobs=len(jobs), per_call=per_call)
    results: dict[tuple[int, int], dict[str, Any]] = {}
    pending: list[tuple[Job, str]] = []
    schema_hash = schema.schema_hash()
    for job in jobs:
        key = job_key(provider, schema, job, schema_hash)
        hit = cached_answer(cache.get(key)) if len(cache) else None
        if hit is None and len(cache):
            hit = cached_answer(cache.get(job_key(provider, schema, job, schema_hash, legacy=True)))
        if hit is None and len(cache) and per_call > 1:
            hit = cached_answer(cache.get(group_key(key, per_call)))
        if hit is not None:
            results[(job.index, job.variant)] = hit
            summary.cached += 1
        else:
            pending.append((job, key))
    done = summary.cached
    if on_progress:
        on_progress(done, len(jobs))
    batch_in = batch_out = 0
    if batch is not None and pending:
        run = await run_batches(pending, schema, provider, cache, batch, wait=wait, poll=poll,
                                on_progress=on_progress)
        live: list[tuple[Job, str]] = []
        for job, key in pending:
            rec = run.results.get(key)
            if key in run.waiting or rec is None:
                results[(job.index, job.variant)] = {"status": "waiting"}
            elif rec["status"] == "ok":
                results[(job.index, job.variant)] = rec
            elif retry_failed:
                live.append((job, key))
            else:
                results[(job.index, job.variant)] = {"status": "failed", "reason": rec["reason"]}
        pending = live
        batch_in, batch_out = run.input_tokens, run.output_tokens
        summary.batch = {**run.summary(), "retried_live": len(live)}
        done = len(jobs) - len(pending)
    provider.concurrency = max(1, concurrency)
    queue: asyncio.Queue[list[tuple[Job, str]]] = asyncio.Queue()
    if per_call > 1:  # the two orders of a sample never share a call: each variant is grouped apart
        for variant in (0, 1):
            mine = [p for p in pending if p[0].variant == variant]
            for k in range(0, len(mine), per_call):
                queue.put_nowait(mine[k:k + per_call])
    else:
        for item in pending:
            queue.put_nowait([item])

    async def worker() -> None:
        async with provider.new_client() as client:
            WORKER_CLIENT.set(client)  # task-local: each worker keeps one connection of its own
            await work()

    def finish(job: Job, key: str, rec: dict[str, Any]) -> None:
        nonlocal done
        if rec["status"] == "ok":  # only valid answers are kept: a failed job is asked again on a rerun
            cache.put(key, {**rec, "sample": job.sample.id, "variant": job.variant})
        rec = {k: v for k, v in rec.items() if k not in ("calls", "input_tokens", "output_tokens")}
        results[(job.index, job.variant)] = rec
        done += 1
        if on_progress:
            on_progress(done, len(jobs))

    def count(figures: dict[str, Any]) -> None:
        summary.calls += figures["calls"]
        summary.input_tokens += figures["input_tokens"]
        summary.output_tokens += figures["output_tokens"]

    async def one(job: Job) -> dict[str, Any]:
        try:
            return await run_job(job, schema, provider, max_attempts)
        except ProviderError as exc:
            if exc.fatal:
                raise
            return {"status": "error", "reason": clip(provider.redact(str(exc)), 1000), "calls": 0,
                    "input_tokens": 0, "output_tokens": 0}
        except Exception as exc:  # a reply nothing above foresaw: it fails this sample, not the run
            return {"status": "error", "calls": 0, "input_tokens": 0, "output_tokens": 0,
                    "reason": clip(provider.redact(f"the reply could not be used ({type(exc).__name__}: {exc})"))}

    async def work() -> None:
        while True:
            try:
                group = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            alone = group
            if len(group) > 1:
                try:
                    figures, answers = await run_group([j for j, _ in group], schema, provider)
                except ProviderError as exc:
                    if exc.fatal:
                        raise
                    figures, answers = {"calls": 0, "input_tokens": 0, "output_tokens": 0}, [None] * len(group)
                except Exception:  # a reply nothing foresaw: each sample is asked alone
                    figures, answers = {"calls": 0, "input_tokens": 0, "output_tokens": 0}, [None] * len(group)
                count(figures)
                alone = []
                for (job, key), ans in zip(group, answers):
                    if ans is None:
                        alone.append((job, key))
                    else:
                        finish(job, group_key(key, per_call), ans)
                summary.retried_alone += len(alone)
            for job, key in alone:
                rec = await one(job)
                count(rec)
                finish(job, key, rec)

    if pending:
        async with provider:
            n = min(provider.concurrency, queue.qsize())
            tasks = [asyncio.create_task(worker()) for _ in range(n)]
            try:
                await asyncio.gather(*tasks)
            finally:
                for t in tasks:
                    t.cancel()
    summary.http_requests = provider.stats.requests
    summary.http_retries = provider.stats.retries
    live_cost = provider.cost(summary.input_tokens, summary.output_tokens)
    batch_cost = provider.cost(batch_in, batch_out)
    summary.input_tokens += batch_in
    summary.output_tokens += batch_out
    summary.cost_usd = None if live_cost is None or batch_cost is None else live_cost + batch_cost * BATCH_PRICE
    new_samples = [_apply(s, i, results, schema, provider, summary, seed) for i, s in enumerate(samples)]
    meta = {**dataset.metadata, "prelabel": {"annotator": provider.annotator, "seed": seed, "both_orders": both_orders}}
    out = dataset.model_copy(update={"samples": new_samples, "metadata": meta})
    if out.schema is None:
        out.schema = schema
    return PrelabelResult(out, summary)


def _apply(sample: DataSample, i: int, results: dict[tuple[int, int], dict[str, Any]], schema: AnnotationSchema,
           provider: Provider, summary: Summary, seed: int) -> DataSample:
    first = results.get((i, 0))
    second = results.get((i, 1))
    s = sample.model_copy(deep=True)
    if any(r is not None and r.get("status") == "waiting" for r in (first, second)):
        summary.waiting += 1  # still in a batch: neither a label nor a failure yet
        return s
    bad = [r for r in (first, second) if r is not None and r.get("status") != "ok"]
    if first is None or bad:
        reason = bad[0].get("reason", "no answer") if bad else "no answer"
        summary.failed += 1
        summary.failures.append({"sample": sample.id, "reason": reason})
        s.metadata["prelabel_failure"] = {"annotator": provider.annotator, "reason": reason}
        return s
    score = first.get("confidence")
    meta: dict[str, Any] = {"rationale": first.get("rationale", ""), "shown_order": candidate_order(sample, seed)}
    if first.get("per_call"):
        meta["per_call"] = first["per_call"]  # answered in a call with this many samples
    if first.get("batch"):
        meta["batch"] = first["batch"]  # answered by this batch (at the batch price)
    if second is not None:
        sens = _sensitive(schema)
        types = {q.name: q.type for q in schema.questions}
        disagree = [q for q in sens
                    if _canon(first["values"].get(q), types[q]) != _canon(second["values"].get(q), types[q])]
        agree = 1 - len(disagree) / len(sens) if sens else 1.0
        confs = [c for c in (first.get("confidence"), second.get("confidence")) if c is not None]
        score = (min(confs) if confs else 1.0) * agree
        meta["both_orders"] = {"agree": not disagree, "disagreed_on": disagree, "reversed_values": second["values"],
                               "reversed_rationale": second.get("rationale", "")}
        if disagree:
            summary.order_disagreements += 1
    s.annotations.append(Annotation(annotator=provider.annotator, kind="prediction", values=first["values"],
                                    score=score, model_version=first.get("model_version"), origin="prelabel",
                                    metadata=meta))
    summary.predicted += 1
    return s


def _canon(v: Any, qtype: str) -> Any:
    return sorted(map(str, v)) if qtype == "multi_choice" and isinstance(v, list) else v


def prelabel(dataset: Dataset, schema: AnnotationSchema, provider: Provider, **kw: Any) -> PrelabelResult:
    """Synchronous front door to :func:`prelabel_async`."""
    out: list[PrelabelResult] = []

    async def main() -> None:  # the task's result stays None: Python 3.11's asyncio.run can repr it (the whole
        out.append(await prelabel_async(dataset, schema, provider, **kw))  # dataset) when it puts SIGINT back

    asyncio.run(main())
    return out[0]
