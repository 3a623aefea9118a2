"""The DataLabel tool (``knowlyr-datalabel`` 0.3.1): schema, tasks and results files, both ways.

DataLabel shows one task per page and asks one question of it, so its files are simple:

* schema: ``project_name``, ``fields``, ``scoring_rubric`` and/or ``annotation_config`` with
  ``type`` scoring / single_choice / multi_choice / text / ranking. ``schema_from_datalabel``
  maps it to an ``AnnotationSchema`` whose question names are DataLabel's value keys
  (``score``, ``choice``, ``choices``, ``text``, ``ranking``) plus an optional ``comment``.
* tasks (format ``datalabel``): a list, or ``{"samples" | "tasks": [...]}``, of
  ``{id, data: {...}, task_type}`` (or flat tasks, read with ``--format datalabel``). ``data``
  keys map onto the prompt (prompt / instruction [+ input] / question / query / input / text),
  the candidates (``response``; ``response_a``, ``response_b``... with ids ``"a"``, ``"b"``;
  ``chosen``/``rejected`` as ``"0"``/``"1"`` plus a ``reference`` preference; a ``responses``
  list) and the sample metadata (everything else).
* results (format ``datalabel_results``): one annotator's export, JSON
  ``{schema, metadata, responses: [...]}``, JSONL or CSV of ``{task_id, data, score | choice |
  choices | text | ranking, comment, annotated_at}``, read as ``human`` annotations (annotator:
  ``metadata.annotator``, else the file name); the file ``merge`` writes (``individual_*`` keys)
  as ``aggregate`` ones; LLM pre-labels (``source: llm_prelabel``) as ``prediction`` ones.
  ``load_results`` reads several annotators' files (and optionally the tasks) into one dataset.

Writing tasks keeps labelloop's candidate ids, models and metadata in a task-level ``labelloop``
key that DataLabel ignores; DataLabel shows candidates as ``response_a``, ``response_b``... in a
seeded per-task shuffled order (the design's rule against position bias), and ``load_results``
with the tasks file maps the letters in people's answers back to candidate ids.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from labelloop.data.io import atomic_open
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message, combine_datasets
from labelloop.data.preference import preference_question
from labelloop.data.schema import AnnotationSchema, FieldSpec, Option, Question, RubricLevel
from labelloop.errors import FormatError, InputFileError, LabelloopError, RowError, SchemaError
from labelloop.formats.base import Format, _loads_if_json, make_id, register, scalar, to_messages

#: DataLabel annotation type -> (value key in results, our question type)
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
EXTRA_KEY = "labelloop"  # task-level key DataLabel ignores; holds candidate ids, models, metadata
HINT_KEY = "labelloop_question"  # schema-level key DataLabel ignores; the question it stands for


# ---------------------------------------------------------------------- schema
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
        if qtype == "text":
            q["description"] = str(config.get("placeholder") or "")
        else:
            q["options"] = _options(config.get("options"), source)
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
    keys = ["response"] if n == 1 else [f"response_{_letter(k)}" for k in range(n)]
    fields += [{"name": k, "display_name": k.replace("_", " ").capitalize(), "type": "text"} for k in keys]
    out: dict[str, Any] = {"project_name": schema.name, "fields": fields}
    q = _main_question(schema)
    if q is None:
        raise SchemaError(f"Schema {schema.name!r} has no question DataLabel can show (one score, choice, "
                          "multi-choice, text or ranking question).")
    out[HINT_KEY] = q.name
    letters = [_letter(k) for k in range(n)]
    if q.type == "rating":
        out["scoring_rubric"] = _levels(q)
        return out
    if q.type == "text":
        out["annotation_config"] = {"type": "text", "placeholder": q.description or q.title}
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
    return [{"score": int(v) if float(v).is_integer() else v, "label": f"{v:g}"} for v in reversed(values)]


def _letter(k: int) -> str:
    s = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        s = chr(97 + r) + s
    return s


def _letter_key(suffix: str) -> tuple[int, int, str]:
    return (1, int(suffix), "") if suffix.isdigit() else (0, len(suffix), suffix)


# ---------------------------------------------------------------------- tasks -> samples
def _task_parts(task: dict[str, Any], index: int) -> tuple[str, dict[str, Any], Any, dict[str, Any]]:
    """(id, data, task_type, extra) of the ``index``-th task (1-based): nested ``data`` or the flat task.

    A task without an id is ``TASK_001``, ``TASK_002``... as DataLabel's page names it in results.
    """
    extra = task.get(EXTRA_KEY) if isinstance(task.get(EXTRA_KEY), dict) else {}
    sid = scalar(task.get("id"))
    sid = str(sid) if sid not in (None, "", 0) else f"TASK_{index:03d}"
    data = _loads_if_json(task.get("data"))
    if isinstance(data, dict):
        return sid, data, task.get("task_type"), extra
    flat = {k: v for k, v in task.items() if k not in ("id", "task_type", EXTRA_KEY)}
    return sid, flat, task.get("task_type"), extra


def sample_from_data(sample_id: Any, data: dict[str, Any], task_type: Any = None, extra: dict[str, Any] | None = None,
                     ) -> tuple[DataSample, dict[str, str]]:
    """A sample from a DataLabel ``data`` dict, and how DataLabel's letters map to candidate ids."""
    used: set[str] = set()
    prompt: list[Message] = []
    for key in SYSTEM_KEYS:
        if data.get(key) not in (None, ""):
            prompt.append(Message(role="system", content=str(data[key])))
            used.add(key)
            break
    extra = extra or {}
    if isinstance(extra.get("prompt"), list):
        prompt = to_messages(extra["prompt"], "labelloop.prompt")
        used.add("prompt")
    else:
        for key in PROMPT_KEYS:
            if data.get(key) in (None, ""):
                continue
            turns = to_messages(data[key], key)
            used.add(key)
            if key == "instruction" and isinstance(data.get("input"), str) and data["input"].strip():
                turns[-1] = Message(role=turns[-1].role, content=f"{turns[-1].content}\n\n{data['input']}")
                used.add("input")
            prompt += turns
            break
    cands: list[Candidate] = []
    reference: dict[str, Any] | None = None
    lettered = sorted(((m.group(1), k) for k in data if (m := LETTERED.match(k))), key=lambda t: _letter_key(t[0]))
    if lettered:
        for suffix, key in lettered:
            cands.append(Candidate(id=suffix, content=_text(data[key]), model=_model(data, key, suffix)))
            used.add(key)
    elif "chosen" in data and "rejected" in data:
        cands = [Candidate(id="0", content=_text(data["chosen"]), model=_opt(data.get("chosen_model"))),
                 Candidate(id="1", content=_text(data["rejected"]), model=_opt(data.get("rejected_model")))]
        used |= {"chosen", "rejected", "chosen_model", "rejected_model"}
        reference = {"preference": "0"}
    elif isinstance(data.get("responses"), list):
        cands = [Candidate(id=str(i), content=_text(r)) for i, r in enumerate(data["responses"])]
        used.add("responses")
    else:
        key = next((k for k in RESPONSE_KEYS if k in data and k not in used), None)
        if key is not None:
            cands = [Candidate(id="0", content=_text(data[key]), model=_opt(data.get("model")))]
            used |= {key, "model"}
    letters = {c.id: c.id for c in cands}
    if isinstance(extra.get("candidates"), list):  # written by labelloop: restore ids, order, models
        cands, letters = _restore(extra["candidates"], cands, data)
    metadata = {k: scalar(v) for k, v in data.items() if k not in used}
    if task_type not in (None, "", "default"):
        metadata["task_type"] = task_type
    if isinstance(extra.get("metadata"), dict):
        metadata.update(extra["metadata"])
    anns = []
    if reference:
        anns.append(Annotation(annotator="datalabel", kind="reference", values=reference, origin="datalabel"))
    sid = make_id(scalar(sample_id), prompt, cands)
    return DataSample(id=sid, prompt=prompt, candidates=cands, annotations=anns, metadata=metadata), letters


