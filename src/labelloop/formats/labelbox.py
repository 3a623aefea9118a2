"""Labelbox files for conversational / LLM human-preference projects, read and written.

Labelbox splits a labelled dataset over several files; labelloop writes them side by side and
reads them back as one dataset. For ``save(ds, "out/lb.jsonl", "labelbox")``:

- ``lb.jsonl``: the data rows, one ``{"global_key", "row_data", "media_type": "CONVERSATIONAL"}``
  a line, ``row_data`` being Labelbox's conversational JSON: ``messages`` (the prompt turns, each
  ``{messageId, content, user: {userId, name}, align, canLabel}``) and ``modelOutputs`` (the
  candidates, ``{title, content, modelConfigName}``). The global key is the sample id.
- ``lb.mal.ndjson``: ``prediction`` annotations as model-assisted-labelling (MAL) pre-labels.
- ``lb.labels.ndjson``: ``human`` / ``aggregate`` / ``reference`` annotations as ground truth
  (Label Import). Labelbox makes one label per data row per import, so a sample's second human
  annotation goes to ``lb.labels-2.ndjson``, and so on (``lb.mal-2.ndjson`` likewise).
- ``lb.ontology.json``: the ontology matching the schema (``OntologyBuilder.asdict()`` shape).
- ``lb.labelloop.json``: what Labelbox has no place for (the schema, candidate ids and metadata,
  each annotation's author, kind, score and times), so reading the set back is exact.

Annotation lines follow Labelbox's NDJSON import: ``{"name", "answer", "dataRow": {"globalKey"}}``
with ``answer`` ``{"name"}`` for a radio, a list of ``{"name"}`` for a checklist and a string for
free text; ``messageId`` makes a classification message-scoped; entities are
``{"name", "location": {"start", "end"}, "messageId"}`` with an inclusive ``end`` (labelloop's is
exclusive); nested classifications sit under ``answer.classifications`` (follow-up questions of
the chosen option) or under the entity's ``classifications`` (questions about a span).

The mapping: a question's name is the feature's name. ``single_choice`` is a radio,
``multi_choice`` a checklist, ``text`` free text; a ``rating`` is a radio over its values (free
text when it has more than 50); a ``ranking`` is free text, answers best first joined by
``" > "``. Candidates are ``modelOutputs`` titled ``Response A``, ``Response B``… (or their own
title from an earlier import), and a choice among candidates answers with the title. A
per-candidate question is message-scoped, its ``messageId`` being the candidate's title; span
labels are NER tools (named by the label value, or ``question/label`` when two span questions
share a label), a span on the prompt points at the prompt message's ``messageId``.

Reading takes the data rows file (``--format labelbox``, or recognised by ``row_data`` with
``global_key`` or by conversational ``messages``) and the annotation files beside it: lines from
a file with ``mal`` in its name are ``prediction`` annotations, others ``human`` unless the
sidecar says otherwise. Without the sidecar the schema comes from ``<stem>.ontology.json`` when
present (radio, checklist, text, NER tools, nested options), else answers are kept by feature
name. Message-scoped answers on a prompt turn are keyed ``prompt.N``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_open
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message, content_id
from labelloop.data.schema import AnnotationSchema, Option, Question
from labelloop.errors import FormatError, InputFileError, LabelloopError, OutputError, RowError
from labelloop.formats.base import Format, _loads_if_json, register, scalar
from labelloop.templates.labelstudio import position_label

CONVERSATIONAL = "application/vnd.labelbox.conversational"
RANK_SEP = " > "
MAX_RADIO_RATINGS = 50
UUID_NS = uuid.UUID("6f0f3c1e-5a8e-4a36-9d2c-1f0a9b3c7d10")
GT_KINDS = ("human", "aggregate", "reference")
ROLE_NAMES = {"user": "User", "assistant": "Assistant", "system": "System"}
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


def _last_user(sample: DataSample) -> int:
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


def _rating_values(q: Question) -> list[int | float] | None:
    if q.rubric:
        return [_num(r.value) for r in q.rubric]
    if q.min is None or q.max is None:
        return None
    step = q.step or 1
    n = int(round((q.max - q.min) / step)) + 1
    if n > MAX_RADIO_RATINGS:
        return None
    return [_num(q.min + k * step) for k in range(n)]


def _num(v: float | int) -> int | float:
    f = float(v)
    return int(f) if f.is_integer() else round(f, 10)


def _fmt(v: Any) -> str:
    return f"{_num(v):g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


# ---------------------------------------------------------------------- ontology
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
    elif q.type == "rating" and _rating_values(q) is not None:
        kind = "radio"
        labels = {float(r.value): r.label for r in q.rubric}
        for v in _rating_values(q) or []:
            label = labels.get(float(v))
            options.append({"label": f"{_fmt(v)}: {label}" if label else _fmt(v), "value": _fmt(v), "options": []})
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


# ---------------------------------------------------------------------- values -> NDJSON
class _Writer:
    def __init__(self, schema: AnnotationSchema, sample: DataSample) -> None:
        self.schema, self.sample = schema, sample
        self.titles = candidate_titles(sample)
        self.msg_ids = message_ids(sample)
        self.tools = tool_names(schema)

    def lines(self, values: dict[str, Any]) -> list[dict[str, Any]]:
        known = {q.name for q in self.schema.all_questions()}
        unknown = [k for k in values if k not in known and values[k] is not None]
        if unknown:
            raise OutputError(f"Sample {self.sample.id!r}: question {unknown[0]!r} is not in schema "
                              f"{self.schema.name!r}, so it has no Labelbox feature.")
        out = []
        for q in self.schema.questions:
            v = values.get(q.name)
            if v is None:
                continue
            if q.type == "span":
                out += [self.entity(q, span) for span in v]
            elif q.per_candidate:
                for cid, sub in v.items():
                    if sub is not None:
                        out.append({**self.classification(q, sub, values, cid), "messageId": self.titles[cid]})
            else:
                out.append(self.classification(q, v, values, None))
        return out

    def answer_name(self, q: Question, v: Any) -> str:
        if q.options_from_candidates and v in self.titles:
            return self.titles[v]
        return _fmt(v)

    def classification(self, q: Question, v: Any, values: dict[str, Any], cid: str | None) -> dict[str, Any]:
        if q.type == "single_choice":
            return {"name": q.name, "answer": self.choice(q, v, values, cid)}
        if q.type == "multi_choice":
            return {"name": q.name, "answer": [self.choice(q, x, values, cid) for x in v]}
        if q.type == "rating" and _rating_values(q) is not None:
            return {"name": q.name, "answer": {"name": _fmt(v)}}
        if q.type == "ranking":
            return {"name": q.name, "answer": RANK_SEP.join(self.answer_name(q, x) for x in v)}
        return {"name": q.name, "answer": _fmt(v)}

    def choice(self, q: Question, v: Any, values: dict[str, Any], cid: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.answer_name(q, v)}
        nested = []
        for value, f in q.followups():
            if value != v:
                continue
            fv = values.get(f.name)
            if cid is not None:
                fv = fv.get(cid) if isinstance(fv, dict) else None
            if fv is not None:
                nested.append(self.classification(f, fv, values, cid))
        if nested:
            out["classifications"] = nested
        return out

    def entity(self, q: Question, span: dict[str, Any]) -> dict[str, Any]:
        fld = str(span["field"])
        if fld == "prompt":
            mid = self.msg_ids[_last_user(self.sample)]
        elif fld.startswith("prompt."):
            mid = self.msg_ids[int(fld.split(".", 1)[1])]
        elif fld.startswith("candidates."):
            mid = self.titles[fld.split(".", 1)[1]]
        else:
            raise OutputError(f"Sample {self.sample.id!r}: span field {fld!r} has no Labelbox message.")
        out: dict[str, Any] = {"name": self.tools[(q.name, span["label"])],
                               "location": {"start": int(span["start"]), "end": int(span["end"]) - 1},
                               "messageId": mid}
        asked = {f.name: f for value, f in q.followups() if value == span["label"]}
        nested = [self.classification(asked[k], v, {}, None) for k, v in (span.get("values") or {}).items()
                  if k in asked and v is not None]
        if nested:
            out["classifications"] = nested
        return out


# ---------------------------------------------------------------------- NDJSON -> values
class _Reader:
    def __init__(self, schema: AnnotationSchema | None, sample: DataSample) -> None:
        self.schema, self.sample = schema, sample
        self.by_title = {t: cid for cid, t in candidate_titles(sample).items()}
        self.msg_index = {m: i for i, m in enumerate(message_ids(sample))}
        self.tools = {v: k for k, v in tool_names(schema).items()} if schema else {}

    def question(self, name: str) -> Question | None:
        if self.schema is None:
            return None
        try:
            return self.schema.question(name)
        except LabelloopError:
            return None

    def field(self, mid: Any) -> str | None:
        if mid is None:
            return None
        mid = str(mid)
        if mid in self.by_title:
            return f"candidates.{self.by_title[mid]}"
        if mid in self.msg_index:
            i = self.msg_index[mid]
            return "prompt" if i == _last_user(self.sample) else f"prompt.{i}"
        return None

    def values(self, lines: list[dict[str, Any]], where: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for line in lines:
            if "location" in line:
                self.entity(line, values, where)
                continue
            name = str(line.get("name") or "")
            if not name:
                raise FormatError(f"{where}: an annotation has no 'name' (feature name); schemaId alone needs the "
                                  "project's ontology, which labelloop reads by name.")
            mid = line.get("messageId")
            key = None
            if mid is not None:
                fld = self.field(mid)
                if fld is None:
                    raise FormatError(f"{where}: messageId {mid!r} of {name!r} is neither a message nor a model "
                                      f"output of data row {self.sample.id!r}.")
                key = fld.split(".", 1)[1] if fld.startswith("candidates.") else (
                    fld if fld != "prompt" else f"prompt.{_last_user(self.sample)}")
            self.classification(name, line.get("answer", line.get("answers")), values, key, where)
        for v in values.values():
            if isinstance(v, list) and v and isinstance(v[0], dict) and "field" in v[0]:
                v.sort(key=lambda s: (s["field"], s["start"], s["end"], s["label"]))
        return values

    def classification(self, name: str, answer: Any, values: dict[str, Any], key: str | None, where: str) -> None:
        q = self.question(name)
        value = self.parse(q, answer, values, key, where, name)
        if key is not None:
            values.setdefault(name, {})[key] = value
        else:
            values[name] = value

    def parse(self, q: Question | None, answer: Any, values: dict[str, Any], key: str | None, where: str,
              name: str) -> Any:
        if isinstance(answer, list):
            out = [self.choice(q, a, values, key, where) for a in answer]
            if q is not None and q.type == "single_choice" and len(out) == 1:
                return out[0]
            return out
        if isinstance(answer, dict):
            picked = self.choice(q, answer, values, key, where)
            return [picked] if q is not None and q.type == "multi_choice" else picked
        if not isinstance(answer, str):
            raise FormatError(f"{where}: answer of {name!r} is {answer!r}, not text, an option or a list of options.")
        if q is not None and q.type == "ranking":
            return [self.option_value(q, x) for x in answer.split(RANK_SEP)] if answer else []
        if q is not None and q.type == "rating":
            return _num(float(answer))
        return answer

    def option_value(self, q: Question | None, name: str) -> Any:
        if q is None:
            return name
        if q.options_from_candidates and name in self.by_title:
            return self.by_title[name]
        if q.type == "rating":
            return _num(float(name))
        return name

    def choice(self, q: Question | None, answer: Any, values: dict[str, Any], key: str | None, where: str) -> Any:
        if not isinstance(answer, dict) or "name" not in answer:
            raise FormatError(f"{where}: option {answer!r} has no 'name'.")
        for sub in answer.get("classifications") or []:
            self.classification(str(sub.get("name")), sub.get("answer", sub.get("answers")), values, key, where)
        return self.option_value(q, str(answer["name"]))

    def entity(self, line: dict[str, Any], values: dict[str, Any], where: str) -> None:
        tool = str(line.get("name") or "")
        qname, label = self.tools.get(tool, ("entities", tool))
        loc = line.get("location") or {}
        if "start" not in loc or "end" not in loc:
            raise FormatError(f"{where}: entity {tool!r} needs location.start and location.end.")
        mid = line.get("messageId")
        fld = self.field(mid) if mid is not None else "prompt"
        if fld is None:
            raise FormatError(f"{where}: messageId {mid!r} of entity {tool!r} is not in data row {self.sample.id!r}.")
        span: dict[str, Any] = {"field": fld, "start": int(loc["start"]), "end": int(loc["end"]) + 1, "label": label}
        if line.get("classifications"):
            inner: dict[str, Any] = {}
            for sub in line["classifications"]:
                self.classification(str(sub.get("name")), sub.get("answer", sub.get("answers")), inner, None, where)
            span["values"] = inner
        values.setdefault(qname, []).append(span)


# ---------------------------------------------------------------------- data rows
def row_data(sample: DataSample) -> dict[str, Any]:
    """A sample as Labelbox conversational JSON: the prompt as messages, the candidates as model outputs."""
    ids = message_ids(sample)
    last_user = _last_user(sample)
    messages = [{"messageId": ids[i], "content": m.content,
                 "user": {"userId": m.role, "name": ROLE_NAMES.get(m.role, m.role)},
                 "align": "right" if m.role == "user" else "left", "canLabel": i == last_user}
                for i, m in enumerate(sample.prompt)]
    titles = candidate_titles(sample)
    outputs = [{"title": titles[c.id], "content": c.content, "modelConfigName": c.model or ""}
               for c in sample.candidates]
    return {"type": CONVERSATIONAL, "version": 1, "messages": messages, "modelOutputs": outputs}


def _role(user: Any) -> str:
    text = ""
    if isinstance(user, dict):
        text = str(user.get("userId") or user.get("name") or "")
    elif user is not None:
        text = str(user)
    low = text.strip().lower()
    if low in ("user", "human") or low.startswith(("user", "human", "customer")):
        return "user"
    if low.startswith("system"):
        return "system"
    return "assistant"


def sample_from_row(data: dict[str, Any], global_key: str | None) -> DataSample:
    messages = data.get("messages") or []
    if not isinstance(messages, list):
        raise RowError("'messages' is not a list")
    prompt, ids = [], []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or "content" not in m:
            raise RowError(f"message {i} has no 'content'")
        prompt.append(Message(role=_role(m.get("user")), content=str(m["content"])))
        ids.append(str(m.get("messageId", f"message-{i}")))
    cands = []
    for i, o in enumerate(data.get("modelOutputs") or []):
        if not isinstance(o, dict) or "content" not in o:
            raise RowError(f"model output {i} has no 'content'")
        title = str(o.get("title") or default_title(i))
        meta = {} if title == default_title(i) else {"labelbox_title": title}
        cands.append(Candidate(id=str(i), content=str(o["content"]), model=o.get("modelConfigName") or None,
                               metadata=meta))
    meta: dict[str, Any] = {}
    if ids != [f"message-{i}" for i in range(len(ids))]:
        meta["labelbox"] = {"message_ids": ids}
    sid = global_key if global_key else content_id(prompt, cands)
    return DataSample(id=str(sid), prompt=prompt, candidates=cands, metadata=meta)


# ---------------------------------------------------------------------- the format
def _siblings(path: Path) -> dict[str, Any]:
    stem = path.stem
    def order(p: Path) -> tuple[str, int]:  # lb.labels, lb.labels-2, … lb.labels-10 in round order
        m = re.match(r"^(.*?)(?:-(\d+))?\.ndjson$", p.name)
        return (m.group(1), int(m.group(2) or 1)) if m else (p.name, 0)

    found: dict[str, Any] = {"ndjson": sorted((p for p in path.parent.glob(f"{stem}.*.ndjson") if p != path),
                                              key=order)}
    for key, name in (("ontology", f"{stem}.ontology.json"), ("sidecar", f"{stem}.labelloop.json")):
        p = path.with_name(name)
        found[key] = p if p.is_file() else None
    return found


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read {path}: {exc}.") from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"{path}:{exc.lineno}: malformed JSON ({exc.msg}).") from None


def read_ndjson(path: Path) -> dict[str, list[tuple[dict[str, Any], str]]]:
    """Annotation lines of one import file, grouped by data row (global key, or data row id)."""
    groups: dict[str, list[tuple[dict[str, Any], str]]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Cannot read {path}: {exc}.") from None
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FormatError(f"{where}: malformed JSON ({exc.msg}).") from None
        row = obj.get("dataRow") if isinstance(obj, dict) else None
        if not isinstance(row, dict) or not (row.get("globalKey") or row.get("id")):
            raise FormatError(f"{where}: the annotation has no dataRow.globalKey or dataRow.id.")
        groups.setdefault(str(row.get("globalKey") or row.get("id")), []).append((obj, where))
    return groups


@register
class LabelboxFormat(Format):
    name = "labelbox"
    description = ("Labelbox conversational data rows (messages, modelOutputs) with NDJSON pre-labels (MAL) and "
                   "ground truth, and the ontology")
    can_write = True
    priority = 35

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._schema: AnnotationSchema | None = options.get("schema")
        self._files: list[tuple[Path, dict[str, list[tuple[dict[str, Any], str]]]]] = []
        self._sidecar: dict[str, Any] = {}

    # reading -------------------------------------------------------------------------
    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        if {"row_data", "global_key"} <= columns or "data_row" in columns or "modelOutputs" in columns:
            return True
        msgs = (first or {}).get("messages")
        return isinstance(msgs, list) and bool(msgs) and isinstance(msgs[0], dict) and "messageId" in msgs[0]

    def required_columns(self) -> tuple[str, ...]:
        return ()

    def begin(self, source: Any) -> None:
        desc = str(source.description or "")
        path = Path(desc)
        if desc.startswith("hf:") or not path.is_file():
            return
        found = _siblings(path)
        if found["sidecar"] is not None:
            self._sidecar = _read_json(found["sidecar"]) or {}
            if self._schema is None and self._sidecar.get("schema"):
                self._schema = AnnotationSchema.model_validate(self._sidecar["schema"])
            if source.header is None:
                source.header = {"name": self._sidecar.get("name"), "metadata": self._sidecar.get("metadata") or {}}
        if self._schema is None and found["ontology"] is not None:
            self._schema = schema_from_ontology(_read_json(found["ontology"]), str(found["ontology"]))
        self._files = [(p, read_ndjson(p)) for p in found["ndjson"]]

    def schema(self) -> AnnotationSchema | None:
        return self._schema

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        if isinstance(row.get("data_row"), dict):  # Labelbox export shape
            row = row["data_row"]
        gk = scalar(row.get("global_key") or row.get("globalKey") or row.get("id"))
        data = _loads_if_json(row.get("row_data")) if "row_data" in row else row
        if isinstance(data, str):
            raise RowError(f"row_data of {gk!r} is {data[:80]!r}, a link labelloop cannot fetch; download the "
                           "conversational JSON and give it inline")
        if not isinstance(data, dict):
            raise RowError("row_data is not conversational JSON")
        sample = sample_from_row(data, str(gk) if gk is not None else None)
        stored = (self._sidecar.get("samples") or {}).get(sample.id)
        if isinstance(stored, dict):
            sample = _restore(sample, stored)
        sample.annotations = self.annotations_for(sample, str(gk) if gk is not None else sample.id)
        return [sample]

    def annotations_for(self, sample: DataSample, key: str) -> list[Annotation]:
        reader = _Reader(self._schema, sample)
        authors = self._sidecar.get("annotations") or {}
        out: list[tuple[int, Annotation]] = []
        seen: set[str] = set()
        for path, groups in self._files:
            ref = f"{path.name}#{key}"
            seen.add(ref)
            lines = groups.get(key)
            author = authors.get(ref)
            if not lines and author is None:
                continue
            values = reader.values([ln for ln, _ in lines or []], lines[0][1] if lines else str(path))
            ann = _annotation(path, values, author)
            out.append((int(author.get("index", len(out))) if author else 10**6 + len(out), ann))
        for ref, author in authors.items():  # annotations with no lines (skipped, empty) whose file is gone
            if ref.endswith(f"#{key}") and ref not in seen:
                out.append((int(author.get("index", 0)), _annotation(Path(ref.split("#")[0]), {}, author)))
        return [a for _, a in sorted(out, key=lambda t: t[0])]

    # writing -------------------------------------------------------------------------
    def write(self, dataset: Dataset, path: Path) -> int:
        """The data rows at ``path``; pre-labels, ground truth, ontology and sidecar beside it."""
        path = Path(path)
        if not dataset.samples:
            raise OutputError(f"Dataset {dataset.name!r} has no samples to write for Labelbox.")
        dataset.check_unique_ids()
        schema = self._schema or dataset.schema
        if schema is None and any(s.annotations for s in dataset.samples):
            raise OutputError(f"Dataset {dataset.name!r} carries no schema, so its labels have no Labelbox features; "
                              "convert it with a template first.")
        files: dict[str, list[str]] = {}
        sidecar: dict[str, Any] = {"name": dataset.name, "metadata": dataset.metadata,
                                   "schema": schema.model_dump(mode="json") if schema else None,
                                   "samples": {}, "annotations": {}}
        rows = []
        for s in dataset.samples:
            rows.append(json.dumps({"global_key": s.id, "row_data": row_data(s), "media_type": "CONVERSATIONAL"},
                                   ensure_ascii=False))
            sidecar["samples"][s.id] = {"candidates": [{"id": c.id, "metadata": c.metadata} for c in s.candidates],
                                        "metadata": s.metadata}
            rounds = {"mal": 0, "labels": 0}
            writer = _Writer(schema, s) if s.annotations else None  # type: ignore[arg-type]
            for index, ann in enumerate(s.annotations):
                kind = "mal" if ann.kind == "prediction" else "labels"
                rounds[kind] += 1
                fname = f"{path.stem}.{kind}{'' if rounds[kind] == 1 else f'-{rounds[kind]}'}.ndjson"
                for k, line in enumerate(writer.lines(ann.values)):  # type: ignore[union-attr]
                    line = {"uuid": str(uuid.uuid5(UUID_NS, f"{s.id}\x00{index}\x00{k}")), **line,
                            "dataRow": {"globalKey": s.id}}
                    files.setdefault(fname, []).append(json.dumps(line, ensure_ascii=False))
                files.setdefault(fname, [])
                sidecar["annotations"][f"{fname}#{s.id}"] = {
                    "index": index, **ann.model_dump(mode="json", exclude={"values"})}
        with atomic_open(path) as fh:
            fh.write("\n".join(rows) + "\n")
        for fname, lines in sorted(files.items()):
            with atomic_open(path.with_name(fname)) as fh:
                fh.write("".join(x + "\n" for x in lines))
        if schema is not None:
            write_ontology(schema, path.with_name(f"{path.stem}.ontology.json"),
                           max(len(s.candidates) for s in dataset.samples))
        with atomic_open(path.with_name(f"{path.stem}.labelloop.json")) as fh:
            json.dump(sidecar, fh, ensure_ascii=False, indent=1)
        return len(rows)


def _restore(sample: DataSample, stored: dict[str, Any]) -> DataSample:
    cands = stored.get("candidates") or []
    if len(cands) == len(sample.candidates):
        sample.candidates = [c.model_copy(update={"id": str(x["id"]), "metadata": x.get("metadata") or {}})
                             for c, x in zip(sample.candidates, cands)]
    sample.metadata = dict(stored.get("metadata") or {})
    return sample


def _annotation(path: Path, values: dict[str, Any], author: dict[str, Any] | None) -> Annotation:
    if author:
        data = {k: v for k, v in author.items() if k != "index"}
        return Annotation.model_validate({**data, "values": values})
    mal = re.search(r"(^|[._-])mal([._-]|$)", path.name.lower()) is not None
    return Annotation(annotator=f"labelbox:{path.stem}", kind="prediction" if mal else "human", values=values,
                      model_version=path.stem if mal else None, origin="labelbox")


def write_ontology(schema: AnnotationSchema, out: str | Path, n_candidates: int = 2) -> Path:
    """Write the Labelbox ontology for ``schema`` as JSON (atomically)."""
    out = Path(out)
    with atomic_open(out) as fh:
        json.dump(ontology_from_schema(schema, n_candidates), fh, ensure_ascii=False, indent=2)
    return out


__all__ = ["LabelboxFormat", "ontology_from_schema", "schema_from_ontology", "write_ontology", "row_data",
           "sample_from_row", "read_ndjson", "GT_KINDS"]
