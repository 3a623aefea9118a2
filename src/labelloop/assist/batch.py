"""Pre-labels through a provider's batch API, resumable across processes and days.

Every batch lives in the cache directory, under ``batches/``: ``NAME.json`` (where it stands: the provider,
the batch and file ids, the last status seen), ``NAME.requests.jsonl`` (the requests as sent),
``NAME.keys`` (their custom ids, one a line: the answer-cache keys of the requests) and, once it ended,
its result files as downloaded. New batches are written request by request, so a million samples never sit
in memory as requests. A run first looks there: a request some batch already holds is never sent
again, whatever that batch's state (being written, uploaded, submitted, running, ended); only requests no
batch holds make new batches, split to the API's limits. The state file is rewritten (atomically) after each
step, so a run killed anywhere resumes from the last step that reached the disk.

Results are read by ``custom_id`` and judged as live answers are (:func:`labelloop.assist.prompt.parse_answer`):
a valid one goes to the answer cache, so it is never asked for or read again; an error, an expired request, an
invalid answer or a request the batch ended without is a failure with its reason. Nothing is resent on its
own: ``retry_failed`` asks for the failures live.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelloop.assist.cache import AnswerCache
from labelloop.assist.llm.base import Provider
from labelloop.assist.llm.batches import BATCH_PRICE, BatchAPI, Outcome, batch_api
from labelloop.assist.prompt import SYSTEM, answer_schema, clip, parse_answer
from labelloop.data.io import atomic_open, parse_json
from labelloop.data.schema import AnnotationSchema
from labelloop.errors import LabelloopError, ProviderError

BATCH_DIR = "batches"
STATE_VERSION = 1


@dataclass
class BatchRun:
    """What the batches gave this run: records by cache key (``ok`` or ``failed``), keys still waiting, figures."""

    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    waiting: set[str] = field(default_factory=set)
    submitted: int = 0
    answered: int = 0
    failed: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    batches: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"submitted": self.submitted, "answered": self.answered, "failed": self.failed,
                "waiting": len(self.waiting), "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "batches": self.batches}


class BatchStore:
    """The batches kept in a cache directory."""

    def __init__(self, cache_dir: str | Path) -> None:
        self.dir = Path(cache_dir) / BATCH_DIR

    def records(self) -> list[dict[str, Any]]:
        if not self.dir.is_dir():
            return []
        out = []
        for p in sorted(self.dir.glob("*.json")):
            try:
                rec = parse_json(p.read_bytes(), max_depth=16, max_size=1 << 20)
            except (OSError, ValueError):
                raise LabelloopError(f"Cannot read the batch record {p}; it is not what labelloop wrote.") from None
            if isinstance(rec, dict) and rec.get("version") == STATE_VERSION and rec.get("local") == p.stem:
                out.append(rec)
        return sorted(out, key=lambda r: (r.get("created", 0), r["local"]))

    def path(self, rec: dict[str, Any], suffix: str) -> Path:
        return self.dir / f"{rec['local']}{suffix}"

    def save(self, rec: dict[str, Any]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        with atomic_open(self.path(rec, ".json")) as fh:
            json.dump(rec, fh, ensure_ascii=False, indent=1)

    def keys(self, rec: dict[str, Any]) -> list[str]:
        try:
            return self.path(rec, ".keys").read_text("utf-8").split()
        except OSError:
            raise LabelloopError(f"Cannot read {self.path(rec, '.keys')}: the batch's request list is gone.") \
                from None

    def begin(self, provider: Provider, api: BatchAPI) -> BatchWriter:
        """A new batch, written request by request (a million requests never sit in memory at once)."""
        return BatchWriter(self, provider, api)


class BatchWriter:
    """The files of one new batch, streamed to ``.part`` files; :meth:`finish` renames them and writes the
    record, the step that makes the batch exist (a crash before it leaves only ``.part`` files, never read)."""

    def __init__(self, store: BatchStore, provider: Provider, api: BatchAPI) -> None:
        self.store, self.provider, self.api = store, provider, api
        now = time.time()
        self.rec: dict[str, Any] = {
            "version": STATE_VERSION, "local": f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now))}-"
                                               f"{uuid.uuid4().hex[:12]}",
            "api": api.kind, "provider": provider.name, "model": provider.model, "base_url": provider.base_url,
            "created": now, "requests": 0, "step": "written", "status": "not submitted"}
        store.dir.mkdir(parents=True, exist_ok=True)
        self.paths = [store.path(self.rec, ".requests.jsonl"), store.path(self.rec, ".keys")]
        self._fh = [open(str(p) + ".part", "wb") for p in self.paths]  # noqa: SIM115
        self.size = api.overhead

    def fits(self, line: bytes) -> bool:
        n = len(line) + self.api.separator
        return self.rec["requests"] < self.api.max_requests and self.size + n <= self.api.max_bytes

    def add(self, key: str, line: bytes) -> None:
        self._fh[0].write(line)
        self._fh[1].write(key.encode() + b"\n")
        self.size += len(line) + self.api.separator
        self.rec["requests"] += 1

    def finish(self) -> dict[str, Any]:
        for fh, path in zip(self._fh, self.paths):
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
            os.replace(str(path) + ".part", path)
        self.store.save(self.rec)
        return self.rec


def same_endpoint(rec: dict[str, Any], provider: Provider) -> bool:
    return (rec.get("provider"), rec.get("model"), rec.get("base_url")) == (
        provider.name, provider.model, provider.base_url)


async def advance(api: BatchAPI, client: Any, store: BatchStore, rec: dict[str, Any]) -> None:
    """One step further, as far as the batch allows now: submit it, ask where it stands, fetch its results."""
    def save() -> None:
        store.save(rec)

    if rec["step"] == "written":
        await api.submit(client, store.path(rec, ".requests.jsonl"), rec, save)
        rec.update(step="submitted", status="submitted", submitted=time.time())
        rec.pop("submitting", None)
        save()
    if rec["step"] == "submitted":
        remote = await api.retrieve(client, rec["id"])
        rec.update(status=remote.status, counts=remote.counts, checked=time.time())
        if remote.error:
            rec["error"] = remote.error
        if remote.ended:
            rec["files"] = await api.download(client, remote, store.path(rec, ""))
            rec.update(step="ended", ended=time.time())
            totals = _totals(api, store, rec)
            rec.update(totals)
            cost = api.provider.cost(totals["input_tokens"], totals["output_tokens"])
            rec["cost_usd"] = None if cost is None else cost * BATCH_PRICE
        save()


def _totals(api: BatchAPI, store: BatchStore, rec: dict[str, Any]) -> dict[str, int]:
    stats: dict[str, int] = {}
    ins = outs = answered = 0
    for name in rec.get("files", []):
        for o in api.outcomes(store.dir / name, stats):
            if o.body is not None:
                answered += 1
                i, j = api.usage(o.body)
                ins += i
                outs += j
    return {"answers": answered, "input_tokens": ins, "output_tokens": outs,
            "unreadable_lines": stats.get("unreadable", 0)}


def brief(rec: dict[str, Any]) -> dict[str, Any]:
    """A batch as ``--batch-status`` and the run summary show it."""
    return {k: rec.get(k) for k in ("local", "api", "provider", "model", "id", "step", "status", "requests", "counts",
                                    "created", "submitted", "checked", "ended", "error", "answers", "input_tokens",
                                    "output_tokens", "cost_usd")}


async def run_batches(pending: list[tuple[Any, str]], schema: AnnotationSchema, provider: Provider,
                      cache: AnswerCache, store: BatchStore, *, wait: bool = True, poll: float = 60.0,
                      on_progress: Callable[[int, int], None] | None = None) -> BatchRun:
    """Answers for ``pending`` (``(job, cache key)`` pairs) from batches: those already made for them, and new
    ones for what no batch holds. ``wait``: poll every ``poll`` seconds until every batch ended; else one look."""
    import httpx

    api = batch_api(provider)
    if api is None:
        raise LabelloopError(f"Provider {provider.name!r} has no batch API; drop --batch.")
    provider.check_ready()
    run = BatchRun()
    by_key: dict[str, Any] = {}
    for job, key in pending:
        by_key.setdefault(key, job)
    owner: dict[str, dict[str, Any]] = {}
    for rec in store.records():
        if not same_endpoint(rec, provider):
            continue
        for k in store.keys(rec):
            if k in by_key and k not in owner:
                owner[k] = rec
    reply_schema = answer_schema(schema)
    writer: BatchWriter | None = None
    too_large: list[str] = []
    for key, job in by_key.items():
        if key in owner:
            continue
        body = provider.payload(SYSTEM, [{"role": "user", "content": job.user}], reply_schema)
        line = api.line(key, body)
        if api.overhead + len(line) + api.separator > api.max_bytes:
            too_large.append(key)
            run.failed += 1
            run.results[key] = {"status": "failed", "reason": f"the request is larger than the {api.max_bytes:,} "
                                "bytes a batch may hold"}
            continue
        if writer is not None and not writer.fits(line):
            writer.finish()
            writer = None
        if writer is None:
            writer = store.begin(provider, api)
        writer.add(key, line)
        owner[key] = writer.rec
        run.submitted += 1
    if writer is not None:
        writer.finish()
    active = list({r["local"]: r for r in owner.values()}.values())
    total = len(by_key)

    def report() -> None:
        if on_progress:
            done = sum(_done(r) for r in active) + len(too_large)
            on_progress(min(done, total), total)

    timeout = httpx.Timeout(provider.timeout, connect=min(provider.timeout, 30.0))
    async with httpx.AsyncClient(timeout=timeout) as client:
        while True:
            for rec in active:
                if rec["step"] != "ended":
                    await advance(api, client, store, rec)
            report()
            if not wait or all(r["step"] == "ended" for r in active):
                break
            await asyncio.sleep(poll)
    for rec in active:
        if rec["step"] != "ended":
            run.waiting.update(k for k in store.keys(rec) if k in by_key)
        else:
            _collect(api, store, rec, by_key, schema, provider, cache, run)
        run.batches.append(brief(rec))
    report()
    return run


def _done(rec: dict[str, Any]) -> int:
    if rec["step"] == "ended":
        return int(rec.get("requests", 0))
    c = rec.get("counts") or {}
    if rec.get("api") == "anthropic":
        return sum(int(c.get(k, 0)) for k in ("succeeded", "errored", "canceled", "expired"))
    return int(c.get("completed", 0)) + int(c.get("failed", 0))


def _collect(api: BatchAPI, store: BatchStore, rec: dict[str, Any], by_key: dict[str, Any], schema: AnnotationSchema,
             provider: Provider, cache: AnswerCache, run: BatchRun) -> None:
    """The ended batch's results for this run's keys: valid answers cached, the rest failures with a reason."""
    mine = {k for k in store.keys(rec) if k in by_key}
    found: dict[str, Outcome] = {}
    stats: dict[str, int] = {}
    for name in rec.get("files", []):
        for o in api.outcomes(store.dir / name, stats):
            if o.custom_id in mine and (o.custom_id not in found or found[o.custom_id].body is None):
                found[o.custom_id] = o  # a success wins over an error line for the same request
    where = f"batch {rec.get('id')}"
    for key in sorted(mine):
        job = by_key[key]
        o = found.get(key)
        if o is None:
            why = rec.get("error")
            reason = (f"{where} was refused: {why}" if why else
                      f"{where} ended ({rec.get('status')}) without a result for this request")
            run.results[key] = {"status": "failed", "reason": provider.redact(reason)}
        elif o.body is None:
            run.results[key] = {"status": "failed", "reason": provider.redact(f"{where}: {o.error}")}
        else:
            try:
                res = provider.reply(o.body, where)
            except ProviderError as exc:
                run.results[key] = {"status": "failed", "reason": clip(provider.redact(str(exc)), 1000)}
                run.failed += 1
                continue
            run.input_tokens += res.input_tokens
            run.output_tokens += res.output_tokens
            parsed = parse_answer(res.text, schema, job.sample, job.view)
            if parsed.problems:
                run.results[key] = {"status": "failed", "reason": provider.redact(
                    f"{where}: the answer cannot be used: " + "; ".join(parsed.problems))}
            else:
                ok = {"status": "ok", "values": provider.redact(parsed.values), "confidence": parsed.confidence,
                      "rationale": provider.redact(parsed.rationale), "model_version": res.model_version,
                      "batch": rec.get("id"), "calls": 0, "input_tokens": res.input_tokens,
                      "output_tokens": res.output_tokens}
                cache.put(key, {**ok, "sample": job.sample.id, "variant": job.variant})
                run.results[key] = ok
                run.answered += 1
                continue
        run.failed += 1


async def batch_status(store: BatchStore, provider: Provider | None = None) -> list[dict[str, Any]]:
    """Every batch kept in the store; those of ``provider``'s endpoint asked afresh where they stand (and
    submitted or fetched when that is their next step, as a run would)."""
    import httpx

    recs = store.records()
    api = batch_api(provider) if provider is not None else None
    if provider is not None and api is not None:
        provider.check_ready()
        async with httpx.AsyncClient(timeout=httpx.Timeout(provider.timeout)) as client:
            for rec in recs:
                if same_endpoint(rec, provider) and rec["step"] == "submitted":
                    await advance(api, client, store, rec)
    return [brief(r) for r in recs]