def _restore(entries: list[Any], read: list[Candidate], data: dict[str, Any]) -> tuple[list[Candidate], dict[str, str]]:
    out, letters = [], {}
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or "key" not in e or "id" not in e:
            raise RowError(f"labelloop.candidates[{i}] needs 'key' and 'id'")
        key = str(e["key"])
        if key not in data:
            raise RowError(f"labelloop.candidates[{i}] names data key {key!r}, which the task does not have")
        m = LETTERED.match(key)
        letters[m.group(1) if m else "a"] = str(e["id"])  # a lone "response" is option "a" in our schemas
        out.append(Candidate(id=str(e["id"]), content=_text(data[key]), model=_opt(e.get("model")),
                             metadata=dict(e.get("metadata") or {})))
    return out, letters


def _text(v: Any) -> str:
    v = scalar(v)
    if v is None:
        return ""
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _opt(v: Any) -> str | None:
    v = scalar(v)
    return None if v in (None, "") else str(v)


def _model(data: dict[str, Any], key: str, suffix: str) -> str | None:
    return _opt(data.get(f"{key}_model") or data.get(f"model_{suffix}"))


@register
class DataLabelTasksFormat(Format):
    name = "datalabel"
    description = "DataLabel tasks: {id, data: {prompt, response | response_a, response_b...}, task_type}"
    can_write = True
    priority = 1  # last resort: many tools nest a 'data' dict in their tasks

    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        if first is None or not isinstance(first.get("data"), dict):
            return False
        if {"annotations", "predictions", "task_id"} & columns:  # Label Studio tasks, DataLabel results
            return False
        return bool({"id", "task_type"} & columns)

    def begin(self, source: Any) -> None:
        header = source.header
        if header and isinstance(header.get("schema"), dict) and "questions" not in header["schema"]:
            header["schema"] = schema_from_datalabel(header["schema"], str(source.description)).model_dump()
        schema = self.options.get("schema")
        if isinstance(schema, AnnotationSchema):
            source.header = {**(header or {}), "schema": schema.model_dump()}

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        self._index = getattr(self, "_index", 0) + 1
        sid, data, task_type, extra = _task_parts(row, self._index)
        return [sample_from_data(sid, data, task_type, extra)[0]]

    def write(self, dataset: Dataset, path: Path) -> int:
        return write_tasks(dataset, path, schema_path=self.options.get("schema_path"),
                           shuffle=self.options.get("shuffle", True), seed=self.options.get("seed") or 0)


