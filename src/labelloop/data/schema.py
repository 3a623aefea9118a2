"""What is shown and what is asked: fields, questions, options, rubrics, guidelines.

Like Argilla's Settings, a schema is plain typed data that the annotators (HTML, Label Studio),
the LLM pre-labeller and the validators all read.
"""

from __future__ import annotations

import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from labelloop.errors import AnnotationValueError, SchemaError

QuestionType = Literal["single_choice", "multi_choice", "rating", "ranking", "text", "span"]
Level = Literal["nominal", "ordinal", "interval", "ratio"]


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: str
    label: str | None = None
    description: str | None = None
    #: questions asked only when this option is chosen (for a span label: asked about each such span)
    followups: list[Question] = Field(default_factory=list)

    @field_validator("value", mode="before")
    @classmethod
    def _text_value(cls, v: Any) -> Any:
        # YAML reads yes/no/on/off as booleans and 1 as a number; values are text.
        if isinstance(v, bool):
            raise ValueError(f"option value {v!r} is a boolean; quote it in YAML (e.g. 'yes')")
        return str(v) if isinstance(v, (int, float)) else v

    @property
    def text(self) -> str:
        return self.label if self.label is not None else self.value


class RubricLevel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: float | int
    label: str = ""
    description: str = ""


class FieldSpec(BaseModel):
    """A part of the sample to show: the prompt, the candidates, or a metadata key."""

    model_config = ConfigDict(extra="forbid")

    name: str
    source: str = "prompt"  # "prompt", "candidates" or "metadata.<key>"
    title: str | None = None
    markdown: bool = True


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    type: QuestionType
    title: str = ""
    description: str = ""
    options: list[Option] = Field(default_factory=list)
    options_from_candidates: bool = False
    min: float | None = None
    max: float | None = None
    step: float | None = None
    rubric: list[RubricLevel] = Field(default_factory=list)
    per_candidate: bool = False
    required: bool = True
    level: Level | None = None
    fields: list[str] = Field(default_factory=list)  # span: which text fields may be labelled
    placeholder: str = ""  # text: the hint shown in the empty box
    max_length: int | None = None  # text: the longest answer accepted, in characters
    #: ranking: candidates may share a place. The value is then a list, best first, whose items are an id or
    #: a list of ids (a tier: equally good), e.g. ``["c1", ["c2", "c3"], "c4"]``; see ``ranking_tiers``
    ties: bool = False

    @model_validator(mode="after")
    def _check(self) -> Question:
        if self.max_length is not None and (self.type != "text" or self.max_length < 1):
            raise ValueError(f"question {self.name!r}: max_length is a positive number of characters for a text "
                             "question")
        if self.ties and self.type != "ranking":
            raise ValueError(f"question {self.name!r}: ties is for a ranking question")
        if self.type in ("single_choice", "multi_choice") and not (self.options or self.options_from_candidates):
            raise ValueError(f"question {self.name!r} is a choice question with no options")
        if self.type == "ranking" and not (self.options or self.options_from_candidates):
            raise ValueError(f"question {self.name!r} is a ranking with nothing to rank")
        if self.type == "span" and not self.options:
            raise ValueError(f"question {self.name!r} is a span question with no labels (options)")
        if self.type == "rating" and not self.rubric and (self.min is None or self.max is None):
            raise ValueError(f"rating question {self.name!r} needs min and max or a rubric")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"question {self.name!r} has min {self.min} above max {self.max}")
        values = [o.value for o in self.options]
        if len(set(values)) != len(values):
            raise ValueError(f"question {self.name!r} repeats an option value")
        for o in self.options:
            for f in o.followups:
                if self.type not in ("single_choice", "multi_choice", "span"):
                    raise ValueError(f"question {self.name!r} of type {self.type} cannot have follow-up questions")
                if self.type == "span" and (f.type == "span" or f.per_candidate):
                    raise ValueError(f"follow-up {f.name!r} of span label {o.value!r} must be a plain question "
                                     "about the span (not a span or per-candidate question)")
                if self.type != "span" and f.per_candidate != self.per_candidate:
                    raise ValueError(f"follow-up {f.name!r} of {'per-candidate ' if self.per_candidate else ''}"
                                     f"question {self.name!r} must {'' if self.per_candidate else 'not '}be "
                                     "per_candidate too")
        return self

    def followups(self) -> list[tuple[str, Question]]:
        """(option value, follow-up question) pairs, in schema order."""
        return [(o.value, f) for o in self.options for f in o.followups]

    @property
    def measurement_level(self) -> Level:
        """The level agreement uses by default: choices are nominal, ratings ordinal."""
        if self.level:
            return self.level
        return "ordinal" if self.type in ("rating", "ranking") else "nominal"

    def allowed_values(self, candidate_ids: list[str]) -> list[str]:
        opts = [o.value for o in self.options]
        return (list(candidate_ids) + opts) if self.options_from_candidates else opts


