"""Label Studio results, read as labelloop values: the one parser behind every config.

A result item names its control (``from_name``), the object it is about (``to_name``), its type and a
``value``. Whoever knows the config turns each item into a ``Control`` (how that control's answers map to
a question's value); ``parse_result`` does the rest, the same way for labelloop's own templates (controls
from the schema), other projects' label configs (controls read from the XML) and exports with no config
at all (controls inferred from the results, ``InferredMapping``). Controls of a known config are strict:
a choice, label or ranked item it does not list is not mapped. Controls of an unknown config are
``open``: what an annotator picked is kept as it is, ``Answer B`` (and ``B`` in a ranker) being the
candidate at screen position B.

Whatever fits no control is kept beside the values (``ResultValues.unmapped``), so nothing is silently
dropped, and never among them, where it could pass for a question's answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from labelloop.data.numbers import plain_number
from labelloop.data.positions import position_index, position_label
from labelloop.data.schema import AnnotationSchema, Option, Question, ranking_flat, ranking_tiers

SPAN_TAGS = ("labels", "hypertextlabels")
RANKED_BUCKET = "ranked"  # the one Bucket of a labelloop Ranker: items are ranked by dragging them into it
#: a ranking with ties: a Ranker with one Bucket per place, ``tier_1`` (best), ``tier_2``, …; the items a person
#: dragged into one bucket share that place (a tier), empty buckets are skipped
TIER_BUCKET = "tier_"
UNRANKED = "_"  # where Label Studio keeps the items nobody moved into a bucket
ABSENT = object()  # a control's result that holds no answer (a ranker left untouched)
_ANSWER = re.compile(r"^Answer ([A-Z]{1,3})$")
_POSITION = re.compile(r"^([A-Z]{1,3})$")
_PER_POSITION = re.compile(r"^answer_([A-Z]{1,3})$")


def js_to_py(text: str, offset: int) -> int:
    """A JavaScript (UTF-16) string offset as a Python character offset: Label Studio counts code units."""
    units = 0
    for i, ch in enumerate(text):
        if units >= offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
    return len(text)


def py_to_js(text: str, offset: int) -> int:
    """A Python character offset as the JavaScript (UTF-16) offset Label Studio expects."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text[:offset])


@dataclass
class Control:
    """One Label Studio control tag and how its result maps to a question's value."""

    name: str
    question: Question
    tag: str  # choices | rating | number | textarea | ranker | labels | hypertextlabels | pairwise
    to_name: str
    position: int | None = None  # per-candidate controls: the screen position
    field_name: str | None = None  # span controls: the labelloop field they mark; None: the candidate at position
    choices: dict[str, Any] = field(default_factory=dict)  # display text -> option value or ("pos", i)
    when: tuple[str, str] | None = None  # follow-ups: shown when control ``when[0]`` has choice ``when[1]``
    region_label: str | None = None  # questions about a span: asked per region of this label text
    open: bool = False  # a config we did not make: values kept as picked, not checked against ``choices``
    multi: bool | None = None  # a Choices control that takes several choices (default: a multi_choice question)
    bucket: str | None = None  # a Ranker whose items are ranked inside this Bucket (predictions are written so)

    def __post_init__(self) -> None:
        if self.multi is None:
            self.multi = self.question.type == "multi_choice"


# ---------------------------------------------------------------------- result -> values
class ResultValues(dict[str, Any]):
    """Values read from a result (question name -> value), with ``unmapped``: the result items that fit no
    control, kept as Label Studio sent them. A plain ``dict`` of the values otherwise."""

    def __init__(self, values: dict[str, Any] | None = None, unmapped: list[Any] | None = None) -> None:
        super().__init__(values or {})
        self.unmapped: list[Any] = list(unmapped or [])


