"""Label Studio templates: a schema, its label config (XML), and results converted both ways.

Candidates are shown at screen positions A, B, C, …; each task's data keeps ``labelloop_order``,
the candidate id at each position, so values read back are candidate ids whatever order a person
saw. A template is a class in the ``LS_TEMPLATES`` registry; ``SchemaTemplate`` turns any
``AnnotationSchema`` into a label config, and a custom template overrides what it needs::

    @register_template("my-template")
    class MyTemplate(SchemaTemplate):
        def default_schema(self):
            return load_schema("my-schema.yaml")

The label config carries the template name and schema in an XML comment, so a project read back
from Label Studio describes itself and pulling needs only the project id.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import quoteattr

from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.data.schema import AnnotationSchema, Question, schema_from_dict
from labelloop.errors import SchemaError
from labelloop.formats.schemas import load_schema
from labelloop.registry import Registry

LS_TEMPLATES: Registry[type[LabelStudioTemplate]] = Registry("Label Studio template")
META_RE = re.compile(r"<!--\s*labelloop:(.*?)-->", re.S)
ORDER_KEY = "labelloop_order"
ID_KEY = "labelloop_id"
PREVIEW_CHARS = 160


def register_template(name: str) -> Callable[[type[LabelStudioTemplate]], type[LabelStudioTemplate]]:
    """Class decorator: ``@register_template("name")`` makes ``--template name`` use the class."""

    def deco(cls: type[LabelStudioTemplate]) -> type[LabelStudioTemplate]:
        cls.name = name
        LS_TEMPLATES.register(name, cls)
        return cls

    return deco


def position_label(i: int) -> str:
    """A, B, …, Z, AA, AB, … — the name of screen position ``i``."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def position_index(label: str) -> int | None:
    if not label or not label.isascii() or not label.isupper() or not label.isalpha():
        return None
    n = 0
    for ch in label:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _number(v: Any) -> int | float:
    f = float(v)
    return int(f) if f.is_integer() else f


def _js_to_py(text: str, offset: int) -> int:
    """A JavaScript (UTF-16) string offset as a Python character offset."""
    units = 0
    for i, ch in enumerate(text):
        if units >= offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def _py_to_js(text: str, offset: int) -> int:
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text[:offset])


@dataclass
class Control:
    """One Label Studio control tag and how its result maps to a question's value."""

    name: str
    question: Question
    tag: str  # choices | rating | number | textarea | ranker | labels
    to_name: str
    position: int | None = None  # per-candidate controls: the screen position
    field_name: str | None = None  # span controls: "prompt" or None for a candidate position
    choices: dict[str, Any] = field(default_factory=dict)  # display text -> option value or ("pos", i)
    when: tuple[str, str] | None = None  # follow-ups: shown when control ``when[0]`` has choice ``when[1]``
    region_label: str | None = None  # questions about a span: asked per region of this label text


