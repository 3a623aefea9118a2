"""Labelbox names and ontologies: candidate titles, message ids, NER tool names, and the ontology a schema needs.

Reading and writing labels both go through these names, so they live apart from either direction.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_open
from labelloop.data.model import DataSample
from labelloop.data.numbers import compact, plain_number
from labelloop.data.positions import position_label
from labelloop.data.schema import AnnotationSchema, Option, Question
from labelloop.errors import FormatError

RANK_SEP = " > "
#: a ranking with ties as text (Labelbox's own ranking task forbids ties): equally good answers joined by " = "
TIE_SEP = " = "
MAX_RADIO_RATINGS = 50
NAME_DIGITS = 10  # a rating value names its option with no float noise: 0.1 + 0.2 is "0.3"
DEFAULT_TITLE = re.compile(r"^Response [A-Z]+$")
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
                tool = names[(q.name, o.value)]
                tools.append({"tool": "named-entity", "name": tool, "required": False,
                              "color": COLORS[len(tools) % len(COLORS)],
                              "classifications": [_classification(f, titles, nested=True, parent=tool)
                                                  for f in o.followups],
                              "schemaNodeId": None, "featureSchemaId": None})
    classifications = [_classification(q, titles, nested=False) for q in schema.questions if q.type != "span"]
    return {"tools": tools, "classifications": classifications}


def _classification(q: Question, titles: list[str], *, nested: bool, parent: str | None = None) -> dict[str, Any]:
    kind, options = "text", []
    if q.type in ("single_choice", "multi_choice"):
        kind = "radio" if q.type == "single_choice" else "checklist"
        if q.options_from_candidates:
            options += [{"label": t, "value": t, "options": []} for t in titles]
        options += [{"label": o.text, "value": o.value,
                     "options": [_classification(f, titles, nested=True, parent=q.name) for f in o.followups]}
                    for o in q.options]
    elif q.type == "rating" and rating_values(q) is not None:
        kind = "radio"
        labels = {float(r.value): r.label for r in q.rubric}
        for v in rating_values(q) or []:
            label = labels.get(float(v))
            text = answer_text(v)
            options.append({"label": f"{text}: {label}" if label else text, "value": text, "options": []})
    instructions = q.title or q.name
    if q.type == "ranking":
        instructions += f" (best first, separated by '{RANK_SEP.strip()}'" + (
            f"; equally good answers joined by '{TIE_SEP.strip()}')" if q.ties else ")")
    out: dict[str, Any] = {"type": kind, "instructions": instructions, "name": feature_name(q, parent),
                           "required": q.required,
                           "options": options, "schemaNodeId": None, "featureSchemaId": None}
    if not nested:
        out["scope"] = "index" if q.per_candidate or about_prompt(q) else "global"
    return out


def schema_from_ontology(ontology: dict[str, Any], source: str = "ontology", *,
                         candidate_names: frozenset[str] = frozenset(),
                         scopes: dict[str, str] | None = None) -> AnnotationSchema:
    """A labelloop schema from a Labelbox ontology: radio, checklist, text, NER tools and nested options.

    An option that names a model output (``Response A``, ``Response B``…, or one of ``candidate_names``: the
    titles and ``modelConfigName`` of the data rows' model outputs) is a choice among the candidates, so
    "Choose the best response" answers in candidate ids. A message-scoped (``index``) classification is asked
    per candidate, unless ``scopes`` (what the label files show: ``"prompt"`` when answers point only at
    prompt messages) says it is about the prompt: then it is a plain question with ``fields=["prompt"]``,
    answered on the prompt's labelled message. A nested question whose name is already taken (Labelbox
    allows one name under two parents) is named ``parent/name`` and written back under its own name.
    """
    if not isinstance(ontology, dict) or not isinstance(ontology.get("classifications", []), list):
        raise FormatError(f"{source}: a Labelbox ontology is an object with 'tools' and 'classifications'.")
    reader = _OntologyReader(source, candidate_names, scopes or {})
    questions = [reader.question(c, None) for c in ontology.get("classifications") or []]
    labels = []
    for t in ontology.get("tools") or []:
        if t.get("tool") == "named-entity":
            labels.append(Option(value=str(t["name"]), followups=[reader.question(c, False,
                                                                                  parent=str(t["name"]))
                                                                  for c in t.get("classifications") or []]))
    if labels:
        questions.append(Question(name="entities", type="span", title="Entities", options=labels, required=False))
    try:
        return AnnotationSchema(name="labelbox", questions=questions)
    except ValueError as exc:
        raise FormatError(f"{source}: {exc}") from None


def ontology_from_lines(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The ontology a set of NDJSON annotation lines implies, for files that come without one: each feature
    with the options its answers name (a dict answer is a radio, a list a checklist, text free text), the
    nested questions under the options they were answered under, entities as NER tools."""
    classifications: dict[str, dict[str, Any]] = {}
    tools: dict[str, dict[str, Any]] = {}

    def add(into: dict[str, dict[str, Any]], line: dict[str, Any]) -> None:
        name, answer = str(line.get("name") or ""), line.get("answer", line.get("answers"))
        if not name:
            return
        kind = "checklist" if isinstance(answer, list) else "radio" if isinstance(answer, dict) else "text"
        c = into.setdefault(name, {"type": kind, "name": name, "instructions": name, "required": False,
                                   "options": {}, "scope": "index" if line.get("messageId") is not None else "global"})
        if line.get("messageId") is not None:
            c["scope"] = "index"
        for a in answer if isinstance(answer, list) else [answer] if isinstance(answer, dict) else []:
            if isinstance(a, dict) and a.get("name") is not None:
                opt = c["options"].setdefault(str(a["name"]), {})
                for sub in a.get("classifications") or []:
                    if isinstance(sub, dict):
                        add(opt, sub)

    for line in lines:
        if not isinstance(line, dict):
            continue
        if "location" in line:
            tool = tools.setdefault(str(line.get("name") or ""), {})
            for sub in line.get("classifications") or []:
                if isinstance(sub, dict):
                    add(tool, sub)
        else:
            add(classifications, line)

    def freeze(specs: dict[str, dict[str, Any]], nested: bool) -> list[dict[str, Any]]:
        out = []
        for c in specs.values():
            c = dict(c, options=[{"value": v, "label": v, "options": freeze(subs, True)}
                                 for v, subs in c["options"].items()])
            if nested:
                c.pop("scope")
            out.append(c)
        return out

    return {"tools": [{"tool": "named-entity", "name": name, "classifications": freeze(subs, True)}
                      for name, subs in tools.items() if name],
            "classifications": freeze(classifications, False)}