def parse_result(result: list[dict[str, Any]] | None, control_of: Callable[[dict[str, Any]], Control | None],
                 data: dict[str, Any], order: list[str]) -> ResultValues:
    """One annotation's (or prediction's) ``result`` as labelloop values, in candidate ids.

    ``control_of`` names the control of each item (None: not in the config); ``order`` is the candidate id
    at each screen position. Span values are sorted, so a value does not depend on the order of regions.
    """
    values: dict[str, Any] = {}
    unmapped: list[Any] = []
    spans_by_id: dict[str, dict[str, Any]] = {}
    span_keys: set[str] = set()
    region_answers: list[tuple[str, str, Any, dict[str, Any]]] = []
    for item in result or []:
        c = control_of(item)
        if c is None or (c.position is not None and c.region_label is None and c.position >= len(order)):
            unmapped.append(item)
            continue
        key = c.question.name
        value = item.get("value") or {}
        if c.tag in SPAN_TAGS:
            span = _span(c, value, data, order)
            if span is None:
                unmapped.append(item)
            else:
                values.setdefault(key, []).append(span)
                spans_by_id[str(item.get("id"))] = span
                span_keys.add(key)
            continue
        parsed, ok = _parse_value(c, value, order)
        if parsed is ABSENT:
            continue
        if not ok:
            unmapped.append(item)
            continue
        if c.region_label is not None:  # an answer about one span: same result id as the span's region
            region_answers.append((str(item.get("id")), key, parsed, item))
        elif c.position is not None:
            values.setdefault(key, {})[order[c.position]] = parsed
        else:
            values[key] = parsed
    for rid, name, parsed, item in region_answers:
        if rid in spans_by_id:
            spans_by_id[rid].setdefault("values", {})[name] = parsed
        else:
            unmapped.append(item)
    for key in span_keys:
        spans = values.get(key)
        if isinstance(spans, list) and spans and isinstance(spans[0], dict) and "field" in spans[0]:
            spans.sort(key=lambda s: (s["field"], s["start"], s["end"], s["label"]))
    return ResultValues(values, unmapped)


def _parse_value(c: Control, value: dict[str, Any], order: list[str]) -> tuple[Any, bool]:
    if c.tag == "choices":
        texts = value.get("choices") or []
        if not isinstance(texts, list):
            return None, False
        picked = []
        for text in texts:
            if c.open:
                if not isinstance(text, str):
                    return None, False
                picked.append(answer_to_id(text, order))
                continue
            if text not in c.choices:
                return None, False
            target = c.choices[text]
            if isinstance(target, tuple):
                if target[1] >= len(order):
                    return None, False
                target = order[target[1]]
            picked.append(target)
        if c.open and not picked:
            return None, False
        if c.multi:
            return picked, True
        return (picked[0], True) if len(picked) == 1 else (None, False)
    if c.tag in ("rating", "number"):
        present = value.get(c.tag) is not None if (c.open or c.tag == "number") else c.tag in value
        return (plain_number(value[c.tag]), True) if present else (None, False)
    if c.tag == "textarea":
        return "\n".join(str(t) for t in value.get("text") or []), True
    if c.tag == "ranker":
        ranker = value.get("ranker") or {}
        tiers = _tier_buckets(ranker)
        if tiers is not None:
            return _read_tiers(c, ranker, tiers, order)
        if c.open:  # a plain Ranker is one list; buckets that sort items into groups are no ranking we read
            moved = [k for k in ranker if k != UNRANKED]
            if not any(ranker.get(k) for k in moved):
                return ABSENT, False
            if len(moved) != 1 or ranker.get(UNRANKED):
                return None, False
            return [answer_to_id(str(x), order, positions=True) for x in ranker[moved[0]]], True
        if RANKED_BUCKET in ranker or UNRANKED in ranker:
            # A Ranker with our Bucket: only what a person dragged into it is ranked. Label Studio saves the
            # ranker even when nobody touched it (everything still in "_"): that is no answer, not a ranking
            # in screen order; a ranking that leaves some answers out fits no full-ranking question.
            ids, rest = ranker.get(RANKED_BUCKET) or [], ranker.get(UNRANKED) or []
            if not ids:
                return ABSENT, False
            if rest or set(ranker) - {RANKED_BUCKET, UNRANKED}:
                return None, False
        else:
            ids = ranker.get(c.name)
            if ids is None and len(ranker) == 1:
                ids = next(iter(ranker.values()))
        out = [_ranked_item(x, order) for x in ids or []]
        return (None, False) if None in out else (out, True)
    if c.tag == "pairwise":
        side = value.get("selected")
        if side not in ("left", "right") or len(order) < 2:
            return None, False
        return (order[0] if side == "left" else order[1]), True
    return None, False