def write_tasks(dataset: Dataset, path: str | Path, *, schema_path: str | Path | None = None, shuffle: bool = True,
                seed: int = 0) -> int:
    """Write a DataLabel tasks file ``{"samples": [...], "schema": {...}}`` (and the schema alone, if asked).

    Candidates appear as ``response`` (one) or ``response_a``, ``response_b``... in a per-task order
    shuffled with ``seed``; the task-level ``labelloop`` key records which letter is which id.
    """
    n_max = max((len(s.candidates) for s in dataset.samples), default=2)
    tasks = []
    for s in dataset.samples:
        n = len(s.candidates)
        order = list(range(n))
        if shuffle:
            random.Random(f"{seed}:{s.id}").shuffle(order)
        keys = ["response"] if n == 1 else [f"response_{_letter(k)}" for k in range(n)]
        data: dict[str, Any] = {}
        single_user = len(s.prompt) == 1 and s.prompt[0].role == "user"
        if s.prompt:
            data["prompt"] = s.prompt[0].content if single_user else [m.model_dump() for m in s.prompt]
        for pos, idx in enumerate(order):
            data[keys[pos]] = s.candidates[idx].content
        entries = []
        for idx, c in enumerate(s.candidates):
            e: dict[str, Any] = {"key": keys[order.index(idx)], "id": c.id}
            if c.model:
                e["model"] = c.model
            if c.metadata:
                e["metadata"] = c.metadata
            entries.append(e)
        meta = dict(s.metadata)
        task_type = meta.pop("task_type", "default")
        extra: dict[str, Any] = {"candidates": entries}
        if meta:
            extra["metadata"] = meta
        if s.prompt and not single_user:
            extra["prompt"] = data["prompt"]
        tasks.append({"id": s.id, "data": data, "task_type": task_type, EXTRA_KEY: extra})
    doc: dict[str, Any] = {"samples": tasks}
    dl_schema = None
    if dataset.schema is not None:
        dl_schema = schema_to_datalabel(dataset.schema, n_max)
        doc["schema"] = dl_schema
    with atomic_open(path) as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=2, default=str)
        fh.write("\n")
    if schema_path is not None:
        if dl_schema is None:
            raise LabelloopError(f"Cannot write the DataLabel schema {schema_path}: the dataset has no schema.")
        with atomic_open(schema_path) as fh:
            json.dump(dl_schema, fh, ensure_ascii=False, indent=2)
            fh.write("\n")
    return len(tasks)