Option.model_rebuild()


class AnnotationSchema(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "custom"
    fields: list[FieldSpec] = Field(
        default_factory=lambda: [FieldSpec(name="prompt"), FieldSpec(name="candidates", source="candidates")]
    )
    questions: list[Question] = Field(default_factory=list)
    guidelines: str = ""

    @model_validator(mode="after")
    def _unique(self) -> AnnotationSchema:
        names = [q.name for q in _walk(self.questions, spans=True)]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"question names repeat: {', '.join(sorted(dup))}")
        return self

    def all_questions(self) -> list[Question]:
        """Top-level questions and, after each, the follow-ups of its options (which answer at the top level
        of ``values``); follow-ups of span labels answer inside each span and are not listed."""
        return list(_walk(self.questions, spans=False))

    def parent_of(self, name: str) -> tuple[Question, str] | None:
        """The question and option value a follow-up hangs under (None for a top-level question)."""
        return self._parents().get(name)

    def _parents(self) -> dict[str, tuple[Question, str]]:
        return {f.name: (q, value) for q in _walk(self.questions, spans=True) for value, f in q.followups()}

    def question(self, name: str) -> Question:
        for q in _walk(self.questions, spans=True):
            if q.name == name:
                return q
        raise SchemaError(
            f"Schema {self.name!r} has no question {name!r}; it has: {', '.join(q.name for q in self.questions)}."
        )

    def dump(self) -> dict[str, Any]:
        """The schema as JSON data, with the question keys added since files were first written left out at their
        defaults (``placeholder``, ``max_length``, ``ties``), so a file an older labelloop reads stays readable."""
        return _without_new_defaults(self.model_dump(mode="json"))

    def schema_hash(self) -> str:
        import hashlib

        payload = json.dumps(_without_new_defaults(self.model_dump(mode="json")), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    # ------------------------------------------------------------------ validation
    def validate_values(self, sample: Any, values: dict[str, Any], *, partial: bool = False) -> list[str]:
        """Problems with one annotation's values, each naming sample, question and value."""
        problems: list[str] = []
        cand_ids = [c.id for c in sample.candidates]
        questions = self.all_questions()
        parents = self._parents()
        known = {q.name for q in questions}
        for key in values:
            if key not in known:
                problems.append(f"sample {sample.id!r}: unknown question {key!r} (value {values[key]!r})")
        for q in questions:
            parent = parents.get(q.name)
            if parent is not None:
                for msg in _check_followup(q, parent[0], parent[1], values, cand_ids, partial):
                    problems.append(f"sample {sample.id!r}, question {q.name!r}: {msg}")
            if q.name not in values or values[q.name] is None:
                if q.required and not partial and parent is None:
                    problems.append(f"sample {sample.id!r}, question {q.name!r}: required answer is missing")
                continue
            for msg in _check_value(q, values[q.name], cand_ids, sample):
                problems.append(f"sample {sample.id!r}, question {q.name!r}: {msg}")
        return problems

    def validate_sample(self, sample: Any, *, kinds: tuple[str, ...] = ("human", "aggregate")) -> list[str]:
        problems: list[str] = []
        for ann in sample.annotations:
            if ann.kind not in kinds or ann.status != "submitted":
                continue
            for p in self.validate_values(sample, ann.values, partial=ann.kind == "aggregate"):
                problems.append(f"{p} (annotator {ann.annotator!r})")
        return problems

    def raise_for_values(self, sample: Any, values: dict[str, Any], *, partial: bool = False) -> None:
        problems = self.validate_values(sample, values, partial=partial)
        if problems:
            raise AnnotationValueError(problems[0] + ("" if len(problems) == 1 else f" (and {len(problems) - 1} more)"))


#: question keys added after schema hashes were first recorded, left out of the hash at their defaults so
#: that a schema (and the pages and results that carry its hash) keeps the hash it had
_NEW_DEFAULTS = {"placeholder": "", "max_length": None, "ties": False}


def _without_new_defaults(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_new_defaults(v) for k, v in data.items()
                if not (k in _NEW_DEFAULTS and v == _NEW_DEFAULTS[k] and "type" in data)}
    if isinstance(data, list):
        return [_without_new_defaults(x) for x in data]
    return data


def _walk(questions: list[Question], *, spans: bool) -> Any:
    for q in questions:
        yield q
        if q.type != "span" or spans:
            yield from _walk([f for _, f in q.followups()], spans=spans)


def _chosen(parent: Question, value: Any, option: str) -> bool:
    if parent.type == "multi_choice":
        return isinstance(value, list) and option in value
    return value == option


def _check_followup(q: Question, parent: Question, option: str, values: dict[str, Any], cand_ids: list[str],
                    partial: bool) -> list[str]:
    """A follow-up is answered exactly where its option was chosen (per candidate for per-candidate parents)."""
    pv, fv = values.get(parent.name), values.get(q.name)
    if not parent.per_candidate:
        on = _chosen(parent, pv, option)
        if fv is not None and not on:
            return [f"answered, but option {option!r} of {parent.name!r} was not chosen"]
        if on and fv is None and q.required and not partial:
            return [f"required follow-up of option {option!r} of {parent.name!r} is missing"]
        return []
    pv = pv if isinstance(pv, dict) else {}
    fv = fv if isinstance(fv, dict) else {}
    out = [f"candidate {cid!r}: answered, but option {option!r} of {parent.name!r} was not chosen"
           for cid, v in fv.items() if v is not None and not _chosen(parent, pv.get(cid), option)]
    if q.required and not partial:
        out += [f"candidate {cid!r}: required follow-up of option {option!r} of {parent.name!r} is missing"
                for cid in cand_ids if _chosen(parent, pv.get(cid), option) and fv.get(cid) is None]
    return out


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _check_rating(q: Question, v: Any) -> str | None:
    if not _is_number(v):
        return f"rating {v!r} is not a number"
    if q.rubric:
        if not any(float(v) == float(level.value) for level in q.rubric):
            return f"rating {v!r} is not one of the rubric values {[level.value for level in q.rubric]}"
        return None
    if q.min is not None and v < q.min or q.max is not None and v > q.max:
        return f"rating {v!r} is outside {q.min:g}..{q.max:g}"
    if q.step and q.min is not None:
        k = (v - q.min) / q.step
        if abs(k - round(k)) > 1e-9:
            return f"rating {v!r} is not on the step {q.step:g} from {q.min:g}"
    return None


def _check_value(q: Question, v: Any, cand_ids: list[str], sample: Any) -> list[str]:
    allowed = q.allowed_values(cand_ids)
    if q.per_candidate and q.type != "span":
        if not isinstance(v, dict):
            return [f"per-candidate answer {v!r} is not a mapping of candidate id to value"]
        out = []
        for cid, sub in v.items():
            if cid not in cand_ids:
                out.append(f"unknown candidate {cid!r}")
                continue
            inner = q.model_copy(update={"per_candidate": False})
            out += [f"candidate {cid!r}: {m}" for m in _check_value(inner, sub, cand_ids, sample)]
        return out
    if q.type == "single_choice":
        return [] if isinstance(v, str) and v in allowed else [f"value {v!r} is not one of {allowed}"]
    if q.type == "multi_choice":
        if not isinstance(v, list):
            return [f"value {v!r} is not a list"]
        bad = [x for x in v if x not in allowed]
        return [f"values {bad!r} are not among {allowed}"] if bad else []
    if q.type == "rating":
        msg = _check_rating(q, v)
        return [msg] if msg else []
    if q.type == "ranking":
        if not isinstance(v, list) or not all(
                isinstance(x, str) or (isinstance(x, list) and x and all(isinstance(y, str) for y in x)) for x in v):
            return [f"ranking {v!r} is not a list of ids" + (" or of tiers (lists of ids)" if q.ties else "")]
        if not q.ties and any(isinstance(x, list) for x in v):
            return [f"ranking {v!r} puts answers in one place (a tier), but question {q.name!r} does not allow "
                    "ties"]
        flat = [y for tier in ranking_tiers(v) for y in tier]
        if len(set(flat)) != len(flat):
            return [f"ranking {v!r} repeats an item"]
        bad = [x for x in flat if x not in allowed]
        return [f"ranking items {bad!r} are not among {allowed}"] if bad else []
    if q.type == "text":
        if not isinstance(v, str):
            return [f"value {v!r} is not text"]
        if q.max_length is not None and len(v) > q.max_length:
            return [f"text of {len(v)} characters is longer than max_length {q.max_length}"]
        return []
    if q.type == "span":
        return _check_spans(q, v, sample)
    return [f"unsupported question type {q.type!r}"]  # pragma: no cover


def ranking_tiers(value: Any) -> list[list[str]]:
    """A ranking value as tiers of ids, best first: ``["a", ["b", "c"], "d"]`` is ``[["a"], ["b", "c"], ["d"]]``.

    A ranking is a list, best first, of items that are each an id (a place of its own) or a non-empty list
    of ids (a tier: equally good, one shared place); tiers are allowed when the question has ``ties``.
    """
    if not isinstance(value, (list, tuple)):
        return []
    return [[str(y) for y in x] if isinstance(x, (list, tuple)) else [str(x)] for x in value
            if not (isinstance(x, (list, tuple)) and not x)]


def ranking_flat(value: Any) -> list[str]:
    """The ids of a ranking value in order, tiers flattened (for readers that need only the order)."""
    return [y for tier in ranking_tiers(value) for y in tier]


def _span_text(sample: Any, field: str) -> str | None:
    if field == "prompt":
        return sample.prompt_text
    if field.startswith("prompt."):
        idx = field.split(".", 1)[1]
        return sample.prompt[int(idx)].content if idx.isdigit() and int(idx) < len(sample.prompt) else None
    if field.startswith("candidates."):
        cand = sample.candidate(field.split(".", 1)[1])
        return cand.content if cand else None
    return None


def _check_spans(q: Question, v: Any, sample: Any) -> list[str]:
    if not isinstance(v, list):
        return [f"spans {v!r} are not a list"]
    labels = {o.value for o in q.options}
    out = []
    for span in v:
        if not isinstance(span, dict) or not {"field", "start", "end", "label"} <= set(span):
            out.append(f"span {span!r} needs field, start, end and label")
            continue
        if span["label"] not in labels:
            out.append(f"span label {span['label']!r} is not one of {sorted(labels)}")
        text = _span_text(sample, str(span["field"]))
        if text is None:
            out.append(f"span field {span['field']!r} does not exist")
            continue
        s, e = span["start"], span["end"]
        if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text)):
            out.append(f"span {s!r}..{e!r} is outside field {span['field']!r} (length {len(text)})")
        out += _check_span_followups(q, span, sample)
    return out


