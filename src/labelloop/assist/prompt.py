"""The judge's prompt, built from the schema, and the mapping of its answer back to candidate ids.

Candidates are shown under their position labels (A, B, C, …, Z, AA, …) in the seeded screen order
of ``labelloop.data.positions``, so the model can neither lean on the source's order nor answer in ids
it should not see; every value that names a candidate is mapped back to the candidate's id before
validation.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from labelloop.assist.llm.http import JSONLimitError, loads
from labelloop.data.model import DataSample
from labelloop.data.numbers import compact
from labelloop.data.positions import position_labels
from labelloop.data.schema import AnnotationSchema, Question

SYSTEM = (
    "You are a careful, expert annotator of AI assistant answers. Read the task and the answers, follow the "
    "guidelines, and answer every question. Refer to answers only by their labels (A, B, …). Reply with one JSON "
    'object and nothing else: {"values": {<question name>: <answer>, ...}, "confidence": <number from 0 to 1>, '
    '"rationale": "<one or two sentences>"}.'
)


@dataclass
class View:
    """One presentation of a sample: which candidate id sits under which display label."""

    order: list[str]

    @property
    def label_of(self) -> dict[str, str]:
        return dict(zip(self.order, position_labels(len(self.order))))

    @property
    def id_of(self) -> dict[str, str]:
        return dict(zip(position_labels(len(self.order)), self.order))


def _fmt_rubric(q: Question) -> str:
    if q.rubric:
        return "one of " + "; ".join(
            compact(lv.value) + (f" ({lv.label}{': ' + lv.description if lv.description else ''})" if lv.label else "")
            for lv in q.rubric)
    text = f"a number from {compact(q.min)} to {compact(q.max)}"
    return text + (f" in steps of {compact(q.step)}" if q.step else "")


def _choices(q: Question, labels: list[str]) -> str:
    parts = [json.dumps(lab) for lab in labels] if q.options_from_candidates else []
    for o in q.options:
        desc = f" ({o.label}{': ' + o.description if o.description else ''})" if (o.label or o.description) else ""
        parts.append(json.dumps(o.value) + desc)
    return ", ".join(parts)


def describe_question(q: Question, labels: list[str]) -> str:
    title = q.title or q.name
    need = "required" if q.required else "optional, use null to skip"
    head = f'- "{q.name}" ({need}): {title}' + (f" — {q.description}" if q.description else "")
    if q.per_candidate and q.type != "span":
        inner = q.model_copy(update={"per_candidate": False})
        return (f"{head}\n  Give an object mapping every answer label ({', '.join(labels)}) to "
                f"{_value_text(inner, labels)}.")
    return f"{head}\n  Give {_value_text(q, labels)}."


def _value_text(q: Question, labels: list[str]) -> str:
    if q.type == "single_choice":
        return f"exactly one of: {_choices(q, labels)}"
    if q.type == "multi_choice":
        return f"a list (possibly empty) of values from: {_choices(q, labels)}"
    if q.type == "rating":
        return _fmt_rubric(q)
    if q.type == "ranking":
        return f"a list ordering all of: {_choices(q, labels)}, best first"
    if q.type == "text":
        return "a short text"
    if q.type == "span":
        return ("a list of {\"field\", \"start\", \"end\", \"label\"} objects marking character ranges; field is "
                f"\"prompt\" or \"candidates.<label>\"; label one of: {_choices(q, [])}")
    return "a value"  # pragma: no cover


def build_user_message(schema: AnnotationSchema, sample: DataSample, view: View) -> str:
    labels = position_labels(len(view.order))
    parts: list[str] = []
    if schema.guidelines.strip():
        parts.append("## Guidelines\n" + schema.guidelines.strip())
    if len(sample.prompt) > 1:
        convo = "\n\n".join(f"[{m.role}]\n{m.content}" for m in sample.prompt)
        parts.append("## Conversation\n" + convo)
    elif sample.prompt:
        parts.append("## Prompt\n" + sample.prompt[0].content)
    for f in schema.fields:
        if f.source.startswith("metadata."):
            key = f.source.split(".", 1)[1]
            if key in sample.metadata:
                parts.append(f"## {f.title or f.name}\n{sample.metadata[key]}")
    if view.order:
        answers = []
        for cid, lab in zip(view.order, labels):
            cand = sample.candidate(cid)
            answers.append(f'<answer label="{lab}">\n{cand.content if cand else ""}\n</answer>')
        parts.append("## Answers\n" + "\n\n".join(answers))
    qs = "\n".join(describe_question(q, labels) for q in schema.questions)
    parts.append("## Questions\n" + qs)
    parts.append('Reply with the JSON object only: {"values": {...}, "confidence": ..., "rationale": ...}.')
    return "\n\n".join(parts)


def answer_schema(schema: AnnotationSchema) -> dict[str, Any]:
    """A JSON Schema for the reply, for tool use / structured output (validation is still ours)."""
    props: dict[str, Any] = {}
    for q in schema.questions:
        props[q.name] = {"description": q.title or q.name}
    return {
        "type": "object",
        "properties": {
            "values": {"type": "object", "properties": props},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "rationale": {"type": "string"},
        },
        "required": ["values", "confidence", "rationale"],
    }


@dataclass
class Parsed:
    values: dict[str, Any]
    confidence: float | None
    rationale: str
    problems: list[str]


#: The longest reply we parse as an answer: a label answer is a few kB, a long one tens.
MAX_REPLY_CHARS = 1_000_000
#: The longest problem quoted back to the model and recorded as a failure reason.
MAX_PROBLEM_CHARS = 300


def load_json_reply(text: str) -> tuple[Any, str | None]:
    """A model's JSON reply (a Markdown code fence around it is allowed), or the problem in words for a retry.

    The reply is untrusted: its size, nesting and number lengths are bounded (:func:`labelloop.assist.llm.http.loads`),
    so a hostile answer is a problem to report, never an exception.
    """
    if not isinstance(text, str):
        return None, "the reply is not text"
    if len(text) > MAX_REPLY_CHARS:
        return None, f"the reply is {len(text)} characters long, more than the {MAX_REPLY_CHARS} accepted"
    raw = text.strip()
    if len(raw) >= 6 and raw.startswith("```") and raw.endswith("```"):  # string slicing: no regex to backtrack
        raw = raw[3:-3]
        raw = (raw[4:] if raw.startswith("json") else raw).strip()
    try:
        return loads(raw), None
    except json.JSONDecodeError as exc:
        return None, f"the reply is not valid JSON ({exc.msg} at character {exc.pos})"
    except JSONLimitError as exc:
        return None, f"the reply {exc}"
    except ValueError as exc:  # e.g. a lone surrogate the decoder refuses
        return None, f"the reply is not valid JSON ({clip(str(exc), 120)})"


def clip(text: str, limit: int = MAX_PROBLEM_CHARS) -> str:
    """``text`` cut to ``limit`` characters, marked when cut: a problem can quote a huge value back."""
    return text if len(text) <= limit else text[:limit - 1] + "…"


def unit_number(value: Any) -> float | None:
    """A confidence in 0..1 (clamped), or ``None`` for anything that is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        f = float(value)
    except OverflowError:  # a 400-digit integer
        return None
    return min(1.0, max(0.0, f)) if math.isfinite(f) else None