def _span(c: Control, value: dict[str, Any], data: dict[str, Any], order: list[str]) -> dict[str, Any] | None:
    labels = value.get(c.tag) or value.get("labels") or []
    if len(labels) != 1 or "start" not in value or "end" not in value or (not c.open and labels[0] not in c.choices):
        return None
    if c.field_name is not None:
        fld = c.field_name
    elif not c.open and c.position is not None and c.position < len(order):
        fld = f"candidates.{order[c.position]}"
    else:
        return None
    text = str(data.get(c.to_name, ""))
    return {"field": fld, "start": js_to_py(text, int(value["start"])), "end": js_to_py(text, int(value["end"])),
            "label": labels[0] if c.open else c.choices[labels[0]]}


def is_answer_label(text: str) -> bool:
    """``Answer B``: a choice that stands for the candidate at a screen position."""
    return bool(_ANSWER.match(str(text)))


def _tier_buckets(ranker: dict[str, Any]) -> list[str] | None:
    """The ``tier_N`` bucket names of a Ranker in place order, or None when it has other buckets (or none)."""
    named = [k for k in ranker if k != UNRANKED]
    if not named or not all(k.startswith(TIER_BUCKET) and k[len(TIER_BUCKET):].isdigit() for k in named):
        return None
    return sorted(named, key=lambda k: int(k[len(TIER_BUCKET):]))


def _ranked_item(x: Any, order: Sequence[str]) -> str | None:
    """A ranker item's id as a value: screen position ``B`` is the candidate there, ``option:x`` option ``x``;
    anything else (a position the task does not have) is None."""
    i = position_index(str(x))
    if i is not None and i < len(order):
        return order[i]
    return str(x)[len("option:"):] if str(x).startswith("option:") else None


def _read_tiers(c: Control, ranker: dict[str, Any], buckets: list[str], order: Sequence[str]) -> tuple[Any, bool]:
    tiers: list[list[str]] = []
    for b in buckets:
        tier = [_ranked_item(x, order) for x in ranker.get(b) or []]
        if None in tier:
            return None, False
        if tier:
            tiers.append(tier)
    if not tiers:
        return ABSENT, False
    if ranker.get(UNRANKED):  # some answers were left out of every place: no full ranking
        return None, False
    if any(len(t) > 1 for t in tiers) and not (c.question.ties or c.open):
        return None, False
    return [t[0] if len(t) == 1 else t for t in tiers], True


def tier_bucket_names(n: int) -> list[tuple[str, str]]:
    """(name, title) of the Buckets of a ranking with ties over ``n`` answers: ``tier_1`` "1st", …"""
    def ordinal(k: int) -> str:
        suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
        return f"{k}{suffix}"
    return [(f"{TIER_BUCKET}{k}", ordinal(k)) for k in range(1, n + 1)]


def answer_to_id(text: str, order: list[str], positions: bool = False) -> str:
    """``Answer B`` (or ``B`` where items are positions, as in a ranker) is the candidate at screen position B;
    ``option:x`` is option ``x``; anything else is kept as it is."""
    m = _ANSWER.match(text) or (_POSITION.match(text) if positions else None)
    if m:
        i = position_index(m.group(1))
        if i is not None and i < len(order):
            return order[i]
    return text[len("option:"):] if text.startswith("option:") else text