# ---------------------------------------------------------------------- results
@register
class DataLabelResultsFormat(Format):
    name = "datalabel_results"
    description = "DataLabel results: {schema, metadata, responses: [{task_id, data, score|choice|..., comment}]}"
    required = ("task_id",)
    priority = 25

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.merged = False
        self.dl_schema: dict[str, Any] | None = None
        self.target: AnnotationSchema | None = None
        self.annotator = str(options.get("annotator") or "datalabel")
        self.file_meta: dict[str, Any] = {}

    def detect(self, columns: set[str], first: dict[str, Any] | None) -> bool:
        return "task_id" in columns and bool(set(VALUE_KEYS) & columns or any(c.startswith("individual_")
                                                                               for c in columns))

    def begin(self, source: Any) -> None:
        doc = source.extra.get("document") if isinstance(source.extra.get("document"), dict) else {}
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        where = str(source.description)
        self.merged = "merged_at" in meta or "annotator_count" in meta
        self.dl_schema = doc.get("schema") if isinstance(doc.get("schema"), dict) else None
        given = self.options.get("schema")
        if given is not None and not isinstance(given, AnnotationSchema):
            raise LabelloopError("The 'schema' option of format 'datalabel_results' must be an AnnotationSchema.")
        self.target = given or (
            schema_from_datalabel(self.dl_schema, where) if self.dl_schema else None)
        if self.options.get("annotator"):
            self.annotator = str(self.options["annotator"])
        elif self.merged:
            self.annotator = f"datalabel:{meta.get('strategy') or 'merge'}"
        elif meta.get("annotator"):
            self.annotator = str(meta["annotator"])
        else:
            p = Path(where)
            self.annotator = p.stem if p.is_file() else "datalabel"
        self.file_meta = {k: v for k, v in meta.items() if k in ("strategy", "merged_at", "exported_at", "tool",
                                                                 "version", "source_files")}
        source.header = {"name": str((self.dl_schema or {}).get("project_name") or Path(where).stem),
                         "schema": self.target.model_dump() if self.target else None, "metadata": {}}

    def to_samples(self, row: dict[str, Any]) -> Iterable[DataSample]:
        return [self.response_sample(row)[0]]

    def response_sample(self, row: dict[str, Any]) -> tuple[DataSample, dict[str, str]]:
        task_id = scalar(row.get("task_id"))
        if task_id in (None, ""):
            raise RowError("field 'task_id' is missing")
        data = _loads_if_json(row.get("data"))
        if isinstance(data, dict):
            sample, letters = sample_from_data(task_id, data)
        else:
            sample, letters = DataSample(id=str(task_id)), {}
        ann = self.annotation(row)
        sample.annotations = [ann]
        target = self.target
        if target is not None and (sample.candidates or not any(
                q.options_from_candidates for q in target.questions if q.name in ann.values)):
            check(target, sample, ann)
        return sample, letters

    def annotation(self, row: dict[str, Any]) -> Annotation:
        values: dict[str, Any] = {}
        ann_meta: dict[str, Any] = {}
        flagged = False
        for key in VALUE_KEYS:
            if key not in row:
                continue
            value = _value(key, row[key])
            if value is None:
                flagged = flagged or self.merged  # "strict" merge writes null on disagreement
                continue
            values[self.question_name(key)] = value
        if not values and not flagged:
            raise RowError(f"no answer: none of {', '.join(VALUE_KEYS)} is set")
        comment = row.get("comment")
        if isinstance(comment, str) and comment.strip():
            if self.target is None or any(q.name == "comment" for q in self.target.questions):
                values["comment"] = comment
            else:
                ann_meta["comment"] = comment
        for k, v in row.items():
            if k.startswith("individual_") or k in ("annotation_count", "merged_at"):
                ann_meta[k] = v
        kind = "aggregate" if self.merged or any(k.startswith("individual_") for k in row) else "human"
        if kind == "aggregate":
            ann_meta.update(self.file_meta)
        if row.get("source") == "llm_prelabel":
            kind = "prediction"
        when = row.get("annotated_at") or row.get("merged_at")
        return Annotation(annotator=self.annotator, kind=kind, values=values, origin="datalabel",
                          status="flagged" if flagged else "submitted",
                          created_at=_time(when), metadata=ann_meta)

    def question_name(self, key: str) -> str:
        """The question of the target schema a DataLabel value key answers."""
        schema = self.target
        if schema is None:
            return key
        qtype = VALUE_KEYS[key]
        hint = (self.dl_schema or {}).get(HINT_KEY)  # written by schema_to_datalabel
        named = next((q for q in schema.questions if q.name == hint), None)
        if named is not None and named.type == qtype:
            return named.name
        fits = [q for q in schema.questions if q.type == qtype and not (qtype == "rating" and q.per_candidate)]
        if qtype == "text":
            fits = [q for q in fits if q.name != "comment"] or fits
        if not fits:
            raise RowError(f"answer {key!r} fits no {qtype} question of schema {schema.name!r}")
        return fits[0].name