def parse_answer(text: str, schema: AnnotationSchema, sample: DataSample, view: View) -> Parsed:
    """The reply as values in candidate ids, with every problem phrased for the model to fix."""
    obj, problem = load_json_reply(text)
    if problem:
        return Parsed({}, None, "", [problem])
    if not isinstance(obj, dict) or not isinstance(obj.get("values"), dict):
        return Parsed({}, None, "", ['the reply must be a JSON object with a "values" object'])
    confidence = unit_number(obj.get("confidence"))
    rationale = obj.get("rationale") if isinstance(obj.get("rationale"), str) else ""
    values = {k: v for k, v in obj["values"].items() if v is not None}
    problems: list[str] = []
    mapped: dict[str, Any] = {}
    names = {q.name: q for q in schema.questions}
    for key, value in values.items():
        q = names.get(key)
        if q is None:
            problems.append(f"there is no question {key!r}")
            continue
        value, errs = _to_ids(q, value, view)
        problems += [f"question {key!r}: {e}" for e in errs]
        mapped[key] = value
    if not problems:
        label_of = view.label_of
        for p in schema.validate_values(sample, mapped):
            prefix = f"sample {sample.id!r}"
            if p.startswith(prefix):
                p = p[len(prefix):].lstrip(",: ")
            for cid, lab in label_of.items():
                p = p.replace(f"candidate {cid!r}", f"answer {lab!r}")
            problems.append(p)
    return Parsed(mapped, confidence, rationale, [clip(p) for p in problems])


def _to_ids(q: Question, value: Any, view: View) -> tuple[Any, list[str]]:
    """Display labels → candidate ids for values that name candidates; errors in display terms."""
    id_of = view.id_of
    allowed = list(id_of) + [o.value for o in q.options]

    def one(v: Any) -> tuple[Any, list[str]]:
        if not isinstance(v, str) or v not in allowed:
            return v, [f"{v!r} is not one of {allowed}"]
        return id_of.get(v, v), []

    if q.per_candidate and q.type != "span":
        if not isinstance(value, dict):
            return value, [f"{value!r} is not an object keyed by answer label"]
        out, errs = {}, []
        for lab, sub in value.items():
            if lab not in id_of:
                errs.append(f"{lab!r} is not an answer label ({', '.join(id_of)})")
                continue
            out[id_of[lab]] = sub
        return out, errs
    if q.type == "span":
        if isinstance(value, list):
            fixed = []
            for s in value:
                if isinstance(s, dict) and isinstance(s.get("field"), str) and s["field"].startswith("candidates."):
                    lab = s["field"].split(".", 1)[1]
                    s = {**s, "field": f"candidates.{id_of.get(lab, lab)}"}
                fixed.append(s)
            return fixed, []
        return value, []
    if not q.options_from_candidates:
        return value, []
    if q.type == "single_choice":
        return one(value)
    if q.type in ("multi_choice", "ranking"):
        if not isinstance(value, list):
            return value, [f"{value!r} is not a list"]
        out, errs = [], []
        for v in value:
            if q.type == "ranking" and q.ties and isinstance(v, list):  # a tier: answers sharing one place
                tier = [one(x) for x in v]
                out.append([mv for mv, _ in tier])
                errs += [m for _, e in tier for m in e]
                continue
            mv, e = one(v)
            out.append(mv)
            errs += e
        return out, errs
    return value, []
