"""Labelbox's NDJSON annotation lines, both ways: a sample's values to import lines, and lines read back to values.

A question's name is the feature's name; radio, checklist and free text answers, message-scoped (per-candidate)
classifications, NER entities with an inclusive ``end`` and nested classifications are mapped as the package
docstring describes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from labelloop.data.model import DataSample
from labelloop.data.numbers import plain_number
from labelloop.data.schema import AnnotationSchema, Question, ranking_tiers
from labelloop.errors import FormatError, InputFileError, LabelloopError, OutputError
from labelloop.formats.labelbox.ontology import (
    NAME_DIGITS,
    RANK_SEP,
    TIE_SEP,
    about_prompt,
    answer_text,
    candidate_titles,
    feature_name,
    last_user,
    message_ids,
    rating_values,
    tool_names,
)


# ---------------------------------------------------------------------- values -> NDJSON
class NDJSONWriter:
    """One sample's annotation values as NDJSON import lines (without ``dataRow`` and ``uuid``)."""

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
            elif about_prompt(q):
                out.append({**self.classification(q, v, values, None),
                            "messageId": self.msg_ids[last_user(self.sample)]})
            else:
                out.append(self.classification(q, v, values, None))
        return out

    def answer_name(self, q: Question, v: Any) -> str:
        if q.options_from_candidates and v in self.titles:
            return self.titles[v]
        return answer_text(v)

    def classification(self, q: Question, v: Any, values: dict[str, Any], cid: str | None,
                       parent: str | None = None) -> dict[str, Any]:
        name = feature_name(q, parent)
        if q.type == "single_choice":
            return {"name": name, "answer": self.choice(q, v, values, cid)}
        if q.type == "multi_choice":
            return {"name": name, "answer": [self.choice(q, x, values, cid) for x in v]}
        if q.type == "rating" and rating_values(q) is not None:
            return {"name": name, "answer": {"name": answer_text(v)}}
        if q.type == "ranking":
            return {"name": name, "answer": RANK_SEP.join(TIE_SEP.join(self.answer_name(q, x) for x in tier)
                                                          for tier in ranking_tiers(v))}
        return {"name": name, "answer": answer_text(v)}

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
                nested.append(self.classification(f, fv, values, cid, parent=q.name))
        if nested:
            out["classifications"] = nested
        return out

    def entity(self, q: Question, span: dict[str, Any]) -> dict[str, Any]:
        fld = str(span["field"])
        if fld == "prompt":
            mid = self.msg_ids[last_user(self.sample)]
        elif fld.startswith("prompt."):
            mid = self.msg_ids[int(fld.split(".", 1)[1])]
        elif fld.startswith("candidates."):
            mid = self.titles[fld.split(".", 1)[1]]
        else:
            raise OutputError(f"Sample {self.sample.id!r}: span field {fld!r} has no Labelbox message.")
        tool = self.tools[(q.name, span["label"])]
        out: dict[str, Any] = {"name": tool,
                               "location": {"start": int(span["start"]), "end": int(span["end"]) - 1},
                               "messageId": mid}
        asked = {f.name: f for value, f in q.followups() if value == span["label"]}
        nested = [self.classification(asked[k], v, {}, None, parent=tool) for k, v in (span.get("values") or {}).items()
                  if k in asked and v is not None]
        if nested:
            out["classifications"] = nested
        return out