def check(schema: AnnotationSchema, sample: DataSample, ann: Annotation) -> None:
    problems = schema.validate_values(sample, ann.values, partial=True)
    if problems:
        raise RowError(problems[0])


def _value(key: str, v: Any) -> Any:
    v = _loads_if_json(scalar(v))
    if v is None or (isinstance(v, str) and v == "" and key != "text"):
        return None
    if key == "score":
        if isinstance(v, str):
            try:
                v = float(v)
            except ValueError:
                raise RowError(f"score {v!r} is not a number") from None
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise RowError(f"score {v!r} is not a number")
        return int(v) if isinstance(v, float) and v.is_integer() else v
    if key in ("choices", "ranking"):
        if not isinstance(v, list):
            raise RowError(f"{key} {v!r} is not a list")
        return [str(x) for x in v]
    return str(v)


def _time(v: Any) -> datetime | None:
    if v in (None, ""):
        return None
    try:
        return datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"annotated_at {v!r} is not an ISO 8601 time") from None


def load_results(paths: list[str | Path] | str | Path, schema: AnnotationSchema | None = None, *,
                 tasks: str | Path | Dataset | None = None, name: str | None = None) -> Dataset:
    """One dataset from several DataLabel results files (one per annotator, or a merged file).

    With ``tasks`` (the tasks file, or its dataset), samples take their prompt and candidates from
    the tasks, letters in answers map back to candidate ids, and a ``task_id`` that is not a task is
    an error. Without it they come from each response's ``data``.
    """
    from labelloop.formats.reader import SampleReader

    if isinstance(paths, (str, Path)):
        paths = [paths]
    if not paths:
        raise InputFileError("No DataLabel results files were given.")
    task_samples: dict[str, tuple[DataSample, dict[str, str]]] | None = None
    if tasks is not None:
        task_samples = _read_tasks(tasks)
    datasets = []
    seen: dict[str, str | Path] = {}
    for path in paths:
        reader = SampleReader(path, "datalabel_results", options={"schema": schema} if schema else None)
        fmt: DataLabelResultsFormat = reader.fmt  # type: ignore[assignment]
        ds = reader.load()
        if not fmt.merged and fmt.annotator in seen:
            raise LabelloopError(f"Results files {seen[fmt.annotator]} and {path} both read as annotator "
                                 f"{fmt.annotator!r}; rename one or set its metadata.annotator.")
        seen[fmt.annotator] = path
        if task_samples is not None:
            ds.samples = [_onto_task(s, task_samples, fmt, path) for s in ds.samples]
        datasets.append(ds)
    if task_samples is None:
        _fill_candidates(datasets)
    out = combine_datasets(datasets, name=name)
    if out.schema is None and schema is not None:
        out.schema = schema
    return out