# ---------------------------------------------------------------------- values -> result
def value_to_result(c: Control, value: Any, pos_of: dict[str, int]) -> list[dict[str, Any]]:
    """A value as the result items of control ``c`` (a prediction, an imported annotation); ``pos_of`` is the
    screen position of each candidate id."""
    base = {"from_name": c.name, "to_name": c.to_name, "type": c.tag}
    if c.tag == "choices":
        wanted = value if isinstance(value, list) else [value]
        texts = []
        for v in wanted:
            for text, target in c.choices.items():
                if (isinstance(target, tuple) and pos_of.get(v) == target[1]) or (
                        not isinstance(target, tuple) and same_value(target, v)):
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
        def label(v: str) -> str:
            return position_label(pos_of[v]) if v in pos_of else f"option:{v}"
        if c.bucket == TIER_BUCKET:  # one bucket per place; a tier's answers share one
            buckets: dict[str, Any] = {f"{TIER_BUCKET}{k}": [label(v) for v in tier]
                                       for k, tier in enumerate(ranking_tiers(value), 1)}
            return [{**base, "value": {"ranker": {**buckets, UNRANKED: []}}}]
        ids = [label(v) for v in ranking_flat(value)]
        if c.bucket is not None:
            return [{**base, "value": {"ranker": {c.bucket: ids, UNRANKED: []}}}]
        return [{**base, "value": {"ranker": {c.name: ids}}}]
    return []


def spans_to_result(controls: list[Control], spans: Any, data: dict[str, Any], pos_of: dict[str, int],
                    all_controls: Callable[[], list[Control]]) -> list[dict[str, Any]]:
    """Span values as ``labels`` regions of their question's ``controls``, with the answers about each region
    (controls from ``all_controls``, asked only when a span has such answers)."""
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
        region = {"start": py_to_js(text, s), "end": py_to_js(text, e), "text": text[s:e]}
        rid = f"{c.question.name}-{k}"
        out.append({"id": rid, "from_name": c.name, "to_name": c.to_name, "type": "labels",
                    "value": {**region, "labels": [label]}})
        if span.get("values"):
            regional = {x.name: x for x in all_controls() if x.region_label is not None}
            for qname, v in span["values"].items():
                rc = regional.get(f"{qname}__{c.name}")
                if rc is not None and v is not None:
                    out += [{**r, "id": rid, "value": {**region, **r["value"]}}
                            for r in value_to_result(rc, v, pos_of)]
    return out