def _check_span_followups(q: Question, span: dict[str, Any], sample: Any) -> list[str]:
    """Answers about one span live in ``span["values"]`` and follow the follow-ups of its label."""
    asked = {f.name: f for value, f in q.followups() if value == span.get("label")}
    given = span.get("values") or {}
    if not isinstance(given, dict):
        return [f"span values {given!r} are not a mapping of question to value"]
    out = [f"span {span['start']}..{span['end']}: question {k!r} is not asked about label {span.get('label')!r}"
           for k in given if k not in asked]
    cand_ids = [c.id for c in sample.candidates]
    for name, f in asked.items():
        if given.get(name) is None:
            if f.required:
                out.append(f"span {span['start']}..{span['end']}: required follow-up {name!r} is missing")
            continue
        out += [f"span {span['start']}..{span['end']}, {name!r}: {m}" for m in _check_value(f, given[name],
                                                                                               cand_ids, sample)]
    return out


# ---------------------------------------------------------------------- from plain data
def schema_from_dict(data: dict[str, Any], source: str = "schema") -> AnnotationSchema:
    """A schema from labelloop's own mapping; one sentence naming ``source`` and the field on a bad one.

    Reading files, template names and other tools' schemas is ``labelloop.formats.schemas``' job: the
    data layer knows no formats.
    """
    try:
        return AnnotationSchema.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "top level"
        raise SchemaError(f"{source}: {where}: {err['msg']}.") from None