def _read_tasks(tasks: str | Path | Dataset) -> dict[str, tuple[DataSample, dict[str, str]]]:
    if isinstance(tasks, Dataset):
        return {s.id: (s, {c.id: c.id for c in s.candidates}) for s in tasks.samples}
    from labelloop.formats.containers import Row, open_rows

    out: dict[str, tuple[DataSample, dict[str, str]]] = {}
    for index, item in enumerate(open_rows(tasks).rows, start=1):
        if not isinstance(item, Row):
            raise item
        try:
            sid, data, task_type, extra = _task_parts(item.data, index)
            sample, letters = sample_from_data(sid, data, task_type, extra)
        except RowError as exc:
            raise FormatError(f"{item.location}: {exc}.") from None
        if sample.id in out:
            raise FormatError(f"{item.location}: task id {sample.id!r} repeats in {tasks}.")
        out[sample.id] = (sample, letters)
    return out


def _onto_task(result: DataSample, task_samples: dict[str, tuple[DataSample, dict[str, str]]],
               fmt: DataLabelResultsFormat, path: str | Path) -> DataSample:
    if result.id not in task_samples:
        raise FormatError(f"{path}: task_id {result.id!r} is not a task in the tasks file.")
    task, letters = task_samples[result.id]
    sample = task.model_copy(deep=True)
    sample.annotations = []
    for ann in result.annotations:
        ann = ann.model_copy(deep=True)
        if fmt.target is not None:
            for name, value in list(ann.values.items()):
                q = next((q for q in fmt.target.questions if q.name == name), None)
                if q is not None and q.options_from_candidates:
                    ann.values[name] = ([letters.get(x, x) for x in value] if isinstance(value, list)
                                        else letters.get(value, value))
            try:
                check(fmt.target, sample, ann)
            except RowError as exc:
                raise FormatError(f"{path}: task {result.id!r}: {exc}.") from None
        sample.annotations.append(ann)
    return sample


def _fill_candidates(datasets: list[Dataset]) -> None:
    """A merged file's responses carry no ``data``: borrow prompt and candidates from another file."""
    known = {s.id: s for ds in datasets for s in ds.samples if s.candidates or s.prompt}
    for ds in datasets:
        for s in ds.samples:
            if not s.candidates and not s.prompt and s.id in known:
                src = known[s.id]
                s.prompt, s.candidates = list(src.prompt), list(src.candidates)
                s.metadata = {**src.metadata, **s.metadata}


__all__ = ["schema_from_datalabel", "schema_to_datalabel", "DataLabelTasksFormat", "DataLabelResultsFormat",
           "load_results", "write_tasks", "sample_from_data"]
