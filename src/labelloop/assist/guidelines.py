"""Annotation guidelines drafted from a schema and a few worked examples.

Without a provider the draft is deterministic: the task, what is shown, every question with its options
or rubric, edge cases that follow from the schema, how to skip or flag, and seeded examples (with the
reference label when the data has one). With a provider the same draft is the material an LLM rewrites
and improves, in the language asked for; its answer must keep every question name, or it is refused.
The Markdown plugs into the offline annotator (``labelloop create --guidelines``) and into Label Studio's
project instructions (``labelloop labelstudio push --guidelines``).
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

from labelloop.assist.cache import AnswerCache, cache_key
from labelloop.assist.llm.base import Provider
from labelloop.assist.prompt import View, load_json_reply
from labelloop.data.model import DataSample
from labelloop.data.numbers import compact
from labelloop.data.positions import candidate_order, position_labels
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import GuidelinesError, ParameterError
from labelloop.markdown import code, escape, quote, sanitize

GUIDELINES_VERSION = "guidelines-v1"
EXCERPT = 600
TYPE_TEXT = {
    "single_choice": "choose exactly one",
    "multi_choice": "choose every one that applies (possibly none)",
    "rating": "give a score",
    "ranking": "order them, best first",
    "text": "write a short text",
    "span": "mark stretches of text",
}
SYSTEM = (
    "You write annotation guidelines for people who label AI assistant answers. Guidelines must be clear, "
    "concrete and short enough to read before starting. Reply with one JSON object and nothing else: "
    '{"markdown": "<the guidelines in Markdown>"}.'
)


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def _quote(text: str) -> str:
    return quote(_excerpt(text))


def _answer_rule(q: Question) -> list[str]:
    """The lines telling a person what a valid answer to ``q`` is."""
    out: list[str] = []
    what = TYPE_TEXT[q.type]
    if q.type in ("single_choice", "multi_choice", "ranking"):
        if q.options_from_candidates:
            among = {"single_choice": "Choose exactly one of the answers (Answer A, B, …)",
                     "multi_choice": "Choose every answer that applies (possibly none)",
                     "ranking": "Order all the answers, best first"}[q.type]
            out.append(f"- {among}" + (", or one of these:" if q.options else "."))
        else:
            out.append(f"- {what.capitalize()} of these:")
        for o in q.options:
            desc = f": {escape(o.description)}" if o.description else ""
            out.append(f"  - **{escape(o.text)}** ({code(o.value)}){desc}")
    elif q.type == "rating":
        if q.rubric:
            out += [f"- {what.capitalize()} on this scale:", "", "| score | level | meaning |", "|---|---|---|"]
            out += [f"| {compact(lv.value)} | {escape(lv.label)} | {escape(lv.description)} |" for lv in q.rubric]
            out.append("")
        else:
            step = f" in steps of {compact(q.step)}" if q.step else ""
            lo, hi = compact(q.min or 0), compact(q.max or 0)
            out.append(f"- {what.capitalize()} from {lo} (worst) to {hi} (best){step}.")
    elif q.type == "span":
        out.append("- Select the text, then pick a label:")
        out += [f"  - **{escape(o.text)}** ({code(o.value)})" + (f": {escape(o.description)}" if o.description else "")
                for o in q.options]
    else:
        out.append(f"- {what.capitalize()}.")
    if q.per_candidate and q.type != "span":
        out.append("- Answer this for **each** answer separately.")
    return out


def _question_section(i: int, q: Question) -> list[str]:
    need = "required" if q.required else "optional: leave it empty when you have nothing to say"
    lines = [f"### {i}. {escape(q.title or q.name)}", "", f"Question {code(q.name)} ({need})."]
    if q.description:  # Markdown by design, as the page renders it: kept, made inert
        lines += ["", sanitize(q.description.strip())]
    return lines + [""] + _answer_rule(q) + [""]


def _edge_cases(schema: AnnotationSchema) -> list[str]:
    out: list[str] = []
    values = {o.value: o for q in schema.questions for o in q.options}
    if "tie" in values:
        out.append(f"- **{escape(values['tie'].text)}**: only when the answers are equally good after a careful read; "
                   "prefer the better one whenever you can tell them apart.")
    if "both_bad" in values:
        out.append(f"- **{escape(values['both_bad'].text)}**: when no answer is acceptable (wrong, harmful or "
                   "off-topic); it is not a way to avoid deciding between two flawed answers.")
    if any(q.options_from_candidates for q in schema.questions):
        out.append("- Answers are shown in a random order that differs between tasks and people. Judge the "
                   "content: never favour an answer because of where it is on the screen or how long it is.")
    if any(q.per_candidate or q.type == "rating" for q in schema.questions):
        out.append("- Use the whole scale. Rate each answer on its own merits, not relative to the others only.")
    if any(q.type == "ranking" for q in schema.questions):
        out.append("- A ranking must include every answer; when two are equally good, order them by any "
                   "remaining difference (clarity, brevity).")
    if any(q.type == "span" for q in schema.questions):
        out.append("- Mark the smallest stretch of text that shows the problem, not the whole answer.")
    out += [
        "- Correctness comes first: a confident, fluent answer that is wrong is worse than a plain correct one.",
        "- If the prompt is unclear, nonsensical or asks for something harmful, judge what a careful assistant "
        "should have done; if you cannot tell, flag the task with a reason.",
        "- Do not look answers up beyond what you can check quickly; when you are unsure, say so in a comment "
        "if there is one, and still give your best answer.",
    ]
    return out


def _candidate_values(q: Question) -> bool:
    return q.options_from_candidates or q.per_candidate


def _label_value(q: Question, v: Any, view: View) -> str:
    lab = view.label_of
    opt = {o.value: o.text for o in q.options}

    def one(x: Any) -> str:
        if isinstance(x, str) and x in lab and q.options_from_candidates:
            return f"Answer {lab[x]}"
        return str(opt.get(x, x)) if isinstance(x, str) else compact(x) if isinstance(x, (int, float)) else str(x)

    if q.per_candidate and isinstance(v, dict):
        return ", ".join(f"Answer {lab.get(k, k)}: {one(x)}" for k, x in sorted(v.items(), key=lambda kv:
                                                                              lab.get(kv[0], kv[0])))
    if isinstance(v, list):
        return (" > " if q.type == "ranking" else ", ").join(one(x) for x in v) or "(none)"
    return one(v)


def pick_examples(samples: list[DataSample], n: int, seed: int = 0) -> list[DataSample]:
    """``n`` samples chosen with a seed; samples with a reference label are preferred."""
    if n <= 0 or not samples:
        return []
    with_ref = [s for s in samples if any(a.kind == "reference" for a in s.annotations)]
    pool = with_ref if len(with_ref) >= n else samples
    idx = sorted(random.Random(f"examples:{seed}").sample(range(len(pool)), min(n, len(pool))))
    return [pool[i] for i in idx]


def _example(i: int, s: DataSample, schema: AnnotationSchema, seed: int) -> list[str]:
    view = View(candidate_order(s, seed))
    lines = [f"### Example {i} ({code(s.id)})", ""]
    if s.prompt:
        lines += ["**Prompt**", "", _quote(s.prompt_text), ""]
    for cid, lab in zip(view.order, position_labels(len(view.order))):
        cand = s.candidate(cid)
        lines += [f"**Answer {lab}**", "", _quote(cand.content if cand else ""), ""]
    ref = next((a for a in reversed(s.annotations) if a.kind == "reference"), None)
    if ref is None:
        lines += ["_No reference label: work through the questions above as you would on a real task._", ""]
        return lines
    shown = [(q, ref.values[q.name]) for q in schema.questions if ref.values.get(q.name) is not None]
    if not shown:
        lines += ["_The reference label answers none of this schema's questions._", ""]
        return lines
    lines += [f"**Reference label** (from {escape(ref.annotator)}):", ""]
    lines += [f"- {escape(q.title or q.name)}: {escape(_label_value(q, v, view))}" for q, v in shown]
    return lines + [""]


def draft_markdown(schema: AnnotationSchema, samples: list[DataSample] | None = None, *, examples: int = 3,
                   seed: int = 0) -> str:
    """The deterministic draft (English)."""
    title = escape(schema.name.replace("_", " "))
    lines = [f"# Annotation guidelines: {title}", "", "## The task", ""]
    if schema.guidelines.strip():  # Markdown by design: kept, made inert
        lines += [sanitize(schema.guidelines.strip()), ""]
    n_q = len(schema.questions)
    lines += [f"Each task asks {n_q} question{'s' if n_q != 1 else ''} (below). Read everything shown before "
              "answering. Your answers train and evaluate AI models, so careful, honest judgement matters more "
              "than speed.", "", "## What you see", ""]
    for f in schema.fields:
        if f.source == "prompt":
            lines.append(f"- **{escape(f.title or 'Prompt')}**: the user's request (with earlier turns of the "
                         "conversation when there are any).")
        elif f.source == "candidates":
            lines.append(f"- **{escape(f.title or 'Answers')}**: the responses to judge, labelled Answer A, B, … in a "
                         "random order.")
        else:
            lines.append(f"- **{escape(f.title or f.name)}**: shown for context.")
    lines += ["", "## Questions", ""]
    for i, q in enumerate(schema.questions, 1):
        lines += _question_section(i, q)
    lines += ["## Edge cases", ""] + _edge_cases(schema) + [""]
    lines += [
        "## Skipping and flagging", "",
        "- **Skip** a task you cannot judge (a language you do not read, content you must not see, a broken "
        "task) and give the reason. Offline annotator: the Skip button or `s`. Label Studio: Skip.",
        "- **Flag** a task that needs someone else's eyes (a possible error in the data, harmful content) with a "
        "reason. Offline annotator: the Flag button or `f`.",
        "- Never guess to get through a task faster; a skipped task is better than a wrong label.", "",
    ]
    picked = pick_examples(samples or [], examples, seed)
    if picked:
        lines += ["## Worked examples", ""]
        for i, s in enumerate(picked, 1):
            lines += _example(i, s, schema, seed)
    return "\n".join(lines).rstrip() + "\n"


def _llm_message(draft: str, schema: AnnotationSchema, language: str) -> str:
    names = ", ".join(f"`{q.name}`" for q in schema.questions)
    return (
        f"Rewrite and improve these draft annotation guidelines. Write them in the language with code "
        f"{language!r}. Keep every question, option and rubric level, keep the question names ({names}) and option "
        "values in backticks exactly as they are, keep the worked examples and their reference labels, and add "
        "concrete edge cases that fit this task. Use Markdown headings and lists.\n\n"
        f"## Schema (JSON)\n{json.dumps(schema.model_dump(mode='json'), ensure_ascii=False)}\n\n"
        f"## Draft\n{draft}\n\nReply with the JSON object only: {{\"markdown\": ...}}."
    )




def _parse(text: str, schema: AnnotationSchema) -> tuple[str | None, str | None]:
    obj, problem = load_json_reply(text)
    if problem:
        return None, problem
    md = obj.get("markdown") if isinstance(obj, dict) else None
    if not isinstance(md, str) or not md.strip():
        return None, 'the reply needs a non-empty "markdown" string'
    missing = [q.name for q in schema.questions if q.name not in md]
    if missing:
        return None, f"the guidelines must name every question; missing: {', '.join(missing)}"
    return sanitize(md.strip()) + "\n", None


async def _ask(provider: Provider, user: str, schema: AnnotationSchema, max_attempts: int) -> dict[str, Any]:
    messages = [{"role": "user", "content": user}]
    answer = {"type": "object", "properties": {"markdown": {"type": "string"}}, "required": ["markdown"]}
    problem = ""
    async with provider:
        for attempt in range(1, max_attempts + 1):
            res = await provider.complete(SYSTEM, messages, answer)
            md, problem = _parse(res.text, schema)
            if md is not None:
                return {"status": "ok", "markdown": md, "model_version": res.model_version, "calls": attempt}
            messages += [{"role": "assistant", "content": res.text or "(empty)"},
                         {"role": "user", "content": f"Your answer cannot be used: {problem}. Reply again with the "
                                                     "corrected JSON object only."}]
    return {"status": "failed", "reason": f"no usable guidelines after {max_attempts} attempts: {problem}",
            "calls": max_attempts}


def draft_guidelines(schema: AnnotationSchema, samples: list[DataSample] | None = None, *,
                     provider: Provider | None = None, language: str = "en", examples: int = 3, seed: int = 0,
                     cache: AnswerCache | None = None, max_attempts: int = 3) -> str:
    """Markdown guidelines for ``schema``; with ``provider`` an LLM rewrites the deterministic draft."""
    if not schema.questions:
        raise GuidelinesError(f"Schema {schema.name!r} has no questions; there is nothing to write guidelines for.")
    draft = draft_markdown(schema, samples, examples=examples, seed=seed)
    lang = (language or "en").strip()
    if provider is None:
        if lang.lower() not in ("en", "english") and not lang.lower().startswith("en-"):
            raise ParameterError("provider", f"Guidelines in {ParameterError.literal(repr(lang))} need an LLM "
                                             "({param}); the draft without one is English.")
        return draft
    user = _llm_message(draft, schema, lang)
    key = cache_key(v=GUIDELINES_VERSION, provider=provider.name, base_url=provider.base_url, model=provider.model,
                    temperature=provider.temperature, system=SYSTEM, user=user)
    cache = cache if cache is not None else AnswerCache(None)
    rec = cache.get(key)
    if rec is None:
        rec = asyncio.run(_ask(provider, user, schema, max(1, max_attempts)))
        if rec["status"] == "ok":  # a refused answer is not kept: a rerun should try again
            cache.put(key, rec)
    if rec.get("status") != "ok":
        raise GuidelinesError(f"{provider.annotator} gave no usable guidelines ({rec.get('reason')}); run without "
                              "--provider for the deterministic draft.")
    return sanitize(rec["markdown"])  # also what an older cache kept unsanitised