class LabelStudioTemplate:
    """Base class: what a template gives. Subclass ``SchemaTemplate`` for schema-driven layouts."""

    name = "base"

    def __init__(self, schema: AnnotationSchema | None = None) -> None:
        self.schema = schema if schema is not None else self.default_schema()

    def default_schema(self) -> AnnotationSchema:
        raise SchemaError(f"Label Studio template {self.name!r} needs a schema.")

    def label_config(self, n_candidates: int, *, context: bool = False, uniform: bool = True) -> str:
        raise NotImplementedError

    def task_data(self, sample: DataSample, order: Sequence[str], n_candidates: int, *,
                  context: bool = False) -> dict[str, Any]:
        raise NotImplementedError

    def to_result(self, values: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError

    def process_annotations(self, result: list[dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    # ------------------------------------------------------------------ shared helpers
    def metadata_comment(self) -> str:
        payload = json.dumps({"template": self.name, "schema": self.schema.model_dump(mode="json")},
                             ensure_ascii=False, separators=(",", ":"))
        return "<!-- labelloop:" + payload.replace("--", "-\\u002d") + " -->"

    def sample_from_task(self, data: dict[str, Any]) -> DataSample:
        """A sample rebuilt from task data alone, for pulls without the pushed dataset."""
        order = list(data.get(ORDER_KEY) or [])
        prompt = [Message(role="user", content=str(data.get("prompt", "")))]
        cands = [Candidate(id=cid, content=str(data.get(f"answer_{position_label(i)}", "")))
                 for i, cid in enumerate(order)]
        return DataSample(id=str(data.get(ID_KEY)), prompt=prompt, candidates=cands)


def template_from_config(label_config: str) -> LabelStudioTemplate | None:
    """The template a label config was made by, from its labelloop comment (None if absent)."""
    m = META_RE.search(label_config or "")
    if not m:
        return None
    meta = json.loads(m.group(1))
    schema = schema_from_dict(meta["schema"], source="label config")
    name = meta.get("template")
    cls = LS_TEMPLATES.get(name) if name in LS_TEMPLATES else SchemaTemplate
    tpl = cls(schema)
    if cls is SchemaTemplate:
        tpl.name = name or "generic"
    return tpl


def get_template(name_or_schema: str | AnnotationSchema) -> LabelStudioTemplate:
    """A registered template, or the generic one over a schema (object, template name or file)."""
    if isinstance(name_or_schema, AnnotationSchema):
        tpl = SchemaTemplate(name_or_schema)
        tpl.name = name_or_schema.name
        return tpl
    if name_or_schema in LS_TEMPLATES:
        return LS_TEMPLATES.get(name_or_schema)()
    tpl = SchemaTemplate(load_schema(name_or_schema))
    tpl.name = str(name_or_schema) if tpl.schema.name == "custom" else tpl.schema.name
    return tpl


def template_for(dataset: Dataset) -> LabelStudioTemplate:
    """The template for a dataset: its schema's own registered layout, else the generic one, else RewardBench."""
    if dataset.schema is None:
        return get_template("rewardbench")
    if dataset.schema.name in LS_TEMPLATES:
        return LS_TEMPLATES.get(dataset.schema.name)(dataset.schema)
    return get_template(dataset.schema)


# ---------------------------------------------------------------------- the generic template
class SchemaTemplate(LabelStudioTemplate):
    """Any schema as a label config: Choices, Rating / Number, TextArea, List + Ranker, Labels.

    Per-candidate questions get one control per answer, placed under that answer.
    """

    name = "generic"

    # ------------------------------------------------------------------ controls
    def controls(self, n: int) -> list[Control]:
        out: list[Control] = []
        for q in self.schema.all_questions():
            parent = self.schema.parent_of(q.name)
            if parent is not None:
                out += self._followup_controls(q, parent[0], parent[1], n)
                continue
            if q.type == "span":
                fields = q.fields or ["prompt", "candidates"]
                if "prompt" in fields:
                    out.append(Control(f"{q.name}__prompt", q, "labels", "prompt", field_name="prompt",
                                       choices={o.text: o.value for o in q.options}))
                if any(f == "candidates" or f.startswith("candidates") for f in fields):
                    for i in range(n):
                        p = position_label(i)
                        out.append(Control(f"{q.name}_{p}", q, "labels", f"answer_{p}", position=i,
                                           choices={o.text: o.value for o in q.options}))
                for span_control in [c for c in out if c.tag == "labels" and c.question is q]:
                    for o in q.options:
                        for f in o.followups:
                            c = self._control(f, f"{f.name}__{span_control.name}", span_control.to_name, n,
                                              position=span_control.position)
                            c.region_label, c.field_name = o.text, span_control.field_name
                            out.append(c)
            elif q.per_candidate:
                for i in range(n):
                    p = position_label(i)
                    out.append(self._control(q, f"{q.name}_{p}", f"answer_{p}", n, position=i))
            else:
                to = f"{q.name}_items" if q.type == "ranking" else "prompt"
                out.append(self._control(q, q.name, to, n))
        names = [c.name for c in out]
        dup = {x for x in names if names.count(x) > 1}
        reserved = {"prompt", "context"} | {f"answer_{position_label(i)}" for i in range(n)}
        dup |= set(names) & reserved
        if dup:
            raise SchemaError(f"Schema {self.schema.name!r} gives Label Studio controls clashing names: "
                              f"{', '.join(sorted(dup))}; rename those questions.")
        return out

    def _followup_controls(self, q: Question, parent: Question, option: str, n: int) -> list[Control]:
        """A follow-up gets the control its type gives, shown only while its option is chosen."""
        text = next(o.text for o in parent.options if o.value == option)
        if q.per_candidate:
            out = []
            for i in range(n):
                p = position_label(i)
                c = self._control(q, f"{q.name}_{p}", f"answer_{p}", n, position=i)
                c.when = (f"{parent.name}_{p}", text)
                out.append(c)
            return out
        c = self._control(q, q.name, f"{q.name}_items" if q.type == "ranking" else "prompt", n)
        c.when = (parent.name, text)
        return [c]

    def _control(self, q: Question, name: str, to_name: str, n: int, position: int | None = None) -> Control:
        if q.type in ("single_choice", "multi_choice"):
            choices: dict[str, Any] = {}
            if q.options_from_candidates and position is None:
                choices.update({f"Answer {position_label(i)}": ("pos", i) for i in range(n)})
            for o in q.options:
                if o.text in choices:
                    raise SchemaError(f"Question {q.name!r}: option label {o.text!r} clashes with an answer label.")
                choices[o.text] = o.value
            return Control(name, q, "choices", to_name, position, choices=choices)
        if q.type == "rating":
            if self._star_max(q) is not None:
                return Control(name, q, "rating", to_name, position)
            if q.rubric:
                choices = {(f"{_number(r.value):g}: {r.label}" if r.label else f"{_number(r.value):g}"):
                           _number(r.value) for r in q.rubric}
                return Control(name, q, "choices", to_name, position, choices=choices)
            return Control(name, q, "number", to_name, position)
        if q.type == "ranking":
            return Control(name, q, "ranker", to_name, position)
        if q.type == "text":
            return Control(name, q, "textarea", to_name, position)
        raise SchemaError(f"Question {q.name!r} of type {q.type!r} has no Label Studio control.")  # pragma: no cover

    @staticmethod
    def _star_max(q: Question) -> int | None:
        """Ratings 1..k in steps of 1 (k ≤ 10) are stars; anything else is choices or a number."""
        if q.rubric:
            vals = sorted(float(r.value) for r in q.rubric)
            k = len(vals)
            return k if k <= 10 and vals == [float(i) for i in range(1, k + 1)] else None
        if q.min == 1 and (q.step in (None, 1)) and q.max is not None and float(q.max).is_integer() and q.max <= 10:
            return int(q.max)
        return None

    # ------------------------------------------------------------------ label config
    def label_config(self, n_candidates: int, *, context: bool = False, uniform: bool = True) -> str:
        n = max(1, n_candidates)
        controls = self.controls(n)
        lines = ["<View>", "  " + self.metadata_comment()]
        if context:
            lines += ['  <Header value="Conversation so far" size="5"/>', '  <Text name="context" value="$context"/>']
        lines += ['  <Header value="Prompt"/>', '  <Text name="prompt" value="$prompt"/>']
        for f in self.schema.fields:
            if f.source.startswith("metadata."):
                key = _meta_name(f.source)
                lines += [f"  <Header value={quoteattr(f.title or f.name)} size=\"5\"/>",
                          f'  <Text name="{key}" value="${key}"/>']
        style = "display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-start"
        lines.append(f'  <View style="{style}">')
        for i in range(n):
            p = position_label(i)
            lines.append('    <View style="flex: 1 1 320px; border: 1px solid #ddd; border-radius: 6px; padding: 8px">')
            lines.append(f'      <Header value="Answer {p}"/>')
            lines.append(f'      <Text name="answer_{p}" value="$answer_{p}"/>')
            for c in controls:
                if c.position == i:
                    lines += ["      " + x for x in self._render(c, required_ok=uniform, per_position=True)]
            lines.append("    </View>")
        lines.append("  </View>")
        for c in controls:
            if c.position is None:
                lines += ["  " + x for x in self._render(c, required_ok=True, per_position=False)]
        lines.append("</View>")
        return "\n".join(lines)

    def _render(self, c: Control, *, required_ok: bool, per_position: bool) -> list[str]:
        if c.when is None and c.region_label is None:
            return self._render_control(c, required_ok=required_ok, per_position=per_position)
        if c.region_label is not None:  # asked about each region of one label, while that region is selected
            attrs = f'visibleWhen="region-selected" whenLabelValue={quoteattr(c.region_label)}'
        else:
            assert c.when is not None
            attrs = (f'visibleWhen="choice-selected" whenTagName={quoteattr(c.when[0])} '
                     f'whenChoiceValue={quoteattr(c.when[1])}')
        inner = self._render_control(c, required_ok=False, per_position=per_position)
        if c.region_label is not None:
            inner = [re.sub(r"^<(Choices|TextArea|Rating|Number) ", r'<\1 perRegion="true" ', x) for x in inner]
        return [f"<View {attrs}>"] + ["  " + x for x in inner] + ["</View>"]

    def _render_control(self, c: Control, *, required_ok: bool, per_position: bool) -> list[str]:
        q = c.question
        title = q.title or q.name
        req = ' required="true"' if q.required and required_ok and c.tag != "ranker" else ""
        out: list[str] = []
        if c.tag == "labels":
            head = f"{title} (prompt)" if c.field_name == "prompt" else title
            out.append(f'<Header value={quoteattr(head)} size="6"/>')
        else:
            out.append(f'<Header value={quoteattr(title)} size="{6 if per_position else 4}"/>')
        if q.description and not per_position:
            out.append(f'<Header value={quoteattr(q.description)} size="6"/>')
        name, to = quoteattr(c.name), quoteattr(c.to_name)
        if c.tag == "choices":
            multi = q.type == "multi_choice"
            kind = "multiple" if multi else "single-radio"
            layout = ' layout="inline"' if len(c.choices) <= 8 else ""
            out.append(f'<Choices name={name} toName={to} choice="{kind}"{layout}{req}>')
            out += [f"  <Choice value={quoteattr(text)}/>" for text in c.choices]
            out.append("</Choices>")
        elif c.tag == "rating":
            out.append(f'<Rating name={name} toName={to} maxRating="{self._star_max(q)}"{req}/>')
        elif c.tag == "number":
            attrs = "".join(f' {k}="{_number(v):g}"' for k, v in (("min", q.min), ("max", q.max), ("step", q.step))
                            if v is not None)
            out.append(f"<Number name={name} toName={to}{attrs}{req}/>")
        elif c.tag == "textarea":
            out.append(f'<TextArea name={name} toName={to} rows="3" maxSubmissions="1" editable="true"{req}/>')
        elif c.tag == "ranker":
            items = quoteattr(f"{q.name}_items")
            out.append(f"<List name={items} value={quoteattr('$' + q.name + '_items')} title=\"Drag to order, "
                       f'best first\"/>')
            out.append(f"<Ranker name={name} toName={items}/>")
        elif c.tag == "labels":
            out.append(f"<Labels name={name} toName={to}>")
            out += [f"  <Label value={quoteattr(text)}/>" for text in c.choices]
            out.append("</Labels>")
        return out

    # ------------------------------------------------------------------ task data
    def task_data(self, sample: DataSample, order: Sequence[str], n_candidates: int, *,
                  context: bool = False) -> dict[str, Any]:
        by_id = {c.id: c for c in sample.candidates}
        data: dict[str, Any] = {ID_KEY: sample.id, ORDER_KEY: list(order), "prompt": sample.prompt_text}
        if context:
            data["context"] = _context_text(sample) or "(no earlier turns)"
        for f in self.schema.fields:
            if f.source.startswith("metadata."):
                v = sample.metadata.get(f.source.split(".", 1)[1])
                data[_meta_name(f.source)] = "" if v is None else (v if isinstance(v, str) else json.dumps(v))
        for i in range(max(1, n_candidates)):
            data[f"answer_{position_label(i)}"] = (by_id[order[i]].content if i < len(order) else
                                                   f"(no answer {position_label(i)}: this prompt has {len(order)})")
        for q in self.schema.questions:
            if q.type == "ranking":
                items = []
                if q.options_from_candidates:
                    for i, cid in enumerate(order):
                        body = by_id[cid].content
                        body = body if len(body) <= PREVIEW_CHARS else body[:PREVIEW_CHARS] + "…"
                        items.append({"id": position_label(i), "title": f"Answer {position_label(i)}",
                                      "body": body})
                items += [{"id": f"option:{o.value}", "title": o.text, "body": o.description or ""}
                          for o in q.options]
                data[f"{q.name}_items"] = items
        return data

    # ------------------------------------------------------------------ values -> result (predictions)
    def to_result(self, values: dict[str, Any], data: dict[str, Any]) -> list[dict[str, Any]]:
        order = list(data.get(ORDER_KEY) or [])
        pos_of = {cid: i for i, cid in enumerate(order)}
        controls = self.controls(max(1, len(order)))
        by_q: dict[str, list[Control]] = {}
        for c in controls:
            by_q.setdefault(c.question.name, []).append(c)
        result: list[dict[str, Any]] = []
        for qname, value in values.items():
            if value is None or qname not in by_q:
                continue
            q = by_q[qname][0].question
            if q.type == "span":
                result += self._spans_to_result(by_q[qname], value, data, pos_of)
            elif q.per_candidate:
                if not isinstance(value, dict):
                    continue
                for cid, sub in value.items():
                    if cid in pos_of:
                        c = next(c for c in by_q[qname] if c.position == pos_of[cid])
                        result += self._value_to_result(c, sub, pos_of)
            else:
                result += self._value_to_result(by_q[qname][0], value, pos_of)
        return result

    def _value_to_result(self, c: Control, value: Any, pos_of: dict[str, int]) -> list[dict[str, Any]]:
        base = {"from_name": c.name, "to_name": c.to_name, "type": c.tag}
        if c.tag == "choices":
            wanted = value if isinstance(value, list) else [value]
            texts = []
            for v in wanted:
                for text, target in c.choices.items():
                    if (isinstance(target, tuple) and pos_of.get(v) == target[1]) or (
                            not isinstance(target, tuple) and _same(target, v)):
                        texts.append(text)
                        break
            return [{**base, "value": {"choices": texts}}] if texts else []
        if c.tag == "rating":
            return [{**base, "value": {"rating": int(value)}}]
        if c.tag == "number":
            return [{**base, "value": {"number": value}}]
        if c.tag == "textarea":
            return [{**base, "value": {"text": [str(value)]}}] if value != "" else []
        if c.tag == "ranker":
            ids = [position_label(pos_of[v]) if v in pos_of else f"option:{v}" for v in value]
            return [{**base, "value": {"ranker": {c.name: ids}}}]
        return []

    def _spans_to_result(self, controls: list[Control], spans: Any, data: dict[str, Any],
                         pos_of: dict[str, int]) -> list[dict[str, Any]]:
        out = []
        for k, span in enumerate(spans if isinstance(spans, list) else []):
            fld = str(span.get("field", ""))
            if fld == "prompt":
                c = next((c for c in controls if c.field_name == "prompt"), None)
            elif fld.startswith("candidates.") and fld.split(".", 1)[1] in pos_of:
                c = next((c for c in controls if c.position == pos_of[fld.split(".", 1)[1]]), None)
            else:
                c = None
            if c is None:
                continue
            text = str(data.get(c.to_name, ""))
            label = next((t for t, v in c.choices.items() if v == span.get("label")), span.get("label"))
            s, e = int(span["start"]), int(span["end"])
            region = {"start": _py_to_js(text, s), "end": _py_to_js(text, e), "text": text[s:e]}
            rid = f"{c.question.name}-{k}"
            out.append({"id": rid, "from_name": c.name, "to_name": c.to_name, "type": "labels",
                        "value": {**region, "labels": [label]}})
            if span.get("values"):
                regional = {x.name: x for x in self.controls(max(1, len(pos_of))) if x.region_label is not None}
                for qname, v in span["values"].items():
                    rc = regional.get(f"{qname}__{c.name}")
                    if rc is not None and v is not None:
                        out += [{**r, "id": rid, "value": {**region, **r["value"]}}
                                for r in self._value_to_result(rc, v, pos_of)]
        return out

    # ------------------------------------------------------------------ result -> values
    def process_annotations(self, result: list[dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
        """One Label Studio annotation's ``result`` as labelloop values, in candidate ids.

        Results that fit no control (an answer position the task does not have, an unknown
        control) are listed under the key ``"_unmapped"`` so nothing is silently dropped.
        """
        order = list(data.get(ORDER_KEY) or [])
        n = max(1, len(order), _positions_in(data))
        controls = {c.name: c for c in self.controls(n)}
        values: dict[str, Any] = {}
        unmapped: list[Any] = []
        spans_by_id: dict[str, dict[str, Any]] = {}
        region_answers: list[tuple[str, str, Any, dict[str, Any]]] = []
        for item in result or []:
            c = controls.get(item.get("from_name", ""))
            if c is None:
                unmapped.append(item)
                continue
            q = c.question
            value = item.get("value") or {}
            if c.tag == "labels":
                span = self._span_from_result(c, value, data, order)
                if span is None:
                    unmapped.append(item)
                else:
                    values.setdefault(q.name, []).append(span)
                    spans_by_id[str(item.get("id"))] = span
                continue
            parsed, ok = self._parse_value(c, value, order)
            if not ok:
                unmapped.append(item)
                continue
            if c.region_label is not None:  # an answer about one span: same result id as the span's region
                region_answers.append((str(item.get("id")), q.name, parsed, item))
                continue
            if c.position is not None:
                if c.position >= len(order):
                    unmapped.append(item)
                    continue
                values.setdefault(q.name, {})[order[c.position]] = parsed
            else:
                values[q.name] = parsed
        for rid, name, parsed, item in region_answers:
            if rid in spans_by_id:
                spans_by_id[rid].setdefault("values", {})[name] = parsed
            else:
                unmapped.append(item)
        for q in self.schema.questions:
            if q.type == "span" and q.name in values:
                values[q.name].sort(key=lambda s: (s["field"], s["start"], s["end"], s["label"]))
        if unmapped:
            values["_unmapped"] = unmapped
        return values

    def _parse_value(self, c: Control, value: dict[str, Any], order: list[str]) -> tuple[Any, bool]:
        q = c.question
        if c.tag == "choices":
            picked = []
            for text in value.get("choices") or []:
                if text not in c.choices:
                    return None, False
                target = c.choices[text]
                if isinstance(target, tuple):
                    if target[1] >= len(order):
                        return None, False
                    target = order[target[1]]
                picked.append(target)
            if q.type == "multi_choice":
                return picked, True
            return (picked[0], True) if len(picked) == 1 else (None, False)
        if c.tag == "rating":
            return (_number(value["rating"]), True) if "rating" in value else (None, False)
        if c.tag == "number":
            return (_number(value["number"]), True) if value.get("number") is not None else (None, False)
        if c.tag == "textarea":
            return "\n".join(str(t) for t in value.get("text") or []), True
        if c.tag == "ranker":
            ranker = value.get("ranker") or {}
            ids = ranker.get(c.name)
            if ids is None and len(ranker) == 1:
                ids = next(iter(ranker.values()))
            out = []
            for x in ids or []:
                i = position_index(str(x))
                if i is not None and i < len(order):
                    out.append(order[i])
                elif str(x).startswith("option:"):
                    out.append(str(x)[len("option:"):])
                else:
                    return None, False
            return out, True
        return None, False  # pragma: no cover

    def _span_from_result(self, c: Control, value: dict[str, Any], data: dict[str, Any],
                          order: list[str]) -> dict[str, Any] | None:
        labels = value.get("labels") or []
        if len(labels) != 1 or labels[0] not in c.choices or "start" not in value or "end" not in value:
            return None
        if c.field_name == "prompt":
            fld = "prompt"
        elif c.position is not None and c.position < len(order):
            fld = f"candidates.{order[c.position]}"
        else:
            return None
        text = str(data.get(c.to_name, ""))
        return {"field": fld, "start": _js_to_py(text, int(value["start"])), "end": _js_to_py(text, int(value["end"])),
                "label": c.choices[labels[0]]}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return float(a) == float(b)
    return a == b


def _positions_in(data: dict[str, Any]) -> int:
    return sum(1 for k in data if k.startswith("answer_") and position_index(k[7:]) is not None)


def _meta_name(source: str) -> str:
    return "meta_" + re.sub(r"[^A-Za-z0-9_]", "_", source.split(".", 1)[1])


def _context_text(sample: DataSample) -> str:
    """Every turn except the last user turn (which is shown as the prompt)."""
    last_user = max((i for i, m in enumerate(sample.prompt) if m.role == "user"), default=None)
    if last_user is None:
        return ""
    return "\n\n".join(f"{m.role}: {m.content}" for i, m in enumerate(sample.prompt) if i != last_user)


_MD_HEAD = re.compile(r"^(#{1,6})\s+(.*)$")  # closing #s stripped in Python: a lazy group before \s*#*$ backtracks
_MD_ITEM = re.compile(r"^([-*+]|\d{1,9}[.)])\s+(.*)$")


def _md_inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)


def guidelines_html(markdown: str) -> str:
    """Guidelines for Label Studio's instruction box: escaped; paragraphs, headings, lists, tables, **bold**
    and `code` kept (drafted guidelines use all of them)."""
    out: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(f"<p>{_md_inline(' '.join(para))}</p>")
            para.clear()

    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines = [ln.strip() for ln in block.strip().splitlines()]
        i = 0
        while i < len(lines):
            ln = lines[i]
            head, item = _MD_HEAD.match(ln), _MD_ITEM.match(ln)
            if head:
                flush()
                level = min(6, len(head.group(1)) + 2)
                out.append(f"<h{level}>{_md_inline(head.group(2).rstrip().rstrip('#').rstrip())}</h{level}>")
                i += 1
            elif item:
                flush()
                tag = "ol" if item.group(1)[0].isdigit() else "ul"
                items: list[str] = []
                while i < len(lines) and (m := _MD_ITEM.match(lines[i])):
                    items.append(f"<li>{_md_inline(m.group(2))}</li>")
                    i += 1
                out.append(f"<{tag}>{''.join(items)}</{tag}>")
            elif ln.startswith("|"):
                flush()
                rows: list[str] = []
                while i < len(lines) and lines[i].startswith("|"):
                    cells = [c.strip() for c in lines[i].strip("|").split("|")]
                    if not all(re.fullmatch(r":?-{2,}:?", c) for c in cells):
                        rows.append("<tr>" + "".join(f"<td>{_md_inline(c)}</td>" for c in cells) + "</tr>")
                    i += 1
                out.append(f"<table><tbody>{''.join(rows)}</tbody></table>")  # as Label Studio's sanitiser stores it
            else:
                para.append(ln)
                i += 1
        flush()
    return "\n".join(out)


# ---------------------------------------------------------------------- built-in templates
@register_template("rewardbench")
class RewardBenchTemplate(SchemaTemplate):
    """Two answers side by side: which is better (or tie / both bad), a 1–5 rating each, a comment."""

    def default_schema(self) -> AnnotationSchema:
        from labelloop.templates import TEMPLATES

        return TEMPLATES.get("rewardbench")()


@register_template("rewardbench2")
class RewardBench2Template(SchemaTemplate):
    """Best of N (N from the data): the best answer, a full ranking, ratings, correct ones, a comment."""

    def default_schema(self) -> AnnotationSchema:
        from labelloop.templates import TEMPLATES

        return TEMPLATES.get("rewardbench2")()