class NDJSONReader:
    """One data row's annotation lines back to values; without a schema, answers are kept by feature name.

    A message-scoped answer on a model output is that candidate's (``{candidate id: value}``); on the prompt's
    labelled message (the last user turn) it is the question's plain value; on another prompt message it is
    kept as the line itself in ``other_lines`` (the annotation's ``metadata.labelbox.other_lines``), which
    writing puts back.
    """

    def __init__(self, schema: AnnotationSchema | None, sample: DataSample) -> None:
        self.schema, self.sample = schema, sample
        self.by_title = {t: cid for cid, t in candidate_titles(sample).items()}
        models = [c.model for c in sample.candidates if c.model]
        self.by_model = {c.model: c.id for c in sample.candidates if c.model and models.count(c.model) == 1}
        self.msg_index = {m: i for i, m in enumerate(message_ids(sample))}
        self.tools = {v: k for k, v in tool_names(schema).items()} if schema else {}
        self.other_lines: list[dict[str, Any]] = []

    def question(self, name: str, parent: str | None = None) -> Question | None:
        if self.schema is None:
            return None
        for candidate in ([f"{parent}/{name}"] if parent else []) + [name]:
            try:
                return self.schema.question(candidate)
            except LabelloopError:
                continue
        return None

    def key_of(self, name: str, parent: str | None = None) -> str:
        """The question name a (nested) feature answers under: ``parent/name`` when the schema renamed it."""
        q = self.question(name, parent)
        return q.name if q is not None else name

    def field(self, mid: Any) -> str | None:
        if mid is None:
            return None
        mid = str(mid)
        if mid in self.by_title:
            return f"candidates.{self.by_title[mid]}"
        if mid in self.msg_index:
            i = self.msg_index[mid]
            return "prompt" if i == last_user(self.sample) else f"prompt.{i}"
        return None

    def values(self, lines: list[dict[str, Any]], where: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        self.other_lines = []
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
                if fld.startswith("prompt."):  # not the labelled message: kept as it is, written back as it was
                    self.other_lines.append({k: v for k, v in line.items() if k not in ("dataRow", "uuid")})
                    continue
                q = self.question(name)
                if fld == "prompt" and q is not None and q.per_candidate:
                    raise FormatError(f"{where}: {name!r} answers prompt message {mid!r}, but the schema asks it "
                                      "about each answer (per candidate).")
                if fld.startswith("candidates."):
                    key = fld.split(".", 1)[1]
            self.classification(name, line.get("answer", line.get("answers")), values, key, where)
        for v in values.values():
            if isinstance(v, list) and v and isinstance(v[0], dict) and "field" in v[0]:
                v.sort(key=lambda s: (s["field"], s["start"], s["end"], s["label"]))
        return values

    def classification(self, name: str, answer: Any, values: dict[str, Any], key: str | None, where: str,
                       parent: str | None = None) -> None:
        q = self.question(name, parent)
        qname = q.name if q is not None else name
        value = self.parse(q, answer, values, key, where, qname)
        if key is not None:
            values.setdefault(qname, {})[key] = value
        else:
            values[qname] = value

    def parse(self, q: Question | None, answer: Any, values: dict[str, Any], key: str | None, where: str,
              name: str) -> Any:
        if isinstance(answer, list):
            out = [self.choice(q, a, values, key, where, name) for a in answer]
            if q is not None and q.type == "single_choice" and len(out) == 1:
                return out[0]
            return out
        if isinstance(answer, dict):
            picked = self.choice(q, answer, values, key, where, name)
            return [picked] if q is not None and q.type == "multi_choice" else picked
        if not isinstance(answer, str):
            raise FormatError(f"{where}: answer of {name!r} is {answer!r}, not text, an option or a list of options.")
        if q is not None and q.type == "ranking":
            if not answer:
                return []
            tiers = [[self.option_value(q, x) for x in place.split(TIE_SEP)] for place in answer.split(RANK_SEP)]
            return [t[0] if len(t) == 1 else t for t in tiers]
        if q is not None and q.type == "rating":
            return plain_number(answer, NAME_DIGITS)
        return answer

    def option_value(self, q: Question | None, name: str) -> Any:
        if q is None:
            return name
        if q.options_from_candidates and name not in {o.value for o in q.options}:
            if name in self.by_title:
                return self.by_title[name]
            if name in self.by_model:
                return self.by_model[name]
        if q.type == "rating":
            return plain_number(name, NAME_DIGITS)
        return name

    def choice(self, q: Question | None, answer: Any, values: dict[str, Any], key: str | None, where: str,
               parent: str) -> Any:
        if not isinstance(answer, dict) or "name" not in answer:
            raise FormatError(f"{where}: option {answer!r} has no 'name'.")
        for sub in answer.get("classifications") or []:
            self.classification(str(sub.get("name")), sub.get("answer", sub.get("answers")), values, key, where,
                                parent=parent)
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
                self.classification(str(sub.get("name")), sub.get("answer", sub.get("answers")), inner, None, where,
                                    parent=tool)
            span["values"] = inner
        values.setdefault(qname, []).append(span)


# ---------------------------------------------------------------------- Export v2 -> NDJSON lines
def export_lines(annotations: Any, where: str) -> list[dict[str, Any]]:
    """One label's ``annotations`` of a Labelbox project export (``objects`` and ``classifications``, Export v2)
    as the NDJSON import lines the reader takes: the same feature names, answers and message ids."""
    if not isinstance(annotations, dict):
        raise FormatError(f"{where}: a label's 'annotations' is not an object.")
    out = []
    for obj in annotations.get("objects") or []:
        loc = (obj.get("conversational_location") or {}) if isinstance(obj, dict) else {}
        span = loc.get("location") or obj.get("location") if isinstance(obj, dict) else None
        if not isinstance(span, dict):
            raise FormatError(f"{where}: object {obj.get('name') if isinstance(obj, dict) else obj!r} has no "
                              "conversational_location (labelloop reads entities of conversations).")
        line: dict[str, Any] = {"name": obj.get("name"), "location": {"start": span.get("start"),
                                                                       "end": span.get("end")}}
        if loc.get("message_id") is not None:
            line["messageId"] = loc["message_id"]
        nested = [_export_classification(c, where) for c in obj.get("classifications") or []]
        if nested:
            line["classifications"] = nested
        out.append(line)
    out += [_export_classification(c, where) for c in annotations.get("classifications") or []]
    return out


def _export_classification(c: Any, where: str) -> dict[str, Any]:
    if not isinstance(c, dict) or not c.get("name"):
        raise FormatError(f"{where}: a classification has no 'name'.")
    line: dict[str, Any] = {"name": c["name"]}
    if c.get("message_id") is not None:
        line["messageId"] = c["message_id"]
    for key in ("radio_answer", "conversational_radio_answer"):
        if isinstance(c.get(key), dict):
            line["answer"] = _export_answer(c[key], where)
            return line
    for key in ("checklist_answers", "conversational_checklist_answers"):
        if isinstance(c.get(key), list):
            line["answer"] = [_export_answer(a, where) for a in c[key]]
            return line
    for key in ("text_answer", "conversational_text_answer"):
        if isinstance(c.get(key), dict):
            line["answer"] = str(c[key].get("content") or "")
            return line
    raise FormatError(f"{where}: classification {c['name']!r} has no radio_answer, checklist_answers or text_answer.")


def _export_answer(a: Any, where: str) -> dict[str, Any]:
    if not isinstance(a, dict) or not a.get("name"):
        raise FormatError(f"{where}: an answer has no 'name'.")
    out: dict[str, Any] = {"name": a["name"]}
    nested = [_export_classification(c, where) for c in a.get("classifications") or []]
    if nested:
        out["classifications"] = nested
    return out


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
