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
from labelloop.data.schema import AnnotationSchema, Question
from labelloop.errors import FormatError, InputFileError, LabelloopError, OutputError
from labelloop.formats.labelbox.ontology import (
    NAME_DIGITS,
    RANK_SEP,
    answer_text,
    candidate_titles,
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
            else:
                out.append(self.classification(q, v, values, None))
        return out

    def answer_name(self, q: Question, v: Any) -> str:
        if q.options_from_candidates and v in self.titles:
            return self.titles[v]
        return answer_text(v)

    def classification(self, q: Question, v: Any, values: dict[str, Any], cid: str | None) -> dict[str, Any]:
        if q.type == "single_choice":
            return {"name": q.name, "answer": self.choice(q, v, values, cid)}
        if q.type == "multi_choice":
            return {"name": q.name, "answer": [self.choice(q, x, values, cid) for x in v]}
        if q.type == "rating" and rating_values(q) is not None:
            return {"name": q.name, "answer": {"name": answer_text(v)}}
        if q.type == "ranking":
            return {"name": q.name, "answer": RANK_SEP.join(self.answer_name(q, x) for x in v)}
        return {"name": q.name, "answer": answer_text(v)}

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
            mid = self.msg_ids[last_user(self.sample)]
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


class NDJSONReader:
    """One data row's annotation lines back to values; without a schema, answers are kept by feature name."""

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
            return "prompt" if i == last_user(self.sample) else f"prompt.{i}"
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
                    fld if fld != "prompt" else f"prompt.{last_user(self.sample)}")
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
            return plain_number(answer, NAME_DIGITS)
        return answer

    def option_value(self, q: Question | None, name: str) -> Any:
        if q is None:
            return name
        if q.options_from_candidates and name in self.by_title:
            return self.by_title[name]
        if q.type == "rating":
            return plain_number(name, NAME_DIGITS)
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
