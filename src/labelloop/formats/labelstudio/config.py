"""Label Studio label configs: rendered from a schema, and read whatever project made them.

Candidates are shown at screen positions A, B, C, … (``labelloop.data.positions``); each task's data keeps
``labelloop_order``, the candidate id at each position, so values read back are candidate ids whatever
order a person saw. A template is a class in the ``LS_TEMPLATES`` registry; ``SchemaTemplate`` turns any
``AnnotationSchema`` into a label config, and a custom template overrides what it needs::

    @register_template("my-template")
    class MyTemplate(SchemaTemplate):
        def default_schema(self):
            return load_schema("my-schema.yaml")

The label config carries the template name and schema in an XML comment, so a project read back from
Label Studio describes itself and pulling needs only the project id. ``read_label_config`` reads any
config, ours or another project's: its controls from the XML, its schema from our comment when it has one.
Results are read by ``formats.labelstudio.results``, the one parser for every config.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.data.numbers import compact, plain_number
from labelloop.data.positions import position_index, position_label
from labelloop.data.schema import AnnotationSchema, FieldSpec, Option, Question, schema_from_dict
from labelloop.errors import LabelloopError, SchemaError
from labelloop.formats.labelstudio.results import (
    RANKED_BUCKET,
    TIER_BUCKET,
    Control,
    parse_result,
    spans_to_result,
    tier_bucket_names,
    value_to_result,
)
from labelloop.formats.schemas import load_schema
from labelloop.markdown import to_html
from labelloop.registry import Registry
from labelloop.templates import TEMPLATES

LS_TEMPLATES: Registry[type[LabelStudioTemplate]] = Registry("Label Studio template")
META_RE = re.compile(r"<!--\s*labelloop:(.*?)-->", re.S)
ORDER_KEY = "labelloop_order"
ID_KEY = "labelloop_id"
PREVIEW_CHARS = 160
HTML_PREFIX = "html_"  # task data key of a text field's HTML rendering: html_prompt, html_answer_A, html_context
CONTEXT_TITLE = "Conversation so far"
# inline styles for the few elements labelloop.markdown.to_html makes (Label Studio's own CSS leaves them bare);
# the renderer escapes every "<" of the text, so these tags can only be its own
_STYLES = {"p": "margin: 0 0 0.6em", "pre": "background: #f4f4f4; padding: 6px 8px; border-radius: 4px; "
           "overflow-x: auto; white-space: pre-wrap; margin: 0 0 0.6em", "code": "font-family: monospace",
           "table": "border-collapse: collapse; margin: 0 0 0.6em", "th": "border: 1px solid #ccc; padding: 2px 8px",
           "td": "border: 1px solid #ccc; padding: 2px 8px",
           "blockquote": "border-left: 3px solid #ccc; margin: 0 0 0.6em; padding-left: 8px; color: #555"}
_STYLED = re.compile(r"<(" + "|".join(_STYLES) + r")(?=[ >])")
CONTROL_TAGS = {"choices", "rating", "number", "textarea", "ranker", "labels", "taxonomy"}


def register_template(name: str) -> Callable[[type[LabelStudioTemplate]], type[LabelStudioTemplate]]:
    """Class decorator: ``@register_template("name")`` makes ``--template name`` use the class."""

    def deco(cls: type[LabelStudioTemplate]) -> type[LabelStudioTemplate]:
        cls.name = name
        LS_TEMPLATES.register(name, cls)
        return cls

    return deco


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
    _keyed: str | None = None  # the control label_config gives keys 1..N

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
                choices = {compact(plain_number(r.value)) + (f": {r.label}" if r.label else ""): plain_number(r.value)
                           for r in q.rubric}
                return Control(name, q, "choices", to_name, position, choices=choices)
            return Control(name, q, "number", to_name, position)
        if q.type == "ranking" and q.ties:
            # one Bucket per place: answers dragged into the same bucket share that place (a tier)
            return Control(name, q, "ranker", to_name, position, bucket=TIER_BUCKET,
                           choices=dict(tier_bucket_names(n)))
        if q.type == "ranking":
            return Control(name, q, "ranker", to_name, position, bucket=RANKED_BUCKET)
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

    # ------------------------------------------------------------------ keys
    def key_control(self, controls: Sequence[Control]) -> Control | None:
        """The control whose choices keys 1..9 pick, as on the offline page: the first single-choice question
        about the whole task (the best answer, the preference), when it has at most nine choices."""
        for c in controls:
            if (c.tag == "choices" and c.position is None and c.when is None and c.region_label is None
                    and c.question.type == "single_choice" and 0 < len(c.choices) <= 9):
                return c
        return None

    def hotkeys(self, n_candidates: int) -> str:
        """The keys of a project's screen, as Markdown for its instructions ("" when no control has keys)."""
        c = self.key_control(self.controls(max(1, n_candidates)))
        if c is None:
            return ""
        keys = ", ".join(f"{i} {text}" for i, text in enumerate(c.choices, 1))
        return (f"**Keys**: {c.question.title or c.question.name}: {keys} (the same keys as the offline page); "
                "Ctrl+Enter submits; other choices show their key beside them.")

    # ------------------------------------------------------------------ what the screen shows
    def field(self, source: str) -> FieldSpec | None:
        """The schema's field for ``"prompt"`` (not a system prompt's) or ``"candidates"``: its title and whether it
        is Markdown, as the offline page reads them."""
        specs = [f for f in self.schema.fields if f.source == source]
        if source == "prompt":
            specs = [f for f in specs if not f.name.startswith("system")] or specs
        return specs[0] if specs else None

    def renders_markdown(self, source: str) -> bool:
        """Whether ``"prompt"`` (and the conversation before it) or ``"candidates"`` is shown as its Markdown rendered
        by ``labelloop.markdown.to_html`` (a ``HyperText`` of inert HTML), else as plain ``Text``: a span question
        marks characters of a ``Text``, and a field may say ``markdown: false``."""
        f = self.field(source)
        if f is not None and not f.markdown:
            return False
        for q in self.schema.all_questions():
            if q.type == "span":
                fields = q.fields or ["prompt", "candidates"]
                if source in fields or (source == "candidates" and any(x.startswith("candidates") for x in fields)):
                    return False
        return True

    def _object(self, name: str, html: bool) -> str:
        if html:
            return f'<HyperText name="{name}" value="${HTML_PREFIX}{name}" inline="true"/>'
        return f'<Text name="{name}" value="${name}"/>'

    # ------------------------------------------------------------------ label config
    def label_config(self, n_candidates: int, *, context: bool = False, uniform: bool = True) -> str:
        """The config for tasks of exactly ``n_candidates`` answers (a push makes one project per answer count).

        With ``context`` the conversation before the prompt is shown under a header the task names
        (``$context_title``): a single-turn task has no title and no text there, so it shows nothing."""
        n = max(1, n_candidates)
        controls = self.controls(n)
        key = self.key_control(controls)
        self._keyed = key.name if key is not None else None
        md_prompt, md_answers = self.renders_markdown("prompt"), self.renders_markdown("candidates")
        prompt_title = (self.field("prompt") or FieldSpec(name="prompt")).title or "Prompt"
        answer_title = (self.field("candidates") or FieldSpec(name="candidates")).title or "Answer"
        lines = ["<View>", "  " + self.metadata_comment()]
        if context:
            lines += ['  <Header value="$context_title" size="5"/>', "  " + self._object("context", md_prompt)]
        lines += [f"  <Header value={quoteattr(prompt_title)}/>", "  " + self._object("prompt", md_prompt)]
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
            lines.append(f"      <Header value={quoteattr(f'{answer_title} {p}')}/>")
            lines.append("      " + self._object(f"answer_{p}", md_answers))
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
            keyed = c.name == self._keyed
            out += [f"  <Choice value={quoteattr(text)}" + (f' hotkey="{i}"' if keyed else "") + "/>"
                    for i, text in enumerate(c.choices, 1)]
            out.append("</Choices>")
        elif c.tag == "rating":
            out.append(f'<Rating name={name} toName={to} maxRating="{self._star_max(q)}"{req}/>')
        elif c.tag == "number":
            bounds = (("min", q.min), ("max", q.max), ("step", q.step))
            attrs = "".join(f' {k}="{compact(plain_number(v))}"' for k, v in bounds if v is not None)
            out.append(f"<Number name={name} toName={to}{attrs}{req}/>")
        elif c.tag == "textarea":
            out.append(f'<TextArea name={name} toName={to} rows="3" maxSubmissions="1" editable="true"{req}/>')
        elif c.tag == "ranker":
            items = quoteattr(f"{q.name}_items")
            # Items are ranked by dragging them into the bucket: Label Studio saves a Ranker untouched on submit,
            # and a plain one would then read as a ranking in screen order that nobody gave.
            if c.bucket == TIER_BUCKET:
                out.append('<Header value="Drag each answer to its place; equally good answers share one." size="6"/>')
                out.append(f"<List name={items} value={quoteattr('$' + q.name + '_items')} title=\"Answers\"/>")
                out.append(f"<Ranker name={name} toName={items}>")
                out += [f"  <Bucket name={quoteattr(b)} title={quoteattr(t)}/>" for b, t in c.choices.items()]
                out.append("</Ranker>")
                return out
            out.append('<Header value="Drag each answer to Ranked, best at the top." size="6"/>')
            out.append(f"<List name={items} value={quoteattr('$' + q.name + '_items')} title=\"Answers\"/>")
            out.append(f"<Ranker name={name} toName={items}>")
            out.append(f'  <Bucket name="{RANKED_BUCKET}" title="Ranked, best first"/>')
            out.append("</Ranker>")
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
        md_prompt, md_answers = self.renders_markdown("prompt"), self.renders_markdown("candidates")
        if md_prompt:
            data[HTML_PREFIX + "prompt"] = markdown_html(sample.prompt_text)
        if context:
            earlier = _earlier_turns(sample)
            data["context"] = "\n\n".join(f"{m.role}: {m.content}" for m in earlier)
            data["context_title"] = CONTEXT_TITLE if earlier else ""
            if md_prompt:
                data[HTML_PREFIX + "context"] = "".join(
                    f'<div style="margin: 0 0 0.6em"><strong>{html.escape(m.role)}</strong>{markdown_html(m.content)}'
                    "</div>" for m in earlier)
        for f in self.schema.fields:
            if f.source.startswith("metadata."):
                v = sample.metadata.get(f.source.split(".", 1)[1])
                data[_meta_name(f.source)] = "" if v is None else (v if isinstance(v, str) else json.dumps(v))
        for i in range(max(1, n_candidates)):
            key = f"answer_{position_label(i)}"
            data[key] = (by_id[order[i]].content if i < len(order) else
                         f"(no answer {position_label(i)}: this prompt has {len(order)})")
            if md_answers:
                data[HTML_PREFIX + key] = markdown_html(data[key])
        for q in self.schema.questions:
            if q.type == "ranking":
                items = []
                if q.options_from_candidates:
                    for i, cid in enumerate(order):
                        body = preview(by_id[cid].content) if md_answers else " ".join(by_id[cid].content.split())
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
                result += spans_to_result(by_q[qname], value, data, pos_of,
                                          lambda: self.controls(max(1, len(pos_of))))
            elif q.per_candidate:
                if not isinstance(value, dict):
                    continue
                for cid, sub in value.items():
                    if cid in pos_of:
                        c = next(c for c in by_q[qname] if c.position == pos_of[cid])
                        result += value_to_result(c, sub, pos_of)
            else:
                result += value_to_result(by_q[qname][0], value, pos_of)
        return result

    # ------------------------------------------------------------------ result -> values
    def process_annotations(self, result: list[dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
        """One Label Studio annotation's ``result`` as labelloop values, in candidate ids.

        Results that fit no control (an answer position the task does not have, an unknown
        control) are kept in the result's ``unmapped``, so nothing is silently dropped.
        """
        order = list(data.get(ORDER_KEY) or [])
        n = max(1, len(order), _positions_in(data))
        controls = {c.name: c for c in self.controls(n)}
        return parse_result(result, lambda item: controls.get(item.get("from_name", "")), data, order)



def preview(markdown: str) -> str:
    """A Markdown answer as the one line of clean text a ranking item shows (``**408**`` reads ``408``): the
    rendering's own tags dropped (the renderer escapes every ``<`` of the text, so no tag is the data's)."""
    text = re.sub(r"<[^>]+>", " ", to_html(markdown))
    return " ".join(html.unescape(text).split())


def _positions_in(data: dict[str, Any]) -> int:
    return sum(1 for k in data if k.startswith("answer_") and position_index(k[7:]) is not None)


def _meta_name(source: str) -> str:
    return "meta_" + re.sub(r"[^A-Za-z0-9_]", "_", source.split(".", 1)[1])


def _earlier_turns(sample: DataSample) -> list[Message]:
    """Every turn except the last user turn (which is shown as the prompt)."""
    last_user = max((i for i, m in enumerate(sample.prompt) if m.role == "user"), default=None)
    if last_user is None:
        return []
    return [m for i, m in enumerate(sample.prompt) if i != last_user]


def markdown_html(text: str) -> str:
    """Dataset text as the inert HTML a ``HyperText`` shows: ``labelloop.markdown.to_html`` (every character of the
    text escaped, links only to http(s) and mailto, single line breaks kept as in model answers), its elements given
    inline styles (Label Studio's CSS leaves tables and code bare)."""
    return _STYLED.sub(lambda m: f'<{m.group(1)} style="{_STYLES[m.group(1)]}"', to_html(text, breaks=True))



# ---------------------------------------------------------------------- built-in templates
@register_template("rewardbench")
class RewardBenchTemplate(SchemaTemplate):
    """Two answers side by side: which is better (or tie / both bad), a 1–5 rating each, a comment."""

    def default_schema(self) -> AnnotationSchema:
        return TEMPLATES.get("rewardbench")()


@register_template("rewardbench2")
class RewardBench2Template(SchemaTemplate):
    """Best of N (N from the data): the best answer, a full ranking, ratings, correct ones, a comment."""

    def default_schema(self) -> AnnotationSchema:
        return TEMPLATES.get("rewardbench2")()


# ---------------------------------------------------------------------- any project's label config
@dataclass
class LabelConfig:
    """A label config as read from its XML: its controls, the objects they are about, and our template when
    the config carries labelloop's comment (then its schema is the template's)."""

    xml: str
    controls: dict[str, tuple[str, str]]  # from_name -> (tag, first to_name)
    objects: dict[str, str]  # object tag name -> the task data key it shows
    choices: dict[str, list[str]]  # Choices control -> its Choice values
    multiple: set[str]  # Choices controls that take several choices
    template: LabelStudioTemplate | None
    schema: AnnotationSchema

    def control(self, name: str) -> Control | None:
        """The open control for ``name``: a single-choice Choices control of a config we did not make (what an
        annotator picked is kept as picked), or None."""
        if name not in self.choices or name in self.multiple:
            return None
        opts = [Option(value=v) for v in dict.fromkeys(self.choices[name])]
        q = Question(name=name, type="single_choice", options=opts, options_from_candidates=not opts)
        return Control(name, q, "choices", self.controls[name][1], open=True)

    def values(self, result: list[dict[str, Any]], data: dict[str, Any]) -> dict[str, Any]:
        """A result as values: by our template when the config is ours (``unmapped`` lists what fits no
        control), else the single-choice answers, the only questions another project's config gives."""
        if self.template is not None:
            return self.template.process_annotations(result, data)
        controls: dict[str, Control | None] = {}

        def control_of(item: dict[str, Any]) -> Control | None:
            name = item.get("from_name")
            if not isinstance(name, str):
                return None
            if name not in controls:
                controls[name] = self.control(name)
            return controls[name]

        return parse_result(result, control_of, data, [])


def read_label_config(xml: str) -> LabelConfig:
    """Any label config: controls (``from_name`` -> tag and ``to_name``) and objects from the XML; the schema from
    labelloop's comment, else one single-choice question per single ``<Choices>`` that lists choices.

    Raises ``SchemaError`` for an empty config, XML that does not parse, or a config with no control tag.
    """
    if not isinstance(xml, str) or not xml.strip():
        raise SchemaError("label config is empty")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise SchemaError(f"label config is not valid XML ({exc})") from None
    controls: dict[str, tuple[str, str]] = {}
    objects: dict[str, str] = {}
    choices: dict[str, list[str]] = {}
    multiple: set[str] = set()
    for el in root.iter():
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        name = el.get("name")
        if not name:
            continue
        if tag in CONTROL_TAGS and el.get("toName"):
            controls[name] = (tag, el.get("toName", "").split(",")[0])
            if tag == "choices":
                choices[name] = [c.get("value", "") for c in el if isinstance(c.tag, str) and c.tag.lower() == "choice"]
                if (el.get("choice") or "single") == "multiple":
                    multiple.add(name)
        elif el.get("value", "").startswith("$"):
            objects[name] = el.get("value", "")[1:]
    try:
        template = template_from_config(xml)
    except (LabelloopError, ValueError, KeyError):
        template = None
    if template is not None:
        schema = template.schema
    else:
        questions = [Question(name=n, type="single_choice", options=[Option(value=v) for v in dict.fromkeys(opts)])
                     for n, opts in choices.items() if n not in multiple and opts]
        schema = AnnotationSchema(name="labelstudio", fields=[], questions=questions)
    if not controls:
        raise SchemaError("label config has no control tags (Choices, Rating, …) to predict")
    return LabelConfig(xml, controls, objects, choices, multiple, template, schema)


__all__ = ["CONTROL_TAGS", "ID_KEY", "LS_TEMPLATES", "META_RE", "ORDER_KEY", "LabelConfig", "LabelStudioTemplate",
           "RewardBench2Template", "RewardBenchTemplate", "SchemaTemplate", "get_template", "read_label_config",
           "register_template", "template_for", "template_from_config"]