def same_value(a: Any, b: Any) -> bool:
    """Whether a value is an option's value: numbers compare as numbers (``3`` is ``3.0``), booleans as themselves."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return float(a) == float(b)
    return a == b


# ---------------------------------------------------------------------- questions inferred from results
def split_name(from_name: str, to_name: str) -> tuple[str, int | None]:
    """``q_A`` on ``answer_A`` is question ``q`` about screen position A (0)."""
    m = _PER_POSITION.match(to_name or "")
    if m and from_name.endswith("_" + m.group(1)):
        return from_name[: -len(m.group(1)) - 1], position_index(m.group(1))
    return from_name, None


class InferredMapping:
    """Questions read off the results of a whole export, for projects not made by labelloop (no config)."""

    def __init__(self) -> None:
        self.seen: dict[str, dict[str, Any]] = {}  # question name -> facts
        self._questions: dict[str, Question] | None = None

    @staticmethod
    def _name(item: dict[str, Any]) -> tuple[str, str, int | None]:
        tag = str(item.get("type", "")).lower()
        name, pos = split_name(str(item.get("from_name", "")), str(item.get("to_name", "")))
        if tag in SPAN_TAGS:
            name = re.sub(r"__prompt$", "", name)
        return tag, name, pos

    def observe(self, item: dict[str, Any]) -> None:
        tag, name, pos = self._name(item)
        self._questions = None
        facts = self.seen.setdefault(name, {"tag": tag, "per_candidate": False, "options": [], "multi": False,
                                            "min": None, "max": None})
        facts["per_candidate"] |= pos is not None
        value = item.get("value") or {}
        if tag == "choices":
            picked = value.get("choices") or []
            facts["multi"] |= len(picked) > 1
            facts["options"] += [c for c in picked if c not in facts["options"]]
        elif tag in SPAN_TAGS:
            labels = value.get(tag) or value.get("labels") or []
            facts["options"] += [c for c in labels if c not in facts["options"]]
        elif tag in ("rating", "number") and value.get(tag) is not None:
            v = plain_number(value[tag])
            facts["min"] = v if facts["min"] is None else min(facts["min"], v)
            facts["max"] = v if facts["max"] is None else max(facts["max"], v)

    def schema(self) -> AnnotationSchema:
        qs = []
        for name, f in self.seen.items():
            tag, per = f["tag"], f["per_candidate"]
            opts = [Option(value=o) for o in f["options"] if not is_answer_label(o)]
            from_cands = any(is_answer_label(o) for o in f["options"])
            if tag == "choices":
                qs.append(Question(name=name, type="multi_choice" if f["multi"] else "single_choice",
                                   options=opts, options_from_candidates=from_cands or not opts, per_candidate=per,
                                   required=False))
            elif tag == "rating":
                qs.append(Question(name=name, type="rating", min=1, max=max(5, f["max"] or 5), step=1,
                                   per_candidate=per, required=False))
            elif tag == "number":
                lo, hi = f["min"] if f["min"] is not None else 0, f["max"] if f["max"] is not None else 0
                qs.append(Question(name=name, type="rating", min=min(lo, 0), max=hi, per_candidate=per,
                                   required=False))
            elif tag == "textarea":
                qs.append(Question(name=name, type="text", per_candidate=per, required=False))
            elif tag in ("ranker", "pairwise"):
                qs.append(Question(name=name, type="ranking" if tag == "ranker" else "single_choice",
                                   options_from_candidates=True, required=False))
            elif tag in SPAN_TAGS:
                qs.append(Question(name=name, type="span", options=opts or [Option(value="label")], required=False))
        return AnnotationSchema(name="labelstudio", questions=qs)

    def control(self, item: dict[str, Any], fields: dict[str, str]) -> Control | None:
        """The open control an item answers, read off the item itself (its type and names); ``fields`` maps a
        task data key to the labelloop field it shows."""
        tag, name, pos = self._name(item)
        if tag not in ("choices", "rating", "number", "textarea", "ranker", "pairwise", *SPAN_TAGS):
            return None
        if self._questions is None:
            self._questions = {q.name: q for q in self.schema().questions}
        q = self._questions.get(name) or Question(name=name, type="text")  # the value's key
        to_name = str(item.get("to_name", ""))
        return Control(str(item.get("from_name", "")), q, tag, to_name, pos, open=True,
                       field_name=fields.get(to_name) if tag in SPAN_TAGS else None,
                       multi=bool(self.seen.get(name, {}).get("multi", False)))

    def values(self, result: list[dict[str, Any]], data: dict[str, Any], order: list[str],
               fields: dict[str, str]) -> dict[str, Any]:
        """One result list as values; ``fields`` maps a data key to its labelloop field."""
        return parse_result(result, lambda item: self.control(item, fields), data, order)


__all__ = ["ABSENT", "RANKED_BUCKET", "SPAN_TAGS", "UNRANKED", "Control", "InferredMapping", "ResultValues",
           "answer_to_id", "is_answer_label", "js_to_py", "parse_result", "py_to_js", "same_value", "spans_to_result",
           "split_name", "value_to_result"]
