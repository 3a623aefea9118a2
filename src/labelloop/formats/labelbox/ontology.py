"""Labelbox names and ontologies: candidate titles, message ids, NER tool names, and the ontology a schema needs.

Reading and writing labels both go through these names, so they live apart from either direction.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_open
from labelloop.data.model import DataSample
from labelloop.data.numbers import compact, plain_number
from labelloop.data.positions import position_label
from labelloop.data.schema import AnnotationSchema, Option, Question
from labelloop.errors import FormatError

RANK_SEP = " > "
MAX_RADIO_RATINGS = 50
NAME_DIGITS = 10  # a rating value names its option with no float noise: 0.1 + 0.2 is "0.3"
COLORS = ("#ff0000", "#00a0ff", "#00c000", "#ff9900", "#aa00ff", "#00c0c0", "#ff0080", "#808000")


# ---------------------------------------------------------------------- names both ways
def default_title(i: int) -> str:
    return f"Response {position_label(i)}"


def candidate_titles(sample: DataSample) -> dict[str, str]:
    """Candidate id -> the ``modelOutputs`` title it is shown under."""
    return {c.id: str(c.metadata.get("labelbox_title") or default_title(i)) for i, c in enumerate(sample.candidates)}


def message_ids(sample: DataSample) -> list[str]:
    ids = (sample.metadata.get("labelbox") or {}).get("message_ids")
    if isinstance(ids, list) and len(ids) == len(sample.prompt):
        return [str(x) for x in ids]
    return [f"message-{i}" for i in range(len(sample.prompt))]


def last_user(sample: DataSample) -> int:
    """The prompt turn a span on ``prompt`` points at: the last user message (else the last message)."""
    return max((i for i, m in enumerate(sample.prompt) if m.role == "user"), default=len(sample.prompt) - 1)


def tool_names(schema: AnnotationSchema) -> dict[tuple[str, str], str]:
    """(span question, label) -> NER tool name: the label, or ``question/label`` when labels clash."""
    spans = [q for q in schema.questions if q.type == "span"]
    counts: dict[str, int] = {}
    for q in spans:
        for o in q.options:
            counts[o.value] = counts.get(o.value, 0) + 1
    return {(q.name, o.value): (o.value if counts[o.value] == 1 else f"{q.name}/{o.value}")
            for q in spans for o in q.options}


def rating_values(q: Question) -> list[int | float] | None:
    """The values a rating's radio offers, or None when it is free text (no bounds, or over 50 values)."""
    if q.rubric:
        return [plain_number(r.value, NAME_DIGITS) for r in q.rubric]
    if q.min is None or q.max is None:
        return None
    step = q.step or 1
    n = int(round((q.max - q.min) / step)) + 1
    if n > MAX_RADIO_RATINGS:
        return None
    return [plain_number(q.min + k * step, NAME_DIGITS) for k in range(n)]


def answer_text(v: Any) -> str:
    """An answer's option name: a number (not a boolean) in its shortest form without float noise, anything else
    as text."""
    return compact(plain_number(v, NAME_DIGITS)) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def ontology_from_schema(schema: AnnotationSchema, n_candidates: int = 2) -> dict[str, Any]:
    """The Labelbox ontology (``OntologyBuilder.asdict()`` shape) a project needs to receive ``schema``'s labels."""
    titles = [default_title(i) for i in range(max(1, n_candidates))]
    tools = []
    names = tool_names(schema)
    for q in schema.questions:
        if q.type == "span":
            for o in q.options:
                tools.append({"tool": "named-entity", "name": names[(q.name, o.value)], "required": False,
                              "color": COLORS[len(tools) % len(COLORS)],
                              "classifications": [_classification(f, titles, nested=True) for f in o.followups],
                              "schemaNodeId": None, "featureSchemaId": None})
    classifications = [_classification(q, titles, nested=False) for q in schema.questions if q.type != "span"]
    return {"tools": tools, "classifications": classifications}


def _classification(q: Question, titles: list[str], *, nested: bool) -> dict[str, Any]:
    kind, options = "text", []
    if q.type in ("single_choice", "multi_choice"):
        kind = "radio" if q.type == "single_choice" else "checklist"
        if q.options_from_candidates:
            options += [{"label": t, "value": t, "options": []} for t in titles]
        options += [{"label": o.text, "value": o.value,
                     "options": [_classification(f, titles, nested=True) for f in o.followups]} for o in q.options]
    elif q.type == "rating" and rating_values(q) is not None:
        kind = "radio"
        labels = {float(r.value): r.label for r in q.rubric}
        for v in rating_values(q) or []:
            label = labels.get(float(v))
            text = answer_text(v)
            options.append({"label": f"{text}: {label}" if label else text, "value": text, "options": []})
    instructions = q.title or q.name
    if q.type == "ranking":
        instructions += f" (best first, separated by '{RANK_SEP.strip()}')"
    out: dict[str, Any] = {"type": kind, "instructions": instructions, "name": q.name, "required": q.required,
                           "options": options, "schemaNodeId": None, "featureSchemaId": None}
    if not nested:
        out["scope"] = "index" if q.per_candidate else "global"
    return out


def schema_from_ontology(ontology: dict[str, Any], source: str = "ontology") -> AnnotationSchema:
    """A labelloop schema from a Labelbox ontology: radio, checklist, text, NER tools and nested options."""
    if not isinstance(ontology, dict) or not isinstance(ontology.get("classifications", []), list):
        raise FormatError(f"{source}: a Labelbox ontology is an object with 'tools' and 'classifications'.")
    questions = [_question(c, source) for c in ontology.get("classifications") or []]
    labels = []
    for t in ontology.get("tools") or []:
        if t.get("tool") == "named-entity":
            labels.append(Option(value=str(t["name"]), followups=[_question(c, source)
                                                                  for c in t.get("classifications") or []]))
    if labels:
        questions.append(Question(name="entities", type="span", title="Entities", options=labels, required=False))
    try:
        return AnnotationSchema(name="labelbox", questions=questions)
    except ValueError as exc:
        raise FormatError(f"{source}: {exc}") from None


def _question(c: dict[str, Any], source: str, per_candidate: bool | None = None) -> Question:
    kind = c.get("type")
    name = str(c.get("name") or c.get("instructions") or "")
    per = c.get("scope") == "index" if per_candidate is None else per_candidate
    if kind == "text":
        return Question(name=name, type="text", title=str(c.get("instructions") or ""),
                        required=bool(c.get("required")), per_candidate=per)
    if kind not in ("radio", "checklist"):
        raise FormatError(f"{source}: classification {name!r} has type {kind!r}; labelloop reads radio, checklist "
                          "and text.")
    opts = [Option(value=str(o["value"]), label=str(o.get("label") or o["value"]),
                   followups=[_question(sub, source, per) for sub in o.get("options") or []])
            for o in c.get("options") or []]
    return Question(name=name, type="single_choice" if kind == "radio" else "multi_choice",
                    title=str(c.get("instructions") or ""), options=opts, required=bool(c.get("required")),
                    per_candidate=per)



def write_ontology(schema: AnnotationSchema, out: str | Path, n_candidates: int = 2) -> Path:
    """Write the Labelbox ontology for ``schema`` as JSON (atomically)."""
    out = Path(out)
    with atomic_open(out) as fh:
        json.dump(ontology_from_schema(schema, n_candidates), fh, ensure_ascii=False, indent=2)
    return out