def is_candidate_name(name: str, candidate_names: frozenset[str] = frozenset()) -> bool:
    """Whether an option's name stands for a model output: a default title or a row's title / model name."""
    return bool(DEFAULT_TITLE.match(name)) or name in candidate_names


def feature_name(q: Question, parent: str | None = None) -> str:
    """The Labelbox feature name of a question: a nested ``parent/name`` goes back under its own name."""
    return q.name[len(parent) + 1:] if parent and q.name.startswith(f"{parent}/") else q.name


def about_prompt(q: Question) -> bool:
    """A message-scoped question about the prompt (answered on its labelled message), not about each answer."""
    return q.type != "span" and not q.per_candidate and q.fields == ["prompt"]


class _OntologyReader:
    def __init__(self, source: str, candidate_names: frozenset[str], scopes: dict[str, str]) -> None:
        self.source, self.candidate_names, self.scopes = source, candidate_names, scopes
        self.taken: set[str] = set()

    def question(self, c: dict[str, Any], per_candidate: bool | None, parent: str | None = None,
                 about_prompt: bool = False) -> Question:
        kind = c.get("type")
        name = str(c.get("name") or c.get("instructions") or "")
        title = str(c.get("instructions") or "")
        if name in self.taken and parent is not None:  # one nested name under two parents
            name = f"{parent}/{name}"
        self.taken.add(name)
        if per_candidate is None:
            index = c.get("scope") == "index"
            about_prompt = index and self.scopes.get(name) == "prompt"
            per = index and not about_prompt
        else:
            per = per_candidate
        kw: dict[str, Any] = {"fields": ["prompt"]} if about_prompt else {}
        if kind == "text":
            return Question(name=name, type="text", title=title, required=bool(c.get("required")), per_candidate=per,
                            **kw)
        if kind not in ("radio", "checklist"):
            raise FormatError(f"{self.source}: classification {name!r} has type {kind!r}; labelloop reads radio, "
                              "checklist and text.")
        opts, from_candidates = [], False
        for o in c.get("options") or []:
            value = str(o["value"])
            if is_candidate_name(value, self.candidate_names) and not o.get("options"):
                from_candidates = True
                continue
            opts.append(Option(value=value, label=str(o.get("label") or o["value"]),
                               followups=[self.question(sub, per, parent=name, about_prompt=about_prompt)
                                          for sub in o.get("options") or []]))
        return Question(name=name, type="single_choice" if kind == "radio" else "multi_choice", title=title,
                        options=opts, options_from_candidates=from_candidates, required=bool(c.get("required")),
                        per_candidate=per, **kw)


def write_ontology(schema: AnnotationSchema, out: str | Path, n_candidates: int = 2) -> Path:
    """Write the Labelbox ontology for ``schema`` as JSON (atomically)."""
    out = Path(out)
    with atomic_open(out) as fh:
        json.dump(ontology_from_schema(schema, n_candidates), fh, ensure_ascii=False, indent=2)
    return out
