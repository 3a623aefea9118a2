"""LLM explanations of disagreements: one prompt per flag, answers cached like pre-labels; a failed call
leaves the flag without an explanation and says why."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from labelloop.assist.cache import AnswerCache, cache_key
from labelloop.assist.llm.base import WORKER_CLIENT, Provider
from labelloop.assist.prompt import View, describe_question, load_json_reply
from labelloop.assist.review.checks import short
from labelloop.assist.review.report import ReviewOptions
from labelloop.data.model import DataSample, Dataset
from labelloop.data.positions import candidate_order, position_labels
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import ProviderError

REVIEW_VERSION = "review-v1"
LIKELY = ("annotator", "other", "unclear")
EXPLAIN_SYSTEM = (
    "You review human annotations of AI assistant answers. You get the task, the answers (refer to them only by "
    "their labels A, B, …), one question and two conflicting answers to it. Explain in one to three sentences the "
    "most likely reason they differ and which one looks right. Reply with one JSON object and nothing else: "
    '{"explanation": "<text>", "likely_right": "annotator" | "other" | "unclear"}.'
)


def _as_labels(q: Question, v: Any, view: View) -> Any:
    lab = view.label_of
    if q.per_candidate and isinstance(v, dict):
        return {lab.get(k, k): x for k, x in v.items()}
    if not q.options_from_candidates:
        return v
    if isinstance(v, list):
        return [lab.get(x, x) if isinstance(x, str) else x for x in v]
    return lab.get(v, v) if isinstance(v, str) else v


def explain_message(schema: AnnotationSchema, sample: DataSample, flag: dict[str, Any], seed: int) -> str:
    """The user turn asking why one disagreement happened; candidates under seeded display labels."""
    view = View(candidate_order(sample, seed))
    labels = position_labels(len(view.order))
    q = schema.question(flag["question"])
    parts: list[str] = []
    if schema.guidelines.strip():
        parts.append("## Guidelines\n" + schema.guidelines.strip())
    if len(sample.prompt) > 1:
        parts.append("## Conversation\n" + "\n\n".join(f"[{m.role}]\n{m.content}" for m in sample.prompt))
    elif sample.prompt:
        parts.append("## Prompt\n" + sample.prompt[0].content)
    if view.order:
        parts.append("## Answers\n" + "\n\n".join(
            f'<answer label="{lab}">\n{(sample.candidate(cid).content if sample.candidate(cid) else "")}\n</answer>'
            for cid, lab in zip(view.order, labels)))
    shown = q
    if flag.get("candidate_id") is not None:
        shown = q.model_copy(update={"per_candidate": False})
        parts.append(f"The question is asked of answer {view.label_of.get(flag['candidate_id'], '?')}.")
    parts.append("## Question\n" + describe_question(shown, labels))
    mine = _as_labels(shown, flag["answer"], view)
    other = _as_labels(shown, flag["other"], view)
    parts.append(f"## Disagreement\nThe annotator answered: {short(mine)}\n"
                 f"The other side ({flag['other_by']}) answered: {short(other)}")
    parts.append('Reply with the JSON object only: {"explanation": ..., "likely_right": ...}.')
    return "\n\n".join(parts)


EXPLAIN_SCHEMA = {
    "type": "object",
    "properties": {"explanation": {"type": "string"}, "likely_right": {"type": "string", "enum": list(LIKELY)}},
    "required": ["explanation", "likely_right"],
}


def parse_explanation(text: str) -> tuple[dict[str, str] | None, str | None]:
    obj, problem = load_json_reply(text)
    if problem:
        return None, problem
    if not isinstance(obj, dict):
        return None, "the reply must be a JSON object"
    expl, likely = obj.get("explanation"), obj.get("likely_right")
    if not isinstance(expl, str) or not expl.strip():
        return None, '"explanation" must be a non-empty string'
    if likely not in LIKELY:
        return None, f'"likely_right" must be one of {list(LIKELY)}, not {likely!r}'
    return {"text": expl.strip(), "likely_right": likely}, None


def _usable_hit(rec: Any) -> dict[str, Any] | None:
    """A cached explanation as ``explain_flags`` reads it, or ``None`` (a miss) for a failure or a record whose shape
    is not what :func:`parse_explanation` makes: the cache file is ours, but it may be hand-edited or damaged."""
    if not isinstance(rec, dict) or rec.get("status") != "ok":
        return None
    expl, version = rec.get("explanation"), rec.get("model_version")
    if not isinstance(expl, dict) or not isinstance(expl.get("text"), str) or not expl["text"].strip() \
            or not isinstance(expl.get("likely_right"), str) or expl["likely_right"] not in LIKELY \
            or not (version is None or isinstance(version, str)):
        return None
    return {"status": "ok", "explanation": {"text": expl["text"], "likely_right": expl["likely_right"]},
            "model_version": version}


async def _explain_all(jobs: dict[str, str], provider: Provider, cache: AnswerCache, o: ReviewOptions,
                       on_progress: Callable[[int, int], None] | None) -> tuple[dict[str, dict[str, Any]], Counter]:
    """key -> finished record for every distinct prompt; valid answers go to the cache as they arrive."""
    done: dict[str, dict[str, Any]] = {}
    counts: Counter = Counter()
    pending = []
    for key, user in jobs.items():
        hit = _usable_hit(cache.get(key))  # an older cache's failures, or a mangled record, are asked again
        if hit is not None:
            done[key] = hit
            counts["cached"] += 1
        else:
            pending.append((key, user))
    if on_progress:
        on_progress(len(done), len(jobs))
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in pending:
        queue.put_nowait(item)

    async def one(user: str) -> dict[str, Any]:
        messages = [{"role": "user", "content": user}]
        rec: dict[str, Any] = {"calls": 0, "input_tokens": 0, "output_tokens": 0}
        problem = ""
        for _ in range(max(1, o.max_attempts)):
            res = await provider.complete(EXPLAIN_SYSTEM, messages, EXPLAIN_SCHEMA)
            rec["calls"] += 1
            rec["input_tokens"] += res.input_tokens
            rec["output_tokens"] += res.output_tokens
            parsed, problem = parse_explanation(res.text)
            if parsed is not None:
                return {**rec, "status": "ok", "explanation": parsed, "model_version": res.model_version}
            messages += [{"role": "assistant", "content": res.text or "(empty)"},
                         {"role": "user", "content": f"Your answer cannot be used: {problem}. Reply again with the "
                                                     "corrected JSON object only."}]
        return {**rec, "status": "failed", "reason": f"no usable explanation after {rec['calls']} attempts: {problem}"}

    async def worker() -> None:
        async with provider.new_client() as client:
            WORKER_CLIENT.set(client)
            while True:
                try:
                    key, user = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                try:
                    rec = await one(user)
                    if rec["status"] == "ok":  # a failure is not kept: a rerun asks again
                        cache.put(key, rec)
                except ProviderError as exc:
                    if exc.fatal:
                        raise
                    rec = {"status": "error", "reason": str(exc), "calls": 0, "input_tokens": 0, "output_tokens": 0}
                for k in ("calls", "input_tokens", "output_tokens"):
                    counts[k] += rec[k]
                done[key] = rec
                if on_progress:
                    on_progress(len(done), len(jobs))

    if pending:
        provider.concurrency = max(1, o.concurrency)
        async with provider:
            tasks = [asyncio.create_task(worker()) for _ in range(min(provider.concurrency, len(pending)))]
            try:
                await asyncio.gather(*tasks)
            finally:
                for t in tasks:
                    t.cancel()
    return done, counts


def explain_flags(flags: list[dict[str, Any]], dataset: Dataset, schema: AnnotationSchema, provider: Provider,
             cache: AnswerCache, o: ReviewOptions, on_progress: Callable[[int, int], None] | None) -> dict[str, Any]:
    by_id = dataset.by_id()
    wanted = [f for f in flags if f["kind"] in ("prediction_disagreement", "majority_disagreement")]
    if o.max_explanations is not None:
        wanted = sorted(wanted, key=lambda f: -f["severity"])[:max(0, o.max_explanations)]
    jobs: dict[str, str] = {}
    for f in wanted:
        user = explain_message(schema, by_id[f["sample_id"]], f, o.seed)
        f["_key"] = cache_key(v=REVIEW_VERSION, provider=provider.name, base_url=provider.base_url,
                              model=provider.model, temperature=provider.temperature, system=EXPLAIN_SYSTEM,
                              user=user)
        jobs[f["_key"]] = user
    done, counts = asyncio.run(_explain_all(jobs, provider, cache, o, on_progress)) if jobs else ({}, Counter())
    explained = failed = 0
    for f in wanted:
        rec = done.get(f.pop("_key"))
        if rec is not None and rec.get("status") == "ok":
            f["explanation"] = {**rec["explanation"], "by": provider.annotator,
                                "model_version": rec.get("model_version")}
            explained += 1
        else:
            f["explanation"] = None
            f["explanation_error"] = (rec or {}).get("reason", "not asked")
            failed += 1
    return {"annotator": provider.annotator, "asked": len(wanted), "prompts": len(jobs), "explained": explained,
            "failed": failed, "cached": int(counts["cached"]), "calls": int(counts["calls"]),
            "input_tokens": int(counts["input_tokens"]), "output_tokens": int(counts["output_tokens"]),
            "cost_usd": provider.cost(int(counts["input_tokens"]), int(counts["output_tokens"]))}
