"""DataLabel schemas, both ways: a DataLabel schema read as an ``AnnotationSchema``, and the one DataLabel
page a labelloop schema becomes (DataLabel asks one question per page)."""

from __future__ import annotations

import re
from typing import Any

from labelloop.data.numbers import compact, plain_number
from labelloop.data.positions import position_label
from labelloop.data.preference import preference_question
from labelloop.data.schema import AnnotationSchema, FieldSpec, Option, Question, RubricLevel
from labelloop.errors import SchemaError

TYPES = {
    "scoring": ("score", "rating"),
    "single_choice": ("choice", "single_choice"),
    "multi_choice": ("choices", "multi_choice"),
    "text": ("text", "text"),
    "ranking": ("ranking", "ranking"),
}
VALUE_KEYS = {key: qtype for key, qtype in TYPES.values()}
DEFAULT_RUBRIC = [(1, "1"), (0.5, "0.5"), (0, "0")]  # what DataLabel shows when a scoring schema has no rubric
PROMPT_KEYS = ("prompt", "instruction", "question", "query", "input", "text", "content")
SYSTEM_KEYS = ("system", "system_prompt")
RESPONSE_KEYS = ("response", "output", "answer", "completion")
LETTERED = re.compile(r"^(?:response|answer|output|completion)_([a-z]+|\d+)$")
HINT_KEY = "labelloop_question"  # schema-level key DataLabel ignores; the question it stands for


def letter(k: int) -> str:
    """The letter DataLabel files give screen position ``k`` (``response_a``, option ``"a"``): the position
    label of ``labelloop.data.positions`` in lower case."""
    return position_label(k).lower()


def schema_from_datalabel(data: dict[str, Any], source: str = "schema") -> AnnotationSchema:
    """An ``AnnotationSchema`` from a DataLabel schema dict (``source`` names it in errors)."""
    if not isinstance(data, dict):
        raise SchemaError(f"{source}: a DataLabel schema must be a JSON object.")
    questions: list[Question] = []
    config = data.get("annotation_config")
    if config is not None and not isinstance(config, dict):
        raise SchemaError(f"{source}: annotation_config must be an object.")
    dl_type = (config or {}).get("type", "scoring")
    if dl_type not in TYPES:
        raise SchemaError(f"{source}: annotation_config.type {dl_type!r} is not one of {', '.join(TYPES)}.")
    rubric = data.get("scoring_rubric")
    if rubric is not None or dl_type == "scoring":
        levels = _rubric(rubric, source) if rubric else [RubricLevel(value=v, label=lab) for v, lab in DEFAULT_RUBRIC]
        questions.append(Question(name="score", type="rating", title="Score", rubric=levels,
                                  required=dl_type == "scoring"))
    if dl_type != "scoring":
        key, qtype = TYPES[dl_type]
        q: dict[str, Any] = {"name": key, "type": qtype, "title": key.capitalize()}
        if qtype != "text":
            q.update(_candidate_options(_options(config.get("options"), source), data.get("fields")))
        if qtype == "text":
            q["placeholder"] = str(config.get("placeholder") or "")
            limit = config.get("max_length")
            if limit is not None:
                if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                    raise SchemaError(f"{source}: annotation_config.max_length must be a whole number of characters "
                                      f"(0: no limit), not {limit!r}.")
                if limit > 0:  # DataLabel's page limits the box only for a positive max_length
                    q["max_length"] = limit
        try:
            questions.append(Question(**q))
        except ValueError as exc:
            raise SchemaError(f"{source}: annotation_config: {_first_error(exc)}.") from None
    questions.append(Question(name="comment", type="text", title="Comment", required=False))
    fields = _fields(data.get("fields"), source)
    kw: dict[str, Any] = {"name": str(data.get("project_name") or "datalabel"), "questions": questions}
    if fields:
        kw["fields"] = fields
    return AnnotationSchema(**kw)


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return str(errors()[0]["msg"]).removeprefix("Value error, ")
    return str(exc)


def _rubric(rubric: Any, source: str) -> list[RubricLevel]:
    if not isinstance(rubric, list) or not rubric:
        raise SchemaError(f"{source}: scoring_rubric must be a non-empty list.")
    out = []
    for i, level in enumerate(rubric):
        score = level.get("score") if isinstance(level, dict) else None
        if isinstance(score, str):
            try:
                score = float(score)
            except ValueError:
                score = None
        if not isinstance(score, (int, float)) or isinstance(score, bool):
            raise SchemaError(f"{source}: scoring_rubric[{i}] has no numeric 'score'.")
        desc = level.get("description") or level.get("criteria") or ""
        out.append(RubricLevel(value=score, label=str(level.get("label") or ""), description=str(desc)))
    return out


def _options(options: Any, source: str) -> list[Option]:
    if not isinstance(options, list):
        raise SchemaError(f"{source}: annotation_config.options must be a list of {{value, label}}.")
    out = []
    for i, opt in enumerate(options):
        if isinstance(opt, str):
            opt = {"value": opt}
        if not isinstance(opt, dict) or (opt.get("value") is None and opt.get("label") is None):
            raise SchemaError(f"{source}: annotation_config.options[{i}] has neither value nor label.")
        value = opt.get("value", opt.get("label"))
        out.append(Option(value=str(value), label=None if opt.get("label") is None else str(opt["label"])))
    return out


def _candidate_options(options: list[Option], fields: Any) -> dict[str, Any]:
    """Options ``a``, ``b``… that name the task's ``response_a``, ``response_b``…: a choice among the candidates
    (the page and the pre-label prompt then name each answer by its one screen letter), the rest plain options.

    The letters are those of the schema's lettered response fields; when its fields name none, the options
    ``a``, ``b``… from the first on (at least two)."""
    names = {str(f.get("name")) for f in fields if isinstance(f, dict)} if isinstance(fields, list) else set()
    letters = {m.group(1) for n in names if (m := LETTERED.match(n))}
    if not letters:
        run = 0
        while run < len(options) and options[run].value == letter(run):
            run += 1
        letters = {letter(k) for k in range(run)} if run >= 2 else set()
    picked = [o for o in options if o.value in letters and not o.followups]
    if not picked:
        return {"options": options}
    return {"options": [o for o in options if o not in picked], "options_from_candidates": True}


def _fields(fields: Any, source: str) -> list[FieldSpec]:
    if fields is None:
        return []
    if not isinstance(fields, list):
        raise SchemaError(f"{source}: fields must be a list.")
    out: list[FieldSpec] = []
    have_candidates = False
    for i, f in enumerate(fields):
        if not isinstance(f, dict) or not f.get("name"):
            raise SchemaError(f"{source}: fields[{i}] has no name.")
        name = str(f["name"])
        title = f.get("display_name")
        if name in PROMPT_KEYS or name in SYSTEM_KEYS:
            out.append(FieldSpec(name=name, source="prompt", title=title))
        elif name in RESPONSE_KEYS or LETTERED.match(name) or name in ("chosen", "rejected", "responses"):
            if not have_candidates:  # one view of all candidates, however many response keys there are
                out.append(FieldSpec(name="candidates", source="candidates",
                                     title=title if name in RESPONSE_KEYS else None))
                have_candidates = True
        else:
            out.append(FieldSpec(name=name, source=f"metadata.{name}", title=title))
    if out and not have_candidates:  # fields naming only the prompt: the answers are still what is judged
        at = next((i + 1 for i in range(len(out) - 1, -1, -1) if out[i].source == "prompt"), len(out))
        out.insert(at, FieldSpec(name="candidates", source="candidates"))
    return out


def schema_to_datalabel(schema: AnnotationSchema, n_candidates: int = 2) -> dict[str, Any]:
    """A DataLabel schema for ``schema``, best effort.

    DataLabel asks one question per page, so only the main question goes over: the preference
    question (ranking, choice among candidates, correct set, per-candidate rating) if there is
    one, else the first question DataLabel can show. Candidate options become ``a``, ``b``... (the
    ``response_a``... keys of the tasks ``write`` produces). Dropped: other questions,
    per-candidate ratings (DataLabel scores a task, not an answer), spans, rating bounds without
    a rubric beyond 11 steps, and the guidelines (pass them to DataLabel with ``-g``).
    """
    n = max(1, n_candidates)
    fields: list[dict[str, Any]] = [{"name": "prompt", "display_name": "Prompt", "type": "text"}]
    keys = ["response"] if n == 1 else [f"response_{letter(k)}" for k in range(n)]
    fields += [{"name": k, "display_name": k.replace("_", " ").capitalize(), "type": "text"} for k in keys]
    out: dict[str, Any] = {"project_name": schema.name, "fields": fields}
    q = _main_question(schema)
    if q is None:
        raise SchemaError(f"Schema {schema.name!r} has no question DataLabel can show (one score, choice, "
                          "multi-choice, text or ranking question).")
    out[HINT_KEY] = q.name
    letters = [letter(k) for k in range(n)]
    if q.type == "rating":
        out["scoring_rubric"] = _levels(q)
        return out
    if q.type == "text":
        out["annotation_config"] = {"type": "text", "placeholder": q.placeholder or q.description or q.title}
        if q.max_length is not None:
            out["annotation_config"]["max_length"] = q.max_length
        return out
    dl_type = {"single_choice": "single_choice", "multi_choice": "multi_choice", "ranking": "ranking"}[q.type]
    options = []
    if q.options_from_candidates:
        options += [{"value": x, "label": f"Response {x.upper()}"} for x in letters]
    options += [{"value": o.value, "label": o.text} for o in q.options]
    out["annotation_config"] = {"type": dl_type, "options": options}
    return out


def _main_question(schema: AnnotationSchema) -> Question | None:
    q = preference_question(schema)
    if q is not None and not (q.type == "rating" and q.per_candidate):
        return q
    showable = [q for q in schema.questions if q.type in ("single_choice", "multi_choice", "ranking", "text")
                or (q.type == "rating" and not q.per_candidate)]
    return next(iter([q for q in showable if q.name != "comment"] or showable), None)


def _levels(q: Question) -> list[dict[str, Any]]:
    if q.rubric:
        return [{"score": lv.value, "label": lv.label, "description": lv.description} for lv in q.rubric]
    assert q.min is not None and q.max is not None  # the Question validator guarantees it without a rubric
    step = q.step or 1
    count = int(round((q.max - q.min) / step)) + 1
    if count > 11:
        raise SchemaError(f"Rating question {q.name!r} has {count} steps; DataLabel needs a rubric of at most 11.")
    values = [q.min + k * step for k in range(count)]
    return [{"score": plain_number(v), "label": compact(v)} for v in reversed(values)]
